// Determinism: the guest's clock is simulated and its randomness seeded, so two runs of
// one program give byte-identical output, strace lines and trace dumps; another seed
// gives other getrandom bytes, another --clock-start another wall clock. A wait that
// could never end is not left to hang either: it stops the run the same way every time.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { personality } from '../kernel-model/table.js';
import { cli, run, tmpdir } from './helpers.js';

const det = suite('two runs of one program agree byte for byte');

/** One CLI run of `nonfile seeded`: its stdout, its strace lines and its trace dump. */
function runOnce(extra: string[] = []) {
  const dir = tmpdir('syscluster-det-');
  const strace = path.join(dir, 'strace.txt'), dump = path.join(dir, 'dump.jsonl');
  const r = cli(['run', 'nonfile', 'seeded', '--personality', 'modern', '--strace-out', strace, ...extra]);
  assert.is(r.status, 0, r.stderr);
  const t = cli(['trace', 'nonfile', 'seeded', '--personality', 'modern', '--out', dump, ...extra]);
  assert.is(t.status, 0, t.stderr);
  return { stdout: r.stdout, strace: fs.readFileSync(strace, 'latin1'), dump: fs.readFileSync(dump, 'latin1') };
}

det('time, clock_gettime, clock_gettime64 and getrandom: same stdout, strace and dump', () => {
  const a = runOnce(), b = runOnce();
  assert.match(a.strace, /^getrandom\("(\\x[0-9a-f]{2}){16}", 16, GRND_NONBLOCK\) = 16$/m);
  assert.match(a.strace, /^clock_gettime\(CLOCK_REALTIME, \{tv_sec=1009843200, tv_nsec=\d+\}\) = 0$/m, 'the default --clock-start, 2002-01-01');
  assert.match(a.dump, /"name":"getrandom"/);
  assert.is(a.stdout, b.stdout);
  assert.is(a.strace, b.strace);
  assert.is(a.dump, b.dump);
});

det('--clock-start moves the wall clock, not the monotonic one', () => {
  const a = runOnce(), c = runOnce(['--clock-start', '2030-06-01T00:00:00Z']);
  const field = (out: string, name: string) => new RegExp(`^${name} (\\d+)$`, 'm').exec(out)![1];
  assert.is(field(c.stdout, 'time'), String(Date.parse('2030-06-01T00:00:00Z') / 1000));
  assert.is(field(c.stdout, 'realtime64.sec'), field(c.stdout, 'time'));
  assert.is(field(c.stdout, 'monotonic.nsec'), field(a.stdout, 'monotonic.nsec'));
});

det('the seed alone decides getrandom\'s bytes', async () => {
  const bytes = async (seed: number) => {
    const r = await run('nonfile', ['seeded'], { personality: personality('modern'), seed });
    assert.is(r.exitCode, 0);
    return /^getrandom 16\n([0-9a-f]{32})$/m.exec(Buffer.from(r.stdout).toString('latin1'))![1];
  };
  const one = await bytes(1), again = await bytes(1), two = await bytes(2);
  assert.is(one, again);
  assert.is.not(one, two);
});

det('a futex wait nothing could end stops the run with one line, never a hang', () => {
  const r = cli(['run', 'nonfile', 'deadlock', '--personality', 'modern']);
  assert.is(r.status, 137);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^syscluster: futex\(0x[0-9a-f]+, FUTEX_WAIT\) would wait forever: no other thread can wake it; stopping the run\n$/);
});

det.run();
