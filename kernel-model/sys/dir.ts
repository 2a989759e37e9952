// Directory and name syscalls: the working directory, reading directories (getdents),
// making and removing names (mkdir, rmdir, unlink, rename, link, symlink), readlink.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';
import { RENAME, S, normalize, type DirEntry } from '../vfs.js';

const AT = { SYMLINK_FOLLOW: 0x400, REMOVEDIR: 0x200, EMPTY_PATH: 0x1000 } as const;
const FDCWD = -100;

const align = (n: number, to: number) => Math.ceil(n / to) * to;

/** struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name[] NUL; 8-byte aligned. */
function dirent64(e: DirEntry): Uint8Array {
  const name = Buffer.from(e.name, 'latin1');
  const b = Buffer.alloc(align(19 + name.length + 1, 8));
  b.writeBigUInt64LE(BigInt(e.ino), 0);
  b.writeBigInt64LE(BigInt(e.next), 8);
  b.writeUInt16LE(b.length, 16);
  b[18] = e.type;
  name.copy(b, 19);
  return b;
}

/** struct linux_dirent (i386): d_ino u32, d_off u32, d_reclen u16, d_name[] NUL, then d_type in the last byte. */
function dirent32(e: DirEntry): Uint8Array {
  if (e.ino > 0xffffffff) throw new KernelError(E.EOVERFLOW);
  const name = Buffer.from(e.name, 'latin1');
  const b = Buffer.alloc(align(10 + name.length + 2, 4));
  b.writeUInt32LE(e.ino, 0);
  b.writeUInt32LE(e.next >>> 0, 4); // a 64-bit host cookie is cut, as a 32-bit reader sees it
  b.writeUInt16LE(b.length, 8);
  name.copy(b, 10);
  b[b.length - 1] = e.type;
  return b;
}

function getdents(k: Kernel, fd: number, dirp: number, count: number, encode: (e: DirEntry) => Uint8Array): number {
  const file = k.fds.get(fd);
  const records: Uint8Array[] = [];
  let used = 0;
  let tooSmall = false;
  file.readEntries((e) => {
    const r = encode(e);
    if (used + r.length > count) { tooSmall = records.length === 0; return false; }
    records.push(r);
    used += r.length;
    return true;
  });
  if (tooSmall) throw new KernelError(E.EINVAL);
  if (used > 0) k.copyOut(dirp, Buffer.concat(records));
  return used;
}

/** The guest's path of its program, for readlink of /proc/self/exe and /proc/PID/exe. */
function procExe(k: Kernel, guestPath: string): string | undefined {
  const c = normalize(guestPath);
  return c.length === 3 && c[0] === 'proc' && (c[1] === 'self' || c[1] === String(k.pid)) && c[2] === 'exe' ? k.exePath : undefined;
}

function readlink(k: Kernel, dirfd: number, pathname: number, buf: number, size: number): number {
  const p = k.path(pathname);
  if ((size | 0) <= 0) throw new KernelError(E.EINVAL);
  const where = k.at(dirfd, p);
  const target = procExe(k, where) ?? k.fs.readlink(where);
  const bytes = Buffer.from(target, 'latin1').subarray(0, size);
  k.copyOut(buf, bytes);
  return bytes.length;
}

function mkdir(k: Kernel, dirfd: number, pathname: number, mode: number): number {
  k.fs.mkdir(k.at(dirfd, k.path(pathname)), mode & 0o7777 & ~k.umask);
  return 0;
}

function unlink(k: Kernel, dirfd: number, pathname: number, flags: number): number {
  if (flags & ~AT.REMOVEDIR) throw new KernelError(E.EINVAL);
  const p = k.at(dirfd, k.path(pathname));
  if (flags & AT.REMOVEDIR) k.fs.rmdir(p);
  else k.fs.unlink(p);
  return 0;
}

function rename(k: Kernel, olddirfd: number, oldpath: number, newdirfd: number, newpath: number, flags: number): number {
  const from = k.path(oldpath), to = k.path(newpath);
  if (flags & ~(RENAME.NOREPLACE | RENAME.EXCHANGE | RENAME.WHITEOUT)) throw new KernelError(E.EINVAL);
  if ((flags & RENAME.NOREPLACE) && (flags & RENAME.EXCHANGE)) throw new KernelError(E.EINVAL);
  if (flags & RENAME.WHITEOUT) throw new KernelError(E.EINVAL);
  k.fs.rename(k.at(olddirfd, from), k.at(newdirfd, to), flags);
  return 0;
}

function link(k: Kernel, olddirfd: number, oldpath: number, newdirfd: number, newpath: number, flags: number): number {
  const from = k.path(oldpath), to = k.path(newpath);
  if (flags & ~(AT.SYMLINK_FOLLOW | AT.EMPTY_PATH)) throw new KernelError(E.EINVAL);
  if (from === '' && (flags & AT.EMPTY_PATH)) throw new KernelError(E.ENOENT); // needs CAP_DAC_READ_SEARCH
  k.fs.link(k.at(olddirfd, from), k.at(newdirfd, to), (flags & AT.SYMLINK_FOLLOW) !== 0);
  return 0;
}

function symlink(k: Kernel, target: number, newdirfd: number, linkpath: number): number {
  const t = k.path(target), p = k.path(linkpath);
  k.fs.symlink(t, k.at(newdirfd, p));
  return 0;
}

export const dirCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 9, name: 'link', family: 'dir', support: 'full',
    args: [arg('oldpath', 'path'), arg('newpath', 'path')],
    handler: (k, [a, b]) => link(k, FDCWD, a, FDCWD, b, 0),
  },
  {
    nr: 10, name: 'unlink', family: 'dir', support: 'full',
    args: [arg('pathname', 'path')],
    handler: (k, [pathname]) => unlink(k, FDCWD, pathname, 0),
  },
  {
    nr: 12, name: 'chdir', family: 'dir', support: 'full',
    args: [arg('path', 'path')],
    handler(k, [pathname]) {
      k.cwd = k.fs.directory(k.at(FDCWD, k.path(pathname)));
      return 0;
    },
  },
  {
    nr: 38, name: 'rename', family: 'dir', support: 'full',
    args: [arg('oldpath', 'path'), arg('newpath', 'path')],
    handler: (k, [a, b]) => rename(k, FDCWD, a, FDCWD, b, 0),
  },
  {
    nr: 39, name: 'mkdir', family: 'dir', support: 'full',
    args: [arg('pathname', 'path'), arg('mode', 'mode')],
    handler: (k, [pathname, mode]) => mkdir(k, FDCWD, pathname, mode),
  },
  {
    nr: 40, name: 'rmdir', family: 'dir', support: 'full',
    args: [arg('pathname', 'path')],
    handler: (k, [pathname]) => unlink(k, FDCWD, pathname, AT.REMOVEDIR),
  },
  {
    nr: 83, name: 'symlink', family: 'dir', support: 'full',
    args: [arg('target', 'path'), arg('linkpath', 'path')],
    handler: (k, [t, p]) => symlink(k, t, FDCWD, p),
  },
  {
    nr: 85, name: 'readlink', family: 'dir', support: 'full', note: '/proc/self/exe gives the program\'s guest path',
    args: [arg('pathname', 'path'), arg('buf', 'path_out'), arg('bufsiz', 'size')],
    handler: (k, [p, buf, size]) => readlink(k, FDCWD, p, buf, size),
  },
  {
    nr: 133, name: 'fchdir', family: 'dir', support: 'full',
    args: [arg('fd', 'fd')],
    handler(k, [fd]) {
      const dir = k.fds.get(fd);
      if ((dir.stat().mode & S.IFMT) !== S.IFDIR) throw new KernelError(E.ENOTDIR);
      k.cwd = dir.name;
      return 0;
    },
  },
  {
    nr: 141, name: 'getdents', family: 'dir', support: 'full',
    args: [arg('fd', 'fd'), arg('dirp', 'dirent_out'), arg('count', 'size')],
    handler: (k, [fd, dirp, count]) => getdents(k, fd, dirp, count, dirent32),
  },
  {
    nr: 183, name: 'getcwd', family: 'dir', support: 'full',
    args: [arg('buf', 'path_out'), arg('size', 'size')],
    handler(k, [buf, size]) {
      const bytes = Buffer.from(k.cwd + '\0', 'latin1');
      if (size < bytes.length) throw new KernelError(E.ERANGE);
      k.copyOut(buf, bytes);
      return bytes.length;
    },
  },
  {
    nr: 220, name: 'getdents64', family: 'dir', support: 'full',
    args: [arg('fd', 'fd'), arg('dirp', 'dirent64_out'), arg('count', 'size')],
    handler: (k, [fd, dirp, count]) => getdents(k, fd, dirp, count, dirent64),
  },
  {
    nr: 296, name: 'mkdirat', family: 'dir', support: 'full',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('mode', 'mode')],
    handler: (k, [dirfd, pathname, mode]) => mkdir(k, dirfd, pathname, mode),
  },
  {
    nr: 301, name: 'unlinkat', family: 'dir', support: 'full',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('flags', 'atflags')],
    handler: (k, [dirfd, pathname, flags]) => unlink(k, dirfd, pathname, flags),
  },
  {
    nr: 302, name: 'renameat', family: 'dir', support: 'full',
    args: [arg('olddirfd', 'dirfd'), arg('oldpath', 'path'), arg('newdirfd', 'dirfd'), arg('newpath', 'path')],
    handler: (k, [od, op, nd, np]) => rename(k, od, op, nd, np, 0),
  },
  {
    nr: 303, name: 'linkat', family: 'dir', support: 'full',
    args: [arg('olddirfd', 'dirfd'), arg('oldpath', 'path'), arg('newdirfd', 'dirfd'), arg('newpath', 'path'), arg('flags', 'atflags')],
    handler: (k, [od, op, nd, np, flags]) => link(k, od, op, nd, np, flags),
  },
  {
    nr: 304, name: 'symlinkat', family: 'dir', support: 'full',
    args: [arg('target', 'path'), arg('newdirfd', 'dirfd'), arg('linkpath', 'path')],
    handler: (k, [t, d, p]) => symlink(k, t, d, p),
  },
  {
    nr: 305, name: 'readlinkat', family: 'dir', support: 'full', note: '/proc/self/exe gives the program\'s guest path',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('buf', 'path_out'), arg('bufsiz', 'size')],
    handler: (k, [d, p, buf, size]) => readlink(k, d, p, buf, size),
  },
  {
    nr: 353, name: 'renameat2', family: 'dir', support: 'partial', note: 'RENAME_NOREPLACE and RENAME_EXCHANGE; RENAME_WHITEOUT is EINVAL',
    args: [arg('olddirfd', 'dirfd'), arg('oldpath', 'path'), arg('newdirfd', 'dirfd'), arg('newpath', 'path'), arg('flags', 'rename_flags')],
    handler: (k, [od, op, nd, np, flags]) => rename(k, od, op, nd, np, flags),
  },
];
