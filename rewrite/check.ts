// The proof of a rewrite: the original and the rewritten program run with the same
// arguments, each in its own scratch copy of the working directory, and must leave the
// same standard output and error, exit code and files, with fewer crossings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runGuest } from '../emulator/machine.js';
import { HostFileSystem } from '../host/hostfs.js';
import type { PlatformProfile } from '../kernel-model/cost.js';
import type { Personality } from '../kernel-model/table.js';
import { CapturedStdio } from '../kernel-model/vfs.js';
import { whatIf, type WhatIf } from '../profiler/whatif.js';
import { recordTrace } from '../trace/record.js';

/** The most a working directory may hold to be copied twice for a check. */
export const MAX_CHECK_BYTES = 256 * 1024 * 1024;
const SKIPPED = new Set(['.git', 'node_modules']);

export class CheckError extends Error {}

export interface RunSide { exitCode: number; stdout: string; stderr: string; crossings: number; cycles: number }
export interface CheckResult {
  ok: boolean;
  /** Why the rewritten program does not pass, when it does not. */
  why?: string;
  original: RunSide;
  rewritten: RunSide;
  estimate: WhatIf;
}

export interface CheckOptions {
  workdir: string;
  name: string;
  exePath: string;
  args: string[];
  profile: PlatformProfile;
  personality: Personality;
  sysroot?: string;
  maxInstructions?: number;
  /** The rewritten regions' calls, for the what-if estimate. */
  clusters: string[][];
}

/** Copies `from` into `to` (regular files, folders and symlinks as they are); too much is an error. */
function copyTree(from: string, to: string): void {
  let total = 0;
  const walk = (src: string, dst: string) => {
    for (const e of fs.readdirSync(src, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (SKIPPED.has(e.name)) continue;
      const s = path.join(src, e.name), d = path.join(dst, e.name);
      if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(s), d);
      else if (e.isDirectory()) { fs.mkdirSync(d); walk(s, d); }
      else if (e.isFile()) {
        total += fs.statSync(s).size;
        if (total > MAX_CHECK_BYTES) throw new CheckError(`${from}: more than ${MAX_CHECK_BYTES} bytes to copy for --check; run it from a smaller working directory`);
        fs.copyFileSync(s, d);
      }
    }
  };
  walk(from, to);
}

/** Every entry under `dir`: path → kind and content (files' bytes as base64, links' targets). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name), r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) out.set(r, `link ${fs.readlinkSync(p)}`);
      else if (e.isDirectory()) { out.set(r, `dir ${fs.statSync(p).mode & 0o7777}`); walk(p, r); }
      else out.set(r, `file ${fs.statSync(p).mode & 0o7777} ${fs.readFileSync(p).toString('base64')}`);
    }
  };
  walk(dir, '');
  return out;
}

function filesDiffer(a: Map<string, string>, b: Map<string, string>): string | undefined {
  for (const [p, v] of a) {
    if (!b.has(p)) return `${p} is left by the original only`;
    if (b.get(p) !== v) return `${p} differs`;
  }
  for (const p of b.keys()) if (!a.has(p)) return `${p} is left by the rewritten program only`;
  return undefined;
}

export async function checkRewrite(original: Uint8Array, rewritten: Uint8Array, o: CheckOptions): Promise<CheckResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-check-'));
  try {
    const dirs = ['original', 'rewritten'].map((n) => path.join(scratch, n));
    for (const d of dirs) { fs.mkdirSync(d); copyTree(o.workdir, d); }
    const options = (dir: string, stdio: CapturedStdio, root: HostFileSystem) => ({
      argv: [o.name, ...o.args], profile: o.profile, personality: o.personality, fs: root, exePath: o.exePath,
      stdio, maxInstructions: o.maxInstructions, warn: () => {},
    });
    const side = async (bytes: Uint8Array, dir: string, traced: boolean) => {
      const stdio = new CapturedStdio();
      const root = new HostFileSystem(dir, o.sysroot);
      try {
        if (traced) {
          const t = await recordTrace(bytes, o.name, options(dir, stdio, root));
          const l = t.trace.footer!.ledger;
          return { side: { exitCode: t.exitCode, stdout: stdio.stdout(), stderr: stdio.stderr(), crossings: l.crossings, cycles: l.cycles.total }, trace: t.trace };
        }
        const r = await runGuest(bytes, o.name, options(dir, stdio, root));
        const l = r.kernel.ledger.toJSON();
        return { side: { exitCode: r.exitCode, stdout: stdio.stdout(), stderr: stdio.stderr(), crossings: l.crossings, cycles: l.cycles.total } };
      } finally {
        root.close();
      }
    };
    const a = await side(original, dirs[0], true);
    const b = await side(rewritten, dirs[1], false);
    const estimate = whatIf(a.trace!, o.clusters, 'multicall');
    let why: string | undefined;
    if (b.side.exitCode !== a.side.exitCode) why = `exit code ${b.side.exitCode}, the original's ${a.side.exitCode}`;
    else if (b.side.stdout !== a.side.stdout) why = 'standard output differs';
    else if (b.side.stderr !== a.side.stderr) why = 'standard error differs';
    else why = filesDiffer(snapshot(dirs[0]), snapshot(dirs[1]));
    if (!why && b.side.crossings >= a.side.crossings) why = `${b.side.crossings} crossings, not fewer than the original's ${a.side.crossings}`;
    return { ok: !why, why, original: a.side, rewritten: b.side, estimate };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
