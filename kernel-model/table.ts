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
import { tlsCalls } from './sys/tls.js';
import { processCalls } from './sys/process.js';
import { timeCalls } from './sys/time.js';
import { infoCalls } from './sys/info.js';
import { signalCalls } from './sys/signal.js';
import { futexCalls } from './sys/futex.js';
import { ioUringCalls } from './sys/io_uring.js';
import { flexscCalls } from './sys/flexsc.js';
import { procCalls } from './sys/proc.js';
import { xattrCalls } from './sys/xattr.js';
import { I386_NAMES, HIGHEST_I386, NO_ENTRY_POINT, i386Name } from './i386-names.js';
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
  /** Every number this personality names, modelled or not, in order (the support listing). */
  numbers: number[];
  /** The name of a number: its call's, the i386 table's, or `syscall_N` for a number nobody uses. */
  nameOf(nr: number): string;
}

/** Every modelled call that keeps its real Linux i386 number. */
export const LINUX_CALLS: SyscallSpec<Kernel>[] = [
  ...processCalls,
  ...fsCalls,
  ...fdCalls,
  ...dirCalls,
  ...statCalls,
  ...timeCalls,
  ...memoryCalls,
  ...infoCalls,
  ...signalCalls,
  ...futexCalls,
  ...tlsCalls,
  ...ioUringCalls,
  ...procCalls,
  ...xattrCalls,
];

function build(calls: SyscallSpec<Kernel>[]): Map<number, SyscallSpec<Kernel>> {
  const table = new Map<number, SyscallSpec<Kernel>>();
  for (const c of calls) {
    if (table.has(c.nr)) throw new Error(`syscall table: ${c.name} and ${table.get(c.nr)!.name} share number ${c.nr}`);
    const real = i386Name(c.nr);
    if (c.family !== 'batch' && real !== undefined && real !== c.name) throw new Error(`syscall table: ${c.nr} is ${real} on i386, not ${c.name}`);
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
    : { multicallNr: HIGHEST_I386 + 38, specializedBase: HIGHEST_I386 + 39, specializedLimit: HIGHEST_I386 + 99 };
  const defs = [...builtinSpecialized(), ...extra];
  const room = numbers.specializedLimit - numbers.specializedBase + 1;
  if (defs.length > room) throw new SpecializedError(`the ${name} personality has room for ${room} specialized calls, not ${defs.length}`);
  // Linux 2.4 ended below 240: the paper's kernel has none of the later calls.
  const plain = name === 'paper' ? PLAIN_CALLS.filter((c) => c.nr < numbers.multicallNr) : PLAIN_CALLS;
  const numberOf = (call: string) => plain.find((c) => c.name === call)!.nr;
  // Exception-less calls (sys/flexsc.ts) sit above the specialized calls' room: modern only.
  const calls = [...plain, multicallSpec(numbers.multicallNr),
    ...defs.map((d, i) => specializedSpec(numbers.specializedBase + i, d, numberOf)),
    ...(name === 'modern' ? flexscCalls : [])];
  const description = name === 'paper'
    ? 'Linux 2.4 numbering: multi-call at 240, specialized calls from 241'
    : `today's i386 numbering: real calls keep their numbers, the multi-call is ${numbers.multicallNr}, specialized calls follow`;
  const table = build(calls);
  const realLimit = name === 'paper' ? numbers.multicallNr : I386_NAMES.length;
  const listed = new Set([...table.keys(), ...I386_NAMES.slice(0, realLimit).flatMap((n, nr) => (n ? [nr] : []))]);
  const nameOf = (nr: number) => table.get(nr)?.name ?? (nr < realLimit ? i386Name(nr) : undefined) ?? `syscall_${nr}`;
  return { name, description, table, ...numbers, numbers: [...listed].sort((x, y) => x - y), nameOf };
}

export interface ListingRow {
  nr: number;
  name: string;
  support: 'full' | 'partial' | 'unimplemented';
  family?: string;
  args?: string[];
  note: string;
}

/** Every number a personality names, modelled or not, with its support level: `syscluster syscalls`. */
export function supportListing(p: Personality): { rows: ListingRow[]; counts: Record<ListingRow['support'] | 'total', number> } {
  const rows = p.numbers.map((nr): ListingRow => {
    const s = p.table.get(nr);
    if (s) return { nr, name: s.name, support: s.support, family: s.family, args: s.args.map((x) => `${x.name}:${x.kind}`), note: s.note ?? '' };
    const name = p.nameOf(nr);
    const note = NO_ENTRY_POINT.has(name) ? 'no entry point in Linux either: -ENOSYS' : 'not modelled: returns -ENOSYS, reported once by name';
    return { nr, name, support: 'unimplemented', note };
  });
  const counts = { total: rows.length, full: 0, partial: 0, unimplemented: 0 };
  for (const r of rows) counts[r.support]++;
  return { rows, counts };
}
