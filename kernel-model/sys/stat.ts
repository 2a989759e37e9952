// Inode syscalls: stat in its i386 forms (stat64, statx), access, the mode creation mask,
// permissions, ownership, times and file-system statistics. The structures are laid out
// exactly as i386 Linux lays them out (arch/x86/include/uapi/asm/stat.h, linux/stat.h,
// asm-generic/statfs.h with x86's packed statfs64).
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';
import type { Stat, StatFs, TimeSet } from '../vfs.js';

const AT = { SYMLINK_NOFOLLOW: 0x100, EACCESS: 0x200, NO_AUTOMOUNT: 0x800, EMPTY_PATH: 0x1000, STATX_SYNC_TYPE: 0x6000 } as const;
const FDCWD = -100;
const UTIME_NOW = (1 << 30) - 1, UTIME_OMIT = (1 << 30) - 2;
export const STATX_BASIC_STATS = 0x7ff;
const STATX_RESERVED = 0x80000000;

/** struct stat64 on i386: 96 bytes. */
export function encodeStat64(s: Stat): Uint8Array {
  const b = Buffer.alloc(96);
  b.writeBigUInt64LE(BigInt(s.dev), 0);
  b.writeUInt32LE(s.ino >>> 0, 12); // __st_ino: the low 32 bits
  b.writeUInt32LE(s.mode >>> 0, 16);
  b.writeUInt32LE(s.nlink >>> 0, 20);
  b.writeUInt32LE(s.uid >>> 0, 24);
  b.writeUInt32LE(s.gid >>> 0, 28);
  b.writeBigUInt64LE(BigInt(s.rdev), 32);
  b.writeBigInt64LE(BigInt(s.size), 44);
  b.writeUInt32LE(s.blksize >>> 0, 52);
  b.writeBigUInt64LE(BigInt(s.blocks), 56);
  [s.atime, s.mtime, s.ctime].forEach((t, i) => {
    b.writeUInt32LE(t.sec >>> 0, 64 + i * 8);
    b.writeUInt32LE(t.nsec >>> 0, 68 + i * 8);
  });
  b.writeBigUInt64LE(BigInt(s.ino), 88);
  return b;
}

/**
 * struct stat (i386, the calls 106-108): 64 bytes of 32-bit and 16-bit fields. A value
 * that does not fit is EOVERFLOW, as cp_new_stat gives it; big ids become 65534.
 */
export function encodeStat(s: Stat): Uint8Array {
  if (s.ino > 0xffffffff || s.nlink > 0xffff || s.size > 0x7fffffff) throw new KernelError(E.EOVERFLOW);
  const id = (v: number) => (v > 0xffff ? 65534 : v);
  const b = Buffer.alloc(64);
  b.writeUInt32LE(s.dev >>> 0, 0);
  b.writeUInt32LE(s.ino, 4);
  b.writeUInt16LE(s.mode & 0xffff, 8);
  b.writeUInt16LE(s.nlink, 10);
  b.writeUInt16LE(id(s.uid), 12);
  b.writeUInt16LE(id(s.gid), 14);
  b.writeUInt32LE(s.rdev >>> 0, 16);
  b.writeUInt32LE(s.size, 20);
  b.writeUInt32LE(s.blksize >>> 0, 24);
  b.writeUInt32LE(s.blocks >>> 0, 28);
  [s.atime, s.mtime, s.ctime].forEach((t, i) => {
    b.writeUInt32LE(t.sec >>> 0, 32 + i * 8);
    b.writeUInt32LE(t.nsec >>> 0, 36 + i * 8);
  });
  return b;
}

const major = (dev: number) => Number(((BigInt(dev) >> 8n) & 0xfffn) | ((BigInt(dev) >> 32n) & ~0xfffn));
const minor = (dev: number) => Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & ~0xffn & 0xffffffffn));

/** struct statx: 256 bytes; the basic stats are filled, birth time is not offered. */
export function encodeStatx(s: Stat): Uint8Array {
  const b = Buffer.alloc(256);
  b.writeUInt32LE(STATX_BASIC_STATS, 0);
  b.writeUInt32LE(s.blksize >>> 0, 4);
  b.writeUInt32LE(s.nlink >>> 0, 16);
  b.writeUInt32LE(s.uid >>> 0, 20);
  b.writeUInt32LE(s.gid >>> 0, 24);
  b.writeUInt16LE(s.mode & 0xffff, 28);
  b.writeBigUInt64LE(BigInt(s.ino), 32);
  b.writeBigUInt64LE(BigInt(s.size), 40);
  b.writeBigUInt64LE(BigInt(s.blocks), 48);
  // atime 64, btime 80 (left zero), ctime 96, mtime 112: {s64 sec, u32 nsec, s32 pad}
  for (const [off, t] of [[64, s.atime], [96, s.ctime], [112, s.mtime]] as const) {
    b.writeBigInt64LE(BigInt(t.sec), off);
    b.writeUInt32LE(t.nsec >>> 0, off + 8);
  }
  b.writeUInt32LE(major(s.rdev), 128);
  b.writeUInt32LE(minor(s.rdev), 132);
  b.writeUInt32LE(major(s.dev), 136);
  b.writeUInt32LE(minor(s.dev), 140);
  return b;
}

/** struct statfs64 on i386 (packed, 4-byte aligned): 84 bytes. */
export function encodeStatfs64(f: StatFs): Uint8Array {
  const b = Buffer.alloc(84);
  b.writeUInt32LE(f.type >>> 0, 0);
  b.writeUInt32LE(f.bsize >>> 0, 4);
  [f.blocks, f.bfree, f.bavail, f.files, f.ffree].forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 8 + i * 8));
  b.writeInt32LE(f.fsid[0] | 0, 48);
  b.writeInt32LE(f.fsid[1] | 0, 52);
  b.writeUInt32LE(f.namelen >>> 0, 56);
  b.writeUInt32LE(f.frsize >>> 0, 60);
  b.writeUInt32LE(f.flags >>> 0, 64);
  return b;
}

/** stat of (dirfd, path) with AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW, as fstatat and statx take them. */
function statAt(k: Kernel, dirfd: number, p: string, flags: number): Stat {
  if (p === '' && (flags & AT.EMPTY_PATH)) {
    return (dirfd | 0) === FDCWD ? k.fs.stat(k.cwd, true) : k.fds.get(dirfd | 0).stat();
  }
  return k.fs.stat(k.at(dirfd, p), (flags & AT.SYMLINK_NOFOLLOW) === 0);
}

function access(k: Kernel, dirfd: number, pathname: number, mode: number, flags: number): number {
  const p = k.path(pathname);
  if (mode & ~7) throw new KernelError(E.EINVAL);
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EACCESS | AT.EMPTY_PATH)) throw new KernelError(E.EINVAL);
  if (p === '' && (flags & AT.EMPTY_PATH)) {
    if ((dirfd | 0) !== FDCWD) { k.fds.get(dirfd | 0); return 0; }
    k.fs.access(k.cwd, mode, true);
    return 0;
  }
  k.fs.access(k.at(dirfd, p), mode, (flags & AT.SYMLINK_NOFOLLOW) === 0);
  return 0;
}

function chmodAt(k: Kernel, dirfd: number, pathname: number, mode: number, follow: boolean): number {
  k.fs.chmod(k.at(dirfd, k.path(pathname)), mode & 0o7777, follow);
  return 0;
}

function chownAt(k: Kernel, dirfd: number, pathname: number, uid: number, gid: number, flags: number): number {
  const p = k.path(pathname);
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new KernelError(E.EINVAL);
  if (p === '' && (flags & AT.EMPTY_PATH)) {
    k.fds.get(dirfd | 0).chown(uid | 0, gid | 0);
    return 0;
  }
  k.fs.chown(k.at(dirfd, p), uid | 0, gid | 0, (flags & AT.SYMLINK_NOFOLLOW) === 0);
  return 0;
}

/** utimensat's times: struct timespec[2] with 32-bit fields, or (time64) with 64-bit ones. */
function timesIn(k: Kernel, ptr: number, wide = false): [TimeSet, TimeSet] {
  if (ptr === 0) return ['now', 'now'];
  const size = wide ? 16 : 8;
  const raw = k.copyIn(ptr, 2 * size);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const one = (off: number): TimeSet => {
    const sec = wide ? Number(dv.getBigInt64(off, true)) : dv.getInt32(off, true);
    // The kernel reads the 64-bit tv_nsec of a 32-bit process as its low half.
    const nsec = dv.getInt32(off + size / 2, true);
    if (nsec === UTIME_NOW) return 'now';
    if (nsec === UTIME_OMIT) return 'omit';
    if (nsec < 0 || nsec >= 1e9) throw new KernelError(E.EINVAL);
    return { sec, nsec };
  };
  return [one(0), one(size)];
}

function utimensat(k: Kernel, d: number, p: number, times: number, flags: number, wide: boolean): number {
  if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new KernelError(E.EINVAL);
  const [atime, mtime] = timesIn(k, times, wide);
  if (p === 0) { // futimens: the fd itself
    if ((d | 0) === FDCWD) throw new KernelError(E.EFAULT);
    k.fds.get(d | 0).utimens(atime, mtime);
    return 0;
  }
  const path = k.path(p);
  if (path === '' && (flags & AT.EMPTY_PATH)) { k.fds.get(d | 0).utimens(atime, mtime); return 0; }
  k.fs.utimens(k.at(d, path), atime, mtime, (flags & AT.SYMLINK_NOFOLLOW) === 0);
  return 0;
}

function statfs64(k: Kernel, sz: number, buf: number, f: () => StatFs): number {
  if (sz !== 84 && sz !== 88) throw new KernelError(E.EINVAL);
  const enc = encodeStatfs64(f());
  k.copyOut(buf, sz === 88 ? Buffer.concat([enc, Buffer.alloc(4)]) : enc);
  return 0;
}

export const statCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 15, name: 'chmod', family: 'stat', support: 'full',
    args: [arg('pathname', 'path'), arg('mode', 'mode')],
    handler: (k, [p, mode]) => chmodAt(k, FDCWD, p, mode, true),
  },
  {
    nr: 33, name: 'access', family: 'stat', support: 'full',
    args: [arg('pathname', 'path'), arg('mode', 'access_mode')],
    handler: (k, [p, mode]) => access(k, FDCWD, p, mode, 0),
  },
  {
    nr: 60, name: 'umask', family: 'stat', support: 'full',
    args: [arg('mask', 'mode')],
    handler(k, [mask]) {
      const old = k.umask;
      k.umask = mask & 0o777;
      return old;
    },
  },
  {
    nr: 94, name: 'fchmod', family: 'stat', support: 'full',
    args: [arg('fd', 'fd'), arg('mode', 'mode')],
    handler(k, [fd, mode]) {
      k.fds.get(fd).chmod(mode & 0o7777);
      return 0;
    },
  },
  {
    nr: 106, name: 'stat', family: 'stat', support: 'full', note: 'the 32-bit struct stat: EOVERFLOW for sizes past 2 GiB',
    args: [arg('pathname', 'path'), arg('statbuf', 'oldstat_out')],
    handler(k, [p, buf]) {
      k.copyOut(buf, encodeStat(k.fs.stat(k.at(FDCWD, k.path(p)), true)));
      return 0;
    },
  },
  {
    nr: 107, name: 'lstat', family: 'stat', support: 'full', note: 'the 32-bit struct stat',
    args: [arg('pathname', 'path'), arg('statbuf', 'oldstat_out')],
    handler(k, [p, buf]) {
      k.copyOut(buf, encodeStat(k.fs.stat(k.at(FDCWD, k.path(p)), false)));
      return 0;
    },
  },
  {
    nr: 108, name: 'fstat', family: 'stat', support: 'full', note: 'the 32-bit struct stat',
    args: [arg('fd', 'fd'), arg('statbuf', 'oldstat_out')],
    handler(k, [fd, buf]) {
      k.copyOut(buf, encodeStat(k.fds.get(fd).stat()));
      return 0;
    },
  },
  {
    nr: 195, name: 'stat64', family: 'stat', support: 'full',
    args: [arg('pathname', 'path'), arg('statbuf', 'stat_out')],
    handler(k, [p, buf]) {
      k.copyOut(buf, encodeStat64(k.fs.stat(k.at(FDCWD, k.path(p)), true)));
      return 0;
    },
  },
  {
    nr: 196, name: 'lstat64', family: 'stat', support: 'full',
    args: [arg('pathname', 'path'), arg('statbuf', 'stat_out')],
    handler(k, [p, buf]) {
      k.copyOut(buf, encodeStat64(k.fs.stat(k.at(FDCWD, k.path(p)), false)));
      return 0;
    },
  },
  {
    nr: 197, name: 'fstat64', family: 'stat', support: 'full',
    args: [arg('fd', 'fd'), arg('statbuf', 'stat_out')],
    handler(k, [fd, buf]) {
      k.copyOut(buf, encodeStat64(k.fds.get(fd).stat()));
      return 0;
    },
  },
  {
    nr: 198, name: 'lchown32', family: 'stat', support: 'partial', note: 'as the host allows: an unprivileged host refuses other owners (EPERM)',
    args: [arg('pathname', 'path'), arg('owner', 'int'), arg('group', 'int')],
    handler: (k, [p, uid, gid]) => chownAt(k, FDCWD, p, uid, gid, AT.SYMLINK_NOFOLLOW),
  },
  {
    nr: 207, name: 'fchown32', family: 'stat', support: 'partial', note: 'as the host allows: an unprivileged host refuses other owners (EPERM)',
    args: [arg('fd', 'fd'), arg('owner', 'int'), arg('group', 'int')],
    handler(k, [fd, uid, gid]) {
      k.fds.get(fd).chown(uid | 0, gid | 0);
      return 0;
    },
  },
  {
    nr: 212, name: 'chown32', family: 'stat', support: 'partial', note: 'as the host allows: an unprivileged host refuses other owners (EPERM)',
    args: [arg('pathname', 'path'), arg('owner', 'int'), arg('group', 'int')],
    handler: (k, [p, uid, gid]) => chownAt(k, FDCWD, p, uid, gid, 0),
  },
  {
    nr: 268, name: 'statfs64', family: 'stat', support: 'full',
    args: [arg('path', 'path'), arg('sz', 'size'), arg('buf', 'statfs_out')],
    handler(k, [p, sz, buf]) {
      const where = k.at(FDCWD, k.path(p));
      return statfs64(k, sz, buf, () => k.fs.statfs(where));
    },
  },
  {
    nr: 269, name: 'fstatfs64', family: 'stat', support: 'full',
    args: [arg('fd', 'fd'), arg('sz', 'size'), arg('buf', 'statfs_out')],
    handler(k, [fd, sz, buf]) {
      const f = k.fds.get(fd);
      return statfs64(k, sz, buf, () => f.statfs());
    },
  },
  {
    nr: 298, name: 'fchownat', family: 'stat', support: 'partial', note: 'as the host allows: an unprivileged host refuses other owners (EPERM)',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('owner', 'int'), arg('group', 'int'), arg('flags', 'atflags')],
    handler: (k, [d, p, uid, gid, flags]) => chownAt(k, d, p, uid, gid, flags),
  },
  {
    nr: 300, name: 'fstatat64', family: 'stat', support: 'full',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('statbuf', 'stat_out'), arg('flags', 'atflags')],
    handler(k, [d, p, buf, flags]) {
      const path = k.path(p);
      if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.NO_AUTOMOUNT | AT.EMPTY_PATH)) throw new KernelError(E.EINVAL);
      k.copyOut(buf, encodeStat64(statAt(k, d, path, flags)));
      return 0;
    },
  },
  {
    nr: 306, name: 'fchmodat', family: 'stat', support: 'full',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('mode', 'mode')],
    handler: (k, [d, p, mode]) => chmodAt(k, d, p, mode, true),
  },
  {
    nr: 307, name: 'faccessat', family: 'stat', support: 'full',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('mode', 'access_mode')],
    handler: (k, [d, p, mode]) => access(k, d, p, mode, 0),
  },
  {
    nr: 320, name: 'utimensat', family: 'stat', support: 'full',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('times', 'utimes_in'), arg('flags', 'atflags')],
    handler: (k, [d, p, times, flags]) => utimensat(k, d, p, times, flags, false),
  },
  {
    nr: 412, name: 'utimensat_time64', family: 'stat', support: 'full', note: 'utimensat with 64-bit times (glibc tries it first)',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('times', 'utimes64_in'), arg('flags', 'atflags')],
    handler: (k, [d, p, times, flags]) => utimensat(k, d, p, times, flags, true),
  },
  {
    nr: 383, name: 'statx', family: 'stat', support: 'partial', note: 'the basic stats (STATX_BASIC_STATS); no birth time',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('flags', 'atflags'), arg('mask', 'statx_mask'), arg('statxbuf', 'statx_out')],
    handler(k, [d, p, flags, mask, buf]) {
      const path = k.path(p);
      if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.NO_AUTOMOUNT | AT.EMPTY_PATH | AT.STATX_SYNC_TYPE)) throw new KernelError(E.EINVAL);
      if ((flags & AT.STATX_SYNC_TYPE) === AT.STATX_SYNC_TYPE || (mask & STATX_RESERVED)) throw new KernelError(E.EINVAL);
      k.copyOut(buf, encodeStatx(statAt(k, d, path, flags)));
      return 0;
    },
  },
  {
    nr: 452, name: 'fchmodat2', family: 'stat', support: 'full', note: 'AT_SYMLINK_NOFOLLOW on a symlink is EOPNOTSUPP, as on Linux',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('mode', 'mode'), arg('flags', 'atflags')],
    handler(k, [d, p, mode, flags]) {
      const path = k.path(p);
      if (flags & ~(AT.SYMLINK_NOFOLLOW | AT.EMPTY_PATH)) throw new KernelError(E.EINVAL);
      if (path === '' && (flags & AT.EMPTY_PATH)) { k.fds.get(d | 0).chmod(mode & 0o7777); return 0; }
      k.fs.chmod(k.at(d, path), mode & 0o7777, (flags & AT.SYMLINK_NOFOLLOW) === 0);
      return 0;
    },
  },
  {
    nr: 439, name: 'faccessat2', family: 'stat', support: 'full',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('mode', 'access_mode'), arg('flags', 'atflags')],
    handler: (k, [d, p, mode, flags]) => access(k, d, p, mode, flags),
  },
];
