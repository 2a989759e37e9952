// Runs scenario jobs on worker threads, one per core: each guest run is independent,
// so a scenario's runs spread over the machine. The longest jobs go first (longest
// processing time first), so that no core idles at the end waiting on a long job started
// late; the schedule's critical path is reported.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Job, JobResult } from './jobs.js';

export type Progress = (done: number, total: number, last: string) => void;

const WORKER = new URL('./worker.js', import.meta.url);

/** How a run went on the pool: each job's wall time, and the whole. */
export interface Schedule {
  threads: number;
  seconds: number;
  jobs: { id: string; worker: number; start: number; seconds: number }[];
}

/**
 * A job's expected work, in arbitrary units, from its description: decoding a stream
 * costs by the frame, copying by the byte and by the call (bytes over the block size).
 */
export function estimatedWork(job: Job): number {
  let work = 0;
  for (const spec of Object.values(job.inputs)) {
    if (spec.kind === 'mpeg') work += spec.frames * 2e6;
    else {
      const block = Number(job.args[2]);
      work += spec.bytes * 4 + (Number.isFinite(block) && block > 0 ? (spec.bytes / block) * 3000 : 0);
    }
  }
  return work;
}

/** Longest first; ties keep their order. */
export const longestFirst = (jobs: Job[]): Job[] => jobs.map((j, i) => ({ j, i, w: estimatedWork(j) }))
  .sort((a, b) => b.w - a.w || a.i - b.i).map((x) => x.j);

export async function runJobs(jobs: Job[], progress?: Progress, threads = os.availableParallelism(), schedule?: (s: Schedule) => void): Promise<Map<string, JobResult>> {
  const results = new Map<string, JobResult>();
  const queue = longestFirst(jobs);
  const n = Math.max(1, Math.min(threads, jobs.length));
  const t0 = performance.now();
  const timing: Schedule['jobs'] = [];
  let done = 0;
  const one = (worker: Worker, w: number) => new Promise<void>((resolve, reject) => {
    const next = () => {
      const job = queue.shift();
      if (!job) { resolve(); return; }
      const start = performance.now();
      worker.once('message', (m: { result?: JobResult; error?: string }) => {
        if (m.error) { reject(new Error(`${job.id}: ${m.error}`)); return; }
        timing.push({ id: job.id, worker: w, start: (start - t0) / 1000, seconds: (performance.now() - start) / 1000 });
        results.set(job.id, m.result!);
        progress?.(++done, jobs.length, job.id);
        next();
      });
      worker.postMessage(job);
    };
    worker.once('error', reject);
    next();
  });
  const workers = Array.from({ length: n }, () => new Worker(WORKER));
  try {
    await Promise.all(workers.map(one));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  schedule?.({ threads: n, seconds: (performance.now() - t0) / 1000, jobs: timing });
  return results;
}

/** The schedule in one line: the wall time, the bound, the critical path (the worker that finished last). */
export function describeSchedule(s: Schedule): string {
  if (s.jobs.length === 0) return 'no guest runs';
  const byWorker = new Map<number, Schedule['jobs']>();
  for (const j of s.jobs) byWorker.set(j.worker, [...(byWorker.get(j.worker) ?? []), j]);
  const last = [...byWorker.values()].map((js) => ({ js, end: Math.max(...js.map((j) => j.start + j.seconds)) })).sort((a, b) => b.end - a.end)[0];
  const total = s.jobs.reduce((a, j) => a + j.seconds, 0);
  const longest = s.jobs.reduce((a, j) => (j.seconds > a.seconds ? j : a));
  const bound = Math.max(longest.seconds, total / s.threads);
  // The worker that finished last, in one line however many runs it made: its longest three.
  const shown = [...last.js].sort((a, b) => b.seconds - a.seconds).slice(0, 3).map((j) => `${j.id} ${j.seconds.toFixed(1)} s`);
  const path = last.js.length <= 3 ? shown.join(', ') : `${last.js.length} runs, the longest ${shown.join(', ')}`;
  return `${s.jobs.length} guest runs in ${s.seconds.toFixed(1)} s on ${s.threads} threads (${total.toFixed(1)} s of runs; no schedule can beat ${bound.toFixed(1)} s, the longest run being ${longest.id}, ${longest.seconds.toFixed(1)} s); critical path: ${path}`;
}
