// Measurement calls: the paper's dummy `jump_cost` (section 4.2), which returns the
// kernel-side cycle counter so a guest can split a crossing into entry and exit.
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';

export const MEASURE_CALLS: SyscallSpec<Kernel>[] = [
  {
    // 223 is unused in every i386 table, old and new.
    nr: 223, name: 'jump_cost', family: 'measure', support: 'full',
    note: 'the paper\'s control experiment: returns rdtscl taken inside the kernel',
    args: [arg('unused', 'int')],
    handler(k) {
      // The kernel's own rdtscl costs what the user's does, then reads the counter.
      k.work(k.profile.user.cycles_per_instruction + k.profile.user.rdtsc_extra_cycles);
      return k.cycles() % 2 ** 32;
    },
  },
];
