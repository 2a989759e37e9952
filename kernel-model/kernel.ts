// The kernel model: one crossing at a time, the emulator hands over the user registers;
// the kernel enters (boundary.enter), dispatches through the syscall table, exits
// (boundary.exit) and returns the value for eax. Handlers see this class as their
// context: checked helpers for guest memory, the fd table, the clock and the ledger.
import { ProcFileSystem } from './procfs.js';
import * as boundary from './boundary.js';
import type { PtRegs, UserRegs } from './boundary.js';
import { Ledger, blockedMicros, copyCycles, cyclesToMicros, handlerCycles, indirectCycles, resolveProfile, userCycles, type EntryPath, type PlatformProfile } from './cost.js';
import { VvarPages, entryPathOf, type VdsoEntries } from './vvar.js';
import { E, KernelError } from './errno.js';
import type { GuestMemory } from './memory.js';
import type { SyscallSpec } from './syscall.js';
import { FdTable, S, joinGuest, type FileSystem, type Stdio } from './vfs.js';
import type { Personality } from './table.js';
import { SeededRandom } from './random.js';
import { SegmentState, type DescriptorTables } from './sys/tls.js';
import { Task } from './task.js';
import { Process, type ProcessHost, type SigInfo } from './process.js';
import { WouldBlock } from './pipe.js';
import { LIMITS, LimitExceeded } from './limits.js';

/** Calls whose positive result is bytes written: counted against --max-write-bytes. */
const WRITE_CALLS = new Set(['write', 'writev', 'pwrite64', 'pwritev', 'sendfile', 'sendfile64']);

/** One syscall as dispatched (a plain call, or a sub-call of a batch). */
export interface SyscallRecord {
  nr: number;
  name: string;
  args: number[];
  result: number;
  /** Depth 0 for a call made by a trap, 1 for an entry of a batch. */
  depth: number;
  dispatchCycles: number;
  handlerCycles: number;
  bytesIn: number;
  bytesOut: number;
  blockedMicros: number;
  /** Filled by tracers that decode arguments before the handler runs. */
  decodedIn?: string[];
  sub: SyscallRecord[];
  spec?: SyscallSpec<Kernel>;
}

/** One kernel crossing: the trap, the call it carried, the way back. */
export interface CrossingRecord {
  seq: number;
  regs: PtRegs;
  call: SyscallRecord;
  entryCycles: number;
  exitCycles: number;
  /** The cycle counter (TSC) and the simulated clock at entry and at exit. */
  cyclesAtEntry: number;
  cyclesAtExit: number;
  microsAtEntry: number;
  microsAtExit: number;
  /** Guest instructions executed in user mode since the previous crossing. */
  userInstructions: number;
  /** The process that trapped, and the context switches of the run so far (dumps carry both). */
  pid: number;
  switches: number;
  /** The way in, when the process has a vDSO (int 0x80, or sysenter through its __kernel_vsyscall). */
  path?: EntryPath;
}

export interface Tracer {
  /** Before the handler runs: a chance to decode input arguments. */
  before?(rec: SyscallRecord, kernel: Kernel): void;
  /** After the handler: every call, batch entries included. */
  syscall?(rec: SyscallRecord, kernel: Kernel): void;
  crossing?(rec: CrossingRecord, kernel: Kernel): void;
  /** A signal delivered to process `pid` (its handler runs, or its default action). */
  signal?(pid: number, info: SigInfo, kernel: Kernel): void;
  /** Process `pid` ended with this wait status. */
  exit?(pid: number, wstatus: number, kernel: Kernel): void;
}

export interface KernelOptions {
  profile: PlatformProfile;
  personality: Personality;
  memory: GuestMemory;
  fs: FileSystem;
  stdio: Stdio;
  /** Initial program break (page-aligned end of the highest segment). */
  brk: number;
  pid?: number;
  /** The simulated wall clock at cycle 0, in microseconds since the epoch. */
  clockStartMicros?: number;
  /** Round sleeps to timer ticks as Linux 2.4 does. */
  jiffies?: boolean;
  fdLimit?: number;
  /** Seeds AT_RANDOM and getrandom, so that runs are reproducible (--seed). */
  seed?: number;
  /** The CPU's descriptor tables (set_thread_area, modify_ldt); absent, only the kernel's copy changes. */
  descriptors?: DescriptorTables;
  /** Bytes the guest may write with write-family calls in the whole run (LIMITS.writeBytes). */
  maxWriteBytes?: number;
  /** uname's nodename (--nodename). */
  nodename?: string;
  /** The guest's argv: argv[0] names the task (prctl PR_GET_NAME). */
  argv?: readonly string[];
  /** The program's path as the guest sees it (readlink of /proc/self/exe). */
  exePath?: string;
  /** The initial working directory, a guest path (default `/`). */
  cwd?: string;
  /** The initial file mode creation mask (default 022). */
  umask?: number;
  /** Where diagnostics go (an unknown syscall number, once per number). */
  warn?: (line: string) => void;
  /** Processes that may exist at once (--max-procs); fork past it is EAGAIN. */
  maxProcs?: number;
}

export const DEFAULT_MAX_PROCS = 64;

export const AT_FDCWD = -100;

/** 2002-01-01T00:00:00Z: the era of the paper's Linux 2.4 measurements. */
export const DEFAULT_CLOCK_START_MICROS = 1_009_843_200_000_000;

export class Kernel {
  readonly ledger = new Ledger();
  readonly profile: PlatformProfile;
  readonly personality: Personality;
  readonly fs: FileSystem;
  readonly tracers: Tracer[] = [];
  /** The guest's only source of randomness (AT_RANDOM, getrandom): seeded, reproducible. */
  readonly random: SeededRandom;
  /** The process whose call is running (or that runs next): every per-process field below is its. */
  proc: Process;
  /** Every process not yet reaped, by pid (processes.ts, sched.ts). */
  readonly processes = new Map<number, Process>();
  /** The first process: the run ends when it does. */
  readonly init: Process;
  /** The emulator's side of fork and exec (absent: fork and execve are ENOSYS-free errors, see sys/proc.ts). */
  host: ProcessHost | undefined;
  readonly maxProcs: number;
  nextPid: number;
  /** Processes reaped so far, in order (their ledgers, for the per-process summary). */
  readonly reaped: Process[] = [];
  /** Signal frames built so far. */
  signalsDelivered = 0;
  /** Whether more than one process has existed (strace then prefixes lines with the pid). */
  multiprocess = false;
  /** Instructions a process runs before the next process may take the CPU (checked at its crossings). */
  quantum = 100_000;
  /** Set when the running process has used its quantum. */
  preempt = false;
  /** Set by a call after which the current process must stop running (exit, exec, a block, a signal to itself). */
  reschedule = false;
  /** Instructions executed in earlier slices, all processes together. */
  private retired = 0;
  /** The running process's instruction count when its slice began. */
  private sliceStart = 0;
  private sliceMark = new Ledger();
  private lastRun: Process | undefined;
  private readonly clockStart: number;
  private readonly jiffies: boolean;
  readonly warn: (line: string) => void;
  private readonly warnedNumbers = new Set<number>();
  private current: SyscallRecord | undefined;
  private depth = 0;
  private seq = 0;
  private rdtscs = 0;
  /**
   * Kernel threads on other simulated cores that watch shared memory (io_uring's SQPOLL):
   * each runs whenever the kernel model has control (every crossing and every rdtsc), so
   * what the program published since is taken up by then.
   */
  readonly pollers: (() => void)[] = [];
  /** The indirect cost of every user stretch already ended by a crossing, exact. */
  private indirectClosed = 0;
  /** The indirect cost charged so far, exact. */
  private indirectExact = 0;
  /** Bytes written by write-family calls so far, and the run's limit (--max-write-bytes). */
  written = 0;
  /** The vDSO's data pages (kernel-model/vvar.ts), one per address space that has a vDSO. */
  readonly vvar = new VvarPages();
  /** The profiles crossings by each entry path are charged by, made on first use (profileFor). */
  private readonly pathProfiles = new Map<EntryPath, PlatformProfile>();
  private readonly maxWriteBytes: number;

  constructor(o: KernelOptions) {
    this.profile = o.profile;
    this.personality = o.personality;
    // A read-only /proc made from the model's state sits in front of every file system.
    this.fs = new ProcFileSystem(o.fs, this);
    const fds = new FdTable(o.stdio, o.fdLimit);
    const pid = o.pid ?? 1000;
    this.random = new SeededRandom(o.seed);
    const task = new Task({ pid, program: o.argv?.[0], nodename: o.nodename, fdLimit: fds.limit });
    this.init = this.proc = new Process(task, o.memory, fds, { cwd: o.cwd ?? '/', umask: (o.umask ?? 0o022) & 0o777, exePath: o.exePath ?? '/' });
    this.proc.brkStart = this.proc.brk = o.brk;
    this.processes.set(pid, this.proc);
    this.lastRun = this.proc;
    this.nextPid = pid + 1;
    this.maxProcs = o.maxProcs ?? DEFAULT_MAX_PROCS;
    this.proc.segments = new SegmentState(o.descriptors);
    this.clockStart = o.clockStartMicros ?? DEFAULT_CLOCK_START_MICROS;
    this.jiffies = o.jiffies ?? false;
    this.warn = o.warn ?? ((line) => process.stderr.write(line + '\n'));
    this.maxWriteBytes = o.maxWriteBytes ?? LIMITS.writeBytes.default;
  }

  // The running process's state, as the handlers see it.
  get mem(): GuestMemory { return this.proc.mem; }
  /** TLS slots and LDT entries: the running process's. */
  get segments(): SegmentState { return this.proc.segments!; }
  get fds(): FdTable { return this.proc.fds; }
  get task(): Task { return this.proc.task; }
  get pid(): number { return this.proc.pid; }
  get brkStart(): number { return this.proc.brkStart; }
  set brkStart(v: number) { this.proc.brkStart = v; }
  get brk(): number { return this.proc.brk; }
  set brk(v: number) { this.proc.brk = v; }
  get cwd(): string { return this.proc.cwd; }
  set cwd(v: string) { this.proc.cwd = v; }
  get umask(): number { return this.proc.umask; }
  set umask(v: number) { this.proc.umask = v; }
  get exePath(): string { return this.proc.exePath; }
  set exePath(v: string) { this.proc.exePath = v; }
  get exitStatus(): number | undefined { return this.proc.exitStatus; }

  get exited(): boolean {
    return this.exitStatus !== undefined;
  }

  /**
   * The scheduler hands the CPU to `p`, whose own instruction count is `instructions`:
   * the system ledger's work since the last switch goes to the process that did it, and
   * a switch to a different process is charged (context_switch_cycles) to the one coming in.
   */
  beginSlice(p: Process, instructions: number): void {
    this.proc = p;
    this.sliceStart = instructions;
    this.sliceMark = snapshot(this.ledger);
    if (p !== this.lastRun) {
      const cycles = this.profile.context_switch_cycles ?? 0;
      this.ledger.switches++;
      this.ledger.charge('switchCycles', cycles);
      p.switchesIn++;
    }
    this.lastRun = p;
    this.syncVvar();
  }

  /** The running process's slice ends at its own count `instructions`. */
  endSlice(instructions: number): void {
    this.syncUser(instructions);
    this.retired += instructions - this.sliceStart;
    this.sliceStart = instructions;
    addDelta(this.proc.ledger, this.ledger, this.sliceMark);
    this.sliceMark = snapshot(this.ledger);
  }

  /**
   * Brings user cycles up to date: `instructions` executed so far, traps included. The
   * int 0x80 of each crossing is the trap itself, charged as entry, not as user work;
   * `trapping` says the last instruction counted is a trap not yet entered.
   */
  syncUser(instructions: number, trapping = false): void {
    const all = this.retired + instructions - this.sliceStart;
    this.ledger.instructions = all;
    const traps = this.ledger.crossings + (trapping ? 1 : 0);
    this.ledger.setUser(userCycles(this.profile, all - traps, this.rdtscs));
    // The indirect cost: the user stretch since the process's last crossing runs slowed (profile.indirect).
    if (this.ledger.crossings > 0) {
      const since = this.proc.instructionBase + instructions - this.proc.instructionsAtLastCrossing - (trapping ? 1 : 0);
      this.indirectExact = this.indirectClosed + indirectCycles(this.profile, since);
      this.ledger.setIndirect(this.indirectExact);
    }
  }

  /** The guest's rdtsc: the cycle counter once this rdtsc has completed. */
  rdtsc(instructions: number): number {
    for (const poll of this.pollers) poll();
    this.rdtscs++;
    this.syncUser(instructions);
    return this.cycles();
  }

  /** The cycle counter (what rdtsc reads). Blocked time does not advance it. */
  cycles(): number {
    return this.ledger.totalCycles;
  }

  /** The simulated wall clock, in microseconds since the epoch. */
  nowMicros(): number {
    return this.clockStart + Math.floor(cyclesToMicros(this.profile, this.ledger.totalCycles) + this.ledger.blockedMicros);
  }

  /** Simulated time since the run began (the system's boot): what CLOCK_MONOTONIC reads. */
  uptimeMicros(): number {
    return this.nowMicros() - this.clockStart;
  }

  /**
   * The profile a crossing by `path` is charged by: the run's own profile with that entry
   * path's figures (its mitigations kept). Without entry paths, the run's profile.
   */
  profileFor(path: EntryPath): PlatformProfile {
    if (!this.profile.entry_paths || entryPathOf(this.profile) === path) return this.profile;
    let p = this.pathProfiles.get(path);
    if (!p) {
      const m = this.profile.mitigations;
      p = { ...resolveProfile(this.profile, { path, pti: m?.pti, spectre_v2: m?.spectre_v2 }), name: this.profile.name };
      this.pathProfiles.set(path, p);
    }
    return p;
  }

  /** Brings the running process's vDSO data page up to date with the clock (after a sleep, on a switch). */
  syncVvar(): void {
    this.vvar.sync(this.mem, this.profile, { clockStartMicros: this.clockStart, blockedMicros: this.ledger.blockedMicros });
  }

  /** A new address space's vDSO: its data page at `at` (written now) and its signal return paths. */
  attachVdso(mem: GuestMemory, at: number, entries: VdsoEntries): void {
    this.vvar.attach(mem, at, this.profile, { clockStartMicros: this.clockStart, blockedMicros: this.ledger.blockedMicros }, entries);
  }

  /** Processor time the guest has used, user and kernel, blocked time excluded (CLOCK_PROCESS_CPUTIME_ID). */
  cpuNanos(): number {
    return Math.floor(cyclesToMicros(this.profile, this.ledger.totalCycles) * 1000);
  }

  /**
   * A trap from the guest: enter, dispatch, exit. Returns the value for eax. `path`, when
   * given, is the way the guest came in, costed by that path's figures (a process with a
   * vDSO: its int 0x80 and its sysenter are told apart); without it, the crossing costs
   * what the profile's chosen entry path does.
   */
  crossing(user: UserRegs, instructions: number, path?: EntryPath): number {
    for (const poll of this.pollers) poll();
    this.syncUser(instructions, true);
    const p = this.proc;
    const own = p.instructionBase + instructions;
    const userInstructions = own - p.instructionsAtLastCrossing;
    const before = snapshot(this.ledger);
    const cyclesAtEntry = this.cycles(), microsAtEntry = this.nowMicros();
    const pathProfile = path ? this.profileFor(path) : this.profile;
    const { regs, cycles: entryCycles } = boundary.enter(this.ledger, pathProfile, user);
    p.trapRegs = regs;
    const call = this.dispatch(regs.orig_eax, boundary.syscallArgs(regs));
    if (p.parked) {
      // The call sleeps: the trap is undone and taken again when the process can go on,
      // so the one crossing Linux makes is charged (and traced) once, when it completes.
      Object.assign(this.ledger, before);
      this.syncUser(instructions - 1);
      this.reschedule = true;
      return regs.orig_eax;
    }
    p.instructionsAtLastCrossing = own;
    this.indirectClosed = this.indirectExact;
    if (this.multiprocess && instructions - this.sliceStart >= this.quantum) this.preempt = this.reschedule = true;
    this.syncVvar();
    const exitCycles = boundary.exit(this.ledger, pathProfile, regs, call.result, !this.exited);
    this.seq++;
    if (this.tracers.length > 0) { // the record is for tracers: untraced runs skip building it
      const rec: CrossingRecord = {
        seq: this.seq, regs, call, entryCycles, exitCycles, cyclesAtEntry, microsAtEntry,
        cyclesAtExit: this.cycles(), microsAtExit: this.nowMicros(), userInstructions, pid: p.pid, switches: this.ledger.switches,
        ...(path ? { path } : {}),
      };
      for (const t of this.tracers) t.crossing?.(rec, this);
    }
    return regs.eax;
  }

  /**
   * Runs one call through the table. Used by the trap path and by batches for their
   * entries; errors become -errno here and nowhere else. `discount` is handler work a
   * value-specialized call saves by inlining this step.
   */
  dispatch(nr: number, args: number[], discount = 0): SyscallRecord {
    const spec = this.personality.table.get(nr);
    const dispatchCycles = this.ledger.charge('dispatch', this.profile.dispatch_cycles);
    this.ledger.syscalls++;
    const rec: SyscallRecord = {
      nr, name: spec?.name ?? this.personality.nameOf(nr), args, result: 0, depth: this.depth, dispatchCycles,
      handlerCycles: 0, bytesIn: 0, bytesOut: 0, blockedMicros: 0, sub: [], spec,
    };
    const parent = this.current;
    parent?.sub.push(rec);
    if (!spec) {
      if (!this.warnedNumbers.has(nr)) {
        this.warnedNumbers.add(nr);
        const which = rec.name === `syscall_${nr}` ? `${nr}` : `${rec.name} (${nr})`;
        this.warn(`syscluster: unknown syscall ${which} in the ${this.personality.name} personality: returning -ENOSYS`);
      }
      rec.result = -E.ENOSYS;
    } else {
      for (const t of this.tracers) t.before?.(rec, this);
      this.current = rec;
      this.depth++;
      try {
        rec.result = spec.handler(this, args) | 0;
      } catch (err) {
        if (!(err instanceof KernelError)) throw err;
        if (err instanceof WouldBlock && this.depth === 1) {
          this.proc.parked = err;
          return rec;
        }
        rec.result = -err.errno;
      } finally {
        this.depth--;
        this.current = parent;
      }
      // A batch's own work is charged by its handler (Kernel.work); here only its copying.
      // A call refused on purpose costs what Linux's sys_ni_syscall does: nothing past dispatch.
      const base = spec.support === 'unimplemented' ? 0
        : spec.family === 'batch' ? copyCycles(this.profile, rec.bytesIn, rec.bytesOut)
        : Math.max(0, handlerCycles(this.profile, spec.name, rec.bytesIn, rec.bytesOut) - discount);
      rec.handlerCycles += this.ledger.charge('handler', base);
      if (rec.result > 0 && WRITE_CALLS.has(spec.name)) {
        this.written += rec.result;
        if (this.written > this.maxWriteBytes) throw new LimitExceeded(LIMITS.writeBytes, this.maxWriteBytes);
      }
    }
    for (const t of this.tracers) t.syscall?.(rec, this);
    return rec;
  }

  /** The record of the call whose handler is running (for batches nesting their entries). */
  get running(): SyscallRecord {
    return this.current!;
  }

  // ------------------------------------------------------------ handler helpers

  /** Kernel work inside a handler that happens before the handler's base cost (e.g. its own rdtscl). */
  work(cycles: number): void {
    const whole = this.ledger.charge('handler', cycles);
    if (this.current) this.current.handlerCycles += whole;
  }

  /** The calling thread sleeps: the clock advances, the cycle counter does not. */
  block(micros: number): void {
    const blocked = blockedMicros(this.profile, micros, this.nowMicros() - this.clockStart, this.jiffies);
    this.ledger.blockedMicros += blocked;
    if (this.current) this.current.blockedMicros += blocked;
    // While it sleeps, another process may run.
    if (this.multiprocess && this.current) this.preempt = this.reschedule = true;
  }

  /** copy_from_user: the bytes, or EFAULT. Charged per byte. */
  copyIn(ptr: number, len: number): Uint8Array {
    const b = this.mem.read(ptr, len);
    if (!b) throw new KernelError(E.EFAULT);
    if (this.current) this.current.bytesIn += len;
    return b;
  }

  /** copy_to_user: writes or raises EFAULT. Charged per byte. */
  copyOut(ptr: number, bytes: Uint8Array): void {
    if (!this.mem.write(ptr, bytes)) throw new KernelError(E.EFAULT);
    if (this.current) this.current.bytesOut += bytes.length;
  }

  /** get_user of a 32-bit word. */
  getU32(ptr: number): number {
    const v = this.mem.readU32(ptr);
    if (v === null) throw new KernelError(E.EFAULT);
    if (this.current) this.current.bytesIn += 4;
    return v;
  }

  /** put_user of a 32-bit word. */
  putU32(ptr: number, value: number): void {
    if (!this.mem.writeU32(ptr, value)) throw new KernelError(E.EFAULT);
    if (this.current) this.current.bytesOut += 4;
  }

  /** getname(): a path from the guest, or EFAULT / ENAMETOOLONG. */
  path(ptr: number): string {
    const s = this.mem.readCString(ptr, 4096);
    if (s === null) throw new KernelError(E.EFAULT);
    if (s === undefined) throw new KernelError(E.ENAMETOOLONG);
    if (this.current) this.current.bytesIn += s.length + 1;
    return s;
  }

  /**
   * A guest path as the file system takes it: a relative path starts at the working
   * directory, or with `dirfd` (an *at call) at that directory's path. AT_FDCWD is -100.
   */
  at(dirfd: number, guestPath: string): string {
    if (guestPath.startsWith('/')) return guestPath;
    if (guestPath === '') throw new KernelError(E.ENOENT);
    if ((dirfd | 0) === AT_FDCWD) return joinGuest(this.cwd, guestPath);
    const dir = this.fds.get(dirfd | 0);
    if ((dir.stat().mode & S.IFMT) !== S.IFDIR) throw new KernelError(E.ENOTDIR);
    return joinGuest(dir.name, guestPath);
  }

  /** The guest asked to end (exit, exit_group, or an exit inside a batch). */
  terminate(status: number): void {
    this.proc.exitStatus ??= status & 0xff;
    this.reschedule = true;
  }
}

function snapshot(l: Ledger): Ledger {
  return Object.assign(new Ledger(), l);
}

/** to += now - mark, field by field. */
function addDelta(to: Ledger, now: Ledger, mark: Ledger): void {
  for (const k of Object.keys(now) as (keyof Ledger)[]) {
    const v = now[k];
    if (typeof v === 'number') (to as unknown as Record<string, number>)[k] += v - (mark[k] as number);
  }
}

