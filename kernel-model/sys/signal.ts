// Signal syscalls: actions, the blocked mask and the alternate stack, recorded in the
// task with Linux's checks and old values. Nothing delivers a signal yet: that comes
// with processes (kill, faults as signals).
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';
import { NSIG, SIGKILL, SIGSET_MASK, SIGSTOP, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE, type SigAction } from '../task.js';

/** sizeof(sigset_t) the rt calls insist on (i386: 64 signals, 8 bytes). */
const SIGSET_SIZE = 8;
export const SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2;
/** The smallest alternate stack Linux takes (x86 MINSIGSTKSZ). */
const MINSIGSTKSZ = 2048;

const RECORDED = 'recorded with Linux\'s checks and old values; no signal is delivered yet';

function signalNumber(sig: number): number {
  if (sig < 1 || sig > NSIG) throw new KernelError(E.EINVAL);
  return sig;
}

function readU64(k: Kernel, ptr: number): bigint {
  const b = k.copyIn(ptr, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** Where a struct sigaction's fields are, as one of the two calls reads and writes it (i386). */
interface ActionLayout { size: number; handler: number; flags: number; restorer: number; mask: number; maskBytes: 4 | 8 }

/** struct sigaction as rt_sigaction takes it: handler, flags, restorer, a 64-bit mask (20 bytes). */
const RT_ACTION: ActionLayout = { size: 20, handler: 0, flags: 4, restorer: 8, mask: 12, maskBytes: 8 };
/** struct old_sigaction (sigaction, 67): handler, a one-word mask, flags, restorer (16 bytes). */
const OLD_ACTION: ActionLayout = { size: 16, handler: 0, mask: 4, flags: 8, restorer: 12, maskBytes: 4 };

function readAction(k: Kernel, ptr: number, l: ActionLayout): SigAction {
  const b = k.copyIn(ptr, l.size), dv = new DataView(b.buffer, b.byteOffset, l.size);
  const mask = l.maskBytes === 8 ? dv.getBigUint64(l.mask, true) : BigInt(dv.getUint32(l.mask, true));
  return { handler: dv.getUint32(l.handler, true), flags: dv.getUint32(l.flags, true), restorer: dv.getUint32(l.restorer, true), mask };
}

function writeAction(k: Kernel, ptr: number, a: SigAction, l: ActionLayout): void {
  const b = new Uint8Array(l.size), dv = new DataView(b.buffer);
  dv.setUint32(l.handler, a.handler, true);
  dv.setUint32(l.flags, a.flags, true);
  dv.setUint32(l.restorer, a.restorer, true);
  if (l.maskBytes === 8) dv.setBigUint64(l.mask, a.mask, true);
  else dv.setUint32(l.mask, Number(a.mask & 0xffff_ffffn), true); // the old call sees the first 32 signals
  k.copyOut(ptr, b);
}

/** sigaction (67) and rt_sigaction (174): one handler, the struct's layout and rt's sigsetsize apart. */
function sigactionCall(nr: number, name: string, l: ActionLayout, rt: boolean): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'signal', support: 'partial', note: RECORDED,
    args: [arg('sig', 'signal'), arg('act', rt ? 'sigaction_in' : 'old_sigaction_in'), arg('oact', rt ? 'sigaction_out' : 'old_sigaction_out'),
      ...(rt ? [arg('sigsetsize', 'size')] : [])],
    handler(k, [sig, act, oact, sigsetsize]) {
      if (rt && sigsetsize !== SIGSET_SIZE) throw new KernelError(E.EINVAL);
      const next = act !== 0 ? readAction(k, act, l) : undefined;
      signalNumber(sig);
      const old = sigaction(k, sig, next);
      if (oact !== 0) writeAction(k, oact, old, l);
      return 0;
    },
  };
}

/** do_sigaction: SIGKILL and SIGSTOP keep their default; no mask holds them. Returns the old action. */
function sigaction(k: Kernel, sig: number, act: SigAction | undefined): SigAction {
  const old = { ...k.task.actions[sig] };
  if (act) {
    if (sig === SIGKILL || sig === SIGSTOP) throw new KernelError(E.EINVAL);
    k.task.actions[sig] = { ...act, mask: act.mask & ~UNBLOCKABLE };
  }
  return old;
}

/** The blocked mask after `how` with `set`; SIGKILL and SIGSTOP are never blocked. */
function newMask(old: bigint, how: number, set: bigint): bigint {
  let next: bigint;
  if (how === SIG_BLOCK) next = old | set;
  else if (how === SIG_UNBLOCK) next = old & ~set;
  else if (how === SIG_SETMASK) next = set;
  else throw new KernelError(E.EINVAL);
  return next & ~UNBLOCKABLE & SIGSET_MASK;
}

export const signalCalls: SyscallSpec<Kernel>[] = [
  sigactionCall(67, 'sigaction', OLD_ACTION, false),
  {
    nr: 126, name: 'sigprocmask', family: 'signal', support: 'partial', note: RECORDED,
    args: [arg('how', 'sighow'), arg('set', 'old_sigset_in'), arg('oset', 'old_sigset_out')],
    handler(k, [how, set, oset]) {
      const old = k.task.blocked;
      if (set !== 0) {
        const word = BigInt(k.getU32(set));
        // The old call sees and changes the first 32 signals only.
        const low = newMask(old & 0xffff_ffffn, how, word) & 0xffff_ffffn;
        k.task.blocked = (old & ~0xffff_ffffn) | low;
      }
      if (oset !== 0) k.putU32(oset, Number(old & 0xffff_ffffn));
      return 0;
    },
  },
  sigactionCall(174, 'rt_sigaction', RT_ACTION, true),
  {
    nr: 175, name: 'rt_sigprocmask', family: 'signal', support: 'partial', note: RECORDED,
    args: [arg('how', 'sighow'), arg('set', 'sigset_in'), arg('oset', 'sigset_out'), arg('sigsetsize', 'size')],
    handler(k, [how, set, oset, sigsetsize]) {
      if (sigsetsize !== SIGSET_SIZE) throw new KernelError(E.EINVAL);
      const old = k.task.blocked;
      if (set !== 0) k.task.blocked = newMask(old, how, readU64(k, set));
      if (oset !== 0) {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, old, true);
        k.copyOut(oset, b);
      }
      return 0;
    },
  },
  {
    nr: 186, name: 'sigaltstack', family: 'signal', support: 'partial',
    note: 'recorded with Linux\'s checks; the guest is never on it, as no handler runs yet',
    args: [arg('ss', 'stack_in'), arg('old_ss', 'stack_out')],
    handler(k, [ss, oldSs]) {
      let next;
      if (ss !== 0) {
        const b = k.copyIn(ss, 12), dv = new DataView(b.buffer, b.byteOffset, 12);
        next = { sp: dv.getUint32(0, true), flags: dv.getInt32(4, true) >>> 0, size: dv.getUint32(8, true) };
      }
      const old = k.task.altstack;
      if (next) {
        const mode = next.flags & ~SS_AUTODISARM;
        if (mode !== SS_DISABLE && mode !== SS_ONSTACK && mode !== 0) throw new KernelError(E.EINVAL);
        if (mode === SS_DISABLE) k.task.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
        else if (next.size < MINSIGSTKSZ) throw new KernelError(E.ENOMEM);
        else k.task.altstack = { sp: next.sp, flags: next.flags, size: next.size };
      }
      if (oldSs !== 0) {
        const b = new Uint8Array(12), dv = new DataView(b.buffer);
        dv.setUint32(0, old.sp, true);
        dv.setUint32(4, (old.size === 0 ? SS_DISABLE : 0) | old.flags, true);
        dv.setUint32(8, old.size, true);
        k.copyOut(oldSs, b);
      }
      return 0;
    },
  },
];
