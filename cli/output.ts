// Synchronous output that survives slow readers: a pipe or terminal in non-blocking mode
// makes writeSync fail with EAGAIN when it is full; the write waits and goes on, so that
// neither strace lines nor the last error message are lost.
import fs from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `text` to `fd`, waiting while the reader is behind. */
export function writeAllSync(fd: number, text: string | Uint8Array): void {
  let buf = typeof text === 'string' ? Buffer.from(text) : text;
  let waited = 0;
  while (buf.length > 0) {
    try {
      const n = fs.writeSync(fd, buf);
      buf = buf.subarray(n);
      waited = 0;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(pause, 0, 0, Math.min(50, 1 + waited++)); // the reader is behind: wait a little
    }
  }
}
