// The guest kit: building a student's C files into a syscluster guest with the project's
// runtime, the same flags and files guest/Makefile uses (guest/runtime/kit.mk).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSpecialized, personality } from '../kernel-model/table.js';
import { SpecializedError } from '../kernel-model/specialized.js';
import { specializedHeader } from '../scripts/stubs.js';
import { BadInput } from './common.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** guest/ of this checkout: runtime/ (sources, kit.mk) and build/ (generated stubs). */
export const GUEST_ROOT = path.resolve(here, '../../guest');

/** The variables of kit.mk (`NAME := words`, with `\` continuations). */
export function kitVariables(file = path.join(GUEST_ROOT, 'runtime/kit.mk')): Record<string, string[]> {
  const text = fs.readFileSync(file, 'utf8').replace(/\\\n/g, ' ');
  const vars: Record<string, string[]> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)\s*:=\s*(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2].trim().split(/\s+/).filter(Boolean);
  }
  return vars;
}

export interface BuildRequest {
  sources: string[];
  output: string;
  /** A definitions file: its calls get specialized.h. */
  specialized?: string;
  /** The C compiler (default: $CC or gcc). */
  cc?: string;
  /** Extra -D/-I/-O/-g/-W flags for the compiler. */
  extra?: string[];
}

export class CompileFailed extends Error {}

/** One line that says why gcc cannot make i386 code here, or undefined when it can. */
export function checkCompiler(cc: string): string | undefined {
  const r = spawnSync(cc, ['-m32', '-ffreestanding', '-nostdlib', '-x', 'c', '-c', '-o', os.devNull, '-'], { input: 'int x;\n', encoding: 'utf8' });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${cc} not found: install a C compiler (on Debian: apt-get install gcc)`;
  if (r.error && r.status === null) return `cannot run ${cc} (${code ?? r.error.message})`;
  if (r.status !== 0) {
    const first = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    return `${cc} cannot build 32-bit i386 code here (${cc} -m32 failed: ${first}); syscluster needs a gcc whose assembler and linker know i386 (binutils on amd64 Debian does; no multilib packages are needed)`;
  }
  return undefined;
}

/** Builds the guest; gcc's own messages go to stderr. Returns the command that ran. */
export function buildGuest(req: BuildRequest): string[] {
  const cc = req.cc ?? process.env.CC ?? 'gcc';
  for (const s of req.sources) {
    if (!fs.existsSync(s)) throw new BadInput(`${s}: no such file`);
    if (!/\.(c|S|s)$/.test(s)) throw new BadInput(`${s}: not a C or assembly source (.c, .S, .s)`);
  }
  const build = path.join(GUEST_ROOT, 'build');
  if (!fs.existsSync(path.join(build, 'usys.S'))) throw new BadInput(`the guest runtime is not built (${build}/usys.S missing): run npm run build`);
  const why = checkCompiler(cc);
  if (why) throw new BadInput(why);
  const vars = kitVariables();
  const includes = ['-I', path.join(GUEST_ROOT, 'runtime'), '-I', build];
  let tmp: string | undefined;
  const defines: string[] = [];
  if (req.specialized) {
    let names: string[];
    let table;
    try {
      const defs = loadSpecialized(req.specialized);
      names = defs.map((d) => d.name);
      table = personality('paper', defs);
    } catch (err) {
      if (err instanceof SpecializedError) throw new BadInput(err.message);
      throw err;
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-cc-'));
    fs.writeFileSync(path.join(tmp, 'specialized.h'), specializedHeader(table, names, path.basename(req.specialized)));
    includes.unshift('-I', tmp);
    defines.push('-DSYSCLUSTER_SPECIALIZED');
  }
  const runtime = vars.KIT_RUNTIME.map((f) => path.join(GUEST_ROOT, f));
  const args = [...vars.KIT_CFLAGS, ...vars.KIT_LDFLAGS, ...includes, ...defines, ...(req.extra ?? []), '-o', req.output, ...runtime, ...req.sources];
  try {
    const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new CompileFailed(`${cc} failed (exit ${r.status ?? r.signal}): ${req.output} not built`);
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
  return [cc, ...args];
}

/** specialized.h for a definitions file, without building anything (`cc --header`). */
export function headerFor(file: string): string {
  try {
    const defs = loadSpecialized(file);
    return specializedHeader(personality('paper', defs), defs.map((d) => d.name), path.basename(file));
  } catch (err) {
    if (err instanceof SpecializedError) throw new BadInput(err.message);
    throw err;
  }
}
