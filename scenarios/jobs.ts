// One guest run of a scenario, described as data so that it can run in a worker thread,
// and its result reduced to what the scenarios compare.
import { createHash } from 'node:crypto';
import { cyclesToMicros, type Ledger, type PlatformProfile } from '../kernel-model/cost.js';
import { personality, type PersonalityName } from '../kernel-model/table.js';
import { mpegStream, pseudoRandomBytes } from './inputs.js';
import { runScenarioGuest } from './guests.js';

export type InputSpec = { kind: 'random'; bytes: number } | { kind: 'mpeg'; bytes: number; frames: number; seed: number };

export interface Job {
  id: string;
  guest: string;
  args: string[];
  profile: PlatformProfile;
  /** Guest path → how to make its content. */
  inputs: Record<string, InputSpec>;
  jiffies?: boolean;
  maxInstructions?: number;
  /** The syscall numbering (default the paper's): io_uring and exception-less calls need the modern one. */
  personality?: PersonalityName;
  /** Map the vDSO (default: as `--vdso auto`, on under the modern personality only). */
  vdso?: boolean;
}

export interface JobResult {
  id: string;
  exitCode: number;
  outcome: string;
  stdout: string;
  stderr: string;
  ledger: ReturnType<Ledger['toJSON']>;
  /** Simulated wall time of the run, in microseconds. */
  micros: number;
  /** sha256 and size of every file the run left. */
  files: Record<string, { sha256: string; bytes: number }>;
}

const made = new Map<string, Uint8Array>();
function makeInput(spec: InputSpec): Uint8Array {
  const key = JSON.stringify(spec);
  let data = made.get(key);
  if (!data) {
    data = spec.kind === 'random' ? pseudoRandomBytes(spec.bytes) : mpegStream(spec.bytes, spec.frames, spec.seed);
    made.set(key, data);
  }
  return data;
}

export async function runJob(job: Job): Promise<JobResult> {
  const files = Object.fromEntries(Object.entries(job.inputs).map(([p, spec]) => [p, makeInput(spec)]));
  const r = await runScenarioGuest(job.guest, job.args, job.profile, {
    files, jiffies: job.jiffies, maxInstructions: job.maxInstructions ?? 20_000_000_000, personality: personality(job.personality ?? 'paper'),
    ...(job.vdso !== undefined ? { vdso: job.vdso } : {}),
  });
  const l = r.kernel.ledger;
  return {
    id: job.id, exitCode: r.exitCode, outcome: r.outcome.kind, stdout: r.stdout, stderr: r.stderr, ledger: l.toJSON(),
    micros: cyclesToMicros(job.profile, l.totalCycles) + l.blockedMicros,
    files: Object.fromEntries(r.fs.paths().map((p) => {
      const data = r.fs.contents(p)!;
      return [p, { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length }];
    })),
  };
}
