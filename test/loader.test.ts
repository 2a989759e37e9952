// The loader: PIE programs and interpreters (ET_DYN at a base), PT_INTERP read through
// the guest's file system, the auxiliary vector, the personality a binary asks for, and
// hostile files (a segment in the stack area, thousands of segments, brk walks).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { ArrayMemory } from '../kernel-model/memory.js';
import { SeededRandom } from '../kernel-model/random.js';
import { MemoryFileSystem } from '../kernel-model/vfs.js';
import { personality } from '../kernel-model/table.js';
import { AT, ET_DYN_BASE, loadProgram } from '../emulator/loader.js';
import { BadInput, parseElf, personalityOf } from '../emulator/elf.js';
import { runGuest } from '../emulator/machine.js';
import type { PagedMemory } from '../kernel-model/memory.js';
import { resolvePersonality } from '../cli/common.js';
import { GUEST, ROOT, cli, profile, run } from './helpers.js';
import { CapturedStdio } from '../kernel-model/vfs.js';

interface Phdr { type: number; offset: number; vaddr: number; filesz: number; memsz: number; flags: number }

/** An ELF32 file with any program headers; code at 0x80 exits with `status`. */
function elf(o: { type?: number; entry?: number; status?: number; load?: { vaddr: number; memsz?: number; flags?: number; offset?: number; filesz?: number }[];
  interp?: string; note?: [string, number, string]; size?: number; code?: number }): Uint8Array {
  const code = o.code ?? 0; // file offset of the page the segments map, its exit code at +0x80
  const loads = o.load ?? [{ vaddr: 0x8048000 }];
  const extra: Phdr[] = [];
  const phnum = loads.length + (o.interp ? 1 : 0) + (o.note ? 1 : 0);
  let tail = Math.max(0x100, 52 + 32 * phnum);
  const blobs: [number, Uint8Array][] = [];
  if (o.interp) {
    const b = Buffer.from(o.interp + '\0');
    extra.push({ type: 3, offset: tail, vaddr: 0, filesz: b.length, memsz: b.length, flags: 4 });
    blobs.push([tail, b]);
    tail += b.length;
  }
  if (o.note) {
    const [name, type, desc] = o.note;
    const pad = (s: string) => { const b = Buffer.alloc((s.length + 1 + 3) & ~3); b.write(s); return b; };
    const head = Buffer.alloc(12);
    head.writeUInt32LE(name.length + 1, 0); head.writeUInt32LE(desc.length + 1, 4); head.writeUInt32LE(type, 8);
    const b = Buffer.concat([head, pad(name), pad(desc)]);
    extra.push({ type: 4, offset: tail, vaddr: 0, filesz: b.length, memsz: b.length, flags: 4 });
    blobs.push([tail, b]);
    tail += b.length;
  }
  const b = Buffer.alloc(Math.max(o.size ?? 0, tail, code + 0x1000));
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  b.writeUInt16LE(o.type ?? 2, 16); b.writeUInt16LE(3, 18); b.writeUInt32LE(1, 20);
  b.writeUInt32LE(o.entry ?? loads[0].vaddr + 0x80, 24); b.writeUInt32LE(52, 28);
  b.writeUInt16LE(52, 40); b.writeUInt16LE(32, 42); b.writeUInt16LE(phnum, 44);
  const all: Phdr[] = [...loads.map((l) => ({ type: 1, offset: l.offset ?? code, vaddr: l.vaddr, filesz: l.filesz ?? 0x100, memsz: l.memsz ?? 0x100, flags: l.flags ?? 5 })), ...extra];
  all.forEach((p, i) => {
    const at = 52 + 32 * i;
    b.writeUInt32LE(p.type, at); b.writeUInt32LE(p.offset, at + 4); b.writeUInt32LE(p.vaddr, at + 8); b.writeUInt32LE(p.vaddr, at + 12);
    b.writeUInt32LE(p.filesz, at + 16); b.writeUInt32LE(p.memsz, at + 20); b.writeUInt32LE(p.flags, at + 24); b.writeUInt32LE(0x1000, at + 28);
  });
  for (const [at, blob] of blobs) b.set(blob, at);
  b.set([0xb8, 1, 0, 0, 0, 0xbb, o.status ?? 7, 0, 0, 0, 0xcd, 0x80], code + 0x80); // exit(status)
  return b;
}

const opts = (seed = 1) => ({ argv: ['prog', 'a'], envp: ['X=1'], random: new SeededRandom(seed) });

function auxvOf(mem: ArrayMemory, esp: number): Map<number, number> {
  const argc = mem.readU32(esp)!;
  let i = 1 + argc + 1;
  while (mem.readU32(esp + 4 * i) !== 0) i++;
  const auxv = new Map<number, number>();
  for (i++; mem.readU32(esp + 4 * i) !== 0; i += 2) auxv.set(mem.readU32(esp + 4 * i)!, mem.readU32(esp + 4 * i + 4)!);
  return auxv;
}

const load = suite('loading');

load('a PIE program (ET_DYN) is placed at Linux\'s ia32 base and its auxv says so', () => {
  const mem = new ArrayMemory();
  const p = loadProgram(mem, elf({ type: 3, load: [{ vaddr: 0 }] }), 'pie', opts());
  assert.is(p.bias, ET_DYN_BASE);
  assert.is(p.entry, ET_DYN_BASE + 0x80);
  const auxv = auxvOf(mem, p.esp);
  assert.is(auxv.get(AT.ENTRY), ET_DYN_BASE + 0x80);
  assert.is(auxv.get(AT.PHDR), ET_DYN_BASE + 52);
  assert.is(auxv.get(AT.BASE), 0, 'no interpreter');
  assert.is(p.brk, ET_DYN_BASE + 0x1000);
});

load('PT_INTERP: the interpreter is read from the guest\'s files, placed top-down, and started first', () => {
  const mem = new ArrayMemory();
  const fsys = new MemoryFileSystem({ 'lib/ld.so': elf({ type: 3, load: [{ vaddr: 0, memsz: 0x3000 }] }) });
  const p = loadProgram(mem, elf({ interp: '/lib/ld.so' }), 'prog', { ...opts(), fs: fsys, hwcap: 0x178bfbff });
  assert.ok(p.interp);
  assert.is(p.interp!.path, '/lib/ld.so');
  assert.ok(p.interp!.base > 0xa0000000 && p.interp!.base % 0x1000 === 0, 'below mmap_base, page-aligned');
  assert.is(p.entry, p.interp!.base + 0x80, 'the CPU starts in the interpreter');
  const auxv = auxvOf(mem, p.esp);
  assert.is(auxv.get(AT.BASE), p.interp!.base);
  assert.is(auxv.get(AT.ENTRY), 0x8048080, 'AT_ENTRY is the program\'s');
  assert.is(auxv.get(AT.PHENT), 32);
  assert.is(auxv.get(AT.PHNUM), 2);
  assert.is(auxv.get(AT.PAGESZ), 4096);
  assert.is(auxv.get(AT.HWCAP), 0x178bfbff);
  assert.is(auxv.get(AT.CLKTCK), 100);
  for (const k of [AT.FLAGS, AT.UID, AT.EUID, AT.GID, AT.EGID, AT.SECURE]) assert.is(auxv.get(k), 0);
  assert.is(mem.readCString(auxv.get(AT.PLATFORM)!, 10), 'i686');
  assert.is(mem.readCString(auxv.get(AT.EXECFN)!, 10), 'prog');
  assert.equal([...mem.read(auxv.get(AT.RANDOM)!, 16)!], [...new SeededRandom(1).bytes(16)], 'AT_RANDOM is the seeded generator\'s first draw');
});

load('AT_RANDOM follows the seed', () => {
  const bytes = (seed: number) => {
    const mem = new ArrayMemory();
    const p = loadProgram(mem, elf({}), 'p', opts(seed));
    return [...mem.read(auxvOf(mem, p.esp).get(AT.RANDOM)!, 16)!];
  };
  assert.equal(bytes(5), bytes(5));
  assert.not.equal(bytes(5), bytes(6));
});

function refuses(f: () => unknown, pattern: RegExp) {
  try {
    f();
  } catch (err) {
    assert.instance(err, BadInput);
    assert.match((err as Error).message, pattern);
    assert.not.match((err as Error).message, /\n/);
    return;
  }
  assert.unreachable(`accepted, expected ${pattern}`);
}

load('a missing interpreter is named; a corrupt one gets a program\'s checks', () => {
  refuses(() => loadProgram(new ArrayMemory(), elf({ interp: '/lib/ld-linux.so.2' }), 'prog', { ...opts(), fs: new MemoryFileSystem({}) }),
    /prog: its interpreter \/lib\/ld-linux.so.2 was not found/);
  const corrupt = new MemoryFileSystem({ 'ld.so': elf({ type: 3, load: [{ vaddr: 0 }] }).subarray(0, 40) });
  refuses(() => loadProgram(new ArrayMemory(), elf({ interp: '/ld.so' }), 'prog', { ...opts(), fs: corrupt }), /interpreter \/ld.so: truncated ELF header/);
  const exec = new MemoryFileSystem({ 'ld.so': elf({}) });
  refuses(() => loadProgram(new ArrayMemory(), elf({ interp: '/ld.so' }), 'prog', { ...opts(), fs: exec }), /not a shared object/);
});

load('a segment in the stack area is refused, not a crash', () => {
  refuses(() => loadProgram(new ArrayMemory(), elf({ load: [{ vaddr: 0xbff00000 }] }), 'x', opts()), /stack area/);
});

load('10,000 PT_LOAD segments: refused at once, as Linux refuses more than 64 KiB of program headers', () => {
  const t0 = Date.now();
  const many = elf({ load: Array.from({ length: 10000 }, (_, i) => ({ vaddr: 0x8048000 + i * 0x2000 })) });
  refuses(() => parseElf(many, 'x'), /10000 program headers; Linux reads at most 2048/);
  assert.ok(Date.now() - t0 < 2000);
});

const pers = suite('personality chosen by the binary');

pers('the note, the GNU ABI tag, PT_INTERP, or none', () => {
  assert.equal(personalityOf(parseElf(elf({}))), { name: 'paper', why: 'no C library marks' });
  assert.is(personalityOf(parseElf(elf({ note: ['GNU', 1, 'xxxxxxxxxxxxxxx'] }))).name, 'modern');
  assert.is(personalityOf(parseElf(elf({ interp: '/lib/ld.so' }))).name, 'modern');
  assert.is(personalityOf(parseElf(elf({ note: ['syscluster', 1, 'modern'] }))).name, 'modern');
  assert.is(personalityOf(parseElf(elf({ note: ['syscluster', 1, 'paper'], interp: '/x' }))).name, 'paper', 'the note wins');
  assert.is(resolvePersonality('auto', fs.readFileSync(GUEST('hello'))).personality.name, 'paper');
  assert.is(resolvePersonality('auto', fs.readFileSync(GUEST('tls'))).personality.name, 'modern');
  assert.is(resolvePersonality('paper', fs.readFileSync(GUEST('tls'))).personality.name, 'paper', '--personality overrides');
  const busybox = `${ROOT}/.cache/i386/programs/bin/busybox`;
  if (fs.existsSync(busybox)) assert.equal(resolvePersonality('auto', fs.readFileSync(busybox)).why, 'GNU ABI tag note');
});

pers('shown by --strace, not on a quiet run', () => {
  const quiet = cli(['run', 'hello']);
  assert.is(quiet.status, 0);
  assert.not.match(quiet.stderr, /personality/);
  const traced = cli(['run', 'tls', '--strace']);
  assert.is(traced.status, 42);
  assert.match(traced.stderr, /modern personality \(the program's syscluster note\)/);
  assert.match(traced.stderr, /set_thread_area\(\{entry_number=6, base_addr=0x[0-9a-f]+, limit=0xfffff, seg_32bit=1/);
});

const hostile = suite('hostile programs end cleanly and fast');

hostile('PIE and interpreter programs run on the emulator', async () => {
  const stdio = new CapturedStdio();
  const base = { profile: profile(), personality: personality('paper'), stdio, warn: () => {} };
  const pie = await runGuest(elf({ type: 3, load: [{ vaddr: 0 }], status: 9 }), 'pie', { ...base, argv: ['pie'], fs: new MemoryFileSystem({}) });
  assert.equal(pie.outcome, { kind: 'exited', status: 9 });
  const fsys = new MemoryFileSystem({ 'ld.so': elf({ type: 3, load: [{ vaddr: 0 }], status: 5 }) });
  const dyn = await runGuest(elf({ interp: '/ld.so', status: 3 }), 'dyn', { ...base, argv: ['dyn'], fs: fsys });
  assert.equal(dyn.outcome, { kind: 'exited', status: 5 }, 'the interpreter ran first');
});

const segments = (n: number) => elf({ code: 0x10000, load: Array.from({ length: n }, (_, i) => ({ vaddr: 0x8048000 + i * 0x2000, flags: i === 0 ? 5 : i % 2 ? 6 : 4 })) });
const runFile = (file: Uint8Array) => runGuest(file, 'many', { argv: ['many'], profile: profile(), personality: personality('paper'),
  stdio: new CapturedStdio(), fs: new MemoryFileSystem({}), warn: () => {} });

hostile('400 separate PT_LOAD segments load and run in bounded time', async () => {
  const t0 = Date.now();
  const r = await runFile(segments(400));
  const ms = Date.now() - t0;
  assert.equal(r.outcome, { kind: 'exited', status: 7 });
  assert.ok(ms < 15000, `${ms} ms`);
  assert.ok((r.kernel.mem as PagedMemory).regionCount <= 410);
});

hostile('2,000 separate PT_LOAD segments: refused with one line (the area limit), fast', async () => {
  const t0 = Date.now();
  try {
    await runFile(segments(2000));
    assert.unreachable('loaded');
  } catch (err) {
    assert.instance(err, BadInput);
    assert.match((err as Error).message, /needs more than 512 memory areas/);
  }
  assert.ok(Date.now() - t0 < 15000, `${Date.now() - t0} ms`);
});

hostile('brk walked up and down one page at a time 20,000 times: fast, few regions, zeroed pages', async () => {
  const t0 = Date.now();
  const r = await run('memwalk', ['20000']);
  const ms = Date.now() - t0;
  assert.is(r.stdout, 'ok\n');
  assert.equal(r.outcome, { kind: 'exited', status: 0 });
  assert.ok(ms < 30000, `${ms} ms`);
  assert.ok((r.kernel.mem as PagedMemory).regionCount < 20, `${(r.kernel.mem as PagedMemory).regionCount} regions`);
});

hostile('--max-memory: a heap past the limit gets ENOMEM (brk stays put) and the guest goes on', () => {
  const r = cli(['run', 'memwalk', '20000', '--max-memory', '32M']);
  assert.is(r.status, 10, 'memwalk exits 10 when brk cannot grow');
  assert.is(r.stderr, '');
  const bad = cli(['run', 'hello', '--max-memory', 'lots']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--max-memory lots/);
});

hostile('a missing interpreter: one line naming the path, exit 2', () => {
  const dir = fs.mkdtempSync('/tmp/syscluster-loader-');
  fs.writeFileSync(`${dir}/prog`, elf({ interp: '/lib/ld-nowhere.so.9' }));
  const r = cli(['run', `${dir}/prog`, '--root', dir]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^syscluster: .*its interpreter \/lib\/ld-nowhere.so.9 was not found.*\n$/);
  fs.rmSync(dir, { recursive: true });
});

load.run();
pers.run();
hostile.run();
