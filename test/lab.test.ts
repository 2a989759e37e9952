// syscluster lab: five labs, numbers that change with the seed, and answers that are the
// model's own results (checked here against direct runs of the same guests).
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LABS, LABS_DIR } from '../cli/labs.js';
import { cli, profile, run, tmpdir } from './helpers.js';

const test = suite('labs');

test('five labs, each with its sheet; --list names them', () => {
  assert.is(LABS.length, 5);
  const list = cli(['lab', '--list']);
  assert.is(list.status, 0, list.stderr);
  for (const l of LABS) {
    assert.ok(fs.existsSync(path.join(LABS_DIR, l.sheet)), `labs/${l.sheet}`);
    assert.match(list.stdout, new RegExp(`^${l.name}\\s`, 'm'));
    const sheet = fs.readFileSync(path.join(LABS_DIR, l.sheet), 'utf8');
    assert.match(sheet, new RegExp(`syscluster lab ${l.name} --seed`), `${l.sheet} tells the student how to get their numbers`);
  }
});

test('every lab gives different numbers for different seeds, the same for the same seed', async () => {
  const dir = tmpdir();
  for (const l of LABS) {
    const a = await l.generate(3, dir), b = await l.generate(4, dir), a2 = await l.generate(3, dir);
    assert.ok(a.questions.length >= 4, l.name);
    assert.equal(a, a2, `${l.name}: a seed is reproducible`);
    assert.not.equal(a.questions.map((q) => q.answer), b.questions.map((q) => q.answer), `${l.name}: seeds 3 and 4 differ`);
  }
});

test('crossing-cost: the measured entry and exit are the generated machine\'s constants', async () => {
  const dir = tmpdir();
  const lab = LABS.find((l) => l.name === 'crossing-cost')!;
  const r = await lab.generate(11, dir);
  const p = JSON.parse(fs.readFileSync(path.join(dir, 'crossing-cost-seed-11.json'), 'utf8'));
  assert.is(r.questions[2].answer, `entry ${p.boundary.entry_cycles}, exit ${p.boundary.exit_cycles}`);
  assert.is(r.questions[0].answer, String(p.user.rdtsc_extra_cycles + 2 * p.user.cycles_per_instruction));
});

test('copy-blocks: the answers are what a direct run of the same guests gives', async () => {
  const r = cli(['lab', 'copy-blocks', '--seed', '5', '-c']);
  assert.is(r.status, 0, r.stderr);
  const bytes = Number(/head -c (\d+)/.exec(r.stdout)![1]);
  const block = Number(/Block size (\d+):/.exec(r.stdout)![1]);
  const direct = await run('copy', ['in.bin', 'out.bin', String(block)], { files: { '/in.bin': new Uint8Array(bytes) } });
  const l = direct.kernel.ledger;
  assert.ok(r.stdout.includes(`answer: ${l.crossings} crossings, ${l.totalCycles.toLocaleString('en-US')} cycles`), r.stdout);
  assert.not.match(cli(['lab', 'copy-blocks', '--seed', '5']).stdout, /answer:/, 'without -c, no answers');
});

test('pti: the measured crossing on modern-x86-pti is dearer by two CR3 writes', async () => {
  const r = await LABS.find((l) => l.name === 'pti')!.generate(2, tmpdir());
  const cr3 = profile('modern-x86-pti').boundary.cr3_switch_cycles;
  const m = /modern-x86: entry (\d+), exit (\d+); modern-x86-pti: entry (\d+), exit (\d+)/.exec(r.questions[0].answer)!;
  assert.is(Number(m[3]) - Number(m[1]), cr3);
  assert.is(Number(m[4]) - Number(m[2]), cr3);
});

test('bad input: one line, exit 2', () => {
  const r = cli(['lab', 'nonesuch']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^syscluster: no lab named "nonesuch" \(crossing-cost, /);
  assert.is(cli(['lab', 'pti', '--seed', '-1']).status, 2);
});

test.run();
