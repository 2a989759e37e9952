// Recursive-descent disassembly from the entry point and the symbol table: functions,
// their basic blocks and control-flow graphs, the call graph, which functions never
// return, and dominators and post-dominators (Cooper, Harvey and Kennedy, "A Simple,
// Fast Dominance Algorithm"). The program is read, never run.
import { Disassembler, type Instruction } from '../emulator/disasm.js';
import { PF_X } from '../emulator/elf.js';
import { codeAt, isCode, type Binary } from './binary.js';
import { effect, hex, isVsyscallCall, type Effect } from './x86.js';

export interface Block {
  start: number;
  insns: Instruction[];
  succs: number[];
  preds: number[];
}

export interface Func {
  name: string;
  entry: number;
  blocks: Map<number, Block>;
  /** Direct calls and tail jumps: instruction address → callee entry. */
  calls: Map<number, number>;
  /** Never returns to its caller (no reachable ret; every way out ends the process). */
  noreturn: boolean;
  /** Has a jump through a register or memory (a switch table): its CFG may be incomplete. */
  indirectJumps: number;
  /** Immediate dominator and post-dominator of each block (the entry's is itself; -1: the virtual exit). */
  idom: Map<number, number>;
  ipdom: Map<number, number>;
  /** Reverse postorder index of each block, for ordering. */
  rpo: Map<number, number>;
}

const EXIT_CALLS = new Set([1, 252]); // exit, exit_group
const VIRTUAL_EXIT = -1;

export class Program {
  readonly funcs = new Map<number, Func>();
  private readonly insns = new Map<number, Instruction>();
  private readonly effects = new Map<number, Effect>();
  private readonly named = new Map<number, string>();
  private readonly state = new Map<number, 'busy' | 'done'>();
  /** Instructions decoded, for reports. */
  decoded = 0;

  private constructor(readonly bin: Binary, private readonly cs: Disassembler) {
    for (const s of bin.symbols) if (!this.named.has(s.address)) this.named.set(s.address, s.name);
  }

  static async load(bin: Binary): Promise<Program> {
    const p = new Program(bin, await Disassembler.create());
    const roots = [bin.image.entry, ...bin.symbols.map((s) => s.address)];
    for (const r of roots) p.func(r);
    // A stripped binary names no functions: code pointers stored in its data (tables of
    // handlers, like busybox's applets) are the other way in.
    if (!bin.symbols.length) for (const r of codePointers(bin)) p.func(r);
    return p;
  }

  nameOf(address: number): string {
    return this.named.get(address) ?? (address === this.bin.image.entry ? '_start' : `sub_${(address >>> 0).toString(16)}`);
  }

  insnAt(address: number): Instruction | undefined {
    let i = this.insns.get(address);
    if (i) return i;
    const code = codeAt(this.bin, address, 96);
    if (code.length === 0) return undefined;
    for (const d of this.cs.disasm(code, address)) {
      if (!this.insns.has(d.address)) { this.insns.set(d.address, d); this.decoded++; }
    }
    i = this.insns.get(address);
    return i;
  }

  effectOf(i: Instruction): Effect {
    let e = this.effects.get(i.address);
    if (!e) { e = effect(i); this.effects.set(i.address, e); }
    return e;
  }

  /** The function at `entry`, discovered (with its callees first) on first use. */
  func(entry: number): Func | undefined {
    if (!isCode(this.bin, entry)) return undefined;
    if (this.state.get(entry) === 'busy') return undefined; // recursion: assume it returns
    if (!this.state.has(entry)) { this.state.set(entry, 'busy'); this.explore(entry); this.state.set(entry, 'done'); }
    return this.funcs.get(entry);
  }

  /** The constant in eax just before `address` in `f`, by constant propagation back through single predecessors. */
  eaxBefore(f: Func, address: number): number | undefined {
    const block = blockOf(f, address);
    let b = block, idx = b ? b.insns.findIndex((i) => i.address === address) : -1;
    for (let hops = 0; b && hops < 4; hops++) {
      for (let k = idx - 1; k >= 0; k--) {
        const i = b.insns[k], e = this.effectOf(i);
        if (!e.defs.has('eax')) continue;
        if (i.mnemonic === 'mov' && e.ops[1]?.kind === 'imm') return e.ops[1].value;
        if ((i.mnemonic === 'xor' || i.mnemonic === 'sub') && e.ops[0]?.kind === 'reg' && e.ops[1]?.kind === 'reg' && e.ops[0].reg === 'eax' && e.ops[1].reg === 'eax') return 0;
        return undefined;
      }
      if (b.preds.length !== 1) return undefined;
      b = f.blocks.get(b.preds[0]);
      idx = b ? b.insns.length : -1;
    }
    return undefined;
  }

  private explore(entry: number): void {
    const visited = new Set<number>();
    const leaders = new Set<number>([entry]);
    const noFall = new Set<number>(); // calls and traps after which control never continues
    const calls = new Map<number, number>();
    let returns = false, indirect = 0, tailToReturning = false;
    const queue = [entry];
    const symbolEntries = this.named;
    while (queue.length) {
      let a = queue.pop()!;
      let eax: number | undefined;
      for (;;) {
        if (visited.has(a)) { leaders.add(a); break; }
        const i = this.insnAt(a);
        if (!i) break;
        visited.add(a);
        const e = this.effectOf(i);
        const next = a + i.size;
        const code = (t?: number) => t !== undefined && isCode(this.bin, t);
        if (e.flow === 'jcc') {
          if (code(e.target)) { leaders.add(e.target!); queue.push(e.target!); }
          leaders.add(next); queue.push(next);
          break;
        }
        if (e.flow === 'jmp') {
          if (e.target === undefined) { indirect++; break; }
          if (!code(e.target)) break;
          if (e.target !== entry && symbolEntries.has(e.target)) {
            const callee = this.func(e.target);
            calls.set(a, e.target); // a tail call
            if (!callee || !callee.noreturn) tailToReturning = true;
            break;
          }
          leaders.add(e.target); queue.push(e.target);
          break;
        }
        if (e.flow === 'ret') { returns = true; break; }
        if (e.flow === 'stop') break;
        if ((e.flow === 'syscall' || isVsyscallCall(i)) && eax !== undefined && EXIT_CALLS.has(eax)) { noFall.add(a); break; }
        if (e.flow === 'call' && e.target !== undefined && code(e.target)) {
          calls.set(a, e.target);
          const callee = this.func(e.target);
          if (callee?.noreturn) { noFall.add(a); break; }
        }
        if (i.mnemonic === 'mov' && e.ops[0]?.kind === 'reg' && e.ops[0].reg === 'eax' && e.ops[1]?.kind === 'imm') eax = e.ops[1].value;
        else if (e.defs.has('eax')) eax = (i.mnemonic === 'xor' && i.opStr === 'eax, eax') ? 0 : undefined;
        a = next;
      }
    }
    // Basic blocks: from each leader to a branch, a non-returning call, or the next leader.
    const blocks = new Map<number, Block>();
    for (const start of [...leaders].filter((l) => visited.has(l)).sort((x, y) => x - y)) {
      const b: Block = { start, insns: [], succs: [], preds: [] };
      let a = start;
      for (;;) {
        const i = this.insns.get(a)!;
        b.insns.push(i);
        const e = this.effectOf(i), next = a + i.size;
        if (e.flow === 'jcc') { b.succs.push(...[e.target, next].filter((t): t is number => t !== undefined && visited.has(t))); break; }
        if (e.flow === 'jmp') { if (e.target !== undefined && visited.has(e.target) && !(e.target !== entry && symbolEntries.has(e.target))) b.succs.push(e.target); break; }
        if (e.flow === 'ret' || e.flow === 'stop' || noFall.has(a)) break;
        if (!visited.has(next)) break;
        if (leaders.has(next)) { b.succs.push(next); break; }
        a = next;
      }
      b.succs = [...new Set(b.succs)];
      blocks.set(start, b);
    }
    for (const b of blocks.values()) for (const s of b.succs) blocks.get(s)?.preds.push(b.start);
    if (!blocks.has(entry)) return; // the bytes at the entry do not decode: no function here
    const f: Func = {
      name: this.nameOf(entry), entry, blocks, calls, noreturn: !returns && indirect === 0 && !tailToReturning,
      indirectJumps: indirect, idom: new Map(), ipdom: new Map(), rpo: new Map(),
    };
    dominators(f);
    this.funcs.set(entry, f);
  }
}

/** Words in the non-executable segments that point into code. */
function codePointers(bin: Binary): number[] {
  const out = new Set<number>();
  for (const s of bin.image.segments) {
    if (s.flags & PF_X) continue;
    const dv = new DataView(bin.file.buffer, bin.file.byteOffset + s.offset, s.filesz);
    for (let o = (4 - (s.vaddr % 4)) % 4; o + 4 <= s.filesz; o += 4) {
      const w = dv.getUint32(o, true);
      if (isCode(bin, w)) out.add(w);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** Cooper, Harvey and Kennedy's iterative algorithm, on the CFG and on its reverse (with one virtual exit). */
function dominators(f: Func): void {
  const succ = (n: number) => (n === VIRTUAL_EXIT ? [] : f.blocks.get(n)!.succs);
  const pred = (n: number) => f.blocks.get(n)!.preds;
  const order = postorder(f.entry, succ);
  order.reverse().forEach((n, i) => f.rpo.set(n, i));
  f.idom = solve(order, f.entry, pred);
  // Post-dominators: the reverse graph, from a virtual exit that every block without successors reaches.
  const exits = [...f.blocks.values()].filter((b) => b.succs.length === 0).map((b) => b.start);
  const rsucc = (n: number) => (n === VIRTUAL_EXIT ? exits : f.blocks.get(n)!.preds);
  const rpred = (n: number) => { const b = f.blocks.get(n)!; return b.succs.length === 0 ? [VIRTUAL_EXIT] : b.succs; };
  const rorder = postorder(VIRTUAL_EXIT, rsucc).reverse();
  f.ipdom = solve(rorder, VIRTUAL_EXIT, (n) => (n === VIRTUAL_EXIT ? [] : rpred(n)));
}

function postorder(root: number, succ: (n: number) => number[]): number[] {
  const out: number[] = [], seen = new Set<number>([root]);
  const stack: [number, number][] = [[root, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const s = succ(top[0]);
    if (top[1] < s.length) {
      const n = s[top[1]++];
      if (!seen.has(n)) { seen.add(n); stack.push([n, 0]); }
    } else { out.push(top[0]); stack.pop(); }
  }
  return out;
}

/** `rpo` in reverse postorder from `root`; returns each node's immediate dominator. */
function solve(rpo: number[], root: number, pred: (n: number) => number[]): Map<number, number> {
  const index = new Map(rpo.map((n, i) => [n, i]));
  const idom = new Map<number, number>([[root, root]]);
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (index.get(a)! > index.get(b)!) a = idom.get(a)!;
      while (index.get(b)! > index.get(a)!) b = idom.get(b)!;
    }
    return a;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const n of rpo) {
      if (n === root) continue;
      const ps = pred(n).filter((p) => idom.has(p));
      if (!ps.length) continue;
      const d = ps.slice(1).reduce(intersect, ps[0]);
      if (idom.get(n) !== d) { idom.set(n, d); changed = true; }
    }
  }
  return idom;
}

/** Does block `a` dominate block `b` (by the tree `tree`)? */
export function dominatesBlock(tree: Map<number, number>, a: number, b: number): boolean {
  for (let n: number | undefined = b; n !== undefined;) {
    if (n === a) return true;
    const up = tree.get(n);
    if (up === undefined || up === n) return false;
    n = up;
  }
  return false;
}

const blockIndex = new WeakMap<Func, Map<number, Block>>();

/** The block holding the instruction at `address`. */
export const blockOf = (f: Func, address: number): Block | undefined => {
  let index = blockIndex.get(f);
  if (!index) {
    index = new Map();
    for (const b of f.blocks.values()) for (const i of b.insns) index.set(i.address, b);
    blockIndex.set(f, index);
  }
  return index.get(address);
};

/** Instruction-level dominance: `a` runs before `b` on every path from the entry to `b`. */
export function dominates(f: Func, a: number, b: number, tree = f.idom): boolean {
  const ba = blockOf(f, a), bb = blockOf(f, b);
  if (!ba || !bb) return false;
  if (ba === bb) return tree === f.idom ? a <= b : a >= b;
  return dominatesBlock(tree, ba.start, bb.start);
}

export const describeFunc = (f: Func) => `${f.name} (${hex(f.entry)}, ${f.blocks.size} blocks)`;
