// A worker thread of the scenario pool: runs the jobs it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { runJob, type Job } from './jobs.js';

parentPort!.on('message', async (job: Job) => {
  try {
    parentPort!.postMessage({ result: await runJob(job) });
  } catch (err) {
    parentPort!.postMessage({ error: (err as Error).stack ?? String(err) });
  }
});
