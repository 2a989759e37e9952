// Dynamically linked Debian i386 programs (coreutils, gzip, sed, grep) with Debian's
// own C library: qemu-i386 -L SYSROOT against syscluster --sysroot SYSROOT. The same
// output, exit code and files, the same calls and results, and no call left to ENOSYS
// that Linux would have served.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BUSYBOX, differences, haveI386, program, runAll, type Case, type Side } from './reference.js';
import { tmpdir } from './helpers.js';

const text = Array.from({ length: 300 }, (_, i) => `${i} ${['red', 'green', 'blue'][i % 3]} ${(i * 104729) % 997}`).join('\n') + '\n';
const files = { 'in.txt': text, 'small.txt': 'b\na\nc\nb\n' };

const prog = (name: string, args: string[], extra: Partial<Case> = {}): [string, Case] => {
  const where = ['cat', 'cp', 'ls', 'mkdir', 'mv', 'rm', 'ln', 'sed', 'grep', 'gzip', 'dd', 'echo', 'true', 'false', 'readlink', 'touch', 'date'].includes(name) ? 'bin' : 'usr/bin';
  return [`${name} ${args.join(' ')}`, { program: program(`${where}/${name}`), args, dynamic: true, ...extra }];
};

const cases: [string, Case][] = [
  prog('cat', ['in.txt']),
  prog('cat', ['missing.txt']),
  prog('head', ['-n', '4', 'in.txt']),
  prog('tail', ['-c', '100', 'in.txt']),
  prog('wc', ['-l', '-w', '-c', 'in.txt']),
  prog('sort', ['-k', '3', '-n', 'in.txt']),
  prog('uniq', ['-c'], { stdin: 'a\na\nb\n' }),
  prog('cut', ['-d', ' ', '-f', '2', 'in.txt']),
  prog('tr', ['a-z', 'A-Z'], { stdin: 'hello world\n' }),
  prog('md5sum', ['in.txt']),
  prog('sha256sum', ['in.txt', 'small.txt']),
  prog('base64', ['small.txt']),
  prog('od', ['-c', 'small.txt']),
  prog('rm', ['small.txt']),
  prog('ln', ['-s', 'in.txt', 'l']),
  // status=noxfer: dd's last line is its own elapsed time and speed, another on every run.
  prog('dd', ['if=in.txt', 'of=o.bin', 'bs=512', 'count=3', 'status=noxfer']),
  prog('split', ['-l', '100', 'in.txt']),
  prog('gzip', ['-k', '-n', 'in.txt']),
  prog('gzip', ['-d', '-c', 'in.txt.gz'], { files: { 'in.txt.gz': gzipSync(text) } }),
  prog('seq', ['5']),
  prog('expr', ['6', '*', '7']),
  prog('true', []),
  prog('false', []),
  // Programs that read /proc: Debian's libselinux (in cp, mv, mkdir, ls, sed) reads
  // /proc/filesystems, grep's stack-overflow handler (gnulib c-stack) /proc/self/maps.
  // cp tries FICLONE, then copy_file_range.
  prog('cp', ['in.txt', 'out.txt']),
  prog('cp', ['-r', 'd', 'e'], { files: { 'd/a.txt': 'one\n', 'd/b/c.txt': 'two\n' } }),
  prog('mv', ['small.txt', 'big.txt']),
  prog('mkdir', ['-p', 'x/y/z']),
  prog('ls', ['-1', '-a']),
  prog('sed', ['-e', 's/green/GREEN/', 'in.txt']),
  prog('sed', ['-n', '/blue 5/p', 'in.txt']),
  prog('sed', ['-i', 's/red/RED/', 'in.txt']),
  prog('grep', ['-c', 'red', 'in.txt']),
  prog('grep', ['-E', '^1[0-9] ', 'in.txt']),
  prog('grep', ['-r', '-l', 'two', '.'], { files: { 'd/a.txt': 'one\n', 'd/b/c.txt': 'two\n' } }),
];

/**
 * The bytes read from a file under /proc are the kernel's own account (qemu-user passes
 * the host's /proc/filesystems, makes its own /proc/self/maps): for reads of a descriptor
 * opened there, only whether bytes came back is compared. What follows in the trace
 * (libselinux carrying on without selinuxfs, c-stack finding the stack) is compared in full.
 */
function procReads(side: Side): Side {
  const open = new Set<string>();
  const calls = side.calls.map((c) => {
    const opened = /(?:^|\s)openat\(AT_FDCWD, ?"\/proc\//.exec(c.text);
    // The descriptor as the log shows it (qemu's results are shifted back by the harness, its text is not).
    const shown = / = (\d+)$/.exec(c.text)?.[1];
    if (opened && shown !== undefined) open.add(shown);
    const fd = /(?:^|\s)(?:read|close|_llseek|fstat64|statx)\((\d+)/.exec(c.text)?.[1];
    if (fd === undefined || !open.has(fd)) return c;
    if (c.name === 'close') open.delete(fd);
    return c.name === 'read' ? { ...c, result: c.result !== null && c.result > 0 ? 1 : c.result } : c;
  });
  return { ...side, calls };
}

const dyn = suite('Debian i386 programs, dynamically linked: qemu-i386 -L agrees');
let results: Awaited<ReturnType<typeof runAll>> = [];

dyn.before(async () => {
  if (!haveI386()) throw new Error('Debian\'s i386 packages are missing: run ./setup.sh (it runs scripts/fetch-i386.sh)');
  results = await runAll(cases.map(([, c]) => ({ ...c, files: { ...files, ...c.files } })));
});

cases.forEach(([name], i) => {
  dyn(name, () => {
    const { qemu, ours } = results[i];
    assert.equal(differences(procReads(qemu), procReads(ours)), [], name);
    // Served by qemu: a logged result other than ENOSYS. qemu 7.2 logs some calls only as
    // `Unknown syscall N` (rseq, which it refuses with ENOSYS): those say nothing.
    const served = new Set(qemu.calls.filter((c) => c.result !== null && c.result !== -38).map((c) => c.name));
    const enosys = ours.calls.filter((c) => c.result === -38).map((c) => c.name);
    assert.equal(enosys.filter((n) => served.has(n)), [], 'no ENOSYS for a call qemu-i386 served');
  });
});

dyn.run();

const bench = suite('the bench\'s real-program workload: qemu-i386\'s output, counted and raw');

bench('busybox gzip and sha256sum of a generated file: one digest under qemu-i386, accounted and raw', async () => {
  if (!haveI386()) throw new Error('Debian\'s i386 packages are missing: run ./setup.sh (it runs scripts/fetch-i386.sh)');
  const { INPUT, REAL_APPLETS, realAccounted, realRaw, writeRealInput } = await import('../bench/real.js');
  const dir = tmpdir('syscluster-real-');
  writeRealInput(path.join(dir, INPUT), 200_000);
  assert.is(fs.statSync(path.join(dir, INPUT)).size, 200_000);
  try {
    for (const applet of Object.keys(REAL_APPLETS)) {
      const q = spawnSync('qemu-i386', [BUSYBOX, ...REAL_APPLETS[applet]], { cwd: dir });
      assert.is(q.status, 0, `qemu-i386 busybox ${applet}`);
      const want = createHash('sha256').update(q.stdout).digest('hex');
      const counted = await realAccounted(dir, applet), raw = await realRaw(dir, applet);
      assert.is(counted.stdoutSha256, want, `${applet}: accounted`);
      assert.is(raw.stdoutSha256, want, `${applet}: raw`);
      assert.is(counted.stdoutBytes, q.stdout.length);
      assert.ok(counted.work > 1_000_000, 'instructions counted');
      assert.ok(raw.work >= 3, 'the raw run answered its calls');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

bench.run();
