// syscluster trace <guest> [args...] --out FILE: a dump of every crossing.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { toJsonl } from '../../trace/dump.js';
import { traceChrome, traceText } from '../../trace/formats.js';
import { recordTrace } from '../../trace/record.js';
import { Xv6Tracer } from '../../trace/xv6.js';
import { hostStdio } from '../../host/stdio.js';
import { guestPositionals, guestRun, writeOutput } from '../common.js';

export const command = 'trace <guest> [args..]';
export const describe = 'Run a guest and write a dump of every kernel crossing (JSON Lines, text, or Chrome/Perfetto)';

export function builder(y: Argv) {
  return guestPositionals(y)
    .options({
      out: { type: 'string', demandOption: true, describe: 'the dump file to write' },
      format: { type: 'string', default: 'jsonl', choices: ['jsonl', 'text', 'chrome', 'xv6'], describe: 'jsonl (docs/trace-format.md), text, chrome (Trace Event format for Perfetto), or xv6 (the trace lab\'s `PID: syscall NAME -> RESULT` lines)' },
    })
    .example('$0 trace copy in.txt out.txt --out copy.jsonl', 'dump every crossing of the copy guest')
    .example('$0 trace copy in.txt out.txt --out copy.json --format chrome', 'open copy.json in ui.perfetto.dev or chrome://tracing')
    .example('$0 trace hello --out hello.trace --format xv6', 'one `1000: syscall write -> 6` line per call, as xv6\'s trace lab grades')
    .example('$0 step copy.jsonl', 'then step through the dump');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  const { guest, options } = guestRun(a, hostStdio);
  const xv6: string[] = [];
  const tracers = a.format === 'xv6' ? [new Xv6Tracer((line) => xv6.push(line))] : [];
  const { trace, exitCode } = await recordTrace(guest.bytes, guest.name, { ...options, tracers });
  trace.header.binary = { path: path.resolve(guest.path), sha256: createHash('sha256').update(guest.bytes).digest('hex') };
  const text = a.format === 'xv6' ? xv6.map((l) => l + '\n').join('')
    : a.format === 'chrome' ? traceChrome(trace) : a.format === 'text' ? traceText(trace) : toJsonl(trace);
  writeOutput(a.out, text);
  process.stderr.write(`syscluster: ${trace.crossings.length} crossings written to ${a.out} (${a.format})\n`);
  process.exitCode = exitCode;
}
