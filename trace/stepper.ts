// Stepping through crossings, one at a time: the trap in its code, the decoded call, the
// kernel stack frame at entry and at exit, its costs, and the running ledger, on a page
// that fits 80x24. Works on a dump (no emulator needed) or on a run recorded first, on
// every process or one (--pid). On a terminal it is interactive; otherwise it prints
// every step, so it can be scripted.
//
// A dump of any size: the first screen needs only the header, the first record and the
// end record (read from the file's end). Behind it, one pass builds a sparse index, a
// checkpoint every INDEX_EVERY records holding the record's byte offset and the ledger's
// running totals before it, so that any step afterwards reads at most INDEX_EVERY records.
import fs from 'node:fs';
import type { PtRegs } from '../kernel-model/boundary.js';
import { TraceError, entryRegs, exitRegs, parseRecordLine, readFooter, readHeader, recordProblem, scanDump, type CallRecord, type CrossingDump, type Trace, type TraceFooter, type TraceHeader } from './dump.js';
import { callLine, hex8 } from './formats.js';
import { forEachLine, type Source } from './lines.js';

export interface Totals { entry: number; dispatch: number; handler: number; exit: number }

const add = (t: Totals, x: CrossingDump): void => {
  t.entry += x.cost.entry; t.dispatch += x.cost.dispatch; t.handler += x.cost.handler; t.exit += x.cost.exit;
};

/** What the stepper shows a crossing with: where it is, of how many, under what header. */
export interface StepContext { header: TraceHeader; count: number }

/** How a step is laid out: columns (lines longer are cut, never wrapped) and lines at most. */
export interface StepView {
  width?: number;
  height?: number;
  /** Set when the stepper follows one process: `crossing K of N` counts its crossings only. */
  pid?: number;
}

export const PAGE_WIDTH = 80;
export const PAGE_HEIGHT = 24;

/**
 * The kernel stack the frame is drawn on. Linux 2.4 gives each task an 8 KiB union of its
 * task_struct (at the bottom) and its kernel stack (growing down from the top), taken from
 * the page allocator; the TSS's esp0 is the top (copy_thread: `p->thread.esp0 = childregs+1`,
 * childregs = `THREAD_SIZE + p` less one pt_regs), which is why GET_CURRENT is `esp & -8192`.
 * Where the page allocator puts the union is not modelled: the stepper places the union of
 * pid P at TASK_UNION_BASE + (P mod 32768) * 8 KiB, so esp0 = that + 8 KiB. Everything below
 * esp0 is as Linux lays it out.
 */
export const THREAD_SIZE = 8192;
export const TASK_UNION_BASE = 0xc1000000;
export const esp0Of = (pid: number): number => (TASK_UNION_BASE + ((pid % 32768) + 1) * THREAD_SIZE) >>> 0;

export type PushedBy = 'cpu' | 'system_call' | 'SAVE_ALL';

/**
 * The frame from esp0 down, in the order it is pushed (Linux 2.4, arch/i386/kernel/entry.S):
 * the CPU, taking `int 0x80` from ring 3, loads ss0:esp0 from the TSS and pushes the user
 * ss, esp, eflags, cs and the return eip; `system_call` begins `pushl %eax # save
 * orig_eax`; then SAVE_ALL is `cld; pushl %es; pushl %ds; pushl %eax; pushl %ebp; pushl
 * %edi; pushl %esi; pushl %edx; pushl %ecx; pushl %ebx`. The last push leaves esp at
 * struct pt_regs (EBX = 0x00 ... OLDSS = 0x38 in entry.S). RESTORE_ALL pops them back in
 * the opposite order, skips orig_eax (`addl $4,%esp`) and `iret` pops the CPU's five.
 */
export const FRAME: { slot: keyof PtRegs; by: PushedBy }[] = [
  { slot: 'xss', by: 'cpu' }, { slot: 'esp', by: 'cpu' }, { slot: 'eflags', by: 'cpu' }, { slot: 'xcs', by: 'cpu' }, { slot: 'eip', by: 'cpu' },
  { slot: 'orig_eax', by: 'system_call' },
  { slot: 'xes', by: 'SAVE_ALL' }, { slot: 'xds', by: 'SAVE_ALL' }, { slot: 'eax', by: 'SAVE_ALL' }, { slot: 'ebp', by: 'SAVE_ALL' },
  { slot: 'edi', by: 'SAVE_ALL' }, { slot: 'esi', by: 'SAVE_ALL' }, { slot: 'edx', by: 'SAVE_ALL' }, { slot: 'ecx', by: 'SAVE_ALL' }, { slot: 'ebx', by: 'SAVE_ALL' },
];

export interface FrameSlot { address: number; slot: keyof PtRegs; pushed_by: PushedBy; entry: number; exit?: number }

/** The frame of a crossing with its addresses, esp0 down: the values at entry and (if it returns) at exit. */
export function kernelFrame(x: CrossingDump): { esp0: number; slots: FrameSlot[] } {
  const esp0 = esp0Of(x.pid), at = entryRegs(x), out = exitRegs(x);
  return {
    esp0,
    slots: FRAME.map((f, k) => ({ address: (esp0 - 4 * (k + 1)) >>> 0, slot: f.slot, pushed_by: f.by, entry: at[f.slot] >>> 0, ...(out ? { exit: out[f.slot] >>> 0 } : {}) })),
  };
}

const NOTES: Partial<Record<keyof PtRegs, string>> = {
  xss: 'CPU, on ss0:esp0 from the TSS', eip: 'CPU: the return address', orig_eax: 'system_call: pushl %eax',
  eax: 'SAVE_ALL; the result at exit', ebx: 'SAVE_ALL; esp = &pt_regs',
};

/** Cuts a line to `width` columns, an ellipsis marking the cut. */
export function cut(line: string, width: number): string {
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}\u2026`;
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');

/** Whether a crossing came back to user mode (old dumps: exit was charged nothing and the call ends the process). */
export const returns = (x: CrossingDump): boolean => x.returns !== false
  && !(x.cost.exit === 0 && (x.call.name === 'exit' || x.call.name === 'exit_group'));

export function renderStep(t: Trace | StepContext, i: number, x: CrossingDump = (t as Trace).crossings[i], before?: Totals, view: StepView = {}): string {
  const count = 'count' in t ? t.count : t.crossings.length;
  const width = Math.max(20, view.width ?? PAGE_WIDTH), height = Math.max(PAGE_HEIGHT - 4, view.height ?? PAGE_HEIGHT);
  if (!before) {
    before = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
    for (let j = 0; j < i; j++) add(before, (t as Trace).crossings[j]);
  }
  const l = { ...before };
  add(l, x);
  const total = x.cycles.exit;
  const outside = total - l.entry - l.dispatch - l.handler - l.exit;
  const back = returns(x);
  const { esp0, slots } = kernelFrame(x);
  const h = t.header;

  const head = `crossing ${i + 1} of ${count} (seq ${x.seq})  pid ${x.pid}${view.pid !== undefined ? ' only' : ''}  ${x.call.name}`
    + `  cycles ${n(x.cycles.entry)}..${n(x.cycles.exit)}  switches ${x.switches}   ${h.argv.join(' ')} on ${h.platform.name}`;
  const frame = [
    `  address   slot      at entry  at exit   pushed by (esp0 ${hex8(esp0)})`,
    ...slots.map((f) => `  ${hex8(f.address)}  ${f.slot.padEnd(8)}  ${hex8(f.entry)}  ${f.exit === undefined ? '   -    ' : hex8(f.exit)}  ${NOTES[f.slot] ?? (f.pushed_by === 'cpu' ? 'CPU' : f.pushed_by)}`),
  ];
  const kernel = x.cost.entry + x.cost.dispatch + x.cost.handler + x.cost.exit;
  const cost = [
    back ? `cost   trap+SAVE_ALL ${n(x.cost.entry)} + dispatch ${n(x.cost.dispatch)} + handler ${n(x.cost.handler)} + RESTORE_ALL+iret ${n(x.cost.exit)}`
      : `cost   trap+SAVE_ALL ${n(x.cost.entry)} + dispatch ${n(x.cost.dispatch)} + handler ${n(x.cost.handler)}; no return, no exit path`,
    `       = ${n(kernel)} cycles, after ${n(x.user_instructions)} user instructions`,
    `so far ${x.switches || h.platform.indirect ? 'outside' : 'user'} ${n(outside)} + entry ${n(l.entry)} + dispatch ${n(l.dispatch)} + handler ${n(l.handler)} + exit ${n(l.exit)} = ${n(total)}`,
  ];
  // The call and a batch's entries, each with its own cost; cut to what the page holds.
  // A batch's own cost and each entry's (they add up to the cost line's dispatch and
  // handler); the cost stays in view: the call text is what gets cut.
  const entryLine = (c: CallRecord, depth: number): string => {
    if (depth === 0 && !c.sub?.length) return callLine(c);
    const own = `   [dispatch ${n(c.cost.dispatch)} + handler ${n(c.cost.handler)}]`, indent = '  '.repeat(depth);
    return `${indent}${cut(callLine(c), Math.max(8, width - indent.length - own.length))}${own}`;
  };
  const calls: string[] = [];
  const walk = (c: CallRecord, depth: number) => { calls.push(entryLine(c, depth)); for (const s of c.sub ?? []) walk(s, depth + 1); };
  walk(x.call, 0);
  const fixed = 1 + frame.length + cost.length;
  const room = height - fixed - 1; // at least the trap's own line
  if (calls.length > room) {
    const more = calls.length - (room - 1);
    calls.splice(room - 1, calls.length, `  ... ${more} more entries`);
  }
  const codeRoom = height - fixed - calls.length;
  const trap = Math.max(0, x.disasm.findIndex((d) => d.trap));
  // The trap first, then what leads to it, then what follows.
  const picked = [trap, trap - 1, trap - 2, trap + 1].filter((k) => k >= 0 && k < x.disasm.length).slice(0, Math.max(1, codeRoom)).sort((a, b) => a - b);
  const code = picked.map((k) => `${x.disasm[k].trap ? '=>' : '  '} ${hex8(x.disasm[k].address)}  ${x.disasm[k].text}`);
  return [head, ...code, ...calls, ...frame, ...cost].map((s) => cut(s, width)).join('\n');
}

/** One step as JSON (`step --at K --json`): the registers at entry and exit, the frame, the costs. */
export function stepJson(t: Trace | StepContext, i: number, x: CrossingDump, before: Totals, view: StepView = {}): unknown {
  const count = 'count' in t ? t.count : t.crossings.length;
  const l = { ...before };
  add(l, x);
  const frame = kernelFrame(x);
  const back = returns(x);
  const sub = (c: CallRecord): unknown => ({ name: c.name, nr: c.nr, result: c.result, ...(c.errno ? { errno: c.errno } : {}), text: callLine(c), cost: c.cost, ...(c.sub ? { sub: c.sub.map(sub) } : {}) });
  return {
    step: i + 1, of: count, ...(view.pid !== undefined ? { only_pid: view.pid } : {}), seq: x.seq, pid: x.pid, switches: x.switches,
    call: sub(x.call), returns: back,
    cycles: x.cycles,
    regs: { entry: entryRegs(x), exit: exitRegs(x) ?? null },
    kernel_stack: { esp0: frame.esp0, frame: frame.slots },
    cost: { trap_save_all: x.cost.entry, dispatch: x.cost.dispatch, handler: x.cost.handler, restore_all_iret: x.cost.exit, total: x.cost.entry + x.cost.dispatch + x.cost.handler + x.cost.exit },
    ledger_so_far: { outside: x.cycles.exit - l.entry - l.dispatch - l.handler - l.exit, ...l, total: x.cycles.exit },
    user_instructions: x.user_instructions,
    disasm: x.disasm,
  };
}

/** Every step of a trace in memory, for a pipe or a file. */
export function printAll(t: Trace, write: (s: string) => void, view: StepView = {}): void {
  const before: Totals = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  t.crossings.forEach((x, i) => { write(renderStep(t, i, x, { ...before }, view) + '\n\n'); add(before, x); });
  if (t.footer) write(`end: ${JSON.stringify(t.footer.outcome)}\n`);
}

export const INDEX_EVERY = 64;

/** A dump on disk, stepped through without holding it: random access by a sparse index. */
export class SteppableDump implements StepContext {
  readonly header: TraceHeader;
  readonly footer: TraceFooter | undefined;
  /** Crossings: the end record's count until the index has seen them all. */
  count: number;
  /** Records indexed so far, and whether the index is complete. */
  indexed = 0;
  complete = false;
  private readonly first: number;
  private readonly offsets: number[] = [];
  private readonly sums: Totals[] = [];
  private scanOffset: number;
  private scanLine = 2;
  private running: Totals = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  /** With a pid to follow: the indices of its crossings, in the part indexed so far. */
  readonly followed: number[] = [];
  follow: number | undefined;

  constructor(private readonly fd: Source, readonly name: string, size: number) {
    const h = readHeader(fd, name);
    this.header = h.header;
    this.first = this.scanOffset = h.bytes;
    this.footer = readFooter(fd, size);
    // Without a readable end record the dump is cut or damaged: one strict pass names the line.
    if (!this.footer) scanDump(fd, name);
    this.count = this.footer!.ledger.crossings;
  }

  static open(file: string): SteppableDump {
    const fd = fs.openSync(file, 'r');
    return new SteppableDump(fd, file, fs.fstatSync(fd).size);
  }

  close(): void { if (typeof this.fd === 'number') fs.closeSync(this.fd); }

  /** Extends the index by up to `budget` records; true once the whole dump is indexed. */
  indexMore(budget = 50_000): boolean {
    if (this.complete) return true;
    let seen = 0, ended = false;
    forEachLine(this.fd, (text, line, offset, bytes, whole) => {
      if (text === '' && whole) return;
      if (text.startsWith('{"end":')) { ended = true; this.scanOffset = offset; return false; }
      if (!whole) throw new TraceError(`${this.name}:${line}: truncated record (the dump ends in the middle of a line)`);
      const x = parseRecordLine(text, this.name, line, this.header.pid);
      if (this.indexed % INDEX_EVERY === 0) { this.offsets.push(offset); this.sums.push({ ...this.running }); }
      if (this.follow !== undefined && x.pid === this.follow) this.followed.push(this.indexed);
      add(this.running, x);
      this.indexed++;
      this.scanOffset = offset + bytes + 1;
      this.scanLine = line + 1;
      return ++seen < budget;
    }, this.scanOffset, this.scanLine, 1 << 20);
    if (ended || seen < budget) {
      this.complete = true;
      this.count = this.indexed;
    }
    return this.complete;
  }

  /** Crossing `i` (0-based) and the ledger's totals before it. */
  at(i: number): { x: CrossingDump; before: Totals } {
    if (i === 0) return { x: this.readFrom(this.first, 2, 0, { entry: 0, dispatch: 0, handler: 0, exit: 0 }).x, before: { entry: 0, dispatch: 0, handler: 0, exit: 0 } };
    while (i >= this.indexed && !this.complete) this.indexMore();
    if (i >= this.indexed) throw new RangeError(`no crossing ${i + 1}`);
    const c = Math.floor(i / INDEX_EVERY);
    return this.readFrom(this.offsets[c], c * INDEX_EVERY + 2, i - c * INDEX_EVERY, { ...this.sums[c] });
  }

  private readFrom(offset: number, line: number, skip: number, before: Totals): { x: CrossingDump; before: Totals } {
    let found: CrossingDump | undefined;
    forEachLine(this.fd, (text, l) => {
      const x = parseRecordLine(text, this.name, l, this.header.pid);
      if (skip-- === 0) { found = x; return false; }
      add(before, x);
    }, offset, line, 64 << 10);
    if (!found) throw new TraceError(`${this.name}: a crossing record is missing`);
    return { x: found, before };
  }

  /** Indexes the whole dump (a pid to follow needs every crossing seen to count its own). */
  indexAll(): void {
    while (!this.indexMore()) { /* a slice at a time */ }
  }

  /** The next crossing after `i` whose call (or a batch entry) is `name`, or -1: one pass forward. */
  find(i: number, name: string, pid?: number): number {
    return this.findWhere(i, (x) => (pid === undefined || x.pid === pid) && (x.call.name === name || x.call.sub?.some((s) => s.name === name) === true));
  }

  /** The next crossing after `i` that `test` accepts, or -1: one pass forward. */
  findWhere(i: number, test: (x: CrossingDump) => boolean): number {
    const from = i + 1;
    while (from >= this.indexed && !this.complete) this.indexMore();
    if (from >= this.indexed) return -1;
    const c = Math.floor(from / INDEX_EVERY);
    let j = c * INDEX_EVERY - 1, found = -1;
    forEachLine(this.fd, (text, l, _o, _b, whole) => {
      if (text === '' && whole) return;
      if (text.startsWith('{"end":')) return false;
      j++;
      if (j < from) return;
      const x = parseRecordLine(text, this.name, l, this.header.pid);
      if (test(x)) { found = j; return false; }
    }, this.offsets[c], c * INDEX_EVERY + 2, 1 << 20);
    return found;
  }
}

/** The crossings of one pid in a dump: one pass, nothing kept. */
export function countPid(fd: Source, name: string, pid: number): number {
  let k = 0;
  scanDump(fd, name, (x) => { if (x.pid === pid) k++; });
  return k;
}

/**
 * Every step of a dump file as it is read (one process's only, with `view.pid`): running
 * totals, one record in memory at a time. `write` returns false when the reader has gone
 * (a closed pipe): printing stops.
 */
export function printDump(d: SteppableDump, fd: Source, write: (s: string) => boolean, view: StepView = {}, pidCount?: number): void {
  const before: Totals = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  const only = view.pid;
  const ctx: StepContext = only === undefined ? d : { header: d.header, count: pidCount ?? countPid(fd, d.name, only) };
  let gone = false, k = 0;
  const scan = scanDump(fd, d.name, (x, i) => {
    if (only === undefined || x.pid === only) {
      if (!write(renderStep(ctx, only === undefined ? i : k, x, before, view) + '\n\n')) { gone = true; return false; }
      k++;
    }
    add(before, x);
  });
  if (gone || !scan) return;
  if (only !== undefined && k === 0) write(`(no crossing of pid ${only})\n`);
  write(`end: ${JSON.stringify(scan.footer.outcome)}\n`);
  if (scan.crossings !== d.count) write(`(the dump holds ${scan.crossings} crossing records; its end record counts ${d.count})\n`);
}

/** The steps the stepper moves through: every crossing, or one pid's (the dump indexed whole first). */
export class Steps implements StepContext {
  constructor(readonly d: SteppableDump, readonly pid?: number) {
    if (pid !== undefined) {
      d.follow = pid;
      d.indexAll();
    }
  }
  get header(): TraceHeader { return this.d.header; }
  get count(): number { return this.pid === undefined ? this.d.count : this.d.followed.length; }
  /** The dump's crossing index of step `k`. */
  global(k: number): number { return this.pid === undefined ? k : this.d.followed[k]; }
  /** The step of crossing `j` of the dump (one of this pid's). */
  local(j: number): number {
    if (this.pid === undefined) return j;
    let lo = 0, hi = this.d.followed.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.d.followed[mid] < j) lo = mid + 1; else hi = mid; }
    return lo;
  }
  at(k: number): { x: CrossingDump; before: Totals } { return this.d.at(this.global(k)); }
  /** The step after `k` that `test` accepts (within the pid followed), or -1. */
  next(k: number, test: (x: CrossingDump) => boolean): number {
    const j = this.d.findWhere(this.global(k), (x) => (this.pid === undefined || x.pid === this.pid) && test(x));
    return j < 0 ? -1 : this.local(j);
  }
  render(k: number, view: StepView): string {
    const { x, before } = this.at(k);
    return renderStep(this, k, x, before, { ...view, pid: this.pid });
  }
  json(k: number): unknown {
    const { x, before } = this.at(k);
    return stepJson(this, k, x, before, { pid: this.pid });
  }
}

const HELP = 'n next  p prev  g/G first/last  s next switch  /NAME or N, enter: jump  q quit';

/** The interactive view on a terminal. Resolves when the user quits. */
export function interactive(steps: Steps, input: NodeJS.ReadStream, output: NodeJS.WriteStream, width?: number): Promise<void> {
  const d = steps.d;
  let i = 0, typed = '', message = '';
  const status = () => (d.complete ? '' : `  (indexing: ${d.indexed.toLocaleString('en-US')} of ${d.count.toLocaleString('en-US')})`);
  let shownIncomplete = false;
  const draw = () => {
    shownIncomplete = !d.complete;
    // The page, then one line of keys or a message, then the line being typed: the screen's rows, never more.
    const cols = width ?? (output.columns || PAGE_WIDTH), rows = output.rows || PAGE_HEIGHT;
    const page = steps.render(i, { width: cols, height: rows - 2 });
    output.write(`\x1b[2J\x1b[H${page}\n${cut(`${message || HELP}${status()}`, cols)}\n${typed ? cut(`> ${typed}`, cols) : ''}`);
  };
  const go = (to: number) => { i = Math.max(0, Math.min(steps.count - 1, to)); };
  let timer: NodeJS.Timeout | undefined;
  return new Promise((resolve, reject) => {
    const quit = () => { if (timer) clearTimeout(timer); input.setRawMode(false); input.pause(); input.off('data', onKey); output.write('\n'); resolve(); };
    // The index grows between keys, a slice at a time, so keys stay answered at once.
    const grow = () => {
      timer = undefined;
      try {
        if (!d.indexMore(20_000)) timer = setTimeout(grow, 0);
        else if (shownIncomplete && !message && !typed) draw();
      } catch (err) { quit(); reject(err); }
    };
    const onKey = (buf: Buffer) => {
      try {
        for (const ch of buf.toString('utf8')) {
          message = '';
          if (typed) {
            if (ch === '\r' || ch === '\n') {
              if (typed.startsWith('/')) {
                const name = typed.slice(1);
                const j = steps.next(i, (x) => x.call.name === name || x.call.sub?.some((s) => s.name === name) === true);
                if (j >= 0) go(j); else message = `no later call of ${name}`;
              } else go(i + Number(typed));
              typed = '';
            } else if (ch === '\x7f') typed = typed.slice(0, -1);
            else if (ch === '\x1b') typed = '';
            else typed += ch;
            continue;
          }
          if (ch === 'q' || ch === '\x03') return quit();
          if (ch === 'n' || ch === ' ' || ch === '\r' || ch === '\n') go(i + 1);
          else if (ch === 'p') go(i - 1);
          else if (ch === 'g') go(0);
          else if (ch === 'G') { d.indexAll(); go(steps.count - 1); }
          else if (ch === 's') {
            // The next crossing with a context switch before it.
            const now = steps.at(i).x.switches;
            const j = steps.next(i, (x) => x.switches > now);
            if (j >= 0) go(j); else message = 'no later context switch';
          } else if (ch === '/' || /[0-9]/.test(ch)) typed = ch;
        }
        draw();
      } catch (err) { quit(); reject(err); }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onKey);
    d.indexMore(5_000); // a small dump is indexed before its first screen
    draw();
    timer = setTimeout(grow, 0);
  });
}

export { recordProblem };
