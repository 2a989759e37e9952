// File syscalls: read, write, open, close, lseek, unlink. Arguments first, then the work.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { PROT } from '../memory.js';
import { arg, type SyscallSpec } from '../syscall.js';

/** Linux caps one read or write at MAX_RW_COUNT (INT_MAX rounded down to a page). */
const MAX_RW_COUNT = 0x7ffff000;
/** How much one call moves through the host at a time. */
const MAX_CHUNK = 64 * 1024 * 1024;

/**
 * How many bytes from `ptr` the guest can hand over (prot READ) or receive (prot WRITE),
 * up to `len`: a transfer stops at the first bad page like copy_{to,from}_user does.
 * Zero bytes usable for a non-empty transfer is EFAULT.
 */
function usable(k: Kernel, ptr: number, len: number, prot: number): number {
  const n = Math.min(len, MAX_RW_COUNT, MAX_CHUNK);
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

export const fsCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 3, name: 'read', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('buf', 'buf_out'), arg('count', 'size')],
    handler(k, [fd, buf, count]) {
      const file = k.fds.get(fd);
      if (count === 0) return 0;
      const data = file.read(usable(k, buf, count, PROT.WRITE));
      k.copyOut(buf, data);
      return data.length;
    },
  },
  {
    nr: 4, name: 'write', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('buf', 'buf_in', 2), arg('count', 'size')],
    handler(k, [fd, buf, count]) {
      const file = k.fds.get(fd);
      if (count === 0) return 0;
      return file.write(k.copyIn(buf, usable(k, buf, count, PROT.READ)));
    },
  },
  {
    nr: 5, name: 'open', family: 'fs', support: 'partial',
    note: 'regular files and directories; O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW honoured',
    args: [arg('pathname', 'path'), arg('flags', 'oflags'), arg('mode', 'mode')],
    handler(k, [pathname, flags, mode]) {
      const p = k.path(pathname);
      return k.fds.install(k.fs.open(p, flags, mode));
    },
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
    nr: 10, name: 'unlink', family: 'fs', support: 'full',
    args: [arg('pathname', 'path')],
    handler(k, [pathname]) {
      k.fs.unlink(k.path(pathname));
      return 0;
    },
  },
  {
    nr: 19, name: 'lseek', family: 'fs', support: 'full',
    args: [arg('fd', 'fd'), arg('offset', 'int'), arg('whence', 'whence')],
    handler(k, [fd, offset, whence]) {
      return k.fds.get(fd).lseek(offset | 0, whence);
    },
  },
];
