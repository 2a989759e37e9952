// Every limit syscluster enforces, as data: what it bounds, the option that sets it, its
// default, and the exit code a run that hits it ends with. The README's table of exit
// codes lists the same. A hit ends the run with one line naming the limit.

/** Something a user (or a file a user gave) got wrong: one line on stderr, exit code 2. */
export class UserError extends Error {}

export interface Limit {
  name: string;
  /** What it bounds, in a few words. */
  bounds: string;
  /** The command-line option that sets it, if any. */
  option?: string;
  default: number;
  /** The exit code of a run that hits it (the run ends there), or 0 when the guest only sees an error. */
  exitCode: number;
  /** What the guest sees, when the run goes on. */
  guestSees?: string;
}

/** SIGXCPU (24) + 128: what a shell shows for a process over its CPU limit. */
export const LIMIT_EXIT = 152;

export const LIMITS = {
  instructions: {
    name: 'instruction', bounds: 'guest instructions executed, exactly', option: '--max-instructions',
    default: 2_000_000_000, exitCode: LIMIT_EXIT,
  },
  kernelSteps: {
    name: 'kernel step', bounds: 'entries of multi-calls and steps of specialized calls dispatched in one run (plain calls are bounded by instructions)', option: '--max-kernel-steps',
    default: 50_000_000, exitCode: LIMIT_EXIT,
  },
  writeBytes: {
    name: 'written byte', bounds: 'bytes the guest writes with write-family calls in one run (files, pipes and terminals alike)', option: '--max-write-bytes',
    default: 4 * 2 ** 30, exitCode: LIMIT_EXIT,
  },
  crossingSteps: {
    name: 'per-crossing step', bounds: 'syscalls one crossing may dispatch (a multi-call, a looped specialized call)',
    default: 1 << 22, exitCode: LIMIT_EXIT,
  },
  crossingBytes: {
    name: 'looped-call byte', bounds: 'the total a looped specialized call moves in one crossing (so that it fits the guest\'s int)',
    default: 1 << 30, exitCode: 0, guestSees: 'the call returns early with its total; the guest calls again',
  },
  loopIterations: {
    name: 'loop iteration', bounds: 'iterations of a looped specialized call per crossing (the definition\'s loop.max_iterations, at most this)',
    default: 1 << 20, exitCode: 0, guestSees: 'the call returns what it has done so far',
  },
  openFiles: {
    name: 'open file', bounds: 'descriptors a guest may hold open at once (kernel-model/vfs.ts DEFAULT_FD_LIMIT)',
    default: 256, exitCode: 0, guestSees: '-EMFILE',
  },
  multicallEntries: {
    name: 'multi-call entry', bounds: 'entries of one multi-call', default: 1024, exitCode: 0, guestSees: '-EINVAL',
  },
} as const satisfies Record<string, Limit>;

/** A run passed one of LIMITS: the run ends (exit code LIMIT_EXIT). */
export class LimitExceeded extends Error {
  constructor(readonly limit: Limit, readonly value: number) {
    super(`the ${limit.name} limit (${value.toLocaleString('en-US')}) was reached${limit.option ? ` (raise it with ${limit.option})` : ''}`);
  }
}

/**
 * A whole number from the command line for a limit: digits only, at least 1, at most
 * 2^53 - 1 (exact in JavaScript); anything else is the user's mistake.
 */
export function parseLimit(option: string, text: unknown): number {
  const s = String(text).trim();
  if (!/^\d+$/.test(s)) throw new UserError(`${option} ${JSON.stringify(String(text))}: must be a whole number of at least 1`);
  const n = Number(s);
  if (n < 1) throw new UserError(`${option} ${s}: must be at least 1`);
  if (!Number.isSafeInteger(n)) throw new UserError(`${option} ${s}: too large (at most ${Number.MAX_SAFE_INTEGER})`);
  return n;
}
