// syscluster trace <guest> [args...] --out FILE: a dump of every crossing, written as
// the run goes (memory stays flat however many crossings).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { DumpWriter } from '../../trace/dump.js';
import { ChromeWriter, TextWriter } from '../../trace/formats.js';
import { BufferedWriter } from '../../trace/lines.js';
import type { TraceSink } from '../../trace/record.js';
import { Xv6Tracer } from '../../trace/xv6.js';
import { hostStdio } from '../../host/stdio.js';
import { guestPositionals, guestRun, openOutput } from '../common.js';

export const command = 'trace <guest> [args..]';
export const describe = 'Run a guest and write a dump of every kernel crossing (JSON Lines, text, or Chrome/Perfetto)';

export function builder(y: Argv) {
  return guestPositionals(y)
    .options({
      out: { type: 'string', demandOption: true, describe: 'the dump file to write (its folder must exist)' },
      format: { type: 'string', default: 'jsonl', choices: ['jsonl', 'text', 'chrome', 'xv6'], describe: 'jsonl (docs/trace-format.md), text, chrome (Trace Event format for Perfetto), or xv6 (the trace lab\'s `PID: syscall NAME -> RESULT` lines)' },
    })
    .example('$0 trace copy in.txt out.txt --out copy.jsonl', 'dump every crossing of the copy guest')
    .example('$0 trace copy in.txt out.txt --out copy.json --format chrome', 'open copy.json in ui.perfetto.dev or chrome://tracing')
    .example('$0 trace hello --out hello.trace --format xv6', 'one `1000: syscall write -> 6` line per call, as xv6\'s trace lab grades')
    .example('$0 trace procs pipe --out procs.jsonl', 'a parent and its child through a pipe: each record names its pid')
    .example('$0 step copy.jsonl', 'then step through the dump');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  const { guest, options } = await guestRun(a, hostStdio);
  // The dump names the binary it came from, so the profiler can check its advice against the code.
  const binary = { path: path.resolve(guest.path), sha256: createHash('sha256').update(guest.bytes).digest('hex') };
  const fd = openOutput(a.out);
  try {
    let sink: TraceSink;
    let flush = () => {};
    let tracers: Xv6Tracer[] = [];
    if (a.format === 'jsonl') sink = new DumpWriter(fd);
    else {
      const out = new BufferedWriter(fd);
      flush = () => out.flush();
      if (a.format === 'xv6') {
        // Lines as each call returns, from a tracer; the dump's records are not written.
        tracers = [new Xv6Tracer((line) => out.write(line + '\n'))];
        sink = { header: () => {}, crossing: () => {}, end: () => {} };
      } else sink = a.format === 'chrome' ? new ChromeWriter((s) => out.write(s)) : new TextWriter((s) => out.write(s));
    }
    // The engine is loaded only by the commands that run guests.
    const { streamTrace } = await import('../../trace/record.js');
    const { exitCode, crossings } = await streamTrace(guest.bytes, guest.name, { ...options, tracers }, {
      header: (h) => sink.header({ ...h, binary }), crossing: (x) => sink.crossing(x), end: (f) => { sink.end(f); flush(); },
    });
    process.stderr.write(`syscluster: ${crossings} crossings written to ${a.out} (${a.format})\n`);
    process.exitCode = exitCode;
  } finally {
    fs.closeSync(fd);
  }
}
