// Exception-less calls, after FlexSC (Soares and Stumm, "FlexSC: Flexible System Call
// Scheduling with Exception-Less System Calls", OSDI 2010). The program registers a syscall
// page in its own memory; from then on it makes a call by filling an entry (number,
// arguments) and setting its status to SUBMITTED, without entering the kernel. A kernel
// worker on another simulated core takes submitted entries, runs each as the plain call
// through the same table and handlers, writes the result and sets DONE. The program enters
// the kernel only when it must wait for a result (flexsc_wait).
//
// Numbers (the modern personality only; above the i386 table and the batch family):
//   562 flexsc_register(page, count)  count entries of 64 bytes at page (64-byte aligned)
//   563 flexsc_wait(first, count)     waits for entries [first, first+count); returns how
//                                     many of them are DONE
//
// struct flexsc_entry (64 bytes, one cache line):
//   u32 status (FREE 0, SUBMITTED 1, BUSY 2, DONE 3), u32 nr, u32 args[6], i32 result, u32 pad[7]
//
// The worker is a kernel thread on a second core, as io_uring's SQPOLL thread is: it runs
// whenever the kernel model has control (every crossing and every rdtsc), its work is moved
// to the second core's account (Ledger.moveToSqpoll, `sqpoll_core_cycles` in the JSON), and
// tracers do not see it. The program's core pays, per entry, for the entry's cache line coming
// back from the worker's core (profile.flexsc.line_transfer_cycles).
//
// Hostile entries get Linux-style errors in their result, never a host exception: a number
// no call has is ENOSYS; the batch family and these two calls (recursion into the worker) are
// EINVAL, as are calls that end or replace the process or return from a signal (exit,
// exit_group, fork, vfork, clone, execve, sigreturn, rt_sigreturn), which have no meaning on
// a worker's thread; a bad pointer in the arguments is the call's own EFAULT; a call that
// would sleep is EAGAIN (the worker does not sleep on the program's behalf).
//
// Differences from FlexSC, on purpose: one syscall page per process; completions are
// immediate (the worker runs the entries as soon as it has control); no FlexSC-Threads (the
// program posts several entries and waits itself); fork does not inherit the registration,
// and execve drops it.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import type { GuestMemory } from '../memory.js';
import type { Process } from '../process.js';
import { ERESTARTSYS } from '../pipe.js';
import { onSecondCore } from './io_uring.js';
import { arg, type SyscallSpec } from '../syscall.js';

export const FLEXSC_NR = { register: 562, wait: 563 } as const;
export const FLEXSC_STATUS = { FREE: 0, SUBMITTED: 1, BUSY: 2, DONE: 3 } as const;
export const FLEXSC_ENTRY_BYTES = 64;
export const FLEXSC_MAX_ENTRIES = 1024;
const RESULT_AT = 32;
/** Linux's kernel-internal restart codes, 512 (ERESTARTSYS) to 516 (ERESTART_RESTARTBLOCK). */
const ERESTART_LAST = 516;

/** Calls a worker thread cannot make for the program: they end, replace or re-enter it. */
const NOT_ON_A_WORKER = new Set(['exit', 'exit_group', 'fork', 'vfork', 'clone', 'execve', 'execveat', 'sigreturn', 'rt_sigreturn']);

interface Registration { page: number; count: number; mem: GuestMemory }

const registrations = new WeakMap<Process, Registration>();
const workers = new WeakSet<Kernel>();

const fail = (errno: number): never => { throw new KernelError(errno); };

/** The running process's registration, if its address space is still the one it registered in. */
function current(k: Kernel): Registration | undefined {
  const reg = registrations.get(k.proc);
  if (reg && reg.mem !== k.mem) registrations.delete(k.proc); // execve: a new address space
  return registrations.get(k.proc);
}

/** What a posted entry returns: the plain call's result, or the worker's refusal. */
function runEntry(k: Kernel, nr: number, args: number[]): number {
  const spec = k.personality.table.get(nr);
  if (spec && (spec.family === 'batch' || spec.family === 'flexsc' || NOT_ON_A_WORKER.has(spec.name))) return -E.EINVAL;
  const parked = k.proc.parked;
  const result = k.dispatch(nr, args).result;
  // The call would sleep (parked at the top level, or a kernel-internal ERESTART* inside a
  // crossing): the worker gives it back rather than sleep for the program.
  if (k.proc.parked !== parked || (result <= -ERESTARTSYS && result >= -ERESTART_LAST)) {
    k.proc.parked = parked;
    return -E.EAGAIN;
  }
  return result;
}

/**
 * The worker's turn: runs every SUBMITTED entry of the running process's page in index
 * order. Its work goes to the second core; the program's core pays each entry's line
 * transfer. Returns how many entries ran.
 */
export function runPosted(k: Kernel): number {
  const reg = current(k);
  const cost = k.profile.flexsc;
  if (!reg || !cost || k.exited || k.proc.parked) return 0;
  let ran = 0;
  for (let i = 0; i < reg.count && !k.exited; i++) {
    const at = reg.page + FLEXSC_ENTRY_BYTES * i;
    if (k.mem.readU32(at) !== FLEXSC_STATUS.SUBMITTED) continue; // free, busy, done, unknown, or unmapped
    // Each entry's work leaves the program's core at once, so that the clock a call reads is
    // the program's (the worker runs beside it, not before it).
    onSecondCore(k, () => {
      k.work(cost.worker_entry_cycles);
      const raw = k.mem.read(at, RESULT_AT);
      if (!raw || !k.mem.writeU32(at, FLEXSC_STATUS.BUSY)) return; // the page went read-only or away
      const v = new DataView(raw.buffer, raw.byteOffset, RESULT_AT);
      const args = Array.from({ length: 6 }, (_, j) => v.getUint32(8 + 4 * j, true));
      const result = runEntry(k, v.getUint32(4, true), args); // dispatch turns a KernelError into -errno
      ran++;
      if (k.exited) return;
      k.mem.writeU32(at + RESULT_AT, result >>> 0);
      k.mem.writeU32(at, FLEXSC_STATUS.DONE);
    });
  }
  if (ran) k.ledger.charge('handler', ran * cost.line_transfer_cycles);
  return ran;
}

function register(k: Kernel, page: number, count: number): number {
  if (!k.profile.flexsc) fail(E.EOPNOTSUPP); // no second core for the worker on this platform
  if (current(k)) fail(E.EBUSY);
  if (count === 0 || count > FLEXSC_MAX_ENTRIES) fail(E.EINVAL);
  if (page % FLEXSC_ENTRY_BYTES !== 0) fail(E.EINVAL);
  const len = count * FLEXSC_ENTRY_BYTES;
  // The kernel writes status and results there: the whole page must be readable and writable.
  const bytes = k.mem.read(page, len);
  if (!bytes || !k.mem.write(page, bytes)) fail(E.EFAULT);
  registrations.set(k.proc, { page, count, mem: k.mem });
  if (!workers.has(k)) {
    workers.add(k);
    k.pollers.push(() => { runPosted(k); });
  }
  return 0;
}

function wait(k: Kernel, first: number, count: number): number {
  const reg = current(k);
  if (!reg) fail(E.EINVAL);
  if (first >= reg!.count || count === 0 || count > reg!.count - first) fail(E.EINVAL);
  runPosted(k); // whatever was posted since the crossing began
  let done = 0;
  for (let i = first; i < first + count; i++) {
    const status = k.mem.readU32(reg!.page + FLEXSC_ENTRY_BYTES * i);
    if (status === null) fail(E.EFAULT);
    if (status === FLEXSC_STATUS.DONE) done++;
  }
  return done;
}

export const flexscCalls: SyscallSpec<Kernel>[] = [
  {
    nr: FLEXSC_NR.register, name: 'flexsc_register', family: 'flexsc', support: 'full',
    note: 'exception-less calls (FlexSC): count 64-byte entries at page, run by a kernel worker on a second core; EOPNOTSUPP on a platform without one',
    args: [arg('page', 'ptr'), arg('count', 'uint')],
    handler: (k, [page, count]) => register(k, page, count),
  },
  {
    nr: FLEXSC_NR.wait, name: 'flexsc_wait', family: 'flexsc', support: 'full',
    note: 'waits for the syscall page entries [first, first+count); returns how many are DONE',
    args: [arg('first', 'uint'), arg('count', 'uint')],
    handler: (k, [first, count]) => wait(k, first, count),
  },
];
