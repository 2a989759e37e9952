// Memory syscalls: brk.
import type { Kernel } from '../kernel.js';
import { PAGE, PROT } from '../memory.js';
import { arg, type SyscallSpec } from '../syscall.js';

/** How far the heap may grow past its start (an RLIMIT_DATA of sorts). */
export const MAX_HEAP_BYTES = 256 * 1024 * 1024;
const pageUp = (a: number) => Math.ceil(a / PAGE) * PAGE;

export const memoryCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 45, name: 'brk', family: 'memory', support: 'full', returnsPointer: true,
    note: 'returns the new break, or the old one when the request cannot be met',
    args: [arg('addr', 'ptr')],
    handler(k, [addr]) {
      if (addr < k.brkStart || addr > k.brkStart + MAX_HEAP_BYTES) return k.brk;
      const oldEnd = pageUp(k.brk), newEnd = pageUp(addr);
      if (newEnd > oldEnd && !k.mem.map(oldEnd, newEnd - oldEnd, PROT.READ | PROT.WRITE)) return k.brk;
      if (newEnd < oldEnd) k.mem.unmap(newEnd, oldEnd - newEnd);
      k.brk = addr;
      return k.brk;
    },
  },
];
