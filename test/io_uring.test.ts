// io_uring in the kernel model: setup, the rings in guest memory at Linux's mmap offsets,
// the opcodes against the plain calls they stand for, and hostile rings and entries.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { E } from '../kernel-model/errno.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import {
  CQE_BYTES, CQ_OFF, IORING_OFF_CQ_RING, IORING_OFF_SQES, IORING_OFF_SQ_RING, IORING_OP, IORING_SETUP, IOSQE,
  IoUringFile, PARAMS_BYTES, SQE_BYTES, SQ_OFF,
} from '../kernel-model/sys/io_uring.js';
import fs from 'node:fs';
import path from 'node:path';
import { cli, profile, run, tmpdir } from './helpers.js';

const RW = 0x10000, SQ = 0x100000, CQ = 0x200000, SQES = 0x300000;
const NR = { read: 3, write: 4, open: 5, close: 6, lseek: 19, fsync: 118, readv: 145, writev: 146, pread64: 180, pwrite64: 181, openat: 295,
  setup: 425, enter: 426, register: 427 };

interface SqeIn { op: number; fd?: number; off?: bigint; addr?: number | bigint; len?: number; opFlags?: number; flags?: number; userData?: bigint; ioprio?: number; bufIndex?: number }

function machine(files: Record<string, Uint8Array> = {}) {
  const mem = new ArrayMemory();
  mem.map(RW, 0x40000, PROT.READ | PROT.WRITE);
  const fsys = new MemoryFileSystem(files);
  const stdio = new CapturedStdio();
  const k = new Kernel({ profile: profile('skylake-2018'), personality: personality('modern'), memory: mem, fs: fsys, stdio, brk: 0x800000, warn: () => {} });
  const regs = (eax: number, ...a: number[]): UserRegs => ({ eax, ebx: a[0] ?? 0, ecx: a[1] ?? 0, edx: a[2] ?? 0, esi: a[3] ?? 0,
    edi: a[4] ?? 0, ebp: a[5] ?? 0, esp: 0xbfff0000, eip: 0x8048000, eflags: 0x202, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b });
  const trap = (nr: number, ...a: number[]) => k.crossing(regs(nr, ...a), 0) | 0;
  const str = (addr: number, s: string) => { mem.write(addr, Buffer.from(s + '\0')); return addr; };
  const open = (p: string, flags: number) => trap(NR.open, str(RW + 0x3f000, p), flags, 0o644);
  return { k, mem, fsys, stdio, trap, str, open };
}

/** io_uring_setup and the three mmaps a program makes (done here as mmap would: fresh pages, then attach). */
function ring(m: ReturnType<typeof machine>, entries = 8, flags = 0) {
  const params = RW + 0x30000;
  m.mem.write(params, new Uint8Array(PARAMS_BYTES));
  m.mem.writeU32(params + 8, flags);
  const fd = m.trap(NR.setup, entries, params);
  assert.ok(fd >= 3, `io_uring_setup: ${fd}`);
  const file = m.k.fds.get(fd) as IoUringFile;
  const sqEntries = m.mem.readU32(params)!, cqEntries = m.mem.readU32(params + 4)!;
  for (const [addr, off] of [[SQ, IORING_OFF_SQ_RING], [CQ, IORING_OFF_CQ_RING], [SQES, IORING_OFF_SQES]] as const) {
    const len = Math.ceil(file.regionBytes(off)! / 4096) * 4096;
    m.mem.map(addr, len, PROT.READ | PROT.WRITE);
    file.attach(m.mem, addr, off, len);
  }
  let tail = 0, cqHead = 0;
  /** Queues SQEs in slots tail.. and advances the SQ tail (as liburing's io_uring_submit does). */
  const queue = (...list: SqeIn[]) => {
    for (const s of list) {
      const slot = tail & (sqEntries - 1);
      const b = new Uint8Array(SQE_BYTES), v = new DataView(b.buffer);
      v.setUint8(0, s.op); v.setUint8(1, s.flags ?? 0); v.setUint16(2, s.ioprio ?? 0, true); v.setInt32(4, s.fd ?? 0, true);
      v.setBigUint64(8, BigInt.asUintN(64, s.off ?? 0n), true); v.setBigUint64(16, BigInt(s.addr ?? 0), true);
      v.setUint32(24, s.len ?? 0, true); v.setUint32(28, s.opFlags ?? 0, true); v.setBigUint64(32, s.userData ?? 0n, true);
      v.setUint16(40, s.bufIndex ?? 0, true);
      m.mem.write(SQES + SQE_BYTES * slot, b);
      m.mem.writeU32(SQ + SQ_OFF.array + 4 * slot, slot);
      tail++;
    }
    m.mem.writeU32(SQ + SQ_OFF.tail, tail);
  };
  /** Reaps every completion: [user_data, res]. */
  const reap = () => {
    const out: [bigint, number][] = [];
    const cqTail = m.mem.readU32(CQ + CQ_OFF.tail)!;
    while (cqHead !== cqTail) {
      const e = m.mem.read(CQ + CQ_OFF.cqes + CQE_BYTES * (cqHead & (cqEntries - 1)), CQE_BYTES)!;
      const v = new DataView(e.buffer, e.byteOffset);
      out.push([v.getBigUint64(0, true), v.getInt32(8, true)]);
      cqHead++;
    }
    m.mem.writeU32(CQ + CQ_OFF.head, cqHead);
    return out;
  };
  const enter = (n: number, min = n, flags = 1) => m.trap(NR.enter, fd, n, min, flags, 0, 0);
  return { fd, file, sqEntries, cqEntries, queue, reap, enter, params };
}

const basic = suite('io_uring: setup and the rings');

basic('setup rounds to a power of two, CQ twice SQ, offsets reported; the rings carry mask and entries', () => {
  const m = machine();
  const r = ring(m, 5);
  assert.is(r.sqEntries, 8);
  assert.is(r.cqEntries, 16);
  assert.is(m.mem.readU32(r.params + 40 + 4 * 6), SQ_OFF.array, 'sq_off.array');
  assert.is(m.mem.readU32(r.params + 80 + 4 * 5), CQ_OFF.cqes, 'cq_off.cqes');
  assert.is(m.mem.readU32(SQ + SQ_OFF.ring_mask), 7);
  assert.is(m.mem.readU32(CQ + CQ_OFF.ring_entries), 16);
  assert.is(r.file.stat().mode, 0o600);
});

basic('setup refuses what Linux refuses', () => {
  const m = machine();
  const p = RW + 0x30000;
  const fresh = (flags = 0, cq = 0) => { m.mem.write(p, new Uint8Array(PARAMS_BYTES)); m.mem.writeU32(p + 8, flags); m.mem.writeU32(p + 4, cq); return p; };
  assert.is(m.trap(NR.setup, 0, fresh()), -E.EINVAL, 'no entries');
  assert.is(m.trap(NR.setup, 65536, fresh()), -E.EINVAL, 'too many');
  assert.ok(m.trap(NR.setup, 65536, fresh(IORING_SETUP.CLAMP)) >= 0, 'clamped');
  assert.is(m.trap(NR.setup, 8, 0x7000), -E.EFAULT, 'params unmapped');
  assert.is(m.trap(NR.setup, 8, fresh(IORING_SETUP.SQ_AFF)), -E.EINVAL, 'SQ_AFF without SQPOLL');
  assert.is(m.trap(NR.setup, 8, fresh(1 << 20)), -E.EINVAL, 'unknown flag');
  assert.is(m.trap(NR.setup, 8, fresh(IORING_SETUP.CQSIZE, 4)), -E.EINVAL, 'CQ smaller than SQ');
  fresh(); m.mem.writeU32(p + 28, 1);
  assert.is(m.trap(NR.setup, 8, p), -E.EINVAL, 'resv not zero');
  assert.is(m.trap(NR.enter, 1, 0, 0, 0, 0, 0), -E.EOPNOTSUPP, 'enter on a file that is not a ring');
  assert.is(m.trap(NR.enter, 99, 0, 0, 0, 0, 0), -E.EBADF);
  const r = ring(m);
  assert.is(m.trap(NR.enter, r.fd, 0, 0, 1 << 7, 0, 0), -E.EINVAL, 'unknown enter flag');
  assert.throws(() => r.file.attach(m.mem, 0x500000, 0x1234000, 4096), /EINVAL|22/);
});

basic.run();

const ops = suite('io_uring: the operations match the plain calls');

const text = Buffer.from('The quick brown fox jumps over the lazy dog.\n'.repeat(40));

ops('READ, WRITE, READV, WRITEV, FSYNC, CLOSE, OPENAT: same files and results as plain calls; completions in order', () => {
  // The same work twice: once as plain calls, once as one io_uring batch per step.
  const plain = machine({ '/in': text });
  const a = { in: plain.open('/in', O.RDONLY), out: plain.open('/out', O.WRONLY | O.CREAT) };
  ring(plain, 16); // holds the same descriptor as in the io_uring run, so openat's results agree
  const buf = RW + 0x1000, iov = RW + 0x100;
  const results: number[] = [];
  results.push(plain.trap(NR.read, a.in, buf, 100));
  results.push(plain.trap(NR.write, a.out, buf, 100));
  results.push(plain.trap(NR.pread64, a.in, buf + 200, 50, 1000, 0));
  results.push(plain.trap(NR.pwrite64, a.out, buf + 200, 50, 500, 0));
  plain.mem.writeU32(iov, buf + 300); plain.mem.writeU32(iov + 4, 30); plain.mem.writeU32(iov + 8, buf + 400); plain.mem.writeU32(iov + 12, 40);
  results.push(plain.trap(NR.readv, a.in, iov, 2));
  results.push(plain.trap(NR.writev, a.out, iov, 2));
  results.push(plain.trap(NR.fsync, a.out));
  results.push(plain.trap(NR.openat, -100, plain.str(RW + 0x2000, '/in'), O.RDONLY, 0));
  results.push(plain.trap(NR.close, a.out));
  results.push(plain.trap(NR.read, 77, buf, 10));

  const m = machine({ '/in': text });
  const b = { in: m.open('/in', O.RDONLY), out: m.open('/out', O.WRONLY | O.CREAT) };
  const r = ring(m, 16);
  const crossingsBefore = m.k.ledger.crossings;
  m.mem.writeU32(iov, buf + 300); m.mem.writeU32(iov + 4, 30); m.mem.writeU32(iov + 8, buf + 400); m.mem.writeU32(iov + 12, 40);
  const CUR = -1n;
  r.queue(
    { op: IORING_OP.READ, fd: b.in, addr: buf, len: 100, off: CUR, userData: 1n },
    { op: IORING_OP.WRITE, fd: b.out, addr: buf, len: 100, off: CUR, userData: 2n },
    { op: IORING_OP.READ, fd: b.in, addr: buf + 200, len: 50, off: 1000n, userData: 3n },
    { op: IORING_OP.WRITE, fd: b.out, addr: buf + 200, len: 50, off: 500n, userData: 4n },
    { op: IORING_OP.READV, fd: b.in, addr: iov, len: 2, off: CUR, userData: 5n },
    { op: IORING_OP.WRITEV, fd: b.out, addr: iov, len: 2, off: CUR, userData: 6n },
    { op: IORING_OP.FSYNC, fd: b.out, userData: 7n },
    { op: IORING_OP.OPENAT, fd: -100, addr: m.str(RW + 0x2000, '/in'), opFlags: O.RDONLY, userData: 8n },
    { op: IORING_OP.CLOSE, fd: b.out, userData: 9n },
    { op: IORING_OP.READ, fd: 77, addr: buf, len: 10, off: CUR, userData: 10n },
  );
  assert.is(r.enter(10), 10);
  assert.is(m.k.ledger.crossings - crossingsBefore, 1, 'ten calls, one crossing');
  const cqes = r.reap();
  assert.equal(cqes.map(([u]) => u), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n], 'in submission order');
  assert.equal(cqes.map(([, res]) => res), results);
  assert.is(results[9], -E.EBADF);
  assert.equal(Buffer.from(m.fsys.contents('out')!), Buffer.from(plain.fsys.contents('out')!));
  assert.equal(m.mem.read(buf, 500), plain.mem.read(buf, 500));
});

ops('READV/WRITEV at an offset leave the file position alone (preadv/pwritev)', () => {
  const m = machine({ '/in': text });
  const fd = m.open('/in', O.RDONLY);
  const r = ring(m);
  const iov = RW + 0x100, buf = RW + 0x1000;
  m.mem.writeU32(iov, buf); m.mem.writeU32(iov + 4, 4); m.mem.writeU32(iov + 8, buf + 4); m.mem.writeU32(iov + 12, 5);
  r.queue({ op: IORING_OP.READV, fd, addr: iov, len: 2, off: 4n, userData: 1n });
  r.enter(1);
  assert.equal(r.reap(), [[1n, 9]]);
  assert.is(Buffer.from(m.mem.read(buf, 9)!).toString(), 'quick bro');
  assert.is(m.trap(NR.lseek, fd, 0, 1), 0, 'position unchanged');
});

ops('NOP; IO_LINK cancels the rest of a chain after a failure; CQE_SKIP_SUCCESS posts nothing for success', () => {
  const m = machine();
  const r = ring(m);
  r.queue(
    { op: IORING_OP.NOP, userData: 1n, flags: IOSQE.CQE_SKIP_SUCCESS },
    { op: IORING_OP.NOP, userData: 2n },
    { op: IORING_OP.READ, fd: 99, addr: RW, len: 4, off: -1n, userData: 3n, flags: IOSQE.IO_LINK },
    { op: IORING_OP.NOP, userData: 4n, flags: IOSQE.IO_LINK },
    { op: IORING_OP.NOP, userData: 5n },
    { op: IORING_OP.NOP, userData: 6n },
  );
  assert.is(r.enter(6), 6);
  assert.equal(r.reap(), [[2n, 0], [3n, -E.EBADF], [4n, -E.ECANCELED], [5n, -E.ECANCELED], [6n, 0]]);
});

ops('registered files: FIXED_FILE reads through the table; bad indices are EBADF', () => {
  const m = machine({ '/in': text });
  const fd = m.open('/in', O.RDONLY);
  const r = ring(m);
  const arr = RW + 0x100;
  m.mem.writeU32(arr, -1 >>> 0); m.mem.writeU32(arr + 4, fd);
  assert.is(m.trap(NR.register, r.fd, 2, arr, 2), 0);
  assert.is(m.trap(NR.register, r.fd, 2, arr, 2), -E.EBUSY, 'already registered');
  r.queue({ op: IORING_OP.READ, fd: 1, flags: IOSQE.FIXED_FILE, addr: RW + 0x1000, len: 3, off: 0n, userData: 1n },
    { op: IORING_OP.READ, fd: 0, flags: IOSQE.FIXED_FILE, addr: RW + 0x1000, len: 3, off: 0n, userData: 2n },
    { op: IORING_OP.READ, fd: 9, flags: IOSQE.FIXED_FILE, addr: RW + 0x1000, len: 3, off: 0n, userData: 3n });
  r.enter(3);
  assert.equal(r.reap(), [[1n, 3], [2n, -E.EBADF], [3n, -E.EBADF]]);
  assert.is(m.trap(NR.register, r.fd, 3, 0, 0), 0);
  assert.is(m.trap(NR.register, r.fd, 3, 0, 0), -E.ENXIO);
  assert.is(m.trap(NR.register, r.fd, 99, 0, 0), -E.EINVAL);
});

ops.run();

const hostile = suite('io_uring: hostile rings and entries get Linux\'s errors');

hostile('bad opcodes, unknown flags and stray fields fail their own entry only', () => {
  const m = machine({ '/in': text });
  const fd = m.open('/in', O.RDONLY);
  const r = ring(m, 16);
  r.queue(
    { op: 200, userData: 1n },
    { op: IORING_OP.NOP, flags: 0x80, userData: 2n },
    { op: IORING_OP.NOP, len: 5, userData: 3n },
    { op: IORING_OP.READ, fd, addr: RW, len: 4, off: -1n, bufIndex: 3, userData: 4n },
    { op: IORING_OP.READ, fd, addr: RW, len: 4, off: -1n, opFlags: 0x40, userData: 5n },
    { op: IORING_OP.READ, fd, addr: RW, len: 4, off: -1n, ioprio: 7 << 13, userData: 6n },
    { op: IORING_OP.READ, fd, addr: 0x1_0000_0000n + BigInt(RW), len: 4, off: -1n, userData: 7n },
    { op: IORING_OP.READ, fd, addr: 0x7000, len: 4, off: -1n, userData: 8n },
    { op: IORING_OP.FSYNC, fd, opFlags: 8, userData: 9n },
    { op: IORING_OP.CLOSE, fd, addr: 4, userData: 10n },
    { op: IORING_OP.CLOSE, fd: r.fd, userData: 11n },
    { op: IORING_OP.OPENAT, fd: -100, addr: 0x7000, userData: 12n },
    { op: IORING_OP.READ, fd, addr: RW, len: 4, off: 0x8000_0000_0000_0000n, userData: 13n },
    { op: 24, userData: 14n }, // a Linux opcode (FADVISE) this model does not run
    { op: IORING_OP.NOP, userData: 15n },
  );
  assert.is(r.enter(15), 15);
  assert.equal(r.reap(), [[1n, -E.EINVAL], [2n, -E.EINVAL], [3n, -E.EINVAL], [4n, -E.EINVAL], [5n, -E.EOPNOTSUPP], [6n, -E.EINVAL],
    [7n, -E.EFAULT], [8n, -E.EFAULT], [9n, -E.EINVAL], [10n, -E.EINVAL], [11n, -E.EBADF], [12n, -E.EFAULT], [13n, -E.EINVAL], [14n, -E.EINVAL], [15n, 0]]);
});

hostile('a bad index in the SQ array is dropped and ends the batch; a wild tail submits at most a ring', () => {
  const m = machine();
  const r = ring(m);
  r.queue({ op: IORING_OP.NOP, userData: 1n }, { op: IORING_OP.NOP, userData: 2n }, { op: IORING_OP.NOP, userData: 3n });
  m.mem.writeU32(SQ + SQ_OFF.array + 4, 1000); // slot 1 names SQE 1000
  assert.is(r.enter(3), 1);
  assert.is(m.mem.readU32(SQ + SQ_OFF.dropped), 1);
  assert.is(m.mem.readU32(SQ + SQ_OFF.head), 2, 'the bad entry was consumed');
  assert.equal(r.reap(), [[1n, 0]]);
  // A tail far ahead of the head: at most sq_entries are taken, the rest stay.
  m.mem.writeU32(SQ + SQ_OFF.tail, 0xfffffff0);
  for (let i = 0; i < r.sqEntries; i++) m.mem.writeU32(SQ + SQ_OFF.array + 4 * i, i);
  assert.is(r.enter(1000, 0, 0), r.sqEntries);
});

hostile('a full completion ring counts overflow instead of writing past it; unmapped rings are empty', () => {
  const m = machine();
  const r = ring(m, 2); // 2 SQEs, 4 CQEs
  for (let i = 0; i < 3; i++) { r.queue({ op: IORING_OP.NOP, userData: 1n }, { op: IORING_OP.NOP, userData: 2n }); r.enter(2); }
  assert.is(m.mem.readU32(CQ + CQ_OFF.overflow), 2);
  assert.is(r.reap().length, 4);
  m.mem.unmap(SQ, 4096);
  assert.is(r.enter(2), 0, 'nothing to read: nothing submitted');
});

hostile('ring memory the guest unmaps mid-batch: the entry is dropped, never a host exception', () => {
  const m = machine();
  const r = ring(m);
  r.queue({ op: IORING_OP.NOP, userData: 1n }, { op: IORING_OP.NOP, userData: 2n });
  m.mem.unmap(SQES, 4096);
  assert.is(r.enter(2), 0);
  assert.is(m.mem.readU32(SQ + SQ_OFF.dropped), 1);
});

hostile.run();

const sqpoll = suite('io_uring: SQPOLL, a kernel thread on a second core');

sqpoll('submissions are taken without a crossing; their cost goes to the other core, not this one', () => {
  const m = machine({ '/in': text });
  const fd = m.open('/in', O.RDONLY);
  const r = ring(m, 8, IORING_SETUP.SQPOLL);
  const l = m.k.ledger;
  const before = { crossings: l.crossings, kernel: l.kernelCycles };
  r.queue({ op: IORING_OP.READ, fd, addr: RW + 0x1000, len: 9, off: 4n, userData: 7n });
  m.k.rdtsc(0); // the program looks at the clock while it spins: the other core has run meanwhile
  assert.equal(r.reap(), [[7n, 9]]);
  assert.is(l.crossings, before.crossings, 'no crossing');
  assert.is(l.kernelCycles, before.kernel, 'no kernel work charged to this core');
  assert.ok(l.sqpollCycles > 0);
  assert.is(r.file.pollerCycles, l.sqpollCycles);
  assert.is(Buffer.from(m.mem.read(RW + 0x1000, 9)!).toString(), 'quick bro');
  // io_uring_enter still works (a wake-up); closing the ring ends the thread.
  r.queue({ op: IORING_OP.NOP, userData: 8n });
  assert.is(r.enter(1, 0, 2), 1);
  assert.equal(r.reap(), [[8n, 0]]);
  m.trap(NR.close, r.fd);
  r.queue({ op: IORING_OP.NOP, userData: 9n });
  m.k.rdtsc(0);
  assert.equal(r.reap(), [], 'no thread after close');
  assert.is(m.k.pollers.length, 0);
});

sqpoll.run();

const guest = suite('io_uring: a static guest on the raw interface (guest/copy_uring.c)');

const input = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff);

guest('copy_uring writes what the plain copy writes, batched and with SQPOLL, in fewer crossings', async () => {
  for (const args of [['512', '8'], ['4096', '8'], ['1024', '32'], ['4096', '1'], ['4096', '8', 'sqpoll']]) {
    const plain = await run('copy', ['/in', '/out', args[0]], { files: { '/in': input }, personality: personality('modern') });
    assert.is(plain.exitCode, 0);
    const r = await run('copy_uring', ['/in', '/out', ...args], { files: { '/in': input }, personality: personality('modern'), profile: profile('skylake-2018') });
    assert.is(r.exitCode, 0, `${args}: ${r.stderr}`);
    assert.equal(Buffer.from((r.fs as MemoryFileSystem).contents('out')!), Buffer.from(input), args.join(' '));
    // Depth 1 is the plain loop plus the ring's set-up (io_uring_setup, three mmaps, a close),
    // less the plain loop's last read of nothing (a short READ ends copy_uring's loop).
    if (args[1] === '1') assert.is(r.kernel.ledger.crossings, plain.kernel.ledger.crossings + 5 - 1);
    else assert.ok(r.kernel.ledger.crossings < plain.kernel.ledger.crossings, `${args}: ${r.kernel.ledger.crossings} crossings`);
    if (args[2] === 'sqpoll') {
      assert.ok(r.kernel.ledger.crossings <= 10, 'opens, setup, three mmaps, closes, exit: no crossing per block');
      assert.ok(r.kernel.ledger.sqpollCycles > 0);
    }
  }
  // An empty file and a file of exactly one round: the loop's ends.
  for (const size of [0, 8 * 4096]) {
    const r = await run('copy_uring', ['/in', '/out', '4096', '8'], { files: { '/in': input.slice(0, size) }, personality: personality('modern') });
    assert.is(r.exitCode, 0);
    assert.is((r.fs as MemoryFileSystem).contents('out')!.length, size);
  }
});

guest('mmap of a ring: Linux\'s offsets only, within the region; strace shows each operation under its io_uring_enter', () => {
  const m = machine();
  const r = ring(m);
  const MMAP2 = 192, SHARED = 1, RW_ = 3;
  assert.is(m.trap(MMAP2, 0, 4096, RW_, SHARED, r.fd, 0x1234), -E.EINVAL, 'no region at that offset');
  assert.is(m.trap(MMAP2, 0, 1 << 20, RW_, SHARED, r.fd, IORING_OFF_SQES >> 12), -E.ENOMEM, 'longer than the region');
  const at = m.trap(MMAP2, 0, 4096, RW_, SHARED, r.fd, IORING_OFF_SQ_RING >> 12) >>> 0;
  assert.is(m.mem.readU32(at + SQ_OFF.ring_entries), r.sqEntries);
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in'), Buffer.from(input.slice(0, 5000)));
  const s = cli(['run', 'copy_uring', 'in', 'out', '4096', '2', '--personality', 'modern', '--root', d, '--strace']);
  assert.is(s.status, 0, s.stderr);
  assert.match(s.stderr, /mmap2\(NULL, \d+, PROT_READ\|PROT_WRITE, MAP_SHARED\|MAP_POPULATE, 5, 65536\) = 0x/);
  assert.match(s.stderr, /io_uring_enter\(5, 2, 2, 1, NULL, 0\) = 2\n  pread64\(3, .*, 4096, 0\) = 4096\n  pread64\(3, .*, 4096, 4096\) = 904\n/);
  assert.equal(fs.readFileSync(path.join(d, 'out')), Buffer.from(input.slice(0, 5000)));
  // With SQPOLL the reads and writes are the kernel thread's: strace does not see them.
  const q = cli(['run', 'copy_uring', 'in', 'out', '4096', '2', 'sqpoll', '--personality', 'modern', '--root', d, '--strace']);
  assert.is(q.status, 0, q.stderr);
  assert.not.match(q.stderr, /pread64|pwrite64|io_uring_enter/);
  assert.equal(fs.readFileSync(path.join(d, 'out')), Buffer.from(input.slice(0, 5000)));
});

guest.run();
