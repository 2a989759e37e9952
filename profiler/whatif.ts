// What-if: re-cost a dump as if each listed sequence of calls had been one multi-call,
// one specialized call, or (looped) one call for every back-to-back repetition.
import type { Trace } from '../trace/dump.js';
import { clusterSavingCycles, indirectCycles, indirectMergeSaving } from '../kernel-model/cost.js';
import type { ClusterKind } from './graph.js';

export interface WhatIf {
  measuredCycles: number;
  estimatedCycles: number;
  crossingsBefore: number;
  crossingsAfter: number;
  clusters: { calls: string[]; matches: number; savedCycles: number }[];
}

export function whatIf(t: Trace, clusters: string[][], kind: ClusterKind): WhatIf {
  const p = t.header.platform;
  const names = t.crossings.map((x) => x.call.name);
  const stats = clusters.map((calls) => ({ calls, matches: 0, savedCycles: 0 }));
  const matchAt = (i: number) => stats.find((s) => s.calls.every((c, j) => names[i + j] === c));
  let crossingsAfter = 0;
  for (let i = 0; i < names.length;) {
    const s = matchAt(i);
    if (!s) { crossingsAfter++; i++; continue; }
    let reps = 1;
    if (kind === 'looped') while (s.calls.every((c, j) => names[i + reps * s.calls.length + j] === c)) reps++;
    const calls = reps * s.calls.length;
    s.matches += reps;
    // The user stretches before each call of the cluster become one stretch after one
    // crossing: the indirect cost (profile.indirect) is paid once instead of `calls` times.
    // (Each stretch as the kernel charges it: the trap is not user work; before the first
    // crossing nothing is slowed.)
    const gaps = t.crossings.slice(i, i + calls).map((x) => x.user_instructions - 1);
    const indirect = i === 0 ? indirectMergeSaving(p, gaps.slice(1)) + indirectCycles(p, gaps.slice(1).reduce((a, g) => a + g, 0)) : indirectMergeSaving(p, gaps);
    s.savedCycles += clusterSavingCycles(p, calls, kind === 'looped' ? 'specialized' : kind) + indirect;
    crossingsAfter++;
    i += calls;
  }
  const measured = t.footer!.ledger.cycles.total;
  return {
    measuredCycles: measured, estimatedCycles: measured - stats.reduce((a, s) => a + s.savedCycles, 0),
    crossingsBefore: names.length, crossingsAfter, clusters: stats,
  };
}
