// The kernel model: one crossing at a time, the emulator hands over the user registers;
// the kernel enters (boundary.enter), dispatches through the syscall table, exits
// (boundary.exit) and returns the value for eax. Handlers see this class as their
// context: checked helpers for guest memory, the fd table, the clock and the ledger.
import * as boundary from './boundary.js';
import type { PtRegs, UserRegs } from './boundary.js';
import { Ledger, blockedMicros, copyCycles, cyclesToMicros, handlerCycles, indirectCycles, userCycles, type PlatformProfile } from './cost.js';
import { E, KernelError } from './errno.js';
import type { GuestMemory } from './memory.js';
import type { SyscallSpec } from './syscall.js';
import { FdTable, S, joinGuest, type FileSystem, type Stdio } from './vfs.js';
import type { Personality } from './table.js';
import { SeededRandom } from './random.js';
import { SegmentState, type DescriptorTables } from './sys/tls.js';
import { Task } from './task.js';
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
}

export interface Tracer {
  /** Before the handler runs: a chance to decode input arguments. */
  before?(rec: SyscallRecord, kernel: Kernel): void;
  /** After the handler: every call, batch entries included. */
  syscall?(rec: SyscallRecord, kernel: Kernel): void;
  crossing?(rec: CrossingRecord, kernel: Kernel): void;
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
}

export const AT_FDCWD = -100;

/** 2002-01-01T00:00:00Z: the era of the paper's Linux 2.4 measurements. */
export const DEFAULT_CLOCK_START_MICROS = 1_009_843_200_000_000;

export class Kernel {
  readonly ledger = new Ledger();
  readonly profile: PlatformProfile;
  readonly personality: Personality;
  readonly mem: GuestMemory;
  readonly fs: FileSystem;
  readonly fds: FdTable;
  readonly pid: number;
  readonly tracers: Tracer[] = [];
  /** The guest's only source of randomness (AT_RANDOM, getrandom): seeded, reproducible. */
  readonly random: SeededRandom;
  /** TLS slots and LDT entries. */
  readonly segments: SegmentState;
  /** The process's own state: credentials, limits, signal actions and mask, name (task.ts). */
  readonly task: Task;
  brkStart: number;
  brk: number;
  /** The working directory: a canonical guest path. */
  cwd: string;
  umask: number;
  readonly exePath: string;
  exitStatus: number | undefined;
  private readonly clockStart: number;
  private readonly jiffies: boolean;
  readonly warn: (line: string) => void;
  private readonly warnedNumbers = new Set<number>();
  private current: SyscallRecord | undefined;
  private depth = 0;
  private seq = 0;
  private rdtscs = 0;
  private instructionsAtLastCrossing = 0;
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
  private readonly maxWriteBytes: number;

  constructor(o: KernelOptions) {
    this.profile = o.profile;
    this.personality = o.personality;
    this.mem = o.memory;
    this.fs = o.fs;
    this.fds = new FdTable(o.stdio, o.fdLimit);
    this.brkStart = this.brk = o.brk;
    this.cwd = o.cwd ?? '/';
    this.umask = (o.umask ?? 0o022) & 0o777;
    this.exePath = o.exePath ?? '/';
    this.pid = o.pid ?? 1000;
    this.random = new SeededRandom(o.seed);
    this.segments = new SegmentState(o.descriptors);
    this.task = new Task({ pid: this.pid, program: o.argv?.[0], nodename: o.nodename, fdLimit: this.fds.limit });
    this.clockStart = o.clockStartMicros ?? DEFAULT_CLOCK_START_MICROS;
    this.jiffies = o.jiffies ?? false;
    this.warn = o.warn ?? ((line) => process.stderr.write(line + '\n'));
    this.maxWriteBytes = o.maxWriteBytes ?? LIMITS.writeBytes.default;
  }

  get exited(): boolean {
    return this.exitStatus !== undefined;
  }

  /**
   * Brings user cycles up to date: `instructions` executed so far, traps included. The
   * int 0x80 of each crossing is the trap itself, charged as entry, not as user work;
   * `trapping` says the last instruction counted is a trap not yet entered.
   */
  syncUser(instructions: number, trapping = false): void {
    this.ledger.instructions = instructions;
    const traps = this.ledger.crossings + (trapping ? 1 : 0);
    this.ledger.setUser(userCycles(this.profile, instructions - traps, this.rdtscs));
    // The indirect cost: the user stretch since the last crossing runs slowed (profile.indirect).
    if (this.ledger.crossings > 0) {
      this.indirectExact = this.indirectClosed + indirectCycles(this.profile, instructions - this.instructionsAtLastCrossing - (trapping ? 1 : 0));
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

  /** Processor time the guest has used, user and kernel, blocked time excluded (CLOCK_PROCESS_CPUTIME_ID). */
  cpuNanos(): number {
    return Math.floor(cyclesToMicros(this.profile, this.ledger.totalCycles) * 1000);
  }

  /** A trap from the guest: enter, dispatch, exit. Returns the value for eax. */
  crossing(user: UserRegs, instructions: number): number {
    for (const poll of this.pollers) poll();
    this.syncUser(instructions, true);
    const userInstructions = instructions - this.instructionsAtLastCrossing;
    this.instructionsAtLastCrossing = instructions;
    this.indirectClosed = this.indirectExact;
    const cyclesAtEntry = this.cycles(), microsAtEntry = this.nowMicros();
    const { regs, cycles: entryCycles } = boundary.enter(this.ledger, this.profile, user);
    const call = this.dispatch(regs.orig_eax, boundary.syscallArgs(regs));
    const exitCycles = boundary.exit(this.ledger, this.profile, regs, call.result, !this.exited);
    this.seq++;
    if (this.tracers.length > 0) { // the record is for tracers: untraced runs skip building it
      const rec: CrossingRecord = {
        seq: this.seq, regs, call, entryCycles, exitCycles, cyclesAtEntry, microsAtEntry,
        cyclesAtExit: this.cycles(), microsAtExit: this.nowMicros(), userInstructions,
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
    this.exitStatus ??= status & 0xff;
  }
}

