// Process syscalls: exit, exit_group, getpid.
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';

export const processCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 1, name: 'exit', family: 'process', support: 'full', note: 'single-threaded guests: ends the process',
    args: [arg('status', 'int')],
    handler(k, [status]) {
      k.terminate(status);
      return 0;
    },
  },
  {
    nr: 20, name: 'getpid', family: 'process', support: 'full',
    args: [],
    handler: (k) => k.pid,
  },
  {
    nr: 252, name: 'exit_group', family: 'process', support: 'full',
    args: [arg('status', 'int')],
    handler(k, [status]) {
      k.terminate(status);
      return 0;
    },
  },
];
