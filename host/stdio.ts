// The host's own fds 0, 1 and 2 as the guest's standard streams.
import fs from 'node:fs';
import tty from 'node:tty';
import { E, KernelError, hostErrno } from '../kernel-model/errno.js';
import type { Stat, Stdio } from '../kernel-model/vfs.js';
import { toStat } from './hostfs.js';
import { check, libc } from './libc.js';

const TCGETS = 0x5401, TIOCGWINSZ = 0x5413; // the same numbers on i386 and x86-64

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) {
    try {
      off += fs.writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw new KernelError(hostErrno(err));
    }
  }
}

function terminalIoctl(fd: number, request: number, size: number): Uint8Array {
  if (!tty.isatty(fd)) throw new KernelError(E.ENOTTY);
  const b = Buffer.alloc(size);
  check(libc().ioctl(fd, request, b));
  return b;
}

export const hostStdio: Stdio = {
  readIn(len) {
    const buf = Buffer.alloc(len);
    try {
      return buf.subarray(0, fs.readSync(0, buf, 0, len, null));
    } catch (err) {
      if ((err as { code?: string }).code === 'EOF') return buf.subarray(0, 0);
      throw new KernelError(hostErrno(err));
    }
  },
  writeOut: (bytes) => { writeAll(1, bytes); },
  writeErr: (bytes) => { writeAll(2, bytes); },
  stat(fd): Stat {
    try {
      return toStat(fs.fstatSync(fd, { bigint: true }));
    } catch (err) {
      throw new KernelError(hostErrno(err));
    }
  },
  termios: (fd) => terminalIoctl(fd, TCGETS, 36),
  winsize: (fd) => terminalIoctl(fd, TIOCGWINSZ, 8),
};
