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

/** struct sigaction as rt_sigaction takes it on i386: handler, flags, restorer, mask (20 bytes). */
function readAction(k: Kernel, ptr: number): SigAction {
  const b = k.copyIn(ptr, 20), dv = new DataView(b.buffer, b.byteOffset, 20);
  return { handler: dv.getUint32(0, true), flags: dv.getUint32(4, true), restorer: dv.getUint32(8, true), mask: dv.getBigUint64(12, true) };
}

function writeAction(k: Kernel, ptr: number, a: SigAction): void {
  const b = new Uint8Array(20), dv = new DataView(b.buffer);
  dv.setUint32(0, a.handler, true);
  dv.setUint32(4, a.flags, true);
  dv.setUint32(8, a.restorer, true);
  dv.setBigUint64(12, a.mask, true);
  k.copyOut(ptr, b);
}

/** struct old_sigaction (sigaction, 67): handler, a one-word mask, flags, restorer (16 bytes). */
function readOldAction(k: Kernel, ptr: number): SigAction {
  const b = k.copyIn(ptr, 16), dv = new DataView(b.buffer, b.byteOffset, 16);
  return { handler: dv.getUint32(0, true), mask: BigInt(dv.getUint32(4, true)), flags: dv.getUint32(8, true), restorer: dv.getUint32(12, true) };
}

function writeOldAction(k: Kernel, ptr: number, a: SigAction): void {
  const b = new Uint8Array(16), dv = new DataView(b.buffer);
  dv.setUint32(0, a.handler, true);
  dv.setUint32(4, Number(a.mask & 0xffff_ffffn), true);
  dv.setUint32(8, a.flags, true);
  dv.setUint32(12, a.restorer, true);
  k.copyOut(ptr, b);
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
  {
    nr: 67, name: 'sigaction', family: 'signal', support: 'partial', note: RECORDED,
    args: [arg('sig', 'signal'), arg('act', 'old_sigaction_in'), arg('oact', 'old_sigaction_out')],
    handler(k, [sig, act, oact]) {
      const next = act !== 0 ? readOldAction(k, act) : undefined;
      signalNumber(sig);
      const old = sigaction(k, sig, next);
      if (oact !== 0) writeOldAction(k, oact, old);
      return 0;
    },
  },
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
  {
    nr: 174, name: 'rt_sigaction', family: 'signal', support: 'partial', note: RECORDED,
    args: [arg('sig', 'signal'), arg('act', 'sigaction_in'), arg('oact', 'sigaction_out'), arg('sigsetsize', 'size')],
    handler(k, [sig, act, oact, sigsetsize]) {
      if (sigsetsize !== SIGSET_SIZE) throw new KernelError(E.EINVAL);
      const next = act !== 0 ? readAction(k, act) : undefined;
      signalNumber(sig);
      const old = sigaction(k, sig, next);
      if (oact !== 0) writeAction(k, oact, old);
      return 0;
    },
  },
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
