// File I/O syscalls: open and close, read and write and their vector and positioned
// forms, seeking, sendfile, truncation and sync. Arguments first, then the work.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { PROT } from '../memory.js';
import { arg, type SyscallSpec } from '../syscall.js';
import { O, S, type OpenFile } from '../vfs.js';

/** Linux caps one read or write at MAX_RW_COUNT (INT_MAX rounded down to a page). */
const MAX_RW_COUNT = 0x7ffff000;
/** How much moves through the host at a time; one call loops over chunks, as Linux does. */
const MAX_CHUNK = 64 * 1024 * 1024;
/** UIO_MAXIOV: the most iovecs one readv or writev takes. */
const UIO_MAXIOV = 1024;

/**
 * How many bytes from `ptr` the guest can hand over (prot READ) or receive (prot WRITE),
 * up to `len`: a transfer stops at the first bad page like copy_{to,from}_user does.
 * Zero bytes usable for a non-empty transfer is EFAULT.
 */
function usable(k: Kernel, ptr: number, len: number, prot: number): number {
  const n = Math.min(len, MAX_RW_COUNT);
  if (n === 0) return 0;
  if (k.mem.isMapped(ptr, n, prot)) return n;
  let ok = 0;
  for (let page = ptr - (ptr % 4096); ok < n; page += 4096) {
    const from = Math.max(page, ptr), to = Math.min(page + 4096, ptr + n);
    if (!k.mem.isMapped(from, to - from, prot)) break;
    ok += to - from;
  }
  if (ok === 0) throw new KernelError(E.EFAULT);
  return ok;
}

/** A 64-bit offset from two 32-bit registers; negative is EINVAL. */
export function offset64(lo: number, hi: number): number {
  const v = (hi | 0) * 2 ** 32 + (lo >>> 0);
  if (v < 0) throw new KernelError(E.EINVAL);
  return v;
}

/**
 * Reads up to `count` bytes into guest memory at `buf`, a chunk at a time: a short chunk
 * (end of file, a pipe with less) ends the call. `at` gives pread's offset.
 */
function readInto(k: Kernel, file: OpenFile, buf: number, count: number, at?: number): number {
  const total = usable(k, buf, count, PROT.WRITE);
  let done = 0;
  while (done < total) {
    const want = Math.min(MAX_CHUNK, total - done);
    const data = at === undefined ? file.read(want) : file.pread(want, at + done);
    k.copyOut(buf + done, data);
    done += data.length;
    if (data.length < want) break;
  }
  return done;
}

function writeFrom(k: Kernel, file: OpenFile, buf: number, count: number, at?: number): number {
  const total = usable(k, buf, count, PROT.READ);
  let done = 0;
  while (done < total) {
    const chunk = k.copyIn(buf + done, Math.min(MAX_CHUNK, total - done));
    const n = at === undefined ? file.write(chunk) : file.pwrite(chunk, at + done);
    done += n;
    if (n < chunk.length) break;
  }
  return done;
}

/** A struct iovec[count] from the guest: (base, len) pairs, checked as Linux's import_iovec does. */
export function iovecs(k: Kernel, ptr: number, count: number): { base: number; len: number }[] {
  if ((count | 0) < 0 || count > UIO_MAXIOV) throw new KernelError(E.EINVAL);
  const raw = k.copyIn(ptr, count * 8);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.length);
  const out: { base: number; len: number }[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const len = dv.getInt32(i * 8 + 4, true);
    if (len < 0) throw new KernelError(E.EINVAL);
    total += len;
    if (total > 0x7fffffff) throw new KernelError(E.EINVAL);
    out.push({ base: dv.getUint32(i * 8, true), len });
  }
  return out;
}

/** readv/writev and their positioned forms: each vector in turn, stopping at a short one. */
function vectored(k: Kernel, fd: number, iov: number, count: number, write: boolean, at?: number): number {
  const file = k.fds.get(fd);
  if (write) { if ((file.flags & O.ACCMODE) === O.RDONLY) throw new KernelError(E.EBADF); }
  else if ((file.flags & O.ACCMODE) === O.WRONLY) throw new KernelError(E.EBADF);
  let done = 0;
  for (const v of iovecs(k, iov, count)) {
    if (v.len === 0) continue;
    let n: number;
    try {
      n = write ? writeFrom(k, file, v.base, v.len, at === undefined ? undefined : at + done)
        : readInto(k, file, v.base, v.len, at === undefined ? undefined : at + done);
    } catch (err) {
      if (done > 0) return done; // bytes already moved are the result, as on Linux
      throw err;
    }
    done += n;
    if (n < v.len) break;
  }
  return done;
}

/** open's work: the mode masked by umask, the description installed with its FD_CLOEXEC. */
function openAt(k: Kernel, dirfd: number, pathname: number, flags: number, mode: number): number {
  const p = k.at(dirfd, k.path(pathname));
  if ((flags & O.TMPFILE) === O.TMPFILE) throw new KernelError(E.EOPNOTSUPP);
  const file = k.fs.open(p, flags, mode & ~k.umask & 0o7777);
  return k.fds.install(file, (flags & O.CLOEXEC) !== 0);
}

/** sendfile's work: from `in` (at its offset, or at *offset) to `out`, a chunk at a time. */
function sendfile(k: Kernel, outFd: number, inFd: number, offPtr: number, count: number, wide: boolean): number {
  const out = k.fds.get(outFd), src = k.fds.get(inFd);
  if ((src.flags & O.ACCMODE) === O.WRONLY || (out.flags & O.ACCMODE) === O.RDONLY) throw new KernelError(E.EBADF);
  if (out.flags & O.APPEND) throw new KernelError(E.EINVAL);
  // Linux splices through a pipe: into a pipe, the source needs a splice_read (regular
  // files, devices and sockets have one, pipes and directories none); into anything else,
  // splice_direct_to_actor takes only a regular file or a block device as the source.
  const inType = src.stat().mode & S.IFMT, toPipe = (out.stat().mode & S.IFMT) === S.IFIFO;
  if (toPipe ? inType === S.IFIFO || inType === S.IFDIR : inType !== S.IFREG && inType !== S.IFBLK) throw new KernelError(E.EINVAL);
  let at: number | undefined;
  if (offPtr !== 0) {
    at = wide ? offset64(k.getU32(offPtr), k.getU32(offPtr + 4)) : k.getU32(offPtr) | 0;
    if (at < 0) throw new KernelError(E.EINVAL);
  }
  const total = Math.min(count, MAX_RW_COUNT);
  let done = 0;
  while (done < total) {
    const want = Math.min(MAX_CHUNK, total - done);
    const data = at === undefined ? src.read(want) : src.pread(want, at + done);
    if (data.length === 0) break;
    const n = out.write(data);
    done += n;
    if (n < data.length || data.length < want) break;
  }
  if (offPtr !== 0) {
    const end = at! + done;
    k.putU32(offPtr, end >>> 0);
    if (wide) k.putU32(offPtr + 4, Math.floor(end / 2 ** 32));
  }
  return done;
}

/**
 * The checks Linux makes of a pair of files before copying or cloning between them
 * (generic_file_rw_checks): the source open for reading, the destination for writing
 * and not O_APPEND (EBADF); a directory is EISDIR, anything but a regular file EINVAL.
 */
export function copyPair(inFile: OpenFile, outFile: OpenFile): void {
  if ((inFile.flags & O.ACCMODE) === O.WRONLY || (outFile.flags & O.ACCMODE) === O.RDONLY || (outFile.flags & O.APPEND)) throw new KernelError(E.EBADF);
  const a = inFile.stat().mode & S.IFMT, b = outFile.stat().mode & S.IFMT;
  if (a === S.IFDIR || b === S.IFDIR) throw new KernelError(E.EISDIR);
  if (a !== S.IFREG || b !== S.IFREG) throw new KernelError(E.EINVAL);
}

/**
 * copy_file_range (fs/read_write.c): `len` bytes from `in` to `out`, each at its
 * *offset when given (the offsets written back, the file offsets untouched) or at and
 * past its file offset. No flags are defined (EINVAL); within one file the two ranges
 * must not overlap (EINVAL). Short at the source's end; 0 there.
 */
function copyFileRange(k: Kernel, inFd: number, inOffPtr: number, outFd: number, outOffPtr: number, len: number, flags: number): number {
  if (flags !== 0) throw new KernelError(E.EINVAL);
  const src = k.fds.get(inFd), out = k.fds.get(outFd);
  copyPair(src, out);
  const offAt = (ptr: number) => (ptr === 0 ? undefined : offset64(k.getU32(ptr), k.getU32(ptr + 4)));
  const inAt = offAt(inOffPtr), outAt = offAt(outOffPtr);
  const total = Math.min(len >>> 0, MAX_RW_COUNT);
  if (total === 0) return 0;
  const si = src.stat(), so = out.stat();
  if (si.dev === so.dev && si.ino === so.ino) {
    const from = inAt ?? src.lseek(0, 1), to = outAt ?? out.lseek(0, 1);
    if (from < to + total && to < from + total) throw new KernelError(E.EINVAL);
  }
  let done = 0;
  while (done < total) {
    const want = Math.min(MAX_CHUNK, total - done);
    const data = inAt === undefined ? src.read(want) : src.pread(want, inAt + done);
    if (data.length === 0) break;
    const n = outAt === undefined ? out.write(data) : out.pwrite(data, outAt + done);
    done += n;
    if (n < data.length || data.length < want) break;
  }
  const put = (ptr: number, at: number | undefined) => {
    if (at === undefined) return;
    k.putU32(ptr, (at + done) >>> 0);
    k.putU32(ptr + 4, Math.floor((at + done) / 2 ** 32));
  };
  put(inOffPtr, inAt);
  put(outOffPtr, outAt);
  return done;
}

/** posix_fadvise's advice values on i386 (POSIX_FADV_NORMAL ... POSIX_FADV_NOREUSE). */
const FADV_MAX = 5;

/**
 * fadvise64(_64): advice about caching, which the model has none of: accepted and
 * ignored, with Linux's checks (mm/fadvise.c): EBADF, ESPIPE on a pipe or FIFO, EINVAL
 * for a negative length or an unknown advice. A negative offset is no error.
 */
function fadvise(k: Kernel, fd: number, len: number, advice: number): number {
  const file = k.fds.get(fd);
  if ((file.stat().mode & S.IFMT) === S.IFIFO) throw new KernelError(E.ESPIPE);
  if (len < 0 || advice < 0 || advice > FADV_MAX) throw new KernelError(E.EINVAL);
  return 0;
}

function ftruncate(k: Kernel, fd: number, length: number): number {
  const f = k.fds.get(fd);
  if (length < 0) throw new KernelError(E.EINVAL);
  if ((f.flags & O.ACCMODE) === O.RDONLY || (f.flags & O.PATH)) throw new KernelError((f.flags & O.PATH) ? E.EBADF : E.EINVAL);
  f.truncate(length);
  return 0;
}

function truncate(k: Kernel, pathname: number, length: number): number {
  const p = k.at(-100, k.path(pathname));
  if (length < 0) throw new KernelError(E.EINVAL);
  k.fs.truncate(p, length);
  return 0;
}

export const fsCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 3, name: 'read', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('buf', 'buf_out'), arg('count', 'size')],
    handler(k, [fd, buf, count]) {
      const file = k.fds.get(fd);
      if (count === 0) return 0;
      return readInto(k, file, buf, count);
    },
  },
  {
    nr: 4, name: 'write', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('buf', 'buf_in', 2), arg('count', 'size')],
    handler(k, [fd, buf, count]) {
      const file = k.fds.get(fd);
      if (count === 0) return 0;
      return writeFrom(k, file, buf, count);
    },
  },
  {
    nr: 5, name: 'open', family: 'fs', support: 'partial',
    note: 'files, directories, FIFOs and devices (opened without blocking: a FIFO with no reader is ENXIO, an empty one EAGAIN); O_TMPFILE is EOPNOTSUPP',
    args: [arg('pathname', 'path'), arg('flags', 'oflags'), arg('mode', 'mode')],
    handler: (k, [pathname, flags, mode]) => openAt(k, -100, pathname, flags, mode),
  },
  {
    nr: 6, name: 'close', family: 'fs', support: 'full',
    args: [arg('fd', 'fd')],
    handler(k, [fd]) {
      k.fds.close(fd);
      return 0;
    },
  },
  {
    nr: 8, name: 'creat', family: 'fs', support: 'full',
    args: [arg('pathname', 'path'), arg('mode', 'mode')],
    handler: (k, [pathname, mode]) => openAt(k, -100, pathname, O.CREAT | O.WRONLY | O.TRUNC, mode),
  },
  {
    nr: 19, name: 'lseek', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('offset', 'int'), arg('whence', 'whence')],
    handler(k, [fd, offset, whence]) {
      const f = k.fds.get(fd);
      const to = f.lseek(offset | 0, whence);
      if (to > 0x7fffffff) throw new KernelError(E.EOVERFLOW);
      return to;
    },
  },
  {
    nr: 92, name: 'truncate', family: 'fs', support: 'full',
    args: [arg('path', 'path'), arg('length', 'int')],
    handler: (k, [pathname, length]) => truncate(k, pathname, length | 0),
  },
  {
    nr: 93, name: 'ftruncate', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('length', 'int')],
    handler: (k, [fd, length]) => ftruncate(k, fd, length | 0),
  },
  {
    nr: 118, name: 'fsync', family: 'fs', support: 'full',
    args: [arg('fd', 'fd')],
    handler(k, [fd]) {
      k.fds.get(fd).sync();
      return 0;
    },
  },
  {
    nr: 140, name: '_llseek', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('offset_high', 'int'), arg('offset_low', 'uint'), arg('result', 'loff_out'), arg('whence', 'whence')],
    handler(k, [fd, hi, lo, result, whence]) {
      const f = k.fds.get(fd);
      const to = f.lseek((hi | 0) * 2 ** 32 + (lo >>> 0), whence);
      k.putU32(result, to >>> 0);
      k.putU32(result + 4, Math.floor(to / 2 ** 32));
      return 0;
    },
  },
  {
    nr: 145, name: 'readv', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('iov', 'iovec_out', 2), arg('iovcnt', 'int')],
    handler: (k, [fd, iov, count]) => vectored(k, fd, iov, count, false),
  },
  {
    nr: 146, name: 'writev', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('iov', 'iovec_in', 2), arg('iovcnt', 'int')],
    handler: (k, [fd, iov, count]) => vectored(k, fd, iov, count, true),
  },
  {
    nr: 148, name: 'fdatasync', family: 'fs', support: 'full',
    args: [arg('fd', 'fd')],
    handler(k, [fd]) {
      k.fds.get(fd).sync();
      return 0;
    },
  },
  {
    nr: 180, name: 'pread64', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('buf', 'buf_out'), arg('count', 'size'), arg('pos_lo', 'off_lo'), arg('pos_hi', 'off_hi')],
    handler(k, [fd, buf, count, lo, hi]) {
      const file = k.fds.get(fd);
      const at = offset64(lo, hi);
      if ((file.flags & O.ACCMODE) === O.WRONLY) throw new KernelError(E.EBADF);
      if (count === 0) return 0;
      return readInto(k, file, buf, count, at);
    },
  },
  {
    nr: 181, name: 'pwrite64', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('buf', 'buf_in', 2), arg('count', 'size'), arg('pos_lo', 'off_lo'), arg('pos_hi', 'off_hi')],
    handler(k, [fd, buf, count, lo, hi]) {
      const file = k.fds.get(fd);
      const at = offset64(lo, hi);
      if ((file.flags & O.ACCMODE) === O.RDONLY) throw new KernelError(E.EBADF);
      if (count === 0) return 0;
      return writeFrom(k, file, buf, count, at);
    },
  },
  {
    nr: 187, name: 'sendfile', family: 'fs', support: 'full',
    args: [arg('out_fd', 'fd'), arg('in_fd', 'fd'), arg('offset', 'loff_inout'), arg('count', 'size')],
    handler: (k, [outFd, inFd, off, count]) => sendfile(k, outFd, inFd, off, count, false),
  },
  {
    nr: 193, name: 'truncate64', family: 'fs', support: 'full',
    args: [arg('path', 'path'), arg('length_lo', 'off_lo'), arg('length_hi', 'off_hi')],
    handler: (k, [pathname, lo, hi]) => truncate(k, pathname, offset64(lo, hi)),
  },
  {
    nr: 194, name: 'ftruncate64', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('length_lo', 'off_lo'), arg('length_hi', 'off_hi')],
    handler: (k, [fd, lo, hi]) => ftruncate(k, fd, offset64(lo, hi)),
  },
  {
    nr: 250, name: 'fadvise64', family: 'fs', support: 'full',
    note: 'advice accepted and ignored (no page cache to advise), with Linux\'s checks',
    args: [arg('fd', 'fd'), arg('offset_lo', 'off_lo'), arg('offset_hi', 'off_hi'), arg('len', 'size'), arg('advice', 'int')],
    handler: (k, [fd, , , len, advice]) => fadvise(k, fd, len | 0, advice | 0),
  },
  {
    nr: 272, name: 'fadvise64_64', family: 'fs', support: 'full',
    note: 'as fadvise64, with a 64-bit length',
    args: [arg('fd', 'fd'), arg('offset_lo', 'off_lo'), arg('offset_hi', 'off_hi'), arg('len_lo', 'off_lo'), arg('len_hi', 'off_hi'), arg('advice', 'int')],
    handler: (k, [fd, , , lenLo, lenHi, advice]) => fadvise(k, fd, (lenHi | 0) * 2 ** 32 + (lenLo >>> 0), advice | 0),
  },
  {
    nr: 239, name: 'sendfile64', family: 'fs', support: 'full',
    args: [arg('out_fd', 'fd'), arg('in_fd', 'fd'), arg('offset', 'loff_inout'), arg('count', 'size')],
    handler: (k, [outFd, inFd, off, count]) => sendfile(k, outFd, inFd, off, count, true),
  },
  {
    nr: 295, name: 'openat', family: 'fs', support: 'partial',
    note: 'as open, from a directory fd or AT_FDCWD',
    args: [arg('dirfd', 'dirfd'), arg('pathname', 'path'), arg('flags', 'oflags'), arg('mode', 'mode')],
    handler: (k, [dirfd, pathname, flags, mode]) => openAt(k, dirfd, pathname, flags, mode),
  },
  {
    nr: 377, name: 'copy_file_range', family: 'fs', support: 'full',
    note: 'between regular files, through the model (no reflinks): each offset given or the file\'s own',
    args: [arg('fd_in', 'fd'), arg('off_in', 'loff_inout'), arg('fd_out', 'fd'), arg('off_out', 'loff_inout'), arg('len', 'size'), arg('flags', 'uint')],
    handler: (k, [inFd, inOff, outFd, outOff, len, flags]) => copyFileRange(k, inFd, inOff, outFd, outOff, len, flags),
  },
];
