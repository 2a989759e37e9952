// syscluster syscalls: for every number of a personality, its name, support level and
// note, from the one syscall table, with counts at the top (as gVisor's `runsc syscalls`).
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { supportListing } from '../../kernel-model/table.js';
import { choosePersonality, runOptions } from '../common.js';

export const command = 'syscalls';
export const describe = 'List every syscall number of a personality: name, support level (full, partial, unimplemented) and note';

export function builder(y: Argv) {
  return y.options({
    personality: { ...runOptions.personality, default: 'paper', choices: ['paper', 'modern'], describe: 'syscall numbering' },
    specialized: runOptions.specialized,
    json: { type: 'boolean', default: false, describe: 'print JSON for scripts' },
  })
    .example('$0 syscalls --personality modern', 'today\'s i386 table, about 450 numbers')
    .example('$0 syscalls --personality modern --json', 'the same as JSON');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export function handler(a: Args): void {
  const pers = choosePersonality(a.personality, a.specialized);
  const { rows, counts } = supportListing(pers);
  if (a.json) {
    process.stdout.write(JSON.stringify({ personality: pers.name, description: pers.description, multicall: pers.multicallNr, counts, syscalls: rows }, null, 2) + '\n');
    return;
  }
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const lines = [
    `personality ${pers.name}: ${pers.description}`,
    `${counts.total} numbers: ${counts.full} full, ${counts.partial} partial, ${counts.unimplemented} unimplemented (-ENOSYS)`,
    '',
    `${'NR'.padStart(4)}  ${'NAME'.padEnd(width)}${'SUPPORT'.padEnd(15)}NOTE`,
  ];
  for (const r of rows) lines.push(`${String(r.nr).padStart(4)}  ${r.name.padEnd(width)}${r.support.padEnd(15)}${r.note}`.trimEnd());
  lines.push('', 'Any other number returns -ENOSYS and is reported once.');
  process.stdout.write(lines.join('\n') + '\n');
}
