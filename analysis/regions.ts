// Candidate regions and the paper's five conditions (section 3.2), checked at the
// instruction level. For two consecutive system calls a -> b in one function, the code
// between them (every instruction on a path from a to b that meets no other call) is
// evaluated symbolically from a's return: each value is a constant, something defined
// before the region, a call's result, or an expression of a result. Each instruction is
// then argument set-up, result retrieval, a control decision on a result, or other user
// code, and the conditions follow. Where one fails, the transformations of section 3.3
// that would fix it are named, or the region is said never to be clusterable.
import type { Instruction } from '../emulator/disasm.js';
import { personality } from '../kernel-model/table.js';
import { blockOf, dominates, dominatesBlock, type Func, type Program } from './cfg.js';
import { arityOf, describeSite, type Site, type SiteIndex } from './sites.js';
import { hex, type Mem, type Operand, type Reg } from './x86.js';

export type Condition = 'dominance' | 'safety' | 'convexity' | 'argument-safety' | 'linearity';
export const CONDITIONS: Condition[] = ['dominance', 'safety', 'convexity', 'argument-safety', 'linearity'];
export type Transformation = 'interchange' | 'mutual-exclusion' | 'loop-rotation' | 'inlining';

export type Role = 'call' | 'setup' | 'result' | 'control' | 'stack' | 'nop' | 'user';

export interface RegionLine {
  address: number;
  text: string;
  role: Role;
  /** Why this instruction keeps the region from being clustered, if it does. */
  blocking?: string;
}

export interface ArgumentSource {
  arg: number;
  kind: 'constant' | 'outside' | 'result' | 'expression-of-result' | 'unknown';
  detail: string;
}

export interface Region {
  kind: 'pair' | 'loop' | 'split';
  function: string;
  calls: string[];
  sites: Site[];
  start: number;
  end: number;
  clusterable: boolean;
  failed: Condition[];
  after: Transformation[];
  /** Never clusterable, whatever is done to the code: why. */
  never?: string;
  reasons: Record<Condition, string>;
  /** Notes on transformations and exits. */
  notes: string[];
  lines: RegionLine[];
  arguments: ArgumentSource[];
  /** How the region is left early (checked entries, Figure 7), and a loop's exit tests. */
  exits: string[];
}

// ---------------------------------------------------------------------------------------
// Symbolic values

interface Val {
  k: 'const' | 'outside' | 'result' | 'derived' | 'unknown';
  c?: number;
  /** For result / derived: the index of the call in the region (0: the first). */
  call?: number;
  /** Instructions that built the value. */
  defs: number[];
  /** An address on the stack (from esp or ebp). */
  stack?: boolean;
  /** For a stack address taken from the frame pointer: its offset from ebp. */
  frame?: number;
  what?: string;
}

const outside = (what: string, stack = false): Val => ({ k: 'outside', defs: [], what, ...(stack ? { stack } : {}) });
const unknown: Val = { k: 'unknown', defs: [] };

function combine(vals: Val[], at: number, op?: (a: number, b: number) => number): Val {
  const defs = [...new Set([...vals.flatMap((v) => v.defs), at])];
  const r = vals.find((v) => v.k === 'result' || v.k === 'derived');
  if (r) return { k: 'derived', call: r.call, defs };
  if (vals.some((v) => v.k === 'unknown')) return { k: 'unknown', defs };
  if (op && vals.length === 2 && vals.every((v) => v.k === 'const')) return { k: 'const', c: op(vals[0].c!, vals[1].c!) >>> 0, defs };
  return { k: 'outside', defs, what: 'a value computed from values defined before the region', stack: vals.some((v) => v.stack) };
}

function join(a: Val, b: Val): Val {
  if (a.k === b.k && a.c === b.c && a.call === b.call) return { ...a, defs: [...new Set([...a.defs, ...b.defs])] };
  return combine([a, b], a.defs[0] ?? b.defs[0] ?? 0);
}

interface State {
  regs: Map<string, Val>;
  delta: number | undefined;
  mem: Map<string, Val>;
}

const cloneState = (s: State): State => ({ regs: new Map(s.regs), delta: s.delta, mem: new Map(s.mem) });
const sameVal = (a: Val | undefined, b: Val | undefined) => !!a && !!b && a.k === b.k && a.c === b.c && a.call === b.call && a.defs.length === b.defs.length;

function joinState(into: State, from: State): boolean {
  let changed = false;
  for (const [r, v] of from.regs) {
    const old = into.regs.get(r);
    const nv = old ? join(old, v) : v;
    if (!sameVal(old, nv)) { into.regs.set(r, nv); changed = true; }
  }
  if (into.delta !== from.delta && into.delta !== undefined) { into.delta = undefined; changed = true; }
  for (const [k, v] of from.mem) {
    const old = into.mem.get(k);
    const nv = old ? join(old, v) : v;
    if (!sameVal(old, nv)) { into.mem.set(k, nv); changed = true; }
  }
  return changed;
}

const personalityArgs = (s: Site) => PAPER_ARGS.get(s.name) ?? [];
const PAPER_ARGS = new Map([...personality('modern').table.values(), ...personality('paper').table.values()].map((c) => [c.name, c.args]));

const OUT_KINDS = new Set(['buf_out', 'timeval_out', 'time_out', 'fdset_inout', 'ptr']);
const IN_KINDS = new Set(['buf_in', 'path', 'timeval_in', 'timespec_in', 'fdset_inout', 'mcall', 'params', 'ptr']);
const REG_ARGS: Reg[] = ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'];

// ---------------------------------------------------------------------------------------

interface Node { insn: Instruction; next: number[] }

/** Instruction-level successors inside a function. */
function instructionGraph(f: Func): Map<number, Node> {
  const g = new Map<number, Node>();
  for (const b of f.blocks.values()) {
    b.insns.forEach((i, k) => g.set(i.address, { insn: i, next: k + 1 < b.insns.length ? [b.insns[k + 1].address] : [...b.succs] }));
  }
  return g;
}

function predecessors(g: Map<number, Node>): Map<number, number[]> {
  const p = new Map<number, number[]>();
  for (const [a, n] of g) for (const s of n.next) p.set(s, [...(p.get(s) ?? []), a]);
  return p;
}

export interface Analysis {
  regions: Region[];
  /** Consecutive pairs of the static syscall graph, by name, with how many places each occurs. */
  staticEdges: Map<string, number>;
}

/** Every candidate region of the program: consecutive pairs, loops, and pairs split across functions. */
export function findRegions(prog: Program, index: SiteIndex): Analysis {
  const regions: Region[] = [];
  const staticEdges = new Map<string, number>();
  const edge = (a: string, b: string) => staticEdges.set(`${a}\u0000${b}`, (staticEdges.get(`${a}\u0000${b}`) ?? 0) + 1);
  // Which functions make system calls, directly or through their callees (for inlining pairs).
  const reaches = new Map<number, boolean>();
  const hasCalls = (entry: number, seen = new Set<number>()): boolean => {
    if (reaches.has(entry)) return reaches.get(entry)!;
    if (seen.has(entry) || index.stubs.has(entry)) return false;
    seen.add(entry);
    const f = prog.funcs.get(entry);
    const r = !!f && (index.byFunc.has(entry) || [...f.calls.values()].some((c) => hasCalls(c, seen)));
    reaches.set(entry, r);
    return r;
  };
  for (const f of prog.funcs.values()) {
    if (index.stubs.has(f.entry)) continue;
    const sites = index.byFunc.get(f.entry) ?? [];
    const calls = [...f.calls].filter(([, c]) => !index.stubs.has(c) && hasCalls(c)).map(([at, c]) => ({ at, callee: c }));
    if (!sites.length) continue;
    const g = instructionGraph(f), preds = predecessors(g);
    const events = new Map<number, Site | { callee: number }>([...calls.map((c) => [c.at, { callee: c.callee }] as const), ...sites.map((s) => [s.at, s] as const)]);
    for (const s1 of sites) {
      for (const reached of nextEvents(g, s1.at, events)) {
        const e2 = events.get(reached)!;
        if ('callee' in e2) {
          const g2 = prog.funcs.get(e2.callee)!;
          if (g2.noreturn) continue; // an error exit: its calls end the process
          const first = firstSites(prog, index, g2);
          for (const s2 of first) { edge(s1.name, s2.name); regions.push(splitRegion(prog, f, s1, g2, s2, reached)); }
          continue;
        }
        edge(s1.name, e2.name);
        regions.push(pairRegion(prog, f, g, preds, events, s1, e2));
      }
    }
    regions.push(...loopRegions(prog, f, g, sites, regions));
  }
  return { regions, staticEdges };
}

/** The events reached from `from` without passing another. */
function nextEvents(g: Map<number, Node>, from: number, events: Map<number, unknown>): number[] {
  const out = new Set<number>(), seen = new Set<number>();
  const stack = [...(g.get(from)?.next ?? [])];
  while (stack.length) {
    const a = stack.pop()!;
    if (seen.has(a)) continue;
    seen.add(a);
    if (events.has(a)) { out.add(a); continue; }
    stack.push(...(g.get(a)?.next ?? []));
  }
  return [...out].sort((x, y) => x - y);
}

/** The first sites a function reaches from its entry (through no other site). */
function firstSites(prog: Program, index: SiteIndex, f: Func): Site[] {
  const sites = index.byFunc.get(f.entry) ?? [];
  const events = new Map(sites.map((s) => [s.at, s]));
  const g = instructionGraph(f);
  if (events.has(f.entry)) return [events.get(f.entry)!];
  const reached = new Set<number>(), seen = new Set<number>(), stack = [f.entry];
  while (stack.length) {
    const a = stack.pop()!;
    if (seen.has(a)) continue;
    seen.add(a);
    if (events.has(a)) { reached.add(a); continue; }
    stack.push(...(g.get(a)?.next ?? []));
  }
  return [...reached].map((a) => events.get(a)!);
}

function emptyReasons(): Record<Condition, string> {
  return { dominance: '', safety: '', convexity: '', 'argument-safety': '', linearity: '' };
}

/** Two sites in one function, the code between them evaluated and classified. */
function pairRegion(prog: Program, f: Func, g: Map<number, Node>, preds: Map<number, number[]>, events: Map<number, unknown>, s1: Site, s2: Site): Region {
  // Between: forward from s1 and backward from s2, meeting no other event.
  const fwd = new Set<number>(), bwd = new Set<number>();
  const walk = (start: number[], step: (a: number) => number[], into: Set<number>) => {
    const stack = [...start];
    while (stack.length) {
      const a = stack.pop()!;
      if (into.has(a) || events.has(a)) continue;
      into.add(a);
      stack.push(...step(a));
    }
  };
  walk(g.get(s1.at)!.next, (a) => g.get(a)?.next ?? [], fwd);
  walk(preds.get(s2.at) ?? [], (a) => preds.get(a) ?? [], bwd);
  const between = new Set([...fwd].filter((a) => bwd.has(a)));
  const inRegion = (a: number) => between.has(a) || a === s2.at;

  // Edges on the way, back edges (target dominates source), and exits.
  const blockStart = (a: number) => blockOf(f, a)!.start;
  let backEdge: number | undefined;
  const exits: { from: number; to: number }[] = [];
  const branches: number[] = [];
  for (const a of [s1.at, ...between]) {
    const n = g.get(a)!;
    const inside = n.next.filter(inRegion);
    for (const t of n.next) {
      if (!inRegion(t)) { exits.push({ from: a, to: t }); continue; }
      if (n.next.length && blockStart(t) === t && dominatesBlock(f.idom, blockStart(t), blockStart(a))) backEdge ??= a;
    }
    if (inside.length > 1) branches.push(a);
  }

  // Symbolic evaluation from s1's return.
  const init: State = { regs: new Map(), delta: 0, mem: new Map() };
  for (const r of ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp']) init.regs.set(r, outside(r, r === 'esp' || r === 'ebp'));
  init.regs.set('eax', { k: 'result', call: 0, defs: [], what: `${s1.name}'s result` });
  if (s1.via !== 'int 0x80') { init.regs.set('ecx', unknown); init.regs.set('edx', unknown); }
  init.regs.set('flags', unknown);
  const s1Writes = s1.args.some((k) => OUT_KINDS.has(k)) || s1.args.length === 0;
  const states = new Map<number, State>();
  const outVals = new Map<number, Val>();
  const flagsOf = new Map<number, Val>();
  // A worklist over instructions: each keeps the join of the states that reach it.
  const work: number[] = [];
  for (const t of g.get(s1.at)!.next.filter(inRegion)) { states.set(t, cloneState(init)); work.push(t); }
  let steps = 0;
  while (work.length && steps++ < 50000) {
    const a = work.pop()!;
    if (a === s2.at) continue;
    const cur = cloneState(states.get(a)!);
    const n = g.get(a)!;
    const v = transfer(prog, n.insn, cur, s1Writes);
    if (v) outVals.set(a, v);
    const fl = cur.regs.get('flags');
    if (fl) flagsOf.set(a, fl);
    for (const t of n.next) {
      if (!inRegion(t)) continue;
      const old = states.get(t);
      if (!old) { states.set(t, cloneState(cur)); work.push(t); } else if (joinState(old, cur)) work.push(t);
    }
  }
  const atS2 = states.get(s2.at) ?? init;

  // The next call's arguments.
  const arity = arityOf(s2);
  const argVals: Val[] = [];
  for (let i = 0; i < arity; i++) {
    if (s2.via === 'stub') {
      const key = atS2.delta !== undefined ? `s:${atS2.delta + 4 * i}` : undefined;
      argVals.push((key ? atS2.mem.get(key) : undefined) ?? outside(`argument slot ${i} written before the region`));
    } else argVals.push(atS2.regs.get(REG_ARGS[i]) ?? outside(REG_ARGS[i]));
  }
  const argSources: ArgumentSource[] = argVals.map((v, i) => ({
    arg: i,
    kind: v.k === 'const' ? 'constant' : v.k === 'outside' ? 'outside' : v.k === 'result' ? 'result' : v.k === 'derived' ? 'expression-of-result' : 'unknown',
    detail: v.k === 'const' ? hex(v.c!) : v.k === 'result' ? `${s1.name}'s result` : v.k === 'derived' ? `an expression of ${s1.name}'s result` : v.what ?? 'defined before the region',
  }));
  const setup = new Set<number>(argVals.flatMap((v) => v.defs));
  if (s2.via !== 'stub') (atS2.regs.get('eax')?.defs ?? []).forEach((d) => setup.add(d));

  // Classify each instruction between.
  const lines: RegionLine[] = [];
  const user: number[] = [];
  const neverWhy: string[] = [];
  const movable: number[] = [], onResultBranch: number[] = [];
  // What the next call reads: each input pointer, with its length when the length is a constant.
  const lenOf = (i: number) => { const spec = personalityArgs(s2)[i]; const l = spec?.len !== undefined ? argVals[spec.len] : undefined; return l?.k === 'const' ? l.c! : 0x10000; };
  const inputPtrs = s2.args.map((k, i) => (IN_KINDS.has(k) ? { ptr: argVals[i], len: lenOf(i) } : undefined)).filter((v): v is { ptr: Val; len: number } => !!v);
  const outputPtrs = s2.args.map((k, i) => (OUT_KINDS.has(k) ? { ptr: argVals[i], len: k === 'buf_out' ? 0x10000 : lenOf(i) } : undefined)).filter((v): v is { ptr: Val; len: number } => !!v);
  const resultBranches = branches.concat(exits.map((e) => e.from)).filter((a) => isResultTest(flagsOf, g, a));
  for (const a of pathOrder(g, s1.at, between)) {
    const i = g.get(a)!.insn, e = prog.effectOf(i);
    const text = `${i.mnemonic}${i.opStr ? ' ' + i.opStr : ''}`;
    let role: Role;
    if (e.uses.size === 0 && e.defs.size === 0 && !e.memWrite.length && e.flow === 'none' && !e.opaque) role = 'nop';
    else if (setup.has(a)) role = 'setup';
    else if (isStackAdjust(e.ops, i)) role = 'stack';
    else if (outVals.get(a)?.k === 'result') role = 'result';
    else if ((e.flow === 'jcc' || ['cmp', 'test'].includes(i.mnemonic)) && isResultTest(flagsOf, g, a)) role = 'control';
    else if (e.flow === 'jmp' && e.target !== undefined) role = 'control';
    else role = 'user';
    const line: RegionLine = { address: a, text, role };
    if (role === 'user') {
      user.push(a);
      const why = blocks(prog, i, e, { reads: inputPtrs, writes: outputPtrs }, s2, states.get(a));
      line.blocking = why.text;
      if (why.never) neverWhy.push(`${hex(a)} ${text}: ${why.text}`);
      else if (why.sideEffect && !dominates(f, a, s2.at) && resultBranches.length) onResultBranch.push(a);
      else movable.push(a);
    }
    lines.push(line);
  }
  const derived = argSources.filter((s) => s.kind === 'expression-of-result');
  for (const d of derived) {
    const v = argVals[d.arg];
    for (const l of lines) if (v.defs.includes(l.address)) l.blocking = `computes ${s2.name}'s argument ${d.arg + 1} from ${s1.name}'s result`;
    neverWhy.push(`${s2.name}'s argument ${d.arg + 1} is an arbitrary expression of ${s1.name}'s result`);
  }

  // The conditions.
  const reasons = emptyReasons();
  const failed = new Set<Condition>();
  const notDominated = [...between, s2.at].filter((a) => !dominates(f, s1.at, a));
  if (notDominated.length) {
    failed.add('dominance');
    reasons.dominance = `${s1.name} at ${hex(s1.at)} does not dominate ${notDominated.includes(s2.at) ? `${s2.name} at ${hex(s2.at)}` : hex(notDominated[0])}: ${s2.name} is also reached without passing ${s1.name}`;
  } else reasons.dominance = `${s1.name} at ${hex(s1.at)} dominates every instruction of the region`;
  if (user.length) {
    failed.add('safety');
    reasons.safety = `${user.length} instruction(s) of other user code between the calls: ${user.slice(0, 4).map(hex).join(', ')}${user.length > 4 ? ', ...' : ''}`;
  } else reasons.safety = 'only argument set-up, result retrieval and decisions on results between the calls';
  const forced = user.filter((a) => dominates(f, s1.at, a) && dominates(f, a, s2.at));
  if (forced.length) {
    failed.add('convexity');
    reasons.convexity = `${forced.map(hex).join(', ')} run on every path from ${s1.name} to ${s2.name}, so they must be in the region`;
  } else reasons.convexity = user.length ? 'the user code lies on some paths only; nothing that must run between the calls is left out' : 'nothing between the calls is left out of the region';
  if (derived.length) {
    failed.add('argument-safety');
    reasons['argument-safety'] = derived.map((d) => `argument ${d.arg + 1} of ${s2.name} is ${d.detail}`).join('; ');
  } else reasons['argument-safety'] = argSources.length
    ? `${s2.name}'s arguments: ${argSources.map((s) => `${s.arg + 1} ${s.kind === 'outside' ? 'defined before the region' : s.kind === 'result' ? `${s1.name}'s result` : s.kind === 'constant' ? `the constant ${s.detail}` : 'unknown'}`).join(', ')}`
    : `${s2.name} takes no arguments the analysis knows of`;
  const checked = exits.filter((x) => isResultTest(flagsOf, g, x.from));
  const userExits = exits.filter((x) => !isResultTest(flagsOf, g, x.from));
  const innerBranches = branches.filter((a) => a !== backEdge);
  if (backEdge !== undefined) {
    failed.add('linearity');
    reasons.linearity = `the path from ${s1.name} to ${s2.name} goes round the loop's back edge at ${hex(backEdge)}: the calls are in different iterations`;
  } else if (innerBranches.length) {
    failed.add('linearity');
    reasons.linearity = `control flow between the calls branches at ${innerBranches.map(hex).join(', ')} and rejoins`;
  } else reasons.linearity = checked.length
    ? `straight line; the region is left early only on ${s1.name}'s result (${checked.map((x) => hex(x.from)).join(', ')}), which Figure 7's checked entry does`
    : 'straight line';
  if (userExits.length && !failed.has('safety')) {
    failed.add('safety');
    reasons.safety = `the region is left on a decision that is not about a call's result at ${userExits.map((x) => hex(x.from)).join(', ')}`;
  }

  // What would fix it.
  const after: Transformation[] = [];
  const notes: string[] = [];
  const never = neverWhy.length ? neverWhy.join('; ') : undefined;
  if (!never) {
    if (backEdge !== undefined || (failed.has('dominance') && isLoopCarried(f, s1, s2))) {
      after.push('loop-rotation');
      notes.push(`loop-rotation: rotating the loop (section 3.3.3) puts ${s1.name} and the next iteration's ${s2.name} in one straight-line region`);
    }
    if (movable.length) {
      after.push('interchange');
      notes.push(`interchange: ${movable.map(hex).join(', ')} neither feed ${s2.name} nor touch what it reads, and can move past it (section 3.3.1)`);
    }
    if (onResultBranch.length) {
      after.push('mutual-exclusion');
      notes.push(`mutual-exclusion: ${onResultBranch.map(hex).join(', ')} run only on a decision about ${s1.name}'s result; if that handler need not go on to ${s2.name}, make ${s2.name} its else branch (section 3.3.2)`);
    }
    if (failed.has('dominance') && !after.includes('loop-rotation')) notes.push(`no transformation of section 3.3 gives ${s1.name} a single entry over ${s2.name}`);
  }
  if (checked.length) notes.push(`checked entry: ${checked.map((x) => `${hex(x.from)} leaves on ${s1.name}'s result`).join('; ')}`);
  const clusterable = failed.size === 0;
  if (never) notes.push(`never clusterable: ${never}`);
  const fixes = never || clusterable || (failed.has('dominance') && !after.includes('loop-rotation')) ? [] : after;
  return {
    kind: 'pair', function: f.name, calls: [s1.name, s2.name], sites: [s1, s2], start: s1.at, end: s2.at + g.get(s2.at)!.insn.size,
    clusterable, failed: CONDITIONS.filter((c) => failed.has(c)), after: fixes, ...(never ? { never } : {}), reasons, notes,
    lines: [siteLine(g, s1), ...lines, siteLine(g, s2)], arguments: argSources,
    exits: checked.map((x) => `${hex(x.from)} -> ${hex(x.to)} on ${s1.name}'s result`),
  };
}

/** The instructions between, in the order a walk from s1 meets them. */
function pathOrder(g: Map<number, Node>, from: number, between: Set<number>): number[] {
  const out: number[] = [], seen = new Set<number>();
  const queue = [...g.get(from)!.next];
  while (queue.length) {
    const a = queue.shift()!;
    if (seen.has(a) || !between.has(a)) continue;
    seen.add(a);
    out.push(a);
    queue.push(...g.get(a)!.next);
  }
  return out;
}

/** s2 is reached from s1 only around a loop: s2 dominates s1 (the pair spans two iterations). */
function isLoopCarried(f: Func, s1: Site, s2: Site): boolean {
  return dominates(f, s2.at, s1.at);
}

const siteLine = (g: Map<number, Node>, s: Site): RegionLine => {
  const i = g.get(s.at)!.insn;
  return { address: s.at, text: `${i.mnemonic}${i.opStr ? ' ' + i.opStr : ''}  ; ${s.name}`, role: 'call' };
};

function isStackAdjust(ops: Operand[], i: Instruction): boolean {
  return (i.mnemonic === 'add' || i.mnemonic === 'sub') && ops[0]?.kind === 'reg' && ops[0].reg === 'esp' && ops[1]?.kind === 'imm';
}

/** Is the branch (or compare) at `a` a decision on a call's result? */
function isResultTest(flagsOf: Map<number, Val>, g: Map<number, Node>, a: number): boolean {
  const insn = g.get(a)?.insn;
  if (!insn) return false;
  const v = flagsOf.get(a);
  return !!v && (v.k === 'result' || v.k === 'derived');
}

/** Why a user instruction blocks, and whether nothing could ever move it out of the way. */
function blocks(prog: Program, i: Instruction, e: ReturnType<Program['effectOf']>, s2mem: { reads: { ptr: Val; len: number }[]; writes: { ptr: Val; len: number }[] }, s2: Site, st: State | undefined): { text: string; never: boolean; sideEffect: boolean } {
  const touches = s2mem.reads.length + s2mem.writes.length > 0;
  if (e.flow === 'call') {
    const target = e.target !== undefined ? prog.nameOf(e.target) : 'an indirect target';
    return touches
      ? { text: `calls ${target}, whose effects on memory the analysis cannot bound: it may change what ${s2.name} reads or read what it writes`, never: true, sideEffect: true }
      : { text: `calls ${target}; ${s2.name} touches no memory, so the call can move past it`, never: false, sideEffect: true };
  }
  if (e.opaque) return { text: `${i.mnemonic} has effects the analysis does not model`, never: true, sideEffect: true };
  for (const m of e.memWrite) {
    if (mayAlias(m, s2mem.reads, st)) return { text: `writes memory that ${s2.name} reads: it changes what the later call reads`, never: true, sideEffect: true };
  }
  // Moving it past the next call would let it see that call's data; it cannot move above the first call either when it reads memory.
  for (const m of e.memRead) {
    if (mayAlias(m, s2mem.writes, st)) return { text: `reads memory that ${s2.name} writes: it must run before ${s2.name}, and it needs what the first call left`, never: true, sideEffect: e.memWrite.length > 0 };
  }
  if (e.memWrite.length) return { text: `writes memory ${s2.name} does not read (a variable of the program)`, never: false, sideEffect: true };
  return { text: e.flow === 'jcc' ? 'a decision that is not about a call\'s result' : 'computes a value no call uses', never: false, sideEffect: false };
}

function mayAlias(m: Mem, inputs: { ptr: Val; len: number }[], st: State | undefined): boolean {
  if (m.base === 'esp' && !m.index) return inputs.some(({ ptr: v }) => v.stack || v.k !== 'const');
  if (m.base === 'ebp' && !m.index) return inputs.some(({ ptr: v, len }) => v.stack && (v.frame === undefined || (m.disp + m.size > v.frame && m.disp < v.frame + len)));
  if (!m.base && !m.index) {
    const at = m.disp >>> 0;
    return inputs.some(({ ptr: v, len }) => v.k === 'const' ? at + m.size > v.c! && at < v.c! + len : !v.stack);
  }
  const base = m.base ? st?.regs.get(m.base) : undefined;
  if (base?.stack) return inputs.some(({ ptr: v }) => v.stack);
  return inputs.length > 0;
}

/** One instruction's effect on the symbolic state; returns the value it defines, if any. */
function transfer(prog: Program, i: Instruction, st: State, s1Writes: boolean): Val | undefined {
  const e = prog.effectOf(i);
  const a = i.address;
  const key = (m: Mem): string | undefined => {
    if (m.seg) return undefined;
    if (m.base === 'esp' && !m.index) return st.delta === undefined ? undefined : `s:${st.delta + m.disp}`;
    if (m.base === 'ebp' && !m.index && st.regs.get('ebp')?.what === 'ebp') return `b:${m.disp}`;
    if (!m.base && !m.index) return `a:${m.disp >>> 0}`;
    return undefined;
  };
  const readMem = (m: Mem): Val => {
    const k = key(m);
    const got = k ? st.mem.get(k) : undefined;
    if (got) return got;
    const addrVals = [m.base, m.index].filter((r): r is Reg => !!r).map((r) => st.regs.get(r) ?? outside(r));
    if (addrVals.some((v) => v.k === 'result' || v.k === 'derived')) return combine(addrVals, a);
    // Memory the first call wrote (its buffer) holds values derived from that call.
    if (s1Writes && !(k && (k.startsWith('s:') || k.startsWith('b:')))) return { k: 'derived', call: 0, defs: [a], what: 'memory the first call may have written' };
    return { k: 'outside', defs: [...addrVals.flatMap((v) => v.defs), a], what: `memory ${i.opStr.split(',').pop()!.trim()} defined before the region` };
  };
  const val = (o: Operand | undefined): Val => {
    if (!o) return unknown;
    if (o.kind === 'imm') return { k: 'const', c: o.value, defs: [a] };
    if (o.kind === 'reg') return st.regs.get(o.reg) ?? outside(o.reg);
    if (o.kind === 'mem') return readMem(o.mem);
    return unknown;
  };
  const write = (o: Operand | undefined, v: Val) => {
    if (!o) return;
    if (o.kind === 'reg') {
      if (o.reg === 'esp') st.delta = undefined;
      st.regs.set(o.reg, v);
    } else if (o.kind === 'mem') {
      const k = key(o.mem);
      if (k) st.mem.set(k, v);
    }
  };
  const [d, s] = e.ops;
  const m = i.mnemonic;
  if (m === 'push') {
    const v = { ...val(d), defs: [...val(d).defs, a] };
    if (st.delta !== undefined) { st.delta -= 4; st.mem.set(`s:${st.delta}`, v); }
    return v;
  }
  if (m === 'pop') {
    const v = st.delta !== undefined ? st.mem.get(`s:${st.delta}`) ?? outside('a saved value') : unknown;
    if (st.delta !== undefined) st.delta += 4;
    write(d, v);
    return v;
  }
  if ((m === 'add' || m === 'sub') && d?.kind === 'reg' && d.reg === 'esp' && s?.kind === 'imm') {
    if (st.delta !== undefined) st.delta += m === 'add' ? s.value | 0 : -(s.value | 0);
    return undefined;
  }
  if (m === 'mov' || m === 'movzx' || m === 'movsx') {
    const v = val(s);
    const nv: Val = { ...v, defs: [...v.defs, a] };
    write(d, nv);
    return nv;
  }
  if (m === 'lea' && s?.kind === 'mem') {
    const parts = [s.mem.base, s.mem.index].filter((r): r is Reg => !!r).map((r) => st.regs.get(r) ?? outside(r));
    const v = parts.length === 1 && !s.mem.index && s.mem.disp === 0 ? { ...parts[0], defs: [...parts[0].defs, a] } : combine(parts.length ? parts : [{ k: 'const', c: 0, defs: [] } as Val], a);
    if (s.mem.base === 'esp' || s.mem.base === 'ebp') v.stack = true;
    if (s.mem.base === 'ebp' && !s.mem.index && st.regs.get('ebp')?.what === 'ebp') v.frame = s.mem.disp;
    if (!parts.length) { v.k = 'const'; v.c = s.mem.disp >>> 0; }
    write(d, v);
    return v;
  }
  if (e.flow === 'call') {
    for (const r of ['eax', 'ecx', 'edx']) st.regs.set(r, { ...unknown, defs: [a] });
    st.regs.set('flags', unknown);
    return undefined;
  }
  if (['cmp', 'test'].includes(m)) {
    st.regs.set('flags', combine([val(d), val(s)], a));
    return undefined;
  }
  if (e.flow !== 'none') return undefined;
  // Arithmetic and everything else: the destination becomes a combination of what it read.
  const zero = (m === 'xor' || m === 'sub') && d?.kind === 'reg' && s?.kind === 'reg' && d.reg === s.reg;
  const ops: Record<string, (x: number, y: number) => number> = { add: (x, y) => x + y, sub: (x, y) => x - y, and: (x, y) => x & y, or: (x, y) => x | y, xor: (x, y) => x ^ y, shl: (x, y) => x << y };
  const read = [...e.uses].filter((r) => r !== 'flags').map((r) => st.regs.get(r) ?? outside(r));
  for (const mm of e.memRead) read.push(readMem(mm));
  const v: Val = zero ? { k: 'const', c: 0, defs: [a] } : e.ops.length === 2 && ops[m] ? combine([val(d), val(s)], a, ops[m]) : combine(read.length ? read : [unknown], a);
  for (const r of e.defs) if (r !== 'flags') st.regs.set(r, v);
  for (const mm of e.memWrite) { const k = key(mm); if (k) st.mem.set(k, v); }
  if (e.defs.has('flags')) st.regs.set('flags', v);
  if (e.defs.has('esp')) st.delta = undefined;
  return v;
}

// ---------------------------------------------------------------------------------------

/**
 * A loop whose body's calls form one cycle of pairs (section 3.4's rule: a region that is
 * a loop's whole body grows to the loop): listed once, in the order the loop is entered.
 */
function loopRegions(prog: Program, f: Func, g: Map<number, Node>, sites: Site[], pairs: Region[]): Region[] {
  const out: Region[] = [];
  const seen = new Set<string>();
  for (const b of f.blocks.values()) {
    for (const h of b.succs) {
      if (!dominatesBlock(f.idom, h, b.start)) continue; // not a back edge
      const body = naturalLoop(f, h, b.start);
      const inLoop = sites.filter((s) => body.has(blockOf(f, s.at)!.start));
      if (!inLoop.length) continue;
      const key = [...inLoop.map((s) => s.at)].sort().join();
      if (seen.has(key)) continue;
      seen.add(key);
      const here = pairs.filter((r) => r.kind === 'pair' && r.function === f.name && r.sites.every((s) => inLoop.includes(s)));
      // Order: from the first call reached from the loop header.
      const ordered = [...inLoop].sort((x, y) => (f.rpo.get(blockOf(f, x.at)!.start)! - f.rpo.get(blockOf(f, y.at)!.start)!) || x.at - y.at);
      const blockers = here.filter((r) => r.never);
      const otherFails = here.flatMap((r) => r.failed.filter((c) => !(c === 'linearity' || c === 'dominance') || !r.after.includes('loop-rotation')));
      const exits = loopExits(prog, f, g, body, inLoop);
      const reasons = emptyReasons();
      const failed: Condition[] = ['linearity'];
      reasons.dominance = `the loop header ${hex(h)} dominates the loop's body`;
      reasons.safety = otherFails.includes('safety') ? 'user code in the loop body (see the pairs)' : 'only the calls, their arguments and tests of their results in the loop body';
      reasons.convexity = otherFails.includes('convexity') ? 'user code runs on every iteration between the calls' : 'the loop body is the whole region';
      reasons['argument-safety'] = otherFails.includes('argument-safety') ? 'an argument is an expression of a result (see the pairs)' : 'each argument is a constant, defined before the loop, or a result from the same iteration';
      reasons.linearity = `a loop (back edge ${hex(b.insns[b.insns.length - 1].address)} -> ${hex(h)}): a multi-call is straight-line; a looped specialized call (section 3.4) takes the whole loop`;
      for (const c of otherFails) if (!failed.includes(c)) failed.push(c);
      const never = blockers.length ? blockers.map((r) => r.never).join('; ') : undefined;
      out.push({
        kind: 'loop', function: f.name, calls: ordered.map((s) => s.name), sites: ordered, start: Math.min(...[...body]),
        end: Math.max(...[...body].map((s) => { const bl = f.blocks.get(s)!; const l = bl.insns[bl.insns.length - 1]; return l.address + l.size; })),
        clusterable: false, failed: CONDITIONS.filter((c) => failed.includes(c)), after: never || otherFails.length ? [] : ['loop-rotation'], ...(never ? { never } : {}),
        reasons, notes: [`the loop ${exits.length ? `ends when ${exits.join(' or ')}` : 'has no exit found'}; a looped call must stop on the same tests`],
        lines: [...body].sort((x, y) => x - y).flatMap((s) => f.blocks.get(s)!.insns.map((i): RegionLine => ({ address: i.address, text: `${i.mnemonic}${i.opStr ? ' ' + i.opStr : ''}`, role: inLoop.some((x) => x.at === i.address) ? 'call' : roleIn(here, i.address) }))),
        arguments: [], exits,
      });
    }
  }
  return out;
}

const roleIn = (pairs: Region[], a: number): Role => pairs.flatMap((r) => r.lines).find((l) => l.address === a && l.role !== 'call')?.role ?? 'user';

function naturalLoop(f: Func, header: number, tail: number): Set<number> {
  const body = new Set([header]);
  const stack = [tail];
  while (stack.length) {
    const n = stack.pop()!;
    if (body.has(n)) continue;
    body.add(n);
    stack.push(...f.blocks.get(n)!.preds);
  }
  return body;
}

/** The tests that leave a loop, said in terms of the calls whose results they test. */
function loopExits(prog: Program, f: Func, g: Map<number, Node>, body: Set<number>, sites: Site[]): string[] {
  const out: string[] = [];
  for (const s of body) {
    const b = f.blocks.get(s)!;
    const last = b.insns[b.insns.length - 1];
    if (!b.succs.some((t) => !body.has(t))) continue;
    // Find the compare before the branch and the call whose result it tests.
    const k = b.insns.length - 2;
    const cmp = k >= 0 ? b.insns[k] : undefined;
    const site = [...sites].reverse().find((x) => x.at < last.address && blockOf(f, x.at)?.start === b.start)
      ?? sites.find((x) => b.preds.includes(blockOf(f, x.at)!.start));
    const stays = b.succs.find((t) => body.has(t));
    const cond = jccCondition(last.mnemonic, stays === (prog.effectOf(last).target ?? -1));
    if (cmp && site && /^(test|cmp)/.test(cmp.mnemonic) && /eax/.test(cmp.opStr)) out.push(`${site.name}'s result ${cond} (${hex(last.address)})`);
    else out.push(`the test at ${hex(last.address)} leaves the loop`);
  }
  return [...new Set(out)];
}

/** The condition under which a `test eax, eax` branch LEAVES, given whether staying is the taken side. */
function jccCondition(m: string, stayIsTaken: boolean): string {
  const taken: Record<string, string> = { jg: '> 0', jle: '<= 0', js: '< 0', jns: '>= 0', je: '== 0', jne: '!= 0', jl: '< 0', jge: '>= 0' };
  const negate: Record<string, string> = { '> 0': '<= 0', '<= 0': '> 0', '< 0': '>= 0', '>= 0': '< 0', '== 0': '!= 0', '!= 0': '== 0' };
  const t = taken[m] ?? `(${m})`;
  return stayIsTaken ? negate[t] ?? `not ${t}` : t;
}

/** Two calls in different functions: the second is the first call of a function called after the first. */
function splitRegion(prog: Program, f: Func, s1: Site, g2: Func, s2: Site, callAt: number): Region {
  const reasons = emptyReasons();
  reasons.dominance = `${s1.name} is in ${f.name}, ${s2.name} in ${g2.name} (called at ${hex(callAt)}): no one control-flow graph holds both`;
  reasons.safety = `the call to ${g2.name} and its prologue lie between`;
  reasons.convexity = 'not checked across functions';
  reasons['argument-safety'] = 'not checked across functions';
  reasons.linearity = 'not checked across functions';
  return {
    kind: 'split', function: f.name, calls: [s1.name, s2.name], sites: [s1, s2], start: s1.at, end: s2.at,
    clusterable: false, failed: ['dominance', 'safety'], after: ['inlining'], reasons,
    notes: [`inlining: inline ${g2.name} at ${hex(callAt)} (section 3.3), then check the pair again within ${f.name}`],
    lines: [{ address: s1.at, text: `${describeSite(s1)}`, role: 'call' }, { address: callAt, text: `call ${g2.name}`, role: 'user', blocking: `${s2.name} is inside ${g2.name}` }, { address: s2.at, text: `${describeSite(s2)} in ${g2.name}`, role: 'call' }],
    arguments: [], exits: [],
  };
}
