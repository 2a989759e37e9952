// A trace as text for people, and as Chrome's Trace Event format for Perfetto and
// chrome://tracing: user time and kernel time as spans on one timeline.
import { FIRST_PID, callCost, type CallRecord, type CrossingDump, type Trace, type TraceFooter, type TraceHeader } from './dump.js';

/** An address as eight hex digits. */
export const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, '0');

export function callLine(c: CallRecord, depth = 0): string {
  const result = c.errno ? `-1 ${c.errno}` : c.name === 'exit' || c.name === 'exit_group' ? '?' : String(c.result);
  return `${'  '.repeat(depth)}${c.name}(${c.decoded.join(', ')}) = ${result}`;
}

export function callLines(c: CallRecord, depth = 0): string[] {
  return [callLine(c, depth), ...(c.sub ?? []).flatMap((s) => callLines(s, depth + 1))];
}

/** One crossing as a few lines of text. */
export function crossingText(x: CrossingDump, mhz: number): string[] {
  return [
    `#${x.seq}  pid ${x.pid}  cycles ${x.cycles.entry}..${x.cycles.exit}  time ${(x.cycles.entry / mhz).toFixed(2)} us  user instructions since the last crossing: ${x.user_instructions}`,
    ...x.disasm.map((i) => `${i.trap ? '>' : ' '} ${hex8(i.address)}  ${i.text}`),
    ...callLines(x.call).map((l) => `  ${l}`),
    `  cost: entry ${x.cost.entry}, dispatch ${x.cost.dispatch}, handler ${x.cost.handler}, exit ${x.cost.exit} cycles`,
  ];
}

/** The text format, written a crossing at a time. */
export class TextWriter {
  private mhz = 1;
  count = 0;
  constructor(private readonly write: (s: string) => void) {}
  header(h: TraceHeader): void {
    this.mhz = h.platform.clock_mhz;
    this.write(`# ${h.argv.join(' ')} on ${h.platform.name} (${h.personality} personality)\n`);
  }
  crossing(x: CrossingDump): void {
    this.count++;
    this.write([...crossingText(x, this.mhz), ''].join('\n') + '\n');
  }
  end(f: TraceFooter): void {
    this.write(`# ${this.count} crossings; ${JSON.stringify(f.outcome)}; ledger ${JSON.stringify(f.ledger)}\n`);
  }
}

export function traceText(t: Trace): string {
  const parts: string[] = [];
  const w = new TextWriter((s) => parts.push(s));
  w.header(t.header);
  t.crossings.forEach((x) => w.crossing(x));
  if (t.footer) w.end(t.footer);
  return parts.join('');
}

interface ChromeEvent {
  name: string; cat?: string; ph: string; ts?: number; dur?: number; pid: number; tid: number; args?: Record<string, unknown>;
}

const callBlocked = (c: CallRecord): number => {
  let b = c.blocked_us;
  for (const s of c.sub ?? []) b += callBlocked(s);
  return b;
};

/**
 * Chrome trace events, written a crossing at a time: timestamps in simulated
 * microseconds (cycles over the clock, plus time blocked). One track per guest process
 * (Chrome's pid and tid are the guest's pid), named when the process first crosses; each
 * shows its user spans and kernel spans, batch entries nested inside their crossing. The
 * stretch before a crossing goes on that crossing's track; when context switches fell in
 * it, the span is named `switch, user` and says how many.
 */
export class ChromeWriter {
  private mhz = 1;
  private blocked = 0;
  private lastExit = 0;
  private lastSwitches = 0;
  private platform = '';
  private title = '';
  private first = true;
  private readonly named = new Set<number>();
  constructor(private readonly write: (s: string) => void) {}
  private event(e: ChromeEvent): void {
    this.write((this.first ? '' : ',\n') + JSON.stringify(e));
    this.first = false;
  }
  private track(pid: number): void {
    if (this.named.has(pid)) return;
    this.named.add(pid);
    this.event({ name: 'process_name', ph: 'M', pid, tid: pid, args: { name: `pid ${pid}: ${this.title}` } });
    this.event({ name: 'process_sort_index', ph: 'M', pid, tid: pid, args: { sort_index: pid } });
    this.event({ name: 'thread_name', ph: 'M', pid, tid: pid, args: { name: `guest pid ${pid}` } });
  }
  header(h: TraceHeader): void {
    this.mhz = h.platform.clock_mhz;
    this.platform = h.platform.name;
    this.title = `${h.argv.join(' ')} (${h.platform.name})`;
    this.write('{"traceEvents":[\n');
    this.track(h.pid ?? FIRST_PID);
  }
  crossing(x: CrossingDump): void {
    const mhz = this.mhz, pid = x.pid;
    this.track(pid);
    const start = x.cycles.entry / mhz + this.blocked;
    const switched = x.switches - this.lastSwitches;
    if (start > this.lastExit) {
      this.event({ name: switched ? 'switch, user' : 'user', cat: 'user', ph: 'X', ts: this.lastExit, dur: start - this.lastExit, pid, tid: pid,
        args: { instructions: x.user_instructions, ...(switched ? { context_switches: switched } : {}) } });
    }
    const thisBlocked = callBlocked(x.call);
    const end = x.cycles.exit / mhz + this.blocked + thisBlocked;
    this.event({ name: x.call.name, cat: 'kernel', ph: 'X', ts: start, dur: end - start, pid, tid: pid,
      args: { call: callLine(x.call), cost_cycles: x.cost, eip: `0x${hex8(x.eip)}`, seq: x.seq } });
    // Entries of a batch, laid out after the entry cost, in order.
    let at = start + x.cost.entry / mhz;
    for (const s of x.call.sub ?? []) {
      const c = callCost(s), dur = (c.dispatch + c.handler) / mhz + callBlocked(s);
      this.event({ name: s.name, cat: 'kernel', ph: 'X', ts: at, dur, pid, tid: pid, args: { call: callLine(s) } });
      at += dur;
    }
    this.blocked += thisBlocked;
    this.lastExit = end;
    this.lastSwitches = x.switches;
  }
  end(_f: TraceFooter): void {
    this.write(`\n],"displayTimeUnit":"ns","otherData":${JSON.stringify({ source: 'syscluster', platform: this.platform })}}\n`);
  }
}

export function traceChrome(t: Trace): string {
  const parts: string[] = [];
  const w = new ChromeWriter((s) => parts.push(s));
  w.header(t.header);
  t.crossings.forEach((x) => w.crossing(x));
  w.end(t.footer!);
  return parts.join('');
}
