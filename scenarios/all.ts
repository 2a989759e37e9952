// The scenarios, by name: each turns a platform profile into guest runs (jobs), and the
// runs' results into tables. Runs from every scenario and platform share one pool.
import type { PlatformProfile } from '../kernel-model/cost.js';
import { controlScenario } from './control.js';
import { behaviourDiffers, copyJobs, copyResult } from './copy.js';
import type { Job, JobResult } from './jobs.js';
import { mpegJobs, mpegResult } from './mpeg.js';
import { runJobs, type Progress } from './pool.js';
import type { ScenarioResult } from './report.js';

export const SCENARIO_NAMES = ['control', 'copy', 'mpeg'] as const;
export type ScenarioName = typeof SCENARIO_NAMES[number];

interface Pooled {
  jobs(p: PlatformProfile): Job[];
  result(p: PlatformProfile, r: Map<string, JobResult>): ScenarioResult;
}

const POOLED: Record<Exclude<ScenarioName, 'control'>, Pooled> = {
  copy: { jobs: copyJobs, result: copyResult },
  mpeg: { jobs: mpegJobs, result: (p, r) => mpegResult(p, r, behaviourDiffers) },
};

/** Runs the named scenarios on each profile; results in the order asked. */
export async function runScenarios(names: ScenarioName[], profiles: PlatformProfile[], progress?: Progress, threads?: number): Promise<ScenarioResult[]> {
  const pooled = names.filter((n): n is Exclude<ScenarioName, 'control'> => n !== 'control');
  const jobs = profiles.flatMap((p) => pooled.flatMap((n) => POOLED[n].jobs(p)));
  const results = jobs.length ? await runJobs(jobs, progress, threads) : new Map<string, JobResult>();
  const out: ScenarioResult[] = [];
  for (const p of profiles) {
    for (const n of names) out.push(n === 'control' ? await controlScenario(p) : POOLED[n].result(p, results));
  }
  return out;
}
