// syscluster whatif <dump> --cluster read,write: what clustering would have saved.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { whatIf } from '../../profiler/whatif.js';
import { BadInput } from '../common.js';
import { loadLogs } from './profile.js';

export const command = 'whatif <dump>';
export const describe = 'Re-cost a dump as if sequences of calls had been one multi-call, specialized or looped call';

export function builder(y: Argv) {
  return y
    .positional('dump', { type: 'string', demandOption: true, describe: 'a syscluster trace dump (.jsonl)' })
    .options({
      cluster: { type: 'string', array: true, demandOption: true, describe: 'a sequence of calls, comma-separated (repeat for more)' },
      as: { type: 'string', default: 'specialized', choices: ['multicall', 'specialized', 'looped'], describe: 'how each sequence would run' },
      json: { type: 'boolean', default: false, describe: 'print JSON for scripts' },
    })
    .example('$0 whatif copy.jsonl --cluster write,read', 'the rotated copy loop with write_read')
    .example('$0 whatif copy.jsonl --cluster read,write --as looped', 'the whole loop in one crossing');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export function handler(a: Args): void {
  const [log] = loadLogs([a.dump]);
  if (!log.trace) throw new BadInput(`${a.dump}: what-if needs a syscluster dump (it re-costs the dump's own costs), not a strace log`);
  const clusters = a.cluster.map((c) => String(c).split(',').map((s) => s.trim()).filter(Boolean));
  if (clusters.some((c) => c.length < 2 && a.as !== 'looped')) throw new BadInput('--cluster needs at least two calls (or --as looped)');
  const w = whatIf(log.trace, clusters, a.as as 'multicall' | 'specialized' | 'looped');
  if (a.json) {
    process.stdout.write(JSON.stringify({ platform: log.trace.header.platform.name, as: a.as, ...w }, null, 2) + '\n');
    return;
  }
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const pct = (100 * (w.measuredCycles - w.estimatedCycles)) / w.measuredCycles;
  process.stdout.write([
    `measured ${n(w.measuredCycles)} cycles in ${w.crossingsBefore} crossings (${log.trace.header.platform.name})`,
    ...w.clusters.map((c) => `  ${c.calls.join(', ')} as ${a.as}: ${c.matches} matches, saves ${n(c.savedCycles)} cycles`),
    `estimated ${n(w.estimatedCycles)} cycles in ${w.crossingsAfter} crossings: ${pct.toFixed(2)}% saved`,
  ].join('\n') + '\n');
}
