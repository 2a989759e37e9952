// Running built guests for scenarios: in this process, output captured, files in memory.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGuest, type RunOptions, type RunResult } from '../emulator/machine.js';
import type { PlatformProfile } from '../kernel-model/cost.js';
import { personality, type Personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const GUEST_BUILD = path.resolve(here, '../../guest/build');
export const REFERENCE = path.resolve(here, '../../reference/paper-tables.json');

const cache = new Map<string, Uint8Array>();
export function guestFile(name: string): Uint8Array {
  let f = cache.get(name);
  if (!f) {
    f = fs.readFileSync(path.join(GUEST_BUILD, name));
    cache.set(name, f);
  }
  return f;
}

export interface GuestRun extends RunResult {
  stdout: string;
  stderr: string;
  fs: MemoryFileSystem;
}

export interface ScenarioRunOptions extends Partial<Omit<RunOptions, 'argv' | 'profile'>> {
  files?: Record<string, Uint8Array>;
  personality?: Personality;
}

/** Runs a built guest with its files in memory; a guest that does not exit cleanly is an error. */
export async function runScenarioGuest(name: string, args: string[], profile: PlatformProfile, o: ScenarioRunOptions = {}): Promise<GuestRun> {
  const stdio = new CapturedStdio();
  const files = new MemoryFileSystem(o.files ?? {});
  const r = await runGuest(guestFile(name), name, {
    personality: personality('paper'), stdio, warn: () => {}, ...o, fs: files, argv: [name, ...args], profile,
  });
  return { ...r, stdout: stdio.stdout(), stderr: stdio.stderr(), fs: files };
}

/** The paper's numbers, as data. */
export function paperTables(): any {
  return JSON.parse(fs.readFileSync(REFERENCE, 'utf8'));
}

/** Parses `key value key value ...` lines a guest prints into records. */
export function parseGuestLines(stdout: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const line of stdout.trim().split('\n')) {
    const [name, ...rest] = line.trim().split(/\s+/);
    if (rest.length === 1) out[name] = { value: Number(rest[0]) };
    else {
      const rec: Record<string, number> = {};
      for (let i = 0; i + 1 < rest.length; i += 2) rec[rest[i]] = Number(rest[i + 1]);
      out[name] = rec;
    }
  }
  return out;
}
