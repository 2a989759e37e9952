// Debian's static busybox sh under qemu-i386 and under the model, script by script:
// pipelines, subshells, $(...), & and wait, trap with kill -USR1 $$, exit codes, a
// pipeline closed early. Both sides start in a directory of their own with the same
// files; stdout, the exit code and every file left behind must agree.
//
// Calls are not compared one by one: the processes of a pipeline interleave as each
// kernel schedules them (the model's round robin is not the host's scheduler), so the
// order of calls across processes differs by design. Instead, every call the model
// answered with ENOSYS must be one qemu-i386 refuses too (rseq): no call a script needs
// is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, cli, tmpdir } from './helpers.js';

const BUSYBOX = path.join(ROOT, '.cache/i386/programs/bin/busybox');
const have = fs.existsSync(BUSYBOX) && spawnSync('qemu-i386', ['--version']).status === 0;

const SCRIPTS: [string, string][] = [
  ['a two-process pipeline', 'echo hi | cat'],
  ['a pipeline of three applets', 'printf "b\\na\\nb\\nc\\n" | sort | uniq -c'],
  ['a long pipeline', 'seq 1 1000 | grep 7 | sort -r | head -5 | wc -l'],
  ['command substitution', 'x=$(echo sub); echo "got $x"'],
  ['nested command substitution', 'echo $(echo $(echo nested) deep)'],
  ['a subshell\'s exit code', '(exit 3); echo $?'],
  ['a subshell with its own directory', 'mkdir d; (cd d && echo inside > f); cat d/f; ls'],
  ['a background job and wait', 'sleep 0 & wait; echo waited $?'],
  ['two background jobs', 'echo one > a & echo two > b & wait; cat a b'],
  ['trap and kill -USR1 $$', 'trap "echo caught" USR1; kill -USR1 $$; echo after'],
  ['a pipeline closed early (yes | head)', 'yes | head -3'],
  ['exit N', 'echo before; exit 5'],
  ['killed by its own SIGTERM', 'echo going; kill -TERM $$; echo unreachable'],
  ['files written and appended', 'echo a > f.txt; echo b >> f.txt; cat f.txt | wc -l; ls'],
  ['a loop feeding a pipe', 'for i in 1 2 3; do echo $i; done | tac'],
  ['read in a subshell of a pipeline', 'echo data | (read v; echo "read $v")'],
  ['&& and ||', 'false || echo failed; true && echo ok; cat missing 2>/dev/null || echo "cat said $?"'],
  ['sh -c from sh (exec of /proc/self/exe)', 'sh -c "exit 7"; echo $?'],
  ['a group into a pipe', '{ echo x; echo y; } | wc -l'],
  ['arithmetic in a loop', 'i=0; while [ $i -lt 50 ]; do i=$((i+1)); done; echo $i'],
];

/** Every file under `dir` but the stand-in dev/null, with its content. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === 'dev/null') continue;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out[r] = fs.readFileSync(path.join(d, e.name), 'latin1');
    }
  };
  walk(dir, '');
  return out;
}

function fresh(): string {
  const d = tmpdir('syscluster-bbsh-');
  fs.mkdirSync(path.join(d, 'dev'));
  fs.writeFileSync(path.join(d, 'dev/null'), ''); // the model's root has no device files
  return d;
}

const sh = suite('busybox sh: the model against qemu-i386');

for (const [what, script] of SCRIPTS) {
  sh(what, () => {
    if (!have) return;
    const qdir = fresh(), sdir = fresh();
    const q = spawnSync('qemu-i386', [BUSYBOX, 'sh', '-c', script], { cwd: qdir, encoding: 'latin1', timeout: 60_000 });
    const strace = path.join(tmpdir('syscluster-bbsh-trace-'), 'strace.txt');
    const s = cli(['run', '--root', sdir, '--strace-out', strace, BUSYBOX, 'sh', '--', '-c', script], { cwd: sdir });
    assert.is(s.stdout, q.stdout, `stdout of: ${script}`);
    // qemu-i386 dies of the guest's fatal signal itself; a shell would show 128 + the signal.
    const qStatus = q.status ?? 128 + os.constants.signals[q.signal as keyof typeof os.constants.signals];
    assert.is(s.status, qStatus, `exit code of: ${script}`);
    assert.equal(files(sdir), files(qdir), `files left by: ${script}`);
    const refused = fs.readFileSync(strace, 'latin1').split('\n').filter((l) => / = -1 ENOSYS /.test(l) && !/\brseq\(/.test(l));
    assert.equal(refused, [], 'no call refused that qemu-i386 serves');
  });
}

sh.run();
