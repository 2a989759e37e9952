// strace lines of the non-file calls: structures, flags and signal names in the form
// strace prints them, decoded from the one table's argument kinds. The expected lines are
// those strace 6.1 (Debian 12) prints for the same calls of an x86-64 program, addresses
// and host values aside.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { StraceTracer } from '../trace/strace.js';
import { sigset } from '../trace/structs.js';
import { profile } from './helpers.js';

const RW = 0x10000;

function setup() {
  const mem = new ArrayMemory();
  mem.map(RW, 0x2000, PROT.READ | PROT.WRITE);
  const lines: string[] = [];
  const k = new Kernel({ profile: profile(), personality: personality('modern'), memory: mem, fs: new MemoryFileSystem({}),
    stdio: new CapturedStdio(), brk: 0x30000, argv: ['/bin/busybox'], nodename: 'lab', warn: () => {} });
  k.tracers.push(new StraceTracer((l) => lines.push(l)));
  const put = (addr: number, ...words: number[]) => words.forEach((w, i) => mem.writeU32(addr + 4 * i, w));
  /** The strace line of one call. */
  const line = (nr: number, ...args: number[]) => {
    lines.length = 0;
    k.dispatch(nr, args);
    return lines.join('\n');
  };
  return { k, mem, put, line };
}

const s = suite('strace lines of the non-file calls');

s('clocks and sleeps: clock ids and flags by name, timespecs of both widths', () => {
  const { line, put } = setup();
  assert.is(line(265, 0, RW), 'clock_gettime(CLOCK_REALTIME, {tv_sec=1009843200, tv_nsec=0}) = 0');
  assert.is(line(403, 1, RW), 'clock_gettime64(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1000}) = 0');
  assert.is(line(265, 99, RW), 'clock_gettime(99, 0x10000) = -1 EINVAL (Invalid argument)', 'a failed call shows the pointer');
  assert.is(line(406, 5, RW), 'clock_getres_time64(CLOCK_REALTIME_COARSE, {tv_sec=0, tv_nsec=10000000}) = 0');
  put(RW, 3, 0);
  assert.is(line(267, 1, 1, RW, 0), 'clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=3, tv_nsec=0}, NULL) = 0');
  put(RW, 0, 5000);
  assert.is(line(162, RW, 0), 'nanosleep({tv_sec=0, tv_nsec=5000}, NULL) = 0');
});

s('uname, sysinfo and limits', () => {
  const { line } = setup();
  assert.is(line(122, RW), 'uname({sysname="Linux", nodename="lab", ...}) = 0');
  assert.match(line(116, RW), /^sysinfo\(\{uptime=1, loads=\[0, 0, 0\], totalram=1073741824, freeram=1073741824, sharedram=0, bufferram=0, totalswap=0, freeswap=0, procs=1, totalhigh=0, freehigh=0, mem_unit=1\}\) = 0$/);
  assert.is(line(191, 3, RW), 'ugetrlimit(RLIMIT_STACK, {rlim_cur=8192*1024, rlim_max=RLIM_INFINITY}) = 0');
  assert.is(line(340, 0, 7, 0, RW), 'prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=256, rlim_max=256}) = 0');
  assert.is(line(340, 0, 3, 0, RW), 'prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0');
  assert.is(line(191, 42, RW), 'ugetrlimit(42 /* RLIMIT_??? */, 0x10000) = -1 EINVAL (Invalid argument)');
});

s('getrandom\'s bytes in hex escapes, cut at 32; flags by name', () => {
  const { line } = setup();
  assert.match(line(355, RW, 4, 1), /^getrandom\("(\\x[0-9a-f]{2}){4}", 4, GRND_NONBLOCK\) = 4$/);
  assert.match(line(355, RW, 40, 0), /^getrandom\("(\\x[0-9a-f]{2}){32}"\.\.\., 40, 0\) = 40$/);
  assert.is(line(355, RW, 4, 8), 'getrandom(0x10000, 4, 0x8 /* GRND_??? */) = -1 EINVAL (Invalid argument)');
});

s('signals: names, actions with their flags, sets (and their complement when fuller than half)', () => {
  const { line, put } = setup();
  put(RW, 0x8049000, 0x04000000 | 0x10000000, 0x8048f00, 2 ** 16, 0); // SIGCHLD in the mask
  assert.is(line(174, 2, RW, 0, 8),
    'rt_sigaction(SIGINT, {sa_handler=0x8049000, sa_mask=[CHLD], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x8048f00}, NULL, 8) = 0');
  assert.is(line(174, 34, 0, RW + 0x100, 8), 'rt_sigaction(SIGRT_2, NULL, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0');
  put(RW, 0x7fffffff, 0xfffffffe); // all but RTMIN (32) and RT_1 (33), as glibc blocks them
  assert.is(line(175, 2, RW, RW + 0x20, 8), 'rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], [], 8) = 0');
  assert.is(line(175, 0, 0, RW + 0x20, 8), 'rt_sigprocmask(SIG_BLOCK, NULL, ~[KILL STOP RTMIN RT_1], 8) = 0');
  assert.is(line(186, 0, RW + 0x40), 'sigaltstack(NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0');
  assert.is(sigset(0n, 64), '[]');
  assert.is(sigset((1n << 64n) - 1n, 64), '~[]');
});

s('futex shows the arguments its operation uses', () => {
  const { line, put } = setup();
  put(RW, 7);
  assert.is(line(240, RW, 129, 2147483647, 0, 0, 0), 'futex(0x10000, FUTEX_WAKE_PRIVATE, 2147483647) = 0');
  assert.is(line(240, RW, 128, 6, 0, 0, 0), 'futex(0x10000, FUTEX_WAIT_PRIVATE, 6, NULL) = -1 EAGAIN (Resource temporarily unavailable)');
  assert.is(line(240, RW, 9 | 128 | 256, 6, 0, 0, 0xffffffff),
    'futex(0x10000, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 6, NULL, FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)');
  assert.is(line(240, RW, 5 | 128, 1, 1, RW + 4, (1 << 28) | (3 << 12) | (5 << 24) | 1),
    'futex(0x10000, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x10004, FUTEX_OP_ADD<<28|0x3<<12|FUTEX_OP_CMP_GT<<24|0x1) = 0');
  assert.is(line(240, RW, 8 | 128, 0, 0, 0, 0), 'futex(0x10000, FUTEX_TRYLOCK_PI_PRIVATE) = -1 ENOSYS (Function not implemented)');
  assert.is(line(240, RW, 3 | 128, 1, 2147483647, RW + 8, 0), 'futex(0x10000, FUTEX_REQUEUE_PRIVATE, 1, 2147483647, 0x10008) = 0',
    'the fourth argument is a count here, not a timeout');
  put(RW + 0x10, 1000, 0, 0, 0);
  assert.is(line(422, RW, 128, 6, RW + 0x10, 0, 0), 'futex_time64(0x10000, FUTEX_WAIT_PRIVATE, 6, {tv_sec=1000, tv_nsec=0}) = -1 EAGAIN (Resource temporarily unavailable)');
});

s('a wait nothing could end never returns: `= ?`', () => {
  const { line, put, k } = setup();
  put(RW, 7);
  assert.is(line(240, RW, 128, 7, 0, 0, 0), 'futex(0x10000, FUTEX_WAIT_PRIVATE, 7, NULL) = ?');
  assert.ok(k.exited);
});

s('prctl, the process\'s name, identity and scheduling', () => {
  const { line, mem } = setup();
  assert.is(line(172, 16, RW), 'prctl(PR_GET_NAME, "busybox") = 0');
  mem.write(RW, Buffer.from('worker\0'));
  assert.is(line(172, 15, RW), 'prctl(PR_SET_NAME, "worker") = 0');
  assert.is(line(172, 4, 1, 0, 0, 0), 'prctl(PR_SET_DUMPABLE, 0x1, 0, 0, 0) = -1 EINVAL (Invalid argument)');
  assert.is(line(199), 'getuid32() = 0');
  assert.is(line(242, 0, 128, RW), 'sched_getaffinity(0, 128, [0]) = 4');
  assert.is(line(318, RW, 0, 0), 'getcpu([0], NULL, NULL) = 0');
  assert.is(line(96, 0, 0), 'getpriority(PRIO_PROCESS, 0) = 20');
  assert.is(line(136, 0xffffffff), 'personality(0xffffffff) = 0 (PER_LINUX)');
  assert.is(line(258, RW), 'set_tid_address(0x10000) = 1000');
  assert.is(line(386, RW, 32, 0, 0x53053053), 'rseq(0x10000, 0x20, NULL, 0x53053053) = -1 ENOSYS (Function not implemented)');
});

s.run();
