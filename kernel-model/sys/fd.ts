// Descriptor syscalls: dup, dup2, dup3, fcntl (descriptor flags, status flags, locks) and
// the terminal ioctls. Descriptors made by dup share one description (one offset).
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';
import { O, type OpenFile } from '../vfs.js';
import { copyPair } from './fs.js';

export const F = {
  DUPFD: 0, GETFD: 1, SETFD: 2, GETFL: 3, SETFL: 4, GETLK: 5, SETLK: 6, SETLKW: 7,
  SETOWN: 8, GETOWN: 9, GETLK64: 12, SETLK64: 13, SETLKW64: 14, DUPFD_CLOEXEC: 1030,
} as const;
export const FD_CLOEXEC = 1;
const F_UNLCK = 2;

export const IOCTL = { TCGETS: 0x5401, TIOCGWINSZ: 0x5413, FIONREAD: 0x541b, FICLONE: 0x40049409, FICLONERANGE: 0x4020940d, FIDEDUPERANGE: 0xc0189436 } as const;

/**
 * FICLONE and FICLONERANGE (fs/ioctl.c, ioctl_file_clone): the source descriptor must
 * exist (EBADF), the pair pass the copy checks, and then the file system must share
 * extents, which the model's, like ext4's, cannot: EOPNOTSUPP, so that cp falls back to
 * copying. FIDEDUPERANGE the same, after its own argument is read.
 */
function clone(k: Kernel, file: OpenFile, request: number, argp: number): number {
  if (request === IOCTL.FIDEDUPERANGE) { k.copyIn(argp, 24); throw new KernelError(E.EOPNOTSUPP); }
  // struct file_clone_range begins with the source descriptor, an s64.
  const srcFd = request === IOCTL.FICLONE ? argp : Buffer.from(k.copyIn(argp, 32)).readInt32LE(0);
  copyPair(k.fds.get(srcFd | 0), file);
  throw new KernelError(E.EOPNOTSUPP);
}

function fcntl(k: Kernel, fd: number, cmd: number, a: number): number {
  const file = k.fds.get(fd);
  switch (cmd) {
    case F.DUPFD: case F.DUPFD_CLOEXEC:
      if ((a | 0) < 0 || a >= k.fds.limit) throw new KernelError(E.EINVAL);
      return k.fds.install(file, cmd === F.DUPFD_CLOEXEC, a);
    case F.GETFD: return k.fds.cloexec(fd) ? FD_CLOEXEC : 0;
    case F.SETFD: k.fds.setCloexec(fd, (a & FD_CLOEXEC) !== 0); return 0;
    // O_LARGEFILE shows only if the guest opened with it (glibc's open64 does), as on i386 Linux.
    case F.GETFL: return file.flags;
    case F.SETFL: file.setStatusFlags(a); return 0;
    case F.GETLK: case F.GETLK64: {
      // One process holds every lock there is: nothing conflicts.
      k.copyIn(a, cmd === F.GETLK ? 16 : 24);
      k.copyOut(a, Uint8Array.of(F_UNLCK, 0));
      return 0;
    }
    case F.SETLK: case F.SETLKW: case F.SETLK64: case F.SETLKW64:
      k.copyIn(a, cmd === F.SETLK || cmd === F.SETLKW ? 16 : 24);
      return 0;
    case F.GETOWN: return 0;
    case F.SETOWN: return 0;
    default: throw new KernelError(E.EINVAL);
  }
}

export const fdCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 41, name: 'dup', family: 'fd', support: 'full',
    args: [arg('oldfd', 'fd')],
    handler: (k, [fd]) => k.fds.install(k.fds.get(fd)),
  },
  {
    nr: 54, name: 'ioctl', family: 'fd', support: 'partial',
    note: 'TCGETS and TIOCGWINSZ on a terminal (the host\'s); FICLONE, FICLONERANGE and FIDEDUPERANGE EOPNOTSUPP (no reflinks); ENOTTY for every other file and request',
    args: [arg('fd', 'fd'), arg('request', 'ioctl_req'), arg('argp', 'ptr')],
    handler(k, [fd, request, argp]) {
      const file = k.fds.get(fd);
      if (request === IOCTL.TCGETS) { const t = file.termios(); k.copyOut(argp, t); return 0; }
      if (request === IOCTL.TIOCGWINSZ) { const w = file.winsize(); k.copyOut(argp, w); return 0; }
      if (request === IOCTL.FICLONE || request === IOCTL.FICLONERANGE || request === IOCTL.FIDEDUPERANGE) return clone(k, file, request, argp);
      throw new KernelError(E.ENOTTY);
    },
  },
  {
    nr: 55, name: 'fcntl', family: 'fd', support: 'partial',
    note: 'F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL; record locks always granted (one process)',
    args: [arg('fd', 'fd'), arg('cmd', 'fcntl_cmd'), arg('arg', 'uint')],
    handler: (k, [fd, cmd, a]) => fcntl(k, fd, cmd, a),
  },
  {
    nr: 63, name: 'dup2', family: 'fd', support: 'full',
    args: [arg('oldfd', 'fd'), arg('newfd', 'fd')],
    handler(k, [oldfd, newfd]) {
      const file = k.fds.get(oldfd);
      if (oldfd === newfd) return newfd;
      return k.fds.installAt(newfd | 0, file, false);
    },
  },
  {
    nr: 221, name: 'fcntl64', family: 'fd', support: 'partial',
    note: 'as fcntl, with F_GETLK64/F_SETLK64/F_SETLKW64',
    args: [arg('fd', 'fd'), arg('cmd', 'fcntl_cmd'), arg('arg', 'uint')],
    handler: (k, [fd, cmd, a]) => fcntl(k, fd, cmd, a),
  },
  {
    nr: 330, name: 'dup3', family: 'fd', support: 'full',
    args: [arg('oldfd', 'fd'), arg('newfd', 'fd'), arg('flags', 'fdflags')],
    handler(k, [oldfd, newfd, flags]) {
      if (flags & ~O.CLOEXEC) throw new KernelError(E.EINVAL);
      const file = k.fds.get(oldfd);
      if (oldfd === newfd) throw new KernelError(E.EINVAL);
      return k.fds.installAt(newfd | 0, file, (flags & O.CLOEXEC) !== 0);
    },
  },
];
