// Trace dumps: one JSON record per kernel crossing, in a versioned JSON Lines format
// (docs/trace-format.md). The recorder is a tracer; the reader checks what it reads and
// names the line of anything wrong.
import type { PlatformProfile } from '../kernel-model/cost.js';
import { errnoName, isError } from '../kernel-model/errno.js';
import type { CrossingRecord, Kernel, SyscallRecord, Tracer } from '../kernel-model/kernel.js';
import type { PtRegs } from '../kernel-model/boundary.js';
import { decodeArgs } from './strace.js';
import { UserError } from '../kernel-model/limits.js';

export const TRACE_FORMAT = 'syscluster-trace';
export const TRACE_VERSION = 1;

export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: number;
  guest: string;
  argv: string[];
  platform: PlatformProfile;
  personality: string;
  /** The executable the run came from (absolute path and SHA-256 of its bytes), so analysis can read it. */
  binary?: { path: string; sha256: string };
}

export interface CallRecord {
  nr: number;
  name: string;
  args: number[];
  decoded: string[];
  result: number;
  errno?: string;
  cost: { dispatch: number; handler: number };
  bytes: { in: number; out: number };
  blocked_us: number;
  sub?: CallRecord[];
}

export interface CrossingDump {
  seq: number;
  cycles: { entry: number; exit: number };
  time_us: { entry: number; exit: number };
  user_instructions: number;
  eip: number;
  disasm: { address: number; text: string; trap: boolean }[];
  pt_regs: PtRegs;
  call: CallRecord;
  cost: { entry: number; dispatch: number; handler: number; exit: number };
}

export interface TraceFooter {
  end: true;
  outcome: unknown;
  exit_code: number;
  ledger: ReturnType<Kernel['ledger']['toJSON']>;
}

export interface Trace {
  header: TraceHeader;
  crossings: CrossingDump[];
  footer?: TraceFooter;
}

function callRecord(rec: SyscallRecord, decoded: Map<SyscallRecord, string[]>): CallRecord {
  const c: CallRecord = {
    nr: rec.nr, name: rec.name, args: rec.args.slice(0, rec.spec ? rec.spec.args.length : 6).map((a) => a >>> 0),
    decoded: (decoded.get(rec) ?? []).filter((d) => d !== undefined), result: rec.result,
    cost: { dispatch: rec.dispatchCycles, handler: rec.handlerCycles }, bytes: { in: rec.bytesIn, out: rec.bytesOut },
    blocked_us: rec.blockedMicros,
  };
  if (isError(rec.result)) c.errno = errnoName(-rec.result);
  if (rec.sub.length) c.sub = rec.sub.map((s) => callRecord(s, decoded));
  return c;
}

/** Sums a call's cost with its batch entries'. */
export const callCost = (c: CallRecord): { dispatch: number; handler: number } => (c.sub ?? []).reduce(
  (t, s) => { const x = callCost(s); return { dispatch: t.dispatch + x.dispatch, handler: t.handler + x.handler }; },
  { ...c.cost });

/** Records every crossing as a dump record. */
export class TraceRecorder implements Tracer {
  readonly crossings: CrossingDump[] = [];
  private readonly decoded = new Map<SyscallRecord, string[]>();
  /** Set by the machine once loaded: the instructions around a trap. */
  context: (eip: number) => CrossingDump['disasm'] = () => [];

  before(rec: SyscallRecord, k: Kernel): void {
    this.decoded.set(rec, decodeArgs(rec, k.mem, 'in'));
  }

  syscall(rec: SyscallRecord, k: Kernel): void {
    this.decoded.set(rec, decodeArgs(rec, k.mem, 'out', this.decoded.get(rec) ?? []));
  }

  crossing(rec: CrossingRecord): void {
    const call = callRecord(rec.call, this.decoded);
    const cost = callCost(call);
    this.crossings.push({
      seq: rec.seq, cycles: { entry: rec.cyclesAtEntry, exit: rec.cyclesAtExit },
      time_us: { entry: rec.microsAtEntry, exit: rec.microsAtExit }, user_instructions: rec.userInstructions,
      eip: rec.regs.eip - 2, disasm: this.context(rec.regs.eip), pt_regs: { ...rec.regs }, call,
      cost: { entry: rec.entryCycles, dispatch: cost.dispatch, handler: cost.handler, exit: rec.exitCycles },
    });
    this.decoded.clear();
  }
}

export function toJsonl(t: Trace): string {
  return [t.header, ...t.crossings, ...(t.footer ? [t.footer] : [])].map((r) => JSON.stringify(r)).join('\n') + '\n';
}

export class TraceError extends UserError {}

/** Reads a dump, checking the header, the version and each record; errors name the line. */
export function parseTrace(text: string, name: string): Trace {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const fail = (line: number, why: string): never => { throw new TraceError(`${name}:${line}: ${why}`); };
  const json = (i: number): any => {
    try {
      return JSON.parse(lines[i]);
    } catch {
      return fail(i + 1, i === lines.length - 1 ? 'truncated record (the dump ends in the middle of a line)' : 'not a JSON record');
    }
  };
  if (lines.length === 0) fail(1, 'empty file, not a trace dump');
  const header = json(0);
  if (header?.format !== TRACE_FORMAT) fail(1, `not a syscluster trace dump (no "format": "${TRACE_FORMAT}" header)`);
  if (!Number.isInteger(header.version) || header.version > TRACE_VERSION) {
    fail(1, `trace format version ${header.version} is newer than this syscluster reads (${TRACE_VERSION})`);
  }
  const crossings: CrossingDump[] = [];
  let footer: TraceFooter | undefined;
  for (let i = 1; i < lines.length; i++) {
    const r = json(i);
    if (r?.end === true) { footer = r; if (i !== lines.length - 1) fail(i + 2, 'records after the end record'); break; }
    if (!Number.isInteger(r?.seq) || typeof r?.call?.name !== 'string' || !r?.cost) fail(i + 1, 'not a crossing record');
    crossings.push(r);
  }
  if (!footer) fail(lines.length + 1, 'truncated dump: no end record (was the trace cut short?)');
  return { header, crossings, footer };
}
