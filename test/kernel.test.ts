// The kernel model on a fake memory: no emulator, every path checked directly.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { E } from '../kernel-model/errno.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import { profile } from './helpers.js';

const RW = 0x10000, RO = 0x20000;

function setup(files: Record<string, Uint8Array> = {}) {
  const mem = new ArrayMemory();
  mem.map(RW, 0x2000, PROT.READ | PROT.WRITE);
  mem.map(RO, 0x1000, PROT.READ);
  const stdio = new CapturedStdio(Buffer.from('input'));
  const warnings: string[] = [];
  const fs = new MemoryFileSystem(files);
  const k = new Kernel({ profile: profile(), personality: personality('paper'), memory: mem, fs, stdio,
    brk: 0x30000, warn: (l) => warnings.push(l) });
  const str = (addr: number, s: string) => { mem.write(addr, Buffer.from(s + '\0', 'latin1')); return addr; };
  const call = (nr: number, ...args: number[]) => k.dispatch(nr, args).result;
  return { k, mem, stdio, fs, warnings, str, call };
}

const regs = (eax: number, ebx = 0, ecx = 0, edx = 0): UserRegs =>
  ({ eax, ebx, ecx, edx, esi: 0, edi: 0, ebp: 0, esp: 0xbffff000, eip: 0x8048100, eflags: 0x202, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b });

const files = suite('file calls');

files('open, write, lseek, read, close, unlink', () => {
  const { call, str, mem, fs } = setup();
  const fd = call(5, str(RW, 'out.txt'), O.RDWR | O.CREAT | O.TRUNC, 0o644);
  assert.is(fd, 3);
  mem.write(RW + 0x100, Buffer.from('hello'));
  assert.is(call(4, fd, RW + 0x100, 5), 5);
  assert.is(call(19, fd, 1, 0), 1);
  assert.is(call(3, fd, RW + 0x200, 100), 4);
  assert.equal(Buffer.from(mem.read(RW + 0x200, 4)!).toString(), 'ello');
  assert.is(call(6, fd), 0);
  assert.is(call(6, fd), -E.EBADF);
  assert.equal(Buffer.from(fs.contents('out.txt')!).toString(), 'hello');
  assert.is(call(10, str(RW, 'out.txt')), 0);
  assert.is(call(10, str(RW, 'out.txt')), -E.ENOENT);
});

files('bad pointers give EFAULT, never an exception', () => {
  const { call, str } = setup({ '/f': Buffer.from('0123456789') });
  assert.is(call(5, 0xdead0000, O.RDONLY, 0), -E.EFAULT);
  const fd = call(5, str(RW, 'f'), O.RDONLY, 0);
  assert.is(call(3, fd, 0, 10), -E.EFAULT);
  assert.is(call(3, fd, RO, 10), -E.EFAULT, 'read into read-only memory');
  assert.is(call(4, 1, 0x50000, 10), -E.EFAULT);
  assert.is(call(78, RO, 0), -E.EFAULT, 'gettimeofday into read-only memory');
  assert.is(call(162, 0x50000, 0), -E.EFAULT);
  assert.is(call(13, RO), -E.EFAULT);
});

files('a read that runs into an unmapped page stops there, like copy_to_user', () => {
  const { call, str, mem } = setup({ '/f': new Uint8Array(0x3000).fill(7) });
  const fd = call(5, str(RW, 'f'), O.RDONLY, 0);
  assert.is(call(3, fd, RW + 0x1ff0, 0x100), 0x10);
  assert.is(mem.read(RW + 0x1ff0, 0x10)![15], 7);
});

files('count 0 returns 0 at once; a bad fd is still EBADF first', () => {
  const { call } = setup();
  assert.is(call(3, 0, 0, 0), 0);
  assert.is(call(4, 1, 0, 0), 0);
  assert.is(call(3, 42, 0, 0), -E.EBADF);
});

files('paths: too long, unterminated at the end of memory', () => {
  const { call, mem } = setup();
  mem.write(RW, new Uint8Array(0x2000).fill(0x61));
  assert.is(call(5, RW, O.RDONLY, 0), -E.ENAMETOOLONG);
  assert.is(call(5, RW + 0x1800, O.RDONLY, 0), -E.EFAULT, 'runs off the mapping before a NUL');
});

files('EMFILE at the fd limit', () => {
  const { call, str } = setup({ '/f': Buffer.from('x') });
  const p = str(RW, 'f');
  let last = 0;
  for (let i = 0; i < 300 && last >= 0; i++) last = call(5, p, O.RDONLY, 0);
  assert.is(last, -E.EMFILE);
});

files.run();

const process_ = suite('process, memory and unknown calls');

process_('unknown numbers return ENOSYS and are reported once per number', () => {
  const { call, warnings } = setup();
  assert.is(call(999), -E.ENOSYS);
  assert.is(call(999), -E.ENOSYS);
  assert.is(call(26), -E.ENOSYS);
  assert.is(warnings.length, 2);
  assert.match(warnings[0], /unknown syscall 999 in the paper personality/);
  assert.match(warnings[1], /unknown syscall ptrace \(26\)/, 'a number of the i386 table is reported by name');
});

process_('exit ends the process with the low byte of the status', () => {
  const { k, call } = setup();
  assert.is(k.exited, false);
  call(1, 0x1234);
  assert.is(k.exitStatus, 0x34);
});

process_('getpid', () => {
  const { call, k } = setup();
  assert.is(call(20), k.pid);
});

process_('brk grows and shrinks the heap and refuses what it cannot do', () => {
  const { call, mem } = setup();
  assert.is(call(45, 0), 0x30000);
  assert.is(call(45, 0x32001), 0x32001);
  assert.ok(mem.isMapped(0x30000, 0x3000, PROT.WRITE));
  assert.is(call(45, 0x31000), 0x31000);
  assert.not.ok(mem.isMapped(0x31000, 1));
  assert.is(call(45, 0x1000), 0x31000, 'below the start: unchanged');
  assert.is(call(45, 0x7fff0000), 0x31000, 'past the heap limit: unchanged');
});

process_.run();

const time = suite('time on the simulated clock');

time('gettimeofday and time read the simulated clock', () => {
  const { k, call, mem } = setup();
  const before = k.nowMicros();
  assert.is(call(78, RW, 0), 0);
  const read = mem.readU32(RW)! * 1e6 + mem.readU32(RW + 4)!;
  assert.ok(read >= before && read <= k.nowMicros());
  assert.is(before, 1_009_843_200_000_000, 'the default clock starts at 2002-01-01');
  assert.is(call(13, RW + 8), Math.floor(k.nowMicros() / 1e6));
  assert.is(mem.readU32(RW + 8), Math.floor(k.nowMicros() / 1e6));
});

time('select with a timeout blocks the clock, not the cycle counter', () => {
  const { k, call, mem } = setup();
  mem.writeU32(RW, 1); mem.writeU32(RW + 4, 500000);
  const cycles = k.cycles(), before = k.nowMicros();
  assert.is(call(142, 0, 0, 0, 0, RW), 0);
  const handler = k.ledger.handler;
  assert.is(k.cycles() - cycles, handler + k.ledger.dispatch, 'only the kernel work is charged in cycles');
  assert.ok(k.nowMicros() - before >= 1_500_000);
  assert.is(k.ledger.blockedMicros, 1_500_000);
  assert.is(mem.readU32(RW), 0, 'the remaining time is written back');
});

time('select: ready descriptors return at once; bad ones are EBADF; bad timeouts EINVAL', () => {
  const { call, mem } = setup();
  mem.write(RW, Uint8Array.of(0b11)); // fds 0 and 1
  assert.is(call(142, 2, RW, 0, 0, 0), 2);
  mem.write(RW, Uint8Array.of(0b10000));
  assert.is(call(142, 5, RW, 0, 0, 0), -E.EBADF);
  mem.writeU32(RW + 8, 0); mem.writeU32(RW + 12, 2_000_000);
  assert.is(call(142, 0, 0, 0, 0, RW + 8), -E.EINVAL);
  assert.is(call(142, -1, 0, 0, 0, 0), -E.EINVAL);
});

time('nanosleep validates and sleeps', () => {
  const { k, call, mem } = setup();
  mem.writeU32(RW, 0); mem.writeU32(RW + 4, 1_000_000_000);
  assert.is(call(162, RW, 0), -E.EINVAL);
  mem.writeU32(RW + 4, 2500);
  assert.is(call(162, RW, 0), 0);
  assert.is(k.ledger.blockedMicros, 3);
});

time('with --jiffies a sleep rounds up to the next tick boundary (HZ = 100)', () => {
  const mem = new ArrayMemory();
  mem.map(RW, 0x1000, PROT.READ | PROT.WRITE);
  const k = new Kernel({ profile: profile(), personality: personality('paper'), memory: mem, fs: new MemoryFileSystem(),
    stdio: new CapturedStdio(), brk: 0x30000, jiffies: true });
  mem.writeU32(RW, 0); mem.writeU32(RW + 4, 1000); // 1 ms: less than a 10 ms tick
  const before = k.nowMicros() - 1_009_843_200_000_000;
  k.dispatch(142, [0, 0, 0, 0, RW]);
  assert.is((before + k.ledger.blockedMicros) % 10_000, 0, 'it wakes on a tick boundary');
  assert.ok(k.ledger.blockedMicros >= 10_000 && k.ledger.blockedMicros <= 20_000, 'one tick rounded up, plus the tick in progress');
});

time.run();

const crossing = suite('crossings');

crossing('a crossing charges entry and exit once, snapshots pt_regs, writes the result', () => {
  const { k, str } = setup({ '/f': Buffer.from('x') });
  const seen: number[] = [];
  k.tracers.push({ crossing: (rec) => { seen.push(rec.regs.orig_eax, rec.regs.eax, rec.entryCycles, rec.exitCycles); } });
  const result = k.crossing(regs(5, str(RW, 'f'), O.RDONLY, 0), 100);
  assert.is(result, 3);
  assert.equal(seen, [5, 3, 140, 189]);
  assert.is(k.ledger.crossings, 1);
  assert.is(k.ledger.entry, 140);
  assert.is(k.ledger.exit, 189);
  assert.is(k.ledger.userCycles, 99, 'the int 0x80 itself is part of the entry');
});

crossing.run();
