// What a syscall table entry is. One declaration per call drives dispatch, the strace
// printer, the support listing and the profiler alike.

/**
 * How an argument is read and printed. `in` kinds are decoded at entry, `out` kinds
 * (filled by the kernel) at exit.
 */
export type ArgKind =
  | 'int' | 'uint' | 'fd' | 'size' | 'ptr'
  | 'path'          // NUL-terminated string
  | 'buf_in'        // bytes the guest hands in; length in the argument named by `len`
  | 'buf_out'       // bytes the kernel fills; length is the result
  | 'oflags' | 'mode' | 'whence'
  | 'timeval_in' | 'timeval_out' | 'timespec_in' | 'time_out'
  | 'fdset_inout'
  | 'dirfd'         // a directory fd for *at calls: AT_FDCWD by name
  | 'atflags'       // AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH, ...
  | 'access_mode'   // F_OK or R_OK|W_OK|X_OK
  | 'fcntl_cmd' | 'ioctl_req'
  | 'fdflags'       // O_CLOEXEC or 0 (dup3, pipe2)
  | 'rename_flags'
  | 'stat_out'      // struct stat64, filled by the kernel
  | 'oldstat_out'   // the 32-bit struct stat of stat/lstat/fstat
  | 'statx_out' | 'statfs_out'
  | 'statx_mask'
  | 'iovec_in'      // struct iovec[]: bytes handed in; count in the argument named by `len`
  | 'iovec_out'     // struct iovec[] the kernel fills; count in `len`, bytes moved is the result
  | 'path_out'      // a path the kernel writes (readlink, getcwd): shown up to the result
  | 'dirent_out' | 'dirent64_out' // getdents and getdents64 buffers
  | 'off_lo' | 'off_hi' // a 64-bit offset split over two registers (shown once, as one number)
  | 'loff_out'      // _llseek's result
  | 'loff_inout'    // sendfile's offset pointer
  | 'utimes_in'     // utimensat's struct timespec[2]
  | 'utimes64_in'   // utimensat_time64's struct __kernel_timespec[2]
  | 'mcall'          // a multi-call's entry array; count in the argument named by `len`
  | 'params'         // a specialized call's parameter block
  | 'mprot' | 'mflags' | 'mremap_flags' // mmap's PROT_* and MAP_*, mremap's MREMAP_*
  | 'mmap_args'      // old_mmap's struct of six words
  | 'user_desc'      // struct user_desc (set/get_thread_area, modify_ldt), shown as it is after the call
  // Time: clock ids and flags by name; 32-bit and 64-bit timespecs.
  | 'clockid' | 'clock_flags' | 'timespec_out' | 'timespec64_in' | 'timespec64_out'
  // Information about the system and the process.
  | 'utsname_out' | 'sysinfo_out' | 'random_out' | 'grnd_flags' | 'cpuset_out' | 'uint_out' | 'prio_which'
  | 'resource' | 'rlimit_in' | 'rlimit_out' | 'rlimit64_in' | 'rlimit64_out'
  | 'prctl_option' | 'prctl_arg'  // prctl_arg: a name in (PR_SET_NAME) or out (PR_GET_NAME), else a number
  | 'persona'
  // Signals: a number by name, rt and old (one-word) actions and sets, how, the alternate stack.
  | 'signal' | 'sigaction_in' | 'sigaction_out' | 'old_sigaction_in' | 'old_sigaction_out'
  | 'sighow' | 'sigset_in' | 'sigset_out' | 'old_sigset_in' | 'old_sigset_out' | 'stack_in' | 'stack_out'
  | 'futex_op' | 'futex_timeout' | 'futex_timeout64'  // the timeout, or val2 for the ops that take a count there
  | 'futex_val3'
  // Processes: pipe's two fds, wait's status, execve's argv and envp, clone's and wait's flags.
  | 'pipefd_out' | 'wstatus_out' | 'argv_in' | 'envp_in' | 'clone_flags' | 'wait_options';   // a bitset, FUTEX_WAKE_OP's encoded operation, or a value

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  /** For buffers and arrays: the index of the argument holding the length or count. */
  len?: number;
}

/** `unimplemented`: declared on purpose, returns -ENOSYS quietly; its note says why. */
export type Support = 'full' | 'partial' | 'unimplemented';

/** How the kernel model exposes itself to handlers (see kernel.ts). */
export interface SyscallHandler<Ctx> {
  (ctx: Ctx, a: number[]): number;
}

export interface SyscallSpec<Ctx = never> {
  nr: number;
  name: string;
  args: ArgSpec[];
  /** Printed as a pointer (hex) rather than a number. */
  returnsPointer?: boolean;
  support: Support;
  note?: string;
  /** Which arguments strace shows (their indices), when another argument decides: futex's op, prctl's option. */
  shownArgs?: (args: number[]) => number[];
  /** The family file it lives in, for the support listing. */
  family: 'fs' | 'fd' | 'dir' | 'stat' | 'time' | 'process' | 'memory' | 'tls' | 'measure' | 'batch' | 'info' | 'signal' | 'futex' | 'io_uring' | 'flexsc';
  handler: SyscallHandler<Ctx>;
}

export const arg = (name: string, kind: ArgKind, len?: number): ArgSpec => (len === undefined ? { name, kind } : { name, kind, len });
