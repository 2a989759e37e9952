// What-if: re-cost a dump as if each listed sequence of calls had been one multi-call,
// one specialized call, or (looped) one call for every back-to-back repetition. The
// dump's calls stream through a window as long as the longest sequence: memory stays flat.
import type { PlatformProfile } from '../kernel-model/cost.js';
import { clusterSavingCycles } from '../kernel-model/cost.js';
import type { Trace } from '../trace/dump.js';
import type { ClusterKind } from './graph.js';

export interface WhatIf {
  measuredCycles: number;
  estimatedCycles: number;
  crossingsBefore: number;
  crossingsAfter: number;
  clusters: { calls: string[]; matches: number; savedCycles: number }[];
}

type Stat = WhatIf['clusters'][number];

export class WhatIfCounter {
  private readonly stats: Stat[];
  private readonly longest: number;
  private buf: string[] = [];
  private head = 0;
  private before = 0;
  private after = 0;
  private loop: { s: Stat; reps: number } | undefined;

  constructor(clusters: string[][], private readonly kind: ClusterKind, private readonly p: PlatformProfile) {
    if (clusters.length === 0 || clusters.some((c) => c.length === 0)) throw new RangeError('every cluster needs at least one call');
    this.stats = clusters.map((calls) => ({ calls, matches: 0, savedCycles: 0 }));
    this.longest = Math.max(...clusters.map((c) => c.length));
  }

  push(name: string): void {
    this.before++;
    this.buf.push(name);
    while (this.buf.length - this.head >= this.longest) this.step();
    if (this.head > 4096) { this.buf = this.buf.slice(this.head); this.head = 0; }
  }

  private matches(s: Stat, at: number): boolean {
    const c = s.calls;
    for (let j = 0; j < c.length; j++) if (this.buf[at + j] !== c[j]) return false;
    return true;
  }

  private close(): void {
    if (!this.loop) return;
    const { s, reps } = this.loop;
    s.matches += reps;
    s.savedCycles += clusterSavingCycles(this.p, reps * s.calls.length, 'specialized');
    this.loop = undefined;
  }

  private step(): void {
    if (this.loop) {
      if (this.matches(this.loop.s, this.head)) { this.loop.reps++; this.head += this.loop.s.calls.length; return; }
      this.close();
    }
    const s = this.stats.find((x) => this.matches(x, this.head));
    this.after++;
    if (!s) { this.head++; return; }
    this.head += s.calls.length;
    if (this.kind === 'looped') { this.loop = { s, reps: 1 }; return; }
    s.matches++;
    s.savedCycles += clusterSavingCycles(this.p, s.calls.length, this.kind);
  }

  finish(measuredCycles: number): WhatIf {
    while (this.head < this.buf.length) this.step();
    this.close();
    const saved = this.stats.reduce((a, s) => a + s.savedCycles, 0);
    return { measuredCycles, estimatedCycles: measuredCycles - saved, crossingsBefore: this.before, crossingsAfter: this.after, clusters: this.stats };
  }
}

/** What-if on a trace held in memory. */
export function whatIf(t: Trace, clusters: string[][], kind: ClusterKind): WhatIf {
  const w = new WhatIfCounter(clusters, kind, t.header.platform);
  for (const x of t.crossings) w.push(x.call.name);
  return w.finish(t.footer!.ledger.cycles.total);
}
