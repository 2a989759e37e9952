// The trace line of xv6's "trace" lab (MIT 6.S081/6.1810), which courses grade on:
//   3: syscall read -> 1023
// one line per call as it returns: the pid, the call's name, the value left in eax.
// xv6 prints from its syscall() dispatcher, so the entries of a batch appear as they
// complete, before the batch's own line; exit never returns and is not printed.
// A failed call shows the value the kernel returned (here -errno; xv6 returns -1).
import type { Kernel, SyscallRecord, Tracer } from '../kernel-model/kernel.js';

export const xv6Line = (pid: number, name: string, result: number) => `${pid}: syscall ${name} -> ${result | 0}`;

const returns = (name: string) => name !== 'exit' && name !== 'exit_group';

/** Prints one xv6-style line per call dispatched, batch entries included. */
export class Xv6Tracer implements Tracer {
  constructor(private readonly print: (line: string) => void) {}

  syscall(rec: SyscallRecord, k: Kernel): void {
    if (returns(rec.name) && !k.exited) this.print(xv6Line(k.pid, rec.name, rec.result));
  }
}
