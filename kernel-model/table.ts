// The syscall table: wires the family files into one number → spec map per personality.
//
// The paper's kernel (Linux 2.4) left 240 free, so the multi-call went there and the
// specialized calls above it. Today's i386 table uses those numbers (240 is futex), so
// the `modern` personality keeps every real number and moves the batch family above
// the highest real call.
import type { Kernel } from './kernel.js';
import type { SyscallSpec } from './syscall.js';
import { fsCalls } from './sys/fs.js';
import { fdCalls } from './sys/fd.js';
import { dirCalls } from './sys/dir.js';
import { statCalls } from './sys/stat.js';
import { memoryCalls } from './sys/memory.js';
import { processCalls } from './sys/process.js';
import { timeCalls } from './sys/time.js';
import { MEASURE_CALLS } from './sys/measure.js';
import { multicallSpec, specializedSpec } from './sys/batch.js';
import { BUILTIN_SPECIALIZED, SpecializedError, readDefinitions, validateSpecialized, type SpecializedDef } from './specialized.js';

export type PersonalityName = 'paper' | 'modern';

export interface Personality {
  name: PersonalityName;
  description: string;
  table: Map<number, SyscallSpec<Kernel>>;
  /** Number of the multi-call in this personality. */
  multicallNr: number;
  /** First number of the specialized calls. */
  specializedBase: number;
  /** Highest number a specialized call may take. */
  specializedLimit: number;
}

/** Real Linux i386 calls that are not modelled: they return -ENOSYS and say so once. */
export const UNIMPLEMENTED: [number, string][] = [
  [2, 'fork'], [7, 'waitpid'], [11, 'execve'], [14, 'mknod'], [37, 'kill'], [42, 'pipe'], [90, 'mmap'],
  [91, 'munmap'], [102, 'socketcall'], [114, 'wait4'], [117, 'ipc'],
  [120, 'clone'], [122, 'uname'], [125, 'mprotect'], [168, 'poll'], [174, 'rt_sigaction'],
  [175, 'rt_sigprocmask'], [192, 'mmap2'], [240, 'futex'], [243, 'set_thread_area'],
  [258, 'set_tid_address'], [265, 'clock_gettime'], [375, 'membarrier'], [384, 'arch_prctl'],
  [403, 'clock_gettime64'],
];

/** Every modelled call that keeps its real Linux i386 number. */
export const LINUX_CALLS: SyscallSpec<Kernel>[] = [...processCalls, ...fsCalls, ...fdCalls, ...dirCalls, ...statCalls, ...timeCalls, ...memoryCalls];

/** The highest number of today's i386 table (Linux 6.x). */
const HIGHEST_REAL_I386 = 462;

function build(calls: SyscallSpec<Kernel>[]): Map<number, SyscallSpec<Kernel>> {
  const table = new Map<number, SyscallSpec<Kernel>>();
  for (const c of calls) {
    if (table.has(c.nr)) throw new Error(`syscall table: ${c.name} and ${table.get(c.nr)!.name} share number ${c.nr}`);
    table.set(c.nr, c);
  }
  return table;
}

const PLAIN_CALLS = [...LINUX_CALLS, ...MEASURE_CALLS];

/** Argument names of the plain calls, which specialized steps may name. */
export const PLAIN_ARGS = new Map(PLAIN_CALLS.map((c) => [c.name, c.args.map((a) => a.name)]));
export const PLAIN_ARITY = new Map([...PLAIN_ARGS].map(([name, args]) => [name, args.length]));

let builtins: SpecializedDef[] | undefined;
/** The built-in specialized calls (specialized/builtin.json). */
export function builtinSpecialized(): SpecializedDef[] {
  builtins ??= validateSpecialized(readDefinitions(BUILTIN_SPECIALIZED), BUILTIN_SPECIALIZED, PLAIN_ARITY, new Set([...PLAIN_ARITY.keys(), 'multi_call']));
  return builtins;
}

/** A user's definitions file, checked against the table and the built-ins. */
export function loadSpecialized(file: string): SpecializedDef[] {
  const taken = new Set([...PLAIN_ARITY.keys(), 'multi_call', ...builtinSpecialized().map((d) => d.name)]);
  return validateSpecialized(readDefinitions(file), file, PLAIN_ARITY, taken);
}

export function personality(name: PersonalityName, extra: SpecializedDef[] = []): Personality {
  const numbers = name === 'paper'
    ? { multicallNr: 240, specializedBase: 241, specializedLimit: 251 }
    : { multicallNr: HIGHEST_REAL_I386 + 38, specializedBase: HIGHEST_REAL_I386 + 39, specializedLimit: HIGHEST_REAL_I386 + 99 };
  const defs = [...builtinSpecialized(), ...extra];
  const room = numbers.specializedLimit - numbers.specializedBase + 1;
  if (defs.length > room) throw new SpecializedError(`the ${name} personality has room for ${room} specialized calls, not ${defs.length}`);
  const numberOf = (call: string) => PLAIN_CALLS.find((c) => c.name === call)!.nr;
  const calls = [...PLAIN_CALLS, multicallSpec(numbers.multicallNr),
    ...defs.map((d, i) => specializedSpec(numbers.specializedBase + i, d, numberOf))];
  const description = name === 'paper'
    ? 'Linux 2.4 numbering: multi-call at 240, specialized calls from 241'
    : `today's i386 numbering: real calls keep their numbers, the multi-call is ${numbers.multicallNr}, specialized calls follow`;
  return { name, description, table: build(calls), ...numbers };
}
