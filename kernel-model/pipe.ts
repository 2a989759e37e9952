// Pipes: a 64 KiB ring of bytes (Linux's default capacity, 16 pages) with a read end and
// a write end, each an open file description that fork and dup share. A read of an empty
// pipe with writers left, or a write to a full one with readers left, cannot finish
// now: it raises WouldBlock, and the scheduler runs the caller again once it can.
import { E, KernelError } from './errno.js';
import { BaseFile, O, PIPE_STAT, type Stat } from './vfs.js';

/** Linux's default pipe capacity (PIPE_DEF_BUFFERS pages). */
export const PIPE_CAPACITY = 65536;
/** Writes of at most PIPE_BUF bytes are atomic: they wait for room for all of them. */
export const PIPE_BUF = 4096;

/** Linux's -ERESTARTSYS: the call sleeps and is restarted when it can proceed (never seen by the guest). */
export const ERESTARTSYS = 512;
/** -ERESTARTNOHAND: restarted unless a handler ran (pause, sigsuspend: EINTR after a handler). */
export const ERESTARTNOHAND = 514;

/**
 * A call that must sleep: `ready` says when it may run again (data, room, a child's
 * exit); the caller is parked on its trap, as Linux's -ERESTARTSYS restarts a call.
 */
export class WouldBlock extends KernelError {
  constructor(readonly ready: () => boolean, readonly what: string, errno = ERESTARTSYS) {
    super(errno);
  }
}

let nextPipeIno = 1;

export class Pipe {
  private readonly buf = new Uint8Array(PIPE_CAPACITY);
  private head = 0;
  length = 0;
  readers = 0;
  writers = 0;
  readonly ino = nextPipeIno++;
  /** Called when a write finds no reader: the writer gets SIGPIPE. */
  constructor(readonly brokenPipe: () => void) {}

  push(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) this.buf[(this.head + this.length + i) % PIPE_CAPACITY] = bytes[i];
    this.length += bytes.length;
  }

  take(len: number): Uint8Array {
    const n = Math.min(len, this.length);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.buf[(this.head + i) % PIPE_CAPACITY];
    this.head = (this.head + n) % PIPE_CAPACITY;
    this.length -= n;
    return out;
  }

  get room(): number {
    return PIPE_CAPACITY - this.length;
  }
}

export class PipeEnd extends BaseFile {
  readonly name: string;
  constructor(readonly pipe: Pipe, readonly end: 'read' | 'write', public flags: number) {
    super();
    this.name = `pipe:[${pipe.ino}]`;
    if (end === 'read') pipe.readers++;
    else pipe.writers++;
  }

  read(len: number): Uint8Array {
    if (this.end !== 'read') throw new KernelError(E.EBADF);
    const p = this.pipe;
    if (len === 0) return new Uint8Array(0);
    if (p.length === 0) {
      if (p.writers === 0) return new Uint8Array(0); // end of file
      if (this.flags & O.NONBLOCK) throw new KernelError(E.EAGAIN);
      throw new WouldBlock(() => p.length > 0 || p.writers === 0, 'pipe_read');
    }
    return p.take(len);
  }

  write(bytes: Uint8Array): number {
    if (this.end !== 'write') throw new KernelError(E.EBADF);
    const p = this.pipe;
    if (p.readers === 0) {
      p.brokenPipe();
      throw new KernelError(E.EPIPE);
    }
    if (bytes.length === 0) return 0;
    const need = bytes.length <= PIPE_BUF ? bytes.length : 1;
    if (p.room < need) {
      if (this.flags & O.NONBLOCK) throw new KernelError(E.EAGAIN);
      throw new WouldBlock(() => p.room >= need || p.readers === 0, 'pipe_write');
    }
    // A write larger than PIPE_BUF takes what fits now and returns the count; callers loop.
    const n = Math.min(bytes.length, p.room);
    p.push(bytes.subarray(0, n));
    return n;
  }

  stat(): Stat {
    return { ...PIPE_STAT, ino: this.pipe.ino, mode: PIPE_STAT.mode, size: 0 };
  }

  close(): void {
    if (this.end === 'read') this.pipe.readers--;
    else this.pipe.writers--;
  }
}

/** Both ends of a new pipe; `flags` may hold O_NONBLOCK (O_CLOEXEC is the descriptors'). */
export function makePipe(flags: number, brokenPipe: () => void): [PipeEnd, PipeEnd] {
  const p = new Pipe(brokenPipe);
  const status = flags & O.NONBLOCK;
  return [new PipeEnd(p, 'read', O.RDONLY | status), new PipeEnd(p, 'write', O.WRONLY | status)];
}
