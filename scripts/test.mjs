#!/usr/bin/env node
// The whole test suite: build (TypeScript, guest stubs, guests, native helper), then
// every uvu file in test/. Ends with the plain line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const build = spawnSync('npm', ['run', '-s', 'build'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.log('build failed (run ./setup.sh first on a new machine)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const only = process.argv.slice(2);
const files = readdirSync('dist/test').filter((f) => f.endsWith('.test.js') && (only.length === 0 || only.some((o) => f.includes(o)))).sort();
let passed = 0, failed = 0;
for (const f of files) {
  // One process per file: each file runs alone, as uvu files should.
  const r = spawnSync(process.execPath, [`dist/test/${f}`], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  process.stdout.write(`# ${f}\n${r.stdout}`);
  if (r.stderr) process.stderr.write(r.stderr);
  const total = Number(/Total:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  const ok = Number(/Passed:\s+(\d+)/.exec(r.stdout)?.[1] ?? NaN);
  if (Number.isNaN(total) || Number.isNaN(ok)) {
    failed++; // the file crashed before uvu could report
    process.stdout.write(`# ${f}: no uvu summary (exit ${r.status}): counted as one failure\n`);
    continue;
  }
  passed += ok;
  failed += total - ok;
  if (r.status !== 0 && total === ok) failed++;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
