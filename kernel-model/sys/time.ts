// Time syscalls on the simulated clock: time, gettimeofday, _newselect, nanosleep.
// Sleeping advances the clock, never the cycle counter.
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
      const b = k.copyIn(req, 8), dv = new DataView(b.buffer, b.byteOffset, 8);
      const sec = dv.getInt32(0, true), nsec = dv.getInt32(4, true);
      if (sec < 0 || nsec < 0 || nsec >= 1e9) throw new KernelError(E.EINVAL);
      k.block(sec * 1e6 + Math.ceil(nsec / 1000));
      return 0;
    },
  },
];
