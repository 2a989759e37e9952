// The state Linux keeps per process (per task) that the non-file calls read and write:
// identity and credentials, the name prctl sets, resource limits, signal actions, the
// blocked mask and the alternate signal stack, the futex-related pointers glibc hands
// over at start-up. One process, one thread for now; when processes come, each gets one.

/**
 * RLIM_INFINITY of a 32-bit kernel: limits are unsigned longs, and prlimit64 maps
 * RLIM64_INFINITY (and anything at or above 2^32 - 1) to this.
 */
export const RLIM_INFINITY = 0xffff_ffff;

/** Resource numbers (include/uapi/asm-generic/resource.h). */
export const RLIMIT_NAMES = ['RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS',
  'RLIMIT_NPROC', 'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING',
  'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME'] as const;
export const RLIMIT = Object.fromEntries(RLIMIT_NAMES.map((n, i) => [n.slice(7), i])) as Record<string, number>;

export interface Rlimit { cur: number; max: number }

/** Linux's limits for a new process (init_task's, as a login shell passes them on), NOFILE the descriptor table's size. */
function defaultRlimits(fdLimit: number): Rlimit[] {
  const inf = () => ({ cur: RLIM_INFINITY, max: RLIM_INFINITY });
  const fixed = (cur: number, max = cur) => ({ cur, max });
  return [
    inf(), inf(), inf(),
    fixed(8 * 1024 * 1024, RLIM_INFINITY), // STACK: 8 MiB soft (_STK_LIM), unlimited hard
    fixed(0, RLIM_INFINITY), // CORE
    inf(),
    fixed(4096), // NPROC: Linux derives it from memory; a fixed value here
    fixed(fdLimit), // NOFILE
    fixed(8 * 1024 * 1024), // MEMLOCK: 8 MiB (Linux 5.16+)
    inf(), inf(),
    fixed(4096), // SIGPENDING
    fixed(819200), // MSGQUEUE: MQ_BYTES_MAX
    fixed(0), fixed(0), // NICE, RTPRIO
    inf(), // RTTIME
  ];
}

/** Signals 1..64 (i386: _NSIG 64). */
export const NSIG = 64;
export const SIGKILL = 9, SIGSTOP = 19;
/** The bits of SIGKILL and SIGSTOP, which no mask may hold. */
export const UNBLOCKABLE = (1n << BigInt(SIGKILL - 1)) | (1n << BigInt(SIGSTOP - 1));
export const SIGSET_MASK = (1n << 64n) - 1n;

/** One signal's disposition as rt_sigaction sees it (struct sigaction, kernel layout). */
export interface SigAction { handler: number; flags: number; restorer: number; mask: bigint }

/** stack_t: the alternate signal stack. */
export interface SigStack { sp: number; flags: number; size: number }
export const SS_ONSTACK = 1, SS_DISABLE = 2, SS_AUTODISARM = 0x8000_0000;

/** What uname reports: fixed, so that runs agree across hosts. */
export interface Utsname { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string }
export const DEFAULT_NODENAME = 'syscluster';
export const UTSNAME: Omit<Utsname, 'nodename'> = {
  sysname: 'Linux',
  release: '6.1.0-syscluster',
  version: '#1 SMP PREEMPT_DYNAMIC syscluster',
  machine: 'i686',
  domainname: '(none)',
};

/** Credentials: the guest runs as root (uid and gid 0), as the model checks no permissions. */
export interface Credentials { uid: number; euid: number; suid: number; gid: number; egid: number; sgid: number }

export interface TaskOptions {
  pid: number;
  /** The program's path or name (argv[0]): its last component, cut to 15 bytes, is the task's name. */
  program?: string;
  nodename?: string;
  fdLimit: number;
}

export class Task {
  pid: number;
  /** The one thread's id: the pid, as for any single-threaded process. */
  tid: number;
  /** The parent's pid: 1 (init) for the first process, which the model starts as init would. */
  ppid = 1;
  pgrp: number;
  sid: number;
  readonly creds: Credentials = { uid: 0, euid: 0, suid: 0, gid: 0, egid: 0, sgid: 0 };
  readonly uts: Utsname;
  /** TASK_COMM_LEN is 16: at most 15 bytes and a NUL. */
  comm: string;
  /** The execution domain (personality(2)); 0 is PER_LINUX. */
  persona = 0;
  rlimits: Rlimit[];
  actions: SigAction[];
  blocked = 0n;
  altstack: SigStack = { sp: 0, flags: SS_DISABLE, size: 0 };
  /** set_tid_address: cleared (and woken) when the thread exits. */
  clearChildTid = 0;
  /** membarrier: the commands the process has registered for. */
  membarrierRegistered = 0;
  /** set_robust_list: the head of the robust futex list and its length. */
  robustList = { head: 0, len: 0 };

  constructor(o: TaskOptions) {
    this.pid = this.tid = this.pgrp = this.sid = o.pid;
    this.uts = { ...UTSNAME, nodename: o.nodename ?? DEFAULT_NODENAME };
    const base = (o.program ?? '').split('/').pop() ?? '';
    this.comm = Buffer.from(base, 'latin1').subarray(0, 15).toString('latin1');
    this.rlimits = defaultRlimits(o.fdLimit);
    this.actions = Array.from({ length: NSIG + 1 }, () => ({ handler: 0, flags: 0, restorer: 0, mask: 0n }));
  }

  /**
   * fork: the child's task is a copy (credentials, limits, dispositions, mask, name,
   * process group and session) with its own pid and this process as its parent.
   */
  fork(pid: number): Task {
    const t = Object.create(Task.prototype) as Task;
    Object.assign(t, this);
    t.pid = t.tid = pid;
    t.ppid = this.pid;
    Object.assign(t, {
      creds: { ...this.creds }, uts: this.uts, rlimits: this.rlimits.map((r) => ({ ...r })),
      actions: this.actions.map((a) => ({ ...a })), altstack: { ...this.altstack },
      robustList: { head: 0, len: 0 }, clearChildTid: 0,
    });
    return t;
  }

  /** execve: handled signals go back to their default; ignored ones stay ignored; the name is the new program's. */
  exec(program: string): void {
    for (const a of this.actions) if (a.handler > 1) Object.assign(a, { handler: 0, flags: 0, restorer: 0, mask: 0n });
    const base = program.split('/').pop() ?? '';
    this.comm = Buffer.from(base, 'latin1').subarray(0, 15).toString('latin1');
    this.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
    this.robustList = { head: 0, len: 0 };
    this.clearChildTid = 0;
  }
}
