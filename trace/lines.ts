// Reading big files a line at a time in bounded memory: a chunk is read, cut at its last
// newline, and handed over line by line. Nothing holds the whole file, so files far
// larger than V8's string limit (512 MiB) read as easily as small ones.
import fs from 'node:fs';

const CHUNK = 4 << 20;

/** An open file, or bytes already in memory. */
export type Source = number | Uint8Array;

/** Like fs.readSync at a position, for either kind of source. */
export function readAt(src: Source, buf: Uint8Array, off: number, len: number, pos: number): number {
  if (typeof src === 'number') return fs.readSync(src, buf, off, len, pos);
  const n = Math.max(0, Math.min(len, src.length - pos));
  buf.set(src.subarray(pos, pos + n), off);
  return n;
}
/** No line may be longer than this: a longer one is not a record of ours, nor a log line. */
export const MAX_LINE = 64 << 20;

export class LineTooLong extends Error {
  constructor(readonly line: number) { super(`line ${line} is longer than ${MAX_LINE >> 20} MiB`); }
}

/**
 * Calls `each(text, lineNo, offset, byteLength)` for every line (without its newline) of
 * the open file `fd`, from byte `start`. `each` returns false to stop. Offsets are in
 * bytes, so a line can be read again later with `readLineAt`. A last line without a
 * newline is passed too, with `complete` false.
 */
export function forEachLine(fd: Source, each: (text: string, lineNo: number, offset: number, bytes: number, complete: boolean) => boolean | void,
  start = 0, firstLine = 1, chunk = CHUNK): void {
  let buf = Buffer.allocUnsafe(chunk);
  let have = 0; // bytes of buf in use (a partial line carried over)
  let pos = start, lineNo = firstLine, base = start;
  for (;;) {
    if (have === buf.length) {
      if (buf.length >= MAX_LINE) throw new LineTooLong(lineNo);
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, have);
      buf = bigger;
    }
    const n = readAt(fd, buf, have, buf.length - have, pos);
    pos += n;
    const end = have + n;
    if (n === 0) {
      if (have > 0) each(buf.toString('utf8', 0, have), lineNo, base, have, false);
      return;
    }
    let from = 0;
    for (let nl = buf.indexOf(10, have); nl >= 0 && nl < end; nl = buf.indexOf(10, from)) {
      if (nl >= end) break;
      const cut = nl > from && buf[nl - 1] === 13 ? nl - 1 : nl; // tolerate CRLF
      if (each(buf.toString('utf8', from, cut), lineNo, base + from, nl - from, true) === false) return;
      lineNo++;
      from = nl + 1;
    }
    // Carry the partial line to the front.
    buf.copy(buf, 0, from, end);
    have = end - from;
    base += from;
  }
}

/** The line of `bytes` bytes (its newline excluded) at `offset`. */
export function readLineAt(fd: number, offset: number, bytes: number): string {
  const b = Buffer.allocUnsafe(bytes);
  let got = 0;
  while (got < bytes) {
    const n = fs.readSync(fd, b, got, bytes - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return b.toString('utf8', 0, got).replace(/\r$/, '');
}

/** The last line of a file that is not empty, and its offset, by reading from the end. */
export function lastLine(fd: Source, size: number): { text: string; offset: number } | undefined {
  let tail = Math.min(size, 64 << 10);
  for (;;) {
    const b = Buffer.allocUnsafe(tail);
    readAt(fd, b, 0, tail, size - tail);
    let end = tail;
    while (end > 0 && (b[end - 1] === 10 || b[end - 1] === 13)) end--;
    const nl = b.lastIndexOf(10, end - 1);
    if (nl >= 0 || tail === size) {
      return { text: b.toString('utf8', nl + 1, end), offset: size - tail + nl + 1 };
    }
    if (tail >= MAX_LINE) return undefined;
    tail = Math.min(size, tail * 4);
  }
}

/** Writes text to a file descriptor through a buffer, in big writes. */
export class BufferedWriter {
  private parts: string[] = [];
  private size = 0;
  bytesWritten = 0;
  constructor(private readonly fd: number, private readonly flushAt = 1 << 20) {}

  write(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= this.flushAt) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const b = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    this.size = 0;
    if (!writeAllSync(this.fd, b)) throw Object.assign(new Error('the reader of the output has gone'), { code: 'EPIPE' });
    this.bytesWritten += b.length;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `b` to `fd`, waiting out a full non-blocking pipe (EAGAIN); false when the
 * reader has gone (EPIPE), so that a command piped into `head` stops at once.
 */
export function writeAllSync(fd: number, b: Uint8Array): boolean {
  let off = 0;
  while (off < b.length) {
    try {
      off += fs.writeSync(fd, b, off, b.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return false;
      if (code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
  return true;
}

/** Text to a descriptor in big writes; `write` returns false once the reader has gone. */
export class FdOutput {
  private parts: string[] = [];
  private size = 0;
  gone = false;
  constructor(private readonly fd: number, private readonly flushAt = 64 << 10) {}
  write(s: string): boolean {
    if (this.gone) return false;
    this.parts.push(s);
    this.size += s.length;
    return this.size >= this.flushAt ? this.flush() : true;
  }
  flush(): boolean {
    if (this.gone) return false;
    if (this.parts.length) {
      const b = Buffer.from(this.parts.join(''), 'utf8');
      this.parts = [];
      this.size = 0;
      if (!writeAllSync(this.fd, b)) this.gone = true;
    }
    return !this.gone;
  }
}
