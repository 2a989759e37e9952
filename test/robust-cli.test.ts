// The command line under bad input: one line and exit 2 for a user's mistake, one line
// and exit 70 for an internal error, and the commands that need no engine run without it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, cli, tmpdir } from './helpers.js';

const use = suite('bad input and missing parts');

for (const v of ['NaN', 'abc', '1e309', '1.5', '-1', '0', '18446744073709551616', '']) {
  use(`--max-instructions ${JSON.stringify(v)} is refused in one line, exit 2`, () => {
    const r = cli(['run', 'hello', `--max-instructions=${v}`]);
    assert.is(r.status, 2);
    assert.match(r.stderr, /^syscluster: --max-instructions .*: must be|too large/);
    assert.is(r.stderr.trim().split('\n').length, 1);
  });
}

use('--max-instructions 10 stops after exactly 10 instructions, exit 152', () => {
  const r = cli(['run', 'hello', '--max-instructions', '10']);
  assert.is(r.status, 152);
  assert.match(r.stderr, /stopped after 10 instructions: the instruction limit was reached/);
});

// A preload that reports whether koffi was ever loaded.
function withoutUnicorn(args: string[]) {
  const d = tmpdir();
  const probe = path.join(d, 'probe.mjs');
  fs.writeFileSync(probe, `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
process.on('exit', () => { if (Object.keys(require('node:module')._cache).some((f) => /koffi/.test(f))) process.stderr.write('koffi was loaded\\n'); });\n`);
  const r = spawnSync(process.execPath, ['--import', probe, path.join(ROOT, 'bin/syscluster.js'), ...args], {
    cwd: d, encoding: 'utf8', env: { ...process.env, SYSCLUSTER_LIBUNICORN: 'libunicorn-missing.so.9' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, dir: d };
}

use('--help, syscalls, step and profile on a dump run without koffi or Unicorn', () => {
  const d = tmpdir();
  const dump = path.join(d, 'hello.jsonl');
  assert.is(cli(['trace', 'hello', '--out', dump]).status, 0);
  for (const args of [['--help'], ['syscalls'], ['step', dump], ['profile', dump]]) {
    const r = withoutUnicorn(args);
    assert.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.not.match(r.stderr, /koffi was loaded/, args.join(' '));
  }
});

use('a run without Unicorn says what to install, in one line, exit 2', () => {
  const r = withoutUnicorn(['run', 'hello']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /^syscluster: cannot load libunicorn-missing.so.9: install Debian's libunicorn2/);
  assert.not.match(r.stderr, /\n\s+at /);
});

use('a missing dump is bad input: one line, exit 2', () => {
  const r = cli(['step', '/nonexistent-dump.jsonl']);
  assert.is(r.status, 2, 'a missing file is bad input');
  assert.is(r.stderr.trim().split('\n').length, 1);
});

use('--strace into a pipe that is read late loses no line', () => {
  const r = spawnSync('bash', ['-c', `node ${path.join(ROOT, 'bin/syscluster.js')} run getpid_loop 20000 --strace 2>&1 >/dev/null | (sleep 2; wc -l)`], { encoding: 'utf8' });
  assert.is(r.stdout.trim(), String(20000 + 2), r.stderr);
});

use.run();
