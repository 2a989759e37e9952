// Syscall events for the profiler, from our trace dumps or from real strace logs, in
// every form strace writes: plain; -f with pid prefixes; -ff files with .PID suffixes;
// -t, -tt, -ttt and -r timestamps; -T durations; -y and -yy descriptors (`3</etc/passwd>`);
// <unfinished ...> and <... resumed> pairs; signal lines; +++ exited with N +++; the
// banner line of `syscluster run --strace-out`. A line that cannot be parsed is counted
// and reported, never dropped silently.
//
// Files are read a chunk at a time and each line goes through a small hand-written
// scanner (no regular expressions on the hot path); events are handed to a consumer one
// by one, so memory does not grow with the log.
import fs from 'node:fs';
import { E } from '../kernel-model/errno.js';
import { TraceError, scanDump, type Trace, type TraceFooter, type TraceHeader } from '../trace/dump.js';
import { forEachLine, LineTooLong, type Source } from '../trace/lines.js';
import { UserError } from '../kernel-model/limits.js';

export interface CallEvent {
  pid: number;
  name: string;
  /** Arguments as printed (decoded text). */
  args: string[];
  /** Raw argument words, when the source has them (our dumps do; strace logs do not). */
  raw?: number[];
  /** The result: a number, or null for `?`. */
  result: number | null;
  /** The line it came from. */
  line: number;
}

/** What reading one source found, besides its calls. */
export interface SourceSummary {
  source: string;
  kind: 'dump' | 'strace';
  calls: number;
  /** The first lines that were neither a call, nor a signal, exit, resume or banner line. */
  unparsed: { at: string; text: string }[];
  /** How many such lines in all. */
  unparsedCount: number;
  /** Signal and exit lines, counted but not calls. */
  signals: number;
  exits: number;
  /** A dump's header and end record (what-if needs its platform and ledger). */
  header?: TraceHeader;
  footer?: TraceFooter;
}

/** A source read whole into memory (small inputs, tests, --emit-specialized). */
export interface EventLog extends SourceSummary {
  events: CallEvent[];
  trace?: Trace;
}

/** How many unparsed lines are kept to show; the rest are only counted. */
const UNPARSED_KEPT = 100;

export class InputError extends UserError {}

/** Splits `a, "b, c", {d, e}` at top-level commas. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < n; i++) {
        const d = s.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth--;
    else if (c === 60 /* < */ && i > 0 && isDigit(s.charCodeAt(i - 1))) i = skipAngle(s, i);
    else if (c === 44 /* , */ && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last) out.push(last);
  return out;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isWord = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95;

/** -y prints a descriptor as `3</path>`: skips to its closing `>` (paths may hold parentheses). */
function skipAngle(s: string, at: number): number {
  const end = s.indexOf('>', at + 1);
  return end < 0 ? at : end;
}

/** The index just past the `)` that closes the `(` at `open`, or -1. */
function closeParen(s: string, open: number): number {
  let depth = 0;
  const n = s.length;
  for (let i = open; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      for (i++; i < n; i++) {
        const d = s.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 40) depth++;
    else if (c === 41) { if (--depth === 0) return i + 1; }
    else if (c === 60 && i > 0 && isDigit(s.charCodeAt(i - 1))) i = skipAngle(s, i);
  }
  return -1;
}

/**
 * The result after the closing parenthesis: ` = N`, ` = -1 ENOENT (text)`, ` = 0x...`,
 * ` = ?`, ` = 3</path>` (-y), with an optional ` (note)` and ` <duration>` (-T).
 * Undefined when the text is not a result.
 */
export function parseResult(text: string): number | null | undefined {
  let i = 0;
  const n = text.length;
  while (i < n && text.charCodeAt(i) === 32) i++;
  if (text.charCodeAt(i) !== 61 /* = */) return undefined;
  i++;
  while (i < n && text.charCodeAt(i) === 32) i++;
  let value: number | null;
  const start = i;
  if (text.charCodeAt(i) === 63 /* ? */) { value = null; i++; }
  else {
    if (text.charCodeAt(i) === 45) i++;
    if (text.charCodeAt(i) === 48 && text.charCodeAt(i + 1) === 120 /* 0x */) {
      i += 2;
      const h = i;
      while (i < n && /[0-9a-fA-F]/.test(text[i])) i++;
      if (i === h) return undefined;
    } else {
      const d = i;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
      if (i === d) return undefined;
    }
    value = Number(text.slice(start, i));
    if (!Number.isFinite(value)) return undefined;
    if (text.charCodeAt(i) === 60 /* < */) { // -y: the descriptor's path
      const end = text.indexOf('>', i);
      if (end < 0) return undefined;
      i = end + 1;
    }
  }
  // An errno name, then notes in parentheses or a duration in angle brackets.
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32) { i++; continue; }
    if (c >= 65 && c <= 90) {
      const w = i;
      while (i < n && isWord(text.charCodeAt(i))) i++;
      if (value === -1) value = -((E as Record<string, number>)[text.slice(w, i)] ?? 1);
      continue;
    }
    if (c === 40 /* ( */) {
      const end = closeParen(text, i);
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (c === 60 /* < */) {
      const end = text.indexOf('>', i);
      if (end < 0) return undefined;
      i = end + 1;
      continue;
    }
    return undefined;
  }
  return value;
}

/** Reads strace lines one at a time, keeping only unfinished calls between lines. */
export class StraceParser {
  readonly summary: SourceSummary;
  private readonly pending = new Map<number, { name: string; head: string }>();

  constructor(readonly source: string, private readonly onCall: (e: CallEvent) => void, private readonly pid?: number) {
    this.summary = { source, kind: 'strace', calls: 0, unparsed: [], unparsedCount: 0, signals: 0, exits: 0 };
  }

  private bad(line: number, text: string): void {
    this.summary.unparsedCount++;
    if (this.summary.unparsed.length < UNPARSED_KEPT) this.summary.unparsed.push({ at: `${this.source}:${line}`, text: text.slice(0, 200) });
  }

  line(raw: string, lineNo: number): void {
    const n = raw.length;
    let i = 0;
    while (i < n && raw.charCodeAt(i) === 32) i++;
    if (i === n) return; // a blank line
    let p = this.pid ?? 0;
    // [pid N] or N (strace -f), but not a -ttt or -r timestamp (digits then a dot).
    if (raw.startsWith('[pid', i)) {
      let j = i + 4;
      while (j < n && raw.charCodeAt(j) === 32) j++;
      const d = j;
      while (j < n && isDigit(raw.charCodeAt(j))) j++;
      if (j > d && raw.charCodeAt(j) === 93 /* ] */) { p = Number(raw.slice(d, j)); i = j + 1; }
    } else if (isDigit(raw.charCodeAt(i))) {
      let j = i;
      while (j < n && isDigit(raw.charCodeAt(j))) j++;
      if (raw.charCodeAt(j) === 32) { p = Number(raw.slice(i, j)); i = j; }
    }
    while (i < n && raw.charCodeAt(i) === 32) i++;
    // A timestamp: HH:MM:SS[.frac] (-t, -tt) or N.frac (-ttt, -r).
    if (isDigit(raw.charCodeAt(i))) {
      let j = i;
      while (j < n && (isDigit(raw.charCodeAt(j)) || raw.charCodeAt(j) === 58 || raw.charCodeAt(j) === 46)) j++;
      if (raw.charCodeAt(j) === 32 && j > i) {
        const stamp = raw.slice(i, j);
        if (/^\d\d:\d\d:\d\d(\.\d+)?$|^\d+\.\d+$/.test(stamp)) { i = j; while (i < n && raw.charCodeAt(i) === 32) i++; }
      }
    }
    let end = n;
    while (end > i && (raw.charCodeAt(end - 1) === 32 || raw.charCodeAt(end - 1) === 13)) end--;
    const line = i === 0 && end === n ? raw : raw.slice(i, end);
    const c0 = line.charCodeAt(0);
    if (c0 === 45 /* - */ && line.startsWith('--- ') && line.endsWith(' ---')) { this.summary.signals++; return; }
    if (c0 === 43 /* + */ && line.startsWith('+++ ') && line.endsWith(' +++') && /^\+\+\+ (exited with -?\d+|killed by \w+.*) \+\+\+$/.test(line)) { this.summary.exits++; return; }
    if (c0 === 60 /* < */ && line.startsWith('<... ')) {
      let j = 5;
      while (j < line.length && isWord(line.charCodeAt(j))) j++;
      if (j > 5 && line.startsWith(' resumed>', j)) {
        const name = line.slice(5, j);
        const start = this.pending.get(p);
        this.pending.delete(p);
        this.call(`${name}(${start && start.name === name ? start.head : ''}${line.slice(j + 9)}`, p, lineNo, raw);
        return;
      }
    }
    if (lineNo === 1 && line.startsWith('syscluster: ')) return; // the banner of `syscluster run --strace-out`
    if (line.endsWith(' <unfinished ...>')) {
      let j = 0;
      while (j < line.length && isWord(line.charCodeAt(j))) j++;
      if (j > 0 && line.charCodeAt(j) === 40) {
        this.pending.set(p, { name: line.slice(0, j), head: line.slice(j + 1, line.length - 17) });
        return;
      }
    }
    this.call(line, p, lineNo, raw);
  }

  private call(line: string, p: number, lineNo: number, raw: string): void {
    let j = 0;
    while (j < line.length && isWord(line.charCodeAt(j))) j++;
    if (j === 0 || line.charCodeAt(j) !== 40 || j > 64) { this.bad(lineNo, raw); return; }
    const end = closeParen(line, j);
    if (end < 0) { this.bad(lineNo, raw); return; }
    const result = parseResult(line.slice(end));
    if (result === undefined) { this.bad(lineNo, raw); return; }
    this.summary.calls++;
    this.onCall({ pid: p, name: line.slice(0, j), args: splitArgs(line.slice(j + 1, end - 1)), result, line: lineNo });
  }

  /** Calls left unfinished at the end are reported, not dropped. */
  finish(): SourceSummary {
    for (const [p, s] of this.pending) this.bad(0, `pid ${p}: ${s.name}( <unfinished ...> never resumed`);
    this.pending.clear();
    for (const u of this.summary.unparsed) if (u.at.endsWith(':0')) u.at = this.source;
    return this.summary;
  }
}

/** Parses one strace log held in a string; `pid` is the process when the file is one of -ff's (.PID). */
export function parseStrace(text: string, source: string, pid?: number): EventLog {
  const events: CallEvent[] = [];
  const parser = new StraceParser(source, (e) => events.push(e), pid);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, i) => parser.line(l, i + 1));
  return { ...parser.finish(), events };
}

/** The pid of an -ff file (`trace.1234`). */
const ffPid = (source: string): number | undefined => {
  const m = /\.(\d+)$/.exec(source);
  return m ? Number(m[1]) : undefined;
};

/**
 * Streams the calls of a dump or a strace log (decided by the first byte) to `onCall`:
 * a dump's top-level crossings in order (a batch counts as the batch), a log's calls.
 */
export function streamEvents(src: Source, source: string, onCall: (e: CallEvent) => void, onHeader?: (h: TraceHeader) => void): SourceSummary {
  const first = new Uint8Array(1);
  const got = typeof src === 'number' ? fs.readSync(src, first, 0, 1, 0) : Math.min(1, src.length);
  if (typeof src !== 'number' && got) first[0] = src[0];
  if (got && first[0] === 0x7b /* { */) {
    let scan;
    try {
      scan = scanDump(src, source, (x, i) => {
        onCall({ pid: 1, name: x.call.name, args: x.call.decoded, raw: x.call.args, result: x.call.result, line: i + 2 });
      }, onHeader)!;
    } catch (err) {
      if (err instanceof TraceError) throw new InputError(err.message);
      throw err;
    }
    return { source, kind: 'dump', calls: scan.crossings, unparsed: [], unparsedCount: 0, signals: 0, exits: 0, header: scan.header, footer: scan.footer };
  }
  const parser = new StraceParser(source, onCall, ffPid(source));
  try {
    forEachLine(src, (text, line) => parser.line(text, line));
  } catch (err) {
    if (err instanceof LineTooLong) throw new InputError(`${source}:${err.line}: a line longer than 64 MiB: neither a syscluster dump nor a strace log`);
    throw err;
  }
  const summary = parser.finish();
  if (summary.calls === 0) {
    throw new InputError(`${summary.unparsed[0]?.at ?? `${source}:1`}: neither a syscluster dump nor a strace log (no call line could be read)`);
  }
  return summary;
}

/** A dump or a strace log held in a string, read whole (small inputs, tests). */
export function readEvents(text: string, source: string): EventLog {
  const events: CallEvent[] = [];
  const summary = streamEvents(Buffer.from(text, 'utf8'), source, (e) => events.push(e));
  return { ...summary, events };
}
