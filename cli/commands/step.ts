// syscluster step <guest | dump.jsonl>: one crossing at a time.
import fs from 'node:fs';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { TraceError, parseTrace, type Trace } from '../../trace/dump.js';
import { recordTrace } from '../../trace/record.js';
import { interactive, printAll } from '../../trace/stepper.js';
import { CapturedStdio } from '../../kernel-model/vfs.js';
import { BadInput, guestPositionals, guestRun } from '../common.js';

export const command = 'step <guest> [args..]';
export const describe = 'Step through kernel crossings of a guest, or of a saved dump (no emulator needed)';

export function builder(y: Argv) {
  return guestPositionals(y, 'a trace dump (.jsonl), or a guest to run first')
    .example('$0 step copy.jsonl', 'step through a saved dump: n next, p previous, /read next read, 10 enter: ten ahead, q quit')
    .example('$0 step fig3_multicall', 'run the Figure 3 guest, then step through its crossings')
    .example('$0 step copy.jsonl | less', 'not a terminal: every step is printed');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

/** A dump if the file starts like one, else a guest. */
export async function loadSource(a: Args): Promise<Trace> {
  const head = fs.existsSync(a.guest) && fs.statSync(a.guest).isFile() ? fs.readFileSync(a.guest).subarray(0, 1) : undefined;
  if (head && head[0] === 0x7b /* { */) {
    try {
      return parseTrace(fs.readFileSync(a.guest, 'utf8'), a.guest);
    } catch (err) {
      if (err instanceof TraceError) throw new BadInput(err.message);
      throw err;
    }
  }
  const { guest, options } = await guestRun(a, new CapturedStdio());
  return (await recordTrace(guest.bytes, guest.name, options)).trace;
}

export async function handler(a: Args): Promise<void> {
  const trace = await loadSource(a);
  if (trace.crossings.length === 0) throw new BadInput(`${a.guest}: no crossings to step through`);
  if (process.stdout.isTTY && process.stdin.isTTY) await interactive(trace, process.stdin, process.stdout);
  else printAll(trace, (s) => process.stdout.write(s));
}
