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
  | 'mcall'          // a multi-call's entry array; count in the argument named by `len`
  | 'params'         // a specialized call's parameter block
  | 'mprot' | 'mflags' | 'mremap_flags' // mmap's PROT_* and MAP_*, mremap's MREMAP_*
  | 'mmap_args'      // old_mmap's struct of six words
  | 'user_desc';     // struct user_desc (set/get_thread_area, modify_ldt), shown as it is after the call

export interface ArgSpec {
  name: string;
  kind: ArgKind;
  /** For buffers and arrays: the index of the argument holding the length or count. */
  len?: number;
}

export type Support = 'full' | 'partial';

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
  /** The family file it lives in, for the support listing. */
  family: 'fs' | 'time' | 'process' | 'memory' | 'tls' | 'measure' | 'batch';
  handler: SyscallHandler<Ctx>;
}

export const arg = (name: string, kind: ArgKind, len?: number): ArgSpec => (len === undefined ? { name, kind } : { name, kind, len });
