// The ledger counts whole cycles that add up: fractional charges accumulate exactly and
// are rounded once, as a cycle counter rounds; calls that never return pay no exit.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Ledger } from '../kernel-model/cost.js';
import { recordTrace } from '../trace/record.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { xv6Line } from '../trace/xv6.js';
import { mpegStream } from '../scenarios/inputs.js';
import fs from 'node:fs';
import { GUEST, cli, profile, run, tmpdir } from './helpers.js';

const ledger = suite('ledger');

ledger('fractional charges add exactly and every part is whole', () => {
  const l = new Ledger();
  const moved = [l.charge('handler', 0.1), l.charge('handler', 0.2), l.charge('dispatch', 0.7), l.charge('entry', 1.5)];
  assert.equal(moved, [0, 0, 1, 1], 'the counter moves when the exact sum passes a whole cycle');
  assert.is(l.totalCycles, 2, '0.1 + 0.2 + 0.7 + 1.5 = 2.5, shown as 2 whole cycles');
  for (let i = 0; i < 1000; i++) l.charge('handler', 0.1);
  assert.is(l.totalCycles, 102, 'a thousand tenths are exactly 100 cycles, no drift');
  const j = l.toJSON().cycles;
  for (const v of Object.values(j)) assert.ok(Number.isInteger(v));
  assert.is(j.user + j.entry + j.dispatch + j.handler + j.exit, j.total);
});

ledger('user work is brought up to a total, moving the counter by whole cycles', () => {
  const l = new Ledger();
  assert.is(l.setUser(0.4 * 3), 1);
  assert.is(l.setUser(0.4 * 5), 1);
  assert.is(l.userCycles, 2);
});

const IN = { '/in': new Uint8Array(5001).fill(66) };
const GUESTS: [string, string[], Record<string, Uint8Array>, string][] = [
  ['copy', ['/in', '/out', '1001'], { '/in': new Uint8Array(7777).fill(65) }, 'p2-266'],
  ...['copy', 'copy_multicall', 'copy_write_read', 'copy_looped', 'copy_value'].map((g): [string, string[], Record<string, Uint8Array>, string] => [g, ['/in', '/out', '333'], IN, 'modern-x86-pti']),
  ['fig3_multicall', ['none'], { '/in.txt': new Uint8Array(3) }, 'modern-x86'],
  ['fig3_original', ['read'], { '/in.txt': new Uint8Array(3) }, 'modern-x86-pti'],
  ['hello', [], {}, 'modern-x86-pti'],
  ['cat', ['7', '/in'], IN, 'p3-650'],
  ['getpid_loop', ['50'], {}, 'modern-x86-pti'],
  ['jump_cost', [], {}, 'modern-x86-pti'],
  ['syscall_timing', [], {}, 'modern-x86-pti'],
  ['hostile', [], {}, 'modern-x86-pti'],
  ['mpeg_play', ['/s', '30'], { '/s': mpegStream(20_000, 6, 1) }, 'modern-x86'],
  ['mpeg_play_clustered', ['/s', '30'], { '/s': mpegStream(20_000, 6, 1) }, 'modern-x86-pti'],
];

for (const [guest, args, files, plat] of GUESTS) {
  ledger(`${guest} on ${plat}: every crossing's parts are whole and add up to the ledger's`, async () => {
    const { trace } = await recordTrace(fs.readFileSync(GUEST(guest)), guest, {
      argv: [guest, ...args], profile: profile(plat), personality: personality('paper'), stdio: new CapturedStdio(),
      fs: new MemoryFileSystem({ ...files }), warn: () => {},
    });
    const sum = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
    let prevExit = 0;
    for (const x of trace.crossings) {
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) {
        assert.ok(Number.isInteger(x.cost[k]), `crossing ${x.seq}: ${k} ${x.cost[k]} is whole`);
        sum[k] += x.cost[k];
      }
      assert.ok(Number.isInteger(x.cycles.entry) && x.cycles.entry >= prevExit);
      prevExit = x.cycles.exit;
    }
    const l = trace.footer!.ledger.cycles;
    assert.equal(sum, { entry: l.entry, dispatch: l.dispatch, handler: l.handler, exit: l.exit });
    assert.is(l.user + l.entry + l.dispatch + l.handler + l.exit, l.total);
    assert.is(trace.crossings[trace.crossings.length - 1].cycles.exit, l.total, 'the last crossing ends the run');
  });
}

ledger('exit never returns: its crossing pays entry but no exit path', async () => {
  const r = await run('hello');
  const p = profile();
  assert.is(r.kernel.ledger.crossings, 2);
  assert.is(r.kernel.ledger.entry, 2 * p.boundary.entry_cycles);
  assert.is(r.kernel.ledger.exit, p.boundary.exit_cycles, 'only write returned');
});

ledger.run();

const xv6 = suite('xv6 trace lines');

xv6('one line per returning call, as the trace lab prints them', () => {
  assert.is(xv6Line(3, 'read', 1023), '3: syscall read -> 1023');
});

xv6('run --strace-format xv6 and trace --format xv6 print the same lines', () => {
  const dir = tmpdir();
  fs.writeFileSync(`${dir}/in.txt`, 'abc');
  const r = cli(['run', 'fig3_multicall', 'none', '--root', dir, '--strace-out', `${dir}/s.txt`, '--strace-format', 'xv6']);
  assert.is(r.status, 0, r.stderr);
  const lines = fs.readFileSync(`${dir}/s.txt`, 'utf8').trim().split('\n');
  assert.equal(lines.slice(0, 2), ['1000: syscall open -> 3', '1000: syscall open -> 4']);
  assert.ok(lines.includes('1000: syscall write -> 4096') || lines.some((l) => /^1000: syscall write -> \d+$/.test(l)));
  assert.ok(lines.some((l) => /^1000: syscall read -> \d+$/.test(l)), 'the multi-call\'s entries are printed');
  assert.ok(lines.some((l) => /^1000: syscall multi_call -> 3$/.test(l)), 'and the multi-call itself, after them');
  assert.ok(!lines.some((l) => /exit/.test(l)), 'exit does not return');
  const t = cli(['trace', 'fig3_multicall', 'none', '--root', dir, '--out', `${dir}/t.txt`, '--format', 'xv6']);
  assert.is(t.status, 0, t.stderr);
  assert.equal(fs.readFileSync(`${dir}/t.txt`, 'utf8').trim().split('\n'), lines);
});

xv6.run();
