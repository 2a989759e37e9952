// Benchmark workloads. Each runs once in a fresh process (bench/child.ts) so that its
// peak memory is its own; the bench command puts each figure beside its reference.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, sharedDisassembler } from '../emulator/machine.js';
import { loadProgram } from '../emulator/loader.js';
import { SeededRandom } from '../kernel-model/random.js';
import { UnicornMemory } from '../emulator/memory.js';
import { Unicorn, X86_REG } from '../emulator/unicorn.js';
import { loadProfile } from '../kernel-model/platform.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { knownCallNames, GUEST_DIR } from '../cli/common.js';

export interface Measurement {
  workload: string;
  seconds: number;
  /** What the run did: guest instructions, or syscalls. */
  work: number;
  unit: 'instructions' | 'syscalls';
  maxRssKiB?: number;
}

const child = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'child.js');

/** One workload in a fresh process (bench/child.ts), with that process's peak memory. */
export function measure<T extends Measurement = Measurement>(kind: string, name: string, args: string[]): T {
  const r = spawnSync(process.execPath, [child, kind, name, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`benchmark ${kind} ${name} failed: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout);
}

/** The median run by time, with the highest peak memory of all runs. */
export function middle<T extends Measurement>(runs: T[]): T {
  const m = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)];
  return { ...m, maxRssKiB: Math.max(...runs.map((r) => r.maxRssKiB ?? 0)) || undefined };
}

const guest = (name: string) => `${GUEST_DIR}/${name}`;
const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** The guest on Unicorn with no hooks at all: the emulator's own speed. */
export function rawUnicorn(name: string, args: string[]): Measurement {
  const uc = new Unicorn();
  const { entry, esp } = loadProgram(new UnicornMemory(uc), fs.readFileSync(guest(name)), name, { argv: [name, ...args], envp: [], random: new SeededRandom() });
  uc.regWrite(X86_REG.ESP, esp);
  const start = process.hrtime.bigint();
  uc.emuStart(entry, 0xffffffff); // ends at the exit trap: no hook handles it
  const seconds = elapsed(start);
  uc.close();
  return { workload: `raw Unicorn, ${name}`, seconds, work: NaN, unit: 'instructions' };
}

/** The guest under syscluster: instruction counting, rdtsc, the kernel model. */
export async function accounted(name: string, args: string[]): Promise<Measurement> {
  const file = fs.readFileSync(guest(name));
  const o = {
    argv: [name, ...args], profile: loadProfile('p2-266', knownCallNames()), personality: personality('paper'),
    fs: new MemoryFileSystem(), stdio: new CapturedStdio(), maxInstructions: 1e12,
  };
  // Loading (parsing, mapping, the rdtsc sweep) is left out, as it is for the raw run.
  const m = new Machine(file, name, await sharedDisassembler(), o);
  const start = process.hrtime.bigint();
  const r = m.run();
  const seconds = elapsed(start);
  const l = r.kernel.ledger;
  return name !== 'getpid_loop'
    ? { workload: `syscluster, ${name}`, seconds, work: l.instructions, unit: 'instructions' }
    : { workload: `syscluster, ${name}`, seconds, work: l.syscalls, unit: 'syscalls' };
}

/** The same guest under qemu-i386, less qemu's start-up (a run with one iteration). */
export function qemu(name: string, args: string[], calls: number): Measurement {
  const time = (a: string[]) => {
    const start = process.hrtime.bigint();
    const r = spawnSync('qemu-i386', [guest(name), ...a], { stdio: 'ignore' });
    if (r.error) throw new Error('qemu-i386 not found: run ./setup.sh');
    return elapsed(start);
  };
  const startup = Math.min(time(['1']), time(['1']));
  return { workload: `qemu-i386, ${name}`, seconds: Math.max(time(args) - startup, 1e-9), work: calls, unit: 'syscalls' };
}
