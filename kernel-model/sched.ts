// Process lifecycle and the scheduler: fork, exit, reaping, signal generation and
// delivery, and the choice of who runs next. One simulated CPU; processes take turns in
// creation order (round robin), switched when the running one blocks, exits, stops, or
// has run a quantum of instructions (the emulator ends a slice there, crossing or not). Nothing here depends on the
// host: the same command gives the same interleaving every time.
import { E, KernelError } from './errno.js';
import type { Kernel } from './kernel.js';
import { Process, type SigInfo } from './process.js';
import { ERESTARTNOHAND, ERESTARTSYS } from './pipe.js';
import { setupFrame } from './sigframe.js';
import {
  CLD, SA, SIG, SIG_DFL, SIG_IGN, SI_KERNEL, bit, defaultAction, exitedStatus, signaledStatus, stoppedStatus,
} from './signals.js';
import { SIGSET_MASK, UNBLOCKABLE } from './task.js';

export const DEFAULT_QUANTUM = 100_000;

/** fork (and vfork, and clone with fork's flags): a copy of the caller with a new pid. */
export function forkProcess(k: Kernel, vfork: boolean): Process {
  const parent = k.proc;
  const live = [...k.processes.values()].length;
  if (live >= k.maxProcs) throw new KernelError(E.EAGAIN);
  if (!k.host) throw new KernelError(E.ENOSYS);
  const pid = k.nextPid++;
  const child = new Process(parent.task.fork(pid), parent.mem, parent.fds.fork(),
    { cwd: parent.cwd, umask: parent.umask, exePath: parent.exePath });
  child.brkStart = parent.brkStart;
  child.brk = parent.brk;
  child.parent = parent;
  child.task.blocked = parent.task.blocked;
  parent.children.push(child);
  k.processes.set(pid, child);
  k.multiprocess = true;
  k.host.fork(parent, child); // sets child.mem and child.cpu (eax 0 in the child)
  if (vfork) {
    child.vforkParent = parent;
    // The parent sleeps until the child execs or exits (CLONE_VFORK).
    block(k, parent, () => child.vforkParent === undefined, 'vfork');
  }
  return child;
}

/** Parks `p` on a condition without a call to restart (vfork's parent). */
function block(k: Kernel, p: Process, ready: () => boolean, _what: string): void {
  p.waitUntil = ready;
  k.reschedule = true;
}

/** The process ends: `wstatus` as wait4 will report it. Descriptors close, the parent hears SIGCHLD. */
export function exitProcess(k: Kernel, p: Process, wstatus: number, killedBy = 0): void {
  if (!p.alive) return;
  for (const t of k.tracers) t.exit?.(p.pid, wstatus, k);
  p.state = 'zombie';
  p.wstatus = wstatus;
  p.killedBy = killedBy;
  p.parked = undefined;
  p.pending = 0n;
  p.fds.closeAll();
  if (p.vforkParent?.alive) {
    k.host?.vforkDone?.(p, p.vforkParent);
    p.vforkParent.brkStart = p.brkStart;
    p.vforkParent.brk = p.brk;
  }
  p.vforkParent = undefined;
  // Orphans go to init, which reaps them (the model's init is the system, not the first program).
  for (const c of p.children) {
    c.parent = undefined;
    c.task.ppid = 1;
    if (!c.alive) reap(k, c);
  }
  p.children.length = 0;
  const parent = p.parent;
  if (!parent) {
    if (p !== k.init) reap(k, p);
    return;
  }
  const act = parent.task.actions[SIG.SIGCHLD];
  if (act.handler === SIG_IGN || (act.flags & SA.NOCLDWAIT)) {
    reap(k, p); // no zombie: the parent said it will not wait
    return;
  }
  const code = killedBy === 0 ? CLD.EXITED : CLD.KILLED;
  sendSignal(k, parent, SIG.SIGCHLD, { signo: SIG.SIGCHLD, code, pid: p.pid, uid: 0, status: killedBy === 0 ? (wstatus >> 8) & 0xff : killedBy });
}

/** Removes a zombie for good: its pid is free and its parent no longer lists it. */
export function reap(k: Kernel, p: Process): void {
  k.processes.delete(p.pid);
  if (p.parent) {
    const i = p.parent.children.indexOf(p);
    if (i >= 0) p.parent.children.splice(i, 1);
    // Its cycles stay in the system ledger; its own ledger goes with it into the run's record.
  }
  k.reaped.push(p);
  p.release?.();
}

/** Generates a signal for `p` (kill, a fault, SIGCHLD, SIGPIPE): pending unless ignored. */
export function sendSignal(k: Kernel, p: Process, sig: number, info: SigInfo): void {
  if (!p.alive) return;
  const act = p.task.actions[sig];
  const ignored = act.handler === SIG_IGN || (act.handler === SIG_DFL && defaultAction(sig) === 'ignore');
  if (sig === SIG.SIGCONT || sig === SIG.SIGKILL) {
    if (p.state === 'stopped') p.state = 'runnable';
    for (const s of [SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU]) p.pending &= ~bit(s);
  }
  if (ignored && !(p.task.blocked & bit(sig))) return;
  p.pending |= bit(sig);
  if (!p.info.has(sig)) p.info.set(sig, info);
  if (p === k.proc) k.reschedule = true;
}

/** Whether the process can be given the CPU now. */
export function canRun(p: Process): boolean {
  if (!p.alive) return false;
  if (p.pending & bit(SIG.SIGKILL)) return true;
  if (p.state === 'stopped') return false;
  if (p.waitUntil && !p.waitUntil()) return false;
  if (p.parked && !p.parked.ready() && p.deliverable === 0n) return false;
  return true;
}

/** The next process to run after `after`, in creation order (round robin). */
export function pickNext(k: Kernel, after: Process): Process | undefined {
  const all = [...k.processes.values()];
  const i = all.indexOf(after);
  for (let n = 1; n <= all.length; n++) {
    const p = all[(Math.max(i, 0) + n) % all.length];
    if (canRun(p)) return p;
  }
  return undefined;
}

/**
 * Before `p` returns to user mode: pending signals it does not block act. A default
 * action ends or stops it; a handler gets a frame on its stack. Returns false when the
 * process did not survive.
 */
export function deliverSignals(k: Kernel, p: Process): boolean {
  if (p.waitUntil && p.waitUntil()) p.waitUntil = undefined;
  for (;;) {
    const ready = p.deliverable;
    if (ready === 0n || !p.alive) return p.alive;
    let sig = 1;
    // SIGKILL first, then the lowest number (Linux takes synchronous faults first, then the lowest).
    if (ready & bit(SIG.SIGKILL)) sig = SIG.SIGKILL;
    else while (!(ready & bit(sig))) sig++;
    p.pending &= ~bit(sig);
    const info = p.info.get(sig) ?? { signo: sig, code: SI_KERNEL, pid: 0, uid: 0 };
    p.info.delete(sig);
    const act = p.task.actions[sig];
    if (act.handler === SIG_IGN) continue;
    if (act.handler !== SIG_DFL || !['ignore', 'cont'].includes(defaultAction(sig))) for (const t of k.tracers) t.signal?.(p.pid, info, k);
    if (act.handler === SIG_DFL) {
      const what = defaultAction(sig);
      if (what === 'ignore' || what === 'cont') continue;
      if (what === 'stop') {
        p.state = 'stopped';
        if (p.parent && !(p.parent.task.actions[SIG.SIGCHLD].flags & SA.NOCLDSTOP)) {
          sendSignal(k, p.parent, SIG.SIGCHLD, { signo: SIG.SIGCHLD, code: CLD.STOPPED, pid: p.pid, uid: 0, status: sig });
        }
        p.stopStatus = stoppedStatus(sig);
        return true;
      }
      exitProcess(k, p, signaledStatus(sig, false), sig); // RLIMIT_CORE is 0: no core file, no 0x80 bit
      return false;
    }
    // A handler: a sleeping call is restarted after it (SA_RESTART) or fails with EINTR.
    const cpu = p.cpu!;
    let regs = { ...cpu.regs(), ...p.pendingRegs };
    if (p.parked) {
      const restart = p.parked.errno === ERESTARTSYS && (act.flags & SA.RESTART);
      if (!restart) regs = { ...regs, eip: regs.eip + 2, eax: -E.EINTR >>> 0 };
      p.parked = undefined;
    }
    const saved = p.suspendedMask ?? p.task.blocked;
    p.suspendedMask = undefined;
    const next = setupFrame(p, sig, act, info, regs, saved, cpu.fpu?.());
    if (!next) {
      // No room for the frame: Linux forces SIGSEGV with the default action.
      exitProcess(k, p, signaledStatus(SIG.SIGSEGV, false), SIG.SIGSEGV);
      return false;
    }
    p.pendingRegs = { ...regs, ...next };
    let mask = p.task.blocked | act.mask;
    if (!(act.flags & SA.NODEFER)) mask |= bit(sig);
    p.task.blocked = mask & ~UNBLOCKABLE & SIGSET_MASK;
    if (act.flags & SA.RESETHAND) p.task.actions[sig] = { handler: SIG_DFL, flags: 0, restorer: 0, mask: 0n };
    k.signalsDelivered++;
  }
}

/** exit status encodings, re-exported for the calls. */
export { exitedStatus, ERESTARTNOHAND };
