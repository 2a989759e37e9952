// Signals as i386 Linux numbers them, their default actions, and the wait status
// encodings (include/uapi/asm-generic/signal.h, kernel/signal.c, include/linux/wait.h).

export const SIG = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17,
  SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25,
  SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
} as const;

const NAMES = new Map<number, string>(Object.entries(SIG).map(([n, v]) => [v, n]));

/** SIGUSR1, or SIGRT_3 / SIG40 style names for the rest, as strace prints them. */
export function signalName(sig: number): string {
  return NAMES.get(sig) ?? (sig >= 32 && sig <= 64 ? `SIGRT_${sig - 32}` : `${sig}`);
}

export function signalNumber(name: string): number | undefined {
  return (SIG as Record<string, number>)[name];
}

export type DefaultAction = 'term' | 'core' | 'ignore' | 'stop' | 'cont';

/** The default action of each signal (signal(7)); real-time signals terminate. */
export function defaultAction(sig: number): DefaultAction {
  switch (sig) {
    case SIG.SIGQUIT: case SIG.SIGILL: case SIG.SIGTRAP: case SIG.SIGABRT: case SIG.SIGBUS: case SIG.SIGFPE:
    case SIG.SIGSEGV: case SIG.SIGXCPU: case SIG.SIGXFSZ: case SIG.SIGSYS:
      return 'core';
    case SIG.SIGCHLD: case SIG.SIGURG: case SIG.SIGWINCH:
      return 'ignore';
    case SIG.SIGCONT:
      return 'cont';
    case SIG.SIGSTOP: case SIG.SIGTSTP: case SIG.SIGTTIN: case SIG.SIGTTOU:
      return 'stop';
    default:
      return 'term';
  }
}

export const SIG_DFL = 0, SIG_IGN = 1;
export const SA = {
  NOCLDSTOP: 1, NOCLDWAIT: 2, SIGINFO: 4, ONSTACK: 0x0800_0000, RESTART: 0x1000_0000,
  NODEFER: 0x4000_0000, RESETHAND: 0x8000_0000, RESTORER: 0x0400_0000,
} as const;

/** siginfo si_code values. */
export const SI_USER = 0, SI_KERNEL = 0x80, SI_TKILL = -6;
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3, TRAPPED: 4, STOPPED: 5, CONTINUED: 6 } as const;

export const bit = (sig: number) => 1n << BigInt(sig - 1);

/** wait status: exit(code) shows as code << 8; death by a signal as the signal, 0x80 for a core dump; stopped as 0x7f. */
export const exitedStatus = (code: number) => (code & 0xff) << 8;
export const signaledStatus = (sig: number, core: boolean) => sig | (core ? 0x80 : 0);
export const stoppedStatus = (sig: number) => (sig << 8) | 0x7f;
