// Memory syscalls: mmap2, old_mmap, munmap, mprotect, mremap, madvise and brk, on the
// address space of kernel-model/mm.ts. Arguments are checked in Linux's order (its
// mm/mmap.c and mm/mprotect.c), so a bad call gets the errno Linux gives.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { PROT } from '../memory.js';
import { MMAP_BASE, MMAP_MIN_ADDR, PAGE, TASK_SIZE, pageUp } from '../mm.js';
import { SEEK, type OpenFile } from '../vfs.js';
import { IoUringFile } from './io_uring.js';
import { arg, type SyscallSpec } from '../syscall.js';

/** How far the heap may grow past its start (an RLIMIT_DATA of sorts). */
export const MAX_HEAP_BYTES = 256 * 1024 * 1024;

export const MAP = {
  SHARED: 0x01, PRIVATE: 0x02, SHARED_VALIDATE: 0x03, TYPE: 0x0f, FIXED: 0x10, ANONYMOUS: 0x20,
  GROWSDOWN: 0x100, DENYWRITE: 0x800, EXECUTABLE: 0x1000, LOCKED: 0x2000, NORESERVE: 0x4000,
  POPULATE: 0x8000, NONBLOCK: 0x10000, STACK: 0x20000, HUGETLB: 0x40000, SYNC: 0x80000, FIXED_NOREPLACE: 0x100000,
} as const;
const MREMAP = { MAYMOVE: 1, FIXED: 2, DONTUNMAP: 4 } as const;
const MADV_DONTNEED = 4;
const PROT_ALL = PROT.READ | PROT.WRITE | PROT.EXEC;
/** PROT_GROWSDOWN and PROT_GROWSUP: accepted by mprotect, no effect here. */
const PROT_GROWS = 0x01000000 | 0x02000000;

const fail = (errno: number): never => { throw new KernelError(errno); };

/**
 * Reads `len` bytes of `file` from `offset` without moving its offset (short at end of
 * file). FileSystem has no pread yet: seek, read, and seek back.
 */
export function readFileAt(file: OpenFile, offset: number, len: number): Uint8Array {
  const saved = file.lseek(0, SEEK.CUR);
  try {
    file.lseek(offset, SEEK.SET);
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < len) {
      const b = file.read(len - got);
      if (b.length === 0) break;
      parts.push(b);
      got += b.length;
    }
    return Buffer.concat(parts, got);
  } finally {
    file.lseek(saved, SEEK.SET);
  }
}

/** Linux's do_mmap for one request; `offset` in bytes. Returns the address. */
export function doMmap(k: Kernel, addr: number, length: number, prot: number, flags: number, fd: number, offset: number): number {
  if (length === 0) fail(E.EINVAL);
  const len = pageUp(length);
  if (len > TASK_SIZE || len === 0) fail(E.ENOMEM);
  if (prot & ~PROT_ALL) fail(E.EINVAL);
  const type = flags & MAP.TYPE;
  if (type !== MAP.SHARED && type !== MAP.PRIVATE && type !== MAP.SHARED_VALIDATE) fail(E.EINVAL);
  if (flags & MAP.HUGETLB) fail(E.EINVAL);
  const anonymous = (flags & MAP.ANONYMOUS) !== 0;
  if (offset % PAGE !== 0) fail(E.EINVAL);
  if (offset + len > 2 ** 44) fail(E.EOVERFLOW);
  const file = anonymous ? undefined : k.fds.get(fd); // EBADF
  const ring = file instanceof IoUringFile ? file : undefined; // io_uring's rings: shared with the kernel
  if (file && !ring && type !== MAP.PRIVATE && (prot & PROT.WRITE)) fail(E.ENODEV); // no shared writable file mappings here
  ring?.checkMap(offset, len);
  const fixed = (flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) !== 0;
  let at: number;
  if (fixed) {
    if (addr % PAGE !== 0) fail(E.EINVAL);
    if (addr + len > TASK_SIZE || addr < MMAP_MIN_ADDR) fail(addr < MMAP_MIN_ADDR ? E.EPERM : E.ENOMEM);
    if (!k.mem.space.isFree(addr, addr + len)) {
      if (flags & MAP.FIXED_NOREPLACE) fail(E.EEXIST);
      k.mem.unmap(addr, len);
    }
    at = addr;
  } else {
    const hint = pageUp(addr);
    at = hint >= MMAP_MIN_ADDR && hint + len <= TASK_SIZE && k.mem.space.isFree(hint, hint + len)
      ? hint : k.mem.space.findFree(len, MMAP_BASE);
    if (at < 0) fail(E.ENOMEM);
  }
  if (!k.mem.space.fits(len)) fail(E.ENOMEM);
  const name = file ? file.name : ''; // the path as opened: /proc/PID/maps shows it
  if (!k.mem.map(at, len, PROT.READ | PROT.WRITE, name)) fail(E.ENOMEM);
  if (ring) ring.attach(k.mem, at, offset, len);
  else if (file) {
    const bytes = readFileAt(file, offset, len);
    if (bytes.length > 0) k.mem.poke(at, bytes); // past the end of the file: zeros
  }
  k.mem.protect(at, len, prot);
  return at;
}

function checkRange(addr: number, len: number): number {
  if (addr % PAGE !== 0) fail(E.EINVAL);
  const end = addr + pageUp(len);
  if (end > TASK_SIZE || end < addr) fail(E.ENOMEM);
  return end;
}

export const memoryCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 45, name: 'brk', family: 'memory', support: 'partial', returnsPointer: true,
    note: 'the new break, or the old one when the request cannot be met; at most 256 MiB; after a shrink, up to 16 MiB above the break may stay reachable (no SIGSEGV there)',
    args: [arg('addr', 'ptr')],
    handler(k, [addr]) {
      if (addr < k.brkStart || addr > k.brkStart + MAX_HEAP_BYTES) return k.brk;
      const oldEnd = pageUp(k.brk), newEnd = pageUp(addr);
      if (newEnd !== oldEnd && !k.mem.setHeap(pageUp(k.brkStart), oldEnd, newEnd)) return k.brk;
      k.brk = addr;
      return k.brk;
    },
  },
  {
    nr: 192, name: 'mmap2', family: 'memory', support: 'partial', returnsPointer: true,
    note: 'anonymous and private file mappings; shared writable file mappings get ENODEV',
    args: [arg('addr', 'ptr'), arg('length', 'size'), arg('prot', 'mprot'), arg('flags', 'mflags'), arg('fd', 'fd'), arg('pgoffset', 'uint')],
    handler(k, [addr, length, prot, flags, fd, pgoff]) {
      return doMmap(k, addr, length, prot, flags, fd, pgoff * PAGE);
    },
  },
  {
    nr: 90, name: 'mmap', family: 'memory', support: 'partial', returnsPointer: true,
    note: 'the old mmap (old_mmap in strace): its six arguments in a struct, offset in bytes; as mmap2',
    args: [arg('args', 'mmap_args')],
    handler(k, [ptr]) {
      const b = k.copyIn(ptr, 24);
      const w = (i: number) => (b[i * 4] | (b[i * 4 + 1] << 8) | (b[i * 4 + 2] << 16) | (b[i * 4 + 3] << 24)) >>> 0;
      return doMmap(k, w(0), w(1), w(2), w(3), w(4) | 0, w(5));
    },
  },
  {
    nr: 91, name: 'munmap', family: 'memory', support: 'full',
    args: [arg('addr', 'ptr'), arg('length', 'size')],
    handler(k, [addr, length]) {
      if (length === 0) fail(E.EINVAL);
      const end = checkRange(addr, length);
      if (!k.mem.space.fits(0, k.mem.space.splitsNeeded(addr, end))) fail(E.ENOMEM);
      k.mem.unmap(addr, end - addr);
      return 0;
    },
  },
  {
    nr: 125, name: 'mprotect', family: 'memory', support: 'full',
    args: [arg('addr', 'ptr'), arg('length', 'size'), arg('prot', 'mprot')],
    handler(k, [addr, length, prot]) {
      if (prot & ~(PROT_ALL | PROT_GROWS)) fail(E.EINVAL);
      const end = checkRange(addr, length);
      if (end === addr) return 0;
      if (!k.mem.space.covers(addr, end - addr, PROT.NONE)) fail(E.ENOMEM);
      if (!k.mem.space.fits(0, k.mem.space.splitsNeeded(addr, end))) fail(E.ENOMEM);
      k.mem.protect(addr, end - addr, prot & PROT_ALL);
      return 0;
    },
  },
  {
    nr: 163, name: 'mremap', family: 'memory', support: 'partial', returnsPointer: true,
    note: 'grows in place or moves (MREMAP_MAYMOVE, MREMAP_FIXED) by copying; MREMAP_DONTUNMAP gets EINVAL',
    args: [arg('old_address', 'ptr'), arg('old_size', 'size'), arg('new_size', 'size'), arg('flags', 'mremap_flags'), arg('new_address', 'ptr')],
    handler(k, [oldAddr, oldSize, newSize, flags, newAddr]) {
      if (flags & ~(MREMAP.MAYMOVE | MREMAP.FIXED) || ((flags & MREMAP.FIXED) && !(flags & MREMAP.MAYMOVE))) fail(E.EINVAL);
      if (oldAddr % PAGE !== 0) fail(E.EINVAL);
      const oldLen = pageUp(oldSize), newLen = pageUp(newSize);
      if (newLen === 0 || oldLen === 0) fail(E.EINVAL); // old_size 0 duplicates shared mappings only
      const vma = k.mem.space.find(oldAddr);
      if (!vma || oldAddr + oldLen > vma.end) fail(E.EFAULT);
      const { prot, name } = vma!;
      const space = k.mem.space;
      if (flags & MREMAP.FIXED) {
        if (newAddr % PAGE !== 0) fail(E.EINVAL);
        if (newAddr < oldAddr + oldLen && oldAddr < newAddr + newLen) fail(E.EINVAL);
        if (newAddr < MMAP_MIN_ADDR || newAddr + newLen > TASK_SIZE) fail(E.EINVAL);
        const keep = k.mem.peek(oldAddr, Math.min(oldLen, newLen));
        k.mem.unmap(newAddr, newLen);
        if (!k.mem.map(newAddr, newLen, PROT.READ | PROT.WRITE, name)) fail(E.ENOMEM);
        k.mem.poke(newAddr, keep);
        k.mem.protect(newAddr, newLen, prot);
        k.mem.unmap(oldAddr, oldLen);
        return newAddr;
      }
      if (newLen <= oldLen) {
        k.mem.unmap(oldAddr + newLen, oldLen - newLen);
        return oldAddr;
      }
      const grow = newLen - oldLen;
      if (oldAddr + oldLen === vma!.end && oldAddr + newLen <= TASK_SIZE && space.isFree(vma!.end, oldAddr + newLen)) {
        if (!k.mem.map(oldAddr + oldLen, grow, prot, name)) fail(E.ENOMEM);
        return oldAddr;
      }
      if (!(flags & MREMAP.MAYMOVE)) fail(E.ENOMEM);
      const at = space.findFree(newLen, MMAP_BASE);
      if (at < 0 || !space.fits(newLen)) fail(E.ENOMEM);
      const keep = k.mem.peek(oldAddr, oldLen);
      if (!k.mem.map(at, newLen, PROT.READ | PROT.WRITE, name)) fail(E.ENOMEM);
      k.mem.poke(at, keep);
      k.mem.protect(at, newLen, prot);
      k.mem.unmap(oldAddr, oldLen);
      return at;
    },
  },
  {
    nr: 218, name: 'mincore', family: 'memory', support: 'partial',
    note: 'every mapped page is reported resident (the model has no swap and no page cache); ENOMEM at the first unmapped page, as Linux',
    args: [arg('addr', 'ptr'), arg('length', 'size'), arg('vec', 'ptr')],
    handler(k, [addr, length, vec]) {
      const end = checkRange(addr, length);
      // Linux (mm/mincore.c) fills the vector area by area and stops with ENOMEM at a hole,
      // leaving what it filled.
      let at = addr;
      while (at < end) {
        const v = k.mem.space.find(at);
        if (!v) break;
        at = Math.min(v.end, end);
      }
      if (at > addr) k.copyOut(vec, new Uint8Array((at - addr) / PAGE).fill(1));
      if (at < end) fail(E.ENOMEM);
      return 0;
    },
  },
  {
    nr: 219, name: 'madvise', family: 'memory', support: 'partial',
    note: 'advice is accepted; MADV_DONTNEED zeroes private pages (file pages too, where Linux rereads the file)',
    args: [arg('addr', 'ptr'), arg('length', 'size'), arg('advice', 'int')],
    handler(k, [addr, length, advice]) {
      const end = checkRange(addr, length);
      if (advice < 0 || advice > 25 && advice !== 100 && advice !== 101) fail(E.EINVAL);
      if (end === addr) return 0;
      if (!k.mem.space.covers(addr, end - addr, PROT.NONE)) fail(E.ENOMEM);
      if (advice === MADV_DONTNEED) {
        for (const v of k.mem.space.overlapping(addr, end)) {
          const s = Math.max(v.start, addr), e = Math.min(v.end, end);
          for (let at = s; at < e; at += 1024 * 1024) k.mem.poke(at, new Uint8Array(Math.min(1024 * 1024, e - at)));
        }
      }
      return 0;
    },
  },
];
