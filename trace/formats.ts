// A trace as text for people, and as Chrome's Trace Event format for Perfetto and
// chrome://tracing: user time and kernel time as spans on one timeline.
import { callCost, type CallRecord, type CrossingDump, type Trace } from './dump.js';

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
    `#${x.seq}  cycles ${x.cycles.entry}..${x.cycles.exit}  time ${(x.cycles.entry / mhz).toFixed(2)} us  user instructions since the last crossing: ${x.user_instructions}`,
    ...x.disasm.map((i) => `${i.trap ? '>' : ' '} ${hex8(i.address)}  ${i.text}`),
    ...callLines(x.call).map((l) => `  ${l}`),
    `  cost: entry ${x.cost.entry}, dispatch ${x.cost.dispatch}, handler ${x.cost.handler}, exit ${x.cost.exit} cycles`,
  ];
}

export function traceText(t: Trace): string {
  const mhz = t.header.platform.clock_mhz;
  const head = `# ${t.header.argv.join(' ')} on ${t.header.platform.name} (${t.header.personality} personality): ${t.crossings.length} crossings`;
  const end = t.footer ? [`# ${JSON.stringify(t.footer.outcome)}; ledger ${JSON.stringify(t.footer.ledger)}`] : [];
  return [head, ...t.crossings.flatMap((x) => [...crossingText(x, mhz), '']), ...end].join('\n') + '\n';
}

interface ChromeEvent {
  name: string; cat?: string; ph: string; ts?: number; dur?: number; pid: number; tid: number; args?: Record<string, unknown>;
}

/**
 * Chrome trace events: timestamps in simulated microseconds (cycles over the clock, plus
 * time blocked). Thread 1 shows user spans and kernel spans; batch entries nest inside
 * their crossing.
 */
export function traceChrome(t: Trace): string {
  const mhz = t.header.platform.clock_mhz;
  const events: ChromeEvent[] = [
    { name: 'process_name', ph: 'M', pid: 1, tid: 1, args: { name: `${t.header.argv.join(' ')} (${t.header.platform.name})` } },
    { name: 'thread_name', ph: 'M', pid: 1, tid: 1, args: { name: 'guest' } },
  ];
  let blocked = 0, lastExit = 0;
  for (const x of t.crossings) {
    const start = x.cycles.entry / mhz + blocked;
    if (start > lastExit) events.push({ name: 'user', cat: 'user', ph: 'X', ts: lastExit, dur: start - lastExit, pid: 1, tid: 1, args: { instructions: x.user_instructions } });
    const callBlocked = (c: CallRecord): number => c.blocked_us + (c.sub ?? []).reduce((a, s) => a + callBlocked(s), 0);
    const thisBlocked = callBlocked(x.call);
    const end = x.cycles.exit / mhz + blocked + thisBlocked;
    events.push({ name: x.call.name, cat: 'kernel', ph: 'X', ts: start, dur: end - start, pid: 1, tid: 1,
      args: { call: callLine(x.call), cost_cycles: x.cost, eip: `0x${hex8(x.eip)}` } });
    // Entries of a batch, laid out after the entry cost, in order.
    let at = start + x.cost.entry / mhz;
    for (const s of x.call.sub ?? []) {
      const c = callCost(s), dur = (c.dispatch + c.handler) / mhz + callBlocked(s);
      events.push({ name: s.name, cat: 'kernel', ph: 'X', ts: at, dur, pid: 1, tid: 1, args: { call: callLine(s) } });
      at += dur;
    }
    blocked += thisBlocked;
    lastExit = end;
  }
  return JSON.stringify({ traceEvents: events, displayTimeUnit: 'ns', otherData: { source: 'syscluster', platform: t.header.platform.name } }) + '\n';
}
