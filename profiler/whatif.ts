// What-if: re-cost a dump as if each listed sequence of calls had been one multi-call,
// one specialized call, or (looped) one call for every back-to-back repetition. The
// dump's calls stream through a window as long as the longest sequence: memory stays flat.
import type { PlatformProfile } from '../kernel-model/cost.js';
import { clusterSavingCycles, indirectCycles } from '../kernel-model/cost.js';
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

/** A cluster's user stretches: their indirect cost apart, and their length together. */
interface Indirect { apart: number; instructions: number; atStart: boolean }

/**
 * The indirect cost a cluster saves: its user stretches become one stretch after one
 * crossing (or, for a cluster that starts the run, one stretch before any crossing).
 */
const indirectSaved = (p: PlatformProfile, ind: Indirect) => ind.apart - (ind.atStart ? 0 : indirectCycles(p, ind.instructions));

export class WhatIfCounter {
  private readonly stats: Stat[];
  private readonly longest: number;
  private buf: string[] = [];
  /** The user instructions before each buffered call (the dump's user_instructions). */
  private gaps: number[] = [];
  private head = 0;
  /** How many calls were dropped from the front of the buffers. */
  private shifted = 0;
  private before = 0;
  private after = 0;
  private loop: { s: Stat; reps: number; ind: Indirect } | undefined;

  constructor(clusters: string[][], private readonly kind: ClusterKind, private readonly p: PlatformProfile) {
    if (clusters.length === 0 || clusters.some((c) => c.length === 0)) throw new RangeError('every cluster needs at least one call');
    this.stats = clusters.map((calls) => ({ calls, matches: 0, savedCycles: 0 }));
    this.longest = Math.max(...clusters.map((c) => c.length));
  }

  push(name: string, userInstructions = 0): void {
    this.before++;
    this.buf.push(name);
    this.gaps.push(userInstructions);
    while (this.buf.length - this.head >= this.longest) this.step();
    if (this.head > 4096) {
      this.buf = this.buf.slice(this.head); this.gaps = this.gaps.slice(this.head);
      this.shifted += this.head; this.head = 0;
    }
  }

  /**
   * Adds the user stretches before the `n` calls buffered from `at` to a cluster's account
   * of indirect cost (profile.indirect). Each stretch as the kernel charges it (the trap is
   * not user work); before the first crossing of the run nothing is slowed.
   */
  private addGaps(ind: Indirect, at: number, n: number): Indirect {
    for (let i = at; i < at + n; i++) {
      if (this.shifted + i === 0) { ind.atStart = true; continue; }
      const g = Math.max(0, this.gaps[i] - 1);
      ind.apart += indirectCycles(this.p, g);
      ind.instructions += g;
    }
    return ind;
  }

  private matches(s: Stat, at: number): boolean {
    const c = s.calls;
    for (let j = 0; j < c.length; j++) if (this.buf[at + j] !== c[j]) return false;
    return true;
  }

  private close(): void {
    if (!this.loop) return;
    const { s, reps, ind } = this.loop;
    s.matches += reps;
    s.savedCycles += clusterSavingCycles(this.p, reps * s.calls.length, 'specialized') + indirectSaved(this.p, ind);
    this.loop = undefined;
  }

  private step(): void {
    if (this.loop) {
      if (this.matches(this.loop.s, this.head)) {
        this.loop.reps++;
        this.addGaps(this.loop.ind, this.head, this.loop.s.calls.length);
        this.head += this.loop.s.calls.length;
        return;
      }
      this.close();
    }
    const s = this.stats.find((x) => this.matches(x, this.head));
    this.after++;
    if (!s) { this.head++; return; }
    const ind = this.addGaps({ apart: 0, instructions: 0, atStart: false }, this.head, s.calls.length);
    this.head += s.calls.length;
    if (this.kind === 'looped') { this.loop = { s, reps: 1, ind }; return; }
    s.matches++;
    s.savedCycles += clusterSavingCycles(this.p, s.calls.length, this.kind) + indirectSaved(this.p, ind);
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
  for (const x of t.crossings) w.push(x.call.name, x.user_instructions);
  return w.finish(t.footer!.ledger.cycles.total);
}
