// The guest's file system: either a host directory seen as the guest's `/` (sandboxed:
// no path, `..` or symlink leads outside it) or a set of in-memory files (scenarios).
// Plus the per-process fd table. Failures throw KernelError; dispatch makes them -errno.
import fs from 'node:fs';
import path from 'node:path';
import { E, KernelError, hostErrno } from './errno.js';

export const O = {
  ACCMODE: 3, RDONLY: 0, WRONLY: 1, RDWR: 2,
  CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000, APPEND: 0o2000,
  NONBLOCK: 0o4000, LARGEFILE: 0o100000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000, CLOEXEC: 0o2000000,
} as const;
export const SEEK = { SET: 0, CUR: 1, END: 2 } as const;

const PATH_MAX = 4096;
const MAX_SYMLINKS = 40;
const MAX_FILE_BYTES = 2 ** 31 - 1;

/** An open file description. */
export interface OpenFile {
  readonly name: string;
  read(len: number): Uint8Array;
  write(bytes: Uint8Array): number;
  lseek(offset: number, whence: number): number;
  close(): void;
}

export interface FileSystem {
  open(guestPath: string, flags: number, mode: number): OpenFile;
  unlink(guestPath: string): void;
}

/** A guest path's components, `.` and empty ones dropped, `..` kept for the walk. */
function components(guestPath: string): string[] {
  if (guestPath.length === 0) throw new KernelError(E.ENOENT);
  if (guestPath.length >= PATH_MAX) throw new KernelError(E.ENAMETOOLONG);
  const parts = guestPath.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.some((c) => c.length > 255)) throw new KernelError(E.ENAMETOOLONG);
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

function seekTo(current: number, size: number, offset: number, whence: number): number {
  const base = whence === SEEK.SET ? 0 : whence === SEEK.CUR ? current : whence === SEEK.END ? size : NaN;
  if (Number.isNaN(base)) throw new KernelError(E.EINVAL);
  const to = base + offset;
  if (to < 0) throw new KernelError(E.EINVAL);
  if (to > MAX_FILE_BYTES) throw new KernelError(E.EOVERFLOW);
  return to;
}

function checkAccess(flags: number, readable: boolean): void {
  const acc = flags & O.ACCMODE;
  if (readable && acc === O.WRONLY) throw new KernelError(E.EBADF);
  if (!readable && acc === O.RDONLY) throw new KernelError(E.EBADF);
}

// ---------------------------------------------------------------- host directory

class HostFile implements OpenFile {
  private offset = 0;
  constructor(readonly name: string, private readonly fd: number, private readonly flags: number,
    private readonly isDir: boolean) {}

  read(len: number): Uint8Array {
    checkAccess(this.flags, true);
    if (this.isDir) throw new KernelError(E.EISDIR);
    const buf = Buffer.alloc(len);
    const n = hostCall(() => fs.readSync(this.fd, buf, 0, len, this.offset));
    this.offset += n;
    return buf.subarray(0, n);
  }

  write(bytes: Uint8Array): number {
    checkAccess(this.flags, false);
    if (this.flags & O.APPEND) this.offset = hostCall(() => fs.fstatSync(this.fd).size);
    const n = hostCall(() => fs.writeSync(this.fd, bytes, 0, bytes.length, this.offset));
    this.offset += n;
    return n;
  }

  lseek(offset: number, whence: number): number {
    const size = whence === SEEK.END ? hostCall(() => fs.fstatSync(this.fd).size) : 0;
    this.offset = seekTo(this.offset, size, offset, whence);
    return this.offset;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function hostCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new KernelError(hostErrno(err));
  }
}

/** A host directory as the guest's root. */
export class HostFileSystem implements FileSystem {
  readonly root: string;

  constructor(root: string) {
    this.root = fs.realpathSync(root);
  }

  /**
   * Resolves a guest path to a host path inside the root, following symlinks in the
   * guest's namespace (an absolute link target starts again at the guest's `/`).
   * With followLast false the last component is not followed (unlink, O_NOFOLLOW).
   */
  resolve(guestPath: string, followLast = true): string {
    let pending = components(guestPath);
    const done: string[] = [];
    let links = 0;
    while (pending.length > 0) {
      const c = pending.shift()!;
      if (c === '..') { done.pop(); continue; } // at the root, `..` is the root itself
      const candidate = path.join(this.root, ...done, c);
      const isLast = pending.length === 0;
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(candidate);
      } catch (err) {
        const errno = hostErrno(err);
        if (errno === E.ENOENT && isLast) { done.push(c); break; } // may be created
        throw new KernelError(errno);
      }
      if (st.isSymbolicLink() && (!isLast || followLast)) {
        if (++links > MAX_SYMLINKS) throw new KernelError(E.ELOOP);
        const target = fs.readlinkSync(candidate);
        // Relative targets keep `..` so it can climb (within the root) like the kernel's walk.
        const targetParts = target.split('/').filter((p) => p !== '' && p !== '.');
        if (target.startsWith('/')) done.length = 0;
        pending = [...targetParts, ...pending];
        continue;
      }
      if (!isLast && !st.isDirectory()) throw new KernelError(E.ENOTDIR);
      done.push(c);
    }
    const host = path.join(this.root, ...done);
    // Belt and braces: whatever happened above, nothing outside the root is touched.
    if (host !== this.root && !host.startsWith(this.root + path.sep)) throw new KernelError(E.EACCES);
    return host;
  }

  open(guestPath: string, flags: number, mode: number): OpenFile {
    const host = this.resolve(guestPath, (flags & O.NOFOLLOW) === 0);
    const c = fs.constants;
    let hostFlags = [c.O_RDONLY, c.O_WRONLY, c.O_RDWR][flags & O.ACCMODE] ?? -1;
    if (hostFlags < 0) throw new KernelError(E.EINVAL);
    const pairs: [number, number][] = [[O.CREAT, c.O_CREAT], [O.EXCL, c.O_EXCL], [O.TRUNC, c.O_TRUNC],
      [O.APPEND, c.O_APPEND], [O.DIRECTORY, c.O_DIRECTORY], [O.NONBLOCK, c.O_NONBLOCK]];
    for (const [guest, hostBit] of pairs) if (flags & guest) hostFlags |= hostBit;
    hostFlags |= c.O_NOFOLLOW; // every symlink was already followed inside the sandbox
    const fd = hostCall(() => fs.openSync(host, hostFlags, mode & 0o7777 & ~0o022));
    const isDir = hostCall(() => fs.fstatSync(fd).isDirectory());
    return new HostFile(guestPath, fd, flags, isDir);
  }

  unlink(guestPath: string): void {
    const host = this.resolve(guestPath, false);
    if (host === this.root) throw new KernelError(E.EISDIR);
    const st = hostCall(() => fs.lstatSync(host));
    if (st.isDirectory()) throw new KernelError(E.EISDIR);
    hostCall(() => fs.unlinkSync(host));
  }
}

// ---------------------------------------------------------------- in memory

class MemNode {
  constructor(public data: Uint8Array = new Uint8Array(0), public size = data.length) {}

  bytes(): Uint8Array {
    return this.data.subarray(0, this.size);
  }

  ensure(capacity: number): void {
    if (capacity <= this.data.length) return;
    const grown = new Uint8Array(Math.max(capacity, this.data.length * 2, 4096));
    grown.set(this.data.subarray(0, this.size));
    this.data = grown;
  }
}

class MemFile implements OpenFile {
  private offset = 0;
  constructor(readonly name: string, private readonly node: MemNode, private readonly flags: number) {}

  read(len: number): Uint8Array {
    checkAccess(this.flags, true);
    const n = Math.max(0, Math.min(len, this.node.size - this.offset));
    const out = this.node.data.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  write(bytes: Uint8Array): number {
    checkAccess(this.flags, false);
    if (this.flags & O.APPEND) this.offset = this.node.size;
    const end = this.offset + bytes.length;
    if (end > MAX_FILE_BYTES) throw new KernelError(E.EFBIG);
    this.node.ensure(end);
    this.node.data.set(bytes, this.offset);
    this.node.size = Math.max(this.node.size, end);
    this.offset = end;
    return bytes.length;
  }

  lseek(offset: number, whence: number): number {
    this.offset = seekTo(this.offset, this.node.size, offset, whence);
    return this.offset;
  }

  close(): void {}
}

/** A flat set of in-memory files keyed by normalized guest path; directories are implied. */
export class MemoryFileSystem implements FileSystem {
  private readonly nodes = new Map<string, MemNode>();

  constructor(files: Record<string, Uint8Array> = {}) {
    for (const [p, data] of Object.entries(files)) this.nodes.set(this.key(p), new MemNode(data.slice()));
  }

  private key(guestPath: string): string {
    return '/' + normalize(guestPath).join('/');
  }

  open(guestPath: string, flags: number, _mode: number): OpenFile {
    const key = this.key(guestPath);
    if ((flags & O.ACCMODE) === 3) throw new KernelError(E.EINVAL);
    let node = this.nodes.get(key);
    if (node && (flags & O.CREAT) && (flags & O.EXCL)) throw new KernelError(E.EEXIST);
    if (!node) {
      if (key === '/' || [...this.nodes.keys()].some((k) => k.startsWith(key + '/'))) throw new KernelError(E.EISDIR);
      if (!(flags & O.CREAT)) throw new KernelError(E.ENOENT);
      node = new MemNode();
      this.nodes.set(key, node);
    } else if ((flags & O.TRUNC) && (flags & O.ACCMODE) !== O.RDONLY) {
      node.size = 0;
    }
    return new MemFile(guestPath, node, flags);
  }

  unlink(guestPath: string): void {
    if (!this.nodes.delete(this.key(guestPath))) throw new KernelError(E.ENOENT);
  }

  /** A file's current contents (scenarios compare outputs with this). */
  contents(guestPath: string): Uint8Array | undefined {
    return this.nodes.get(this.key(guestPath))?.bytes();
  }

  paths(): string[] {
    return [...this.nodes.keys()].sort();
  }
}

// ---------------------------------------------------------------- standard streams and the fd table

/** Where the guest's standard streams go; by default the host's own fds 0, 1 and 2. */
export interface Stdio {
  readIn(len: number): Uint8Array;
  writeOut(bytes: Uint8Array): void;
  writeErr(bytes: Uint8Array): void;
}

export const hostStdio: Stdio = {
  readIn(len) {
    const buf = Buffer.alloc(len);
    try {
      return buf.subarray(0, fs.readSync(0, buf, 0, len, null));
    } catch (err) {
      if ((err as { code?: string }).code === 'EOF') return buf.subarray(0, 0);
      if ((err as { code?: string }).code === 'EAGAIN') throw new KernelError(E.EAGAIN);
      throw new KernelError(hostErrno(err));
    }
  },
  writeOut: (bytes) => { writeAll(1, bytes); },
  writeErr: (bytes) => { writeAll(2, bytes); },
};

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length;) {
    try {
      off += fs.writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN') throw new KernelError(hostErrno(err));
    }
  }
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

class StdStream implements OpenFile {
  constructor(readonly name: string, private readonly fdNo: 0 | 1 | 2, private readonly stdio: Stdio) {}
  read(len: number): Uint8Array {
    if (this.fdNo !== 0) throw new KernelError(E.EBADF);
    return this.stdio.readIn(len);
  }
  write(bytes: Uint8Array): number {
    if (this.fdNo === 0) throw new KernelError(E.EBADF);
    (this.fdNo === 1 ? this.stdio.writeOut : this.stdio.writeErr).call(this.stdio, bytes);
    return bytes.length;
  }
  lseek(): number {
    throw new KernelError(E.ESPIPE);
  }
  close(): void {}
}

export const DEFAULT_FD_LIMIT = 256;

export class FdTable {
  private readonly files: (OpenFile | undefined)[] = [];

  constructor(stdio: Stdio, readonly limit = DEFAULT_FD_LIMIT) {
    this.files = [new StdStream('stdin', 0, stdio), new StdStream('stdout', 1, stdio), new StdStream('stderr', 2, stdio)];
  }

  /** Installs at the lowest free descriptor, as POSIX requires. */
  install(file: OpenFile): number {
    let fd = this.files.findIndex((f) => f === undefined);
    if (fd < 0) fd = this.files.length;
    if (fd >= this.limit) {
      file.close();
      throw new KernelError(E.EMFILE);
    }
    this.files[fd] = file;
    return fd;
  }

  get(fd: number): OpenFile {
    const f = fd >= 0 ? this.files[fd] : undefined;
    if (!f) throw new KernelError(E.EBADF);
    return f;
  }

  close(fd: number): void {
    const f = this.get(fd);
    this.files[fd] = undefined;
    f.close();
  }

  closeAll(): void {
    this.files.forEach((f, fd) => { if (f) { this.files[fd] = undefined; f.close(); } });
  }
}
