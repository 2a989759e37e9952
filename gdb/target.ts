// A guest under gdb: the stub's DebugTarget, made of a loaded Machine. Each resume runs a
// slice of the guest (emulator/machine.ts debugSlice); `monitor crossing` shows the last
// crossing as the stepper does, `monitor ledger` the cycles so far, `monitor platform` the
// profile. A crossing caught at its entry shows the registers SAVE_ALL would save.
import { trapSite, type Machine, type RunResult } from '../emulator/machine.js';
import { X86_REG } from '../emulator/unicorn.js';
import { TRACE_FORMAT, TRACE_VERSION, TraceRecorder, type CrossingDump, type TraceHeader } from '../trace/dump.js';
import { renderStep, type Totals } from '../trace/stepper.js';
import { decodeArgs } from '../trace/strace.js';
import { formatLedger } from '../trace/summary.js';
import type { DebugTarget, ResumeRequest, StopEvent, Watchpoint } from './stub.js';

const GDB_ORDER = ['EAX', 'ECX', 'EDX', 'EBX', 'ESP', 'EBP', 'ESI', 'EDI', 'EIP', 'EFLAGS', 'CS', 'SS', 'DS', 'ES', 'FS', 'GS'] as const;
const SIGNAL_NUMBERS: Record<string, number> = { SIGTRAP: 5, SIGILL: 4, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGSEGV: 11, SIGXCPU: 24 };

export class MachineTarget implements DebugTarget {
  /** How the guest ended, once it has. */
  result: RunResult | undefined;
  killed = false;
  private readonly header: TraceHeader;
  private last: { x: CrossingDump; index: number; before: Totals } | undefined;
  private readonly totals: Totals = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  private crossings = 0;
  private catching: ResumeRequest['catchSyscalls'] = null;
  private readonly breakpoints = new Set<number>();
  private watchpoints: Watchpoint[] = [];

  constructor(private readonly m: Machine, argv: string[]) {
    this.header = { format: TRACE_FORMAT, version: TRACE_VERSION, guest: argv[0], argv, platform: m.kernel.profile, personality: m.kernel.personality.name };
    const recorder = new TraceRecorder((x) => {
      this.last = { x, index: this.crossings++, before: { ...this.totals } };
      this.totals.entry += x.cost.entry; this.totals.dispatch += x.cost.dispatch; this.totals.handler += x.cost.handler; this.totals.exit += x.cost.exit;
    });
    recorder.site = trapSite;
    m.kernel.tracers.push(recorder);
    m.debugBegin();
    m.catchCrossing = (nr) => this.catching === 'all' || (this.catching !== null && this.catching.has(nr));
  }

  readRegisters(): number[] {
    return GDB_ORDER.map((r) => this.m.readRegister(X86_REG[r]));
  }

  writeRegister(name: string, value: number): boolean {
    const reg = X86_REG[name.toUpperCase() as keyof typeof X86_REG];
    if (reg === undefined || this.result) return false;
    try {
      this.m.writeRegister(reg, value);
      return true;
    } catch {
      return false;
    }
  }

  origEax(): number {
    return this.m.pendingCrossing ?? -1;
  }

  readMemory(address: number, length: number): Uint8Array | null {
    if (this.result) return null;
    const bytes = new Uint8Array(length);
    return this.m.uc.memReadInto(address, bytes) === 0 ? bytes : null;
  }

  writeMemory(address: number, bytes: Uint8Array): boolean {
    if (this.result) return false;
    // Like ptrace's POKE: protection aside, but only where memory is mapped. Code written
    // this way must not run from a stale translation.
    if (this.m.uc.memWrite(address, bytes) !== 0) return false;
    try {
      this.m.forgetCode(address, address + bytes.length);
    } catch {
      // Not code Unicorn has translated (the stack, data): nothing to drop.
    }
    return true;
  }

  resume(r: ResumeRequest): StopEvent {
    if (this.result) return this.ended(this.result);
    this.catching = r.catchSyscalls;
    this.sync(r);
    const s = this.m.debugSlice({ step: r.step, timeoutMicros: r.budgetMs * 1000 });
    if (s.ended) {
      this.result = s.ended;
      return this.ended(s.ended);
    }
    const e = s.event;
    if (!e) return { kind: 'running' };
    switch (e.kind) {
      case 'step': return { kind: 'trap', breakpoint: false };
      case 'breakpoint': return { kind: 'trap', breakpoint: true };
      case 'watch': return { kind: 'watch', type: e.type, address: e.address };
      default: return { kind: e.kind, nr: e.nr };
    }
  }

  /** Brings the machine's breakpoints and watchpoints in line with gdb's. */
  private sync(r: ResumeRequest): void {
    for (const a of this.breakpoints) if (!r.breakpoints.has(a)) { this.m.setBreakpoint(a, false); this.breakpoints.delete(a); }
    for (const a of r.breakpoints) if (!this.breakpoints.has(a)) { this.m.setBreakpoint(a, true); this.breakpoints.add(a); }
    const key = (w: Watchpoint) => `${w.kind}:${w.address}:${w.length}`;
    const want = new Set(r.watchpoints.map(key));
    for (const w of this.watchpoints) if (!want.has(key(w))) this.m.setWatchpoint(w.kind, w.address, w.length, false);
    const have = new Set(this.watchpoints.map(key));
    for (const w of r.watchpoints) if (!have.has(key(w))) this.m.setWatchpoint(w.kind, w.address, w.length, true);
    this.watchpoints = [...r.watchpoints];
  }

  private ended(r: RunResult): StopEvent {
    if (r.outcome.kind === 'exited') return { kind: 'exited', status: r.outcome.status };
    return { kind: 'signaled', signal: r.outcome.kind === 'limit' ? SIGNAL_NUMBERS.SIGXCPU : SIGNAL_NUMBERS[r.outcome.signal] ?? 11 };
  }

  monitor(command: string): string | undefined {
    const k = this.m.kernel;
    switch (command) {
      case 'crossing': {
        const lines: string[] = [];
        if (this.m.pendingCrossing !== undefined) {
          const nr = this.m.pendingCrossing;
          const spec = k.personality.table.get(nr);
          const r = this.readRegisters();
          const args = [r[3], r[1], r[2], r[6], r[7], r[5]]; // ebx, ecx, edx, esi, edi, ebp: the i386 ABI
          const rec = { nr, name: spec?.name ?? `syscall_${nr}`, args, result: 0, depth: 0, dispatchCycles: 0, handlerCycles: 0,
            bytesIn: 0, bytesOut: 0, blockedMicros: 0, sub: [], spec };
          const shown = decodeArgs(rec, k.mem, 'in').slice(0, spec?.args.length ?? 6).map((v, i) => v ?? `0x${(args[i] >>> 0).toString(16)}`);
          lines.push(`at the entry of crossing ${this.crossings + 1} (eax=${nr}); the kernel has not run it yet:`,
            `  ${rec.name}(${shown.join(', ')})`,
            `  entry will cost ${k.profile.boundary.entry_cycles} cycles (trap and SAVE_ALL), exit ${k.profile.boundary.exit_cycles} (RESTORE_ALL and iret)`, '');
        }
        if (this.last) lines.push('the last crossing:', renderStep({ header: this.header, count: this.crossings }, this.last.index, this.last.x, this.last.before));
        else if (!lines.length) lines.push('no crossing yet');
        return lines.join('\n') + '\n';
      }
      case 'ledger':
        k.syncUser(k.ledger.instructions);
        return `${formatLedger(k.ledger, k.profile, k.personality.name)}\n`;
      case 'platform':
        return `${k.profile.name}: ${k.profile.description}\n${JSON.stringify(k.profile, null, 2)}\n`;
      case 'help':
        return 'monitor crossing   the crossing being made or the last one, as `syscluster step` shows it\nmonitor ledger     the cycles so far, by part\nmonitor platform   the platform profile in use\n';
      default:
        return undefined;
    }
  }

  kill(): void {
    if (this.result) return;
    this.killed = true;
    this.m.debugKill();
  }
}
