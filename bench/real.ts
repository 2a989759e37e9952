// The real-program workload: Debian's static i386 busybox (`./setup.sh` fetches it into
// .cache/i386) compressing and hashing a generated file. A real program cannot run on
// Unicorn with no kernel behind it, so its raw run is Unicorn with one interrupt hook
// that hands each call to the same kernel model and nothing else: no block hook, no
// instruction counting, no rdtsc hooks. Its accounted run is `syscluster run`'s.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, sharedDisassembler, USER_CS, USER_DS, type RunOptions } from '../emulator/machine.js';
import { X86_REG } from '../emulator/unicorn.js';
import { loadProfile } from '../kernel-model/platform.js';
import type { Stdio } from '../kernel-model/vfs.js';
import { hostRoot, knownCallNames, resolvePersonality } from '../cli/common.js';
import { hookInterrupts } from './floor.js';
import { alternate } from './targets.js';
import { measure, middle, type Measurement } from './workloads.js';

export const BUSYBOX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.cache/i386/programs/bin/busybox');

/** The input file's name inside the workload's folder (the guest's root). */
export const INPUT = 'input.txt';

/** The applets measured: gzip (compute-heavy) and sha256sum (read-heavy). */
export const REAL_APPLETS: Record<string, string[]> = {
  gzip: ['gzip', '-c', INPUT],
  sha256sum: ['sha256sum', INPUT],
};

const WORDS = ['the', 'call', 'kernel', 'boundary', 'cluster', 'read', 'write', 'trap', 'entry', 'exit', 'cycle',
  'page', 'file', 'buffer', 'frame', 'decode', 'block', 'signal', 'process', 'table'];

/**
 * Writes `bytes` of text made of words and numbers drawn from a fixed generator: the same
 * file for the same size on every machine, compressible as prose is (busybox gzip makes it
 * about a quarter of its size). Written in chunks: memory stays flat in the size.
 */
export function writeRealInput(file: string, bytes: number): void {
  const fd = fs.openSync(file, 'w');
  let x = 12345, left = bytes;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8;
  try {
    while (left > 0) {
      const parts: string[] = [];
      let len = 0;
      while (len < 1 << 16) {
        const r = next();
        const w = r % 7 === 0 ? String(r % 10007) : WORDS[r % WORDS.length];
        const sep = r % 13 === 0 ? '\n' : ' ';
        parts.push(w, sep);
        len += w.length + 1;
      }
      const chunk = Buffer.from(parts.join(''), 'latin1').subarray(0, Math.min(left, 1 << 16));
      fs.writeSync(fd, chunk);
      left -= chunk.length;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Standard output hashed as it comes (SHA-256): its size never grows with the program's output. */
class HashingStdio implements Stdio {
  private readonly out = createHash('sha256');
  bytes = 0;
  err = '';
  readIn(): Uint8Array { return new Uint8Array(0); }
  writeOut(b: Uint8Array): void { this.out.update(b); this.bytes += b.length; }
  writeErr(b: Uint8Array): void { this.err += Buffer.from(b).toString('latin1'); }
  digest(): string { return this.out.digest('hex'); }
}

/** SHA-256 of a host file, read in chunks. */
export function sha256File(file: string): string {
  const h = createHash('sha256'), buf = Buffer.alloc(1 << 20), fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** A machine for busybox `applet` in `dir` (the guest's root), standard output hashed. */
async function realMachine(dir: string, applet: string): Promise<{ m: Machine; stdio: HashingStdio }> {
  const argv = REAL_APPLETS[applet];
  if (!argv) throw new Error(`unknown real-program workload ${applet}`);
  const bytes = fs.readFileSync(BUSYBOX);
  const stdio = new HashingStdio();
  const o: RunOptions = {
    argv: ['busybox', ...argv], envp: [], profile: loadProfile('p2-266', knownCallNames()), personality: resolvePersonality('auto', bytes).personality,
    fs: await hostRoot(dir, 'none'), exePath: BUSYBOX, stdio, maxInstructions: 1e13,
    // qemu-i386 maps no vDSO for i386 guests: both make every call by int 0x80.
    vdso: false,
  };
  return { m: new Machine(bytes, 'busybox', await sharedDisassembler(), o), stdio };
}

/** What a real-program run reports beside its time: its output's digest, for the check against qemu-i386. */
export interface RealMeasurement extends Measurement { stdoutSha256: string; stdoutBytes: number }

function ended(name: string, status: number | undefined, stdio: HashingStdio): void {
  if (status !== 0) throw new Error(`busybox ${name} exited with ${status ?? 'no status'}: ${stdio.err.trim().split('\n').pop() ?? ''}`);
}

/** busybox `applet` under syscluster (instruction counting, the kernel model), loading left out. */
export async function realAccounted(dir: string, applet: string): Promise<RealMeasurement> {
  const { m, stdio } = await realMachine(dir, applet);
  const start = process.hrtime.bigint();
  const r = m.run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  ended(applet, r.exitCode, stdio);
  return { workload: `syscluster, busybox ${applet}`, seconds, work: r.kernel.ledger.instructions, unit: 'instructions', stdoutSha256: stdio.digest(), stdoutBytes: stdio.bytes };
}

/** busybox `applet` on Unicorn with only an interrupt hook calling the kernel model, loading left out. */
export async function realRaw(dir: string, applet: string): Promise<RealMeasurement> {
  const { m, stdio } = await realMachine(dir, applet);
  const { uc, kernel } = m;
  m.hooks.detach(); // no block hook (no counting), no rdtsc hooks, not its interrupt hook
  let calls = 0;
  hookInterrupts(uc, () => {
    const r = (reg: number) => uc.regRead(reg);
    calls++;
    uc.regWrite(X86_REG.EAX, kernel.crossing({
      eax: r(X86_REG.EAX), ebx: r(X86_REG.EBX), ecx: r(X86_REG.ECX), edx: r(X86_REG.EDX), esi: r(X86_REG.ESI), edi: r(X86_REG.EDI),
      ebp: r(X86_REG.EBP), esp: r(X86_REG.ESP), eip: r(X86_REG.EIP), eflags: r(X86_REG.EFLAGS), cs: USER_CS, ds: USER_DS, es: USER_DS, ss: USER_DS,
    }, 0));
    if (kernel.exited) uc.emuStop();
  });
  uc.regWrite(X86_REG.ESP, m.esp);
  const start = process.hrtime.bigint();
  const err = uc.emuStart(m.entry, 0xffffffff);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const status = kernel.exitStatus;
  m.debugKill();
  if (err !== 0 && status === undefined) throw new Error(`busybox ${applet} on raw Unicorn stopped with Unicorn error ${err} after ${calls} calls`);
  ended(applet, status, stdio);
  return { workload: `raw Unicorn and the kernel model, busybox ${applet}`, seconds, work: calls, unit: 'syscalls', stdoutSha256: stdio.digest(), stdoutBytes: stdio.bytes };
}

export interface RealResult {
  applet: string;
  inputMiB: number;
  /** Standard output: identical (SHA-256) under qemu-i386, syscluster run, and both in-process runs. */
  outputBytes: number;
  outputSha256: string;
  instructions: number;
  calls: number;
  /** In-process, loading left out: accounted against raw Unicorn with the kernel model. */
  accountedSeconds: number;
  rawSeconds: number;
  /** raw seconds / accounted seconds (1 = counting costs nothing), as for the emulation guests. */
  ratio: number;
  accountedKiB: number;
  rawKiB: number;
  /** Whole processes: `syscluster run` against `qemu-i386` (wall time, peak memory by /usr/bin/time). */
  oursSeconds: number;
  qemuSeconds: number;
  /** syscluster's wall time / qemu-i386's. */
  qemuRatio: number;
  oursKiB: number;
  qemuKiB: number;
  /** The accounted run's peak memory on a 1 MiB input, for flatness in the size. */
  oneMiBKiB?: number;
}

export interface RealOptions { mib: number; repeat: number; cli: string; progress: (s: string) => void; applets?: string[] }

/** Whether ./setup.sh has fetched Debian's busybox (the workload runs only with it). */
export const haveBusybox = () => fs.existsSync(BUSYBOX);

/**
 * Each applet on a generated input of `mib` MiB: in-process accounted against raw
 * (alternated, medians), then `syscluster run` against `qemu-i386` as whole processes
 * (alternated, medians). The outputs are compared before any figure is returned.
 */
export function realPrograms(o: RealOptions): RealResult[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-real-'));
  const small = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-real-1-'));
  const out: RealResult[] = [];
  try {
    o.progress(`writing a ${o.mib} MiB input`);
    writeRealInput(path.join(dir, INPUT), Math.round(o.mib * 2 ** 20));
    if (o.mib > 1) writeRealInput(path.join(small, INPUT), 2 ** 20);
    for (const applet of o.applets ?? Object.keys(REAL_APPLETS)) {
      const raws: RealMeasurement[] = [], ourss: RealMeasurement[] = [];
      for (let i = 0; i < o.repeat; i++) {
        o.progress(`busybox ${applet}: raw ${i + 1}/${o.repeat}`);
        raws.push(measure<RealMeasurement>('real-raw', dir, [applet]));
        o.progress(`busybox ${applet}: accounted ${i + 1}/${o.repeat}`);
        ourss.push(measure<RealMeasurement>('real-ours', dir, [applet]));
      }
      const raw = middle(raws), ours = middle(ourss);
      const argv = REAL_APPLETS[applet].join(' ');
      const [run, q] = alternate([
        { argv: ['exec', process.execPath, o.cli, 'run', BUSYBOX, '--root', dir, '--max-instructions', '10000000000000', '--', argv, '>', path.join(dir, 'ours.out')], shell: true, label: `syscluster run busybox ${applet}` },
        { argv: ['cd', dir, '&&', 'exec', 'qemu-i386', BUSYBOX, argv, '>', 'qemu.out'], shell: true, label: `qemu-i386 busybox ${applet}` },
      ], o.repeat, o.progress);
      const digests = new Set([sha256File(path.join(dir, 'qemu.out')), sha256File(path.join(dir, 'ours.out')), ...raws.map((r) => r.stdoutSha256), ...ourss.map((r) => r.stdoutSha256)]);
      if (digests.size !== 1) throw new Error(`busybox ${applet}: the output under syscluster differs from qemu-i386's (${digests.size} distinct digests): no figures`);
      const oneMiB = o.mib > 1 ? measure('real-ours', small, [applet]).maxRssKiB : undefined;
      out.push({
        applet, inputMiB: o.mib, outputBytes: ours.stdoutBytes, outputSha256: ours.stdoutSha256, instructions: ours.work, calls: raw.work,
        accountedSeconds: ours.seconds, rawSeconds: raw.seconds, ratio: raw.seconds / ours.seconds, accountedKiB: ours.maxRssKiB ?? 0, rawKiB: raw.maxRssKiB ?? 0,
        oursSeconds: run.seconds, qemuSeconds: q.seconds, qemuRatio: run.seconds / q.seconds, oursKiB: run.maxRssKiB, qemuKiB: q.maxRssKiB, oneMiBKiB: oneMiB,
      });
      for (const f of ['ours.out', 'qemu.out']) fs.rmSync(path.join(dir, f), { force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(small, { recursive: true, force: true });
  }
  return out;
}
