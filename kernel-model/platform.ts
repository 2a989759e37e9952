// Platform profiles: built-in ones live in platforms/*.json; a user may pass a file.
// Every field is checked, and a bad one is named in a one-line error.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTRY_PATHS, MILLI_PER_CYCLE, PTI_MODES, SPECTRE_V2_MODES, resolveProfile, type CrossingChoice, type EntryPath, type PlatformProfile } from './cost.js';
import { UserError } from './limits.js';

export class ProfileError extends UserError {}

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/kernel-model → the repository's platforms/ folder. */
export const PLATFORM_DIR = path.resolve(here, '../../platforms');
export const DEFAULT_PLATFORM = 'p2-266';

export function builtinPlatforms(): string[] {
  return fs.readdirSync(PLATFORM_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** The shape every profile must have: each leaf is a non-negative number, except where noted. */
const NUMERIC_FIELDS = [
  'clock_mhz', 'user.cycles_per_instruction', 'user.rdtsc_extra_cycles',
  'boundary.entry_cycles', 'boundary.exit_cycles', 'boundary.cr3_switch_cycles', 'dispatch_cycles',
  'copy.from_user_cycles_per_byte', 'copy.to_user_cycles_per_byte',
  'multicall.base_cycles', 'multicall.per_entry_cycles',
  'specialized.base_cycles', 'specialized.inlined_step_saving_cycles', 'batch.warm_step_saving_cycles', 'timer.hz',
];

/** The ledger counts in thousandths of a cycle (cost.ts, MILLI_PER_CYCLE): constants must fit. */
const wholeMilli = (v: number) => Math.abs(v * MILLI_PER_CYCLE - Math.round(v * MILLI_PER_CYCLE)) < 1e-6;

function at(obj: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

/**
 * Validates a parsed profile. `knownCalls` are the syscall names handler_cycles may use.
 */
export function validateProfile(raw: unknown, where: string, knownCalls: Set<string>): PlatformProfile {
  const fail = (field: string, why: string): never => { throw new ProfileError(`${where}: field "${field}" ${why}`); };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ProfileError(`${where}: a profile must be a JSON object`);
  for (const f of ['name', 'description']) if (typeof at(raw, f) !== 'string') fail(f, 'is missing or not a string');
  for (const f of NUMERIC_FIELDS) {
    const v = at(raw, f);
    if (v === undefined) fail(f, 'is missing');
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(f, `must be a number, not ${JSON.stringify(v)}`);
    if ((v as number) < 0) fail(f, `must not be negative (${v})`);
    if (f !== 'clock_mhz' && f !== 'timer.hz' && !wholeMilli(v as number)) fail(f, `must be a whole number of thousandths of a cycle (${v})`);
  }
  const ctx = at(raw, 'context_switch_cycles');
  if (ctx !== undefined && (typeof ctx !== 'number' || !Number.isFinite(ctx) || ctx < 0)) fail('context_switch_cycles', `must be a non-negative number, not ${JSON.stringify(ctx)}`);
  if ((at(raw, 'clock_mhz') as number) === 0) fail('clock_mhz', 'must be above zero');
  if ((at(raw, 'timer.hz') as number) === 0) fail('timer.hz', 'must be above zero');
  const handlers = at(raw, 'handler_cycles');
  if (!handlers || typeof handlers !== 'object' || Array.isArray(handlers)) fail('handler_cycles', 'is missing or not an object');
  for (const [name, v] of Object.entries(handlers as Record<string, unknown>)) {
    if (name !== 'default' && !knownCalls.has(name)) fail(`handler_cycles.${name}`, 'names no known syscall');
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`handler_cycles.${name}`, `must be a number, not ${JSON.stringify(v)}`);
    if ((v as number) < 0) fail(`handler_cycles.${name}`, `must not be negative (${v})`);
    if (!wholeMilli(v as number)) fail(`handler_cycles.${name}`, `must be a whole number of thousandths of a cycle (${v})`);
  }
  if (typeof (handlers as Record<string, unknown>).default !== 'number') fail('handler_cycles.default', 'is missing');
  checkMechanisms(raw, fail);
  const sources = at(raw, 'sources');
  if (sources !== undefined && (typeof sources !== 'object' || Array.isArray(sources))) fail('sources', 'must be an object of strings');
  return resolveProfile({ ...(raw as PlatformProfile), sources: (sources ?? {}) as Record<string, string> });
}

/** The optional blocks of docs/mechanisms.md: entry paths, mitigations, indirect cost, exception-less calls. */
function checkMechanisms(raw: object, fail: (field: string, why: string) => never): void {
  const num = (f: string) => {
    const v = at(raw, f);
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(f, `must be a number, not ${JSON.stringify(v)}`);
    if ((v as number) < 0) fail(f, `must not be negative (${v})`);
  };
  const oneOf = (f: string, allowed: readonly string[]) => {
    const v = at(raw, f);
    if (typeof v !== 'string' || !allowed.includes(v)) fail(f, `must be one of ${allowed.join(', ')}, not ${JSON.stringify(v)}`);
  };
  if (at(raw, 'entry_paths') !== undefined) {
    for (const path of ENTRY_PATHS) for (const f of ['entry_cycles', 'exit_cycles']) num(`entry_paths.${path}.${f}`);
  }
  if (at(raw, 'mitigations') !== undefined) {
    oneOf('mitigations.pti', PTI_MODES);
    oneOf('mitigations.spectre_v2', SPECTRE_V2_MODES);
    for (const f of ['pti_pcid_cycles', 'pti_nopcid_cycles', 'ibrs_cycles', 'retpoline_cycles']) num(`mitigations.${f}`);
    if (at(raw, 'boundary.cr3_switch_cycles') !== 0) fail('boundary.cr3_switch_cycles', 'must be 0 when "mitigations" gives the page-table isolation costs');
  }
  if (at(raw, 'indirect') !== undefined) {
    num('indirect.peak_cycles_per_instruction');
    num('indirect.decay_instructions');
  }
  if (at(raw, 'flexsc') !== undefined) {
    num('flexsc.worker_entry_cycles');
    num('flexsc.line_transfer_cycles');
  }
}

/**
 * A built-in name (p2-266) or a path to a JSON file, optionally followed by a choice of
 * entry path and mitigations for profiles that cost them (docs/mechanisms.md):
 * `skylake-2018:sysenter+pti=nopcid+spectre_v2=ibrs`.
 */
export function loadProfile(spec: string, knownCalls: Set<string>): PlatformProfile {
  const colon = spec.lastIndexOf(':');
  if (colon <= 0 || spec.slice(colon + 1).includes('/')) return loadProfileFile(spec, knownCalls);
  const profile = loadProfileFile(spec.slice(0, colon), knownCalls);
  return { ...resolveProfile(profile, parseChoice(spec.slice(colon + 1), profile)), name: `${profile.name}:${spec.slice(colon + 1)}` };
}

/** `sysenter+pti=nopcid+spectre_v2=ibrs` → a CrossingChoice; a bad word is a one-line error. */
export function parseChoice(text: string, profile: PlatformProfile): CrossingChoice {
  const choice: CrossingChoice = {};
  const bad = (why: string): never => { throw new ProfileError(`platform choice "${text}": ${why}`); };
  for (const word of text.split('+').filter(Boolean)) {
    const [key, value] = word.split('=');
    if (value === undefined) {
      if (!(ENTRY_PATHS as readonly string[]).includes(key)) bad(`"${key}" is not an entry path (${ENTRY_PATHS.join(', ')})`);
      if (!profile.entry_paths) bad(`profile ${profile.name} gives no entry paths`);
      choice.path = key as EntryPath;
    } else if (key === 'pti' || key === 'spectre_v2') {
      const allowed: readonly string[] = key === 'pti' ? PTI_MODES : SPECTRE_V2_MODES;
      if (!allowed.includes(value)) bad(`${key} must be one of ${allowed.join(', ')}`);
      if (!profile.mitigations) bad(`profile ${profile.name} gives no mitigation costs`);
      (choice as Record<string, string>)[key] = value;
    } else bad(`unknown setting "${key}" (pti=, spectre_v2=, or an entry path)`);
  }
  return choice;
}

function loadProfileFile(nameOrPath: string, knownCalls: Set<string>): PlatformProfile {
  const builtin = path.join(PLATFORM_DIR, `${nameOrPath}.json`);
  const file = /^[a-z0-9-]+$/.test(nameOrPath) && fs.existsSync(builtin) ? builtin : nameOrPath;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' && !nameOrPath.includes('/') && !nameOrPath.endsWith('.json')) {
      throw new ProfileError(`unknown platform "${nameOrPath}" (built-in: ${builtinPlatforms().join(', ')}; or give a JSON file)`);
    }
    throw new ProfileError(`cannot read platform file ${file}: ${code ?? String(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ProfileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return validateProfile(raw, file, knownCalls);
}
