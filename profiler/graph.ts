// The syscall graph of the paper's Figure 4 (GraphBuilder): a node per call (with the
// arguments asked for), an edge weighted by how often one call immediately follows
// another in the same process. From it: the heaviest edges, frequent sequences and
// loops, clusters ranked by what they would save on a platform, and a value profile of
// constant arguments. The graph is drawn (DOT, SVG by Graphviz) in view/graph-draw.ts.
import { clusterSavingCycles, type PlatformProfile } from '../kernel-model/cost.js';
import { PLAIN_ARGS } from '../kernel-model/table.js';
import type { CallEvent, EventLog } from './events.js';
import { UserError } from '../kernel-model/limits.js';

/** Argument names by call, for `--args read:fd`: the model's table, plus common Linux calls. */
const ARG_NAMES: Record<string, string[]> = {
  ...Object.fromEntries(PLAIN_ARGS),
  openat: ['dirfd', 'pathname', 'flags', 'mode'], pread64: ['fd', 'buf', 'count', 'offset'], pwrite64: ['fd', 'buf', 'count', 'offset'],
  readv: ['fd', 'iov', 'iovcnt'], writev: ['fd', 'iov', 'iovcnt'], sendto: ['sockfd', 'buf', 'len', 'flags', 'dest_addr', 'addrlen'],
  recvfrom: ['sockfd', 'buf', 'len', 'flags', 'src_addr', 'addrlen'], select: ['nfds', 'readfds', 'writefds', 'exceptfds', 'timeout'],
  fstat: ['fd', 'statbuf'], newfstatat: ['dirfd', 'pathname', 'statbuf', 'flags'], mmap: ['addr', 'length', 'prot', 'flags', 'fd', 'offset'],
};

export class ProfileInputError extends UserError {}

/** `--args read:fd,write:2`: which arguments make part of a node's identity. */
export function parseArgSelection(spec: string[]): Map<string, number[]> {
  const sel = new Map<string, number[]>();
  for (const item of spec.flatMap((s) => s.split(',')).filter(Boolean)) {
    const m = /^(\w+):(\w+)$/.exec(item);
    if (!m) throw new ProfileInputError(`--args ${item}: expected CALL:ARG (an argument name or index), e.g. read:fd`);
    const [, call, arg] = m;
    const index = /^\d+$/.test(arg) ? Number(arg) : (ARG_NAMES[call] ?? []).indexOf(arg);
    if (index < 0) throw new ProfileInputError(`--args ${item}: ${call} has no argument named ${arg}${ARG_NAMES[call] ? ` (it has ${ARG_NAMES[call].join(', ')})` : ' known here; give its index'}`);
    sel.set(call, [...(sel.get(call) ?? []), index]);
  }
  return sel;
}

export const nodeOf = (e: CallEvent, sel: Map<string, number[]>) =>
  [e.name, ...(sel.get(e.name) ?? []).map((i) => `${ARG_NAMES[e.name]?.[i] ?? i}=${e.args[i] ?? '?'}`)].join(' ');

export interface SyscallGraph {
  nodes: Map<string, number>;
  /** `from\u0000to` → weight */
  edges: Map<string, number>;
  /** Per process, the node sequence. */
  sequences: Map<number, string[]>;
}

/** Figure 4: each call adds an edge from the call before it in the same process. */
export function buildGraph(logs: EventLog[], sel: Map<string, number[]>): SyscallGraph {
  const g: SyscallGraph = { nodes: new Map(), edges: new Map(), sequences: new Map() };
  logs.forEach((log, li) => {
    for (const e of log.events) {
      const pid = li * 1_000_000 + e.pid; // processes of different logs stay apart
      const node = nodeOf(e, sel);
      g.nodes.set(node, (g.nodes.get(node) ?? 0) + 1);
      const seq = g.sequences.get(pid) ?? [];
      const prev = seq[seq.length - 1];
      if (prev !== undefined) g.edges.set(`${prev}\u0000${node}`, (g.edges.get(`${prev}\u0000${node}`) ?? 0) + 1);
      seq.push(node);
      g.sequences.set(pid, seq);
    }
  });
  return g;
}

export const edgeList = (g: SyscallGraph) => [...g.edges].map(([k, w]) => { const [from, to] = k.split('\u0000'); return { from, to, weight: w }; })
  .sort((a, b) => b.weight - a.weight || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));

export interface Sequence {
  calls: string[];
  /** Occurrences that do not overlap, counted left to right in each process. */
  count: number;
  /** The longest back-to-back repetition seen (a loop when above 2). */
  longestRun: number;
}

/** Non-overlapping occurrences of `pattern` in `seq`, and the longest back-to-back run. */
export function occurrences(seq: string[], pattern: string[]): { starts: number[]; longestRun: number } {
  const starts: number[] = [];
  let run = 0, longest = 0, lastEnd = -1;
  for (let i = 0; i + pattern.length <= seq.length;) {
    if (pattern.every((p, j) => seq[i + j] === p)) {
      run = i === lastEnd ? run + 1 : 1;
      longest = Math.max(longest, run);
      starts.push(i);
      lastEnd = i + pattern.length;
      i += pattern.length;
    } else i++;
  }
  return { starts, longestRun: longest };
}

/** Frequent sequences of 2 to `maxLength` calls, seen at least `minCount` times. */
export function frequentSequences(g: SyscallGraph, maxLength = 4, minCount = 3): Sequence[] {
  const candidates = new Set<string>();
  for (const seq of g.sequences.values()) {
    for (let n = 2; n <= maxLength; n++) for (let i = 0; i + n <= seq.length; i++) candidates.add(seq.slice(i, i + n).join('\u0001'));
  }
  const out: Sequence[] = [];
  // A sequence that only repeats a shorter one (read, write, read, write) says nothing more.
  const repeats = (calls: string[]) => calls.some((_, p) => p > 0 && p < calls.length && calls.length % p === 0 && calls.every((c, i) => c === calls[i % p]));
  for (const c of candidates) {
    const calls = c.split('\u0001');
    if (repeats(calls)) continue;
    let count = 0, longestRun = 0;
    for (const seq of g.sequences.values()) {
      const o = occurrences(seq, calls);
      count += o.starts.length;
      longestRun = Math.max(longestRun, o.longestRun);
    }
    if (count >= minCount) out.push({ calls, count, longestRun });
  }
  // A sequence that is only a rotation or a part of a more frequent one is still listed: the
  // ranking by savings below decides what is worth doing.
  return out.sort((a, b) => b.count * b.calls.length - a.count * a.calls.length || a.calls.join().localeCompare(b.calls.join()));
}

export type ClusterKind = 'multicall' | 'specialized' | 'looped';

export interface Candidate {
  calls: string[];
  kind: ClusterKind;
  occurrences: number;
  savedCycles: number;
}

/** Clusters ranked by estimated savings: each sequence as a specialized call, a multi-call, and (if it loops) a looped call. */
export function rankCandidates(seqs: Sequence[], p: PlatformProfile): Candidate[] {
  const out: Candidate[] = [];
  for (const s of seqs) {
    for (const kind of ['specialized', 'multicall'] as const) {
      out.push({ calls: s.calls, kind, occurrences: s.count, savedCycles: s.count * clusterSavingCycles(p, s.calls.length, kind) });
    }
    if (s.longestRun >= 3) {
      // The whole loop in one crossing: every iteration's calls in one specialized call.
      out.push({ calls: s.calls, kind: 'looped', occurrences: s.count, savedCycles: clusterSavingCycles(p, s.count * s.calls.length, 'specialized') });
    }
  }
  return out.filter((c) => c.savedCycles > 0).sort((a, b) => b.savedCycles - a.savedCycles);
}

export interface ValueProfile {
  call: string;
  arg: string;
  value: string;
  count: number;
  of: number;
}

/** Arguments that (nearly) always take one value: candidates for value specialization. */
export function valueProfile(logs: EventLog[], minCalls = 3, share = 0.9): ValueProfile[] {
  const byArg = new Map<string, Map<string, number>>();
  const totals = new Map<string, number>();
  for (const e of logs.flatMap((l) => l.events)) {
    totals.set(e.name, (totals.get(e.name) ?? 0) + 1);
    e.args.forEach((a, i) => {
      if (!/^-?\d+$|^0x[0-9a-f]+$|^[A-Z_|]+$|^NULL$/.test(a)) return; // constants only: numbers, flags, NULL
      const key = `${e.name}\u0000${i}`;
      const m = byArg.get(key) ?? new Map<string, number>();
      m.set(a, (m.get(a) ?? 0) + 1);
      byArg.set(key, m);
    });
  }
  const out: ValueProfile[] = [];
  for (const [key, values] of byArg) {
    const [call, index] = key.split('\u0000');
    const of = totals.get(call)!;
    const [value, count] = [...values].sort((a, b) => b[1] - a[1])[0];
    if (of >= minCalls && count / of >= share) out.push({ call, arg: ARG_NAMES[call]?.[Number(index)] ?? index, value, count, of });
  }
  return out.sort((a, b) => b.count - a.count || a.call.localeCompare(b.call));
}
