// Running a guest with a trace recorder attached: the dump's header, records and end,
// handed to a sink as the run goes (a file writer keeps memory flat), or kept in memory
// for small runs.
import { runGuest, type RunOptions } from '../emulator/machine.js';
import { FIRST_PID, TRACE_FORMAT, TRACE_VERSION, TraceRecorder, type CrossingDump, type Trace, type TraceFooter, type TraceHeader } from './dump.js';

export interface TraceSink {
  header(h: TraceHeader): void;
  crossing(x: CrossingDump): void;
  end(f: TraceFooter): void;
}

/** Runs the guest, each crossing going to the sink as it happens. */
export async function streamTrace(file: Uint8Array, name: string, o: RunOptions, sink: TraceSink): Promise<{ exitCode: number; crossings: number }> {
  const recorder = new TraceRecorder((x) => sink.crossing(x));
  sink.header({ format: TRACE_FORMAT, version: TRACE_VERSION, guest: name, argv: o.argv, platform: o.profile, personality: o.personality.name, pid: o.pid ?? FIRST_PID });
  const r = await runGuest(file, name, {
    ...o, tracers: [...(o.tracers ?? []), recorder],
    onLoad: (m) => { recorder.context = (eip) => m.trapContext(eip); o.onLoad?.(m); },
  });
  sink.end({ end: true, outcome: r.outcome, exit_code: r.exitCode, ledger: r.kernel.ledger.toJSON() });
  return { exitCode: r.exitCode, crossings: recorder.count };
}

/** A whole trace in memory (small runs and tests). */
export async function recordTrace(file: Uint8Array, name: string, o: RunOptions): Promise<{ trace: Trace; exitCode: number }> {
  const trace: Partial<Trace> & { crossings: CrossingDump[] } = { crossings: [] };
  const { exitCode } = await streamTrace(file, name, o, {
    header: (h) => { trace.header = h; }, crossing: (x) => { trace.crossings.push(x); }, end: (f) => { trace.footer = f; },
  });
  return { trace: trace as Trace, exitCode };
}
