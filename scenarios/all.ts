// The scenarios, by name: each turns a platform profile into guest runs (jobs), and the
// runs' results into tables. Runs from every scenario and platform share one pool.
import { entryCycles, exitCycles, type PlatformProfile } from '../kernel-model/cost.js';
import { controlScenario } from './control.js';
import { behaviourDiffers, copyJobs, copyResult } from './copy.js';
import type { Job, JobResult } from './jobs.js';
import { mechanismsJobs, mechanismsResult } from './mechanisms.js';
import { mpegJobs, mpegResult } from './mpeg.js';
import { runJobs, type Progress, type Schedule } from './pool.js';
import { calibratedTo, ours, type ScenarioResult } from './report.js';

import type { ScenarioName } from './names.js';
export { SCENARIO_NAMES, type ScenarioName } from './names.js';

interface Pooled {
  jobs(p: PlatformProfile): Job[];
  result(p: PlatformProfile, r: Map<string, JobResult>): ScenarioResult;
}

const POOLED: Record<Exclude<ScenarioName, 'control'>, Pooled> = {
  copy: { jobs: copyJobs, result: copyResult },
  mpeg: { jobs: mpegJobs, result: (p, r) => mpegResult(p, r, behaviourDiffers) },
  mechanisms: { jobs: (p) => mechanismsJobs(p), result: (p, r) => mechanismsResult(p, r) },
};

/** Runs the named scenarios on each profile; results in the order asked. */
export async function runScenarios(names: ScenarioName[], profiles: PlatformProfile[], progress?: Progress, threads?: number, schedule?: (s: Schedule) => void): Promise<ScenarioResult[]> {
  const pooled = names.filter((n): n is Exclude<ScenarioName, 'control'> => n !== 'control');
  const jobs = profiles.flatMap((p) => pooled.flatMap((n) => POOLED[n].jobs(p)));
  const results = jobs.length ? await runJobs(jobs, progress, threads, schedule) : new Map<string, JobResult>();
  const out: ScenarioResult[] = [];
  for (const p of profiles) {
    for (const n of names) out.push(n === 'control' ? await controlScenario(p) : POOLED[n].result(p, results));
  }
  return out;
}

/**
 * Side by side across platforms: how much clustering saves on each (the copy scenario's
 * Table 3 savings at 925K, the crossing's price). Undefined with fewer than two.
 */
export function acrossPlatforms(results: ScenarioResult[], profiles: PlatformProfile[]): ScenarioResult | undefined {
  const copies = results.filter((r) => r.scenario === 'copy');
  if (copies.length < 2) return undefined;
  const rows = copies.map((r) => {
    const p = profiles.find((x) => x.name === r.platform)!;
    const row = r.tables[0].rows[1]; // 925K
    return [r.platform, entryCycles(p) + exitCycles(p), p.clock_mhz, row[5] as number, row[8] as number, row[10] as number];
  });
  return {
    scenario: 'copy, side by side', platform: copies.map((r) => r.platform).join(', '), checks: [],
    tables: [{ id: 'platforms', title: 'Clustering on each platform (copy of 925K, block size 4096, savings in percent)',
      columns: ['platform', 'crossing cycles', 'MHz', 'write_read', 'looped', 'multi-call 240'], rows,
      provenance: copies.map((r) => [null, ours(calibratedTo(r.platform, 'table1')), null,
        ours(calibratedTo(r.platform, 'table3')), ours(calibratedTo(r.platform, 'table3')), 'predicted']) }],
  };
}
