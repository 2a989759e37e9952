// syscluster step <guest | dump.jsonl>: one crossing at a time.
import fs from 'node:fs';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { TraceError, parseTrace, type Trace } from '../../trace/dump.js';
import { recordTrace } from '../../trace/record.js';
import { interactive, printAll } from '../../trace/stepper.js';
import { CapturedStdio } from '../../kernel-model/vfs.js';
import { BadInput, choosePersonality, clockStart, hostRoot, platform, readGuest, runOptions } from '../common.js';

export const command = 'step <source> [args..]';
export const describe = 'Step through kernel crossings of a guest, or of a saved dump (no emulator needed)';

export function builder(y: Argv) {
  return y
    .positional('source', { type: 'string', demandOption: true, describe: 'a trace dump (.jsonl), or a guest to run first' })
    .positional('args', { type: 'string', array: true, default: [], describe: 'arguments for the guest' })
    .options({ ...runOptions, root: { type: 'string', default: '.', describe: 'host directory the guest sees as /' } })
    .example('$0 step copy.jsonl', 'step through a saved dump: n next, p previous, /read next read, 10 enter: ten ahead, q quit')
    .example('$0 step fig3_multicall', 'run the Figure 3 guest, then step through its crossings')
    .example('$0 step copy.jsonl | less', 'not a terminal: every step is printed');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

/** A dump if the file starts like one, else a guest. */
export async function loadSource(a: Args): Promise<Trace> {
  const head = fs.existsSync(a.source) && fs.statSync(a.source).isFile() ? fs.readFileSync(a.source).subarray(0, 1) : undefined;
  if (head && head[0] === 0x7b /* { */) {
    try {
      return parseTrace(fs.readFileSync(a.source, 'utf8'), a.source);
    } catch (err) {
      if (err instanceof TraceError) throw new BadInput(err.message);
      throw err;
    }
  }
  const guest = readGuest(a.source);
  const { trace } = await recordTrace(guest.bytes, guest.name, {
    argv: [guest.name, ...(a.args ?? []).map(String)], profile: platform(a.platform), personality: choosePersonality(a.personality, a.specialized),
    fs: hostRoot(a.root), stdio: new CapturedStdio(), maxInstructions: a.maxInstructions, jiffies: a.jiffies, clockStartMicros: clockStart(a.clockStart),
  });
  return trace;
}

export async function handler(a: Args): Promise<void> {
  const trace = await loadSource(a);
  if (trace.crossings.length === 0) throw new BadInput(`${a.source}: no crossings to step through`);
  if (process.stdout.isTTY && process.stdin.isTTY) await interactive(trace, process.stdin, process.stdout);
  else printAll(trace, (s) => process.stdout.write(s));
}
