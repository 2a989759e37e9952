// Multi-calls and specialized calls: the paper's semantics, equivalence with the plain
// sequences they replace, and hostile guests.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { E } from '../kernel-model/errno.js';
import { personality, PLAIN_ARITY } from '../kernel-model/table.js';
import { SpecializedError, validateSpecialized, type SpecializedDef } from '../kernel-model/specialized.js';
import { MAX_MULTICALL_ENTRIES } from '../kernel-model/sys/batch.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import { cli, profile, run, tmpdir } from './helpers.js';
import fs from 'node:fs';
import path from 'node:path';

const RW = 0x10000, RO = 0x30000;
const NR = { exit: 1, read: 3, write: 4, open: 5, getpid: 20, gettimeofday: 78, select: 142, multi: 240,
  read_write: 241, write_read: 242, select_time: 243, copy_loop: 244, copy_4096: 245 };

function setup(files: Record<string, Uint8Array> = {}, extra: SpecializedDef[] = []) {
  const mem = new ArrayMemory();
  mem.map(RW, 0x10000, PROT.READ | PROT.WRITE);
  mem.map(RO, 0x1000, PROT.READ);
  const fsys = new MemoryFileSystem(files);
  const stdio = new CapturedStdio();
  const k = new Kernel({ profile: profile(), personality: personality('paper', extra), memory: mem, fs: fsys, stdio, brk: 0x80000, warn: () => {} });
  const regs = (eax: number, ...a: number[]): UserRegs => ({ eax, ebx: a[0] ?? 0, ecx: a[1] ?? 0, edx: a[2] ?? 0, esi: a[3] ?? 0,
    edi: a[4] ?? 0, ebp: a[5] ?? 0, esp: 0xbfff0000, eip: 0x8048000, eflags: 0x202, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b });
  const trap = (nr: number, ...a: number[]) => k.crossing(regs(nr, ...a), 0) | 0;
  const str = (addr: number, s: string) => { mem.write(addr, Buffer.from(s + '\0')); return addr; };
  const open = (p: string, flags: number) => trap(NR.open, str(RW + 0xf000, p), flags, 0o644);
  /** Writes words at addr; returns addr. */
  const words = (addr: number, ...w: number[]) => { w.forEach((v, i) => mem.writeU32(addr + 4 * i, v)); return addr; };
  /** A multi-call entry array at addr from [nr, [argument addresses], result addr, check]. */
  let paramArea = RW + 0x8000;
  const entries = (addr: number, list: [number, number[], number, number][]) => {
    list.forEach(([nr, argPtrs, result, check], i) => {
      const params = words(paramArea, ...argPtrs);
      paramArea += 4 * Math.max(1, argPtrs.length);
      words(addr + 16 * i, nr, params, result, check);
    });
    return addr;
  };
  return { k, mem, fsys, stdio, trap, str, open, words, entries };
}

const multi = suite('multi-call semantics (paper Figure 2)');

multi('entries run in order, arguments are read when their entry runs, results stored', () => {
  const t = setup({ '/in': Buffer.from('0123456789abcdef') });
  const inFd = t.open('in', O.RDONLY), outFd = t.open('out', O.WRONLY | O.CREAT);
  // read(in, buf, 10) then write(out, buf, n) with n = read's result (argument safety, section 3.2)
  const v = t.words(RW + 0x100, inFd, RW + 0x400, 10, outFd);
  const res = RW + 0x200;
  t.entries(RW, [[NR.read, [v, v + 4, v + 8], res, 1], [NR.write, [v + 12, v + 4, res], res + 4, 1]]);
  assert.is(t.trap(NR.multi, 2, RW), 3, 'count + 1 when nothing failed');
  assert.is(t.mem.readU32(res), 10);
  assert.is(t.mem.readU32(res + 4), 10);
  assert.is(Buffer.from(t.fsys.contents('out')!).toString(), '0123456789');
  assert.is(t.k.ledger.crossings, 3);
  assert.is(t.k.ledger.syscalls, 5);
});

multi('a checked failure stops the batch and returns its 1-based index; an unchecked one does not', () => {
  const t = setup();
  const bad = t.words(RW + 0x100, 99, RW + 0x400, 4), res = RW + 0x200;
  t.entries(RW, [[NR.getpid, [], res, 1], [NR.read, [bad, bad + 4, bad + 8], res + 4, 0], [NR.read, [bad, bad + 4, bad + 8], res + 8, 1], [NR.getpid, [], res + 12, 1]]);
  t.words(res + 12, 0x5555);
  assert.is(t.trap(NR.multi, 4, RW), 3);
  assert.is(t.mem.readU32(res) , t.k.pid);
  assert.is(t.mem.readU32(res + 4)! | 0, -E.EBADF, 'unchecked failure stored, batch went on');
  assert.is(t.mem.readU32(res + 8)! | 0, -E.EBADF);
  assert.is(t.mem.readU32(res + 12), 0x5555, 'the entry after the checked failure never ran');
});

multi('one entry and one exit for the whole batch, per-entry dispatch and marshalling charged', () => {
  const t = setup();
  const res = RW + 0x200;
  t.entries(RW, [[NR.getpid, [], res, 1], [NR.getpid, [], res + 4, 1], [NR.getpid, [], res + 8, 1]]);
  t.trap(NR.multi, 3, RW);
  const p = profile();
  assert.is(t.k.ledger.entry, p.boundary.entry_cycles);
  assert.is(t.k.ledger.exit, p.boundary.exit_cycles);
  assert.is(t.k.ledger.syscalls, 4);
  // base + 3 per-entry + 3 x 16-byte entries copied in + 3 results copied out + 3 getpid
  // handlers, the second and third done warm
  const copy = 3 * 16 * p.copy.from_user_cycles_per_byte + 3 * 4 * p.copy.to_user_cycles_per_byte;
  assert.is(t.k.ledger.handler, p.multicall.base_cycles + 3 * p.multicall.per_entry_cycles + copy
    + 3 * p.handler_cycles.getpid - 2 * p.batch.warm_step_saving_cycles);
});

multi.run();

const hostile = suite('hostile multi-calls: errors, never a crash, and the next call works');

function thenStillWorks(t: ReturnType<typeof setup>) {
  assert.is(t.trap(NR.getpid), t.k.pid);
  t.entries(RW + 0x3000, [[NR.getpid, [], RW + 0x3800, 1]]);
  assert.is(t.trap(NR.multi, 1, RW + 0x3000), 2);
}

hostile('count 0, negative, or over the limit: EINVAL', () => {
  const t = setup();
  t.entries(RW, [[NR.getpid, [], RW + 0x200, 1]]);
  for (const c of [0, -1, 0x80000000, MAX_MULTICALL_ENTRIES + 1]) assert.is(t.trap(NR.multi, c, RW), -E.EINVAL);
  thenStillWorks(t);
});

hostile('an unmapped entry array: EFAULT; earlier entries ran and kept their results', () => {
  const t = setup();
  const last = RW + 0x10000 - 16; // the only entry inside the mapping; the second lies past it
  t.entries(last, [[NR.getpid, [], RW + 0x200, 1]]);
  assert.is(t.trap(NR.multi, 2, last), -E.EFAULT);
  assert.is(t.mem.readU32(RW + 0x200), t.k.pid);
  assert.is(t.trap(NR.multi, 1, 0xdead0000), -E.EFAULT);
  thenStillWorks(t);
});

hostile('a bad params array or argument pointer: that entry is EFAULT and did not run', () => {
  const t = setup();
  t.words(RW, NR.write, 0xdead0000, RW + 0x200, 1); // params array unmapped
  assert.is(t.trap(NR.multi, 1, RW), 1);
  assert.is(t.mem.readU32(RW + 0x200)! | 0, -E.EFAULT);
  const params = t.words(RW + 0x100, 0xdead0000, RW + 0x300, RW + 0x304); // first argument pointer unmapped
  t.words(RW, NR.write, params, RW + 0x200, 1);
  assert.is(t.trap(NR.multi, 1, RW), 1);
  assert.is(t.mem.readU32(RW + 0x200)! | 0, -E.EFAULT);
  assert.is(t.stdio.stdout(), '');
  thenStillWorks(t);
});

hostile('an unwritable result pointer: the entry ran, the multi-call returns EFAULT', () => {
  const t = setup();
  const v = t.words(RW + 0x100, 1, RW + 0x400, 2);
  t.mem.write(RW + 0x400, Buffer.from('ok'));
  t.entries(RW, [[NR.write, [v, v + 4, v + 8], RO, 1]]);
  assert.is(t.trap(NR.multi, 1, RW), -E.EFAULT);
  assert.is(t.stdio.stdout(), 'ok');
  t.entries(RW, [[NR.getpid, [], 0, 1]]);
  assert.is(t.trap(NR.multi, 1, RW), -E.EFAULT);
  thenStillWorks(t);
});

hostile('a multi-call or specialized call inside a multi-call: EINVAL, no recursion', () => {
  const t = setup();
  const inner = t.entries(RW + 0x1000, [[NR.getpid, [], RW + 0x1800, 1]]);
  const cnt = t.words(RW + 0x100, 1, inner);
  t.entries(RW, [[NR.multi, [cnt, cnt + 4], RW + 0x200, 0], [NR.select_time, [RW + 0x300], RW + 0x204, 1]]);
  assert.is(t.trap(NR.multi, 2, RW), 2);
  assert.is(t.mem.readU32(RW + 0x200)! | 0, -E.EINVAL);
  assert.is(t.mem.readU32(RW + 0x204)! | 0, -E.EINVAL);
  assert.is(t.mem.readU32(RW + 0x1800), 0, 'the inner entry never ran');
  thenStillWorks(t);
});

hostile('exit inside a batch ends the guest cleanly, later entries do not run', () => {
  const t = setup();
  const status = t.words(RW + 0x100, 7);
  t.entries(RW, [[NR.exit, [status], RW + 0x200, 1], [NR.getpid, [], RW + 0x204, 1]]);
  t.trap(NR.multi, 2, RW);
  assert.is(t.k.exitStatus, 7);
  assert.is(t.mem.readU32(RW + 0x204), 0);
});

hostile('an unknown number inside a batch is ENOSYS for that entry', () => {
  const t = setup();
  t.entries(RW, [[999, [], RW + 0x200, 1]]);
  assert.is(t.trap(NR.multi, 1, RW), 1);
  assert.is(t.mem.readU32(RW + 0x200)! | 0, -E.ENOSYS);
});

hostile('a looped call stops at its iteration limit and returns what it did', () => {
  const defs = validateSpecialized({ calls: [{ name: 'three_reads', params: ['fd', 'buf'], steps: [
    { call: 'read', args: [{ param: 'fd' }, { param: 'buf' }, { const: 1 }] }], loop: { while_positive: 0, max_iterations: 3 }, returns: { total: 0 } }] },
  'test', PLAIN_ARITY, new Set());
  const t = setup({ '/in': Buffer.from('abcdefgh') }, defs);
  const fd = t.open('in', O.RDONLY);
  const nr = [...t.k.personality.table.values()].find((s) => s.name === 'three_reads')!.nr;
  assert.is(t.trap(nr, fd, RW + 0x400), 3);
  assert.is(t.trap(nr, fd, RW + 0x400), 3);
  assert.is(t.trap(nr, fd, RW + 0x400), 2, 'end of file inside the third call');
  assert.is(t.trap(nr, fd, RW + 0x400), 0);
});

hostile.run();

const equiv = suite('every built-in specialized call equals the plain sequence it replaces');

const DATA = Buffer.from(Array.from({ length: 10000 }, (_, i) => (i * 31 + 7) & 0xff));

/** Runs `plain` on one kernel and `special` on another; compares files, memory and results. */
function equivalent(plain: (t: ReturnType<typeof setup>) => number, special: (t: ReturnType<typeof setup>) => number, crossings: [number, number]) {
  const a = setup({ '/in': DATA }), b = setup({ '/in': DATA });
  for (const t of [a, b]) { t.open('in', O.RDONLY); t.open('out', O.WRONLY | O.CREAT | O.TRUNC); }
  const before = [a.k.ledger.crossings, b.k.ledger.crossings];
  const ra = plain(a), rb = special(b);
  assert.is(rb, ra, 'same result');
  assert.equal(b.fsys.contents('out'), a.fsys.contents('out'), 'same output file');
  assert.equal(b.mem.read(RW, 0x2000), a.mem.read(RW, 0x2000), 'same guest memory');
  assert.is(a.k.ledger.crossings - before[0], crossings[0]);
  assert.is(b.k.ledger.crossings - before[1], crossings[1]);
  return { a, b };
}

equiv('read_write', () => {
  equivalent((t) => { const n = t.trap(NR.read, 3, RW, 700); t.trap(NR.write, 4, RW, n); return n; },
    (t) => t.trap(NR.read_write, 3, 4, RW, 700), [2, 1]);
});

equiv('write_read', () => {
  equivalent((t) => { t.mem.write(RW, DATA.subarray(0, 300)); t.trap(NR.write, 4, RW, 300); return t.trap(NR.read, 3, RW, 500); },
    (t) => { t.mem.write(RW, DATA.subarray(0, 300)); return t.trap(NR.write_read, 4, 3, RW, 300, 500); }, [2, 1]);
});

equiv('write_read stops at a failing write, as the checked pair would', () => {
  equivalent((t) => { const w = t.trap(NR.write, 3, RW, 10); return w < 0 ? w : t.trap(NR.read, 3, RW, 10); },
    (t) => t.trap(NR.write_read, 3, 3, RW, 10, 10), [1, 1]);
});

equiv('select_time: the same sleep, the time of day read after it, one crossing fewer', () => {
  const a = setup(), b = setup();
  a.words(RW, 0, 40000); b.words(RW, 0, 40000);
  const start = a.k.nowMicros();
  a.trap(NR.select, 0, 0, 0, 0, RW);
  assert.is(a.trap(NR.gettimeofday, RW, 0), 0);
  assert.is(b.trap(NR.select_time, RW), 0);
  assert.is(a.k.ledger.blockedMicros, 40000);
  assert.is(b.k.ledger.blockedMicros, 40000);
  const tv = (t: typeof a) => t.mem.readU32(RW)! * 1e6 + t.mem.readU32(RW + 4)!;
  assert.ok(tv(b) >= start + 40000, 'read after the sleep');
  assert.ok(tv(b) <= tv(a), 'no later than the plain pair, which pays an extra crossing before it reads');
  assert.is(a.k.ledger.crossings, 2);
  assert.is(b.k.ledger.crossings, 1);
});

for (const [name, size, nr] of [['copy_loop', 512, NR.copy_loop], ['copy_4096', 4096, NR.copy_4096]] as const) {
  equiv(`${name}: the whole loop in one crossing`, () => {
    const blocks = Math.ceil(DATA.length / size);
    equivalent((t) => { let n, total = 0; while ((n = t.trap(NR.read, 3, RW, size)) > 0) total += t.trap(NR.write, 4, RW, n); return total; },
      (t) => t.trap(nr, 3, 4, RW, size), [2 * blocks + 1, 1]);
  });
}

equiv('the value-specialized copy is cheaper per step than the generic loop', () => {
  const p = profile();
  const run1 = (nr: number) => { const t = setup({ '/in': DATA }); t.open('in', O.RDONLY); t.open('out', O.WRONLY | O.CREAT); t.trap(nr, 3, 4, RW, 4096); return t.k.ledger.handler; };
  const steps = 2 * Math.ceil(DATA.length / 4096) + 1;
  assert.is(run1(NR.copy_loop) - run1(NR.copy_4096), steps * p.specialized.inlined_step_saving_cycles);
});

equiv.run();

const defs = suite('user definitions: --specialized, checked field by field');

const bad: [unknown, RegExp][] = [
  [{}, /calls: must be an array/],
  [{ calls: [{ name: 'Bad-Name', params: [], steps: [], returns: { result: 0 } }] }, /calls\[0\]\.name/],
  [{ calls: [{ name: 'read', params: [], steps: [{ call: 'getpid', args: [] }], returns: { result: 0 } }] }, /"read" is already/],
  [{ calls: [{ name: 'x', params: ['a'], steps: [{ call: 'frob', args: [] }], returns: { result: 0 } }] }, /steps\[0\]\.call: "frob" names no plain syscall/],
  [{ calls: [{ name: 'x', params: ['a'], steps: [{ call: 'multi_call', args: [] }], returns: { result: 0 } }] }, /names no plain syscall/],
  [{ calls: [{ name: 'x', params: ['a'], steps: [{ call: 'read', args: [{ param: 'a' }] }], returns: { result: 0 } }] }, /read takes 3 arguments/],
  [{ calls: [{ name: 'x', params: ['a'], steps: [{ call: 'getpid', args: [] }, { call: 'close', args: [{ param: 'b' }] }], returns: { result: 0 } }] }, /steps\[1\]\.args\[0\]\.param: "b" is not a parameter/],
  [{ calls: [{ name: 'x', params: ['a'], steps: [{ call: 'close', args: [{ result: 0 }] }], returns: { result: 0 } }] }, /must be the index of an earlier step/],
  [{ calls: [{ name: 'x', params: ['a', 'b', 'c', 'd', 'e', 'f', 'g'], steps: [{ call: 'getpid', args: [] }], returns: { result: 0 } }] }, /at most 6/],
  [{ calls: [{ name: 'x', params: [], steps: [{ call: 'getpid', args: [] }], loop: { while_positive: 3 }, returns: { result: 0 } }] }, /loop\.while_positive/],
  [{ calls: [{ name: 'x', params: [], steps: [{ call: 'getpid', args: [] }], returns: { sum: 0 } }] }, /returns/],
];
bad.forEach(([raw, pattern], i) => {
  defs(`bad definition ${i}`, () => {
    try {
      validateSpecialized(raw, 'defs.json', PLAIN_ARITY, new Set([...PLAIN_ARITY.keys(), 'multi_call']));
      assert.unreachable('accepted');
    } catch (err) {
      assert.instance(err, SpecializedError);
      assert.match((err as Error).message, pattern);
    }
  });
});

defs('the command line takes a file, lists its calls, and refuses a bad one in one line', () => {
  const d = tmpdir();
  const good = path.join(d, 'good.json'), wrong = path.join(d, 'wrong.json');
  fs.writeFileSync(good, JSON.stringify({ calls: [{ name: 'pid_twice', params: [], steps: [{ call: 'getpid', args: [] }, { call: 'getpid', args: [] }], returns: { result: 1 } }] }));
  fs.writeFileSync(wrong, JSON.stringify({ calls: [{ name: 'x', params: [], steps: [{ call: 'nope', args: [] }], returns: { result: 0 } }] }));
  assert.match(cli(['syscalls', '--specialized', good]).stdout, /^ 246  pid_twice\s+full/m);
  const r = cli(['run', 'hello', '--specialized', wrong]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^syscluster: .*wrong\.json: calls\[0\]\.steps\[0\]\.call: "nope" names no plain syscall/);
});

defs.run();

const fig3 = suite('the paper\'s Figure 3 as guests');

for (const fail of ['none', 'write', 'read']) {
  fig3(`both forms behave alike (${fail} fails), the multi-call with one crossing fewer`, async () => {
    const files = { '/in.txt': Buffer.from('input for Figure 3\n') };
    const o = await run('fig3_original', [fail], { files });
    const m = await run('fig3_multicall', [fail], { files });
    assert.is(m.stdout, o.stdout);
    assert.is(m.exitCode, o.exitCode);
    assert.equal((m.fs as MemoryFileSystem).contents('out.txt'), (o.fs as MemoryFileSystem).contents('out.txt'));
    assert.is(o.kernel.ledger.crossings - m.kernel.ledger.crossings, fail === 'write' ? 0 : 1);
    assert.is(o.exitCode, { none: 0, write: 1, read: 2 }[fail]);
  });
}

fig3.run();

const guest = suite('hostile batches through the real trap path');

guest('every bad argument is an error value and the guest runs on', async () => {
  const r = await run('hostile');
  assert.is(r.exitCode, 0);
  assert.is(r.stdout, ['count0 -22', 'count-1 -22', 'count-huge -22', 'args-unmapped -14', 'params-unmapped 1',
    'params-unmapped-result -14', 'result-readonly -14', 'nested 1', 'nested-result -22', 'specialized-bad-buffer -14',
    'specialized-bad-fd -9', 'still-works 1', ''].join('\n'));
});

guest.run();
