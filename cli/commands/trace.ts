// syscluster trace <guest> [args...] --out FILE: a dump of every crossing.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { toJsonl } from '../../trace/dump.js';
import { traceChrome, traceText } from '../../trace/formats.js';
import { recordTrace } from '../../trace/record.js';
import { hostStdio } from '../../host/stdio.js';
import { guestPositionals, guestRun, writeOutput } from '../common.js';

export const command = 'trace <guest> [args..]';
export const describe = 'Run a guest and write a dump of every kernel crossing (JSON Lines, text, or Chrome/Perfetto)';

export function builder(y: Argv) {
  return guestPositionals(y)
    .options({
      out: { type: 'string', demandOption: true, describe: 'the dump file to write' },
      format: { type: 'string', default: 'jsonl', choices: ['jsonl', 'text', 'chrome'], describe: 'jsonl (docs/trace-format.md), text, or chrome (Trace Event format for Perfetto)' },
    })
    .example('$0 trace copy in.txt out.txt --out copy.jsonl', 'dump every crossing of the copy guest')
    .example('$0 trace copy in.txt out.txt --out copy.json --format chrome', 'open copy.json in ui.perfetto.dev or chrome://tracing')
    .example('$0 step copy.jsonl', 'then step through the dump');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  const { guest, options } = await guestRun(a, hostStdio);
  const { trace, exitCode } = await recordTrace(guest.bytes, guest.name, options);
  trace.header.binary = { path: path.resolve(guest.path), sha256: createHash('sha256').update(guest.bytes).digest('hex') };
  writeOutput(a.out, a.format === 'chrome' ? traceChrome(trace) : a.format === 'text' ? traceText(trace) : toJsonl(trace));
  process.stderr.write(`syscluster: ${trace.crossings.length} crossings written to ${a.out} (${a.format})\n`);
  process.exitCode = exitCode;
}
