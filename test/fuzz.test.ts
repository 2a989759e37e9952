// The fuzz job's saved failures (test/fuzz-cases/*.json, written by `npm run fuzz`) are
// replayed here: each must now end clean. And the job itself runs, classifies and sums up.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { FuzzCase } from '../fuzz/cases.js';
import { Worker, runCase } from '../fuzz/main.js';
import { ROOT, tmpdir } from './helpers.js';

const CASES = path.join(ROOT, 'test/fuzz-cases');

const replay = suite('saved fuzz cases replay clean');
const worker = new Worker();
for (const f of fs.existsSync(CASES) ? fs.readdirSync(CASES).filter((n) => n.endsWith('.json')).sort() : []) {
  replay(f, async () => {
    const saved = JSON.parse(fs.readFileSync(path.join(CASES, f), 'utf8')) as { verdict: string; case: FuzzCase };
    const r = await runCase(saved.case, tmpdir('syscluster-replay-'), worker, 60_000);
    assert.is(r.verdict, 'clean', `${saved.case.what}: ${r.detail}`);
  });
}
replay.after(() => worker.kill());
replay.run();

const job = suite('the fuzz job');
job('runs cases in parallel, classifies them and prints the summary', () => {
  const save = tmpdir('syscluster-fuzz-save-');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/fuzz/main.js'), '--count', '15', '--seconds', '120', '--seed', '7', '--jobs', '2', '--save', save], { encoding: 'utf8' });
  assert.match(r.stdout, /fuzz: seed 7, 15 inputs in \d+ s on 2 processes/);
  assert.match(r.stdout, /^total\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+$/m);
  const line = /15 inputs: (\d+) clean, (\d+) crashes, (\d+) hangs, (\d+) escapes, (\d+) losses/.exec(r.stdout);
  assert.ok(line, r.stdout);
  const bad = line!.slice(2).map(Number).reduce((a, b) => a + b, 0);
  assert.is(fs.readdirSync(save).length, bad, 'each failing case is saved');
  assert.is(r.status, bad === 0 ? 0 : 1);
});
job.run();
