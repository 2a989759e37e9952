// What an i386 instruction reads and writes, from Capstone's Intel-syntax text: the
// registers (widened to their 32-bit names), the flags, and memory operands as
// base + index*scale + displacement. An instruction this table does not know is taken
// to read and write everything it names, and to have effects beyond them.
import type { Instruction } from '../emulator/disasm.js';

export type Reg = 'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp';
export const REGS: Reg[] = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'];

const WIDE: Record<string, Reg> = {};
for (const r of ['a', 'b', 'c', 'd']) {
  for (const v of [`e${r}x`, `${r}x`, `${r}l`, `${r}h`]) WIDE[v] = `e${r}x` as Reg;
}
for (const r of ['si', 'di', 'bp', 'sp']) for (const v of [`e${r}`, r, `${r}l`]) WIDE[v] = `e${r}` as Reg;

export interface Mem {
  base?: Reg;
  index?: Reg;
  scale: number;
  disp: number;
  /** A segment override (gs: for thread-local data). */
  seg?: string;
  size: number;
}

export type Operand = { kind: 'reg'; reg: Reg; size: number } | { kind: 'imm'; value: number } | { kind: 'mem'; mem: Mem } | { kind: 'other'; text: string };

const SIZES: Record<string, number> = { byte: 1, word: 2, dword: 4, qword: 8, xmmword: 16, tbyte: 10 };

function parseOperand(text: string): Operand {
  const t = text.trim();
  if (WIDE[t]) return { kind: 'reg', reg: WIDE[t], size: /^e/.test(t) ? 4 : /[lh]$/.test(t) && t.length === 2 ? 1 : 2 };
  if (/^-?(0x[0-9a-f]+|\d+)$/.test(t)) return { kind: 'imm', value: Number(t.replace(/^-/, '')) * (t.startsWith('-') ? -1 : 1) >>> 0 };
  const m = /^(?:(\w+) ptr )?(?:(\w+):)?\[([^\]]+)\]$/.exec(t);
  if (m) {
    const mem: Mem = { scale: 1, disp: 0, size: SIZES[m[1] ?? 'dword'] ?? 4, ...(m[2] ? { seg: m[2] } : {}) };
    const terms = m[3].replace(/\s+/g, '').replace(/-/g, '+-').split('+').filter(Boolean);
    for (const term of terms) {
      const idx = /^(\w+)\*(\d)$/.exec(term);
      if (idx && WIDE[idx[1]]) { mem.index = WIDE[idx[1]]; mem.scale = Number(idx[2]); continue; }
      if (WIDE[term]) { if (mem.base) { mem.index = WIDE[term]; } else mem.base = WIDE[term]; continue; }
      if (term === 'eiz' || term === 'eiz*1') continue;
      const neg = term.startsWith('-');
      const v = Number(neg ? term.slice(1) : term);
      if (Number.isFinite(v)) mem.disp = (mem.disp + (neg ? -v : v)) | 0;
    }
    return { kind: 'mem', mem };
  }
  return { kind: 'other', text: t };
}

/** Splits `dword ptr [eax + 4], ebx` at commas outside brackets. */
export function operands(opStr: string): Operand[] {
  if (!opStr.trim()) return [];
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const ch of opStr) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out.map(parseOperand);
}

export type Flow = 'none' | 'jmp' | 'jcc' | 'call' | 'ret' | 'stop' | 'syscall';

export interface Effect {
  /** Registers (and 'flags') read. */
  uses: Set<string>;
  /** Registers (and 'flags') written. */
  defs: Set<string>;
  /** Memory read / written by the instruction itself (calls aside). */
  memRead: Mem[];
  memWrite: Mem[];
  flow: Flow;
  /** A direct branch or call target. */
  target?: number;
  /** Effects this table cannot describe (string instructions, I/O, unknown opcodes). */
  opaque: boolean;
  ops: Operand[];
}

const MOVES = new Set(['mov', 'movzx', 'movsx', 'movd', 'movq', 'movaps', 'movups', 'movdqa', 'movdqu', 'movss', 'movsd_x']);
const BINARY = new Set(['add', 'sub', 'and', 'or', 'xor', 'adc', 'sbb', 'shl', 'shr', 'sar', 'sal', 'rol', 'ror', 'rcl', 'rcr', 'shld', 'shrd', 'bts', 'btr', 'btc']);
const UNARY = new Set(['inc', 'dec', 'neg', 'not', 'bswap']);
const COMPARE = new Set(['cmp', 'test', 'bt']);
const NOPS = new Set(['nop', 'endbr32', 'pause', 'lfence', 'sfence', 'mfence', 'prefetcht0', 'prefetchnta']);
const STOPS = new Set(['hlt', 'ud2', 'int3']);

const regsOf = (o: Operand): Reg[] => o.kind === 'reg' ? [o.reg] : o.kind === 'mem' ? [o.mem.base, o.mem.index].filter((r): r is Reg => !!r) : [];
export const memOf = (o: Operand | undefined): Mem | undefined => (o?.kind === 'mem' ? o.mem : undefined);

/** The effect of one instruction. */
export function effect(i: Instruction): Effect {
  const ops = operands(i.opStr);
  const e: Effect = { uses: new Set(), defs: new Set(), memRead: [], memWrite: [], flow: 'none', opaque: false, ops };
  const m = i.mnemonic.replace(/^(lock|rep|repe|repne|repz|repnz|bnd|notrack) /, '');
  const use = (o?: Operand) => { if (!o) return; regsOf(o).forEach((r) => e.uses.add(r)); const mm = memOf(o); if (mm) e.memRead.push(mm); };
  const def = (o?: Operand) => { if (!o) return; if (o.kind === 'reg') e.defs.add(o.reg); else if (o.kind === 'mem') { regsOf(o).forEach((r) => e.uses.add(r)); e.memWrite.push(o.mem); } };
  const [a, b, c] = ops;
  const target = a?.kind === 'imm' ? a.value : undefined;
  if (MOVES.has(m) || /^cmov/.test(m)) {
    use(b); def(a);
    if (/^cmov/.test(m)) { e.uses.add('flags'); if (a?.kind === 'reg') e.uses.add(a.reg); }
  } else if (m === 'lea') {
    if (b) regsOf(b).forEach((r) => e.uses.add(r));
    def(a);
  } else if (BINARY.has(m)) {
    const zeroing = (m === 'xor' || m === 'sub') && a?.kind === 'reg' && b?.kind === 'reg' && a.reg === b.reg;
    if (!zeroing) { use(a); use(b); use(c); }
    if (m === 'adc' || m === 'sbb') e.uses.add('flags');
    def(a); e.defs.add('flags');
  } else if (UNARY.has(m)) {
    use(a); def(a); if (m !== 'not' && m !== 'bswap') e.defs.add('flags');
  } else if (COMPARE.has(m)) {
    use(a); use(b); e.defs.add('flags');
  } else if (m === 'imul' && ops.length >= 2) {
    use(ops.length === 3 ? b : a); use(b); def(a); e.defs.add('flags');
  } else if (['mul', 'imul', 'div', 'idiv'].includes(m)) {
    use(a); e.uses.add('eax'); e.uses.add('edx'); e.defs.add('eax'); e.defs.add('edx'); e.defs.add('flags');
  } else if (m === 'cdq' || m === 'cwd') {
    e.uses.add('eax'); e.defs.add('edx');
  } else if (m === 'cwde' || m === 'cbw') {
    e.uses.add('eax'); e.defs.add('eax');
  } else if (/^set/.test(m)) {
    e.uses.add('flags'); def(a);
  } else if (m === 'push') {
    use(a); e.uses.add('esp'); e.defs.add('esp'); e.memWrite.push({ base: 'esp', scale: 1, disp: -4, size: 4 });
  } else if (m === 'pop') {
    e.uses.add('esp'); e.defs.add('esp'); e.memRead.push({ base: 'esp', scale: 1, disp: 0, size: 4 }); def(a);
  } else if (m === 'leave') {
    e.uses.add('ebp'); e.defs.add('esp'); e.defs.add('ebp'); e.memRead.push({ base: 'ebp', scale: 1, disp: 0, size: 4 });
  } else if (m === 'xchg') {
    use(a); use(b); def(a); def(b);
  } else if (m === 'jmp') {
    e.flow = 'jmp'; e.target = target; use(a);
  } else if (/^j/.test(m) || m === 'loop') {
    e.flow = 'jcc'; e.target = target; e.uses.add(m.startsWith('jecxz') || m.startsWith('jcxz') || m === 'loop' ? 'ecx' : 'flags');
  } else if (m === 'call') {
    e.flow = 'call'; e.target = target; use(a); e.uses.add('esp');
    // The i386 C convention: eax, ecx and edx are the callee's to change.
    for (const r of ['eax', 'ecx', 'edx', 'flags']) e.defs.add(r);
  } else if (m === 'ret' || m === 'iretd' || m === 'retf') {
    e.flow = 'ret'; e.uses.add('esp'); e.uses.add('eax');
  } else if (m === 'int' && a?.kind === 'imm' && a.value === 0x80) {
    e.flow = 'syscall'; for (const r of ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp']) e.uses.add(r); e.defs.add('eax');
  } else if (STOPS.has(m) || m === 'int') {
    e.flow = 'stop';
  } else if (NOPS.has(m)) {
    // nothing
  } else {
    // String instructions, x87/SSE arithmetic, I/O, anything unlisted: assume the worst.
    e.opaque = true;
    ops.forEach((o) => { use(o); def(o); });
    if (/^(movs|stos|cmps|scas|lods)/.test(m)) { for (const r of ['esi', 'edi', 'ecx', 'eax']) { e.uses.add(r); e.defs.add(r); } }
    e.defs.add('flags');
  }
  return e;
}

/** `call dword ptr gs:[0x10]`: glibc's entry through the vsyscall page (the kernel's fast path). */
export const isVsyscallCall = (i: Instruction) => i.mnemonic === 'call' && /gs:\[0x10\]/.test(i.opStr);

export const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
