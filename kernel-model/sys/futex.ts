// futex and futex_time64 for a single-threaded process: nobody else can be waiting, so a
// wake wakes no one (0), a wait whose value differs fails with EAGAIN as Linux's does,
// a wait with a timeout sleeps it out on the simulated clock (ETIMEDOUT), and a wait
// that nothing could ever end stops the run with one line instead of hanging.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { PROT } from '../memory.js';
import { arg, type SyscallSpec } from '../syscall.js';

export const FUTEX = {
  WAIT: 0, WAKE: 1, FD: 2, REQUEUE: 3, CMP_REQUEUE: 4, WAKE_OP: 5, LOCK_PI: 6, UNLOCK_PI: 7, TRYLOCK_PI: 8,
  WAIT_BITSET: 9, WAKE_BITSET: 10, WAIT_REQUEUE_PI: 11, CMP_REQUEUE_PI: 12, LOCK_PI2: 13,
} as const;
export const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
const CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

/** The commands whose fourth argument is a timeout (futex_cmd_has_timeout); for the rest it is a count. */
export const HAS_TIMEOUT = new Set<number>([FUTEX.WAIT, FUTEX.LOCK_PI, FUTEX.LOCK_PI2, FUTEX.WAIT_BITSET, FUTEX.WAIT_REQUEUE_PI]);

/** The exit status of a run stopped in a wait that could never end: as if killed (128 + SIGKILL). */
export const DEADLOCK_STATUS = 128 + 9;

/** The arguments strace shows for each command (uaddr 0, op 1, val 2, timeout or val2 3, uaddr2 4, val3 5). */
export function futexShownArgs(op: number): number[] {
  switch (op & CMD_MASK) {
    case FUTEX.WAKE: case FUTEX.FD: return [0, 1, 2];
    case FUTEX.WAIT: return [0, 1, 2, 3];
    case FUTEX.LOCK_PI: case FUTEX.LOCK_PI2: return [0, 1, 3];
    case FUTEX.UNLOCK_PI: case FUTEX.TRYLOCK_PI: return [0, 1];
    case FUTEX.WAIT_BITSET: return [0, 1, 2, 3, 5];
    case FUTEX.WAKE_BITSET: return [0, 1, 2, 5];
    case FUTEX.REQUEUE: case FUTEX.WAIT_REQUEUE_PI: return [0, 1, 2, 3, 4];
    default: return [0, 1, 2, 3, 4, 5];
  }
}

/** get_futex_key: a futex word is 4-aligned; a shared one must be mapped. */
function key(k: Kernel, uaddr: number, op: number): void {
  if (uaddr % 4 !== 0) throw new KernelError(E.EINVAL);
  if (!(op & FUTEX_PRIVATE_FLAG) && !k.mem.isMapped(uaddr, 4, PROT.READ)) throw new KernelError(E.EFAULT);
}

/** futex_atomic_op_inuser: FUTEX_WAKE_OP's operation on *uaddr2. */
function wakeOp(k: Kernel, uaddr2: number, encoded: number): void {
  const op = (encoded >>> 28) & 7, cmp = (encoded >>> 24) & 15;
  let oparg = ((encoded >>> 12) & 0xfff) << 20 >> 20;
  if (encoded & 0x8000_0000) oparg = 1 << (oparg & 31);
  if (op > 4) throw new KernelError(E.ENOSYS);
  if (!k.mem.isMapped(uaddr2, 4, PROT.READ | PROT.WRITE)) throw new KernelError(E.EFAULT);
  const old = k.getU32(uaddr2);
  const next = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op];
  k.putU32(uaddr2, next >>> 0);
  if (cmp > 5) throw new KernelError(E.ENOSYS);
}

function futex(nr: number, name: string, wide: boolean): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'futex', support: 'partial',
    note: 'one thread: wakes wake no one, a wait on a differing value is EAGAIN, a timed wait sleeps it out (ETIMEDOUT), '
      + 'a wait with no timeout ends the run (nothing could wake it); PI futexes are ENOSYS',
    args: [arg('uaddr', 'ptr'), arg('futex_op', 'futex_op'), arg('val', 'uint'), arg('timeout', wide ? 'futex_timeout64' : 'futex_timeout'),
      arg('uaddr2', 'ptr'), arg('val3', 'futex_val3')],
    shownArgs: ([, op]) => futexShownArgs(op),
    handler(k, [uaddr, op, val, timeout, uaddr2, val3]) {
      const cmd = op & CMD_MASK;
      let waitMicros: number | undefined;
      if (timeout !== 0 && HAS_TIMEOUT.has(cmd)) {
        const b = k.copyIn(timeout, wide ? 16 : 8), dv = new DataView(b.buffer, b.byteOffset, b.length);
        const sec = wide ? Number(dv.getBigInt64(0, true)) : dv.getInt32(0, true), nsec = dv.getInt32(wide ? 8 : 4, true);
        if (sec < 0 || nsec < 0 || nsec >= 1e9) throw new KernelError(E.EINVAL);
        const micros = sec * 1e6 + Math.ceil(nsec / 1000);
        // FUTEX_WAIT's timeout is relative; the others' absolute, on CLOCK_MONOTONIC or CLOCK_REALTIME.
        const now = cmd === FUTEX.WAIT ? 0 : op & FUTEX_CLOCK_REALTIME ? k.nowMicros() : k.uptimeMicros();
        waitMicros = Math.max(0, micros - now);
      }
      if (op & FUTEX_CLOCK_REALTIME && cmd !== FUTEX.WAIT_BITSET && cmd !== FUTEX.WAIT_REQUEUE_PI && cmd !== FUTEX.LOCK_PI2) {
        throw new KernelError(E.ENOSYS);
      }
      switch (cmd) {
        case FUTEX.WAIT: case FUTEX.WAIT_BITSET: {
          if (cmd === FUTEX.WAIT_BITSET && val3 === 0) throw new KernelError(E.EINVAL);
          key(k, uaddr, op);
          if (k.getU32(uaddr) !== val) throw new KernelError(E.EAGAIN);
          if (waitMicros === undefined) {
            k.warn(`syscluster: ${name}(0x${uaddr.toString(16)}, FUTEX_WAIT) would wait forever: no other thread can wake it; stopping the run`);
            k.terminate(DEADLOCK_STATUS);
            return 0;
          }
          k.block(waitMicros);
          throw new KernelError(E.ETIMEDOUT);
        }
        case FUTEX.WAKE: case FUTEX.WAKE_BITSET:
          if (cmd === FUTEX.WAKE_BITSET && val3 === 0) throw new KernelError(E.EINVAL);
          key(k, uaddr, op);
          return 0;
        case FUTEX.REQUEUE: case FUTEX.CMP_REQUEUE:
          if ((val | 0) < 0 || (timeout | 0) < 0) throw new KernelError(E.EINVAL); // nr_wake, nr_requeue
          key(k, uaddr, op);
          key(k, uaddr2, op);
          if (cmd === FUTEX.CMP_REQUEUE && k.getU32(uaddr) !== val3) throw new KernelError(E.EAGAIN);
          return 0;
        case FUTEX.WAKE_OP:
          key(k, uaddr, op);
          key(k, uaddr2, op);
          wakeOp(k, uaddr2, val3);
          return 0;
        default: // FUTEX_FD (removed from Linux), the PI commands
          throw new KernelError(E.ENOSYS);
      }
    },
  };
}

export const futexCalls: SyscallSpec<Kernel>[] = [
  futex(240, 'futex', false),
  futex(422, 'futex_time64', true),
];
