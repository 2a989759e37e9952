// What the command handlers share: reading a guest, choosing a platform and a
// personality, and turning bad input into one line and exit code 2.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadInput } from '../emulator/elf.js';
import { LIMITS, parseLimit } from '../kernel-model/limits.js';
import type { Argv } from 'yargs';
import type { RunOptions } from '../emulator/machine.js';
import { HostFileSystem, type Stdio } from '../kernel-model/vfs.js';
import type { PlatformProfile } from '../kernel-model/cost.js';
import { ProfileError, loadProfile } from '../kernel-model/platform.js';
import { builtinSpecialized, loadSpecialized, personality, type Personality, type PersonalityName, UNIMPLEMENTED } from '../kernel-model/table.js';
import { SpecializedError } from '../kernel-model/specialized.js';

export { BadInput };

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built guests: guest/build beside dist/. */
export const GUEST_DIR = path.resolve(here, '../../guest/build');

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
  try {
    return { bytes: fs.readFileSync(file), name: spec, path: file };
  } catch (err) {
    throw new BadInput(`${spec}: cannot read (${(err as { code?: string }).code ?? err})`);
  }
}

/** Every syscall name a profile may price. */
export function knownCallNames(): Set<string> {
  const names = new Set<string>();
  for (const p of ['paper', 'modern'] as const) for (const s of personality(p).table.values()) names.add(s.name);
  for (const [, n] of UNIMPLEMENTED) names.add(n);
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
  if (name !== 'paper' && name !== 'modern') throw new BadInput(`unknown personality "${name}" (paper or modern)`);
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
  platform: { type: 'string', default: 'p2-266', describe: 'platform profile: a built-in name or a JSON file' },
  personality: { type: 'string', default: 'paper', choices: ['paper', 'modern'], describe: 'syscall numbering' },
  specialized: { type: 'string', describe: 'a JSON file of specialized-call definitions to add (see docs/specialized.md)' },
  'max-instructions': { type: 'string', default: String(LIMITS.instructions.default), describe: 'stop a runaway guest after exactly this many instructions (exit code 152)' },
  'max-kernel-steps': { type: 'string', default: String(LIMITS.kernelSteps.default), describe: 'stop after the kernel has run this many steps of multi-calls and specialized calls (exit code 152)' },
  'max-write-bytes': { type: 'string', default: String(LIMITS.writeBytes.default), describe: 'stop once the guest has written this many bytes (exit code 152)' },
  jiffies: { type: 'boolean', default: false, describe: 'round sleeps to timer ticks (HZ) as Linux 2.4 does' },
  'clock-start': { type: 'string', default: '2002-01-01T00:00:00Z', describe: 'the simulated wall clock at the first instruction (ISO date or seconds since the epoch)' },
} as const;

/** --clock-start as microseconds since the epoch. */
export function clockStart(text: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms) || ms < 0) throw new BadInput(`--clock-start ${text}: not a date or a number of seconds`);
  return Math.round(ms * 1000);
}

/** Writes a file, creating its folder; a failure is bad input (exit 2), not a crash. */
export function writeOutput(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (err) {
    throw new BadInput(`cannot write ${file}: ${(err as { code?: string }).code ?? err}`);
  }
}

/** Opens a file for writing (an fd), creating its folder; a failure is bad input. */
export function openOutput(file: string): number {
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return fs.openSync(file, 'w');
  } catch (err) {
    throw new BadInput(`cannot write ${file}: ${(err as { code?: string }).code ?? err}`);
  }
}

/** A host directory as the guest's root, or bad input. */
export function hostRoot(root: string): HostFileSystem {
  try {
    return new HostFileSystem(root);
  } catch {
    throw new BadInput(`--root ${root}: no such directory`);
  }
}

/** The options every command that runs a guest takes, as parsed by yargs. */
export interface GuestArgs {
  guest: string;
  args?: (string | number)[];
  root: string;
  platform: string;
  personality: string;
  specialized?: string;
  maxInstructions: string | number;
  maxKernelSteps?: string | number;
  maxWriteBytes?: string | number;
  jiffies: boolean;
  clockStart: string;
}

/** The positional guest and its arguments, and the options of a guest run. */
export function guestPositionals<T>(y: Argv<T>, what = 'an i386 ELF file, or a built-in guest (hello, cat, copy, ...)') {
  return y
    .positional('guest', { type: 'string', demandOption: true, describe: what })
    .positional('args', { type: 'string', array: true, default: [], describe: 'arguments for the guest' })
    .options(runOptions);
}

/** A guest and what to run it with, from the parsed command line. */
export function guestRun(a: GuestArgs, stdio: Stdio): { guest: ReturnType<typeof readGuest>; options: RunOptions } {
  const guest = readGuest(a.guest);
  return {
    guest,
    options: {
      argv: [guest.name, ...(a.args ?? []).map(String)], profile: platform(a.platform), personality: choosePersonality(a.personality, a.specialized),
      fs: hostRoot(a.root), stdio, maxInstructions: parseLimit('--max-instructions', a.maxInstructions),
      maxKernelSteps: parseLimit('--max-kernel-steps', a.maxKernelSteps ?? LIMITS.kernelSteps.default),
      maxWriteBytes: parseLimit('--max-write-bytes', a.maxWriteBytes ?? LIMITS.writeBytes.default), jiffies: a.jiffies, clockStartMicros: clockStart(a.clockStart),
    },
  };
}
