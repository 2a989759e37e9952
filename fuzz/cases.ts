// What the fuzz job feeds syscluster, family by family, generated with fast-check from
// a seed: mutated ELF files, hostile guests, sandbox escape attempts, copies whose
// output must equal their input, and corrupt dumps, logs, definitions, profiles and
// arguments for every command. A case is plain JSON (files as base64), so that a
// failing one can be saved and replayed.
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { asm, codeElf, CODE_BASE, u32 } from './code.js';
import { personality } from '../kernel-model/table.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GUEST = (name: string) => path.join(ROOT, 'guest/build', name);

export type Family = 'elf' | 'guest' | 'escape' | 'copy' | 'input';
export const FAMILIES: Family[] = ['elf', 'guest', 'escape', 'copy', 'input'];

/**
 * One input. Guest cases (`guest` set) run in a worker process; command-line cases run
 * `syscluster ARGS` in a child process. In `args`, @ROOT is the guest's root folder,
 * @WORK the case's folder and @CANARY the file outside the root no guest may touch.
 */
export interface FuzzCase {
  family: Family;
  /** What the case tries, in a few words. */
  what: string;
  /** Files of the case folder (relative path → base64). */
  files: Record<string, string>;
  /** Symbolic links to plant in the root (name → target; @WORK expands). */
  links?: Record<string, string>;
  /** A guest run: the ELF file (in files) or a built-in guest name, and its argv after argv[0]. */
  guest?: { file: string; argv: string[]; maxInstructions: number; stdin?: string };
  /** A command-line run. */
  args?: string[];
  /** Loss check: after the run, this file in the root must equal that file. */
  expectEqual?: [string, string];
}

const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

const memo = new Map<string, Uint8Array>();
function builtin(name: string): Uint8Array {
  let b = memo.get(name);
  if (!b) memo.set(name, (b = new Uint8Array(fs.readFileSync(GUEST(name)))));
  return b;
}

// ---- ELF mutants ---------------------------------------------------------------

const interesting32 = fc.constantFrom(0, 1, 0x34, 0xfff, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffff000,
  0x08048000, 0xbffff000, 0xc0000000, 0x10000, 0x40000000, 0xffff);

const elfMutation = fc.oneof(
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(0x400), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('field' as const), at: fc.constantFrom(16, 18, 24, 28, 32, 42, 44, 46, 48, 52 + 4, 52 + 8, 52 + 16, 52 + 20, 52 + 24, 52 + 28, 84 + 4, 84 + 8, 84 + 16, 84 + 20, 84 + 24), value: fc.oneof(interesting32, fc.nat()) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(0x2000), value: fc.constant(0) }),
);

const elfCase: fc.Arbitrary<FuzzCase> = fc.record({
  base: fc.constantFrom('hello', 'cat', 'copy', 'crash'),
  muts: fc.array(elfMutation, { minLength: 1, maxLength: 6 }),
}).map(({ base, muts }) => {
  let b = Buffer.from(builtin(base));
  for (const m of muts) {
    if (m.kind === 'truncate') b = b.subarray(0, Math.min(b.length, m.at));
    else if (m.kind === 'byte' && m.at < b.length) b[m.at] = m.value;
    else if (m.kind === 'field' && m.at + 4 <= b.length) b.writeUInt32LE(m.value >>> 0, m.at);
  }
  return {
    family: 'elf', what: `${base} with ${muts.map((m) => `${m.kind}@${m.at}=${m.value}`).join(' ')}`,
    files: { 'guest.elf': b64(b) }, guest: { file: 'guest.elf', argv: [], maxInstructions: 2_000_000 },
  } satisfies FuzzCase;
});

// ---- Hostile guests -----------------------------------------------------------

const DATA = 0x08049000; // the data area codeElf leaves after the code (bss)
const paper = personality('paper');
const modelled = [...paper.table.keys()];

const argValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 2, 3, 4, 0xffffffff, 0xfffffff7, 0x7fffffff, 0x80000000, 0xc0000000, 0x1000, 4096, 65536, 1 << 26, 1 << 30, 0x10) },
  { weight: 3, arbitrary: fc.constantFrom(DATA, DATA + 0x100, DATA + 0xff8, DATA + 0xfff, CODE_BASE, 0xbfffff00, 0xbffffffc) },
  { weight: 1, arbitrary: fc.nat().map((n) => n >>> 0) },
  { weight: 1, arbitrary: fc.integer({ min: -100, max: 1100 }).map((n) => n >>> 0) },
);

type Op = { kind: string; code: number[] };

const syscallOp = fc.record({
  nr: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...modelled) }, { weight: 1, arbitrary: fc.nat(600) }, { weight: 1, arbitrary: fc.nat().map((n) => n >>> 0) }),
  a: fc.array(argValue, { minLength: 6, maxLength: 6 }),
}).map(({ nr, a }): Op => ({
  kind: `syscall ${nr}`,
  code: [...asm.movEax(nr), ...asm.movEbx(a[0]), ...asm.movEcx(a[1]), ...asm.movEdx(a[2]), ...asm.movEsi(a[3]), ...asm.movEdi(a[4]), 0xbd, ...u32(a[5]), ...asm.int80],
}));

/** mov dword [addr], imm32 */
const store = (addr: number, v: number) => [0xc7, 0x05, ...u32(addr), ...u32(v)];

// A multi-call: entries (sub, params, result, check) written into the data area first.
const multicallOp = fc.record({
  count: fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(0, 1024, 1025, 0xffffffff)),
  entries: fc.array(fc.record({
    sub: fc.oneof(fc.constantFrom(...modelled), fc.constant(paper.multicallNr), fc.nat(400)),
    params: fc.constantFrom(DATA + 0x200, DATA, DATA + 0x100, 0, 0xc0000000),
    result: fc.constantFrom(DATA + 0x300, DATA + 4, DATA + 0x100, DATA + 0x204, 0, CODE_BASE),
    check: fc.constantFrom(0, 1),
  }), { minLength: 1, maxLength: 6 }),
  params: fc.array(fc.constantFrom(DATA + 0x400, DATA + 0x100, DATA, DATA + 0x300, 0, 0xffffffff), { minLength: 6, maxLength: 6 }),
  values: fc.array(argValue, { minLength: 6, maxLength: 6 }),
  args: fc.constantFrom(DATA + 0x100, DATA, 0, DATA + 0xff8),
}).map(({ count, entries, params, values, args }): Op => {
  const code: number[] = [];
  entries.forEach((e, i) => {
    const at = DATA + 0x100 + 16 * i;
    code.push(...store(at, e.sub), ...store(at + 4, e.params), ...store(at + 8, e.result), ...store(at + 12, e.check));
  });
  params.forEach((p, j) => code.push(...store(DATA + 0x200 + 4 * j, p)));
  values.forEach((v, j) => code.push(...store(DATA + 0x400 + 4 * j, v)));
  code.push(...asm.movEax(paper.multicallNr), ...asm.movEbx(count), ...asm.movEcx(args), ...asm.int80);
  return { kind: `multi_call ${count}x`, code };
});

const loopOp = (body: number[], times: number, kind: string): Op => {
  // mov ebp, times; L: body; dec ebp; jnz L   (body must keep ebp)
  const code = [0xbd, ...u32(times), ...body, 0x4d];
  const back = -(body.length + 1 + 6);
  code.push(0x0f, 0x85, ...u32(back));
  return { kind, code };
};

const specialOps: fc.Arbitrary<Op> = fc.oneof(
  fc.nat(150).map((n) => loopOp([...asm.movEax(45), ...asm.movEbx(0), ...asm.int80, 0x8d, 0x98, ...u32(4096), ...asm.movEax(45), ...asm.int80], n + 1, 'brk walk up')),
  fc.nat(2000).map((n) => loopOp([...asm.movEax(5), ...asm.movEbx(DATA + 0x800), ...asm.movEcx(0), ...asm.int80], n + 1, 'open until out of fds')),
  fc.constant<Op>({ kind: 'stack exhaustion', code: [0x50, 0xeb, 0xfd] }),
  fc.array(fc.nat(255), { minLength: 1, maxLength: 24 }).map((b): Op => ({ kind: 'random bytes', code: b })),
  fc.record({ off: fc.nat(64), v: fc.nat(255) }).map(({ off, v }): Op => ({ kind: 'self-modifying store', code: [0xc6, 0x05, ...u32(CODE_BASE + off), v] })),
  fc.nat(20000).map((n) => ({ kind: `${n} rdtsc`, code: Array.from({ length: n }, () => asm.rdtsc).flat() })),
  fc.constantFrom<Op>(
    { kind: 'in', code: [0xe4, 0x60] }, { kind: 'cli', code: [0xfa] }, { kind: 'hlt', code: [0xf4] },
    { kind: 'syscall insn', code: [0x0f, 0x05] }, { kind: 'int 0', code: [0xcd, 0x00] }, { kind: 'int 6', code: [0xcd, 0x06] },
    { kind: 'sysenter', code: [0x0f, 0x34] }, { kind: 'jump to the stop address', code: [0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xe0] },
  ),
);

const guestCase: fc.Arbitrary<FuzzCase> = fc.record({
  ops: fc.array(fc.oneof({ weight: 5, arbitrary: syscallOp }, { weight: 2, arbitrary: multicallOp }, { weight: 2, arbitrary: specialOps }), { minLength: 1, maxLength: 12 }),
  path: fc.constantFrom('in.txt', '../outside/canary', '/', 'link', 'dirlink/canary', 'new.txt'),
  writable: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
}).map(({ ops, path: p, writable }) => {
  const code = [
    // A path at DATA + 0x800 for open and friends.
    ...Array.from(Buffer.from(p + '\0')).flatMap((c, i) => [0xc6, 0x05, ...u32(DATA + 0x800 + i), c]),
    ...ops.flatMap((o) => o.code), ...asm.exit(0)];
  return {
    family: 'guest', what: ops.map((o) => o.kind).join('; '),
    files: { 'guest.elf': b64(codeElf(code, { flags: writable ? 7 : 5, bss: 0x2000 })), 'root/in.txt': b64('input\n') },
    links: { link: '../outside/canary', dirlink: '../outside' },
    guest: { file: 'guest.elf', argv: [], maxInstructions: 3_000_000 },
  } satisfies FuzzCase;
});

// ---- Sandbox escapes ----------------------------------------------------------

const escapePath = fc.constantFrom('../outside/canary', '/../outside/canary', '../../../../../../../../@WORK/outside/canary',
  '@WORK/outside/canary', 'link', 'abslink', 'dirlink/canary', 'chain1', 'dangling', 'danglingdir/new', 'sub/../../outside/canary',
  'sub/' + '../'.repeat(40) + 'outside/canary', 'x'.repeat(5000), 'sub/' + 'a/'.repeat(2000), '.', '..', 'sub/..', 'in.txt');

const escapeCase: fc.Arbitrary<FuzzCase> = fc.record({
  guest: fc.constantFrom('cat', 'copy', 'copy_looped', 'copy_multicall'),
  from: escapePath, to: escapePath,
}).map(({ guest, from, to }) => ({
  family: 'escape', what: `${guest} ${from} ${to}`,
  files: { 'root/in.txt': b64('input\n'), 'root/sub/keep': b64('') },
  links: { link: '../outside/canary', abslink: '@WORK/outside/canary', dirlink: '../outside', chain1: 'chain2', chain2: 'link', dangling: '../outside/new', danglingdir: '../outside/nodir' },
  guest: guest === 'cat' ? { file: guest, argv: ['4096', from, to], maxInstructions: 5_000_000 } : { file: guest, argv: [from, to, '4096'], maxInstructions: 5_000_000 },
} satisfies FuzzCase));

// ---- Copies whose output must equal their input (loss) -------------------------

const copyCase: fc.Arbitrary<FuzzCase> = fc.record({
  guest: fc.constantFrom('copy', 'copy_looped', 'copy_multicall', 'copy_value', 'cat'),
  size: fc.oneof(fc.nat(5000), fc.integer({ min: 5000, max: 400_000 })),
  block: fc.constantFrom(1, 7, 512, 4096, 65536),
  seed: fc.nat(),
}).map(({ guest, size, block, seed }) => {
  const data = Buffer.alloc(size);
  for (let i = 0, x = seed | 1; i < size; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; data[i] = x & 0xff; }
  const cat = guest === 'cat';
  const blockArg = String(size > 20000 ? Math.max(block, 512) : block);
  return {
    family: 'copy', what: `${guest} ${size} bytes by ${blockArg}`,
    files: { 'root/in': b64(data) },
    guest: cat ? { file: 'cat', argv: [blockArg, 'in'], maxInstructions: 500_000_000 } : { file: guest, argv: ['in', 'out', blockArg], maxInstructions: 500_000_000 },
    expectEqual: [cat ? '@STDOUT' : 'out', 'in'],
  } satisfies FuzzCase;
});

// ---- Corrupt inputs to every command --------------------------------------------

let goodDump: string | undefined;
/** A real dump and strace log to mutate, made once by the caller (fuzz/main.ts). */
export function setSamples(dump: string): void { goodDump = dump; }

const mutateText = (text: string) => fc.record({
  cuts: fc.array(fc.record({ at: fc.nat(), len: fc.nat(40), insert: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('[', '{', '"', '-1', '1e309', 'null', '[]', '{}', '\n', '9'.repeat(30), '"__proto__"', 'NaN')) }), { minLength: 1, maxLength: 8 }),
}).map(({ cuts }) => {
  let t = text;
  for (const c of cuts) { const at = t.length ? c.at % t.length : 0; t = t.slice(0, at) + c.insert + t.slice(at + c.len); }
  return t;
});

const straceLog = fc.array(fc.oneof(
  fc.constantFrom('read(3, "abc", 4096) = 3', 'write(1, "x", 1) = 1', 'open("a", O_RDONLY) = 3', 'close(3) = 0',
    'read(3</tmp/f>, "", 4096) = 0', 'mmap2(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = 0xb7000000', 'getpid() = 42',
    'read(0, 0x1, 99999999999999999999) = -1 EFAULT (Bad address)', '12345 read(3, "a"..., 10) = 10', '+++ exited with 0 +++',
    'write(1, "\\x' + 'ff'.repeat(3) + '", 3) = 3', 'read(3, <unfinished ...>', '<... read resumed> "", 10) = 0', 'foo(' + '('.repeat(100)),
  fc.string({ maxLength: 60 })), { maxLength: 60 }).map((l) => l.join('\n') + '\n');

const inputCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  fc.record({ cmd: fc.constantFrom('step', 'whatif', 'profile'), kind: fc.constantFrom('mutate', 'deep', 'json'), json: fc.jsonValue({ maxDepth: 4 }) }).chain(({ cmd, kind, json }) =>
    (kind === 'mutate' ? mutateText(goodDump ?? '{}\n') : fc.constant(kind === 'deep' ? '{"seq":0,"call":' + '['.repeat(3000) + ']'.repeat(3000) + '}\n' : JSON.stringify(json) + '\n')).map((text) => ({
      family: 'input' as const, what: `${cmd} on a ${kind} dump`, files: { 'dump.jsonl': b64(text) },
      args: cmd === 'whatif' ? ['whatif', '@WORK/dump.jsonl', '--cluster', 'read,write'] : [cmd, '@WORK/dump.jsonl'],
    }))),
  straceLog.map((text) => ({ family: 'input' as const, what: 'profile on a random strace log', files: { 'log.txt': b64(text) }, args: ['profile', '@WORK/log.txt'] })),
  fc.record({ which: fc.constantFrom('specialized', 'platform'), json: fc.jsonValue({ maxDepth: 5 }), mutate: fc.boolean() }).chain(({ which, json, mutate }) => {
    const base = fs.readFileSync(path.join(ROOT, which === 'specialized' ? 'specialized/builtin.json' : 'platforms/p2-266.json'), 'utf8');
    return (mutate ? mutateText(base) : fc.constant(JSON.stringify(json))).map((text) => ({
      family: 'input' as const, what: `a corrupt ${which} file`, files: { 'x.json': b64(text) },
      args: which === 'specialized' ? ['run', 'hello', '--specialized', '@WORK/x.json', '--root', '@ROOT'] : ['run', 'hello', '--platform', '@WORK/x.json', '--root', '@ROOT'],
    }));
  }),
  fc.record({
    cmd: fc.constantFrom('run', 'trace', 'step', 'bench', 'whatif', 'profile', 'syscalls', 'scenario', 'nosuch'),
    opt: fc.constantFrom('--max-instructions', '--clock-start', '--root', '--platform', '--personality', '--repeat', '--cluster', '--max-length', '--args', '--seed', '--strace-out', '--out'),
    value: fc.oneof(fc.constantFrom('NaN', 'abc', '1e309', '1.5', '-1', '0', '18446744073709551616', '', '/', '/nonexistent/dir/x', ',', 'constructor:fd', '__proto__', '-', '9'.repeat(40)), fc.string({ maxLength: 20 })),
  }).map(({ cmd, opt, value }) => ({
    family: 'input' as const, what: `${cmd} ${opt} ${JSON.stringify(value)}`, files: {},
    args: [cmd, ...(cmd === 'run' || cmd === 'trace' || cmd === 'bench' ? ['hello'] : cmd === 'step' ? ['hello'] : []), opt, value, ...(cmd === 'run' || cmd === 'trace' ? ['--root', '@ROOT'] : [])],
  })),
);

export const ARBITRARIES: Record<Family, fc.Arbitrary<FuzzCase>> = {
  elf: elfCase, guest: guestCase, escape: escapeCase, copy: copyCase, input: inputCase,
};

/** Family weights of a campaign (guests and inputs get most). */
export const WEIGHTS: Record<Family, number> = { elf: 2, guest: 4, escape: 2, copy: 1, input: 3 };

/** `count` cases from a seed, the families interleaved by weight. */
export function generate(seed: number, start: number, count: number): FuzzCase[] {
  const wheel = FAMILIES.flatMap((f) => Array<Family>(WEIGHTS[f]).fill(f));
  const out: FuzzCase[] = [];
  for (let i = start; i < start + count; i++) {
    const family = wheel[i % wheel.length];
    const [c] = fc.sample(ARBITRARIES[family], { seed: (seed * 1_000_003 + i) | 0, numRuns: 1 });
    out.push(c);
  }
  return out;
}
