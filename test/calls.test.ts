// The non-file calls on the kernel model with a fake memory, under today's i386 numbers:
// results and errno as Linux gives them, old values returned, bad pointers EFAULT.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { E } from '../kernel-model/errno.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { DEADLOCK_STATUS, FUTEX, FUTEX_PRIVATE_FLAG } from '../kernel-model/sys/futex.js';
import { CLOCK } from '../kernel-model/sys/time.js';
import { SeededRandom } from '../kernel-model/random.js';
import { profile } from './helpers.js';

const RW = 0x10000, RO = 0x20000, UNMAPPED = 0x50000;
const START = 1_700_000_000_000_000; // the simulated clock at cycle 0, in microseconds

function setup(o: { seed?: number; nodename?: string; argv?: string[] } = {}) {
  const mem = new ArrayMemory();
  mem.map(RW, 0x2000, PROT.READ | PROT.WRITE);
  mem.map(RO, 0x1000, PROT.READ);
  const warnings: string[] = [];
  const k = new Kernel({ profile: profile(), personality: personality('modern'), memory: mem, fs: new MemoryFileSystem({}),
    stdio: new CapturedStdio(), brk: 0x30000, clockStartMicros: START, warn: (l) => warnings.push(l), ...o });
  const call = (nr: number, ...args: number[]) => k.dispatch(nr, args).result;
  const u32 = (addr: number) => mem.readU32(addr)!;
  const i32 = (addr: number) => mem.readU32(addr)! | 0;
  const put = (addr: number, ...words: number[]) => words.forEach((w, i) => mem.writeU32(addr + 4 * i, w));
  const bytes = (addr: number, n: number) => Buffer.from(mem.read(addr, n)!);
  return { k, mem, call, u32, i32, put, bytes, warnings };
}

const NR = {
  getuid: 24, getgid: 47, geteuid: 49, getegid: 50, getppid: 64, getpgrp: 65, sigaction: 67, setrlimit: 75, getrlimit: 76,
  getpriority: 96, sysinfo: 116, uname: 122, sigprocmask: 126, getpgid: 132, personality: 136, getsid: 147, sched_yield: 158,
  prctl: 172, rt_sigaction: 174, rt_sigprocmask: 175, sigaltstack: 186, ugetrlimit: 191, getuid32: 199, getgid32: 200,
  geteuid32: 201, getegid32: 202, gettid: 224, futex: 240, sched_getaffinity: 242, set_tid_address: 258, clock_gettime: 265,
  clock_getres: 266, clock_nanosleep: 267, set_robust_list: 311, get_robust_list: 312, getcpu: 318, prlimit64: 340,
  getrandom: 355, membarrier: 375, arch_prctl: 384, rseq: 386, clock_gettime64: 403, clock_getres_time64: 406,
  clock_nanosleep_time64: 407, futex_time64: 422, time: 13, nanosleep: 162,
};

const ids = suite('identity');

ids('uids and gids are 0, pids agree, 16-bit and 32-bit calls alike', () => {
  const { call, k } = setup();
  for (const nr of [NR.getuid, NR.getgid, NR.geteuid, NR.getegid, NR.getuid32, NR.getgid32, NR.geteuid32, NR.getegid32]) assert.is(call(nr), 0);
  assert.is(call(NR.gettid), k.pid);
  assert.is(call(NR.getpgrp), k.pid);
  assert.is(call(NR.getppid), 1);
  assert.is(call(NR.getpgid, 0), k.pid);
  assert.is(call(NR.getsid, k.pid), k.pid);
  assert.is(call(NR.getpgid, 4242), -E.ESRCH);
});

ids('getresuid, getresgid and getgroups, 16-bit and 32-bit', () => {
  const { call, put, u32, mem } = setup();
  put(RW, 0xffffffff, 0xffffffff, 0xffffffff);
  assert.is(call(209, RW, RW + 4, RW + 8), 0);
  assert.equal([u32(RW), u32(RW + 4), u32(RW + 8)], [0, 0, 0]);
  put(RW, 0xffffffff, 0xffffffff);
  assert.is(call(171, RW, RW + 2, RW + 4), 0);
  assert.equal([u32(RW), u32(RW + 4) & 0xffff], [0, 0], 'three 16-bit ids');
  assert.is(call(211, RW, RO, RW + 8), -E.EFAULT);
  assert.is(call(205, 0, 0), 1, 'size 0 asks how many');
  put(RW, 0xffffffff);
  assert.is(call(205, 4, RW), 1);
  assert.is(u32(RW), 0);
  assert.is(call(80, 1, RW + 0x10), 1);
  assert.is(mem.read(RW + 0x10, 2)![0], 0);
  assert.is(call(205, -1, RW), -E.EINVAL);
  assert.is(call(205, 1, RO), -E.EFAULT);
});

ids('set_tid_address returns the tid; set_robust_list wants 12 bytes; get_robust_list gives them back', () => {
  const { call, k, u32 } = setup();
  assert.is(call(NR.set_tid_address, RW + 0x100), k.pid);
  assert.is(k.task.clearChildTid, RW + 0x100);
  assert.is(call(NR.set_robust_list, RW + 0x200, 24), -E.EINVAL);
  assert.is(call(NR.set_robust_list, RW + 0x200, 12), 0);
  assert.is(call(NR.get_robust_list, 0, RW, RW + 4), 0);
  assert.is(u32(RW), RW + 0x200);
  assert.is(u32(RW + 4), 12);
  assert.is(call(NR.get_robust_list, 77, RW, RW + 4), -E.ESRCH);
  assert.is(call(NR.get_robust_list, 0, RO, RW + 4), -E.EFAULT);
});

ids('prctl names the task: argv[0]\'s last component, then PR_SET_NAME, cut to 15 bytes', () => {
  const { call, mem, bytes } = setup({ argv: ['/usr/bin/a-rather-long-program-name'] });
  assert.is(call(NR.prctl, 16, RW), 0);
  assert.equal(bytes(RW, 16), Buffer.from('a-rather-long-p\0'));
  mem.write(RW + 0x100, Buffer.from('worker-thread-number-7\0'));
  assert.is(call(NR.prctl, 15, RW + 0x100), 0);
  assert.is(call(NR.prctl, 16, RW + 0x200), 0);
  assert.equal(bytes(RW + 0x200, 16), Buffer.from('worker-thread-n\0'));
  assert.is(call(NR.prctl, 15, UNMAPPED), -E.EFAULT);
  assert.is(call(NR.prctl, 16, RO), -E.EFAULT);
  assert.is(call(NR.prctl, 4, 1), -E.EINVAL, 'other options are EINVAL');
});

ids('personality: 0xffffffff queries, anything else sets and returns the old value', () => {
  const { call } = setup();
  assert.is(call(NR.personality, 0xffffffff), 0);
  assert.is(call(NR.personality, 0x0040000), 0);
  assert.is(call(NR.personality, 0xffffffff), 0x0040000);
});

ids('scheduling queries: one processor, nice 0', () => {
  const { call, u32 } = setup();
  assert.is(call(NR.sched_yield), 0);
  assert.is(call(NR.sched_getaffinity, 0, 128, RW), 4);
  assert.is(u32(RW), 1);
  assert.is(call(NR.sched_getaffinity, 0, 3, RW), -E.EINVAL, 'not a whole number of longs');
  assert.is(call(NR.sched_getaffinity, 999, 128, RW), -E.ESRCH);
  assert.is(call(NR.sched_getaffinity, 0, 128, RO), -E.EFAULT);
  assert.is(call(NR.getcpu, RW, RW + 4, 0), 0);
  assert.is(u32(RW), 0);
  assert.is(call(NR.getcpu, RO, 0, 0), -E.EFAULT);
  assert.is(call(NR.getpriority, 0, 0), 20);
  assert.is(call(NR.getpriority, 3, 0), -E.EINVAL);
  assert.is(call(NR.getpriority, 0, 999), -E.ESRCH);
});

ids('membarrier: one thread, every barrier complete; private expedited ones after registering', () => {
  const { call } = setup();
  assert.is(call(NR.membarrier, 0, 0, 0), 0x3ff - 128 - 256, 'QUERY: all but the rseq commands');
  assert.is(call(NR.membarrier, 1, 0, 0), 0);
  assert.is(call(NR.membarrier, 8, 0, 0), -E.EPERM, 'PRIVATE_EXPEDITED before registering');
  assert.is(call(NR.membarrier, 16, 0, 0), 0);
  assert.is(call(NR.membarrier, 8, 0, 0), 0);
  assert.is(call(NR.membarrier, 512, 0, 0), 16, 'GET_REGISTRATIONS');
  assert.is(call(NR.membarrier, 128, 0, 0), -E.EINVAL, 'the rseq commands are absent');
  assert.is(call(NR.membarrier, 3, 0, 0), -E.EINVAL, 'one command at a time');
  assert.is(call(NR.membarrier, 1, 1, 0), -E.EINVAL);
});

ids('calls refused on purpose return ENOSYS without a warning', () => {
  const { call, warnings } = setup();
  for (const nr of [NR.rseq, NR.arch_prctl]) assert.is(call(nr, 0, 0, 0, 0), -E.ENOSYS);
  assert.is(warnings.length, 0);
  assert.is(call(26), -E.ENOSYS, 'ptrace is not modelled');
  assert.equal(warnings, ['syscluster: unknown syscall ptrace (26) in the modern personality: returning -ENOSYS']);
});

ids.run();

const info = suite('uname, sysinfo, limits, getrandom');

info('uname fills a fixed new_utsname, nodename from the option', () => {
  const { call, bytes } = setup({ nodename: 'box' });
  assert.is(call(NR.uname, RW), 0);
  const field = (i: number) => bytes(RW + 65 * i, 65).toString('latin1').replace(/\0.*$/s, '');
  assert.equal([0, 1, 2, 4, 5].map(field), ['Linux', 'box', '6.1.0-syscluster', 'i686', '(none)']);
  assert.is(call(NR.uname, RO), -E.EFAULT);
  assert.is(call(NR.uname, RW + 0x2000 - 100), -E.EFAULT, 'runs off the mapping');
});

info('sysinfo: uptime from the simulated clock, one process, memory in bytes', () => {
  const { call, k, u32, i32 } = setup();
  k.block(2_500_000);
  assert.is(call(NR.sysinfo, RW), 0);
  assert.is(i32(RW), 3, 'uptime rounds up');
  assert.is(u32(RW + 16), 1 << 30);
  assert.is(u32(RW + 40) & 0xffff, 1);
  assert.is(u32(RW + 52), 1);
  assert.is(call(NR.sysinfo, 0), -E.EFAULT);
});

info('resource limits: Linux defaults, old values, checks, the three interfaces agree', () => {
  const { call, u32, put, mem } = setup();
  assert.is(call(NR.ugetrlimit, 3, RW), 0);
  assert.equal([u32(RW), u32(RW + 4)], [8 << 20, 0xffffffff], 'STACK: 8 MiB soft, unlimited hard');
  assert.is(call(NR.getrlimit, 3, RW), 0);
  assert.equal([u32(RW), u32(RW + 4)], [8 << 20, 0x7fffffff], 'the old call clamps infinity');
  assert.is(call(NR.ugetrlimit, 16, RW), -E.EINVAL);
  assert.is(call(NR.ugetrlimit, 7, RO), -E.EFAULT);
  put(RW, 100, 50);
  assert.is(call(NR.setrlimit, 7, RW), -E.EINVAL, 'soft above hard');
  put(RW, 50, 100);
  assert.is(call(NR.setrlimit, 7, RW), 0);
  assert.is(call(NR.setrlimit, 7, UNMAPPED), -E.EFAULT);
  // prlimit64: new and old at once, 64-bit, infinity both ways
  const dv = new DataView(new ArrayBuffer(16));
  dv.setBigUint64(0, 64n, true);
  dv.setBigUint64(8, 0xffff_ffff_ffff_ffffn, true);
  mem.write(RW + 0x100, new Uint8Array(dv.buffer));
  assert.is(call(NR.prlimit64, 0, 7, RW + 0x100, RW + 0x200), 0);
  const old = new DataView(mem.read(RW + 0x200, 16)!.buffer);
  assert.equal([old.getBigUint64(0, true), old.getBigUint64(8, true)], [50n, 100n]);
  assert.is(call(NR.prlimit64, 0, 7, 0, RW + 0x200), 0);
  const now = new DataView(mem.read(RW + 0x200, 16)!.buffer);
  assert.equal([now.getBigUint64(0, true), now.getBigUint64(8, true)], [64n, 0xffff_ffff_ffff_ffffn]);
  assert.is(call(NR.prlimit64, 31337, 7, 0, RW), -E.ESRCH);
  assert.is(call(NR.prlimit64, 0, 99, 0, RW), -E.EINVAL);
});

info('getrandom draws from the seeded generator: same seed same bytes, other seed other bytes', () => {
  const a = setup({ seed: 7 }), b = setup({ seed: 7 }), c = setup({ seed: 8 });
  for (const s of [a, b, c]) assert.is(s.call(NR.getrandom, RW, 16, 1), 16);
  assert.equal(a.bytes(RW, 16), b.bytes(RW, 16));
  assert.not.equal(a.bytes(RW, 16), c.bytes(RW, 16));
  assert.equal(a.bytes(RW, 16), Buffer.from(new SeededRandom(7).bytes(16)), 'the kernel\'s generator, nothing else');
});

info('getrandom: flags checked, a fault part-way returns what was written, none at all is EFAULT', () => {
  const { call } = setup();
  assert.is(call(NR.getrandom, RW, 4, 8), -E.EINVAL);
  assert.is(call(NR.getrandom, RW, 4, 2 | 4), -E.EINVAL, 'GRND_RANDOM with GRND_INSECURE');
  assert.is(call(NR.getrandom, RW + 0x2000 - 10, 100, 0), 10);
  assert.is(call(NR.getrandom, RO, 4, 0), -E.EFAULT);
  assert.is(call(NR.getrandom, RW, 0, 0), 0);
});

info.run();

const clocks = suite('clocks on the simulated clock');

/** A timespec at addr: 8 bytes, or 16 for the time64 calls. */
function timespec(mem: ArrayMemory, addr: number, wide = false): [number, number] {
  const dv = new DataView(mem.read(addr, wide ? 16 : 8)!.buffer);
  return wide ? [Number(dv.getBigInt64(0, true)), Number(dv.getBigInt64(8, true))] : [dv.getInt32(0, true), dv.getInt32(4, true)];
}

clocks('realtime reads --clock-start plus elapsed time; monotonic starts at the run; time agrees', () => {
  const { call, mem, k } = setup();
  k.block(1_500_250);
  /** The reading in microseconds; dispatch itself takes a few cycles, so it lies just past `from`. */
  const near = (ts: [number, number], from: number) => {
    const micros = (ts[0] - Math.floor(from / 1e6)) * 1e6 + ts[1] / 1000;
    const delta = micros - (from % 1e6);
    assert.ok(ts[1] % 1000 === 0 && delta >= 0 && delta < 10, `${ts} is within 10 us after ${from}`);
  };
  const now = k.nowMicros();
  assert.is(call(NR.clock_gettime, CLOCK.REALTIME, RW), 0);
  near(timespec(mem, RW), now);
  assert.is(call(NR.clock_gettime64, CLOCK.REALTIME, RW), 0);
  near(timespec(mem, RW, true), now);
  assert.is(call(NR.time, 0), Math.floor(now / 1e6));
  const up = k.uptimeMicros();
  assert.is(call(NR.clock_gettime, CLOCK.MONOTONIC, RW), 0);
  near(timespec(mem, RW), up);
  assert.is(call(NR.clock_gettime, CLOCK.MONOTONIC_COARSE, RW), 0);
  assert.equal(timespec(mem, RW), [1, 500_000_000], 'coarse: the last 10 ms tick (HZ 100)');
  assert.is(call(NR.clock_gettime, CLOCK.PROCESS_CPUTIME_ID, RW), 0);
  const [s, ns] = timespec(mem, RW);
  assert.ok(s === 0 && ns > 0 && ns < 1e6, 'CPU time: cycles, not the 1.5 s blocked');
});

clocks('bad clock ids are EINVAL, bad pointers EFAULT, getres gives each clock\'s resolution', () => {
  const { call, mem } = setup();
  assert.is(call(NR.clock_gettime, 10, RW), -E.EINVAL);
  assert.is(call(NR.clock_gettime, 99, RW), -E.EINVAL);
  assert.is(call(NR.clock_gettime, CLOCK.REALTIME_ALARM, RW), -E.EINVAL);
  assert.is(call(NR.clock_gettime, CLOCK.REALTIME, RO), -E.EFAULT);
  assert.is(call(NR.clock_gettime64, CLOCK.REALTIME, RW + 0x2000 - 8), -E.EFAULT, '16 bytes do not fit');
  assert.is(call(NR.clock_gettime, (~0 << 3) | 2, RW), 0, 'this process\'s own CPU clock');
  assert.is(call(NR.clock_gettime, (~4242 << 3) | 2, RW), -E.EINVAL, 'another process\'s');
  assert.is(call(NR.clock_getres, CLOCK.MONOTONIC, RW), 0);
  assert.equal(timespec(mem, RW), [0, 1000]);
  assert.is(call(NR.clock_getres_time64, CLOCK.REALTIME_COARSE, RW), 0);
  assert.equal(timespec(mem, RW, true), [0, 10_000_000]);
  assert.is(call(NR.clock_getres, CLOCK.MONOTONIC, 0), 0, 'res may be NULL');
  assert.is(call(NR.clock_getres, 10, 0), -E.EINVAL);
});

clocks('clock_nanosleep: relative and absolute sleeps advance the clock, not the cycle counter', () => {
  const { call, k, put, mem } = setup();
  const cycles = k.cycles(), t0 = k.uptimeMicros();
  put(RW, 2, 0);
  assert.is(call(NR.clock_nanosleep, CLOCK.MONOTONIC, 0, RW, 0), 0);
  assert.ok(k.uptimeMicros() - t0 >= 2_000_000 && k.uptimeMicros() - t0 < 2_001_000);
  put(RW, 5, 0);
  assert.is(call(NR.clock_nanosleep, CLOCK.MONOTONIC, 1, RW, 0), 0);
  assert.ok(k.uptimeMicros() >= 5_000_000 && k.uptimeMicros() < 5_001_000, 'TIMER_ABSTIME: until the clock reads 5 s');
  const before = k.uptimeMicros();
  assert.is(call(NR.clock_nanosleep, CLOCK.MONOTONIC, 1, RW, 0), 0, 'a time already past returns at once');
  assert.ok(k.uptimeMicros() - before < 1000);
  assert.ok(k.cycles() - cycles < 100_000, 'blocked time is not cycles');
  const dv = new DataView(new ArrayBuffer(16));
  dv.setBigInt64(0, 1n, true);
  mem.write(RW + 0x100, new Uint8Array(dv.buffer));
  const t1 = k.uptimeMicros();
  assert.is(call(NR.clock_nanosleep_time64, CLOCK.REALTIME, 0, RW + 0x100, 0), 0);
  assert.ok(k.uptimeMicros() - t1 >= 1_000_000);
  put(RW, 0, 1_000_000_000);
  assert.is(call(NR.clock_nanosleep, CLOCK.MONOTONIC, 0, RW, 0), -E.EINVAL);
  assert.is(call(NR.clock_nanosleep, CLOCK.MONOTONIC_RAW, 0, RW, 0), -E.EOPNOTSUPP);
  assert.is(call(NR.clock_nanosleep, CLOCK.THREAD_CPUTIME_ID, 0, RW, 0), -E.EINVAL);
  assert.is(call(NR.clock_nanosleep, CLOCK.MONOTONIC, 0, UNMAPPED, 0), -E.EFAULT);
  put(RW, 0, 1000);
  assert.is(call(NR.nanosleep, RW, 0), 0);
});

clocks.run();

const futex = suite('futex with one thread');

futex('wake wakes no one; wait on a differing value is EAGAIN; misaligned is EINVAL', () => {
  const { call, put } = setup();
  put(RW, 5);
  const P = FUTEX_PRIVATE_FLAG;
  assert.is(call(NR.futex, RW, FUTEX.WAKE | P, 0x7fffffff, 0, 0, 0), 0);
  assert.is(call(NR.futex, UNMAPPED, FUTEX.WAKE | P, 1, 0, 0, 0), 0, 'a private wake does not touch the page');
  assert.is(call(NR.futex, UNMAPPED, FUTEX.WAKE, 1, 0, 0, 0), -E.EFAULT, 'a shared one looks it up');
  assert.is(call(NR.futex, RW, FUTEX.WAIT | P, 4, 0, 0, 0), -E.EAGAIN);
  assert.is(call(NR.futex, RW + 2, FUTEX.WAIT | P, 5, 0, 0, 0), -E.EINVAL);
  assert.is(call(NR.futex, UNMAPPED, FUTEX.WAIT | P, 5, 0, 0, 0), -E.EFAULT);
  assert.is(call(NR.futex, RW, FUTEX.WAIT_BITSET | P, 5, 0, 0, 0), -E.EINVAL, 'bitset 0');
  assert.is(call(NR.futex, RW, FUTEX.WAKE | 256, 1, 0, 0, 0), -E.ENOSYS, 'FUTEX_CLOCK_REALTIME only with the waits that take it');
  assert.is(call(NR.futex, RW, FUTEX.LOCK_PI | P, 0, 0, 0, 0), -E.ENOSYS);
  assert.is(call(NR.futex, RW, FUTEX.CMP_REQUEUE | P, 1, 1, RW + 8, 6), -E.EAGAIN);
  assert.is(call(NR.futex, RW, FUTEX.CMP_REQUEUE | P, 1, 1, RW + 8, 5), 0);
});

futex('a timed wait sleeps it out and times out; the time64 call reads a 16-byte timeout', () => {
  const { call, put, k, mem } = setup();
  put(RW, 5);
  put(RW + 0x10, 0, 250_000_000);
  const t0 = k.uptimeMicros();
  assert.is(call(NR.futex, RW, FUTEX.WAIT | FUTEX_PRIVATE_FLAG, 5, RW + 0x10, 0, 0), -E.ETIMEDOUT);
  assert.ok(k.uptimeMicros() - t0 >= 250_000);
  const dv = new DataView(new ArrayBuffer(16));
  dv.setBigInt64(0, 1n, true);
  mem.write(RW + 0x20, new Uint8Array(dv.buffer));
  const t1 = k.uptimeMicros();
  assert.is(call(NR.futex_time64, RW, FUTEX.WAIT | FUTEX_PRIVATE_FLAG, 5, RW + 0x20, 0, 0), -E.ETIMEDOUT);
  assert.ok(k.uptimeMicros() - t1 >= 1_000_000);
  put(RW + 0x10, 0, -1);
  assert.is(call(NR.futex, RW, FUTEX.WAIT, 5, RW + 0x10, 0, 0), -E.EINVAL);
});

futex('FUTEX_WAKE_OP does its operation on the second word', () => {
  const { call, put, u32 } = setup();
  put(RW, 0, 10);
  // op ADD (1), oparg 3, cmp EQ (0), cmparg 0
  assert.is(call(NR.futex, RW, FUTEX.WAKE_OP | FUTEX_PRIVATE_FLAG, 1, 1, RW + 4, (1 << 28) | (3 << 12)), 0);
  assert.is(u32(RW + 4), 13);
  // OPARG_SHIFT: OR with 1 << 4
  assert.is(call(NR.futex, RW, FUTEX.WAKE_OP | FUTEX_PRIVATE_FLAG, 1, 1, RW + 4, (0x8 << 28) | (2 << 28) | (4 << 12)), 0);
  assert.is(u32(RW + 4), 29);
  assert.is(call(NR.futex, RW, FUTEX.WAKE_OP | FUTEX_PRIVATE_FLAG, 1, 1, RO, 1 << 28), -E.EFAULT);
});

futex('a wait nothing could end stops the run with one line', () => {
  const { call, put, k, warnings } = setup();
  put(RW, 5);
  call(NR.futex, RW, FUTEX.WAIT | FUTEX_PRIVATE_FLAG, 5, 0, 0, 0);
  assert.is(k.exitStatus, DEADLOCK_STATUS);
  assert.is(warnings.length, 1);
  assert.match(warnings[0], /futex\(0x10000, FUTEX_WAIT\) would wait forever/);
});

futex.run();

const signals = suite('signal state');

signals('rt_sigaction records actions and returns the old one; SIGKILL and SIGSTOP cannot change', () => {
  const { call, put, u32 } = setup();
  put(RW, 0x8049000, 0x04000000 | 0x10000000, 0x8048f00, (1 << 8) | (1 << 1), 0);
  assert.is(call(NR.rt_sigaction, 2, RW, 0, 8), 0);
  assert.is(call(NR.rt_sigaction, 2, 0, RW + 0x100, 8), 0);
  assert.equal([u32(RW + 0x100), u32(RW + 0x104), u32(RW + 0x108), u32(RW + 0x10c)], [0x8049000, 0x14000000, 0x8048f00, 1 << 1],
    'SIGKILL (bit 8) leaves the mask, SIGINT (bit 1) stays');
  assert.is(call(NR.rt_sigaction, 9, RW, 0, 8), -E.EINVAL);
  assert.is(call(NR.rt_sigaction, 9, 0, RW + 0x100, 8), 0, 'reading SIGKILL\'s action is fine');
  assert.is(call(NR.rt_sigaction, 0, 0, RW + 0x100, 8), -E.EINVAL);
  assert.is(call(NR.rt_sigaction, 65, 0, RW + 0x100, 8), -E.EINVAL);
  assert.is(call(NR.rt_sigaction, 2, RW, 0, 4), -E.EINVAL, 'sigsetsize must be 8');
  assert.is(call(NR.rt_sigaction, 2, UNMAPPED, 0, 8), -E.EFAULT);
  assert.is(call(NR.rt_sigaction, 2, 0, RO, 8), -E.EFAULT);
  // The old call shares the table: one-word mask, its own layout.
  assert.is(call(NR.sigaction, 2, 0, RW + 0x200), 0);
  assert.equal([u32(RW + 0x200), u32(RW + 0x204), u32(RW + 0x208), u32(RW + 0x20c)], [0x8049000, 1 << 1, 0x14000000, 0x8048f00]);
});

signals('rt_sigprocmask blocks, unblocks, sets; never SIGKILL or SIGSTOP; old mask returned', () => {
  const { call, put, u32, k } = setup();
  const bit = (s: number) => 2 ** (s - 1);
  put(RW, bit(2) + bit(9) + bit(15), 0x1);
  assert.is(call(NR.rt_sigprocmask, 0, RW, RW + 0x10, 8), 0);
  assert.equal([u32(RW + 0x10), u32(RW + 0x14)], [0, 0]);
  assert.is(k.task.blocked, BigInt(bit(2) + bit(15)) | (1n << 32n), 'SIGKILL dropped, signal 33 kept');
  put(RW, bit(2), 0);
  assert.is(call(NR.rt_sigprocmask, 1, RW, RW + 0x10, 8), 0);
  assert.equal([u32(RW + 0x10), u32(RW + 0x14)], [bit(2) + bit(15), 1]);
  assert.is(call(NR.rt_sigprocmask, 7, RW, 0, 8), -E.EINVAL);
  assert.is(call(NR.rt_sigprocmask, 7, 0, RW + 0x10, 8), 0, 'how is ignored with no set');
  assert.is(call(NR.rt_sigprocmask, 0, RW, 0, 16), -E.EINVAL);
  assert.is(call(NR.rt_sigprocmask, 0, UNMAPPED, 0, 8), -E.EFAULT);
  // The old call sees and changes the first 32 signals.
  put(RW, 0xffffffff);
  assert.is(call(NR.sigprocmask, 2, RW, RW + 0x20), 0);
  assert.is(u32(RW + 0x20), bit(15));
  assert.is(k.task.blocked, BigInt(0xffffffff - bit(9) - bit(19)) | (1n << 32n));
});

signals('sigaltstack: disabled at first, then set, checked, given back', () => {
  const { call, put, u32 } = setup();
  assert.is(call(NR.sigaltstack, 0, RW), 0);
  assert.equal([u32(RW), u32(RW + 4), u32(RW + 8)], [0, 2, 0], 'SS_DISABLE');
  put(RW + 0x10, 0x40000000, 0, 8192);
  assert.is(call(NR.sigaltstack, RW + 0x10, 0), 0);
  assert.is(call(NR.sigaltstack, 0, RW), 0);
  assert.equal([u32(RW), u32(RW + 4), u32(RW + 8)], [0x40000000, 0, 8192]);
  put(RW + 0x10, 0x40000000, 0, 1024);
  assert.is(call(NR.sigaltstack, RW + 0x10, 0), -E.ENOMEM, 'below MINSIGSTKSZ');
  put(RW + 0x10, 0x40000000, 4, 8192);
  assert.is(call(NR.sigaltstack, RW + 0x10, 0), -E.EINVAL);
  assert.is(call(NR.sigaltstack, UNMAPPED, 0), -E.EFAULT);
});

signals.run();
