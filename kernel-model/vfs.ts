// The guest's file system as the kernel model sees it: the interfaces a file system and
// an open file description offer, the per-process fd table (descriptions shared by dup,
// per-descriptor FD_CLOEXEC), and an in-memory file system for scenarios and tests.
// The host directory adapter lives apart (host/hostfs.ts): no host I/O here.
// Failures throw KernelError; dispatch makes them -errno.
import { E, KernelError } from './errno.js';

export const O = {
  ACCMODE: 3, RDONLY: 0, WRONLY: 1, RDWR: 2,
  CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000, APPEND: 0o2000,
  NONBLOCK: 0o4000, DSYNC: 0o10000, ASYNC: 0o20000, DIRECT: 0o40000, LARGEFILE: 0o100000,
  DIRECTORY: 0o200000, NOFOLLOW: 0o400000, NOATIME: 0o1000000, CLOEXEC: 0o2000000,
  SYNC: 0o4010000, PATH: 0o10000000, TMPFILE: 0o20200000,
} as const;
export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;
/** The status flags F_SETFL may change (Linux's SETFL_MASK, less O_DIRECT and O_NOATIME). */
export const SETFL_MASK = O.APPEND | O.NONBLOCK | O.ASYNC;

/** File type bits of st_mode. */
export const S = {
  IFMT: 0o170000, IFSOCK: 0o140000, IFLNK: 0o120000, IFREG: 0o100000, IFBLK: 0o060000,
  IFDIR: 0o040000, IFCHR: 0o020000, IFIFO: 0o010000,
} as const;
/** d_type values of a directory entry. */
export const DT = { UNKNOWN: 0, FIFO: 1, CHR: 2, DIR: 4, BLK: 6, REG: 8, LNK: 10, SOCK: 12 } as const;
export const dtype = (mode: number): number => (mode & S.IFMT) >>> 12;

export const PATH_MAX = 4096;
export const NAME_MAX = 255;
export const MAX_SYMLINKS = 40;
/** The largest offset a file may reach (Linux's MAX_LFS_FILESIZE on 32-bit is larger; ours is 2^53). */
export const MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER;

export interface Timespec { sec: number; nsec: number }

/** What stat reports, in host-neutral form. */
export interface Stat {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atime: Timespec; mtime: Timespec; ctime: Timespec;
}

export interface DirEntry {
  name: string;
  ino: number;
  type: number;
  /** The position after this entry (d_off): seeking there resumes after it. */
  next: number;
}

export interface StatFs {
  type: number; bsize: number; blocks: number; bfree: number; bavail: number;
  files: number; ffree: number; fsid: [number, number]; namelen: number; frsize: number; flags: number;
}

/** A time for utimensat: a value, now, or leave alone. */
export type TimeSet = Timespec | 'now' | 'omit';

/** An open file description: one offset and status flags, shared by dup'ed descriptors. */
export interface OpenFile {
  /** Guest path as opened (canonical for directories: fchdir and *at calls start there). */
  readonly name: string;
  /** Access mode and status flags; F_SETFL changes the SETFL_MASK bits. */
  flags: number;
  read(len: number): Uint8Array;
  write(bytes: Uint8Array): number;
  pread(len: number, offset: number): Uint8Array;
  pwrite(bytes: Uint8Array, offset: number): number;
  lseek(offset: number, whence: number): number;
  stat(): Stat;
  /** Directory entries from the current position while `fits` accepts them; advances past them. */
  readEntries(fits: (e: DirEntry) => boolean): DirEntry[];
  truncate(length: number): void;
  sync(): void;
  chmod(mode: number): void;
  chown(uid: number, gid: number): void;
  utimens(atime: TimeSet, mtime: TimeSet): void;
  /** TCGETS: the terminal's struct termios (36 bytes), or ENOTTY. */
  termios(): Uint8Array;
  /** TIOCGWINSZ: struct winsize (8 bytes), or ENOTTY. */
  winsize(): Uint8Array;
  statfs(): StatFs;
  /** F_SETFL: only the SETFL_MASK bits change. */
  setStatusFlags(flags: number): void;
  close(): void;
}

/**
 * A file system seen through guest paths. Paths given here are absolute guest paths
 * (the kernel joins the cwd or a directory fd's path in front of relative ones); their
 * `..` and symlinks are resolved by the file system in the guest's namespace.
 */
export interface FileSystem {
  open(guestPath: string, flags: number, mode: number): OpenFile;
  /** follow false: lstat. */
  stat(guestPath: string, follow: boolean): Stat;
  /** The canonical guest path of a directory (chdir, getcwd), or ENOENT/ENOTDIR. */
  directory(guestPath: string): string;
  readlink(guestPath: string): string;
  /** access(2) with mode F_OK/R_OK/W_OK/X_OK bits. */
  access(guestPath: string, mode: number, follow: boolean): void;
  mkdir(guestPath: string, mode: number): void;
  rmdir(guestPath: string): void;
  unlink(guestPath: string): void;
  /** flags: RENAME_NOREPLACE (1), RENAME_EXCHANGE (2). */
  rename(from: string, to: string, flags: number): void;
  link(from: string, to: string, follow: boolean): void;
  symlink(target: string, linkPath: string): void;
  chmod(guestPath: string, mode: number, follow: boolean): void;
  chown(guestPath: string, uid: number, gid: number, follow: boolean): void;
  truncate(guestPath: string, length: number): void;
  utimens(guestPath: string, atime: TimeSet, mtime: TimeSet, follow: boolean): void;
  statfs(guestPath: string): StatFs;
  /** The umask the kernel applies before mode reaches here is the kernel's business. */
  close?(): void;
}

export const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;
export const ACCESS = { F_OK: 0, X_OK: 1, W_OK: 2, R_OK: 4 } as const;

/** A guest path's components, `.` and empty ones dropped, `..` kept for the walk. */
export function components(guestPath: string): string[] {
  if (guestPath.length === 0) throw new KernelError(E.ENOENT);
  if (guestPath.length >= PATH_MAX) throw new KernelError(E.ENAMETOOLONG);
  const parts = guestPath.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.some((c) => c.length > NAME_MAX)) throw new KernelError(E.ENAMETOOLONG);
  return parts;
}

/** Components with chroot semantics: `..` never climbs above `/`. */
export function normalize(guestPath: string): string[] {
  const out: string[] = [];
  for (const c of components(guestPath)) {
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/** `rel` seen from directory `base` (both guest paths); an absolute `rel` stands alone. */
export function joinGuest(base: string, rel: string): string {
  if (rel.startsWith('/')) return rel;
  if (rel === '') return rel;
  return base.endsWith('/') ? base + rel : `${base}/${rel}`;
}

/** The new offset of an lseek, or EINVAL/EOVERFLOW as Linux gives them. */
export function seekTo(current: number, size: number, offset: number, whence: number): number {
  const base = whence === SEEK.SET ? 0 : whence === SEEK.CUR ? current : whence === SEEK.END ? size : NaN;
  if (Number.isNaN(base)) throw new KernelError(E.EINVAL);
  const to = base + offset;
  if (to < 0) throw new KernelError(E.EINVAL);
  if (to > MAX_FILE_BYTES) throw new KernelError(E.EOVERFLOW);
  return to;
}

export function checkReadable(flags: number): void {
  if ((flags & O.ACCMODE) === O.WRONLY || (flags & O.PATH)) throw new KernelError(E.EBADF);
}

export function checkWritable(flags: number): void {
  if ((flags & O.ACCMODE) === O.RDONLY || (flags & O.PATH)) throw new KernelError(E.EBADF);
}

const fail = (errno: number) => (): never => { throw new KernelError(errno); };

/**
 * Defaults for the calls a kind of file does not support, with Linux's errno for each;
 * concrete descriptions override what they do.
 */
export abstract class BaseFile implements OpenFile {
  abstract readonly name: string;
  abstract flags: number;
  read(_len: number): Uint8Array { return fail(E.EINVAL)(); }
  write(_bytes: Uint8Array): number { return fail(E.EINVAL)(); }
  pread(_len: number, _offset: number): Uint8Array { return fail(E.ESPIPE)(); }
  pwrite(_bytes: Uint8Array, _offset: number): number { return fail(E.ESPIPE)(); }
  lseek(_offset: number, _whence: number): number { return fail(E.ESPIPE)(); }
  abstract stat(): Stat;
  readEntries(_fits: (e: DirEntry) => boolean): DirEntry[] { return fail(E.ENOTDIR)(); }
  truncate(_length: number): void { fail(E.EINVAL)(); }
  sync(): void {}
  chmod(_mode: number): void { fail(E.EPERM)(); }
  chown(_uid: number, _gid: number): void { fail(E.EPERM)(); }
  utimens(_a: TimeSet, _m: TimeSet): void { fail(E.EPERM)(); }
  termios(): Uint8Array { return fail(E.ENOTTY)(); }
  winsize(): Uint8Array { return fail(E.ENOTTY)(); }
  statfs(): StatFs { return fail(E.ENOSYS)(); }
  setStatusFlags(flags: number): void { this.flags = (this.flags & ~SETFL_MASK) | (flags & SETFL_MASK); }
  close(): void {}
}

// ---------------------------------------------------------------- in memory

/** The simulated time for in-memory files: a fixed clock, so scenario output never depends on the host. */
const MEM_TIME: Timespec = { sec: 1_009_843_200, nsec: 0 };
const MEM_DEV = 0x2a;

type MemKind = 'reg' | 'dir' | 'lnk';

class MemNode {
  data = new Uint8Array(0);
  size = 0;
  readonly children = new Map<string, MemNode>();
  target = '';
  nlink = 1;
  atime = MEM_TIME; mtime = MEM_TIME; ctime = MEM_TIME;
  uid = 0; gid = 0;
  constructor(readonly kind: MemKind, public mode: number, readonly ino: number) {
    if (kind === 'dir') this.nlink = 2;
  }

  bytes(): Uint8Array {
    return this.data.subarray(0, this.size);
  }

  resize(size: number): void {
    if (size > MAX_FILE_BYTES) throw new KernelError(E.EFBIG);
    if (size > this.data.length) {
      const grown = new Uint8Array(Math.max(size, this.data.length * 2, 4096));
      grown.set(this.data.subarray(0, this.size));
      this.data = grown;
    } else if (size < this.size) {
      this.data.fill(0, size, this.size);
    }
    this.size = size;
  }

  stat(): Stat {
    const type = this.kind === 'dir' ? S.IFDIR : this.kind === 'lnk' ? S.IFLNK : S.IFREG;
    const size = this.kind === 'dir' ? 4096 : this.kind === 'lnk' ? this.target.length : this.size;
    return {
      dev: MEM_DEV, ino: this.ino, mode: type | this.mode, nlink: this.nlink, uid: this.uid, gid: this.gid, rdev: 0,
      size, blksize: 4096, blocks: Math.ceil(size / 4096) * 8, atime: this.atime, mtime: this.mtime, ctime: this.ctime,
    };
  }
}

function setTimes(node: MemNode, atime: TimeSet, mtime: TimeSet): void {
  if (atime !== 'omit') node.atime = atime === 'now' ? MEM_TIME : atime;
  if (mtime !== 'omit') node.mtime = mtime === 'now' ? MEM_TIME : mtime;
}

const MEM_STATFS: StatFs = {
  type: 0x01021994 /* TMPFS_MAGIC */, bsize: 4096, blocks: 65536, bfree: 65536, bavail: 65536,
  files: 65536, ffree: 65536, fsid: [0, 0], namelen: NAME_MAX, frsize: 4096, flags: 0x20, /* ST_RELATIME */
};

class MemFile extends BaseFile {
  private offset = 0;
  private entryList: DirEntry[] | undefined;
  constructor(readonly name: string, private readonly node: MemNode, public flags: number, private readonly parent: MemNode) {
    super();
  }

  read(len: number): Uint8Array {
    const out = this.pread(len, this.offset);
    this.offset += out.length;
    return out;
  }

  write(bytes: Uint8Array): number {
    if (this.flags & O.APPEND) this.offset = this.node.size;
    const n = this.pwrite(bytes, this.offset);
    this.offset += n;
    return n;
  }

  pread(len: number, offset: number): Uint8Array {
    checkReadable(this.flags);
    if (this.node.kind === 'dir') throw new KernelError(E.EISDIR);
    const n = Math.max(0, Math.min(len, this.node.size - offset));
    return this.node.data.slice(offset, offset + n);
  }

  pwrite(bytes: Uint8Array, offset: number): number {
    checkWritable(this.flags);
    const end = offset + bytes.length;
    if (end > this.node.size) this.node.resize(end);
    this.node.data.set(bytes, offset);
    return bytes.length;
  }

  lseek(offset: number, whence: number): number {
    if (this.node.kind === 'dir') this.entryList = undefined;
    this.offset = seekTo(this.offset, this.node.size, offset, whence);
    return this.offset;
  }

  stat(): Stat { return this.node.stat(); }

  readEntries(fits: (e: DirEntry) => boolean): DirEntry[] {
    if (this.node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
    this.entryList ??= [['.', this.node] as const, ['..', this.parent] as const, ...this.node.children]
      .map(([name, n], i) => ({ name, ino: n.ino, type: n.kind === 'dir' ? DT.DIR : n.kind === 'lnk' ? DT.LNK : DT.REG, next: i + 1 }));
    const out: DirEntry[] = [];
    while (this.offset < this.entryList.length && fits(this.entryList[this.offset])) out.push(this.entryList[this.offset++]);
    return out;
  }

  truncate(length: number): void {
    if (this.node.kind !== 'reg' || (this.flags & O.ACCMODE) === O.RDONLY) throw new KernelError(E.EINVAL);
    this.node.resize(length);
  }

  chmod(mode: number): void { this.node.mode = mode & 0o7777; }
  chown(uid: number, gid: number): void {
    if (uid !== -1) this.node.uid = uid;
    if (gid !== -1) this.node.gid = gid;
  }
  utimens(atime: TimeSet, mtime: TimeSet): void { setTimes(this.node, atime, mtime); }
  statfs(): StatFs { return MEM_STATFS; }
}

/**
 * A tree of in-memory files, directories and symlinks. It starts with the folders every
 * system has (/dev, /tmp: scenario guests write /dev/display); the paths given at
 * construction create their folders.
 */
export class MemoryFileSystem implements FileSystem {
  private readonly root: MemNode;
  private nextIno = 2;

  constructor(files: Record<string, Uint8Array> = {}) {
    this.root = new MemNode('dir', 0o755, this.nextIno++);
    for (const [name, mode] of [['dev', 0o755], ['tmp', 0o1777]] as const) {
      this.root.children.set(name, this.node('dir', mode));
      this.root.nlink++;
    }
    for (const [p, data] of Object.entries(files)) {
      const parts = normalize(p);
      let dir = this.root;
      for (const c of parts.slice(0, -1)) {
        let next = dir.children.get(c);
        if (!next) { next = this.node('dir', 0o755); dir.children.set(c, next); dir.nlink++; }
        dir = next;
      }
      const f = this.node('reg', 0o644);
      f.resize(data.length);
      f.data.set(data);
      dir.children.set(parts[parts.length - 1], f);
    }
  }

  private node(kind: MemKind, mode: number): MemNode {
    return new MemNode(kind, mode & 0o7777, this.nextIno++);
  }

  /**
   * Walks a guest path: the parent directory, the last name and its node (if any).
   * Symlinks are followed in the guest's namespace; the last one only if `follow`.
   */
  private walk(guestPath: string, follow: boolean): { parent: MemNode; name: string; node?: MemNode; path: string[] } {
    let pending = components(guestPath);
    const stack: MemNode[] = [this.root];
    const names: string[] = [];
    let links = 0;
    if (pending.length === 0) return { parent: this.root, name: '', node: this.root, path: [] };
    while (pending.length > 0) {
      const c = pending.shift()!;
      const dir = stack[stack.length - 1];
      if (c === '..') {
        if (stack.length > 1) { stack.pop(); names.pop(); }
        if (pending.length === 0) return { parent: stack[stack.length - 2] ?? this.root, name: names[names.length - 1] ?? '', node: stack[stack.length - 1], path: [...names] };
        continue;
      }
      const node = dir.children.get(c);
      const last = pending.length === 0;
      if (!node) {
        if (last) return { parent: dir, name: c, path: [...names, c] };
        throw new KernelError(E.ENOENT);
      }
      if (node.kind === 'lnk' && (!last || follow)) {
        if (++links > MAX_SYMLINKS) throw new KernelError(E.ELOOP);
        if (node.target.startsWith('/')) { stack.length = 1; names.length = 0; }
        pending = [...components(node.target.startsWith('/') ? node.target : node.target || '.'), ...pending];
        if (pending.length === 0) return { parent: stack[stack.length - 2] ?? this.root, name: names[names.length - 1] ?? '', node: stack[stack.length - 1], path: [...names] };
        continue;
      }
      if (last) return { parent: dir, name: c, node, path: [...names, c] };
      if (node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
      stack.push(node);
      names.push(c);
    }
    throw new KernelError(E.ENOENT); // not reached: the loop returns at the last component
  }

  private existing(guestPath: string, follow: boolean): { parent: MemNode; name: string; node: MemNode; path: string[] } {
    const w = this.walk(guestPath, follow);
    if (!w.node) throw new KernelError(E.ENOENT);
    if (guestPath.endsWith('/') && w.node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
    return w as { parent: MemNode; name: string; node: MemNode; path: string[] };
  }

  open(guestPath: string, flags: number, mode: number): OpenFile {
    if ((flags & O.ACCMODE) === 3 && !(flags & O.PATH)) throw new KernelError(E.EINVAL);
    const w = this.walk(guestPath, (flags & O.NOFOLLOW) === 0);
    let node = w.node;
    if (node && (flags & O.CREAT) && (flags & O.EXCL)) throw new KernelError(E.EEXIST);
    if (!node) {
      if (!(flags & O.CREAT)) throw new KernelError(E.ENOENT);
      if (guestPath.endsWith('/')) throw new KernelError(E.EISDIR);
      node = this.node('reg', mode);
      w.parent.children.set(w.name, node);
    } else if (guestPath.endsWith('/') && node.kind !== 'dir') {
      throw new KernelError(E.ENOTDIR);
    } else if (node.kind === 'lnk') {
      if (!(flags & O.PATH)) throw new KernelError(E.ELOOP);
    } else if (node.kind === 'dir') {
      if ((flags & O.ACCMODE) !== O.RDONLY || (flags & O.CREAT)) throw new KernelError(E.EISDIR);
    } else if (flags & O.DIRECTORY) {
      throw new KernelError(E.ENOTDIR);
    } else if ((flags & O.TRUNC) && (flags & O.ACCMODE) !== O.RDONLY) {
      node.resize(0);
    }
    return new MemFile('/' + w.path.join('/'), node, flags & ~(O.CREAT | O.EXCL | O.TRUNC | O.NOCTTY | O.CLOEXEC), w.parent);
  }

  stat(guestPath: string, follow: boolean): Stat {
    return this.existing(guestPath, follow).node.stat();
  }

  directory(guestPath: string): string {
    const w = this.existing(guestPath, true);
    if (w.node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
    return '/' + w.path.join('/');
  }

  readlink(guestPath: string): string {
    const w = this.existing(guestPath, false);
    if (w.node.kind !== 'lnk') throw new KernelError(E.EINVAL);
    return w.node.target;
  }

  access(guestPath: string, _mode: number, follow: boolean): void {
    this.existing(guestPath, follow);
  }

  mkdir(guestPath: string, mode: number): void {
    const w = this.walk(guestPath, false);
    if (w.node) throw new KernelError(E.EEXIST);
    w.parent.children.set(w.name, this.node('dir', mode));
    w.parent.nlink++;
  }

  rmdir(guestPath: string): void {
    if (normalize(guestPath).length === 0) throw new KernelError(E.EBUSY);
    if (/(^|\/)\.\/*$/.test(guestPath)) throw new KernelError(E.EINVAL);
    const w = this.existing(guestPath, false);
    if (w.node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
    if (w.node.children.size > 0) throw new KernelError(E.ENOTEMPTY);
    w.parent.children.delete(w.name);
    w.parent.nlink--;
  }

  unlink(guestPath: string): void {
    const w = this.existing(guestPath, false);
    if (w.node.kind === 'dir') throw new KernelError(E.EISDIR);
    w.parent.children.delete(w.name);
    w.node.nlink--;
  }

  rename(from: string, to: string, flags: number): void {
    const a = this.existing(from, false);
    const b = this.walk(to, false);
    if (a.node === this.root || b.node === this.root) throw new KernelError(E.EBUSY);
    if (b.path.join('/').startsWith(a.path.join('/') + '/')) throw new KernelError(E.EINVAL);
    if (flags & RENAME.EXCHANGE) {
      if (!b.node) throw new KernelError(E.ENOENT);
      a.parent.children.set(a.name, b.node);
      b.parent.children.set(b.name, a.node);
      return;
    }
    if (b.node) {
      if (flags & RENAME.NOREPLACE) throw new KernelError(E.EEXIST);
      if (b.node === a.node) return;
      if (a.node.kind === 'dir' && b.node.kind !== 'dir') throw new KernelError(E.ENOTDIR);
      if (a.node.kind !== 'dir' && b.node.kind === 'dir') throw new KernelError(E.EISDIR);
      if (b.node.kind === 'dir' && b.node.children.size > 0) throw new KernelError(E.ENOTEMPTY);
    }
    a.parent.children.delete(a.name);
    b.parent.children.set(b.name, a.node);
  }

  link(from: string, to: string, follow: boolean): void {
    const a = this.existing(from, follow);
    if (a.node.kind === 'dir') throw new KernelError(E.EPERM);
    const b = this.walk(to, false);
    if (b.node) throw new KernelError(E.EEXIST);
    b.parent.children.set(b.name, a.node);
    a.node.nlink++;
  }

  symlink(target: string, linkPath: string): void {
    if (target === '') throw new KernelError(E.ENOENT);
    const b = this.walk(linkPath, false);
    if (b.node) throw new KernelError(E.EEXIST);
    const n = this.node('lnk', 0o777);
    n.target = target;
    b.parent.children.set(b.name, n);
  }

  chmod(guestPath: string, mode: number, follow: boolean): void {
    const w = this.existing(guestPath, follow);
    if (w.node.kind === 'lnk') throw new KernelError(E.EOPNOTSUPP);
    w.node.mode = mode & 0o7777;
  }

  chown(guestPath: string, uid: number, gid: number, follow: boolean): void {
    const n = this.existing(guestPath, follow).node;
    if (uid !== -1) n.uid = uid;
    if (gid !== -1) n.gid = gid;
  }

  truncate(guestPath: string, length: number): void {
    const n = this.existing(guestPath, true).node;
    if (n.kind === 'dir') throw new KernelError(E.EISDIR);
    n.resize(length);
  }

  utimens(guestPath: string, atime: TimeSet, mtime: TimeSet, follow: boolean): void {
    setTimes(this.existing(guestPath, follow).node, atime, mtime);
  }

  statfs(guestPath: string): StatFs {
    this.existing(guestPath, true);
    return MEM_STATFS;
  }

  /** A file's current contents (scenarios compare outputs with this). */
  contents(guestPath: string): Uint8Array | undefined {
    try {
      const n = this.walk(guestPath, true).node;
      return n?.kind === 'reg' ? n.bytes() : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every regular file's path, sorted. */
  paths(): string[] {
    const out: string[] = [];
    const visit = (dir: MemNode, prefix: string) => {
      for (const [name, n] of dir.children) {
        if (n.kind === 'dir') visit(n, `${prefix}/${name}`);
        else if (n.kind === 'reg') out.push(`${prefix}/${name}`);
      }
    };
    visit(this.root, '');
    return out.sort();
  }
}

// ---------------------------------------------------------------- standard streams and the fd table

/** Where the guest's standard streams go (host/stdio.ts has the host's own fds 0, 1, 2). */
export interface Stdio {
  readIn(len: number): Uint8Array;
  writeOut(bytes: Uint8Array): void;
  writeErr(bytes: Uint8Array): void;
  /** fstat of fd 0, 1 or 2; a pipe when not given. */
  stat?(fd: 0 | 1 | 2): Stat;
  /** The terminal's termios and window size, if fd is a terminal; ENOTTY otherwise. */
  termios?(fd: 0 | 1 | 2): Uint8Array;
  winsize?(fd: 0 | 1 | 2): Uint8Array;
  /** The stream's file status flags (F_GETFL) as the host has them; O_RDONLY/O_WRONLY when not given. */
  flags?(fd: 0 | 1 | 2): number;
}

/** Collects the guest's output in memory (tests and scenarios). */
export class CapturedStdio implements Stdio {
  readonly out: Uint8Array[] = [];
  readonly err: Uint8Array[] = [];
  constructor(private input: Uint8Array = new Uint8Array(0)) {}
  readIn(len: number): Uint8Array {
    const chunk = this.input.slice(0, len);
    this.input = this.input.subarray(chunk.length);
    return chunk;
  }
  writeOut(bytes: Uint8Array): void { this.out.push(bytes.slice()); }
  writeErr(bytes: Uint8Array): void { this.err.push(bytes.slice()); }
  stdout(): string { return Buffer.concat(this.out).toString('latin1'); }
  stderr(): string { return Buffer.concat(this.err).toString('latin1'); }
}

/** A pipe's stat, for standard streams whose host has nothing better to say. */
export const PIPE_STAT: Stat = {
  dev: 0xc, ino: 1, mode: S.IFIFO | 0o600, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0,
  atime: MEM_TIME, mtime: MEM_TIME, ctime: MEM_TIME,
};

class StdStream extends BaseFile {
  constructor(readonly name: string, private readonly fdNo: 0 | 1 | 2, private readonly stdio: Stdio, public flags: number) {
    super();
  }
  read(len: number): Uint8Array {
    if (this.fdNo !== 0) throw new KernelError(E.EBADF);
    return this.stdio.readIn(len);
  }
  write(bytes: Uint8Array): number {
    if (this.fdNo === 0) throw new KernelError(E.EBADF);
    (this.fdNo === 1 ? this.stdio.writeOut : this.stdio.writeErr).call(this.stdio, bytes);
    return bytes.length;
  }
  stat(): Stat { return this.stdio.stat?.(this.fdNo) ?? PIPE_STAT; }
  termios(): Uint8Array { return this.stdio.termios ? this.stdio.termios(this.fdNo) : super.termios(); }
  winsize(): Uint8Array { return this.stdio.winsize ? this.stdio.winsize(this.fdNo) : super.winsize(); }
}

export const DEFAULT_FD_LIMIT = 256;

interface Slot { file: OpenFile; cloexec: boolean }

/**
 * Descriptors referring to each open file description, over every process's table (a
 * forked child shares its parent's descriptions): the last one closed closes it.
 */
const references = new WeakMap<OpenFile, number>();
const hold = (f: OpenFile) => { references.set(f, (references.get(f) ?? 0) + 1); };
function release(f: OpenFile): void {
  const n = (references.get(f) ?? 1) - 1;
  if (n > 0) references.set(f, n);
  else { references.delete(f); f.close(); }
}

/** The descriptor table: slots point at shared descriptions; the last close closes the description. */
export class FdTable {
  private readonly slots: (Slot | undefined)[] = [];

  constructor(stdio: Stdio | null, readonly limit = DEFAULT_FD_LIMIT) {
    if (stdio) {
      this.slots = [
        { file: new StdStream('stdin', 0, stdio, stdio.flags?.(0) ?? O.RDONLY), cloexec: false },
        { file: new StdStream('stdout', 1, stdio, stdio.flags?.(1) ?? O.WRONLY), cloexec: false },
        { file: new StdStream('stderr', 2, stdio, stdio.flags?.(2) ?? O.WRONLY), cloexec: false },
      ];
      for (const s of this.slots) hold(s!.file);
    }
  }

  /** fork: a table with the same descriptors (and close-on-exec flags) on the same descriptions. */
  fork(): FdTable {
    const t = new FdTable(null, this.limit);
    this.slots.forEach((s, fd) => {
      if (!s) return;
      t.slots[fd] = { ...s };
      hold(s.file);
    });
    return t;
  }

  /** execve: descriptors marked close-on-exec are closed. */
  closeOnExec(): void {
    this.slots.forEach((s, fd) => {
      if (s?.cloexec) this.close(fd);
    });
  }

  /** The descriptions this table refers to (a pipe's reader asks whether writers remain). */
  files(): OpenFile[] {
    return this.slots.flatMap((s) => (s ? [s.file] : []));
  }

  /** Installs at the lowest free descriptor at or above `min`, as POSIX requires. */
  install(file: OpenFile, cloexec = false, min = 0): number {
    let fd = min;
    while (fd < this.slots.length && this.slots[fd] !== undefined) fd++;
    if (fd >= this.limit) {
      if (!references.has(file)) file.close();
      throw new KernelError(E.EMFILE);
    }
    this.slots[fd] = { file, cloexec };
    hold(file);
    return fd;
  }

  /** dup2/dup3: `fd` now refers to `file`; what it held is closed. */
  installAt(fd: number, file: OpenFile, cloexec: boolean): number {
    if (fd < 0 || fd >= this.limit) throw new KernelError(E.EBADF);
    const old = this.slots[fd];
    hold(file);
    this.slots[fd] = { file, cloexec };
    if (old) release(old.file);
    return fd;
  }

  get(fd: number): OpenFile {
    const s = fd >= 0 ? this.slots[fd] : undefined;
    if (!s) throw new KernelError(E.EBADF);
    return s.file;
  }

  cloexec(fd: number): boolean {
    this.get(fd);
    return this.slots[fd]!.cloexec;
  }

  setCloexec(fd: number, on: boolean): void {
    this.get(fd);
    this.slots[fd]!.cloexec = on;
  }

  close(fd: number): void {
    const f = this.get(fd);
    this.slots[fd] = undefined;
    release(f);
  }

  closeAll(): void {
    const held = this.slots.flatMap((s) => (s ? [s.file] : []));
    this.slots.length = 0;
    for (const f of held) release(f);
  }
}
