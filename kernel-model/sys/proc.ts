// Processes, pipes and signal delivery as calls: fork, vfork, clone (fork's flags),
// execve, wait4, waitpid, process groups and sessions, kill, tkill, tgkill, pipe,
// pipe2, pause, sigsuspend, sigpending, sigreturn, alarm. The state they act on is in
// process.ts; the lifecycle and the scheduler in sched.ts; frames in sigframe.ts.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { ERESTARTNOHAND, PIPE_BUF, PipeEnd, WouldBlock, makePipe } from '../pipe.js';
import type { Process } from '../process.js';
import { forkProcess, reap, sendSignal } from '../sched.js';
import { FPU_INIT, restoreFrame } from '../sigframe.js';
import { SIG, SI_TKILL, SI_USER, bit } from '../signals.js';
import { NSIG, SIGSET_MASK, UNBLOCKABLE } from '../task.js';
import { O, S } from '../vfs.js';
import { arg, type SyscallSpec } from '../syscall.js';

/** clone flags fork and vfork use (include/uapi/linux/sched.h). */
export const CLONE = {
  CSIGNAL: 0xff, VM: 0x100, FS: 0x200, FILES: 0x400, SIGHAND: 0x800, PIDFD: 0x1000, PTRACE: 0x2000,
  VFORK: 0x4000, PARENT: 0x8000, THREAD: 0x10000, SETTLS: 0x80000, PARENT_SETTID: 0x100000,
  CHILD_CLEARTID: 0x200000, CHILD_SETTID: 0x1000000,
} as const;
const CLONE_ACCEPTED = CLONE.CSIGNAL | CLONE.VM | CLONE.VFORK | CLONE.PARENT_SETTID | CLONE.CHILD_CLEARTID | CLONE.CHILD_SETTID;

export const WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8;
const WAIT_ACCEPTED = WNOHANG | WUNTRACED | WCONTINUED | 0x2000_0000 | 0x4000_0000 | 0x8000_0000; // __WNOTHREAD, __WALL, __WCLONE
/** sizeof(struct rusage) on i386. */
const RUSAGE_SIZE = 72;
/** Linux's MAX_ARG_STRINGS is 0x7fffffff; the model stops at a number no real shell reaches. */
const MAX_ARGS = 65536;
/** BINPRM_MAX_RECURSION: #! interpreters that are themselves scripts. */
const MAX_INTERP_DEPTH = 4;
/** A program is read whole; larger files are refused (E2BIG is not right for it: ENOMEM as Linux would fail to map). */
const MAX_PROGRAM_BYTES = 64 * 1024 * 1024;

function doFork(k: Kernel, flags: number, ptid: number, ctid: number, newsp: number): number {
  if (flags & ~CLONE_ACCEPTED) throw new KernelError(E.EINVAL); // threads and namespaces: not modelled
  if ((flags & CLONE.VM) && !(flags & CLONE.VFORK)) throw new KernelError(E.EINVAL);
  const child = forkProcess(k, (flags & CLONE.VFORK) !== 0);
  if (newsp !== 0) child.pendingRegs = { ...child.pendingRegs, esp: newsp };
  if (flags & CLONE.PARENT_SETTID) {
    k.putU32(ptid, child.pid);
    child.mem.writeU32(ptid, child.pid);
  }
  if (flags & CLONE.CHILD_SETTID) child.mem.writeU32(ctid, child.pid);
  if (flags & CLONE.CHILD_CLEARTID) child.task.clearChildTid = ctid;
  return child.pid;
}

/** A NULL-terminated array of string pointers (argv, envp). */
function stringArray(k: Kernel, ptr: number): string[] {
  const out: string[] = [];
  if (ptr === 0) return out;
  for (let i = 0; ; i++) {
    if (i >= MAX_ARGS) throw new KernelError(E.E2BIG);
    const p = k.getU32(ptr + 4 * i);
    if (p === 0) return out;
    out.push(k.path(p));
  }
}

/** The whole file at a guest path, for execve. */
function readProgram(k: Kernel, path: string): Uint8Array {
  const f = k.fs.open(k.at(-100, path), O.RDONLY, 0);
  try {
    const st = f.stat();
    if ((st.mode & S.IFMT) === S.IFDIR) throw new KernelError(E.EACCES);
    if ((st.mode & S.IFMT) !== S.IFREG) throw new KernelError(E.EACCES);
    if (st.size > MAX_PROGRAM_BYTES) throw new KernelError(E.ENOMEM);
    const parts: Uint8Array[] = [];
    for (let total = 0; ;) {
      const b = f.read(1 << 20);
      if (b.length === 0) break;
      parts.push(b);
      total += b.length;
      if (total > MAX_PROGRAM_BYTES) throw new KernelError(E.ENOMEM);
    }
    return Buffer.concat(parts);
  } finally {
    f.close();
  }
}

function execve(k: Kernel, path: string, argv: string[], envp: string[]): number {
  if (!k.host) throw new KernelError(E.ENOSYS);
  const self = path === '/proc/self/exe';
  let file = self ? k.exePath : path;
  let args = argv;
  // /proc/self/exe is the running image itself, wherever its file is (inside the root or not).
  let bytes = self ? k.host.image(k.proc) : readProgram(k, file);
  for (let depth = 0; bytes[0] === 0x23 && bytes[1] === 0x21; depth++) { // #!
    if (depth >= MAX_INTERP_DEPTH) throw new KernelError(E.ELOOP);
    const nl = bytes.indexOf(0x0a);
    const line = Buffer.from(bytes.subarray(2, nl < 0 ? Math.min(bytes.length, 256) : Math.min(nl, 256))).toString('latin1').trim();
    if (line === '') throw new KernelError(E.ENOEXEC);
    const cut = line.search(/[ \t]/);
    const interp = cut < 0 ? line : line.slice(0, cut);
    const optional = cut < 0 ? '' : line.slice(cut).trim();
    args = [interp, ...(optional ? [optional] : []), file, ...args.slice(1)];
    file = interp;
    bytes = readProgram(k, file);
  }
  if (!(bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)) throw new KernelError(E.ENOEXEC);
  const p = k.proc;
  const shared = { brkStart: p.brkStart, brk: p.brk }; // a vfork child's, which its parent takes back
  k.host.exec(p, bytes, file, args, envp); // ENOEXEC if the emulator cannot load it; the old image is kept then
  p.fds.closeOnExec();
  p.task.exec(args[0] ?? file);
  p.exePath = k.at(-100, file);
  p.pending &= SIGSET_MASK;
  if (p.vforkParent) {
    k.host.vforkDone?.(p, p.vforkParent);
    Object.assign(p.vforkParent, shared);
    p.vforkParent = undefined;
  }
  k.reschedule = true;
  return 0;
}

function matches(k: Kernel, c: Process, pid: number): boolean {
  if (pid > 0) return c.pid === pid;
  if (pid === 0) return c.task.pgrp === k.task.pgrp;
  if (pid === -1) return true;
  return c.task.pgrp === -pid;
}

function wait(k: Kernel, pid: number, statusPtr: number, options: number, rusage: number): number {
  if (options & ~WAIT_ACCEPTED) throw new KernelError(E.EINVAL);
  const me = k.proc;
  const mine = () => me.children.filter((c) => matches(k, c, pid | 0));
  if (mine().length === 0) throw new KernelError(E.ECHILD);
  const zombie = mine().find((c) => !c.alive);
  if (zombie) {
    if (statusPtr !== 0) k.putU32(statusPtr, zombie.wstatus);
    if (rusage !== 0) k.copyOut(rusage, new Uint8Array(RUSAGE_SIZE));
    reap(k, zombie);
    return zombie.pid;
  }
  if (options & WUNTRACED) {
    const stopped = mine().find((c) => c.state === 'stopped' && c.stopStatus !== 0);
    if (stopped) {
      if (statusPtr !== 0) k.putU32(statusPtr, stopped.stopStatus);
      stopped.stopStatus = 0;
      return stopped.pid;
    }
  }
  if (options & WNOHANG) return 0;
  throw new WouldBlock(() => mine().length === 0 || mine().some((c) => !c.alive || ((options & WUNTRACED) !== 0 && c.stopStatus !== 0)), 'wait4');
}

/** kill's targets: a pid, the caller's group (0), every process but init (-1), a group (-pgid). */
function targets(k: Kernel, pid: number): Process[] {
  const live = [...k.processes.values()].filter((p) => p.alive);
  if (pid > 0) return live.filter((p) => p.pid === pid);
  if (pid === 0) return live.filter((p) => p.task.pgrp === k.task.pgrp);
  if (pid === -1) return live.filter((p) => p !== k.init || p === k.proc);
  return live.filter((p) => p.task.pgrp === -pid);
}

function checkSignal(sig: number): void {
  if (sig < 0 || sig > NSIG) throw new KernelError(E.EINVAL);
}

function readSet(k: Kernel, ptr: number): bigint {
  const b = k.copyIn(ptr, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

function sigreturn(k: Kernel, rt: boolean): number {
  const p = k.proc;
  const regs = p.trapRegs!;
  const cur = { eax: regs.eax, ebx: regs.ebx, ecx: regs.ecx, edx: regs.edx, esi: regs.esi, edi: regs.edi, ebp: regs.ebp,
    esp: regs.esp, eip: regs.eip, eflags: regs.eflags, cs: regs.xcs, ds: regs.xds, es: regs.xes, ss: regs.xss };
  const r = restoreFrame(p.mem, regs.esp, rt, cur);
  if (!r) {
    // A bad frame: Linux forces SIGSEGV.
    p.task.actions[SIG.SIGSEGV] = { handler: 0, flags: 0, restorer: 0, mask: 0n };
    sendSignal(k, p, SIG.SIGSEGV, { signo: SIG.SIGSEGV, code: 0x80, pid: 0, uid: 0 });
    return 0;
  }
  p.task.blocked = r.mask & ~UNBLOCKABLE & SIGSET_MASK;
  p.cpu?.setFpu?.(r.fpu === 'init' ? FPU_INIT : r.fpu);
  p.pendingRegs = r.regs;
  k.reschedule = true;
  return r.regs.eax | 0;
}

const spec = (nr: number, name: string, family: 'process' | 'signal' | 'fd', args: SyscallSpec<Kernel>['args'], handler: SyscallSpec<Kernel>['handler'], note?: string, support: 'full' | 'partial' = 'full'): SyscallSpec<Kernel> =>
  ({ nr, name, family, support, args, handler, ...(note ? { note } : {}) });

export const procCalls: SyscallSpec<Kernel>[] = [
  spec(2, 'fork', 'process', [], (k) => doFork(k, SIG.SIGCHLD, 0, 0, 0), 'a copy of the address space, fds (shared offsets), cwd and dispositions; EAGAIN past --max-procs'),
  spec(7, 'waitpid', 'process', [arg('pid', 'int'), arg('wstatus', 'wstatus_out'), arg('options', 'wait_options')],
    (k, [pid, st, opt]) => wait(k, pid, st, opt, 0)),
  spec(11, 'execve', 'process', [arg('pathname', 'path'), arg('argv', 'argv_in'), arg('envp', 'envp_in')], (k, [path, argv, envp]) => {
    const file = k.path(path);
    return execve(k, file, stringArray(k, argv), stringArray(k, envp));
  }, 'ELF programs and #! scripts (their interpreter is run); close-on-exec descriptors close, handled signals reset'),
  spec(27, 'alarm', 'signal', [arg('seconds', 'uint')], (k, [seconds]) => {
    const now = k.uptimeMicros();
    const left = k.proc.alarmAtMicros > now ? Math.ceil((k.proc.alarmAtMicros - now) / 1e6) : 0;
    k.proc.alarmAtMicros = seconds === 0 ? 0 : now + seconds * 1e6;
    return left;
  }, 'SIGALRM when the simulated clock passes the time (checked at each switch, or when every process sleeps)'),
  spec(29, 'pause', 'signal', [], () => { throw new WouldBlock(() => false, 'pause', ERESTARTNOHAND); }),
  spec(37, 'kill', 'signal', [arg('pid', 'int'), arg('sig', 'signal')], (k, [pid, sig]) => {
    checkSignal(sig);
    const to = targets(k, pid | 0);
    if (to.length === 0) throw new KernelError(E.ESRCH);
    if (sig !== 0) for (const p of to) sendSignal(k, p, sig, { signo: sig, code: SI_USER, pid: k.pid, uid: 0 });
    return 0;
  }),
  spec(42, 'pipe', 'fd', [arg('pipefd', 'pipefd_out')], (k, [fds]) => pipe2(k, fds, 0)),
  spec(57, 'setpgid', 'process', [arg('pid', 'int'), arg('pgid', 'int')], (k, [pid, pgid]) => {
    if ((pgid | 0) < 0) throw new KernelError(E.EINVAL);
    const target = pid === 0 ? k.proc : k.processes.get(pid);
    if (!target || (target !== k.proc && target.parent !== k.proc)) throw new KernelError(E.ESRCH);
    if (target.task.sid !== k.task.sid) throw new KernelError(E.EPERM);
    if (target.task.sid === target.pid) throw new KernelError(E.EPERM); // a session leader
    target.task.pgrp = pgid === 0 ? target.pid : pgid;
    return 0;
  }),
  spec(66, 'setsid', 'process', [], (k) => {
    const t = k.task;
    if ([...k.processes.values()].some((p) => p.task.pgrp === t.pid)) throw new KernelError(E.EPERM);
    t.sid = t.pgrp = t.pid;
    return t.sid;
  }),
  spec(73, 'sigpending', 'signal', [arg('set', 'old_sigset_out')], (k, [set]) => {
    k.putU32(set, Number(k.proc.pending & k.task.blocked & 0xffff_ffffn));
    return 0;
  }),
  spec(114, 'wait4', 'process', [arg('pid', 'int'), arg('wstatus', 'wstatus_out'), arg('options', 'wait_options'), arg('rusage', 'ptr')],
    (k, [pid, st, opt, ru]) => wait(k, pid, st, opt, ru), 'rusage is all zeros'),
  spec(119, 'sigreturn', 'signal', [], (k) => sigreturn(k, false)),
  spec(120, 'clone', 'process', [arg('flags', 'clone_flags'), arg('child_stack', 'ptr'), arg('parent_tid', 'ptr'), arg('tls', 'ptr'), arg('child_tid', 'ptr')],
    (k, [flags, sp, ptid, , ctid]) => doFork(k, flags, ptid, ctid, sp),
    'the flags of fork and vfork (SIGCHLD, CLONE_VM with CLONE_VFORK, the tid flags); threads: EINVAL', 'partial'),
  spec(173, 'rt_sigreturn', 'signal', [], (k) => sigreturn(k, true)),
  spec(176, 'rt_sigpending', 'signal', [arg('set', 'sigset_out'), arg('sigsetsize', 'size')], (k, [set, size]) => {
    if (size > 8) throw new KernelError(E.EINVAL);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, k.proc.pending & k.task.blocked, true);
    k.copyOut(set, b.subarray(0, size));
    return 0;
  }),
  spec(179, 'rt_sigsuspend', 'signal', [arg('mask', 'sigset_in'), arg('sigsetsize', 'size')], (k, [mask, size]) => {
    if (size !== 8) throw new KernelError(E.EINVAL);
    const set = readSet(k, mask);
    const p = k.proc;
    p.suspendedMask ??= p.task.blocked;
    p.task.blocked = set & ~UNBLOCKABLE & SIGSET_MASK;
    throw new WouldBlock(() => false, 'sigsuspend', ERESTARTNOHAND);
  }),
  spec(190, 'vfork', 'process', [], (k) => doFork(k, CLONE.VM | CLONE.VFORK | SIG.SIGCHLD, 0, 0, 0),
    'the parent waits until the child execs or exits; the child runs on a copy of the address space'),
  spec(238, 'tkill', 'signal', [arg('tid', 'int'), arg('sig', 'signal')], (k, [tid, sig]) => tkill(k, tid, tid, sig)),
  spec(270, 'tgkill', 'signal', [arg('tgid', 'int'), arg('tid', 'int'), arg('sig', 'signal')], (k, [tgid, tid, sig]) => tkill(k, tgid, tid, sig)),
  spec(168, 'poll', 'fd', [arg('fds', 'ptr'), arg('nfds', 'uint'), arg('timeout', 'int')], (k, [fds, nfds, timeout]) => poll(k, fds, nfds, timeout | 0),
    'pipes report readiness as Linux does (POLLIN, POLLOUT, POLLHUP, POLLERR), other files are always ready; a wait with a timeout and nothing ready sleeps the timeout out', 'partial'),
  spec(331, 'pipe2', 'fd', [arg('pipefd', 'pipefd_out'), arg('flags', 'fdflags')], (k, [fds, flags]) => pipe2(k, fds, flags)),
];

function tkill(k: Kernel, tgid: number, tid: number, sig: number): number {
  checkSignal(sig);
  if ((tid | 0) <= 0 || (tgid | 0) <= 0) throw new KernelError(E.EINVAL);
  const p = k.processes.get(tid);
  if (!p || !p.alive || p.pid !== tgid) throw new KernelError(E.ESRCH);
  if (sig !== 0) sendSignal(k, p, sig, { signo: sig, code: SI_TKILL, pid: k.pid, uid: 0 });
  return 0;
}

function pipe2(k: Kernel, ptr: number, flags: number): number {
  if (flags & ~(O.CLOEXEC | O.NONBLOCK | O.DIRECT)) throw new KernelError(E.EINVAL);
  if (!k.mem.isMapped(ptr, 8, 2)) throw new KernelError(E.EFAULT);
  const [r, w] = makePipe(flags, () => sendSignal(k, k.proc, SIG.SIGPIPE, { signo: SIG.SIGPIPE, code: SI_USER, pid: k.pid, uid: 0 }));
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const rfd = k.fds.install(r, cloexec);
  let wfd: number;
  try {
    wfd = k.fds.install(w, cloexec);
  } catch (err) {
    k.fds.close(rfd);
    throw err;
  }
  const b = new Uint8Array(8), dv = new DataView(b.buffer);
  dv.setInt32(0, rfd, true);
  dv.setInt32(4, wfd, true);
  k.copyOut(ptr, b);
  return 0;
}

export { bit };

const POLL = { IN: 1, PRI: 2, OUT: 4, ERR: 8, HUP: 0x10, NVAL: 0x20, RDNORM: 0x40, WRNORM: 0x100 } as const;

/** What one descriptor reports for `events` (POLLERR, POLLHUP and POLLNVAL are always reported). */
function revents(k: Kernel, fd: number, events: number): number {
  if (fd < 0) return 0;
  let f;
  try {
    f = k.fds.get(fd);
  } catch {
    return POLL.NVAL;
  }
  let ready: number;
  if (f instanceof PipeEnd) {
    const p = f.pipe;
    ready = f.end === 'read'
      ? (p.length > 0 ? POLL.IN | POLL.RDNORM : 0) | (p.writers === 0 ? POLL.HUP : 0)
      : p.readers === 0 ? POLL.ERR : p.room >= PIPE_BUF ? POLL.OUT | POLL.WRNORM : 0;
  } else {
    ready = POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM;
  }
  return ready & (events | POLL.ERR | POLL.HUP | POLL.NVAL);
}

function poll(k: Kernel, ptr: number, nfds: number, timeout: number): number {
  if (nfds > k.task.rlimits[7].cur) throw new KernelError(E.EINVAL);
  const b = k.copyIn(ptr, nfds * 8), dv = new DataView(b.buffer, b.byteOffset, b.length);
  const entries = Array.from({ length: nfds }, (_, i) => ({ fd: dv.getInt32(8 * i, true), events: dv.getUint16(8 * i + 4, true) }));
  const scan = () => entries.map((e) => revents(k, e.fd, e.events));
  const found = scan();
  const n = found.filter((r) => r !== 0).length;
  if (n === 0 && timeout !== 0) {
    if (timeout < 0) throw new WouldBlock(() => scan().some((r) => r !== 0), 'poll');
    k.block(timeout * 1000);
    return 0;
  }
  found.forEach((r, i) => dv.setUint16(8 * i + 6, r, true));
  k.copyOut(ptr, b);
  return n;
}
