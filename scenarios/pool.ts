// Runs scenario jobs on worker threads, one per core: each guest run is independent,
// so a scenario's runs spread over the machine.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Job, JobResult } from './jobs.js';

export type Progress = (done: number, total: number, last: string) => void;

const WORKER = new URL('./worker.js', import.meta.url);

export async function runJobs(jobs: Job[], progress?: Progress, threads = os.availableParallelism()): Promise<Map<string, JobResult>> {
  const results = new Map<string, JobResult>();
  const queue = [...jobs];
  const n = Math.max(1, Math.min(threads, jobs.length));
  let done = 0;
  const one = (worker: Worker) => new Promise<void>((resolve, reject) => {
    const next = () => {
      const job = queue.shift();
      if (!job) { resolve(); return; }
      worker.once('message', (m: { result?: JobResult; error?: string }) => {
        if (m.error) { reject(new Error(`${job.id}: ${m.error}`)); return; }
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
  return results;
}
