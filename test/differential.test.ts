// Differential tests against a Linux ABI we did not write: each guest runs under
// `qemu-i386 -strace` and under `syscluster run --strace`; the calls, their order and
// results, standard output, the exit code and every written file must agree.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { E, type ErrnoName } from '../kernel-model/errno.js';
import { i386Name } from '../kernel-model/i386-names.js';
import { GUEST, cli, tmpdir } from './helpers.js';

/** A call and its result; `unknown` where qemu runs a call its log cannot decode. */
interface Call { name: string; result: number | null | 'unknown' }

/**
 * qemu's -strace lines: `1234 open("in",O_RDONLY) = 3`, `... = -1 errno=2 (...)`,
 * `1234 exit(0)`, `1234 Unknown syscall 999`. qemu-user writes its log through a host
 * fd it opened first, fd 3, which the guest shares: every descriptor the guest opens
 * comes out one higher than on a kernel of its own, so open's results are shifted back.
 */
const FD_RESULTS = new Set(['open', 'openat', 'creat', 'dup']);

/**
 * getcwd returns the length of the working directory's path: the host's under qemu-user
 * (which has no root of its own), the guest's under syscluster. Only success is compared.
 */
const HOST_PATH_RESULTS = new Set(['getcwd']);
const comparable = (calls: Call[]) => calls.map((c) => (HOST_PATH_RESULTS.has(c.name) && typeof c.result === 'number' && c.result > 0 ? { ...c, result: 1 } : c));

function parseQemu(log: string): Call[] {
  const calls: Call[] = [];
  for (const line of log.split('\n')) {
    // qemu-i386 7.2 logs calls missing from its strace list as `Unknown syscall N`, whether
    // it runs them (futex_time64) or refuses them (rseq): the result is not shown. A
    // number beyond the i386 table is one qemu refuses.
    const unknown = /^\d+ Unknown syscall (\d+)$/.exec(line);
    if (unknown) {
      const name = i386Name(Number(unknown[1]));
      calls.push(name ? { name, result: 'unknown' } : { name: `syscall_${unknown[1]}`, result: -E.ENOSYS });
      continue;
    }
    const exit = /^\d+ (exit|exit_group)\(.*\)$/.exec(line);
    if (exit) { calls.push({ name: exit[1], result: null }); continue; }
    const m = /^\d+ (\w+)\(.*\) = (-?\d+|0x[0-9a-f]+)(?: errno=(\d+) .*| \(.*\))?$/.exec(line);
    if (!m) continue;
    const [, name, value, errno] = m;
    let result = errno ? -Number(errno) : Number(value);
    if (FD_RESULTS.has(name) && result >= 4) result -= 1; // qemu's own log file holds fd 3
    calls.push({ name, result });
  }
  return calls;
}

/**
 * Calls whose result qemu-i386 gets wrong on purpose, and the model gives as Linux does:
 * their results are left out of the comparison (the calls themselves still must agree).
 */
const QEMU_DIFFERS: Record<string, string> = {
  set_robust_list: 'qemu-user refuses it (ENOSYS) as it cannot honour robust futexes across its threads; Linux returns 0',
};

/** Our --strace lines: `open("in", O_RDONLY) = 3`, `... = -1 ENOENT (...)`, `exit(0) = ?`. */
function parseOurs(stderr: string): Call[] {
  const calls: Call[] = [];
  for (const line of stderr.split('\n')) {
    const m = /^(\w+)\((.*)\) = (.*)$/.exec(line);
    if (!m) continue;
    const [, name, , result] = m;
    const err = /^-1 (E[A-Z]+)/.exec(result);
    calls.push({ name, result: result === '?' ? null : err ? -E[err[1] as ErrnoName] : Number(result) });
  }
  return calls;
}

/** Every file's contents, folder, symlink target and permission bits, by path. */
function snapshot(dir: string, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const f of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, f), st = fs.lstatSync(p), mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[prefix + f] = `-> ${fs.readlinkSync(p)}`;
    else if (st.isDirectory()) { out[prefix + f] = `dir ${mode}`; snapshot(p, `${prefix}${f}/`, out); }
    else out[prefix + f] = `${mode} ${fs.readFileSync(p).toString('base64')}`;
  }
  return out;
}

const input = Buffer.from(Array.from({ length: 10000 }, (_, i) => String.fromCharCode(32 + ((i * 13) % 95))).join(''));

/** With `sysroot`, qemu runs with -L and syscluster with --sysroot; otherwise neither has one. */
function compare(guest: string, args: string[], stdin = '', options: string[] = [], sysroot?: string) {
  const qdir = tmpdir('syscluster-qemu-'), odir = tmpdir('syscluster-ours-');
  for (const d of [qdir, odir]) fs.writeFileSync(path.join(d, 'in.txt'), input);
  const log = path.join(tmpdir('syscluster-log-'), 'strace.log');
  const q = spawnSync('qemu-i386', [...(sysroot ? ['-L', sysroot] : []), '-strace', '-D', log, GUEST(guest), ...args], { cwd: qdir, input: stdin, encoding: 'latin1' });
  assert.is(q.error, undefined, 'qemu-i386 must be installed (./setup.sh installs qemu-user)');
  const ours = path.join(tmpdir('syscluster-log-'), 'strace.log');
  const o = cli(['run', GUEST(guest), ...args, '--root', odir, '--sysroot', sysroot ?? 'none', '--strace-out', ours, ...options], { input: stdin });
  const qemuCalls = parseQemu(fs.readFileSync(log, 'latin1'));
  const ourCalls = parseOurs(fs.readFileSync(ours, 'latin1'))
    .map((c, i) => (qemuCalls[i]?.name === c.name && (qemuCalls[i].result === 'unknown' || c.name in QEMU_DIFFERS) ? { ...c, result: 'unknown' as const } : c));
  for (const c of qemuCalls) if (c.name in QEMU_DIFFERS) c.result = 'unknown';
  assert.ok(qemuCalls.length > 0, 'qemu printed calls');
  assert.equal(comparable(ourCalls), comparable(qemuCalls), 'same calls, order and results');
  assert.is(o.stdout, q.stdout, 'same standard output');
  assert.is(o.stderr.replace(/^syscluster: unknown syscall.*\n/gm, ''), q.stderr, 'same standard error');
  assert.is(o.status, q.status, 'same exit code');
  assert.equal(snapshot(odir), snapshot(qdir), 'byte-identical files');
}

const diff = suite('qemu-i386 -strace agrees');

diff('hello', () => compare('hello', []));
diff('cat from standard input', () => compare('cat', ['100'], 'typed on stdin\nsecond line\n'));
diff('cat of a file, twice, block size 333', () => compare('cat', ['333', 'in.txt', 'in.txt']));
diff('cat of a missing file', () => compare('cat', ['4096', 'missing.txt']));
diff('copy, default block size', () => compare('copy', ['in.txt', 'out.txt']));
diff('copy, block size 1000', () => compare('copy', ['in.txt', 'out.txt', '1000']));
diff('copy of a missing input', () => compare('copy', ['nothere.txt', 'out.txt']));
diff('copy into a path that cannot be created', () => compare('copy', ['in.txt', 'no/such/dir/out.txt']));
diff('an unknown syscall number', () => compare('crash', ['enosys']));
diff('the non-file calls with good and bad arguments (uname, clocks, signals, limits, futex, prctl)', () =>
  compare('nonfile', ['abi'], '', ['--personality', 'modern']));
diff('the file calls: stat, directories, links, descriptors, vectors, *at', () => compare('files', [], '', ['--personality', 'modern']));
diff('a file only the sysroot has (qemu -L, --sysroot)', () => {
  const lower = tmpdir('syscluster-sysroot-');
  fs.mkdirSync(path.join(lower, 'etc'));
  fs.writeFileSync(path.join(lower, 'etc', 'only-here.txt'), 'from the sysroot\n');
  compare('cat', ['100', '/etc/only-here.txt'], '', [], lower);
});

diff.run();
