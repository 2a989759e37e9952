// Automatic clustering (rewrite/, `syscluster cluster`): every region of the region guests
// that is clusterable as it stands is rewritten and proven; the copy guest and the mpeg
// player, rewritten, match the hand-clustered guests; the output is a loadable ELF that
// is the same bytes on every run; bad input is refused with a reason.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { analyzeBinary } from '../analysis/index.js';
import { parseElf } from '../emulator/elf.js';
import { runGuest } from '../emulator/machine.js';
import { builtinSpecialized, loadSpecialized, personality } from '../kernel-model/table.js';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { CHECK_NOT_POSITIVE } from '../kernel-model/sys/batch.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import { cluster } from '../rewrite/cluster.js';
import { checkRewrite } from '../rewrite/check.js';
import { mpegStream, pseudoRandomBytes } from '../scenarios/inputs.js';
import { GUEST, ROOT, cli, makeElf, profile, tmpdir } from './helpers.js';

const bytesOf = (g: string) => new Uint8Array(fs.readFileSync(GUEST(g)));
const rewrite = async (g: string, regions?: string[]) => cluster(await analyzeBinary(bytesOf(g), g), { regions });

async function runBytes(bytes: Uint8Array, name: string, args: string[], files: Record<string, Uint8Array>) {
  const stdio = new CapturedStdio();
  const fsys = new MemoryFileSystem(files);
  const r = await runGuest(bytes, name, { argv: [name, ...args], profile: profile(), personality: personality('paper'), fs: fsys, stdio, warn: () => {} });
  const l = r.kernel.ledger.toJSON();
  return { exit: r.exitCode, stdout: stdio.stdout(), stderr: stdio.stderr(), crossings: l.crossings, cycles: l.cycles.total,
    files: Object.fromEntries(fsys.paths().map((p) => [p, Buffer.from(fsys.contents(p)!).toString('base64')])) };
}

const entry = suite('the multi-call\'s check for end of file');

entry('check_return_value 2 stops on a result of 0; 1 does not', () => {
  for (const [check, expect] of [[CHECK_NOT_POSITIVE, 1], [1, 3]] as const) {
    const mem = new ArrayMemory();
    const RW = 0x10000;
    mem.map(RW, 0x10000, PROT.READ | PROT.WRITE);
    const fsys = new MemoryFileSystem({ '/empty': new Uint8Array(0) });
    const k = new Kernel({ profile: profile(), personality: personality('paper'), memory: mem, fs: fsys, stdio: new CapturedStdio(), brk: 0x80000, warn: () => {} });
    const trap = (eax: number, ebx: number, ecx: number, edx = 0) => k.crossing({ eax, ebx, ecx, edx, esi: 0, edi: 0, ebp: 0, esp: 0xbfff0000,
      eip: 0x8048000, eflags: 0x202, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b }, 0) | 0;
    mem.write(RW + 0xf000, Buffer.from('/empty\0'));
    const fd = trap(5, RW + 0xf000, O.RDONLY);
    const outPath = RW + 0xf100;
    mem.write(outPath, Buffer.from('/out\0'));
    const out = trap(5, outPath, O.WRONLY | O.CREAT, 0o644);
    const w = (a: number, ...v: number[]) => v.forEach((x, i) => mem.writeU32(a + 4 * i, x));
    // read(fd, buf, 16) checked; write(out, buf, n) with n = read's result
    w(RW + 0x100, fd, RW + 0x400, 16, out);
    w(RW + 0x200, RW + 0x100, RW + 0x104, RW + 0x108);
    w(RW + 0x220, RW + 0x10c, RW + 0x104, RW + 0x300);
    w(RW, 3, RW + 0x200, RW + 0x300, check, 4, RW + 0x220, RW + 0x304, 0);
    mem.writeU32(RW + 0x304, 0x7777);
    assert.is(trap(240, 2, RW), expect);
    assert.is(mem.readU32(RW + 0x304), check === CHECK_NOT_POSITIVE ? 0x7777 : 0, 'write ran only without the check');
  }
});

const regions = suite('the region guests');

regions('every region clusterable as it stands is rewritten, the others are left with their reason, and the check passes', async () => {
  const an = await analyzeBinary(bytesOf('regions'), 'regions');
  const r = cluster(an);
  const rewritten = r.rewritten.map((w) => `${w.region.function}:${w.region.calls.join(',')}`).sort();
  assert.equal(rewritten, ['copy_loop_body:read,write', 'error_exit:write,read', 'main:open,open', 'result_feeds:read,write']);
  // Each clusterable pair is either rewritten or shares its first call with one that is.
  for (const reg of an.regions.filter((x) => x.kind === 'pair' && x.clusterable)) {
    const done = r.rewritten.some((w) => w.region === reg);
    const left = r.left.find((l) => l.region === reg);
    assert.ok(done || /already the start of/.test(left?.why ?? ''), `${reg.function} ${reg.calls}: ${left?.why}`);
  }
  const why = (fn: string) => r.left.find((l) => l.region.function === fn)?.why ?? '';
  assert.match(why('expression_arg'), /arbitrary expression of read's result/);
  assert.match(why('modifies_buffer'), /writes memory that write reads/);
  const listed = new Map(r.needTransformation.map((t) => [t.function, t.after.join()]));
  assert.is(listed.get('counter_between'), 'interchange');
  assert.is(listed.get('error_continues'), 'mutual-exclusion');
  assert.is(listed.get('split_calls'), 'inlining');
  for (const p of r.patches) assert.ok(r.rewritten.some((w) => w.region.sites[0].at === p.address), 'only rewritten regions are patched');
  const error = r.rewritten.find((w) => w.region.function === 'error_exit')!;
  assert.is(error.check, 1, 'write is checked: the error exit stays in user code');
  const loop = r.rewritten.find((w) => w.region.function === 'copy_loop_body')!;
  assert.is(loop.check, 2, 'read is checked for end of file: the loop leaves on read <= 0');

  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'in.txt'), pseudoRandomBytes(9000));
  const c = await checkRewrite(bytesOf('regions'), r.output!, { workdir: dir, name: 'regions', exePath: GUEST('regions'), args: ['in.txt', 'out.txt'],
    profile: profile(), personality: personality('paper'), clusters: r.rewritten.map((w) => w.region.calls) });
  assert.ok(c.ok, c.why);
  assert.ok(c.rewritten.crossings < c.original.crossings);
  assert.ok(fs.readdirSync(dir).join() === 'in.txt', 'the working directory is left as it was');
});

regions('an error on a checked entry takes the original error exit', async () => {
  // copy's read fails on a directory (EISDIR): the multi-call stops at read, and the
  // original code reports the error and exits 1, in both versions.
  const r = await rewrite('copy', ['read,write']);
  const files = { '/d/x': new Uint8Array(1) };
  const o = await runBytes(bytesOf('copy'), 'copy', ['/d', '/out'], { ...files });
  const w = await runBytes(r.output!, 'copy', ['/d', '/out'], { ...files });
  assert.is(o.exit, 1);
  assert.equal([w.exit, w.stdout, w.stderr, w.files], [o.exit, o.stdout, o.stderr, o.files]);
  assert.match(w.stderr, /read: EISDIR \(Is a directory\)/);
});

const hand = suite('against the hand-clustered guests');

hand('copy: the rewritten loop makes as many crossings as copy_multicall, within 2% of its cycles', async () => {
  const r = await rewrite('copy', ['read,write']);
  for (const block of ['512', '4096']) {
    const files = { '/in': pseudoRandomBytes(100_000) };
    const o = await runBytes(bytesOf('copy'), 'copy', ['/in', '/out', block], { ...files });
    const a = await runBytes(r.output!, 'copy', ['/in', '/out', block], { ...files });
    const h = await runBytes(bytesOf('copy_multicall'), 'copy_multicall', ['/in', '/out', block], { ...files });
    assert.equal(a.files, o.files);
    assert.is(a.crossings, h.crossings);
    assert.ok(a.crossings < o.crossings);
    assert.ok(Math.abs(a.cycles - h.cycles) / h.cycles < 0.02, `${a.cycles} against ${h.cycles}`);
  }
});

hand('mpeg_play: select and gettimeofday as one multi-call: the crossings of mpeg_play_clustered, within 2% of its cycles', async () => {
  const r = await rewrite('mpeg_play', ['_newselect,gettimeofday']);
  const files = { '/s.mpg': mpegStream(60_000, 20, 7) };
  const o = await runBytes(bytesOf('mpeg_play'), 'mpeg_play', ['/s.mpg', '30'], { ...files });
  const a = await runBytes(r.output!, 'mpeg_play', ['/s.mpg', '30'], { ...files });
  const h = await runBytes(bytesOf('mpeg_play_clustered'), 'mpeg_play_clustered', ['/s.mpg', '30'], { ...files });
  assert.equal([a.exit, a.stdout, a.files], [o.exit, o.stdout, o.files]);
  assert.is(a.crossings, h.crossings);
  assert.ok(Math.abs(a.cycles - h.cycles) / h.cycles < 0.02, `${a.cycles} against ${h.cycles}`);
});

hand('--specialized: a definition that matches the region exactly replaces the multi-call; the built-in select_time does not match', async () => {
  const file = path.join(ROOT, 'test/fixtures/select-then-time.json');
  const pers = personality('paper', loadSpecialized(file));
  const nrOf = (name: string) => [...pers.table.values()].find((c) => c.name === name)!.nr;
  const an = await analyzeBinary(bytesOf('mpeg_play'), 'mpeg_play');
  const builtin = cluster(an, { regions: ['_newselect,gettimeofday'], specialized: builtinSpecialized().map((def) => ({ def, nr: nrOf(def.name) })) });
  assert.is(builtin.rewritten[0].specialized, undefined, 'select_time stops on select\'s error; mpeg_play goes on to gettimeofday');
  const defs = [...builtinSpecialized(), ...loadSpecialized(file)].map((def) => ({ def, nr: nrOf(def.name) }));
  const r = cluster(an, { regions: ['_newselect,gettimeofday'], specialized: defs });
  assert.is(r.rewritten[0].specialized, 'select_then_time');
  const files = { '/s.mpg': mpegStream(60_000, 20, 7) };
  const stdio = new CapturedStdio();
  const run = await runGuest(r.output!, 'mpeg_play', { argv: ['mpeg_play', '/s.mpg', '30'], profile: profile(), personality: pers, fs: new MemoryFileSystem({ ...files }), stdio, warn: () => {} });
  const o = await runBytes(bytesOf('mpeg_play'), 'mpeg_play', ['/s.mpg', '30'], { ...files });
  const h = await runBytes(bytesOf('mpeg_play_clustered'), 'mpeg_play_clustered', ['/s.mpg', '30'], { ...files });
  assert.equal([run.exitCode, stdio.stdout()], [o.exit, o.stdout]);
  const l = run.kernel.ledger.toJSON();
  assert.is(l.crossings, h.crossings);
  assert.ok(Math.abs(l.cycles.total - h.cycles) / h.cycles < 0.005, `${l.cycles.total} against ${h.cycles}`);
});

const output = suite('the output file');

output('a valid ELF: two new PT_LOAD segments below the first, the program header table moved into the new code segment', async () => {
  const r = await rewrite('copy');
  const before = parseElf(bytesOf('copy')), after = parseElf(r.output!);
  assert.is(after.segments.length, before.segments.length + 2);
  assert.is(after.end, before.end, 'the break does not move');
  assert.ok(after.phdrAddress > 0 && after.phdrAddress < Math.min(...before.segments.map((s) => s.vaddr)));
  assert.is(after.entry, before.entry);
});

output('deterministic: the same input gives the same bytes', async () => {
  const a = await rewrite('regions'), b = await rewrite('regions');
  assert.ok(Buffer.from(a.output!).equals(Buffer.from(b.output!)));
});

output('qemu-i386 loads it; its 240 is not a multi-call, so the trampoline makes the original calls', () => {
  const dir = tmpdir();
  assert.is(cli(['cluster', 'copy', '-o', path.join(dir, 'copy.clustered')]).status, 0);
  fs.writeFileSync(path.join(dir, 'in.txt'), pseudoRandomBytes(10_000));
  const q = spawnSync('qemu-i386', ['-strace', './copy.clustered', 'in.txt', 'out.txt'], { cwd: dir, encoding: 'latin1' });
  if (q.error) return; // no qemu-i386 on this machine
  assert.is(q.status, 0);
  assert.match(q.stderr, /futex\(0x00000002,.*errno=38/);
  assert.ok(fs.readFileSync(path.join(dir, 'out.txt')).equals(fs.readFileSync(path.join(dir, 'in.txt'))));
});

const command = suite('syscluster cluster');

command('the done criterion: copy -o copy.clustered --check in.txt out.txt passes and prints the saving', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'in.txt'), pseudoRandomBytes(50_000));
  const r = cli(['cluster', GUEST('copy'), '-o', 'copy.clustered', '--check', 'in.txt', 'out.txt'], { cwd: dir });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /original: +\d+ crossings/);
  assert.match(r.stdout, /saving: +\d+ crossings, [\d,]+ cycles \(\d+\.\d+%\)/);
  assert.match(r.stdout, /whatif: /);
  assert.match(r.stdout, /check passed/);
  assert.ok(fs.existsSync(path.join(dir, 'copy.clustered')));
  assert.not.ok(fs.existsSync(path.join(dir, 'out.txt')), 'the check runs in scratch copies');
});

command('--dry-run prints the patches, old and new bytes disassembled, and writes nothing', () => {
  const dir = tmpdir();
  const r = cli(['cluster', 'copy', '--regions', 'read,write', '--dry-run'], { cwd: dir });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /patch 0x[0-9a-f]+: e8 .*call 0x[0-9a-f]+ +=> +e9 .*jmp 0x[0-9a-f]+/);
  assert.match(r.stdout, /int 0x80/);
  assert.is(fs.readdirSync(dir).length, 0);
});

command('a check that fails leaves no file and exits 4', () => {
  // The original fails to open a missing input; so does the rewritten one, but the check
  // then finds no fewer crossings (the rewritten regions never run).
  const dir = tmpdir();
  const r = cli(['cluster', 'copy', '--regions', 'read,write', '-o', 'x', '--check', 'missing.txt', 'out.txt'], { cwd: dir });
  assert.is(r.status, 4, r.stdout + r.stderr);
  assert.match(r.stdout, /check failed: .*not fewer/);
  assert.not.ok(fs.existsSync(path.join(dir, 'x')));
});

command('bad input: one line and a documented exit code', () => {
  const dir = tmpdir();
  const notElf = path.join(dir, 'not-elf');
  fs.writeFileSync(notElf, 'hello');
  let r = cli(['cluster', notElf, '-o', path.join(dir, 'o')]);
  assert.is(r.status, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  r = cli(['cluster', 'copy']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /-o OUT/);
  // A program whose code segment is writable may change its own code: nothing is rewritten.
  const bin = bytesOf('copy');
  const img = parseElf(bin);
  const patched = bin.slice();
  const dv = new DataView(patched.buffer);
  for (let i = 0; i < img.phnum; i++) {
    const o = img.phoff + 32 * i;
    if (dv.getUint32(o, true) === 1 && (dv.getUint32(o + 24, true) & 1)) dv.setUint32(o + 24, 7, true);
  }
  fs.writeFileSync(path.join(dir, 'smc'), patched);
  r = cli(['cluster', path.join(dir, 'smc'), '-o', path.join(dir, 'o')]);
  assert.is(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /writable: the program may change its own code/);
  assert.not.ok(fs.existsSync(path.join(dir, 'o')));
  // A binary with no system-call stubs: nothing to rewrite.
  fs.writeFileSync(path.join(dir, 'tiny'), makeElf());
  r = cli(['cluster', path.join(dir, 'tiny'), '-o', path.join(dir, 'o')]);
  assert.is(r.status, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /nothing rewritten/);
});

entry.run();
regions.run();
hand.run();
output.run();
command.run();
