// The i386 system call numbers of Linux 6.12 (arch/x86/entry/syscalls/syscall_32.tbl), by
// number: the names strace and qemu-i386 print, and the numbers the modern personality
// keeps. Checked against Debian's linux-libc-dev <asm/unistd_32.h> (Linux 6.1, up to 450);
// 451-462 are from the 6.12 table. An empty string marks a number the table leaves unused
// (222, 223, 251, 285, 387-392, 415).

/** Names by number, from 0. */
export const I386_NAMES: readonly string[] = [
  /*   0 */ 'restart_syscall', 'exit', 'fork', 'read', 'write', 'open', 'close', 'waitpid',
  /*   8 */ 'creat', 'link', 'unlink', 'execve', 'chdir', 'time', 'mknod', 'chmod',
  /*  16 */ 'lchown', 'break', 'oldstat', 'lseek', 'getpid', 'mount', 'umount', 'setuid',
  /*  24 */ 'getuid', 'stime', 'ptrace', 'alarm', 'oldfstat', 'pause', 'utime', 'stty',
  /*  32 */ 'gtty', 'access', 'nice', 'ftime', 'sync', 'kill', 'rename', 'mkdir',
  /*  40 */ 'rmdir', 'dup', 'pipe', 'times', 'prof', 'brk', 'setgid', 'getgid',
  /*  48 */ 'signal', 'geteuid', 'getegid', 'acct', 'umount2', 'lock', 'ioctl', 'fcntl',
  /*  56 */ 'mpx', 'setpgid', 'ulimit', 'oldolduname', 'umask', 'chroot', 'ustat', 'dup2',
  /*  64 */ 'getppid', 'getpgrp', 'setsid', 'sigaction', 'sgetmask', 'ssetmask', 'setreuid', 'setregid',
  /*  72 */ 'sigsuspend', 'sigpending', 'sethostname', 'setrlimit', 'getrlimit', 'getrusage', 'gettimeofday', 'settimeofday',
  /*  80 */ 'getgroups', 'setgroups', 'select', 'symlink', 'oldlstat', 'readlink', 'uselib', 'swapon',
  /*  88 */ 'reboot', 'readdir', 'mmap', 'munmap', 'truncate', 'ftruncate', 'fchmod', 'fchown',
  /*  96 */ 'getpriority', 'setpriority', 'profil', 'statfs', 'fstatfs', 'ioperm', 'socketcall', 'syslog',
  /* 104 */ 'setitimer', 'getitimer', 'stat', 'lstat', 'fstat', 'olduname', 'iopl', 'vhangup',
  /* 112 */ 'idle', 'vm86old', 'wait4', 'swapoff', 'sysinfo', 'ipc', 'fsync', 'sigreturn',
  /* 120 */ 'clone', 'setdomainname', 'uname', 'modify_ldt', 'adjtimex', 'mprotect', 'sigprocmask', 'create_module',
  /* 128 */ 'init_module', 'delete_module', 'get_kernel_syms', 'quotactl', 'getpgid', 'fchdir', 'bdflush', 'sysfs',
  /* 136 */ 'personality', 'afs_syscall', 'setfsuid', 'setfsgid', '_llseek', 'getdents', '_newselect', 'flock',
  /* 144 */ 'msync', 'readv', 'writev', 'getsid', 'fdatasync', '_sysctl', 'mlock', 'munlock',
  /* 152 */ 'mlockall', 'munlockall', 'sched_setparam', 'sched_getparam', 'sched_setscheduler', 'sched_getscheduler', 'sched_yield', 'sched_get_priority_max',
  /* 160 */ 'sched_get_priority_min', 'sched_rr_get_interval', 'nanosleep', 'mremap', 'setresuid', 'getresuid', 'vm86', 'query_module',
  /* 168 */ 'poll', 'nfsservctl', 'setresgid', 'getresgid', 'prctl', 'rt_sigreturn', 'rt_sigaction', 'rt_sigprocmask',
  /* 176 */ 'rt_sigpending', 'rt_sigtimedwait', 'rt_sigqueueinfo', 'rt_sigsuspend', 'pread64', 'pwrite64', 'chown', 'getcwd',
  /* 184 */ 'capget', 'capset', 'sigaltstack', 'sendfile', 'getpmsg', 'putpmsg', 'vfork', 'ugetrlimit',
  /* 192 */ 'mmap2', 'truncate64', 'ftruncate64', 'stat64', 'lstat64', 'fstat64', 'lchown32', 'getuid32',
  /* 200 */ 'getgid32', 'geteuid32', 'getegid32', 'setreuid32', 'setregid32', 'getgroups32', 'setgroups32', 'fchown32',
  /* 208 */ 'setresuid32', 'getresuid32', 'setresgid32', 'getresgid32', 'chown32', 'setuid32', 'setgid32', 'setfsuid32',
  /* 216 */ 'setfsgid32', 'pivot_root', 'mincore', 'madvise', 'getdents64', 'fcntl64', '', '',
  /* 224 */ 'gettid', 'readahead', 'setxattr', 'lsetxattr', 'fsetxattr', 'getxattr', 'lgetxattr', 'fgetxattr',
  /* 232 */ 'listxattr', 'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr', 'tkill', 'sendfile64',
  /* 240 */ 'futex', 'sched_setaffinity', 'sched_getaffinity', 'set_thread_area', 'get_thread_area', 'io_setup', 'io_destroy', 'io_getevents',
  /* 248 */ 'io_submit', 'io_cancel', 'fadvise64', '', 'exit_group', 'lookup_dcookie', 'epoll_create', 'epoll_ctl',
  /* 256 */ 'epoll_wait', 'remap_file_pages', 'set_tid_address', 'timer_create', 'timer_settime', 'timer_gettime', 'timer_getoverrun', 'timer_delete',
  /* 264 */ 'clock_settime', 'clock_gettime', 'clock_getres', 'clock_nanosleep', 'statfs64', 'fstatfs64', 'tgkill', 'utimes',
  /* 272 */ 'fadvise64_64', 'vserver', 'mbind', 'get_mempolicy', 'set_mempolicy', 'mq_open', 'mq_unlink', 'mq_timedsend',
  /* 280 */ 'mq_timedreceive', 'mq_notify', 'mq_getsetattr', 'kexec_load', 'waitid', '', 'add_key', 'request_key',
  /* 288 */ 'keyctl', 'ioprio_set', 'ioprio_get', 'inotify_init', 'inotify_add_watch', 'inotify_rm_watch', 'migrate_pages', 'openat',
  /* 296 */ 'mkdirat', 'mknodat', 'fchownat', 'futimesat', 'fstatat64', 'unlinkat', 'renameat', 'linkat',
  /* 304 */ 'symlinkat', 'readlinkat', 'fchmodat', 'faccessat', 'pselect6', 'ppoll', 'unshare', 'set_robust_list',
  /* 312 */ 'get_robust_list', 'splice', 'sync_file_range', 'tee', 'vmsplice', 'move_pages', 'getcpu', 'epoll_pwait',
  /* 320 */ 'utimensat', 'signalfd', 'timerfd_create', 'eventfd', 'fallocate', 'timerfd_settime', 'timerfd_gettime', 'signalfd4',
  /* 328 */ 'eventfd2', 'epoll_create1', 'dup3', 'pipe2', 'inotify_init1', 'preadv', 'pwritev', 'rt_tgsigqueueinfo',
  /* 336 */ 'perf_event_open', 'recvmmsg', 'fanotify_init', 'fanotify_mark', 'prlimit64', 'name_to_handle_at', 'open_by_handle_at', 'clock_adjtime',
  /* 344 */ 'syncfs', 'sendmmsg', 'setns', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'finit_module', 'sched_setattr',
  /* 352 */ 'sched_getattr', 'renameat2', 'seccomp', 'getrandom', 'memfd_create', 'bpf', 'execveat', 'socket',
  /* 360 */ 'socketpair', 'bind', 'connect', 'listen', 'accept4', 'getsockopt', 'setsockopt', 'getsockname',
  /* 368 */ 'getpeername', 'sendto', 'sendmsg', 'recvfrom', 'recvmsg', 'shutdown', 'userfaultfd', 'membarrier',
  /* 376 */ 'mlock2', 'copy_file_range', 'preadv2', 'pwritev2', 'pkey_mprotect', 'pkey_alloc', 'pkey_free', 'statx',
  /* 384 */ 'arch_prctl', 'io_pgetevents', 'rseq', '', '', '', '', '',
  /* 392 */ '', 'semget', 'semctl', 'shmget', 'shmctl', 'shmat', 'shmdt', 'msgget',
  /* 400 */ 'msgsnd', 'msgrcv', 'msgctl', 'clock_gettime64', 'clock_settime64', 'clock_adjtime64', 'clock_getres_time64', 'clock_nanosleep_time64',
  /* 408 */ 'timer_gettime64', 'timer_settime64', 'timerfd_gettime64', 'timerfd_settime64', 'utimensat_time64', 'pselect6_time64', 'ppoll_time64', '',
  /* 416 */ 'io_pgetevents_time64', 'recvmmsg_time64', 'mq_timedsend_time64', 'mq_timedreceive_time64', 'semtimedop_time64', 'rt_sigtimedwait_time64', 'futex_time64', 'sched_rr_get_interval_time64',
  /* 424 */ 'pidfd_send_signal', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'open_tree', 'move_mount', 'fsopen', 'fsconfig',
  /* 432 */ 'fsmount', 'fspick', 'pidfd_open', 'clone3', 'close_range', 'openat2', 'pidfd_getfd', 'faccessat2',
  /* 440 */ 'process_madvise', 'epoll_pwait2', 'mount_setattr', 'quotactl_fd', 'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self', 'memfd_secret',
  /* 448 */ 'process_mrelease', 'futex_waitv', 'set_mempolicy_home_node', 'cachestat', 'fchmodat2', 'map_shadow_stack', 'futex_wake', 'futex_wait',
  /* 456 */ 'futex_requeue', 'statmount', 'listmount', 'lsm_get_self_attr', 'lsm_set_self_attr', 'lsm_list_modules', 'mseal',
];

/** The highest number of the table. */
export const HIGHEST_I386 = I386_NAMES.length - 1;

/**
 * Names the table lists with no entry point: Linux itself answers them with ENOSYS
 * (calls from Unix history that Linux never implemented, or removed long ago).
 */
export const NO_ENTRY_POINT: ReadonlySet<string> = new Set([
  'break', 'stty', 'gtty', 'ftime', 'prof', 'lock', 'mpx', 'ulimit', 'profil', 'idle', 'create_module',
  'get_kernel_syms', 'afs_syscall', 'query_module', 'nfsservctl', 'getpmsg', 'putpmsg', 'lookup_dcookie', 'vserver',
]);

/** The i386 name of a number, or undefined for an unused or out-of-range number. */
export function i386Name(nr: number): string | undefined {
  return I386_NAMES[nr] || undefined;
}
