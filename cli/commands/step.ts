// syscluster step <guest | dump.jsonl>: one crossing at a time.
import fs from 'node:fs';
import tty from 'node:tty';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { TraceError, toJsonl } from '../../trace/dump.js';
import { FdOutput } from '../../trace/lines.js';
import { SteppableDump, interactive, printDump } from '../../trace/stepper.js';
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

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** A dump if the file starts like one, else a guest (which needs the engine, loaded only then). */
async function handle(a: Args): Promise<void> {
  let head: Buffer | undefined;
  if (fs.existsSync(a.guest) && fs.statSync(a.guest).isFile()) {
    const fd = fs.openSync(a.guest, 'r');
    head = Buffer.alloc(4);
    head = head.subarray(0, fs.readSync(fd, head, 0, 4, 0));
    fs.closeSync(fd);
  }
  const terminal = tty.isatty(0) && tty.isatty(1);
  if (head && head[0] === 0x7b /* { */) {
    const d = SteppableDump.open(a.guest);
    try {
      if (d.count === 0) throw new BadInput(`${a.guest}: no crossings to step through`);
      if (terminal) { await interactive(d, process.stdin, process.stdout); return; }
      const out = new FdOutput(1);
      const fd = fs.openSync(a.guest, 'r');
      try { printDump(d, fd, (s) => out.write(s)); } finally { fs.closeSync(fd); }
      out.flush();
    } finally {
      d.close();
    }
    return;
  }
  if (head && head.length === 4 && !ELF_MAGIC.every((b, i) => head![i] === b)) {
    throw new BadInput(`${a.guest}: neither a trace dump (JSON Lines from \`syscluster trace\`, first byte "{") nor an i386 ELF executable`);
  }
  const { recordTrace } = await import('../../trace/record.js');
  const { guest, options } = await guestRun(a, new CapturedStdio());
  const trace = (await recordTrace(guest.bytes, guest.name, options)).trace;
  if (trace.crossings.length === 0) throw new BadInput(`${a.guest}: no crossings to step through`);
  const bytes = Buffer.from(toJsonl(trace), 'utf8');
  const d = new SteppableDump(bytes, a.guest, bytes.length);
  if (terminal) { await interactive(d, process.stdin, process.stdout); return; }
  const out = new FdOutput(1);
  printDump(d, bytes, (s) => out.write(s));
  out.flush();
}

export async function handler(a: Args): Promise<void> {
  try {
    await handle(a);
  } catch (err) {
    if (err instanceof TraceError) throw new BadInput(err.message);
    throw err;
  }
}
