// Running a guest with a trace recorder attached: the dump's header, records and end.
import { runGuest, type RunOptions } from '../emulator/machine.js';
import { TRACE_FORMAT, TRACE_VERSION, TraceRecorder, type Trace } from './dump.js';

export async function recordTrace(file: Uint8Array, name: string, o: RunOptions): Promise<{ trace: Trace; exitCode: number }> {
  const recorder = new TraceRecorder();
  const r = await runGuest(file, name, {
    ...o, tracers: [...(o.tracers ?? []), recorder],
    onLoad: (m) => { recorder.context = (eip) => m.trapContext(eip); o.onLoad?.(m); },
  });
  return {
    exitCode: r.exitCode,
    trace: {
      header: { format: TRACE_FORMAT, version: TRACE_VERSION, guest: name, argv: o.argv, platform: o.profile, personality: o.personality.name },
      crossings: recorder.crossings,
      footer: { end: true, outcome: r.outcome, exit_code: r.exitCode, ledger: r.kernel.ledger.toJSON() },
    },
  };
}
