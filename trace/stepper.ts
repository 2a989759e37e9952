// Stepping through crossings, one at a time: the trap in its code, the registers as
// SAVE_ALL saved them, the decoded call, its costs, and the running ledger. Works on a
// dump (no emulator needed) or on a run recorded first. On a terminal it is interactive;
// otherwise it prints every step, so it can be scripted.
//
// A dump of any size: the first screen needs only the header, the first record and the
// end record (read from the file's end). Behind it, one pass builds a sparse index, a
// checkpoint every INDEX_EVERY records holding the record's byte offset and the ledger's
// running totals before it, so that any step afterwards reads at most INDEX_EVERY records.
import fs from 'node:fs';
import { PT_REGS_ORDER } from '../kernel-model/boundary.js';
import { TraceError, parseRecordLine, readFooter, readHeader, recordProblem, scanDump, type CrossingDump, type Trace, type TraceFooter, type TraceHeader } from './dump.js';
import { callLines, hex8 } from './formats.js';
import { forEachLine, type Source } from './lines.js';

export interface Totals { entry: number; dispatch: number; handler: number; exit: number }

const add = (t: Totals, x: CrossingDump): void => {
  t.entry += x.cost.entry; t.dispatch += x.cost.dispatch; t.handler += x.cost.handler; t.exit += x.cost.exit;
};

/** What the stepper shows a crossing with: where it is, of how many, under what header. */
export interface StepContext { header: TraceHeader; count: number }

export function renderStep(t: Trace | StepContext, i: number, x: CrossingDump = (t as Trace).crossings[i], before?: Totals): string {
  const count = 'count' in t ? t.count : t.crossings.length;
  if (!before) {
    before = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
    for (let j = 0; j < i; j++) add(before, (t as Trace).crossings[j]);
  }
  const l = { ...before };
  add(l, x);
  const total = x.cycles.exit;
  const user = total - l.entry - l.dispatch - l.handler - l.exit;
  const regs = PT_REGS_ORDER.map((r) => `${r.padStart(8)}=${hex8(x.pt_regs[r])}`);
  const rows: string[] = [];
  for (let r = 0; r < regs.length; r += 4) rows.push('  ' + regs.slice(r, r + 4).join(' '));
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return [
    `crossing ${i + 1} of ${count} (seq ${x.seq})   ${t.header.argv.join(' ')} on ${t.header.platform.name}`,
    '',
    'code around the trap:',
    ...x.disasm.map((d) => `  ${d.trap ? '=>' : '  '} ${hex8(d.address)}  ${d.text}`),
    '',
    'pt_regs, as SAVE_ALL left them on the kernel stack:',
    ...rows,
    '',
    'call:',
    ...callLines(x.call).map((s) => `  ${s}`),
    '',
    `cost: entry ${n(x.cost.entry)} + dispatch ${n(x.cost.dispatch)} + handler ${n(x.cost.handler)} + exit ${n(x.cost.exit)} cycles; ${x.user_instructions} user instructions before it`,
    `ledger so far: user ${n(user)}, entry ${n(l.entry)}, dispatch ${n(l.dispatch)}, handler ${n(l.handler)}, exit ${n(l.exit)}; total ${n(total)} cycles`,
  ].join('\n');
}

/** Every step of a trace in memory, for a pipe or a file. */
export function printAll(t: Trace, write: (s: string) => void): void {
  const before: Totals = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  t.crossings.forEach((x, i) => { write(renderStep(t, i, x, { ...before }) + '\n\n'); add(before, x); });
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
      const x = parseRecordLine(text, this.name, line);
      if (this.indexed % INDEX_EVERY === 0) { this.offsets.push(offset); this.sums.push({ ...this.running }); }
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
      const x = parseRecordLine(text, this.name, l);
      if (skip-- === 0) { found = x; return false; }
      add(before, x);
    }, offset, line, 64 << 10);
    if (!found) throw new TraceError(`${this.name}: a crossing record is missing`);
    return { x: found, before };
  }

  /** The next crossing after `i` whose call (or a batch entry) is `name`, or -1: one pass forward. */
  find(i: number, name: string): number {
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
      const x = parseRecordLine(text, this.name, l);
      if (x.call.name === name || x.call.sub?.some((s) => s.name === name)) { found = j; return false; }
    }, this.offsets[c], c * INDEX_EVERY + 2, 1 << 20);
    return found;
  }
}

/**
 * Every step of a dump file as it is read: running totals, one record in memory at a
 * time. `write` returns false when the reader has gone (a closed pipe): printing stops.
 */
export function printDump(d: SteppableDump, fd: Source, write: (s: string) => boolean): void {
  const before: Totals = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  let gone = false;
  const scan = scanDump(fd, d.name, (x, i) => {
    if (!write(renderStep(d, i, x, before) + '\n\n')) { gone = true; return false; }
    add(before, x);
  });
  if (gone || !scan) return;
  write(`end: ${JSON.stringify(scan.footer.outcome)}\n`);
  if (scan.crossings !== d.count) write(`(the dump holds ${scan.crossings} crossing records; its end record counts ${d.count})\n`);
}

const HELP = 'keys: n/space/enter next, p previous, g first, G last, /NAME enter next call of NAME, NUMBER enter run that many, q quit';

/** The interactive view on a terminal. Resolves when the user quits. */
export function interactive(d: SteppableDump, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<void> {
  let i = 0, typed = '', message = '';
  const status = () => (d.complete ? '' : `  (indexing: ${d.indexed.toLocaleString('en-US')} of ${d.count.toLocaleString('en-US')} read)`);
  let shownIncomplete = false;
  const draw = () => {
    shownIncomplete = !d.complete;
    const { x, before } = d.at(i);
    output.write(`\x1b[2J\x1b[H${renderStep(d, i, x, before)}\n\n${message || HELP}${status()}\n${typed ? `> ${typed}` : ''}`);
  };
  const go = (to: number) => { i = Math.max(0, Math.min(d.count - 1, to)); };
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
                const name = typed.slice(1), j = d.find(i, name);
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
          else if (ch === 'G') { while (!d.indexMore()) { /* the last crossing needs the whole index */ } go(d.count - 1); }
          else if (ch === '/' || /[0-9]/.test(ch)) typed = ch;
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
