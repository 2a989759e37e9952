// syscluster syscalls: what the kernel model supports, from the one syscall table.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { UNIMPLEMENTED } from '../../kernel-model/table.js';
import { choosePersonality, runOptions } from '../common.js';

export const command = 'syscalls';
export const describe = 'List the syscalls the kernel model supports, with their numbers and support level';

export function builder(y: Argv) {
  return y.options({
    personality: { ...runOptions.personality, default: 'paper', choices: ['paper', 'modern'], describe: 'syscall numbering' },
    specialized: runOptions.specialized,
    json: { type: 'boolean', default: false, describe: 'print JSON for scripts' },
  }).example('$0 syscalls --personality modern', 'the table with today\'s i386 numbers');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export function handler(a: Args): void {
  const pers = choosePersonality(a.personality, a.specialized);
  const rows = [...pers.table.values()].map((s) => ({
    nr: s.nr, name: s.name, support: s.support, family: s.family,
    args: s.args.map((x) => `${x.name}:${x.kind}`), note: s.note ?? '',
  }));
  const missing = UNIMPLEMENTED.filter(([nr]) => !pers.table.has(nr)).map(([nr, name]) => ({ nr, name, support: 'unimplemented', note: 'returns -ENOSYS' }));
  const all = [...rows, ...missing].sort((x, y) => x.nr - y.nr);
  if (a.json) {
    process.stdout.write(JSON.stringify({ personality: pers.name, description: pers.description, multicall: pers.multicallNr, syscalls: all }, null, 2) + '\n');
    return;
  }
  const lines = [`personality ${pers.name}: ${pers.description}`, ''];
  lines.push(`${'NR'.padStart(4)}  ${'NAME'.padEnd(16)}${'SUPPORT'.padEnd(15)}NOTE`);
  for (const r of all) lines.push(`${String(r.nr).padStart(4)}  ${r.name.padEnd(16)}${r.support.padEnd(15)}${r.note}`);
  const supported = rows.length;
  lines.push('', `${supported} modelled, ${missing.length} listed as unimplemented; any other number returns -ENOSYS and is reported once`);
  process.stdout.write(lines.join('\n') + '\n');
}
