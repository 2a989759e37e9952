// syscluster whatif <dump> --cluster read,write: what clustering would have saved.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import type { ClusterKind } from '../../profiler/graph.js';
import { WhatIfCounter } from '../../profiler/whatif.js';
import { BadInput, knownCallNames } from '../common.js';
import { streamFiles } from './profile.js';

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
  const clusters = a.cluster.map((c) => String(c).split(',').map((s) => s.trim()).filter(Boolean));
  if (clusters.some((c) => c.length === 0)) throw new BadInput(`--cluster ${a.cluster.map(String).find((c) => !c.split(',').some((s) => s.trim()))}: names no call`);
  if (clusters.some((c) => c.length < 2 && a.as !== 'looped')) throw new BadInput('--cluster needs at least two calls (or --as looped)');
  if (clusters.some((c) => c.length > 64)) throw new BadInput('--cluster: at most 64 calls in a sequence');
  let counter: WhatIfCounter | undefined;
  const seen = new Set<string>();
  const [summary] = streamFiles([a.dump], () => (e) => {
    if (!counter) throw new BadInput(`${a.dump}: what-if needs a syscluster dump (it re-costs the dump's own costs), not a strace log`);
    seen.add(e.name);
    counter.push(e.name);
  }, (header) => { counter = new WhatIfCounter(clusters, a.as as ClusterKind, header.platform); });
  if (summary.kind !== 'dump' || !summary.header || !summary.footer) throw new BadInput(`${a.dump}: what-if needs a syscluster dump (it re-costs the dump's own costs), not a strace log`);
  counter ??= new WhatIfCounter(clusters, a.as as ClusterKind, summary.header.platform);
  // A name that is neither a call of the table nor in the dump is a typo: say so rather than report 0 matches.
  const known = knownCallNames();
  const unknown = [...new Set(clusters.flat())].filter((n) => !known.has(n) && !seen.has(n));
  if (unknown.length) throw new BadInput(`--cluster: no call named ${unknown.join(', ')} (not in the syscall table, not in ${a.dump}; see syscluster syscalls)`);
  const w = counter.finish(summary.footer.ledger.cycles.total);
  const platformName = summary.header.platform.name;
  if (a.json) {
    process.stdout.write(JSON.stringify({ platform: platformName, as: a.as, ...w }, null, 2) + '\n');
    return;
  }
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const pct = w.measuredCycles ? (100 * (w.measuredCycles - w.estimatedCycles)) / w.measuredCycles : 0;
  process.stdout.write([
    `measured ${n(w.measuredCycles)} cycles in ${w.crossingsBefore} crossings (${platformName})`,
    ...w.clusters.map((c) => `  ${c.calls.join(', ')} as ${a.as}: ${c.matches} matches, saves ${n(c.savedCycles)} cycles`),
    `estimated ${n(w.estimatedCycles)} cycles in ${w.crossingsAfter} crossings: ${pct.toFixed(2)}% saved`,
  ].join('\n') + '\n');
}
