// Processes: each is a kernel-model object with its own pid, parent, descriptor table,
// working directory, signal state, address space and scheduling state. The emulator
// gives each one a CPU context (CpuContext); the scheduler (sched.ts) decides who runs.
import { Ledger } from './cost.js';
import type { PtRegs, UserRegs } from './boundary.js';
import type { GuestMemory } from './memory.js';
import type { WouldBlock } from './pipe.js';
import type { FdTable } from './vfs.js';
import type { Task } from './task.js';
import type { SegmentState } from './sys/tls.js';

/** The registers a process resumes with, as the emulator holds them between slices. */
export interface CpuContext {
  regs(): UserRegs;
  setRegs(r: Partial<UserRegs>): void;
  /** The FPU state as an FXSAVE image (512 bytes), for a signal frame; absent where the CPU has none to give. */
  fpu?(): Uint8Array;
  /** Loads an FXSAVE image into the FPU (sigreturn). */
  setFpu?(image: Uint8Array): void;
}

/**
 * What the emulator does for the kernel model: fork copies an address space and the
 * registers into a new CPU context; exec replaces a process's context with a new
 * program (ENOEXEC for a file that is not one it can load).
 */
export interface ProcessHost {
  fork(parent: Process, child: Process): void;
  exec(p: Process, file: Uint8Array, name: string, argv: string[], envp: string[]): void;
  /** A vfork child execs or ends: the parent, suspended until now, sees the memory the child left (CLONE_VM). */
  vforkDone?(child: Process, parent: Process): void;
  /** The program the process runs now (what /proc/self/exe opens). */
  image(p: Process): Uint8Array;
}

export type ProcState = 'runnable' | 'blocked' | 'stopped' | 'zombie';

/** One pending signal's siginfo fields. */
export interface SigInfo { signo: number; code: number; pid: number; uid: number; status?: number; addr?: number }

export class Process {
  state: ProcState = 'runnable';
  parent: Process | undefined;
  readonly children: Process[] = [];
  /** A call that could not finish: the process is parked on its trap until `ready()`. */
  parked: WouldBlock | undefined;
  /** Pending signals (bit n-1 for signal n) and their siginfo. */
  pending = 0n;
  readonly info = new Map<number, SigInfo>();
  /** rt_sigsuspend's caller's own mask, restored when the handler returns. */
  suspendedMask: bigint | undefined;
  /** The guest asked to exit with this status (exit, exit_group). */
  exitStatus: number | undefined;
  /** The status wait4 reports once the process is a zombie (Linux's encoding). */
  wstatus = 0;
  /** A signal ended it: its number (0 when it exited). */
  killedBy = 0;
  /** Where the cycles of this process went (the system ledger's share while it ran). */
  readonly ledger = new Ledger();
  /** Context switches into this process. */
  switchesIn = 0;
  /** Instructions executed by earlier program images of this process (execve starts a new count). */
  instructionBase = 0;
  /** This process's own instruction count at its last crossing. */
  instructionsAtLastCrossing = 0;
  /** alarm(2): when SIGALRM is due, in simulated microseconds since boot (0: none). */
  alarmAtMicros = 0;
  /** The emulator's CPU context for this process. */
  cpu: CpuContext | undefined;
  /** The program's path as the guest sees it (readlink of /proc/self/exe). */
  exePath: string;
  cwd: string;
  umask: number;
  brkStart = 0;
  brk = 0;
  /** The registers of the trap being handled (sigreturn finds its frame from esp). */
  trapRegs: PtRegs | undefined;
  /** Registers the emulator writes before the process next runs (sigreturn, a signal frame). */
  pendingRegs: Partial<UserRegs> | undefined;
  /** A condition the process sleeps on outside any call (a vfork parent waiting for its child). */
  waitUntil: (() => boolean) | undefined;
  /** A stop not yet reported to wait4 (WUNTRACED): the status, or 0. */
  stopStatus = 0;
  /** Frees the emulator's resources for the process (set by the emulator). */
  release: (() => void) | undefined;
  /** TLS slots and LDT entries (set_thread_area, modify_ldt), kept in the process's CPU's descriptor tables. */
  segments: SegmentState | undefined;
  /** Whether a vfork child has not yet exec'd or exited (its parent waits). */
  vforkParent: Process | undefined;

  constructor(readonly task: Task, public mem: GuestMemory, public fds: FdTable, o: { cwd: string; umask: number; exePath: string }) {
    this.cwd = o.cwd;
    this.umask = o.umask;
    this.exePath = o.exePath;
  }

  get pid(): number {
    return this.task.pid;
  }

  get alive(): boolean {
    return this.state !== 'zombie';
  }

  /** Signals that are pending and not blocked. */
  get deliverable(): bigint {
    return this.pending & ~this.task.blocked;
  }
}
