// Syscall events for the profiler, from our trace dumps or from real strace logs, in
// every form strace writes: plain; -f with pid prefixes; -ff files with .PID suffixes;
// -t, -tt, -ttt and -r timestamps; -T durations; <unfinished ...> and <... resumed>
// pairs; signal lines; +++ exited with N +++. A line that cannot be parsed is counted
// and reported, never dropped silently.
import { parseTrace, type Trace } from '../trace/dump.js';
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
  /** Where it came from (file:line). */
  at: string;
}

export interface EventLog {
  source: string;
  kind: 'dump' | 'strace';
  events: CallEvent[];
  /** Lines that were neither a call, nor a signal, exit or resume line. */
  unparsed: { at: string; text: string }[];
  /** Signal and exit lines, counted but not calls. */
  signals: number;
  exits: number;
  /** The dump itself, when the source is one (what-if needs its costs). */
  trace?: Trace;
}

/** Top-level crossings' calls in order; a batch counts as the batch (its entries are nested). */
export function eventsFromTrace(t: Trace, source: string): EventLog {
  const events = t.crossings.map((x, i): CallEvent => ({
    pid: 1, name: x.call.name, args: x.call.decoded, raw: x.call.args, result: x.call.result, at: `${source}:${i + 2}`,
  }));
  return { source, kind: 'dump', events, unparsed: [], signals: 0, exits: 0, trace: t };
}

/** Splits `a, "b, c", {d, e}` at top-level commas. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, quote = false, cur = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      cur += ch;
      if (ch === '\\') cur += s[++i] ?? '';
      else if (ch === '"') quote = false;
      continue;
    }
    if (ch === '"') quote = true;
    else if ('([{'.includes(ch)) depth++;
    else if (')]}'.includes(ch)) depth--;
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The index just past the `)` that closes the `(` at `open`, or -1. */
function closeParen(s: string, open: number): number {
  let depth = 0, quote = false;
  for (let i = open; i < s.length; i++) {
    const ch = s[i];
    if (quote) { if (ch === '\\') i++; else if (ch === '"') quote = false; continue; }
    if (ch === '"') quote = true;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

function parseResult(text: string): number | null | undefined {
  const m = /^\s*=\s*(\?|-?\d+|0x[0-9a-f]+)(?:\s+([A-Z][A-Z0-9_]+)\s*\(.*\))?(?:\s+\(.*\))?(?:\s+<[\d.]+>)?\s*$/.exec(text);
  if (!m) return undefined;
  if (m[1] === '?') return null;
  const v = Number(m[1]);
  return v === -1 && m[2] ? -(ERRNO[m[2]] ?? 1) : v;
}

// Common errno names strace prints; a name not listed still marks a failure (-1).
const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, ECHILD: 10, EAGAIN: 11,
  ENOMEM: 12, EACCES: 13, EFAULT: 14, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EMFILE: 24, ENOTTY: 25, ESPIPE: 29,
  EPIPE: 32, ERANGE: 34, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, EOVERFLOW: 75, ENOTSOCK: 88, EOPNOTSUPP: 95,
  ECONNREFUSED: 111, EINPROGRESS: 115, ERESTARTSYS: 512, ERESTARTNOINTR: 513 };

// Optional pid, then an optional timestamp (-t, -tt, -ttt or -r).
const PREFIX = /^\s*(?:\[pid\s+(\d+)\]\s+|(\d+)\s+)?\s*(?:(\d\d:\d\d:\d\d(?:\.\d+)?|\d+\.\d+)\s+)?/;

/** Parses one strace log; `pid` is the process when the file is one of -ff's (.PID). */
export function parseStrace(text: string, source: string, pid?: number): EventLog {
  const log: EventLog = { source, kind: 'strace', events: [], unparsed: [], signals: 0, exits: 0 };
  const pending = new Map<number, { name: string; head: string }>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const at = `${source}:${i + 1}`;
    const pre = PREFIX.exec(raw)!;
    const p = Number(pre[1] ?? pre[2] ?? pid ?? 0);
    const line = raw.slice(pre[0].length).trimEnd();
    if (/^--- .* ---$/.test(line)) { log.signals++; return; }
    if (/^\+\+\+ (exited with -?\d+|killed by \w+.*) \+\+\+$/.test(line)) { log.exits++; return; }
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (resumed) {
      const start = pending.get(p);
      pending.delete(p);
      const name = resumed[1];
      const whole = `${name}(${start && start.name === name ? start.head : ''}${resumed[2]}`;
      return addCall(whole, p, at, raw);
    }
    const unfinished = /^(\w+)\((.*) <unfinished \.\.\.>$/.exec(line);
    if (unfinished) { pending.set(p, { name: unfinished[1], head: unfinished[2] }); return; }
    addCall(line, p, at, raw);
  });
  function addCall(line: string, p: number, at: string, raw: string) {
    const m = /^(\w+)\(/.exec(line);
    const end = m ? closeParen(line, m[0].length - 1) : -1;
    const result = end > 0 ? parseResult(line.slice(end)) : undefined;
    if (!m || end < 0 || result === undefined) {
      // A call strace could not finish (the process died in it) has no result at all.
      if (m && end > 0 && line.slice(end).trim() === '= ?') { log.events.push({ pid: p, name: m[1], args: splitArgs(line.slice(m[0].length, end - 1)), result: null, at }); return; }
      log.unparsed.push({ at, text: raw });
      return;
    }
    log.events.push({ pid: p, name: m[1], args: splitArgs(line.slice(m[0].length, end - 1)), result, at });
  }
  for (const [p, s] of pending) log.unparsed.push({ at: source, text: `pid ${p}: ${s.name}( <unfinished ...> never resumed` });
  return log;
}

export class InputError extends UserError {}

/** A dump or a strace log, by its content; -ff files take their pid from the .PID suffix. */
export function readEvents(text: string, source: string): EventLog {
  if (text.startsWith('{')) {
    try {
      return eventsFromTrace(parseTrace(text, source), source);
    } catch (err) {
      throw new InputError((err as Error).message);
    }
  }
  const pid = /\.(\d+)$/.exec(source)?.[1];
  const log = parseStrace(text, source, pid ? Number(pid) : undefined);
  if (log.events.length === 0) {
    const first = log.unparsed[0];
    throw new InputError(`${first?.at ?? `${source}:1`}: neither a syscluster dump nor a strace log (no call line could be read)`);
  }
  return log;
}

