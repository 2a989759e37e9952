// Process syscalls: exit, identity (pids, uids), the thread pointers glibc registers at
// start-up, prctl, personality, scheduling queries, and the calls refused on purpose.
// The state they read and write is the task's (task.ts).
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';

/** The process itself: pid 0 or its own pid; any other is a process the model does not have. */
function self(k: Kernel, pid: number): void {
  if (pid !== 0 && pid !== k.task.pid) throw new KernelError(E.ESRCH);
}

/** The 16-bit calls' view of an id (high2lowuid): ids above 65535 read as the overflow id 65534. */
const low16 = (id: number) => (id > 0xffff ? 65534 : id);

const PR_SET_NAME = 15, PR_GET_NAME = 16;
/** sizeof(struct robust_list_head) on i386. */
const ROBUST_LIST_HEAD_SIZE = 12;
/** The model has one processor. */
const NR_CPUS = 1;

/** membarrier commands (include/uapi/linux/membarrier.h). */
const MEMBARRIER = {
  QUERY: 0, GLOBAL: 1, GLOBAL_EXPEDITED: 2, REGISTER_GLOBAL_EXPEDITED: 4, PRIVATE_EXPEDITED: 8,
  REGISTER_PRIVATE_EXPEDITED: 16, PRIVATE_EXPEDITED_SYNC_CORE: 32, REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: 64,
  PRIVATE_EXPEDITED_RSEQ: 128, REGISTER_PRIVATE_EXPEDITED_RSEQ: 256, GET_REGISTRATIONS: 512,
} as const;
/** What MEMBARRIER_CMD_QUERY reports: every command but the two rseq ones. */
const MEMBARRIER_SUPPORTED = 0x3ff & ~(MEMBARRIER.PRIVATE_EXPEDITED_RSEQ | MEMBARRIER.REGISTER_PRIVATE_EXPEDITED_RSEQ);

/** A call refused with ENOSYS on purpose, as qemu-i386 refuses it; the note says why. */
function refused(nr: number, name: string, note: string, args = 6): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'process', support: 'unimplemented', note,
    args: Array.from({ length: args }, (_, i) => arg(`arg${i}`, 'ptr')),
    handler() {
      throw new KernelError(E.ENOSYS);
    },
  };
}

function id(nr: number, name: string, read: (k: Kernel) => number): SyscallSpec<Kernel> {
  return { nr, name, family: 'process', support: 'full', args: [], handler: read };
}

/** getresuid/getresgid: three ids, 16-bit or 32-bit each, written in order (EFAULT at the first bad one). */
function getres(nr: number, name: string, ids: (k: Kernel) => number[], width: 2 | 4): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'process', support: 'full',
    args: [arg(name.includes('uid') ? 'ruid' : 'rgid', 'ptr'), arg(name.includes('uid') ? 'euid' : 'egid', 'ptr'), arg(name.includes('uid') ? 'suid' : 'sgid', 'ptr')],
    handler(k, ptrs) {
      ids(k).forEach((v, i) => {
        const b = new Uint8Array(width), dv = new DataView(b.buffer);
        if (width === 2) dv.setUint16(0, low16(v), true);
        else dv.setUint32(0, v, true);
        k.copyOut(ptrs[i], b);
      });
      return 0;
    },
  };
}

/** getgroups: the supplementary groups, root's one group 0; a size below their number is EINVAL. */
function getgroups(nr: number, name: string, width: 2 | 4): SyscallSpec<Kernel> {
  return {
    nr, name, family: 'process', support: 'full', note: 'one supplementary group: 0 (root)',
    args: [arg('size', 'int'), arg('list', 'ptr')],
    handler(k, [size, list]) {
      const groups = [k.task.creds.gid];
      if ((size | 0) < 0) throw new KernelError(E.EINVAL);
      if (size === 0) return groups.length;
      if (size < groups.length) throw new KernelError(E.EINVAL);
      const b = new Uint8Array(width * groups.length), dv = new DataView(b.buffer);
      groups.forEach((g, i) => (width === 2 ? dv.setUint16(2 * i, low16(g), true) : dv.setUint32(4 * i, g, true)));
      k.copyOut(list, b);
      return groups.length;
    },
  };
}

export const processCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 1, name: 'exit', family: 'process', support: 'full', note: 'single-threaded guests: ends the process (a zombie until its parent waits)',
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
  id(24, 'getuid', (k) => low16(k.task.creds.uid)),
  id(47, 'getgid', (k) => low16(k.task.creds.gid)),
  id(49, 'geteuid', (k) => low16(k.task.creds.euid)),
  id(50, 'getegid', (k) => low16(k.task.creds.egid)),
  { ...id(64, 'getppid', (k) => k.task.ppid), note: 'the parent\'s pid; 1 for the first process (as if started by init) and for orphans' },
  id(65, 'getpgrp', (k) => k.task.pgrp),
  getgroups(80, 'getgroups', 2),
  {
    nr: 96, name: 'getpriority', family: 'process', support: 'full',
    note: 'nice is always 0, so the result is 20 (the kernel returns 20 - nice)',
    args: [arg('which', 'prio_which'), arg('who', 'int')],
    handler(k, [which, who]) {
      if (which > 2) throw new KernelError(E.EINVAL);
      if (which === 2 ? who !== 0 && who !== k.task.creds.uid : who !== 0 && who !== k.task.pid) throw new KernelError(E.ESRCH);
      return 20;
    },
  },
  {
    nr: 132, name: 'getpgid', family: 'process', support: 'full',
    args: [arg('pid', 'int')],
    handler(k, [pid]) {
      self(k, pid);
      return k.task.pgrp;
    },
  },
  {
    nr: 136, name: 'personality', family: 'process', support: 'partial',
    note: 'recorded and returned; no execution-domain flag changes what the model does',
    args: [arg('persona', 'persona')],
    handler(k, [persona]) {
      const old = k.task.persona;
      if (persona !== 0xffffffff) k.task.persona = persona >>> 0;
      return old;
    },
  },
  {
    nr: 147, name: 'getsid', family: 'process', support: 'full',
    args: [arg('pid', 'int')],
    handler(k, [pid]) {
      self(k, pid);
      return k.task.sid;
    },
  },
  {
    nr: 158, name: 'sched_yield', family: 'process', support: 'full', note: 'the next runnable process takes the CPU, if there is one',
    args: [],
    handler: (k) => {
      if (k.multiprocess) k.preempt = k.reschedule = true;
      return 0;
    },
  },
  {
    nr: 172, name: 'prctl', family: 'process', support: 'partial',
    note: 'PR_SET_NAME and PR_GET_NAME; every other option is EINVAL',
    args: [arg('option', 'prctl_option'), arg('arg2', 'prctl_arg'), arg('arg3', 'prctl_arg'), arg('arg4', 'prctl_arg'), arg('arg5', 'prctl_arg')],
    shownArgs: ([option]) => (option === PR_SET_NAME || option === PR_GET_NAME ? [0, 1] : [0, 1, 2, 3, 4]),
    handler(k, [option, arg2]) {
      if (option === PR_SET_NAME) {
        // strncpy_from_user of TASK_COMM_LEN - 1 bytes: a fault before the NUL is EFAULT.
        const bytes: number[] = [];
        for (let i = 0; i < 15; i++) {
          const b = k.copyIn(arg2 + i, 1)[0];
          if (b === 0) break;
          bytes.push(b);
        }
        k.task.comm = Buffer.from(bytes).toString('latin1');
        return 0;
      }
      if (option === PR_GET_NAME) {
        const out = new Uint8Array(16);
        out.set(Buffer.from(k.task.comm, 'latin1'));
        k.copyOut(arg2, out);
        return 0;
      }
      throw new KernelError(E.EINVAL);
    },
  },
  getres(165, 'getresuid', (k) => [k.task.creds.uid, k.task.creds.euid, k.task.creds.suid], 2),
  getres(171, 'getresgid', (k) => [k.task.creds.gid, k.task.creds.egid, k.task.creds.sgid], 2),
  id(199, 'getuid32', (k) => k.task.creds.uid),
  id(200, 'getgid32', (k) => k.task.creds.gid),
  id(201, 'geteuid32', (k) => k.task.creds.euid),
  id(202, 'getegid32', (k) => k.task.creds.egid),
  getgroups(205, 'getgroups32', 4),
  getres(209, 'getresuid32', (k) => [k.task.creds.uid, k.task.creds.euid, k.task.creds.suid], 4),
  getres(211, 'getresgid32', (k) => [k.task.creds.gid, k.task.creds.egid, k.task.creds.sgid], 4),
  id(224, 'gettid', (k) => k.task.tid),
  {
    nr: 242, name: 'sched_getaffinity', family: 'process', support: 'full',
    note: 'one processor: the mask has CPU 0 only',
    args: [arg('pid', 'int'), arg('len', 'uint'), arg('mask', 'cpuset_out')],
    handler(k, [pid, len, mask]) {
      if (len * 8 < NR_CPUS || len % 4 !== 0) throw new KernelError(E.EINVAL);
      self(k, pid);
      // The kernel copies out cpumask_size() bytes: whole longs covering nr_cpu_ids.
      const size = Math.ceil(NR_CPUS / 32) * 4;
      const out = new Uint8Array(Math.min(len, size));
      out[0] = 1;
      k.copyOut(mask, out);
      return out.length;
    },
  },
  {
    nr: 252, name: 'exit_group', family: 'process', support: 'full',
    args: [arg('status', 'int')],
    handler(k, [status]) {
      k.terminate(status);
      return 0;
    },
  },
  {
    nr: 258, name: 'set_tid_address', family: 'process', support: 'full',
    note: 'recorded; with one thread nothing waits on it at exit',
    args: [arg('tidptr', 'ptr')],
    handler(k, [tidptr]) {
      k.task.clearChildTid = tidptr;
      return k.task.tid;
    },
  },
  {
    nr: 311, name: 'set_robust_list', family: 'process', support: 'full',
    note: 'recorded; with one thread no other waits on its robust futexes (qemu-i386 returns ENOSYS here)',
    args: [arg('head', 'ptr'), arg('len', 'size')],
    handler(k, [head, len]) {
      if (len !== ROBUST_LIST_HEAD_SIZE) throw new KernelError(E.EINVAL);
      k.task.robustList = { head, len };
      return 0;
    },
  },
  {
    nr: 312, name: 'get_robust_list', family: 'process', support: 'full',
    args: [arg('pid', 'int'), arg('head_ptr', 'ptr'), arg('len_ptr', 'ptr')],
    handler(k, [pid, headPtr, lenPtr]) {
      self(k, pid);
      k.putU32(lenPtr, ROBUST_LIST_HEAD_SIZE);
      k.putU32(headPtr, k.task.robustList.head);
      return 0;
    },
  },
  {
    nr: 318, name: 'getcpu', family: 'process', support: 'full', note: 'one processor, one NUMA node: both 0',
    args: [arg('cpu', 'uint_out'), arg('node', 'uint_out'), arg('tcache', 'ptr')],
    handler(k, [cpu, node]) {
      if (cpu !== 0) k.putU32(cpu, 0);
      if (node !== 0) k.putU32(node, 0);
      return 0;
    },
  },
  {
    nr: 375, name: 'membarrier', family: 'process', support: 'full',
    note: 'one thread, so every barrier is already complete; the rseq commands are absent, as rseq is',
    args: [arg('cmd', 'int'), arg('flags', 'uint'), arg('cpu_id', 'int')],
    handler(k, [cmd, flags]) {
      if (flags !== 0) throw new KernelError(E.EINVAL);
      const m = MEMBARRIER;
      if (cmd === m.QUERY) return MEMBARRIER_SUPPORTED;
      if (!(MEMBARRIER_SUPPORTED & cmd) || (cmd & (cmd - 1)) !== 0) throw new KernelError(E.EINVAL);
      switch (cmd) {
        case m.GET_REGISTRATIONS: return k.task.membarrierRegistered;
        case m.REGISTER_GLOBAL_EXPEDITED: case m.REGISTER_PRIVATE_EXPEDITED: case m.REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
          k.task.membarrierRegistered |= cmd;
          return 0;
        case m.PRIVATE_EXPEDITED: case m.PRIVATE_EXPEDITED_SYNC_CORE:
          // Linux: the expedited private barriers need the process to register first.
          if (!(k.task.membarrierRegistered & (cmd << 1))) throw new KernelError(E.EPERM);
          return 0;
        default: return 0; // GLOBAL, GLOBAL_EXPEDITED
      }
    },
  },
  refused(384, 'arch_prctl', 'refused (ENOSYS), as qemu-i386 does; Linux i386 has it only for ARCH_GET_CPUID and friends'),
  refused(386, 'rseq', 'refused (ENOSYS), as qemu-i386 does: glibc then works without restartable sequences', 4),
];
