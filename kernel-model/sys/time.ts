// Time syscalls on the simulated clock: time, gettimeofday, _newselect, the sleeps and the
// POSIX clocks (32-bit and time64). Sleeping advances the clock, never the cycle counter.
// The system boots when the run begins: the monotonic clocks start at 0 there.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';

function readTimeval(k: Kernel, ptr: number): { sec: number; usec: number } {
  const b = k.copyIn(ptr, 8);
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  return { sec: dv.getInt32(0, true), usec: dv.getInt32(4, true) };
}

export function writeTimeval(k: Kernel, ptr: number, micros: number): void {
  const b = new Uint8Array(8), dv = new DataView(b.buffer);
  dv.setInt32(0, Math.floor(micros / 1e6), true);
  dv.setInt32(4, micros % 1e6, true);
  k.copyOut(ptr, b);
}

/** Checks the fd bits of one fd_set; every descriptor we model is always ready. */
function readyIn(k: Kernel, ptr: number, n: number): number {
  if (ptr === 0 || n === 0) return 0;
  const bytes = k.copyIn(ptr, Math.ceil(n / 32) * 4);
  let ready = 0;
  for (let fd = 0; fd < n; fd++) {
    if (bytes[fd >> 3] & (1 << (fd & 7))) {
      k.fds.get(fd);
      ready++;
    }
  }
  return ready;
}

/** Clock ids (include/uapi/linux/time.h); 10 (CLOCK_SGI_CYCLE) was removed. */
export const CLOCK = {
  REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3, MONOTONIC_RAW: 4, REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6, BOOTTIME: 7, REALTIME_ALARM: 8, BOOTTIME_ALARM: 9, TAI: 11,
} as const;
const TIMER_ABSTIME = 1;

type ClockKind = 'realtime' | 'monotonic' | 'cpu';
interface ClockInfo { kind: ClockKind; coarse: boolean; sleeps: boolean }

/**
 * What a clock id reads, or EINVAL. A negative id is a CPU clock of a process or thread
 * (MAKE_PROCESS_CPUCLOCK): only this process's own are known. The alarm clocks need an
 * RTC device the model does not have.
 */
function clockInfo(k: Kernel, id: number): ClockInfo {
  const c = id | 0;
  if (c < 0) {
    const pid = ~(c >> 3), type = c & 3;
    if (type === 3 || (pid !== 0 && pid !== k.task.pid)) throw new KernelError(E.EINVAL);
    return { kind: 'cpu', coarse: false, sleeps: (c & 4) === 0 };
  }
  switch (c) {
    case CLOCK.REALTIME: case CLOCK.TAI: return { kind: 'realtime', coarse: false, sleeps: true };
    case CLOCK.REALTIME_COARSE: return { kind: 'realtime', coarse: true, sleeps: false };
    case CLOCK.MONOTONIC: case CLOCK.BOOTTIME: return { kind: 'monotonic', coarse: false, sleeps: true };
    case CLOCK.MONOTONIC_RAW: return { kind: 'monotonic', coarse: false, sleeps: false };
    case CLOCK.MONOTONIC_COARSE: return { kind: 'monotonic', coarse: true, sleeps: false };
    case CLOCK.PROCESS_CPUTIME_ID: return { kind: 'cpu', coarse: false, sleeps: true };
    case CLOCK.THREAD_CPUTIME_ID: return { kind: 'cpu', coarse: false, sleeps: false };
    default: throw new KernelError(E.EINVAL);
  }
}

/** One timer tick of the platform, in nanoseconds: the coarse clocks' resolution. */
const tickNanos = (k: Kernel) => Math.round(1e9 / k.profile.timer.hz);

/** A clock's reading in nanoseconds (a bigint: the epoch in nanoseconds passes 2^53). */
function readClock(k: Kernel, c: ClockInfo): bigint {
  if (c.kind === 'cpu') return BigInt(k.cpuNanos());
  const ns = BigInt(c.kind === 'realtime' ? k.nowMicros() : k.uptimeMicros()) * 1000n;
  return c.coarse ? ns - (ns % BigInt(tickNanos(k))) : ns;
}

/** clock_getres: the simulated clock counts microseconds; coarse clocks tick; CPU clocks say 1 ns as Linux does. */
const resolution = (k: Kernel, c: ClockInfo) => BigInt(c.kind === 'cpu' ? 1 : c.coarse ? tickNanos(k) : 1000);

/** struct old_timespec32 (8 bytes) or struct __kernel_timespec (16 bytes, its tv_nsec's high half ignored). */
function readTimespec(k: Kernel, ptr: number, wide: boolean): { sec: number; nsec: number } {
  const b = k.copyIn(ptr, wide ? 16 : 8), dv = new DataView(b.buffer, b.byteOffset, b.length);
  return wide ? { sec: Number(dv.getBigInt64(0, true)), nsec: dv.getInt32(8, true) } : { sec: dv.getInt32(0, true), nsec: dv.getInt32(4, true) };
}

function writeTimespec(k: Kernel, ptr: number, nanos: bigint, wide: boolean): void {
  const sec = Number(nanos / 1_000_000_000n), nsec = Number(nanos % 1_000_000_000n);
  const b = new Uint8Array(wide ? 16 : 8), dv = new DataView(b.buffer);
  if (wide) {
    dv.setBigInt64(0, BigInt(sec), true);
    dv.setBigInt64(8, BigInt(nsec), true);
  } else {
    dv.setInt32(0, sec | 0, true); // put_old_timespec32 truncates past 2038
    dv.setInt32(4, nsec, true);
  }
  k.copyOut(ptr, b);
}

const validTimespec = (t: { sec: number; nsec: number }) => t.sec >= 0 && t.nsec >= 0 && t.nsec < 1e9;

function clockGettime(nr: number, name: string, wide: boolean): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'time', support: 'full',
    note: 'realtime from the simulated clock (--clock-start), monotonic and boottime from the run\'s start, CPU time from the cycle count',
    args: [arg('clockid', 'clockid'), arg('tp', wide ? 'timespec64_out' : 'timespec_out')],
    handler(k, [clockid, tp]) {
      writeTimespec(k, tp, readClock(k, clockInfo(k, clockid)), wide);
      return 0;
    },
  };
}

function clockGetres(nr: number, name: string, wide: boolean): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'time', support: 'full',
    note: 'the simulated clock counts microseconds (1000 ns); coarse clocks one timer tick; CPU clocks 1 ns',
    args: [arg('clockid', 'clockid'), arg('res', wide ? 'timespec64_out' : 'timespec_out')],
    handler(k, [clockid, res]) {
      const c = clockInfo(k, clockid);
      if (res !== 0) writeTimespec(k, res, resolution(k, c), wide);
      return 0;
    },
  };
}

function clockNanosleep(nr: number, name: string, wide: boolean): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'time', support: 'partial',
    note: 'sleeps on the simulated clock (relative or TIMER_ABSTIME), never interrupted; sleeping on CPU time is EINVAL (with one thread it would never end)',
    args: [arg('clockid', 'clockid'), arg('flags', 'clock_flags'), arg('request', wide ? 'timespec64_in' : 'timespec_in'), arg('remain', 'ptr')],
    handler(k, [clockid, flags, request]) {
      const c = clockInfo(k, clockid);
      if (!c.sleeps && c.kind !== 'cpu') throw new KernelError(E.EOPNOTSUPP);
      const t = readTimespec(k, request, wide);
      if (!validTimespec(t)) throw new KernelError(E.EINVAL);
      if (c.kind === 'cpu') throw new KernelError(E.EINVAL);
      let nanos = BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
      if (flags & TIMER_ABSTIME) nanos -= readClock(k, c);
      if (nanos > 0n) k.block(Number((nanos + 999n) / 1000n));
      return 0;
    },
  };
}

export const timeCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 13, name: 'time', family: 'time', support: 'full',
    args: [arg('tloc', 'time_out')],
    handler(k, [tloc]) {
      const t = Math.floor(k.nowMicros() / 1e6);
      if (tloc !== 0) k.putU32(tloc, t);
      return t;
    },
  },
  {
    nr: 78, name: 'gettimeofday', family: 'time', support: 'full',
    args: [arg('tv', 'timeval_out'), arg('tz', 'ptr')],
    handler(k, [tv, tz]) {
      const now = k.nowMicros();
      if (tv !== 0) writeTimeval(k, tv, now);
      if (tz !== 0) k.copyOut(tz, new Uint8Array(8)); // UTC, no DST
      return 0;
    },
  },
  {
    nr: 142, name: '_newselect', family: 'time', support: 'partial',
    note: 'files and standard streams are always ready; with nothing ready it sleeps for the timeout (no timeout: EINVAL, as nothing could wake it)',
    args: [arg('n', 'int'), arg('readfds', 'fdset_inout'), arg('writefds', 'fdset_inout'),
      arg('exceptfds', 'fdset_inout'), arg('timeout', 'timeval_in')],
    handler(k, [n, readfds, writefds, exceptfds, timeout]) {
      if ((n | 0) < 0) throw new KernelError(E.EINVAL);
      const nfds = Math.min(n, k.fds.limit);
      const tv = timeout !== 0 ? readTimeval(k, timeout) : undefined;
      if (tv && (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1e6)) throw new KernelError(E.EINVAL);
      const ready = readyIn(k, readfds, nfds) + readyIn(k, writefds, nfds);
      if (exceptfds !== 0 && nfds > 0) {
        readyIn(k, exceptfds, nfds); // checks the descriptors; no exceptional conditions exist
        k.copyOut(exceptfds, new Uint8Array(Math.ceil(nfds / 32) * 4));
      }
      if (ready > 0) return ready;
      if (!tv) throw new KernelError(E.EINVAL);
      k.block(tv.sec * 1e6 + tv.usec);
      writeTimeval(k, timeout, 0); // Linux leaves the time not slept in the timeout
      return 0;
    },
  },
  {
    nr: 162, name: 'nanosleep', family: 'time', support: 'full',
    args: [arg('req', 'timespec_in'), arg('rem', 'ptr')],
    handler(k, [req]) {
      const t = readTimespec(k, req, false);
      if (!validTimespec(t)) throw new KernelError(E.EINVAL);
      k.block(t.sec * 1e6 + Math.ceil(t.nsec / 1000));
      return 0;
    },
  },
  clockGettime(265, 'clock_gettime', false),
  clockGetres(266, 'clock_getres', false),
  clockNanosleep(267, 'clock_nanosleep', false),
  clockGettime(403, 'clock_gettime64', true),
  clockGetres(406, 'clock_getres_time64', true),
  clockNanosleep(407, 'clock_nanosleep_time64', true),
];
