// What the command handlers share: reading a guest, choosing a platform and a
// personality, and turning bad input into one line and exit code 2.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInput, parseElf, personalityOf } from '../emulator/elf.js';
import { DEFAULT_MAX_MEMORY } from '../kernel-model/mm.js';
import { LIMITS, parseLimit } from '../kernel-model/limits.js';
import { errnoName, errnoText, hostErrno } from '../kernel-model/errno.js';
import type { Argv } from 'yargs';
import type { RunOptions } from '../emulator/machine.js';
import type { HostFileSystem } from '../host/hostfs.js';
import type { Stdio } from '../kernel-model/vfs.js';
import type { PlatformProfile } from '../kernel-model/cost.js';
import { ProfileError, loadProfile } from '../kernel-model/platform.js';
import { builtinSpecialized, loadSpecialized, personality, type Personality, type PersonalityName } from '../kernel-model/table.js';
import { I386_NAMES } from '../kernel-model/i386-names.js';
import { SpecializedError } from '../kernel-model/specialized.js';

export { BadInput };

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built guests: guest/build beside dist/. */
export const GUEST_DIR = path.resolve(here, '../../guest/build');
/** The sysroot ./setup.sh makes (Debian's libc6:i386), used by default when it exists. */
export const DEFAULT_SYSROOT = path.resolve(here, '../../.cache/i386/sysroot');
/** The largest program file read (a guest is read whole into memory). */
const MAX_GUEST_BYTES = 256 * 1024 * 1024;

/** A path, or the name of a built-in guest (hello, cat, copy, ...). */
export function readGuest(spec: string): { bytes: Uint8Array; name: string; path: string } {
  const builtin = path.join(GUEST_DIR, spec);
  const file = !fs.existsSync(spec) && /^[a-z0-9_-]+$/.test(spec) && fs.existsSync(builtin) ? builtin : spec;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new BadInput(`${spec}: no such file (and no built-in guest of that name)`);
  }
  if (st.isDirectory()) throw new BadInput(`${spec}: is a directory, not an ELF executable`);
  // FIFOs and devices would block or never end (/dev/zero): only regular files are programs.
  if (!st.isFile()) throw new BadInput(`${spec}: not a regular file, not an ELF executable`);
  if (st.size > MAX_GUEST_BYTES) throw new BadInput(`${spec}: ${st.size} bytes, more than a program may have (${MAX_GUEST_BYTES})`);
  try {
    return { bytes: fs.readFileSync(file), name: spec, path: file };
  } catch (err) {
    throw new BadInput(`${spec}: cannot read (${hostError(err)})`);
  }
}

/** Every syscall name a profile may price. */
export function knownCallNames(): Set<string> {
  const names = new Set<string>();
  for (const p of ['paper', 'modern'] as const) for (const s of personality(p).table.values()) names.add(s.name);
  for (const n of I386_NAMES) if (n) names.add(n);
  for (const d of builtinSpecialized()) names.add(d.name);
  return names;
}

export function platform(nameOrPath: string): PlatformProfile {
  try {
    return loadProfile(nameOrPath, knownCallNames());
  } catch (err) {
    if (err instanceof ProfileError) throw new BadInput(err.message);
    throw err;
  }
}

/** The syscall table to run with: a numbering, plus the user's specialized calls if any. */
export function choosePersonality(name: string, specializedFile?: string): Personality {
  if (name !== 'paper' && name !== 'modern') throw new BadInput(`unknown personality "${name}" (auto, paper or modern)`);
  try {
    return personality(name as PersonalityName, specializedFile ? loadSpecialized(specializedFile) : []);
  } catch (err) {
    if (err instanceof SpecializedError) throw new BadInput(err.message);
    throw err;
  }
}

/** Common options of commands that run guests. */
export const runOptions = {
  root: { type: 'string', default: '.', describe: 'host directory the guest sees as /' },
  sysroot: { type: 'string', describe: 'read-only host directory the guest sees where --root has no such file, as qemu-i386 -L (default: .cache/i386/sysroot when ./setup.sh made it; "none" for no sysroot)' },
  platform: { type: 'string', default: 'p2-266', describe: 'platform profile: a built-in name or a JSON file' },
  personality: { type: 'string', default: 'auto', choices: ['auto', 'paper', 'modern'],
    describe: 'syscall numbering; auto: modern for a program built against a C library (GNU ABI tag note, PT_TLS or PT_INTERP), paper for a bare one, unless its syscluster note says otherwise' },
  specialized: { type: 'string', describe: 'a JSON file of specialized-call definitions to add (see docs/specialized.md)' },
  'max-instructions': { type: 'string', default: String(LIMITS.instructions.default), describe: 'stop a runaway guest after exactly this many instructions (exit code 152)' },
  'max-kernel-steps': { type: 'string', default: String(LIMITS.kernelSteps.default), describe: 'stop after the kernel has run this many steps of multi-calls and specialized calls (exit code 152)' },
  'max-write-bytes': { type: 'string', default: String(LIMITS.writeBytes.default), describe: 'stop once the guest has written this many bytes (exit code 152)' },
  jiffies: { type: 'boolean', default: false, describe: 'round sleeps to timer ticks (HZ) as Linux 2.4 does' },
  seed: { type: 'number', default: 1, describe: 'seeds the guest\'s randomness (AT_RANDOM, getrandom): same seed, same bytes' },
  'max-memory': { type: 'string', default: '1G', describe: 'guest memory a run may map (bytes, or with K, M or G); past it, mmap and brk fail with ENOMEM' },
  'clock-start': { type: 'string', default: '2002-01-01T00:00:00Z', describe: 'the simulated wall clock at the first instruction (ISO date or seconds since the epoch)' },
  nodename: { type: 'string', default: 'syscluster', describe: 'the host name uname reports (at most 64 bytes)' },
  'max-procs': { type: 'number', default: 64, describe: 'processes that may exist at once; fork past it fails with EAGAIN' },
  quantum: { type: 'number', default: 100_000, describe: 'instructions a process runs before the next may take the CPU (a busy loop is preempted too)' },
  vdso: { type: 'string', default: 'auto', choices: ['auto', 'on', 'off'],
    describe: 'map a vDSO (AT_SYSINFO, AT_SYSINFO_EHDR): a C library then enters by __kernel_vsyscall (sysenter when the platform choice says so, e.g. skylake-2018:sysenter) and reads the clocks without a crossing; auto: on under the modern personality' },
} as const;

/** --max-memory as bytes: a number with an optional K, M or G (powers of 1024). */
export function memorySize(text: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(String(text).trim());
  const bytes = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 16 * 1024 * 1024 || bytes > 3 * 1024 ** 3) {
    throw new BadInput(`--max-memory ${text}: give a size from 16M to 3G (bytes, or with K, M or G)`);
  }
  return bytes;
}

/** --seed as a 32-bit number. */
export function seedOf(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new BadInput(`--seed ${value}: give a whole number from 0 to 4294967295`);
  return value;
}

/**
 * The personality a guest runs with: the one named, or for `auto` the one its ELF file
 * asks for (elf.ts, personalityOf), with the reason.
 */
export function resolvePersonality(name: string, bytes: Uint8Array, specializedFile?: string): { personality: Personality; why: string } {
  if (name !== 'auto') return { personality: choosePersonality(name, specializedFile), why: '--personality' };
  let chosen: ReturnType<typeof personalityOf>;
  try {
    chosen = personalityOf(parseElf(bytes));
  } catch (err) {
    if (!(err instanceof BadInput)) throw err;
    chosen = { name: 'paper', why: 'default' }; // the load reports what is wrong with the file
  }
  return { personality: choosePersonality(chosen.name, specializedFile), why: chosen.why };
}

/** --nodename, checked: utsname's field holds 64 bytes and a NUL. */
export function nodename(text: string): string {
  if (Buffer.byteLength(text, 'latin1') > 64 || text.includes('\0') || /[^\x20-\x7e]/.test(text)) {
    throw new BadInput(`--nodename ${JSON.stringify(text)}: at most 64 printable characters`);
  }
  return text;
}

/** --clock-start as microseconds since the epoch. */
export function clockStart(text: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms) || ms < 0) throw new BadInput(`--clock-start ${text}: not a date or a number of seconds`);
  return Math.round(ms * 1000);
}

/** Why a file cannot be written, in one line; folders are never created behind the user's back. */
/** A host error as its errno's name and text, `ENOENT (No such file or directory)`; its message when it has no errno. */
export function hostError(err: unknown): string {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return String(message ?? err);
  const n = hostErrno(err);
  return errnoName(n) === code ? `${code} (${errnoText(n)})` : code;
}

function cannotWrite(file: string, err: unknown): BadInput {
  const code = (err as { code?: string }).code;
  const dir = path.dirname(path.resolve(file));
  if (code === 'ENOENT' && !fs.existsSync(dir)) return new BadInput(`cannot write ${file}: no such directory ${dir} (create it first)`);
  if (code === 'ENOTDIR') return new BadInput(`cannot write ${file}: a part of ${dir} is not a directory`);
  if (code === 'EISDIR') return new BadInput(`cannot write ${file}: it is a directory`);
  if (code === 'EACCES') return new BadInput(`cannot write ${file}: permission denied`);
  return new BadInput(`cannot write ${file}: ${hostError(err)}`);
}

/** Writes a file (its folder must exist); a failure is bad input (exit 2), not a crash. */
export function writeOutput(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (err) {
    throw cannotWrite(file, err);
  }
}

/** Opens a file for writing (an fd; its folder must exist); a failure is bad input. */
export function openOutput(file: string): number {
  try {
    return fs.openSync(file, 'w');
  } catch (err) {
    throw cannotWrite(file, err);
  }
}

/** Makes the folder the user named for output (`--out DIR`), or bad input. */
export function outputFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new BadInput(`cannot create ${dir}: ${hostError(err)}`);
  }
}

/** The host adapter (it binds libc through koffi): loaded only by commands that run guests. */
const loadHost = () => import('../host/hostfs.js');

/** A host directory as the guest's root (and a sysroot behind it), or bad input. */
export async function hostRoot(root: string, sysroot?: string): Promise<HostFileSystem> {
  const { HostFileSystem } = await loadHost();
  const dir = (p: string) => { try { return fs.statSync(p).isDirectory(); } catch { return false; } };
  if (!dir(root)) throw new BadInput(`--root ${root}: no such directory`);
  const lower = sysroot === 'none' ? undefined : sysroot ?? (dir(DEFAULT_SYSROOT) ? DEFAULT_SYSROOT : undefined);
  if (lower !== undefined && !dir(lower)) throw new BadInput(`--sysroot ${lower}: no such directory`);
  try {
    return new HostFileSystem(root, lower);
  } catch (err) {
    throw new BadInput(`--root ${root}: cannot open (${(err as Error).message})`);
  }
}

/** The program's path as the guest sees it: inside the root, from `/`; outside, the host's absolute path. */
export function guestExePath(file: string, root: string): string {
  const abs = fs.realpathSync(file), top = fs.realpathSync(root);
  if (top === '/') return abs;
  return abs.startsWith(top + path.sep) ? abs.slice(top.length) : abs;
}

/** The options every command that runs a guest takes, as parsed by yargs. */
export interface GuestArgs {
  guest: string;
  args?: (string | number)[];
  /** What followed `--` on the command line: the guest's arguments, verbatim. */
  '--'?: (string | number)[];
  env?: (string | number)[];
  root: string;
  sysroot?: string;
  platform: string;
  personality: string;
  specialized?: string;
  maxInstructions: string | number;
  maxKernelSteps?: string | number;
  maxWriteBytes?: string | number;
  jiffies: boolean;
  clockStart: string;
  seed?: number;
  maxMemory?: string;
  nodename: string;
  maxProcs: number;
  quantum: number;
  vdso?: string;
}

/** A count option: a whole number from 1 to `max`, or a one-line error. */
function count(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new BadInput(`--${name} must be a whole number from 1 to ${max}, not ${v}`);
  return v;
}

/** The positional guest and its arguments, and the options of a guest run. */
export function guestPositionals<T>(y: Argv<T>, what = 'an i386 ELF file, or a built-in guest (hello, cat, copy, ...)') {
  return y
    // Everything after `--` goes to the guest as it is, options and numbers alike.
    .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false })
    .positional('guest', { type: 'string', demandOption: true, describe: what })
    .positional('args', { type: 'string', array: true, default: [], describe: 'arguments for the guest (put them after -- when they look like options)' })
    .options(runOptions)
    .options({
      env: { type: 'string', array: true, default: [], describe: 'set NAME=VALUE in the guest\'s environment (repeatable; the environment is otherwise empty, as with qemu-i386 -E on an empty env)' },
    });
}

/** --env NAME=VALUE, each checked: a name without `=` or NUL, then the value. */
export function guestEnv(list: (string | number)[]): string[] {
  return list.map(String).map((item) => {
    if (!/^[^=\0]+=[^\0]*$/.test(item)) throw new BadInput(`--env ${JSON.stringify(item)}: give NAME=VALUE`);
    return item;
  });
}

/** A guest and what to run it with, from the parsed command line. */
export async function guestRun(a: GuestArgs, stdio: Stdio): Promise<{ guest: ReturnType<typeof readGuest>; options: RunOptions; personalityWhy: string }> {
  const guest = readGuest(a.guest);
  const { personality, why } = resolvePersonality(a.personality, guest.bytes, a.specialized);
  return {
    guest,
    personalityWhy: why,
    options: {
      argv: [guest.name, ...(a.args ?? []).map(String), ...(a['--'] ?? []).map(String)], envp: guestEnv(a.env ?? []), profile: platform(a.platform), personality,
      fs: await hostRoot(a.root, a.sysroot), exePath: guestExePath(guest.path, a.root), umask: (await loadHost()).hostUmask(), stdio, maxInstructions: parseLimit('--max-instructions', a.maxInstructions),
      maxKernelSteps: parseLimit('--max-kernel-steps', a.maxKernelSteps ?? LIMITS.kernelSteps.default),
      maxWriteBytes: parseLimit('--max-write-bytes', a.maxWriteBytes ?? LIMITS.writeBytes.default), jiffies: a.jiffies, clockStartMicros: clockStart(a.clockStart),
      seed: seedOf(a.seed ?? 1), maxMemory: a.maxMemory === undefined ? DEFAULT_MAX_MEMORY : memorySize(a.maxMemory),
      nodename: nodename(a.nodename),
      maxProcs: count('max-procs', a.maxProcs, 4096), quantum: count('quantum', a.quantum, 1_000_000_000),
      ...(a.vdso === 'on' || a.vdso === 'off' ? { vdso: a.vdso === 'on' } : {}),
    },
  };
}
