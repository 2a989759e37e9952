// A host directory as the guest's `/`, with an optional read-only sysroot behind it
// (qemu-user's -L). The sandbox holds against races: every path is walked component by
// component from a directory fd the walk holds, each step an openat with O_NOFOLLOW;
// symlinks are read with readlinkat and resolved in the guest's namespace; `..` pops the
// walk's own stack and never asks the host. Whatever a host process swaps meanwhile, the
// walk only ever opens names inside directories it already holds, so nothing outside the
// root is read, created or deleted. Special files are opened without blocking.
import fs from 'node:fs';
import koffi from 'koffi';
import { E, KernelError, hostErrno } from '../kernel-model/errno.js';
import {
  BaseFile, MAX_SYMLINKS, O, RENAME, S, checkReadable, checkWritable, components, joinGuest,
  type DirEntry, type FileSystem, type OpenFile, type Stat, type StatFs, type TimeSet,
} from '../kernel-model/vfs.js';
import { H, check, libc } from './libc.js';

const cstr = (s: string) => Buffer.from(s + '\0', 'latin1');

function hostCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KernelError) throw err;
    throw new KernelError(hostErrno(err));
  }
}

function closeFd(fd: number): void {
  libc().close(fd);
}

/** Node's bigint stat in the kernel model's form. */
export function toStat(s: fs.BigIntStats): Stat {
  const ts = (ns: bigint) => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });
  return {
    dev: Number(s.dev), ino: Number(s.ino), mode: Number(s.mode), nlink: Number(s.nlink), uid: Number(s.uid),
    gid: Number(s.gid), rdev: Number(s.rdev), size: Number(s.size), blksize: Number(s.blksize), blocks: Number(s.blocks),
    atime: ts(s.atimeNs), mtime: ts(s.mtimeNs), ctime: ts(s.ctimeNs),
  };
}

const fstat = (fd: number): Stat => toStat(hostCall(() => fs.fstatSync(fd, { bigint: true })));
/** The magic link through which path-only calls reach exactly the inode an O_PATH fd holds. */
const procFd = (fd: number) => `/proc/self/fd/${fd}`;

function readlinkAt(dirFd: number, name: string): string {
  const buf = Buffer.alloc(4096);
  const n = Number(check(libc().readlinkat(dirFd, cstr(name), buf, buf.length)));
  return buf.toString('latin1', 0, n);
}

function hostStatfs(fd: number): StatFs {
  const b = Buffer.alloc(120);
  check(libc().fstatfs(fd, b));
  const q = (i: number) => Number(b.readBigInt64LE(i * 8));
  return {
    type: q(0), bsize: q(1), blocks: q(2), bfree: q(3), bavail: q(4), files: q(5), ffree: q(6),
    fsid: [b.readInt32LE(56), b.readInt32LE(60)], namelen: q(8), frsize: q(9), flags: q(10),
  };
}

/** utimensat's struct timespec[2] on the host; UTIME_NOW and UTIME_OMIT as Linux spells them. */
function hostTimes(atime: TimeSet, mtime: TimeSet): Buffer {
  const b = Buffer.alloc(32);
  [atime, mtime].forEach((t, i) => {
    const nsec = t === 'now' ? (1 << 30) - 1 : t === 'omit' ? (1 << 30) - 2 : t.nsec;
    b.writeBigInt64LE(BigInt(typeof t === 'object' ? t.sec : 0), i * 16);
    b.writeBigInt64LE(BigInt(nsec), i * 16 + 8);
  });
  return b;
}

// ---------------------------------------------------------------- open files

class HostFile extends BaseFile {
  constructor(readonly name: string, private readonly fd: number, public flags: number, private readonly mode: number) {
    super();
  }

  private get seekable(): boolean {
    const t = this.mode & S.IFMT;
    return t === S.IFREG || t === S.IFDIR || t === S.IFBLK;
  }

  read(len: number): Uint8Array {
    checkReadable(this.flags);
    if ((this.mode & S.IFMT) === S.IFDIR) throw new KernelError(E.EISDIR);
    const buf = Buffer.alloc(len);
    return buf.subarray(0, hostCall(() => fs.readSync(this.fd, buf, 0, len, null)));
  }

  write(bytes: Uint8Array): number {
    checkWritable(this.flags);
    return hostCall(() => fs.writeSync(this.fd, bytes, 0, bytes.length, null));
  }

  pread(len: number, offset: number): Uint8Array {
    checkReadable(this.flags);
    if (!this.seekable) throw new KernelError(E.ESPIPE);
    if ((this.mode & S.IFMT) === S.IFDIR) throw new KernelError(E.EISDIR);
    const buf = Buffer.alloc(len);
    return buf.subarray(0, hostCall(() => fs.readSync(this.fd, buf, 0, len, offset)));
  }

  pwrite(bytes: Uint8Array, offset: number): number {
    checkWritable(this.flags);
    if (!this.seekable) throw new KernelError(E.ESPIPE);
    return hostCall(() => fs.writeSync(this.fd, bytes, 0, bytes.length, offset));
  }

  lseek(offset: number, whence: number): number {
    if (whence < 0 || whence > 4) throw new KernelError(E.EINVAL);
    if ((this.mode & S.IFMT) === S.IFDIR) {
      const to = whence === 0 ? offset : whence === 1 ? this.entryIndex + offset : -1;
      if (to < 0) throw new KernelError(E.EINVAL);
      if (to !== this.entryIndex) { this.entryIndex = to; this.resync = true; }
      return to;
    }
    return Number(check(libc().lseek(this.fd, BigInt(offset), whence)));
  }

  stat(): Stat { return fstat(this.fd); }

  /**
   * Directory positions the guest sees are entry counts (d_off = index + 1), not the host's
   * 64-bit hash cookies, which a JavaScript number cannot hold; seeking re-reads from the start.
   */
  private entryIndex = 0;
  private resync = false;

  readEntries(fits: (e: DirEntry) => boolean): DirEntry[] {
    if ((this.mode & S.IFMT) !== S.IFDIR || (this.flags & O.PATH)) throw new KernelError((this.flags & O.PATH) ? E.EBADF : E.ENOTDIR);
    const buf = Buffer.alloc(32768);
    let skip = 0;
    if (this.resync) {
      check(libc().lseek(this.fd, 0n, 0));
      skip = this.entryIndex;
      this.resync = false;
    }
    const out: DirEntry[] = [];
    let before = BigInt(check(libc().lseek(this.fd, 0n, 1)));
    for (;;) {
      const n = Number(check(libc().getdents64(H.SYS_getdents64, this.fd, buf, buf.length)));
      if (n === 0) return out;
      for (let at = 0; at < n; at += buf.readUInt16LE(at + 16)) {
        const hostNext = buf.readBigInt64LE(at + 8);
        if (skip > 0) { skip--; before = hostNext; continue; }
        const e: DirEntry = {
          ino: Number(buf.readBigUInt64LE(at)), next: this.entryIndex + 1, type: buf[at + 18],
          name: buf.toString('latin1', at + 19, buf.indexOf(0, at + 19)),
        };
        if (!fits(e)) {
          check(libc().lseek(this.fd, before, 0)); // resume at this entry next time
          return out;
        }
        out.push(e);
        this.entryIndex++;
        before = hostNext;
      }
    }
  }

  truncate(length: number): void {
    if ((this.flags & O.ACCMODE) === O.RDONLY || (this.mode & S.IFMT) !== S.IFREG) throw new KernelError(E.EINVAL);
    hostCall(() => fs.ftruncateSync(this.fd, length));
  }

  sync(): void {
    if (this.flags & O.PATH) throw new KernelError(E.EBADF);
    hostCall(() => fs.fsyncSync(this.fd));
  }

  chmod(mode: number): void {
    if (this.flags & O.PATH) throw new KernelError(E.EBADF);
    hostCall(() => fs.fchmodSync(this.fd, mode & 0o7777));
  }

  chown(uid: number, gid: number): void {
    if (this.flags & O.PATH) throw new KernelError(E.EBADF);
    check(libc().fchownat(this.fd, cstr(''), uid >>> 0, gid >>> 0, H.AT_EMPTY_PATH));
  }

  utimens(atime: TimeSet, mtime: TimeSet): void {
    check(libc().utimensat(H.AT_FDCWD, cstr(procFd(this.fd)), hostTimes(atime, mtime), 0));
  }

  statfs(): StatFs { return hostStatfs(this.fd); }

  /** F_SETFL: the host fd keeps O_APPEND in step (O_NONBLOCK stays on: the simulator never blocks). */
  setStatusFlags(flags: number): void {
    super.setStatusFlags(flags);
    const host = check(libc().fcntl(this.fd, H.F_GETFL, 0));
    check(libc().fcntl(this.fd, H.F_SETFL, (flags & O.APPEND) ? host | H.O_APPEND : host & ~H.O_APPEND));
  }

  close(): void {
    closeFd(this.fd);
  }
}

/**
 * The host's open flags for a guest open: never blocking, never taking a terminal.
 */
function hostOpenFlags(flags: number, guestPath: string): number {
  if (flags & O.PATH) return H.O_PATH | H.O_NOFOLLOW | H.O_CLOEXEC | ((flags & O.DIRECTORY) || guestPath.endsWith('/') ? H.O_DIRECTORY : 0);
  let host = [H.O_RDONLY, H.O_WRONLY, H.O_RDWR, H.O_RDONLY][flags & O.ACCMODE] | H.O_NOFOLLOW | H.O_CLOEXEC | H.O_NONBLOCK | H.O_NOCTTY;
  const pairs: [number, number][] = [[O.CREAT, H.O_CREAT], [O.EXCL, H.O_EXCL], [O.TRUNC, H.O_TRUNC],
    [O.APPEND, H.O_APPEND], [O.DIRECTORY, H.O_DIRECTORY]];
  for (const [g, h] of pairs) if (flags & g) host |= h;
  if (guestPath.endsWith('/')) host |= H.O_DIRECTORY;
  if (!(flags & O.NOFOLLOW)) host &= ~H.O_NOFOLLOW; // openat2 follows inside the root; the walk adds it back
  return host;
}

let openat2Works = true;

/** Tests turn openat2 off to exercise the component walk alone; returns the previous setting. */
export function useOpenat2(on: boolean): boolean {
  const was = openat2Works;
  openat2Works = on;
  return was;
}

/**
 * openat2 with RESOLVE_IN_ROOT: the host kernel resolves the whole path with the root
 * as `/` (absolute symlinks and `..` stay inside), atomically. undefined when the host
 * lacks it or a rename raced the walk (EAGAIN): the caller walks instead.
 */
function openInRoot(rootFd: number, guestPath: string, host: number, mode: number): number | undefined {
  if (!openat2Works) return undefined;
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(host >>> 0), 0);
  how.writeBigUInt64LE(BigInt(host & H.O_CREAT ? mode & 0o7777 : 0), 8);
  how.writeBigUInt64LE(BigInt(H.RESOLVE_IN_ROOT | H.RESOLVE_NO_MAGICLINKS), 16);
  const rel = guestPath.replace(/^\/+/, '') || '.';
  const fd = Number(libc().openat2(H.SYS_openat2, rootFd, cstr(rel), how, how.length));
  if (fd >= 0) return fd;
  const errno = koffi.errno();
  if (errno === E.ENOSYS || errno === E.E2BIG || errno === E.EPERM) { openat2Works = false; return undefined; } // no openat2 here (or a filter forbids it)
  if (errno === E.EAGAIN || errno === E.EXDEV) return undefined;
  throw new KernelError(errno);
}

function statOrClose(fd: number): Stat {
  try {
    return fstat(fd);
  } catch (err) {
    closeFd(fd);
    throw err;
  }
}

// ---------------------------------------------------------------- one host directory tree

/** Where a walk ended: the directory holding the last name (an fd the caller closes), and that name. */
interface Place {
  dir: number;
  /** The last component; `.` when the path names a directory itself (`/`, `a/..`). */
  name: string;
  /** Canonical guest components of the directory. */
  path: string[];
}

class Links {
  count = 0;
  bump(): void {
    if (++this.count > MAX_SYMLINKS) throw new KernelError(E.ELOOP);
  }
}

/** One host directory seen as a guest `/`. */
class Tree {
  readonly fd: number;

  constructor(readonly hostPath: string, readonly readOnly: boolean) {
    this.fd = check(libc().openat(H.AT_FDCWD, cstr(hostPath), H.O_PATH | H.O_DIRECTORY | H.O_CLOEXEC, 0));
  }

  /** Walks every component but the last, following symlinks inside the tree. */
  parent(guestPath: string, links = new Links()): Place {
    let pending = components(guestPath);
    const stack = [this.fd];
    const names: string[] = [];
    const release = () => { for (const fd of stack.slice(1)) closeFd(fd); };
    try {
      while (pending.length > 1 || pending[0] === '..') {
        const c = pending.shift()!;
        if (c === '..') {
          if (stack.length > 1) { closeFd(stack.pop()!); names.pop(); }
          continue;
        }
        const top = stack[stack.length - 1];
        const fd = libc().openat(top, cstr(c), H.O_PATH | H.O_NOFOLLOW | H.O_DIRECTORY | H.O_CLOEXEC, 0);
        if (fd >= 0) { stack.push(fd); names.push(c); continue; }
        const errno = koffi.errno();
        if (errno !== E.ENOTDIR && errno !== E.ELOOP) throw new KernelError(errno);
        const target = this.linkTarget(top, c, errno);
        links.bump();
        if (target.startsWith('/')) { release(); stack.length = 1; names.length = 0; }
        pending = [...components(target), ...pending];
      }
      const name = pending[0] ?? '.';
      const dir = stack.pop()!;
      release();
      return { dir: dir === this.fd ? check(libc().openat(this.fd, cstr('.'), H.O_PATH | H.O_DIRECTORY | H.O_CLOEXEC, 0)) : dir, name, path: names };
    } catch (err) {
      release();
      throw err;
    }
  }

  /** A symlink's target, or the error that made us look (it was not a symlink). */
  private linkTarget(dir: number, name: string, otherwise: number): string {
    try {
      return readlinkAt(dir, name);
    } catch (err) {
      if (err instanceof KernelError && err.errno === E.EINVAL) throw new KernelError(otherwise);
      throw err;
    }
  }

  /**
   * Runs `op` on the place a path names. With `follow`, a last component that is a
   * symlink is resolved (in the guest's namespace) and the walk starts again.
   */
  at<T>(guestPath: string, follow: boolean, op: (p: Place) => T, links = new Links()): T {
    const p = this.parent(guestPath, links);
    try {
      if (follow && p.name !== '.') {
        let target: string | undefined;
        try {
          target = readlinkAt(p.dir, p.name);
        } catch (err) {
          if (!(err instanceof KernelError) || (err.errno !== E.EINVAL && err.errno !== E.ENOENT)) throw err;
        }
        if (target !== undefined) {
          links.bump();
          const again = joinGuest('/' + p.path.join('/'), target) + (guestPath.endsWith('/') ? '/' : '');
          return this.at(again, true, op, links);
        }
      }
      return op(p);
    } finally {
      closeFd(p.dir);
    }
  }

  /** An O_PATH fd on the object itself (not followed past what `at` resolved). */
  private pathFd(p: Place): number {
    return check(libc().openat(p.dir, cstr(p.name), H.O_PATH | H.O_NOFOLLOW | H.O_CLOEXEC, 0));
  }

  withObject<T>(guestPath: string, follow: boolean, op: (fd: number, p: Place) => T): T {
    return this.at(guestPath, follow, (p) => {
      const fd = this.pathFd(p);
      try {
        if (guestPath.endsWith('/') && (fstat(fd).mode & S.IFMT) !== S.IFDIR) throw new KernelError(E.ENOTDIR);
        return op(fd, p);
      } finally {
        closeFd(fd);
      }
    });
  }

  private writable(): void {
    if (this.readOnly) throw new KernelError(E.EROFS);
  }

  /** Removing a name: Linux looks it up first, so a missing one is ENOENT even where nothing may be written. */
  private removable(p: Place): void {
    if (!this.readOnly) return;
    this.pathFdClosed(p);
    throw new KernelError(E.EROFS);
  }

  open(guestPath: string, flags: number, mode: number): OpenFile {
    const acc = flags & O.ACCMODE;
    if (acc === 3 && !(flags & O.PATH)) throw new KernelError(E.EINVAL);
    components(guestPath); // ENOENT, ENAMETOOLONG before anything else
    if ((flags & O.CREAT) && guestPath.endsWith('/')) throw new KernelError(E.EISDIR);
    const host = hostOpenFlags(flags, guestPath);
    const kept = flags & ~(O.CREAT | O.EXCL | O.TRUNC | O.NOCTTY | O.CLOEXEC); // f_flags keep O_NOFOLLOW (F_GETFL shows it)
    if (!this.readOnly) {
      // One openat2 resolving in the root where the host has it; directories still take
      // the walk, whose canonical path *at calls and fchdir need.
      const fd = openInRoot(this.fd, guestPath, host, mode);
      if (fd !== undefined) {
        const st = statOrClose(fd);
        if ((st.mode & S.IFMT) !== S.IFDIR) return new HostFile(guestPath, fd, kept, st.mode);
        closeFd(fd);
      }
    }
    return this.at(guestPath, (flags & O.NOFOLLOW) === 0, (p) => {
      if (this.readOnly && (acc !== O.RDONLY || (flags & (O.TRUNC | O.CREAT)))) {
        // Opening a sysroot file for writing: the sysroot is read-only.
        if (!(flags & O.CREAT)) this.pathFdClosed(p);
        throw new KernelError(E.EROFS);
      }
      const fd = check(libc().openat(p.dir, cstr(p.name), host | H.O_NOFOLLOW, (flags & O.CREAT) ? mode & 0o7777 : 0));
      const st = statOrClose(fd);
      const name = (st.mode & S.IFMT) === S.IFDIR ? '/' + [...p.path, ...(p.name === '.' ? [] : [p.name])].join('/') : guestPath;
      return new HostFile(name, fd, kept, st.mode);
    });
  }

  /** Raises ENOENT if the name does not exist (so a missing sysroot file stays ENOENT, not EROFS). */
  private pathFdClosed(p: Place): void {
    closeFd(this.pathFd(p));
  }

  stat(guestPath: string, follow: boolean): Stat {
    return this.withObject(guestPath, follow, (fd) => fstat(fd));
  }

  directory(guestPath: string): string {
    return this.withObject(guestPath, true, (fd, p) => {
      if ((fstat(fd).mode & S.IFMT) !== S.IFDIR) throw new KernelError(E.ENOTDIR);
      hostCall(() => fs.accessSync(procFd(fd), fs.constants.X_OK));
      return '/' + [...p.path, ...(p.name === '.' ? [] : [p.name])].join('/');
    });
  }

  readlink(guestPath: string): string {
    return this.at(guestPath, false, (p) => {
      if (p.name === '.') throw new KernelError(E.EINVAL);
      return readlinkAt(p.dir, p.name);
    });
  }

  access(guestPath: string, mode: number, follow: boolean): void {
    this.withObject(guestPath, follow, (fd) => {
      if (mode & 2) this.writable();
      if (mode !== 0) hostCall(() => fs.accessSync(procFd(fd), mode));
    });
  }

  mkdir(guestPath: string, mode: number): void {
    this.at(guestPath, false, (p) => {
      this.writable();
      check(libc().mkdirat(p.dir, cstr(p.name), mode & 0o7777));
    });
  }

  rmdir(guestPath: string): void {
    this.at(guestPath, false, (p) => {
      this.removable(p);
      if (p.name === '.') throw new KernelError(p.path.length === 0 && !/\.\/*$/.test(guestPath) ? E.EBUSY : E.EINVAL);
      check(libc().unlinkat(p.dir, cstr(p.name), H.AT_REMOVEDIR));
    });
  }

  unlink(guestPath: string): void {
    this.at(guestPath, false, (p) => {
      this.removable(p);
      check(libc().unlinkat(p.dir, cstr(p.name), 0));
    });
  }

  rename(from: string, to: string, flags: number): void {
    this.at(from, false, (a) => this.at(to, false, (b) => {
      this.writable();
      if (a.name === '.' || b.name === '.') throw new KernelError(E.EBUSY);
      check(libc().renameat2(a.dir, cstr(a.name), b.dir, cstr(b.name), flags & (RENAME.NOREPLACE | RENAME.EXCHANGE)));
    }));
  }

  link(from: string, to: string, follow: boolean): void {
    this.at(from, follow, (a) => this.at(to, false, (b) => {
      this.writable();
      check(libc().linkat(a.dir, cstr(a.name), b.dir, cstr(b.name), 0));
    }));
  }

  symlink(target: string, linkPath: string): void {
    if (target === '') throw new KernelError(E.ENOENT);
    this.at(linkPath, false, (p) => {
      this.writable();
      check(libc().symlinkat(cstr(target), p.dir, cstr(p.name)));
    });
  }

  chmod(guestPath: string, mode: number, follow: boolean): void {
    this.withObject(guestPath, follow, (fd) => {
      this.writable();
      if ((fstat(fd).mode & S.IFMT) === S.IFLNK) throw new KernelError(E.EOPNOTSUPP);
      hostCall(() => fs.chmodSync(procFd(fd), mode & 0o7777));
    });
  }

  chown(guestPath: string, uid: number, gid: number, follow: boolean): void {
    this.withObject(guestPath, follow, (fd) => {
      this.writable();
      check(libc().fchownat(fd, cstr(''), uid >>> 0, gid >>> 0, H.AT_EMPTY_PATH));
    });
  }

  truncate(guestPath: string, length: number): void {
    this.at(guestPath, true, (p) => {
      this.writable();
      const fd = check(libc().openat(p.dir, cstr(p.name), H.O_WRONLY | H.O_NOFOLLOW | H.O_NONBLOCK | H.O_CLOEXEC, 0));
      try {
        hostCall(() => fs.ftruncateSync(fd, length));
      } finally {
        closeFd(fd);
      }
    });
  }

  utimens(guestPath: string, atime: TimeSet, mtime: TimeSet, follow: boolean): void {
    this.withObject(guestPath, follow, (fd) => {
      this.writable();
      check(libc().utimensat(H.AT_FDCWD, cstr(procFd(fd)), hostTimes(atime, mtime), 0));
    });
  }

  statfs(guestPath: string): StatFs {
    return this.withObject(guestPath, true, (fd) => hostStatfs(fd));
  }

  close(): void {
    closeFd(this.fd);
  }
}

// ---------------------------------------------------------------- the file system

const isErrno = (err: unknown, ...errnos: number[]) => err instanceof KernelError && errnos.includes(err.errno);

/**
 * A host directory as the guest's root; where the root has no such file, a read-only
 * sysroot (a Debian libc6:i386 tree, say) answers instead, as qemu-user's -L does. Unlike
 * -L, the root comes first, and nothing ever writes into the sysroot: what would
 * change a sysroot file gets EROFS, and new files are created in the root.
 */
export class HostFileSystem implements FileSystem {
  private readonly trees: Tree[];

  constructor(root: string, sysroot?: string) {
    const r = new Tree(fs.realpathSync(root), false);
    try {
      this.trees = sysroot ? [r, new Tree(fs.realpathSync(sysroot), true)] : [r];
    } catch (err) {
      r.close();
      throw err;
    }
  }

  get root(): string { return this.trees[0].hostPath; }
  get sysroot(): string | undefined { return this.trees[1]?.hostPath; }

  /** Tries the root, then (for a missing name) the sysroot. */
  private each<T>(op: (t: Tree) => T): T {
    try {
      return op(this.trees[0]);
    } catch (err) {
      if (this.trees.length < 2 || !isErrno(err, E.ENOENT)) throw err;
      try {
        return op(this.trees[1]);
      } catch (err2) {
        // A path the sysroot lacks too is the root's ENOENT.
        if (isErrno(err2, E.ENOENT, E.ENOTDIR)) throw err;
        throw err2;
      }
    }
  }

  open(guestPath: string, flags: number, mode: number): OpenFile {
    return this.each((t) => t.open(guestPath, flags, mode));
  }
  stat(guestPath: string, follow: boolean): Stat { return this.each((t) => t.stat(guestPath, follow)); }
  directory(guestPath: string): string { return this.each((t) => t.directory(guestPath)); }
  readlink(guestPath: string): string { return this.each((t) => t.readlink(guestPath)); }
  access(guestPath: string, mode: number, follow: boolean): void { this.each((t) => t.access(guestPath, mode, follow)); }
  mkdir(guestPath: string, mode: number): void { this.each((t) => t.mkdir(guestPath, mode)); }
  rmdir(guestPath: string): void { this.each((t) => t.rmdir(guestPath)); }
  unlink(guestPath: string): void { this.each((t) => t.unlink(guestPath)); }
  rename(from: string, to: string, flags: number): void {
    try {
      this.trees[0].rename(from, to, flags);
    } catch (err) {
      if (!isErrno(err, E.ENOENT) || this.trees.length < 2) throw err;
      // Moving a sysroot file, or into a sysroot folder: EROFS if the sysroot has it.
      this.trees[1].stat(from, false);
      throw new KernelError(E.EROFS);
    }
  }
  link(from: string, to: string, follow: boolean): void {
    try {
      this.trees[0].link(from, to, follow);
    } catch (err) {
      if (!isErrno(err, E.ENOENT) || this.trees.length < 2) throw err;
      this.trees[1].stat(from, follow);
      throw new KernelError(E.EXDEV); // a link across two trees, as across two mounts
    }
  }
  symlink(target: string, linkPath: string): void { this.each((t) => t.symlink(target, linkPath)); }
  chmod(guestPath: string, mode: number, follow: boolean): void { this.each((t) => t.chmod(guestPath, mode, follow)); }
  chown(guestPath: string, uid: number, gid: number, follow: boolean): void { this.each((t) => t.chown(guestPath, uid, gid, follow)); }
  truncate(guestPath: string, length: number): void { this.each((t) => t.truncate(guestPath, length)); }
  utimens(guestPath: string, atime: TimeSet, mtime: TimeSet, follow: boolean): void {
    this.each((t) => t.utimens(guestPath, atime, mtime, follow));
  }
  statfs(guestPath: string): StatFs { return this.each((t) => t.statfs(guestPath)); }

  close(): void {
    for (const t of this.trees) t.close();
  }
}

/** The host process's file mode creation mask (a guest starts with it, as under qemu-user). */
export function hostUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'latin1'));
    return m ? parseInt(m[1], 8) : 0o022;
  } catch {
    return 0o022;
  }
}
