// A fuzz worker: runs guest cases in this process, one at a time, as the parent sends
// them (no process start-up per case). The parent kills and replaces a worker that
// hangs or dies; a thrown error that is not bad input is reported as a crash.
import fs from 'node:fs';
import path from 'node:path';
import { BadInput } from '../emulator/elf.js';
import { runGuest } from '../emulator/machine.js';
import { loadProfile } from '../kernel-model/platform.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio } from '../kernel-model/vfs.js';
import { HostFileSystem } from '../host/hostfs.js';
import { knownCallNames } from '../cli/common.js';
import { ROOT, type FuzzCase } from './cases.js';

export interface WorkerRequest { id: number; c: FuzzCase; dir: string }
export interface WorkerReply { id: number; ok: boolean; badInput?: boolean; detail: string; stdout: string; exitCode?: number }

const profile = loadProfile('p2-266', knownCallNames());

async function runOne({ id, c, dir }: WorkerRequest): Promise<WorkerReply> {
  const g = c.guest!;
  const file = fs.existsSync(path.join(dir, g.file)) ? path.join(dir, g.file) : path.join(ROOT, 'guest/build', g.file);
  const stdio = new CapturedStdio(Buffer.from(g.stdin ?? ''));
  try {
    const r = await runGuest(new Uint8Array(fs.readFileSync(file)), g.file, {
      argv: [g.file, ...g.argv.map((a) => a.replaceAll('@WORK', dir))], profile, personality: personality('paper'),
      fs: new HostFileSystem(path.join(dir, 'root')), stdio, maxInstructions: g.maxInstructions, warn: () => {},
    });
    return { id, ok: true, detail: JSON.stringify(r.outcome), stdout: stdio.stdout(), exitCode: r.exitCode };
  } catch (err) {
    if (err instanceof BadInput) return { id, ok: true, badInput: true, detail: (err as Error).message, stdout: stdio.stdout() };
    return { id, ok: false, detail: (err as Error)?.stack ?? String(err), stdout: stdio.stdout() };
  }
}

process.on('message', (m: WorkerRequest) => {
  runOne(m).then((reply) => process.send!(reply), (err) => process.send!({ id: m.id, ok: false, detail: String(err), stdout: '' }));
});
