// Automatic clustering (paper sections 2.2 and 3.3.4, Figure 7) on the machine code: each
// chosen region a -> b that the analysis finds clusterable as it stands becomes one
// multi-call. The call to a's stub is replaced by a jump to a trampoline that
//   1. copies a's arguments (the stack slots the region's code pushed) to argument slots;
//   2. runs the region's own set-up code for b with a placeholder for a's result, and
//      copies b's arguments that do not depend on a's result to argument slots
//      (constants are in their slots already; a result argument points at a's result slot);
//   3. restores the registers and issues the multi-call: entry 1 is a, checked when the
//      region's code leaves on a's result (stop on < 0, or on <= 0), entry 2 is b;
//   4. if a stopped the batch, resumes after a's call with a's result in eax: the original
//      code then takes its own exit (the error handling stays in user code); otherwise it
//      runs the region's code again with a's real result (the same set-up and retrieval the
//      original runs, so registers and memory end as the original leaves them), puts b's
//      result in eax and resumes after b's call.
// ecx and edx are left as the project's stubs leave them (the second and third arguments).
// On a kernel without the multi-call (it returns an error, not an entry index), the
// trampoline makes a's call as the original did and resumes after it: the original code
// then runs as it always did.
import { formatInstruction, type Instruction } from '../emulator/disasm.js';
import { PF_W, PF_X } from '../emulator/elf.js';
import { arityOf } from '../analysis/sites.js';
import type { BinaryAnalysis } from '../analysis/index.js';
import type { Region } from '../analysis/regions.js';
import { hex } from '../analysis/x86.js';
import type { SpecializedDef } from '../kernel-model/specialized.js';
import { personality } from '../kernel-model/table.js';
import { Asm, conditionOf, jmpBytes, signsTaken } from './asm.js';
import { layout, NoRoom, writeElf } from './elf.js';

export { NoRoom };

export const CHECK_ERROR = 1, CHECK_NOT_POSITIVE = 2;

export interface Patch { address: number; old: number[]; bytes: number[] }

/** A region to rewrite, with what its trampoline needs. */
interface Plan {
  region: Region;
  between: Instruction[];
  check: number;
  /** b's arguments: a constant, a's result, or a value copied at the trampoline. */
  bArgs: ({ kind: 'const'; value: number } | { kind: 'result' } | { kind: 'copy' })[];
  aArity: number;
  /** The stub a's call goes to. */
  stubA: number;
  /** A specialized call used instead of the multi-call. */
  special?: SpecialMatch;
}

/** Where a specialized call's parameter comes from: a's argument k, b's argument k, or a constant. */
type Source = { kind: 'a'; k: number } | { kind: 'b'; k: number } | { kind: 'const'; value: number };
interface SpecialMatch {
  name: string;
  nr: number;
  params: Source[];
  /** Values the program must have for the call to match (checked at run time; else the original calls run). */
  equal: [Source, Source][];
}

export interface Rewritten { region: Region; trampoline: number; check: number; specialized?: string }
export interface LeftAlone { region: Region; why: string }

export interface ClusterResult {
  rewritten: Rewritten[];
  left: LeftAlone[];
  /** Regions that need a transformation first: listed, not rewritten. */
  needTransformation: Region[];
  patches: Patch[];
  /** The new executable, when anything was rewritten. */
  output?: Uint8Array;
  /** The trampolines, for --dry-run. */
  trampolines: { region: Region; address: number; code: Uint8Array }[];
  multicallNr: number;
}

export interface ClusterOptions {
  /** Only pairs named `a,b` (or a region's start address in hex). */
  regions?: string[];
  /** Profile weight of each pair `a,b`; when given, only pairs the run took, heaviest first. */
  weights?: Map<string, number>;
  /** Specialized calls (with their numbers) to use where one matches a region exactly. */
  specialized?: { def: SpecializedDef; nr: number }[];
}

const pairKey = (r: Region) => r.calls.join(',');

export function cluster(a: BinaryAnalysis, o: ClusterOptions = {}): ClusterResult {
  const bin = a.program.bin;
  const paper = bin.symbols.some((s) => s.name === 'multi_call');
  const multicallNr = personality(paper ? 'paper' : 'modern').multicallNr;
  const selfModifying = bin.image.segments.find((s) => (s.flags & PF_X) && (s.flags & PF_W));
  const result: ClusterResult = { rewritten: [], left: [], needTransformation: [], patches: [], trampolines: [], multicallNr };

  const wanted = (r: Region) => !o.regions || o.regions.some((w) => w === pairKey(r) || w === r.calls.join('->') || Number.parseInt(w, 16) === r.start);
  const regions = a.regions.filter(wanted);
  result.needTransformation = regions.filter((r) => !r.clusterable && r.after.length);
  for (const r of regions.filter((x) => !x.clusterable && !x.after.length)) {
    result.left.push({ region: r, why: r.never ? `never clusterable: ${r.never}` : `fails ${r.failed.join(', ')}: ${r.failed.map((c) => r.reasons[c]).join('; ')}` });
  }
  const loops = a.regions.filter((r) => r.kind === 'loop');
  const inLoop = (r: Region) => loops.some((l) => r.sites.every((s) => l.lines.some((x) => x.address === s.at)));
  const weight = (r: Region) => o.weights?.get(pairKey(r)) ?? 0;
  const candidates = regions.filter((r) => r.kind === 'pair' && r.clusterable)
    .filter((r) => { if (o.weights && !weight(r)) { result.left.push({ region: r, why: 'the profile never takes this pair' }); return false; } return true; })
    .sort((x, y) => weight(y) - weight(x) || Number(inLoop(y)) - Number(inLoop(x)) || x.start - y.start);

  const plans: Plan[] = [];
  const taken = new Map<number, Region>();
  for (const r of candidates) {
    const why = selfModifying ? `the code segment at ${hex(selfModifying.vaddr)} is writable: the program may change its own code`
      : bin.image.dynamic ? 'a position-independent program (ET_DYN): the trampolines use absolute addresses'
      : bin.image.interp ? `a dynamically linked program (${bin.image.interp}): only static programs are rewritten` : undefined;
    if (why) { result.left.push({ region: r, why }); continue; }
    const other = taken.get(r.sites[0].at);
    if (other) { result.left.push({ region: r, why: `its first call is already the start of ${other.calls.join(' -> ')} (${hex(other.start)}), chosen first` }); continue; }
    const p = planRegion(a, r);
    if (typeof p === 'string') { result.left.push({ region: r, why: p }); continue; }
    if (o.specialized) {
      const m = o.specialized.map((d) => matchSpecialized(p, d.def, d.nr)).find((x): x is SpecialMatch => typeof x !== 'string');
      if (m) p.special = m;
    }
    taken.set(r.sites[0].at, r);
    plans.push(p);
  }
  plans.sort((x, y) => x.region.start - y.region.start);
  if (!plans.length) return result;

  // Assemble once to learn the sizes, then at the final addresses.
  const build = (codeBase: number, dataBase: number) => {
    const datas: number[] = [];
    const asms: Asm[] = [];
    let code = codeBase, data = dataBase;
    for (const p of plans) {
      const { asm, words } = trampoline(p, code, data, multicallNr);
      asms.push(asm);
      datas.push(...words);
      code += asm.bytes.length;
      data += words.length * 4;
    }
    return { asms, datas };
  };
  const sized = build(0x1000000, 0x2000000);
  let lay;
  try {
    lay = layout(bin.image, sized.asms.reduce((n, x) => n + x.bytes.length, 0), sized.datas.length * 4);
  } catch (err) {
    if (!(err instanceof NoRoom)) throw err;
    for (const p of plans) result.left.push({ region: p.region, why: err.message });
    return result;
  }
  const { asms, datas } = build(lay.code, lay.data);
  const code = new Uint8Array(asms.reduce((n, x) => n + x.bytes.length, 0));
  let off = 0;
  plans.forEach((p, i) => {
    const bytes = asms[i].finish();
    code.set(bytes, off);
    const at = p.region.sites[0].at;
    result.patches.push({ address: at, old: a.program.insnAt(at)!.bytes, bytes: jmpBytes(at, asms[i].base) });
    result.trampolines.push({ region: p.region, address: asms[i].base, code: bytes });
    result.rewritten.push({ region: p.region, trampoline: asms[i].base, check: p.check, ...(p.special ? { specialized: p.special.name } : {}) });
    off += bytes.length;
  });
  const sortedPatches = [...result.patches].sort((x, y) => x.address - y.address);
  for (let i = 1; i < sortedPatches.length; i++) {
    if (sortedPatches[i - 1].address + 5 > sortedPatches[i].address) {
      throw new NoRoom(`patches at ${hex(sortedPatches[i - 1].address)} and ${hex(sortedPatches[i].address)} overlap`);
    }
  }
  const data = new Uint8Array(datas.length * 4);
  const dv = new DataView(data.buffer);
  datas.forEach((w, i) => dv.setUint32(4 * i, w >>> 0, true));
  result.output = writeElf(bin.file, bin.image, lay, code, data, result.patches);
  return result;
}

/**
 * Undefined when the call at `at` goes to a stub that only loads its arguments, traps and
 * returns the kernel's result (the project's generated stubs); else why not. A C library's
 * wrapper turns an error into -1 and errno, which a multi-call's result slot does not.
 */
function plainStub(a: BinaryAnalysis, at: number): string | undefined {
  const callee = a.program.insnAt(at);
  const stub = callee && a.sites.stubs.get(Number.parseInt(callee.opStr, 16));
  if (!stub) return 'is not a direct call to a stub';
  const blocks = [...stub.func.blocks.values()];
  if (blocks.length !== 1) return `${stub.func.name} branches (errno handling?): its result is not the kernel's`;
  const insns = blocks[0].insns;
  const trap = insns.findIndex((i) => i.mnemonic === 'int' && i.opStr === '0x80');
  if (trap < 0) return `${stub.func.name} does not trap with int 0x80`;
  const after = insns.slice(trap + 1);
  if (!after.length || after[after.length - 1].mnemonic !== 'ret' || after.slice(0, -1).some((i) => i.mnemonic !== 'pop')) {
    return `${stub.func.name} does more than return after its trap: its result is not the kernel's`;
  }
  if (insns.slice(0, trap).some((i) => !['push', 'mov'].includes(i.mnemonic))) return `${stub.func.name} does more than load its arguments`;
  return undefined;
}

/** What a region needs, or why it cannot be rewritten as it stands. */
function planRegion(a: BinaryAnalysis, r: Region): Plan | string {
  const [s1, s2] = r.sites;
  if (r.sites.length !== 2) return 'not a pair of calls';
  if (s1.via !== 'stub' || s2.via !== 'stub') return `${s1.via !== 'stub' ? s1.name : s2.name} traps directly (${s1.via !== 'stub' ? s1.via : s2.via}); only calls to stubs have room for the 5-byte jump`;
  if (s1.nr === undefined || s2.nr === undefined) return 'a call number is not known';
  for (const s of [s1, s2]) {
    const why = plainStub(a, s.at);
    if (why) return `${s.name}'s stub ${why}`;
  }
  const first = a.program.insnAt(s1.at);
  if (!first || first.size !== 5 || first.bytes[0] !== 0xe8) return `the call at ${hex(s1.at)} is not a 5-byte direct call`;
  const between: Instruction[] = [];
  for (const l of r.lines.slice(1, -1)) {
    if (l.role === 'user' || l.role === 'call') return `${hex(l.address)} ${l.text} is not set-up, retrieval or a decision on a result`;
    const i = a.program.insnAt(l.address);
    if (!i) return `${hex(l.address)} cannot be read`;
    between.push(i);
  }
  // Exits: each conditional jump leaves the region on some signs of a's result.
  const leaves = new Set<string>();
  for (const [k, i] of between.entries()) {
    const next = k + 1 < between.length ? between[k + 1].address : s2.at;
    const cc = conditionOf(i.bytes);
    const fall = i.address + i.size;
    if (i.mnemonic === 'jmp') {
      if (Number.parseInt(i.opStr, 16) !== next) return `${hex(i.address)} ${formatInstruction(i)} leaves the region`;
      continue;
    }
    if (cc === undefined) continue;
    const target = Number.parseInt(i.opStr, 16);
    const flagsFrom = [...between.slice(0, k)].reverse().find((x) => ['test', 'cmp', 'add', 'sub', 'and', 'or', 'xor', 'inc', 'dec'].includes(x.mnemonic));
    const ops = flagsFrom?.opStr.split(',').map((s) => s.trim());
    const signTest = flagsFrom && ((flagsFrom.mnemonic === 'test' && ops![0] === ops![1]) || (flagsFrom.mnemonic === 'cmp' && /^0(x0)?$/.test(ops![1])));
    const signs = signTest ? signsTaken(cc) : undefined;
    if (!signs) return `${hex(i.address)} ${formatInstruction(i)} tests a's result in a way a checked entry cannot express`;
    if (target === next && fall !== next) ['neg', 'zero', 'pos'].filter((s) => !signs.has(s as never)).forEach((s) => leaves.add(s));
    else if (fall === next && target !== next) signs.forEach((s) => leaves.add(s));
    else if (target !== next) return `${hex(i.address)} ${formatInstruction(i)} does not follow the region's path`;
  }
  if (leaves.has('pos')) return `the region is left when ${s1.name} returns a positive value, which no checked entry expresses`;
  const check = leaves.has('zero') ? CHECK_NOT_POSITIVE : leaves.has('neg') ? CHECK_ERROR : 0;
  const bArgs: Plan['bArgs'] = [];
  for (let k = 0; k < arityOf(s2); k++) {
    const src = r.arguments[k];
    if (!src || src.kind === 'unknown' || src.kind === 'expression-of-result') return `${s2.name}'s argument ${k + 1} cannot be passed by reference`;
    bArgs.push(src.kind === 'constant' ? { kind: 'const', value: Number.parseInt(src.detail, 16) } : src.kind === 'result' ? { kind: 'result' } : { kind: 'copy' });
  }
  // The set-up runs once before the call with a placeholder result: it may write only the
  // stack below a's arguments (put back afterwards), never memory a call could read.
  if (bArgs.some((b) => b.kind === 'copy')) {
    for (const i of between) {
      const e = a.program.effectOf(i);
      if (e.opaque || e.memWrite.some((m) => m.base !== 'esp' || m.index)) return `${hex(i.address)} ${formatInstruction(i)} writes memory other than the stack, and the set-up must run before the call`;
    }
  }
  return { region: r, between, check, bArgs, aArity: arityOf(s1), stubA: Number.parseInt(first.opStr, 16) };
}

/**
 * A specialized call that does exactly what the region does, or why not: two steps, the
 * region's calls; no stop after a (a's failure would hide b's result, and the region goes
 * on to b whatever a returns); b's result returned; a's result not needed by the region's
 * code; every step argument bound to the region's argument (constants equal, a parameter
 * used twice only when the program passes the same value, checked at run time).
 */
function matchSpecialized(p: Plan, def: SpecializedDef, nr: number): SpecialMatch | string {
  const [s1, s2] = p.region.sites;
  if (def.loop || def.steps.length !== 2 || def.steps[0].call !== s1.name || def.steps[1].call !== s2.name) return `${def.name} is not ${s1.name} then ${s2.name}`;
  if (!('result' in def.returns) || def.returns.result !== 1) return `${def.name} does not return ${s2.name}'s result`;
  if (p.check !== 0 || def.steps[0].stop_on_error) return `${def.name} and the region differ on ${s1.name}'s failure`;
  if (p.region.lines.slice(1, -1).some((l) => l.role === 'result' || l.role === 'control')) return `the region uses ${s1.name}'s result`;
  const bound = new Map<string, Source>();
  const equal: [Source, Source][] = [];
  const bind = (name: string, src: Source) => { const was = bound.get(name); if (was) equal.push([was, src]); else bound.set(name, src); };
  for (const [k, a] of def.steps[0].args.entries()) {
    if ('param' in a) bind(a.param, { kind: 'a', k });
    else if ('const' in a) equal.push([{ kind: 'a', k }, { kind: 'const', value: a.const >>> 0 }]);
    else return `${def.name}'s first step takes a result`;
  }
  for (const [k, a] of def.steps[1].args.entries()) {
    const b = p.bArgs[k];
    if (!b) return `${def.name} passes more arguments than ${s2.name} takes`;
    if ('result' in a) { if (b.kind !== 'result' || a.result !== 0) return `${s2.name}'s argument ${k + 1} is not ${s1.name}'s result`; continue; }
    if (b.kind === 'result') return `${s2.name}'s argument ${k + 1} is ${s1.name}'s result`;
    const src: Source = b.kind === 'const' ? { kind: 'const', value: b.value >>> 0 } : { kind: 'b', k };
    if ('param' in a) bind(a.param, src);
    else if (src.kind === 'const') { if (src.value !== a.const >>> 0) return `${s2.name}'s argument ${k + 1} is not ${a.const}`; }
    else equal.push([src, { kind: 'const', value: a.const >>> 0 }]);
  }
  if (def.params.some((x) => !bound.has(x))) return `a parameter of ${def.name} is not used`;
  return { name: def.name, nr, params: def.params.map((x) => bound.get(x)!), equal };
}

/** The trampoline of one region at `code`, and its data words at `data`. */
function trampoline(p: Plan, code: number, data: number, multicallNr: number): { asm: Asm; words: number[] } {
  const [s1, s2] = p.region.sites;
  const na = p.aArity, nb = p.bArgs.length;
  // Data: two entries, the two params arrays, argument slots, results, saved registers, a placeholder.
  const entries = data, paramsA = entries + 32, paramsB = paramsA + 4 * na, slotsA = paramsB + 4 * nb, slotsB = slotsA + 4 * na;
  // The stack the set-up code can reach above the stack pointer at a's call (a's argument
  // slots, which b's pushes overwrite): saved before the first run and put back after it.
  let delta = 0, reach = 4 * na;
  for (const i of p.between) {
    const m = /^esp, (0x[0-9a-f]+|\d+)$/.exec(i.opStr);
    if (m && i.mnemonic === 'add') delta += Number(m[1]);
    else if (m && i.mnemonic === 'sub') delta -= Number(m[1]);
    else if (i.mnemonic === 'push') delta -= 4;
    else if (i.mnemonic === 'pop') delta += 4;
    reach = Math.max(reach, delta);
  }
  const windowWords = Math.ceil(reach / 4);
  const resultA = slotsB + 4 * nb, resultB = resultA + 4, save = resultB + 4, scratch = save + 4 * 7, stackSave = scratch + 16;
  const saved = { ebx: save, ecx: save + 4, edx: save + 8, esi: save + 12, edi: save + 16, ebp: save + 20, esp: save + 24 } as const;
  const words: number[] = [
    s1.nr!, paramsA, resultA, p.check,
    s2.nr!, paramsB, resultB, 0,
    ...Array.from({ length: na }, (_, k) => slotsA + 4 * k),
    ...p.bArgs.map((b, k) => (b.kind === 'result' ? resultA : slotsB + 4 * k)),
    ...Array(na).fill(0),
    ...p.bArgs.map((b) => (b.kind === 'const' ? b.value : 0)),
    0, 0, ...Array(7).fill(0), 0, 0, 0, 0,
    ...Array(windowWords).fill(0),
  ];
  const stubEffects = (asm: Asm, arity: number) => {
    if (arity >= 2) asm.loadStack('ecx', 4);
    if (arity >= 3) asm.loadStack('edx', 8);
  };
  const t = new Asm(code);
  t.store(saved.ecx, 'ecx').store(saved.edx, 'edx');
  for (let k = 0; k < na; k++) t.loadStack('ecx', 4 * k).store(slotsA + 4 * k, 'ecx');
  // The region's set-up with a placeholder result, for b's arguments defined before it.
  if (p.bArgs.some((b) => b.kind === 'copy')) {
    for (let k = 0; k < windowWords; k++) t.loadStack('ecx', 4 * k).store(stackSave + 4 * k, 'ecx');
    for (const r of ['ebx', 'esi', 'edi', 'ebp', 'esp'] as const) t.store(saved[r], r);
    t.imm('eax', scratch);
    for (const i of p.between) if (conditionOf(i.bytes) === undefined && i.mnemonic !== 'jmp') t.raw(i.bytes);
    p.bArgs.forEach((b, k) => { if (b.kind === 'copy') t.loadStack('ecx', 4 * k).store(slotsB + 4 * k, 'ecx'); });
    for (const r of ['esp', 'ebx', 'esi', 'edi', 'ebp'] as const) t.load(r, saved[r]);
    for (let k = 0; k < windowWords; k++) t.load('ecx', stackSave + 4 * k).storeStack(4 * k, 'ecx');
  }
  if (p.special) return { asm: specialTail(t, p, p.special, { slotsA, slotsB, resultB, saved }), words };
  t.store(saved.ebx, 'ebx').imm('eax', multicallNr).imm('ebx', 2).imm('ecx', entries).int80();
  t.load('ebx', saved.ebx).load('ecx', saved.ecx).load('edx', saved.edx);
  // 3 (count + 1): both ran; 1: a stopped the batch; anything else: the multi-call itself
  // failed (a kernel without it: ENOSYS), so a's call is made as the original made it.
  t.cmpEax(3).jcc(0x4, 'all').cmpEax(1).jcc(0x4, 'stopped');
  t.call(p.stubA).jmp(s1.at + 5);
  t.label('stopped').load('eax', resultA);
  stubEffects(t, na);
  t.jmp(s1.at + 5);
  t.label('all').load('eax', resultA);
  stubEffects(t, na);
  // The region's own code, now with a's result: exits go back to the original targets.
  for (const [k, i] of p.between.entries()) {
    const next = k + 1 < p.between.length ? p.between[k + 1].address : s2.at;
    const cc = conditionOf(i.bytes);
    if (i.mnemonic === 'jmp') continue;
    if (cc === undefined) { t.raw(i.bytes); continue; }
    const target = Number.parseInt(i.opStr, 16);
    if (target === next) t.jcc(cc ^ 1, i.address + i.size);
    else t.jcc(cc, target);
  }
  t.load('eax', resultB);
  stubEffects(t, nb);
  t.jmp(s2.at + 5);
  return { asm: t, words };
}

const PARAM_REGS = ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'] as const;

/** The rest of a trampoline that makes a specialized call: checks, parameters in registers, the call, b's state. */
function specialTail(t: Asm, p: Plan, m: SpecialMatch, at: { slotsA: number; slotsB: number; resultB: number; saved: Record<'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp', number> }): Asm {
  const [s1, s2] = p.region.sites;
  const load = (r: 'ecx' | (typeof PARAM_REGS)[number], src: Source) =>
    src.kind === 'const' ? t.imm(r, src.value) : t.load(r, (src.kind === 'a' ? at.slotsA : at.slotsB) + 4 * src.k);
  for (const [x, y] of m.equal) {
    load('ecx', x);
    if (y.kind === 'const') t.cmpImm('ecx', y.value);
    else t.cmpMem('ecx', (y.kind === 'a' ? at.slotsA : at.slotsB) + 4 * y.k);
    t.jcc(0x5, 'original');
  }
  for (const r of ['ebx', 'esi', 'edi', 'ebp'] as const) t.store(at.saved[r], r);
  m.params.forEach((src, i) => load(PARAM_REGS[i], src));
  t.imm('eax', m.nr).int80();
  for (const r of ['ebx', 'esi', 'edi', 'ebp', 'ecx', 'edx'] as const) t.load(r, at.saved[r]);
  t.store(at.resultB, 'eax');
  // The region's own code (it does not read a's result), then b's result in eax.
  for (const i of p.between) if (conditionOf(i.bytes) === undefined && i.mnemonic !== 'jmp') t.raw(i.bytes);
  t.load('eax', at.resultB);
  if (p.bArgs.length >= 2) t.loadStack('ecx', 4);
  if (p.bArgs.length >= 3) t.loadStack('edx', 8);
  t.jmp(s2.at + 5);
  // The program passed values the specialized call does not take: the original calls.
  t.label('original').load('ecx', at.saved.ecx).load('edx', at.saved.edx);
  t.call(p.stubA).jmp(s1.at + 5);
  return t;
}
