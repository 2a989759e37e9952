// How long the web view takes on a big dump: a dump of N crossings (default a million) is
// made by repeating a real trace of `copy` with 1-byte blocks, renumbered, with the cycle
// counter carried on; then `syscluster view` makes the page, and chromium opens it until
// the timeline and the first crossing are shown, then steps to the last crossing.
//   node dist/scripts/bench-view.js [N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const N = Number(process.argv[2] ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-bench-view-'));
const cli = (args: string[]) => {
  const t = Date.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=6000', path.join(ROOT, 'bin/syscluster.js'), ...args], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`syscluster ${args.join(' ')}: ${r.stderr}`);
  return (Date.now() - t) / 1000;
};
fs.writeFileSync(path.join(dir, 'in.bin'), Buffer.alloc(5000, 'x'));
cli(['trace', 'copy', 'in.bin', 'out.bin', '1', '--out', 'seed.jsonl']);
const lines = fs.readFileSync(path.join(dir, 'seed.jsonl'), 'utf8').trimEnd().split('\n');
const header = lines[0], footer = lines[lines.length - 1];
// The seed's steady part: its read, write pairs (not the open at the start or the exit at the end).
const body = lines.slice(1, -1).map((l) => JSON.parse(l)).filter((x) => x.call.name === 'read' || x.call.name === 'write');
const period = body[body.length - 1].cycles.exit - body[0].cycles.entry + 10;
const out = fs.openSync(path.join(dir, 'big.jsonl'), 'w');
fs.writeSync(out, header + '\n');
let batch: string[] = [];
for (let i = 0; i < N; i++) {
  const x = body[i % body.length], shift = Math.floor(i / body.length) * period;
  batch.push(JSON.stringify({ ...x, seq: i + 1, cycles: { entry: x.cycles.entry + shift, exit: x.cycles.exit + shift } }));
  if (batch.length === 10000) { fs.writeSync(out, batch.join('\n') + '\n'); batch = []; }
}
fs.writeSync(out, (batch.length ? batch.join('\n') + '\n' : '') + footer + '\n');
fs.closeSync(out);
const dumpMB = fs.statSync(path.join(dir, 'big.jsonl')).size / 1e6;
const build = cli(['view', 'big.jsonl', '--out', 'big.html']);
const pageMB = fs.statSync(path.join(dir, 'big.html')).size / 1e6;

const ctx = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await ctx.newPage();
const errors: string[] = [];
page.on('pageerror', (e) => errors.push(e.message));
let t = Date.now();
await page.goto(`file://${path.join(dir, 'big.html')}`, { timeout: 120000 });
await page.waitForFunction(() => document.body.dataset.ready !== undefined, undefined, { timeout: 120000 });
const open = (Date.now() - t) / 1000;
t = Date.now();
await page.keyboard.press('G');
await page.waitForFunction((k) => document.body.dataset.shown === String(k), N - 1, { timeout: 60000 });
const last = (Date.now() - t) / 1000;
t = Date.now();
for (let i = 0; i < 20; i++) await page.keyboard.press('p');
await page.waitForFunction((k) => document.body.dataset.shown === String(k), N - 21, { timeout: 60000 });
const steps = (Date.now() - t) / 1000;
await ctx.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ crossings: N, dump_mb: +dumpMB.toFixed(1), page_mb: +pageMB.toFixed(1), view_build_s: build, page_open_s: open, step_to_last_s: last, twenty_steps_back_s: steps, ready: errors.length === 0 ? 'yes' : errors }));
