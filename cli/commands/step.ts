// syscluster step <guest | dump.jsonl>: one crossing at a time.
import fs from 'node:fs';
import tty from 'node:tty';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { TraceError, toJsonl } from '../../trace/dump.js';
import { FdOutput } from '../../trace/lines.js';
import { PAGE_WIDTH, SteppableDump, countPid, Steps, interactive, printDump, type StepView } from '../../trace/stepper.js';
import { CapturedStdio } from '../../kernel-model/vfs.js';
import { BadInput, guestPositionals, guestRun } from '../common.js';

export const command = 'step <guest> [args..]';
export const describe = 'Step through kernel crossings of a guest, or of a saved dump (no emulator needed)';

export function builder(y: Argv) {
  return guestPositionals(y, 'a trace dump (.jsonl), or a guest to run first')
    .options({
      pid: { type: 'string', default: 'all', describe: 'follow one process (its crossings only), or all' },
      width: { type: 'string', describe: 'columns: longer lines are cut, never wrapped (default: the terminal\'s, or 80 when not a terminal)' },
      at: { type: 'string', describe: 'print step K alone (1 = the first; counted within --pid)' },
      json: { type: 'boolean', default: false, describe: 'with --at: the step as JSON (registers at entry and exit, the kernel stack frame, costs)' },
    })
    .example('$0 step copy.jsonl', 'step through a saved dump: n next, p previous, s next context switch, /read next read, 10 enter: ten ahead, q quit')
    .example('$0 step procs.jsonl --pid 1001', 'only the crossings of process 1001')
    .example('$0 step copy.jsonl --at 3 --json', 'step 3 as JSON')
    .example('$0 step hello', 'run the hello guest, then step through its crossings')
    .example('$0 step copy.jsonl | less', 'not a terminal: every step is printed');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** --pid, --width, --at: checked, one line each when wrong. */
function viewOf(a: Args, terminal: boolean): { pid?: number; width: number; at?: number } {
  const pid = a.pid === 'all' ? undefined : /^[1-9][0-9]{0,9}$/.test(String(a.pid)) ? Number(a.pid) : NaN;
  if (Number.isNaN(pid)) throw new BadInput(`--pid ${a.pid}: give a process id (a positive integer) or all`);
  let width = terminal ? process.stdout.columns || PAGE_WIDTH : PAGE_WIDTH;
  if (a.width !== undefined) {
    if (!/^[0-9]{1,4}$/.test(String(a.width)) || Number(a.width) < 40) throw new BadInput(`--width ${a.width}: give a number of columns, 40 or more`);
    width = Number(a.width);
  }
  let at: number | undefined;
  if (a.at !== undefined) {
    if (!/^[1-9][0-9]{0,11}$/.test(String(a.at))) throw new BadInput(`--at ${a.at}: give a step number, 1 or more`);
    at = Number(a.at);
  }
  if (a.json && at === undefined) throw new BadInput('--json prints one step: give it with --at K');
  return { pid, width, at };
}

/** A dump, stepped: one step (--at), every step (not a terminal), or the interactive view. */
async function stepThrough(d: SteppableDump, source: number | Buffer, a: Args, terminal: boolean): Promise<void> {
  const v = viewOf(a, terminal);
  if (d.count === 0) throw new BadInput(`${a.guest}: no crossings to step through`);
  const out = new FdOutput(1);
  const view: StepView = { width: v.width, pid: v.pid };
  if (v.at !== undefined) {
    const steps = new Steps(d, v.pid);
    if (v.pid !== undefined && steps.count === 0) throw new BadInput(`${a.guest}: no crossing of pid ${v.pid}`);
    if (v.at > steps.count) d.indexAll();
    if (v.at > steps.count) throw new BadInput(`--at ${v.at}: there are ${steps.count} steps${v.pid !== undefined ? ` of pid ${v.pid}` : ''}`);
    out.write(a.json ? JSON.stringify(steps.json(v.at - 1), null, 1) + '\n' : steps.render(v.at - 1, view) + '\n');
    out.flush();
    return;
  }
  if (terminal) {
    const steps = new Steps(d, v.pid);
    if (v.pid !== undefined && steps.count === 0) throw new BadInput(`${a.guest}: no crossing of pid ${v.pid}`);
    await interactive(steps, process.stdin, process.stdout, a.width !== undefined ? v.width : undefined);
    return;
  }
  let count: number | undefined;
  if (v.pid !== undefined) {
    count = countPid(source, d.name, v.pid);
    if (count === 0) throw new BadInput(`${a.guest}: no crossing of pid ${v.pid}`);
  }
  printDump(d, source, (s) => out.write(s), view, count);
  out.flush();
}

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
    const fd = fs.openSync(a.guest, 'r');
    try {
      await stepThrough(d, fd, a, terminal);
    } finally {
      fs.closeSync(fd);
      d.close();
    }
    return;
  }
  if (head && head.length === 4 && !ELF_MAGIC.every((b, i) => head![i] === b)) {
    throw new BadInput(`${a.guest}: neither a trace dump (JSON Lines from \`syscluster trace\`, first byte "{") nor an i386 ELF executable`);
  }
  viewOf(a, terminal); // bad options fail before the run
  const { recordTrace } = await import('../../trace/record.js');
  const { guest, options } = await guestRun(a, new CapturedStdio());
  const trace = (await recordTrace(guest.bytes, guest.name, options)).trace;
  if (trace.crossings.length === 0) throw new BadInput(`${a.guest}: no crossings to step through`);
  const bytes = Buffer.from(toJsonl(trace), 'utf8');
  await stepThrough(new SteppableDump(bytes, a.guest, bytes.length), bytes, a, terminal);
}

export async function handler(a: Args): Promise<void> {
  try {
    await handle(a);
  } catch (err) {
    if (err instanceof TraceError) throw new BadInput(err.message);
    throw err;
  }
}
