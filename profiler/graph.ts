// The syscall graph of the paper's Figure 4 (GraphBuilder): a node per call (with the
// arguments asked for), an edge weighted by how often one call immediately follows
// another in the same process. From it: the heaviest edges, frequent sequences and
// loops, clusters ranked by what they would save on a platform, and a value profile of
// constant arguments. The graph is drawn (DOT, SVG by Graphviz) in view/graph-draw.ts.
import { clusterSavingCycles, type PlatformProfile } from '../kernel-model/cost.js';
import { PLAIN_ARGS } from '../kernel-model/table.js';
import type { CallEvent } from './events.js';
import { UserError } from '../kernel-model/limits.js';

/** Argument names by call, for `--args read:fd`: the model's table, plus common Linux calls. */
const ARG_NAMES = new Map<string, string[]>([
  ...PLAIN_ARGS, ...Object.entries({
  openat: ['dirfd', 'pathname', 'flags', 'mode'], pread64: ['fd', 'buf', 'count', 'offset'], pwrite64: ['fd', 'buf', 'count', 'offset'],
  readv: ['fd', 'iov', 'iovcnt'], writev: ['fd', 'iov', 'iovcnt'], sendto: ['sockfd', 'buf', 'len', 'flags', 'dest_addr', 'addrlen'],
  recvfrom: ['sockfd', 'buf', 'len', 'flags', 'src_addr', 'addrlen'], select: ['nfds', 'readfds', 'writefds', 'exceptfds', 'timeout'],
  fstat: ['fd', 'statbuf'], newfstatat: ['dirfd', 'pathname', 'statbuf', 'flags'], mmap: ['addr', 'length', 'prot', 'flags', 'fd', 'offset'],
  }),
]);

export class ProfileInputError extends UserError {}

/** `--args read:fd,write:2`: which arguments make part of a node's identity. */
export function parseArgSelection(spec: string[]): Map<string, number[]> {
  const sel = new Map<string, number[]>();
  for (const item of spec.flatMap((s) => s.split(',')).filter(Boolean)) {
    const m = /^(\w+):(\w+)$/.exec(item);
    if (!m) throw new ProfileInputError(`--args ${item}: expected CALL:ARG (an argument name or index), e.g. read:fd`);
    const [, call, arg] = m;
    const names = ARG_NAMES.get(call);
    const index = /^\d+$/.test(arg) ? Number(arg) : (names ?? []).indexOf(arg);
    if (index > 5) throw new ProfileInputError(`--args ${item}: a call has at most six arguments (indexes 0 to 5)`);
    if (index < 0) throw new ProfileInputError(`--args ${item}: ${call} has no argument named ${arg}${names ? ` (it has ${names.join(', ')})` : ' known here; give its index'}`);
    sel.set(call, [...(sel.get(call) ?? []), index]);
  }
  return sel;
}

const nodeOf = (e: CallEvent, sel: Map<string, number[]>): string => {
  const chosen = sel.get(e.name);
  if (!chosen) return e.name;
  let key = e.name;
  for (const i of chosen) key += ` ${ARG_NAMES.get(e.name)?.[i] ?? i}=${e.args[i] ?? '?'}`;
  return key;
};

export interface Sequence {
  calls: string[];
  /** Occurrences that do not overlap, counted left to right in each process. */
  count: number;
  /** The longest back-to-back repetition seen (a loop when above 2). */
  longestRun: number;
}

/** The longest sequence looked for at most (--max-length). */
export const MAX_SEQUENCE = 16;
/** A JavaScript Map holds at most 2^24 entries; the profile stops with a clear error before. */
const MAX_GRAMS = (1 << 24) - 1;

/** Growable typed columns for the sequence trie. */
class Column<T extends Float64Array | Int32Array> {
  constructor(public a: T, private readonly make: (n: number) => T) {}
  ensure(n: number): void {
    if (n <= this.a.length) return;
    const b = this.make(Math.max(n, this.a.length * 2));
    b.set(this.a as never);
    this.a = b;
  }
}

const f64 = (n: number) => new Float64Array(n), i32 = (n: number) => new Int32Array(n);

/** A hash table from a pair of small integers to a number: open addressing, no allocation per entry. */
class PairTable {
  private a = new Int32Array(1 << 12).fill(-1);
  private b = new Int32Array(1 << 12);
  private v = new Float64Array(1 << 12);
  size = 0;
  private slot(x: number, y: number): number {
    const mask = this.a.length - 1;
    let h = (Math.imul(x, 0x9e3779b1) ^ Math.imul(y + 0x7f4a7c15, 0x85ebca77)) & mask;
    while (this.a[h] !== -1 && (this.a[h] !== x || this.b[h] !== y)) h = (h + 1) & mask;
    return h;
  }
  get(x: number, y: number): number | undefined {
    const h = this.slot(x, y);
    return this.a[h] === -1 ? undefined : this.v[h];
  }
  set(x: number, y: number, value: number): void {
    let h = this.slot(x, y);
    if (this.a[h] === -1) {
      if (2 * (this.size + 1) > this.a.length) { this.grow(); h = this.slot(x, y); }
      this.a[h] = x; this.b[h] = y; this.size++;
    }
    this.v[h] = value;
  }
  private grow(): void {
    const { a, b, v } = this;
    this.a = new Int32Array(a.length * 2).fill(-1);
    this.b = new Int32Array(a.length * 2);
    this.v = new Float64Array(a.length * 2);
    for (let i = 0; i < a.length; i++) if (a[i] !== -1) { const h = this.slot(a[i], b[i]); this.a[h] = a[i]; this.b[h] = b[i]; this.v[h] = v[i]; }
  }
}

/**
 * The syscall graph of Figure 4 and its frequent sequences, counted in one pass: calls
 * become integers, every sequence of 2 to maxLength calls ending at each call is a path
 * in a trie of integers, whose node keeps the sequence's count of non-overlapping
 * occurrences (greedy, left to right, in each process), its longest back-to-back run and,
 * for pairs, the edge weight. Memory grows with the distinct sequences, not the calls.
 */
export class SyscallGraph {
  /** Calls by node name, and how often each was seen. */
  readonly ids = new Map<string, number>();
  readonly names: string[] = [];
  readonly counts: number[] = [];
  /** Trie: (parent gram, call id) → gram index. Gram 0 is the root. */
  private readonly trie = new PairTable();
  private grams = 1;
  private readonly parent = new Column(i32(1024), i32);
  private readonly last = new Column(i32(1024), i32);
  private readonly depth = new Column(i32(1024), i32);
  private readonly count = new Column(f64(1024), f64);
  private readonly weight = new Column(f64(1024), f64);
  private readonly longest = new Column(i32(1024), i32);
  private readonly lastPid = new Column(i32(1024), i32);
  private readonly lastEnd = new Column(f64(1024), f64);
  private readonly run = new Column(i32(1024), i32);
  /** The state of processes other than the last one that saw a gram: (gram, process) → position and run. */
  private readonly others = new PairTable();
  private readonly procs = new Map<number, { index: number; pos: number; ends: Int32Array }>();

  constructor(readonly maxLength = 4) {
    if (!(Number.isInteger(maxLength) && maxLength >= 2 && maxLength <= MAX_SEQUENCE)) {
      throw new ProfileInputError(`--max-length ${maxLength}: expected a whole number from 2 to ${MAX_SEQUENCE}`);
    }
  }

  get processes(): number { return this.procs.size; }

  /** The node's count by name (the graph's nodes). */
  get nodes(): Map<string, number> {
    return new Map(this.names.map((n, i) => [n, this.counts[i]]));
  }

  /** Edges: `from\u0000to` → weight. */
  get edges(): Map<string, number> {
    const out = new Map<string, number>();
    for (let g = 1; g < this.grams; g++) {
      if (this.depth.a[g] === 2) out.set(`${this.names[this.last.a[this.parent.a[g]]]}\u0000${this.names[this.last.a[g]]}`, this.weight.a[g]);
    }
    return out;
  }

  private child(parent: number, id: number): number {
    let g = this.trie.get(parent, id);
    if (g === undefined) {
      if (this.grams >= MAX_GRAMS) throw new ProfileInputError(`more than ${MAX_GRAMS} distinct call sequences: choose fewer --args or a smaller --max-length`);
      g = this.grams++;
      for (const c of [this.parent, this.last, this.depth, this.count, this.weight, this.longest, this.lastPid, this.lastEnd, this.run] as Column<Float64Array | Int32Array>[]) c.ensure(this.grams);
      this.parent.a[g] = parent; this.last.a[g] = id; this.depth.a[g] = parent === 0 ? 1 : this.depth.a[parent] + 1;
      this.lastPid.a[g] = -1; this.lastEnd.a[g] = -1;
      this.trie.set(parent, id, g);
    }
    return g;
  }

  /** One call of process `pid` (processes of different files must have different pids). */
  add(pid: number, node: string): void {
    let id = this.ids.get(node);
    if (id === undefined) {
      if (this.names.length >= 67108864) throw new ProfileInputError('more than 2^26 distinct nodes: choose fewer --args');
      id = this.names.length; this.ids.set(node, id); this.names.push(node); this.counts.push(0);
    }
    this.counts[id]++;
    let proc = this.procs.get(pid);
    if (!proc) {
      if (this.procs.size >= 4194304) throw new ProfileInputError('more than 4,194,304 processes');
      proc = { index: this.procs.size, pos: 0, ends: new Int32Array(this.maxLength + 1) };
      this.procs.set(pid, proc);
    }
    // ends[n]: the gram of the n calls ending at the previous call; each grows by this call.
    const L = this.maxLength, p = proc.pos, ends = proc.ends;
    for (let n = Math.min(L, p + 1); n >= 2; n--) {
      const g = this.child(ends[n - 1], id);
      ends[n] = g;
      if (n === 2) this.weight.a[g]++;
      this.occurrence(g, proc.index, p - n + 1, p + 1);
    }
    ends[1] = this.child(0, id);
    proc.pos++;
  }

  private occurrence(g: number, pid: number, start: number, end: number): void {
    const lastEnd = this.lastEnd.a, run = this.run.a;
    if (this.lastPid.a[g] !== pid) {
      // Park the last process's state (position and run packed in one number), fetch this one's.
      const prev = this.lastPid.a[g];
      if (prev >= 0) this.others.set(g, prev, lastEnd[g] * 4194304 + Math.min(run[g], 4194303));
      const mine = this.others.get(g, pid);
      lastEnd[g] = mine === undefined ? -1 : Math.floor(mine / 4194304);
      run[g] = mine === undefined ? 0 : mine % 4194304;
      this.lastPid.a[g] = pid;
    }
    if (start < lastEnd[g]) return; // overlaps the occurrence counted before
    run[g] = start === lastEnd[g] ? run[g] + 1 : 1;
    if (run[g] > this.longest.a[g]) this.longest.a[g] = run[g];
    this.count.a[g]++;
    lastEnd[g] = end;
  }

  /** Frequent sequences of 2 to `maxLength` calls, seen at least `minCount` times. */
  sequences(maxLength = this.maxLength, minCount = 3): Sequence[] {
    const out: Sequence[] = [];
    for (let g = 1; g < this.grams; g++) {
      const d = this.depth.a[g];
      if (d < 2 || d > maxLength || this.count.a[g] < minCount) continue;
      const ids: number[] = [];
      for (let x = g; x !== 0; x = this.parent.a[x]) ids.push(this.last.a[x]);
      ids.reverse();
      // A sequence that only repeats a shorter one (read, write, read, write) says nothing more.
      if (ids.some((_, p) => p > 0 && d % p === 0 && ids.every((c, i) => c === ids[i % p]))) continue;
      out.push({ calls: ids.map((i) => this.names[i]), count: this.count.a[g], longestRun: this.longest.a[g] });
    }
    // A sequence that is only a rotation or a part of a more frequent one is still listed: the
    // ranking by savings decides what is worth doing.
    const key = new Map(out.map((q) => [q, q.calls.join()]));
    return out.sort((a, b) => b.count * b.calls.length - a.count * a.calls.length || (key.get(a)! < key.get(b)! ? -1 : key.get(a)! > key.get(b)! ? 1 : 0));
  }
}

/** Builds the graph from logs held in memory: processes of different logs stay apart. */
export function buildGraph(logs: { events: CallEvent[] }[], sel: Map<string, number[]>, maxLength = 4): SyscallGraph {
  const g = new SyscallGraph(maxLength);
  logs.forEach((log, li) => { for (const e of log.events) g.add(li * 8388608 + e.pid, nodeOf(e, sel)); });
  return g;
}

/** A consumer of events that feeds the graph and the value profile of one pass. */
export function profileSink(g: SyscallGraph, v: ValueCounter, sel: Map<string, number[]>, fileIndex: number): (e: CallEvent) => void {
  return (e) => { g.add(fileIndex * 8388608 + e.pid, nodeOf(e, sel)); v.add(e); };
}

export const edgeList = (g: SyscallGraph) => [...g.edges].map(([k, w]) => { const [from, to] = k.split('\u0000'); return { from, to, weight: w }; })
  .sort((a, b) => b.weight - a.weight || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0) || (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));

/** Non-overlapping occurrences of `pattern` in `seq`, and the longest back-to-back run. */
export function occurrences(seq: string[], pattern: string[]): { starts: number[]; longestRun: number } {
  const starts: number[] = [];
  let run = 0, longest = 0, lastEnd = -1;
  if (pattern.length === 0) return { starts, longestRun: 0 };
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
export function frequentSequences(g: SyscallGraph, maxLength = g.maxLength, minCount = 3): Sequence[] {
  return g.sequences(Math.min(maxLength, g.maxLength), minCount);
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

/** Distinct values kept per argument; an argument with more is many-valued and left out. */
export const MAX_VALUES = 65536;

const isConstant = (a: string): boolean => {
  const c = a.charCodeAt(0);
  // Numbers, flags (O_RDONLY|O_CREAT), NULL: not strings, structures or arrays.
  if (!((c >= 48 && c <= 57) || c === 45 || (c >= 65 && c <= 90))) return false;
  return /^-?\d+$|^0x[0-9a-f]+$|^[A-Z_|]+$|^NULL$/.test(a);
};

/** Counts argument values in one pass, in memory bounded by MAX_VALUES per argument. */
export class ValueCounter {
  /** Per call: its count, and per argument index its values (null once many-valued). */
  private readonly byCall = new Map<string, { total: number; args: (Map<string, number> | null | undefined)[] }>();

  add(e: CallEvent): void {
    let c = this.byCall.get(e.name);
    if (!c) { c = { total: 0, args: [] }; this.byCall.set(e.name, c); }
    c.total++;
    for (let i = 0; i < e.args.length; i++) {
      const a = e.args[i];
      if (!isConstant(a)) continue;
      let m = c.args[i];
      if (m === null) continue; // many-valued
      if (!m) { m = new Map(); c.args[i] = m; }
      const n = m.get(a);
      if (n !== undefined) m.set(a, n + 1);
      else if (m.size >= MAX_VALUES) c.args[i] = null;
      else m.set(a, 1);
    }
  }

  /** Arguments that (nearly) always take one value: candidates for value specialization. */
  result(minCalls = 3, share = 0.9): ValueProfile[] {
    const out: ValueProfile[] = [];
    for (const [call, c] of this.byCall) {
      c.args.forEach((values, index) => {
        if (!values) return;
        let value = '', count = 0;
        for (const [v, n] of values) if (n > count) { value = v; count = n; }
        if (c.total >= minCalls && count / c.total >= share) out.push({ call, arg: ARG_NAMES.get(call)?.[index] ?? String(index), value, count, of: c.total });
      });
    }
    return out.sort((a, b) => b.count - a.count || (a.call < b.call ? -1 : a.call > b.call ? 1 : 0));
  }
}

/** Arguments that (nearly) always take one value, from logs in memory. */
export function valueProfile(logs: { events: CallEvent[] }[], minCalls = 3, share = 0.9): ValueProfile[] {
  const v = new ValueCounter();
  for (const l of logs) for (const e of l.events) v.add(e);
  return v.result(minCalls, share);
}
