// System-call sites: `int 0x80` and glibc's `call *%gs:0x10` with the number in eax found
// by constant propagation, and calls to system-call stubs (the project's generated
// stubs, glibc's and musl's wrappers: small functions that only move their arguments into
// registers and trap), which are treated as if inlined at the call.
import { personality, PLAIN_ARITY } from '../kernel-model/table.js';
import { i386Name } from '../kernel-model/i386-names.js';
import type { ArgKind } from '../kernel-model/syscall.js';
import type { Func, Program } from './cfg.js';
import { hex, isVsyscallCall } from './x86.js';

export interface Site {
  func: Func;
  /** The `int 0x80`, the `call *%gs:0x10` or the call to the stub. */
  at: number;
  nr: number | undefined;
  name: string;
  via: 'int 0x80' | 'vsyscall' | 'stub';
  stub?: string;
  /** Argument kinds from the syscall table (empty when the call is not modelled). */
  args: ArgKind[];
}

/** A function that is only a system-call stub, and the number it makes. */
export interface Stub { func: Func; nr: number; name: string }

/** Names and argument kinds by number, in the numbering the binary was built for. */
export function callNames(prog: Program): (nr: number | undefined) => { name: string; args: ArgKind[] } {
  const paper = prog.bin.symbols.some((s) => s.name === 'multi_call');
  const table = personality(paper ? 'paper' : 'modern').table;
  return (nr) => {
    if (nr === undefined) return { name: 'syscall(?)', args: [] };
    const spec = table.get(nr);
    if (spec) return { name: spec.name, args: spec.args.map((a) => a.kind) };
    return { name: i386Name(nr) ?? `syscall_${nr}`, args: [] };
  };
}

const STUB_MAX_INSTRUCTIONS = 48;

/** Direct traps in a function: each `int 0x80` or `call *%gs:0x10` with its number when constant. */
function directTraps(prog: Program, f: Func): { at: number; nr: number | undefined; via: Site['via'] }[] {
  const out: { at: number; nr: number | undefined; via: Site['via'] }[] = [];
  for (const b of f.blocks.values()) for (const i of b.insns) {
    const e = prog.effectOf(i);
    if (e.flow === 'syscall') out.push({ at: i.address, nr: prog.eaxBefore(f, i.address), via: 'int 0x80' });
    else if (isVsyscallCall(i)) out.push({ at: i.address, nr: prog.eaxBefore(f, i.address), via: 'vsyscall' });
  }
  return out.sort((a, b) => a.at - b.at);
}

export interface SiteIndex {
  stubs: Map<number, Stub>;
  /** Sites by function entry, in address order. */
  byFunc: Map<number, Site[]>;
  all: Site[];
}

export function findSites(prog: Program): SiteIndex {
  const names = callNames(prog);
  const traps = new Map([...prog.funcs.values()].map((f) => [f.entry, directTraps(prog, f)]));
  const stubs = new Map<number, Stub>();
  for (const f of prog.funcs.values()) {
    const t = traps.get(f.entry)!;
    const size = [...f.blocks.values()].reduce((n, b) => n + b.insns.length, 0);
    if (f.entry === prog.bin.image.entry || !t.length || t[0].nr === undefined || t.some((x) => x.nr !== t[0].nr) || size > STUB_MAX_INSTRUCTIONS) continue;
    // Calls out of a wrapper may only reach code without traps (errno setters, cancellation hooks).
    if ([...f.calls.values()].some((c) => (traps.get(c)?.length ?? 0) > 0)) continue;
    stubs.set(f.entry, { func: f, nr: t[0].nr, name: names(t[0].nr).name });
  }
  const byFunc = new Map<number, Site[]>();
  const all: Site[] = [];
  for (const f of prog.funcs.values()) {
    if (stubs.has(f.entry)) continue;
    const sites: Site[] = traps.get(f.entry)!.map((t) => ({ func: f, at: t.at, nr: t.nr, via: t.via, ...names(t.nr) }));
    for (const [at, callee] of f.calls) {
      const s = stubs.get(callee);
      if (s) sites.push({ func: f, at, nr: s.nr, via: 'stub', stub: s.func.name, ...names(s.nr) });
    }
    sites.sort((a, b) => a.at - b.at);
    if (sites.length) byFunc.set(f.entry, sites);
    all.push(...sites);
  }
  return { stubs, byFunc, all };
}

export const arityOf = (s: Site) => s.args.length || (PLAIN_ARITY.get(s.name) ?? 0);
export const describeSite = (s: Site) => `${s.name} at ${hex(s.at)}${s.via === 'stub' ? ` (call ${s.stub})` : s.via === 'vsyscall' ? ' (call *%gs:0x10)' : ' (int 0x80)'}`;
