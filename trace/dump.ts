// Trace dumps: one JSON record per kernel crossing, in a versioned JSON Lines format
// (docs/trace-format.md). The recorder is a tracer; the reader checks what it reads and
// names the line of anything wrong.
import type { PlatformProfile } from '../kernel-model/cost.js';
import { errnoName, isError } from '../kernel-model/errno.js';
import type { CrossingRecord, Kernel, SyscallRecord, Tracer } from '../kernel-model/kernel.js';
import type { PtRegs, UserRegs } from '../kernel-model/boundary.js';
import fs from 'node:fs';
import { PT_REGS_ORDER } from '../kernel-model/boundary.js';
import { decodeArgs } from './strace.js';
import { BufferedWriter, LineTooLong, MAX_LINE, forEachLine, lastLine, type Source } from './lines.js';
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
  /** The first process's pid (records of older dumps without a pid belong to it; absent: FIRST_PID). */
  pid?: number;
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
  /** The process that trapped, and the context switches of the whole run before the crossing ended. */
  pid: number;
  switches: number;
  cycles: { entry: number; exit: number };
  time_us: { entry: number; exit: number };
  user_instructions: number;
  eip: number;
  disasm: { address: number; text: string; trap: boolean }[];
  pt_regs: PtRegs;
  call: CallRecord;
  cost: { entry: number; dispatch: number; handler: number; exit: number };
  /** Present (false) only for a crossing that never returned to user mode: no RESTORE_ALL, no iret. */
  returns?: false;
  /**
   * Present only when the call rewrote the frame (sigreturn, rt_sigreturn): the registers
   * RESTORE_ALL and iret take back to user mode. Otherwise they are pt_regs as written.
   */
  exit_regs?: PtRegs;
}

/** The first pid of a run when the header names none (the kernel model's default). */
export const FIRST_PID = 1000;

/** The registers at entry, as the trap and SAVE_ALL left them: eax still holds the call number. */
export const entryRegs = (x: CrossingDump): PtRegs => ({ ...x.pt_regs, eax: x.pt_regs.orig_eax });

/** The registers at exit, as RESTORE_ALL and iret take them back (eax: the result); undefined for a call that does not return. */
export const exitRegs = (x: CrossingDump): PtRegs | undefined => (x.returns === false ? undefined : x.exit_regs ?? x.pt_regs);

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

/** Records every crossing as a dump record, handing each to `sink` as it is made. */
export class TraceRecorder implements Tracer {
  private readonly decoded = new Map<SyscallRecord, string[]>();
  /** Set by the machine once loaded: the instructions around a trap. */
  context: (eip: number) => CrossingDump['disasm'] = () => [];
  count = 0;
  constructor(private readonly sink: (x: CrossingDump) => void) {}

  before(rec: SyscallRecord, k: Kernel): void {
    this.decoded.set(rec, decodeArgs(rec, k.mem, 'in'));
  }

  syscall(rec: SyscallRecord, k: Kernel): void {
    this.decoded.set(rec, decodeArgs(rec, k.mem, 'out', this.decoded.get(rec) ?? []));
  }

  crossing(rec: CrossingRecord, k: Kernel): void {
    const call = callRecord(rec.call, this.decoded);
    const cost = callCost(call);
    this.count++;
    const x: CrossingDump = {
      seq: rec.seq, pid: rec.pid, switches: rec.switches, cycles: { entry: rec.cyclesAtEntry, exit: rec.cyclesAtExit },
      time_us: { entry: rec.microsAtEntry, exit: rec.microsAtExit }, user_instructions: rec.userInstructions,
      eip: rec.regs.eip - 2, disasm: this.context(rec.regs.eip), pt_regs: { ...rec.regs }, call,
      cost: { entry: rec.entryCycles, dispatch: cost.dispatch, handler: cost.handler, exit: rec.exitCycles },
    };
    // The kernel charges no exit to a process that ended in the call (Kernel.crossing): the same test.
    if (k.exited) x.returns = false;
    else {
      // sigreturn hands back a whole saved context: those are the registers the return takes.
      const next = k.proc.pid === rec.pid ? k.proc.pendingRegs : undefined;
      if (next) x.exit_regs = frameWith(rec.regs, next);
    }
    this.sink(x);
    this.decoded.clear();
  }
}

/** A frame with user registers put in it (as restore_sigcontext writes pt_regs). */
function frameWith(regs: PtRegs, u: Partial<UserRegs>): PtRegs {
  const f = { ...regs };
  for (const r of ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'eax', 'eip', 'eflags', 'esp'] as const) if (u[r] !== undefined) f[r] = u[r]! >>> 0;
  if (u.ds !== undefined) f.xds = u.ds;
  if (u.es !== undefined) f.xes = u.es;
  if (u.cs !== undefined) f.xcs = u.cs;
  if (u.ss !== undefined) f.xss = u.ss;
  return f;
}

const q = JSON.stringify;

const regsJson = (r: PtRegs): string => `{"ebx":${r.ebx},"ecx":${r.ecx},"edx":${r.edx},"esi":${r.esi},"edi":${r.edi},"ebp":${r.ebp},"eax":${r.eax},"xds":${r.xds},"xes":${r.xes},`
  + `"orig_eax":${r.orig_eax},"eip":${r.eip},"xcs":${r.xcs},"eflags":${r.eflags},"esp":${r.esp},"xss":${r.xss}}`;

function callJson(c: CallRecord): string {
  let s = `{"nr":${c.nr},"name":${q(c.name)},"args":[${c.args.join(',')}],"decoded":[${c.decoded.map((d) => q(d)).join(',')}],"result":${c.result},`
    + `"cost":{"dispatch":${c.cost.dispatch},"handler":${c.cost.handler}},"bytes":{"in":${c.bytes.in},"out":${c.bytes.out}},"blocked_us":${c.blocked_us}`;
  if (c.errno !== undefined) s += `,"errno":${q(c.errno)}`;
  if (c.sub) s += `,"sub":[${c.sub.map(callJson).join(',')}]`;
  return s + '}';
}

/**
 * One crossing record as JSON, the same text JSON.stringify gives for the records the
 * recorder makes (finite numbers, this key order), several times faster: a long trace
 * spends most of its time here.
 */
export function crossingJson(x: CrossingDump): string {
  const c = x.cost;
  let d = '';
  for (let i = 0; i < x.disasm.length; i++) {
    const a = x.disasm[i];
    d += `${i ? ',' : ''}{"address":${a.address},"text":${q(a.text)},"trap":${a.trap}}`;
  }
  return `{"seq":${x.seq},"pid":${x.pid},"switches":${x.switches},"cycles":{"entry":${x.cycles.entry},"exit":${x.cycles.exit}},"time_us":{"entry":${x.time_us.entry},"exit":${x.time_us.exit}},`
    + `"user_instructions":${x.user_instructions},"eip":${x.eip},"disasm":[${d}],"pt_regs":${regsJson(x.pt_regs)},`
    + `"call":${callJson(x.call)},"cost":{"entry":${c.entry},"dispatch":${c.dispatch},"handler":${c.handler},"exit":${c.exit}}`
    + `${x.returns === false ? ',"returns":false' : ''}${x.exit_regs ? `,"exit_regs":${regsJson(x.exit_regs)}` : ''}}`;
}

/** A whole trace as JSON Lines (small traces, tests); big ones go through DumpWriter. */
export function toJsonl(t: Trace): string {
  return [t.header, ...t.crossings, ...(t.footer ? [t.footer] : [])].map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** Writes a dump record by record as the run goes: memory stays flat however long the run. */
export class DumpWriter {
  private readonly out: BufferedWriter;
  count = 0;
  constructor(fd: number) {
    this.out = new BufferedWriter(fd);
  }

  header(h: TraceHeader): void {
    this.out.write(JSON.stringify(h) + '\n');
  }

  crossing(x: CrossingDump): void {
    this.count++;
    this.out.write(crossingJson(x) + '\n');
  }

  end(footer: TraceFooter): void {
    this.out.write(JSON.stringify(footer) + '\n');
    this.out.flush();
  }
}

export class TraceError extends UserError {}

/** Batches nest (a multi-call's entries); deeper than this is not a dump of ours. */
export const MAX_NESTING = 16;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isPair = (v: any, a: string, b: string) => v !== null && typeof v === 'object' && isNum(v[a]) && isNum(v[b]);

/** What is wrong with a call record, or undefined; checks every field readers use. */
function callProblem(c: any, depth: number): string | undefined {
  if (c === null || typeof c !== 'object' || Array.isArray(c)) return 'call is not an object';
  if (!Number.isInteger(c.nr)) return 'call.nr is not an integer';
  if (typeof c.name !== 'string' || c.name.length === 0 || c.name.length > 64) return 'call.name is not a call name';
  if (!Array.isArray(c.args) || c.args.length > 6 || !c.args.every(isNum)) return 'call.args is not a list of up to six numbers';
  if (!Array.isArray(c.decoded) || c.decoded.length > 6 || !c.decoded.every((d: unknown) => typeof d === 'string')) return 'call.decoded is not a list of up to six strings';
  if (!isNum(c.result)) return 'call.result is not a number';
  if (c.errno !== undefined && typeof c.errno !== 'string') return 'call.errno is not a string';
  if (!isPair(c.cost, 'dispatch', 'handler')) return 'call.cost is not {dispatch, handler}';
  if (!isPair(c.bytes, 'in', 'out')) return 'call.bytes is not {in, out}';
  if (!isNum(c.blocked_us)) return 'call.blocked_us is not a number';
  if (c.sub !== undefined) {
    if (!Array.isArray(c.sub)) return 'call.sub is not a list';
    if (depth >= MAX_NESTING) return `calls nested more than ${MAX_NESTING} deep`;
    for (const s of c.sub) { const p = callProblem(s, depth + 1); if (p) return p; }
  }
  return undefined;
}

/** What is wrong with a crossing record, or undefined. */
export function recordProblem(r: any): string | undefined {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return 'not a crossing record';
  if (!Number.isInteger(r.seq)) return 'not a crossing record (no integer seq)';
  if (r.pid !== undefined && !(Number.isInteger(r.pid) && r.pid > 0)) return 'pid is not a positive integer';
  if (r.switches !== undefined && !(Number.isInteger(r.switches) && r.switches >= 0)) return 'switches is not a count';
  if (r.returns !== undefined && r.returns !== false) return 'returns is not false (it is present only for a call that does not return)';
  if (r.exit_regs !== undefined && (r.exit_regs === null || typeof r.exit_regs !== 'object' || !PT_REGS_ORDER.every((k) => isNum(r.exit_regs[k])))) return 'exit_regs lacks a register';
  if (!isPair(r.cycles, 'entry', 'exit')) return 'cycles is not {entry, exit}';
  if (!isPair(r.time_us, 'entry', 'exit')) return 'time_us is not {entry, exit}';
  if (!isNum(r.user_instructions)) return 'user_instructions is not a number';
  if (!isNum(r.eip)) return 'eip is not a number';
  if (!Array.isArray(r.disasm) || r.disasm.length > 64 || !r.disasm.every((d: any) => d !== null && typeof d === 'object' && isNum(d.address) && typeof d.text === 'string' && typeof d.trap === 'boolean')) {
    return 'disasm is not a list of {address, text, trap}';
  }
  if (r.pt_regs === null || typeof r.pt_regs !== 'object' || !PT_REGS_ORDER.every((k) => isNum(r.pt_regs[k]))) return 'pt_regs lacks a register';
  if (r.cost === null || typeof r.cost !== 'object' || !['entry', 'dispatch', 'handler', 'exit'].every((k) => isNum(r.cost[k]))) return 'cost is not {entry, dispatch, handler, exit}';
  return callProblem(r.call, 0);
}

function headerProblem(h: any): string | undefined {
  if (typeof h.guest !== 'string') return 'header: guest is not a string';
  if (!Array.isArray(h.argv) || !h.argv.every((s: unknown) => typeof s === 'string')) return 'header: argv is not a list of strings';
  if (h.platform === null || typeof h.platform !== 'object' || typeof h.platform.name !== 'string' || !(isNum(h.platform.clock_mhz) && h.platform.clock_mhz > 0)) {
    return 'header: platform is not a platform profile';
  }
  if (typeof h.personality !== 'string') return 'header: personality is not a string';
  if (h.pid !== undefined && !(Number.isInteger(h.pid) && h.pid > 0)) return 'header: pid is not a positive integer';
  return undefined;
}

function footerProblem(f: any): string | undefined {
  if (!isNum(f.exit_code)) return 'end record: exit_code is not a number';
  const c = f.ledger?.cycles;
  if (c === null || typeof c !== 'object' || !['total', 'entry', 'dispatch', 'handler', 'exit'].every((k) => isNum(c[k]))) return 'end record: ledger.cycles is incomplete';
  if (!isNum(f.ledger.crossings)) return 'end record: ledger.crossings is not a number';
  return undefined;
}

/** Parses a line as JSON, or names the problem. */
function parseLine(text: string, line: number, last: boolean, fail: (line: number, why: string) => never): any {
  try {
    return JSON.parse(text);
  } catch {
    return fail(line, last ? 'truncated record (the dump ends in the middle of a line)' : 'not a JSON record');
  }
}

export interface DumpScan {
  header: TraceHeader;
  footer: TraceFooter;
  crossings: number;
}

/**
 * Reads a dump a record at a time, checking the header, the version and every record;
 * errors name the line. `each` gets each crossing, its line and byte offset; it returns
 * false to stop early (the footer is then not checked).
 */
export function scanDump(fd: Source, name: string, each?: (x: CrossingDump, index: number, offset: number, bytes: number) => boolean | void,
  onHeader?: (h: TraceHeader) => void): DumpScan | undefined {
  const fail = (line: number, why: string): never => { throw new TraceError(`${name}:${line}: ${why}`); };
  let header: TraceHeader | undefined, footer: TraceFooter | undefined, count = 0, lines = 0, stopped = false;
  try {
    forEachLine(fd, (text, line, offset, bytes, complete) => {
      lines = line;
      if (footer) fail(line, 'records after the end record');
      if (text === '' && complete) return; // blank lines are tolerated
      const r = parseLine(text, line, !complete, fail);
      if (!header) {
        header = checkHeader(r, line, fail);
        onHeader?.(header);
        return;
      }
      if (r !== null && typeof r === 'object' && r.end === true) {
        const p = footerProblem(r);
        if (p) fail(line, p);
        footer = r;
        return;
      }
      const p = recordProblem(r);
      if (p) fail(line, p);
      withDefaults(r, header.pid);
      if (each && each(r, count, offset, bytes) === false) { stopped = true; count++; return false; }
      count++;
    });
  } catch (err) {
    if (err instanceof LineTooLong) fail(err.line, `a record longer than ${MAX_LINE >> 20} MiB: not a dump of ours`);
    throw err;
  }
  if (stopped) return undefined;
  if (!header) fail(1, 'empty file, not a trace dump');
  if (!footer) fail(lines + 1, 'truncated dump: no end record (was the trace cut short?)');
  return { header: header!, footer: footer!, crossings: count };
}

function checkHeader(h: any, line: number, fail: (line: number, why: string) => never): TraceHeader {
  if (h?.format !== TRACE_FORMAT) fail(line, `not a syscluster trace dump (no "format": "${TRACE_FORMAT}" header)`);
  if (!Number.isInteger(h.version) || h.version > TRACE_VERSION) {
    fail(line, `trace format version ${h.version} is newer than this syscluster reads (${TRACE_VERSION})`);
  }
  const p = headerProblem(h);
  if (p) fail(line, p);
  return h;
}

/** The header of a dump (its first line), checked; the fd is left open. */
export function readHeader(fd: Source, name: string): { header: TraceHeader; bytes: number } {
  const fail = (line: number, why: string): never => { throw new TraceError(`${name}:${line}: ${why}`); };
  let out: { header: TraceHeader; bytes: number } | undefined;
  try {
    forEachLine(fd, (text, line, _o, bytes, complete) => {
      if (text === '' && complete && !out) { fail(line, 'not a syscluster trace dump (an empty first line)'); }
      out = { header: checkHeader(parseLine(text, line, !complete, fail), line, fail), bytes: bytes + 1 };
      return false;
    });
  } catch (err) {
    if (err instanceof LineTooLong) fail(1, `a header longer than ${MAX_LINE >> 20} MiB: not a dump of ours`);
    throw err;
  }
  if (!out) fail(1, 'empty file, not a trace dump');
  return out!;
}

/** The end record of a dump, read from its end, checked; undefined when the last line is not one. */
export function readFooter(fd: Source, size: number): TraceFooter | undefined {
  const last = lastLine(fd, size);
  if (!last) return undefined;
  try {
    const r = JSON.parse(last.text);
    return r !== null && typeof r === 'object' && r.end === true && !footerProblem(r) ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Parses one crossing line read again by offset (the stepper's random access). */
export function parseRecordLine(text: string, name: string, line: number, firstPid?: number): CrossingDump {
  const fail = (l: number, why: string): never => { throw new TraceError(`${name}:${l}: ${why}`); };
  const r = parseLine(text, line, false, fail);
  const p = recordProblem(r);
  if (p) fail(line, p);
  return withDefaults(r, firstPid);
}

/** A record of a dump made before records carried them: the first process's pid, no switches. */
function withDefaults(r: any, firstPid: number | undefined): CrossingDump {
  if (r.pid === undefined) r.pid = firstPid ?? FIRST_PID;
  if (r.switches === undefined) r.switches = 0;
  return r;
}

/** Reads a whole dump held in a string (small dumps, tests), with the same checks. */
export function parseTrace(text: string, name: string): Trace {
  const crossings: CrossingDump[] = [];
  const scan = scanDump(Buffer.from(text, 'utf8'), name, (x) => { crossings.push(x); })!;
  return { header: scan.header, crossings, footer: scan.footer };
}

/** Reads a whole dump file into memory (small dumps). */
export function readTraceFile(file: string): Trace {
  const fd = fs.openSync(file, 'r');
  try {
    const crossings: CrossingDump[] = [];
    const scan = scanDump(fd, file, (x) => { crossings.push(x); })!;
    return { header: scan.header, crossings, footer: scan.footer };
  } finally {
    fs.closeSync(fd);
  }
}
