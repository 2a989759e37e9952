// The static analysis (analysis/): the paper's verdicts on the project's guests, the
// command line, Debian's static busybox, and specialized calls emitted from a profile that
// copy a file exactly and stop at its end.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { analyzeBinary } from '../analysis/index.js';
import type { Region } from '../analysis/regions.js';
import { readEvents } from '../profiler/events.js';
import { buildGraph, frequentSequences } from '../profiler/graph.js';
import { specializedFromProfile } from '../profiler/specialize.js';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import { GUEST, ROOT, cli, makeElf, profile, tmpdir } from './helpers.js';

const regionsOf = async (guest: string) => (await analyzeBinary(fs.readFileSync(GUEST(guest)), guest)).regions;
const find = (rs: Region[], fn: string, calls: string[], kind = 'pair') => {
  const r = rs.find((x) => x.function === fn && x.kind === kind && x.calls.join() === calls.join());
  assert.ok(r, `${fn}: ${calls.join(',')} (${kind}) among ${rs.filter((x) => x.function === fn).map((x) => x.calls.join()).join('; ')}`);
  return r!;
};

const guests = suite('verdicts on the guests, from the paper\'s text');

guests('the copy loop: read,write now; write,read after loop rotation with a checked entry (Figure 7); the loop once', async () => {
  const rs = await regionsOf('copy');
  const rw = find(rs, 'main', ['read', 'write']);
  assert.is(rw.clusterable, true);
  assert.equal(rw.arguments.map((a) => a.kind), ['outside', 'constant', 'result'], 'write\'s count is read\'s result');
  const wr = find(rs, 'main', ['write', 'read']);
  assert.is(wr.clusterable, false);
  assert.equal(wr.after, ['loop-rotation']);
  assert.ok(wr.failed.includes('dominance'));
  assert.ok(wr.exits.length === 1 && /write's result/.test(wr.exits[0]), 'the error test leaves the region: a checked entry');
  const loops = rs.filter((r) => r.kind === 'loop' && r.function === 'main');
  assert.is(loops.length, 1, 'rotations of one loop listed once');
  assert.equal(loops[0].calls, ['read', 'write']);
  assert.equal(loops[0].after, ['loop-rotation']);
  assert.ok(loops[0].exits.some((e) => /read's result <= 0/.test(e)), loops[0].exits.join());
});

guests('one pattern per function (guest/regions.c)', async () => {
  const rs = await regionsOf('regions');
  const feeds = find(rs, 'result_feeds', ['read', 'write']);
  assert.ok(feeds.clusterable);
  const counter = find(rs, 'counter_between', ['write', 'write']);
  assert.equal([counter.clusterable, counter.after], [false, ['interchange']]);
  assert.ok(counter.lines.some((l) => l.blocking && /add dword ptr/.test(l.text)), 'the increment is marked');
  const expr = find(rs, 'expression_arg', ['read', 'write']);
  assert.equal([expr.failed, expr.after], [['argument-safety'], []]);
  assert.match(expr.never!, /expression of read's result/);
  const exit = find(rs, 'error_exit', ['write', 'read']);
  assert.ok(exit.clusterable && exit.exits.length > 0, 'clusterable with a checked entry');
  const cont = find(rs, 'error_continues', ['write', 'read']);
  assert.equal([cont.clusterable, cont.after], [false, ['mutual-exclusion']], JSON.stringify(cont.reasons));
  assert.ok(cont.failed.includes('safety') && !cont.failed.includes('convexity'), 'the handler runs on one branch only');
  const mod = find(rs, 'modifies_buffer', ['read', 'write']);
  assert.equal(mod.after, []);
  assert.match(mod.never!, /changes what the later call reads/);
  const split = find(rs, 'split_calls', ['read', 'write'], 'split');
  assert.equal(split.after, ['inlining']);
  const loop = find(rs, 'copy_loop_body', ['read', 'write'], 'loop');
  assert.equal(loop.after, ['loop-rotation']);
});

guests('the Figure 3 fragment and the mpeg player\'s select + gettimeofday are clusterable', async () => {
  const fig3 = find(await regionsOf('fig3_original'), 'main', ['write', 'read']);
  assert.ok(fig3.clusterable, JSON.stringify(fig3.reasons));
  assert.ok(fig3.exits.length > 0, 'write\'s error handling leaves the region');
  const mpeg = find(await regionsOf('mpeg_play'), 'main', ['_newselect', 'gettimeofday']);
  assert.ok(mpeg.clusterable, JSON.stringify(mpeg.reasons));
});

guests.run();

const command = suite('syscluster analyze');

command('--json in the issue\'s shape, --svg draws the CFG, --profile ranks by the run', () => {
  const d = tmpdir();
  const r = cli(['analyze', 'copy', '--json', '--svg', path.join(d, 'c.svg'), '--function', 'main']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  for (const x of j.regions) {
    assert.type(x.function, 'string');
    assert.ok(Array.isArray(x.calls) && /^0x/.test(x.start) && /^0x/.test(x.end) && typeof x.clusterable === 'boolean');
    assert.ok(Array.isArray(x.failed) && Array.isArray(x.after) && typeof x.reasons === 'object');
    assert.equal(Object.keys(x).sort(), ['after', 'calls', 'clusterable', 'end', 'failed', 'function', 'reasons', 'start']);
  }
  assert.ok(j.regions.some((x: { calls: string[]; after: string[] }) => x.calls.join() === 'write,read' && x.after.join() === 'loop-rotation'));
  assert.match(fs.readFileSync(path.join(d, 'c.svg'), 'utf8'), /^<svg [^]*fill="#ffe08a"/);
  fs.writeFileSync(path.join(d, 'in'), Buffer.alloc(20000, 7));
  assert.is(cli(['trace', 'copy', 'in', 'out', '--root', d, '--out', path.join(d, 'c.jsonl')]).status, 0);
  const ranked = cli(['analyze', 'copy', '--profile', path.join(d, 'c.jsonl')]);
  assert.is(ranked.status, 0, ranked.stderr);
  assert.match(ranked.stdout, /main: (read -> write|write -> read)/);
  const text = cli(['analyze', 'copy']);
  assert.match(text.stdout, /write -> read \(pair, [^)]*\): clusterable after loop-rotation/);
  assert.match(text.stdout, /FAIL linearity/);
  const prof = cli(['profile', path.join(d, 'c.jsonl')]);
  assert.match(prof.stdout, /specialized read, write \(\d+x\)  \[clusterable\]/, 'candidates carry the binary\'s verdict');
  assert.is((prof.stdout.match(/ looped /g) ?? []).length, 1, 'one loop, not one per rotation');
});

command('bad input: one line, exit 2', () => {
  for (const args of [['analyze', '/etc/passwd'], ['analyze', 'no-such-guest'], ['analyze', 'copy', '--function', 'nope']]) {
    const r = cli(args);
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

const BUSYBOX = path.join(ROOT, '.cache/i386/programs/bin/busybox');
command('Debian\'s static busybox: the analysis completes and finds its system-call sites', async () => {
  if (!fs.existsSync(BUSYBOX)) { console.log('  (skipped: .cache/i386 not fetched)'); return; }
  const t0 = Date.now();
  const a = await analyzeBinary(fs.readFileSync(BUSYBOX), 'busybox');
  assert.ok(a.sites.all.length > 100, `${a.sites.all.length} sites`);
  assert.ok(a.sites.all.some((s) => s.via === 'vsyscall'), 'glibc\'s call *%gs:0x10');
  assert.ok(a.sites.all.filter((s) => s.nr !== undefined).length / a.sites.all.length > 0.8, 'numbers found by constant propagation');
  console.log(`  busybox: ${a.program.funcs.size} functions, ${a.sites.all.length} sites, ${Date.now() - t0} ms, heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB`);
});

command('random code and damaged section headers: the analysis ends without a host exception', async () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let t = 0; t < 40; t++) {
    const b = Buffer.from(makeElf({ fileSize: 0x2000, segments: [{ vaddr: 0x8048000, offset: 0, filesz: 0x2000, memsz: 0x2000, flags: 5 }] }));
    for (let i = 0x100; i < 0x2000; i++) b[i] = (rnd() * 256) | 0;
    for (let k = 0; k < 20; k++) b.set([0xcd, 0x80], 0x100 + ((rnd() * 0x1e00) | 0)); // traps among the noise
    b.writeUInt32LE(0x100 + ((rnd() * 0x1000) | 0), 32); // section headers over random bytes
    b.writeUInt16LE(40, 46);
    b.writeUInt16LE((rnd() * 40) | 0, 48);
    const a = await analyzeBinary(b, `noise-${t}`);
    assert.ok(a.program.funcs.size >= 1, 'the entry point is a function');
  }
});

command.run();

const safe = suite('safe advice: emitted definitions');

safe('the copy guest\'s emitted loop copies the file exactly and stops at end of file (the 4 GiB case)', () => {
  const d = tmpdir();
  const input = Buffer.from(Array.from({ length: 100 * 1024 + 123 }, (_, i) => (i * 13) & 0xff));
  fs.writeFileSync(path.join(d, 'in.txt'), input);
  assert.is(cli(['trace', 'copy', 'in.txt', 'out.txt', '--root', d, '--out', path.join(d, 'copy.jsonl')]).status, 0);
  const emitted = cli(['profile', path.join(d, 'copy.jsonl'), '--emit-specialized', path.join(d, 'defs.json')]);
  assert.is(emitted.status, 0, emitted.stderr);
  assert.match(emitted.stderr, /checked against .*guest\/build\/copy/);
  const defs = JSON.parse(fs.readFileSync(path.join(d, 'defs.json'), 'utf8')).calls;
  const names = defs.map((x: { name: string }) => x.name);
  assert.ok(!names.includes('write_read_loop'), 'no rotation of the same loop twice, no loop on write\'s result');
  const loop = defs.find((x: { loop?: unknown }) => x.loop);
  assert.ok(loop, names.join());
  assert.equal(loop.steps.map((s: { call: string }) => s.call), ['read', 'write']);
  // Run it as a guest would: in and out open, one crossing.
  const mem = new ArrayMemory();
  mem.map(0x10000, 0x20000, PROT.READ | PROT.WRITE);
  const fsys = new MemoryFileSystem({ '/in.txt': input });
  const k = new Kernel({ profile: profile(), personality: personality('paper', defs), memory: mem, fs: fsys, stdio: new CapturedStdio(), brk: 0x80000, warn: () => {} });
  const regs = (eax: number, ...a: number[]): UserRegs => ({ eax, ebx: a[0] ?? 0, ecx: a[1] ?? 0, edx: a[2] ?? 0, esi: a[3] ?? 0, edi: a[4] ?? 0, ebp: 0,
    esp: 0xbfff0000, eip: 0x8048000, eflags: 0x202, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b });
  const trap = (nr: number, ...a: number[]) => k.crossing(regs(nr, ...a), 0) | 0;
  mem.write(0x1f000, Buffer.from('in.txt\0out.txt\0'));
  assert.is(trap(5, 0x1f000, O.RDONLY), 3);
  assert.is(trap(5, 0x1f007, O.WRONLY | O.CREAT | O.TRUNC, 0o644), 4);
  const nr = [...personality('paper', defs).table.values()].find((s) => s.name === loop.name)!.nr;
  const params = loop.params.map((p: string) => (p === 'buf' ? 0x10000 : p === 'fd' ? 3 : p === 'count' ? 4096 : 0));
  const before = k.ledger.crossings;
  const total = trap(nr, ...params);
  assert.is(total, input.length, 'returns the bytes copied');
  assert.equal(Buffer.from(fsys.contents('out.txt')!), input, 'the copy is exact');
  assert.is(k.ledger.crossings - before, 1);
  assert.is(trap(nr, ...params), 0, 'at end of file it returns 0 at once');
});

safe('a definition that would not stop where the program stopped is not emitted', () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in.txt'), Buffer.alloc(8192 * 4, 1));
  assert.is(cli(['trace', 'copy', 'in.txt', 'out.txt', '--root', d, '--out', path.join(d, 'c.jsonl')]).status, 0);
  const text = fs.readFileSync(path.join(d, 'c.jsonl'), 'utf8');
  // Without the binary (a dump that names none) the trace's data flow decides; every emitted loop still stops on read.
  const log = readEvents(text.replace(/,"binary":\{[^}]*\}/, ''), 'c.jsonl');
  const { defs } = specializedFromProfile([log], frequentSequences(buildGraph([log], new Map())), { profile: profile() });
  for (const def of defs) {
    if (def.loop) assert.is(def.steps[def.loop.while_positive].call, 'read', JSON.stringify(def));
    const lastRead = def.steps.map((st) => st.call).lastIndexOf('read');
    if (!def.loop && lastRead >= 0) assert.equal(def.returns, { result: lastRead }, 'the caller gets the last read\'s count');
    for (const st of def.steps) if (st.call === 'write' && 'result' in st.args[2]) assert.is(def.steps[st.args[2].result].call, 'read', 'write\'s count from a read');
    for (const s of def.steps) if (s.call === 'write') assert.ok(!('const' in s.args[2]), 'write\'s count is never typed in from the trace');
  }
});

safe.run();
