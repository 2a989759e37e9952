// The cost model: pure functions from events to cycles. Nothing here reads the clock,
// the guest or the host; a platform profile (platforms/*.json) supplies every constant.

export interface PlatformProfile {
  name: string;
  description: string;
  /** Set by resolveProfile: the entry path and mitigations this profile was resolved for. */
  variant?: string;
  /** Set by resolveProfile: dispatch_cycles before a retpoline was added. */
  resolvedBaseDispatch?: number;
  /** Core clock, for converting cycles to simulated time. */
  clock_mhz: number;
  user: {
    /** Cycles charged per guest instruction executed in user mode. */
    cycles_per_instruction: number;
    /** Cycles charged for each rdtsc, on top of its instruction. */
    rdtsc_extra_cycles: number;
  };
  boundary: {
    /** Trap (int 0x80) and SAVE_ALL, up to the jump through sys_call_table. */
    entry_cycles: number;
    /** RESTORE_ALL and iret. */
    exit_cycles: number;
    /** Page-table isolation: a CR3 write at entry and another at exit (0 without PTI). */
    cr3_switch_cycles: number;
  };
  /** The sys_call_table lookup and call, per syscall dispatched (also per multi-call entry). */
  dispatch_cycles: number;
  copy: {
    from_user_cycles_per_byte: number;
    to_user_cycles_per_byte: number;
  };
  /** Per-syscall handler base cost; `default` covers calls not listed. */
  handler_cycles: Record<string, number>;
  multicall: {
    /** The multi-call stub's own work per crossing (loop set-up, count check). */
    base_cycles: number;
    /** Reading one 16-byte sys_params entry and its parameter pointers from user memory. */
    per_entry_cycles: number;
  };
  specialized: {
    /** A specialized call's own work per crossing (no per-entry marshalling). */
    base_cycles: number;
    /** Saved per step by inlining the constituent handlers (value-specialized calls). */
    inlined_step_saving_cycles: number;
  };
  batch: {
    /**
     * Handler work saved by each call after the first inside one crossing (multi-call
     * entries, specialized steps): the kernel's path and the file's structures are
     * already hot. Fitted to the paper's Table 3.
     */
    warm_step_saving_cycles: number;
  };
  /**
   * Switching the CPU from one process to another (lmbench lat_ctx's 2p/0K figure):
   * charged to the process switched in. Optional in a profile's file (0 when absent).
   */
  context_switch_cycles?: number;
  timer: {
    /** Timer frequency for rounding sleeps to jiffies (Linux 2.4 on i386: 100). */
    hz: number;
  };
  /**
   * Optional: the ways in and out of the kernel, each costed on its own (docs/mechanisms.md).
   * Without it, every crossing costs `boundary`'s figures. With it, `boundary` holds the
   * figures of the path and mitigations selected (resolveProfile writes them there).
   */
  entry_paths?: Record<EntryPath, { entry_cycles: number; exit_cycles: number }>;
  /**
   * Optional: the costs of the 2018 mitigations on this machine, and which are on. Round-trip
   * figures (entry and exit together): resolveProfile splits each between entry and exit.
   */
  mitigations?: {
    pti: PtiMode;
    spectre_v2: SpectreV2Mode;
    /** KPTI with PCID: two CR3 writes a crossing, no TLB flush. */
    pti_pcid_cycles: number;
    /** KPTI without PCID: two CR3 writes a crossing, and the TLB refilled after each. */
    pti_nopcid_cycles: number;
    /** IBRS: the SPEC_CTRL MSR written at entry and at exit. */
    ibrs_cycles: number;
    /** Retpolines: the indirect call through sys_call_table (and its neighbours) made unpredictable, per dispatch. */
    retpoline_cycles: number;
  };
  /**
   * Optional: the indirect cost of a crossing (Soares and Stumm, FlexSC, OSDI 2010): the user
   * code after a crossing runs at a lower IPC while caches, TLB and predictors refill. The
   * i-th user instruction after a crossing costs `peak_cycles_per_instruction * e^(-i/decay_instructions)`
   * extra cycles.
   */
  indirect?: {
    peak_cycles_per_instruction: number;
    decay_instructions: number;
  };
  /**
   * Optional: exception-less calls (Soares and Stumm, FlexSC, OSDI 2010; kernel-model/sys/flexsc.ts).
   * Without it the machine has no second core for the kernel worker and flexsc_register
   * refuses (EOPNOTSUPP).
   */
  flexsc?: {
    /** The worker's own work per entry on its core: finding it, reading it, writing status and result. */
    worker_entry_cycles: number;
    /** On the program's core, per entry: its cache line fetched back from the worker's core (the result). */
    line_transfer_cycles: number;
  };
  sources: Record<string, string>;
}

export const ENTRY_PATHS = ['int80', 'sysenter'] as const;
export type EntryPath = typeof ENTRY_PATHS[number];
export const PTI_MODES = ['off', 'pcid', 'nopcid'] as const;
export type PtiMode = typeof PTI_MODES[number];
export const SPECTRE_V2_MODES = ['off', 'retpoline', 'ibrs'] as const;
export type SpectreV2Mode = typeof SPECTRE_V2_MODES[number];

export interface CrossingChoice {
  path?: EntryPath;
  pti?: PtiMode;
  spectre_v2?: SpectreV2Mode;
}

/** What the selected mitigations add to one round trip, split as resolveProfile charges it. */
export function mitigationCycles(p: PlatformProfile, pti: PtiMode, spectre: SpectreV2Mode): { entry: number; exit: number; dispatch: number } {
  const m = p.mitigations;
  if (!m) return { entry: 0, exit: 0, dispatch: 0 };
  const pageTables = pti === 'pcid' ? m.pti_pcid_cycles : pti === 'nopcid' ? m.pti_nopcid_cycles : 0;
  const ibrs = spectre === 'ibrs' ? m.ibrs_cycles : 0;
  // CR3 and SPEC_CTRL are written once on the way in and once on the way out: half each way.
  const half = (pageTables + ibrs) / 2;
  return { entry: half, exit: half, dispatch: spectre === 'retpoline' ? m.retpoline_cycles : 0 };
}

/**
 * The profile as the kernel charges it for one choice of entry path and mitigations
 * (defaults: int 0x80 and the profile's own settings). Pure: returns a new profile whose
 * `boundary` and `dispatch_cycles` carry the chosen costs, `cr3_switch_cycles` folded in.
 * A profile without `entry_paths` or `mitigations` comes back unchanged for those parts.
 */
export function resolveProfile(p: PlatformProfile, choice: CrossingChoice = {}): PlatformProfile {
  if (!p.entry_paths && !p.mitigations) return p;
  const path = choice.path ?? 'int80';
  const base = p.entry_paths?.[path] ?? { entry_cycles: p.boundary.entry_cycles, exit_cycles: p.boundary.exit_cycles };
  const pti = choice.pti ?? p.mitigations?.pti ?? 'off';
  const spectre = choice.spectre_v2 ?? p.mitigations?.spectre_v2 ?? 'off';
  const add = mitigationCycles(p, pti, spectre);
  const suffix = [path !== 'int80' ? path : '', pti !== 'off' ? `pti-${pti}` : '', spectre !== 'off' ? spectre : ''].filter(Boolean).join('+');
  return {
    ...p,
    variant: suffix || 'int80',
    boundary: {
      entry_cycles: base.entry_cycles + add.entry,
      exit_cycles: base.exit_cycles + add.exit,
      cr3_switch_cycles: 0,
    },
    dispatch_cycles: (p.resolvedBaseDispatch ?? p.dispatch_cycles) + add.dispatch,
    resolvedBaseDispatch: p.resolvedBaseDispatch ?? p.dispatch_cycles,
    mitigations: p.mitigations && { ...p.mitigations, pti, spectre_v2: spectre },
  };
}

/**
 * The extra cycles the first `n` user instructions after a crossing cost (the sum of the
 * decaying penalty over them): peak * (1 - r^n) / (1 - r), r = e^(-1/decay).
 */
export function indirectCycles(p: PlatformProfile, n: number): number {
  const ind = p.indirect;
  if (!ind || n <= 0 || ind.peak_cycles_per_instruction === 0) return 0;
  if (ind.decay_instructions === 0) return 0;
  const r = Math.exp(-1 / ind.decay_instructions);
  return ind.peak_cycles_per_instruction * (1 - Math.pow(r, n)) / (1 - r);
}

/**
 * What merging the user stretches `gaps` (the instructions before each of the calls of a
 * cluster, each stretch following a crossing) into one stretch saves in indirect cost:
 * the penalty is paid once, after one crossing, instead of after each.
 */
export function indirectMergeSaving(p: PlatformProfile, gaps: number[]): number {
  const apart = gaps.reduce((a, g) => a + indirectCycles(p, g), 0);
  return apart - indirectCycles(p, gaps.reduce((a, g) => a + g, 0));
}

/** Where the cycles of one crossing went. */
export interface CrossingCost {
  entry: number;
  dispatch: number;
  handler: number;
  exit: number;
}

export const entryCycles = (p: PlatformProfile) => p.boundary.entry_cycles + p.boundary.cr3_switch_cycles;
export const exitCycles = (p: PlatformProfile) => p.boundary.exit_cycles + p.boundary.cr3_switch_cycles;

export const copyCycles = (p: PlatformProfile, bytesIn: number, bytesOut: number) =>
  bytesIn * p.copy.from_user_cycles_per_byte + bytesOut * p.copy.to_user_cycles_per_byte;

// Calls that do another's work at an explicit offset (Linux runs both through vfs_read and
// vfs_write): without a figure of their own they cost what the call they extend costs, so
// a program (or io_uring) that reads at an offset is not priced at the default instead.
const PRICED_AS: Record<string, string> = { pread64: 'read', pwrite64: 'write' };

export function handlerCycles(p: PlatformProfile, name: string, bytesIn: number, bytesOut: number): number {
  const base = p.handler_cycles[name] ?? p.handler_cycles[PRICED_AS[name]] ?? p.handler_cycles.default;
  return base + copyCycles(p, bytesIn, bytesOut);
}

export function userCycles(p: PlatformProfile, instructions: number, rdtscs: number): number {
  return instructions * p.user.cycles_per_instruction + rdtscs * p.user.rdtsc_extra_cycles;
}

/**
 * What running `calls` calls under one crossing saves against running them one crossing
 * each, in cycles, by the same rules the kernel model charges: every call after the first
 * no longer crosses (entry + exit) and runs warm; a multi-call pays its own work and the
 * marshalling of each entry (the 16-byte entry, about two words of parameter pointers and
 * values in, the result out), a specialized call its base cost. A looped call is a
 * specialized call whose calls are every iteration's.
 */
export function clusterSavingCycles(p: PlatformProfile, calls: number, kind: 'multicall' | 'specialized'): number {
  const later = (calls - 1) * (entryCycles(p) + exitCycles(p) + p.batch.warm_step_saving_cycles);
  if (kind === 'specialized') return later - p.specialized.base_cycles;
  const marshal = calls * (p.multicall.per_entry_cycles + (16 + 8) * p.copy.from_user_cycles_per_byte + 4 * p.copy.to_user_cycles_per_byte);
  return later - p.multicall.base_cycles - marshal;
}

export const cyclesToMicros = (p: PlatformProfile, cycles: number) => cycles / p.clock_mhz;

/**
 * How long a sleep of `micros` really blocks. With `jiffies` set, Linux 2.4's rounding:
 * the timeout is rounded up to whole ticks (plus the partial tick already running,
 * which schedule_timeout adds), so the guest wakes on a tick boundary.
 */
export function blockedMicros(p: PlatformProfile, micros: number, nowMicros: number, jiffies: boolean): number {
  if (!jiffies || micros === 0) return micros;
  const tick = 1_000_000 / p.timer.hz;
  const ticks = Math.ceil(micros / tick);
  const wake = (Math.floor(nowMicros / tick) + ticks + 1) * tick;
  return wake - nowMicros;
}

/**
 * Cycle constants are kept to a thousandth of a cycle: the ledger accumulates charges in
 * milli-cycles, whole numbers, so a sum never drifts (0.1 + 0.2 is exact here).
 */
export const MILLI_PER_CYCLE = 1000;
const milli = (cycles: number) => Math.round(cycles * MILLI_PER_CYCLE);

export type LedgerPart = 'user' | 'entry' | 'dispatch' | 'handler' | 'exit' | 'indirect' | 'switchCycles';

/**
 * The running account of one guest run. Charges may be fractional (1.5 cycles a byte,
 * 0.4 a user instruction); the ledger adds them exactly and rounds once, as a cycle
 * counter does: the counter shows the whole cycles of the exact sum, and each charge is
 * credited with the whole cycles the counter moved while it was made. So every part is
 * a whole number and the parts add up to the total, in any printout of the ledger or of
 * a crossing.
 */
export class Ledger {
  userCycles = 0;
  entry = 0;
  dispatch = 0;
  handler = 0;
  exit = 0;
  /** The indirect cost of crossings: user code slowed while caches and TLB refill (profile.indirect). */
  indirect = 0;
  /** Work an io_uring SQPOLL thread did on its own core: not part of this core's total. */
  sqpollCycles = 0;
  blockedMicros = 0;
  crossings = 0;
  syscalls = 0;
  instructions = 0;
  /** Context switches into the process (or processes) this ledger covers, and their cost. */
  switches = 0;
  switchCycles = 0;
  /** The exact sum of every charge, in milli-cycles. */
  private exactMilli = 0;
  /** The exact user work charged so far, in milli-cycles. */
  private userMilli = 0;
  /** The exact indirect cost charged so far, in milli-cycles. */
  private indirectMilli = 0;

  /** Adds `cycles` to one part; returns the whole cycles the counter moved. */
  charge(part: LedgerPart, cycles: number): number {
    return this.add(part, milli(cycles));
  }

  /** Brings user work up to `cycles` in all (user work is counted, not charged piecemeal). */
  setUser(cycles: number): number {
    const target = milli(cycles);
    const moved = this.add('user', target - this.userMilli);
    this.userMilli = target;
    return moved;
  }

  /** Brings the indirect cost up to `cycles` in all (profile.indirect; Kernel.syncUser). */
  setIndirect(cycles: number): number {
    const target = milli(cycles);
    const moved = this.add('indirect', target - this.indirectMilli);
    this.indirectMilli = target;
    return moved;
  }

  /**
   * Moves whole cycles already charged to dispatch and handler work onto another core (an
   * io_uring SQPOLL thread's): they leave this core's parts and total.
   */
  moveToSqpoll(dispatch: number, handler: number): void {
    this.dispatch -= dispatch;
    this.handler -= handler;
    this.exactMilli -= (dispatch + handler) * MILLI_PER_CYCLE;
    this.sqpollCycles += dispatch + handler;
  }

  private add(part: LedgerPart, m: number): number {
    const before = Math.floor(this.exactMilli / MILLI_PER_CYCLE);
    this.exactMilli += m;
    const whole = Math.floor(this.exactMilli / MILLI_PER_CYCLE) - before;
    if (part === 'user') this.userCycles += whole;
    else this[part] += whole;
    return whole;
  }

  get kernelCycles(): number {
    return this.entry + this.dispatch + this.handler + this.exit + this.switchCycles;
  }

  /** Whole cycles: the exact sum, rounded down once. Always the sum of the parts. */
  get totalCycles(): number {
    return this.userCycles + this.indirect + this.kernelCycles;
  }

  toJSON() {
    return {
      instructions: this.instructions,
      cycles: {
        user: this.userCycles, entry: this.entry, dispatch: this.dispatch,
        handler: this.handler, exit: this.exit, ...(this.indirect ? { indirect: this.indirect } : {}), total: this.totalCycles,
      },
      ...(this.sqpollCycles ? { sqpoll_core_cycles: this.sqpollCycles } : {}),
      blocked_us: this.blockedMicros,
      crossings: this.crossings,
      syscalls: this.syscalls,
      ...(this.switches > 0 ? { switches: this.switches, switch_cycles: this.switchCycles } : {}),
    };
  }
}
