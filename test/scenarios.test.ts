// The paper reproduction: behaviour is preserved, Table 3's targets hold, and every
// guest run's ledger matches its golden file, so a change in the model is a reviewed
// diff. Regenerate the golden files with: UPDATE_GOLDEN=1 npm test -- scenarios
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { behaviourDiffers, copyJobs, copyResult } from '../scenarios/copy.js';
import { mpegJobs, mpegResult } from '../scenarios/mpeg.js';
import { runJobs } from '../scenarios/pool.js';
import type { Job, JobResult } from '../scenarios/jobs.js';
import { ROOT, profile } from './helpers.js';

const p2 = profile('p2-266');
const GOLDEN = path.join(ROOT, 'test/golden');

function golden(name: string, results: Map<string, JobResult>) {
  const actual = Object.fromEntries([...results].sort(([a], [b]) => a.localeCompare(b))
    .map(([id, r]) => [id, { exit: r.exitCode, micros: r.micros, ledger: r.ledger }]));
  const file = path.join(GOLDEN, `${name}.json`);
  if (process.env.UPDATE_GOLDEN) fs.writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
  const expected = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const id of Object.keys(expected)) assert.equal(actual[id], expected[id], `${id} differs from test/golden/${name}.json`);
  assert.equal(Object.keys(actual), Object.keys(expected));
}

const copy = suite('copy scenario (Table 3, Figure 8)');
let copyRuns: Map<string, JobResult>;
copy.before(async () => { copyRuns = await runJobs(copyJobs(p2)); });

copy('every clustered variant behaves exactly like the original', () => {
  const r = copyResult(p2, copyRuns);
  assert.ok(r.checks.length >= 40);
  for (const c of r.checks) assert.ok(c.ok, `${c.name}: ${c.detail}`);
});

copy('the targets against the paper all hold on p2-266', () => {
  const targets = copyResult(p2, copyRuns).tables.find((t) => t.id === 'table3-targets')!;
  assert.ok(targets.rows.length >= 16);
  for (const row of targets.rows) assert.ok(row[2] === 'yes' || row[2] === 'by construction', `${row[0]}: ${row[1]}`);
  assert.ok(targets.rows.some((r) => r[2] === 'by construction'), 'targets the laptop profile was fitted to say so');
  assert.ok(targets.rows.some((r) => r[2] === 'yes'), 'Figure 8\'s shape is predicted');
});

copy('ledgers match the golden file', () => golden('copy-p2-266', copyRuns));

copy.run();

const check = suite('the behaviour check itself');

check('it catches a deliberately wrong clustering', async () => {
  const jobs: Job[] = ['copy', 'copy_broken'].map((guest) => ({ id: guest, guest, args: ['/in', '/out', '1000'], profile: p2,
    inputs: { '/in': { kind: 'random', bytes: 5500 } } }));
  const r = await runJobs(jobs);
  assert.is(behaviourDiffers(r.get('copy')!, r.get('copy')!), undefined);
  assert.match(behaviourDiffers(r.get('copy')!, r.get('copy_broken')!) ?? '', /files differ/);
});

check.run();

const mpeg = suite('mpeg scenario (Table 4)');

mpeg('select_time behaves like select + gettimeofday, every frame plays, ledgers match the golden file', async () => {
  const runs = await runJobs(mpegJobs(p2));
  const r = mpegResult(p2, runs, behaviourDiffers);
  for (const c of r.checks) assert.ok(c.ok, `${c.name}: ${c.detail}`);
  const t4 = r.tables[0];
  for (const row of t4.rows) {
    assert.ok((row[12] as number) > 0, `${row[0]}: the clustered decoder uses fewer cycles`);
    assert.ok((row[4] as number) >= 0, `${row[0]}: and is no slower`);
  }
  golden('mpeg-p2-266', runs);
});

mpeg.run();
