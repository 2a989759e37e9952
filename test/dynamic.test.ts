// Dynamically linked Debian i386 programs (coreutils, gzip, sed, grep) with Debian's
// own C library: qemu-i386 -L SYSROOT against syscluster --sysroot SYSROOT. The same
// output, exit code and files, the same calls and results, and no call left to ENOSYS
// that Linux would have served.
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { differences, haveI386, program, runAll, type Case } from './reference.js';

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
];

// Left out until the model has a procfs (it serves /proc/self/exe only): Debian's
// libselinux, linked into cp, mv, mkdir, ls and sed, reads /proc/filesystems (then
// /proc/mounts and /etc/selinux/config when it is missing), and grep's stack-overflow
// handler (gnulib c-stack) reads /proc/self/maps (then probes with mincore). Under qemu
// they read the host's files, so every later call differs. They belong here then:
//   cp in.txt out.txt; mv small.txt big.txt; mkdir -p x/y; ls -1;
//   sed -e s/green/GREEN/ in.txt; sed -n '/blue 5/p' in.txt; grep -c red in.txt; grep -E '^1[0-9] ' in.txt

const dyn = suite('Debian i386 programs, dynamically linked: qemu-i386 -L agrees');
let results: Awaited<ReturnType<typeof runAll>> = [];

dyn.before(async () => {
  if (!haveI386()) throw new Error('Debian\'s i386 packages are missing: run ./setup.sh (it runs scripts/fetch-i386.sh)');
  results = await runAll(cases.map(([, c]) => ({ ...c, files: { ...files, ...c.files } })));
});

cases.forEach(([name], i) => {
  dyn(name, () => {
    const { qemu, ours } = results[i];
    assert.equal(differences(qemu, ours), [], name);
    // Served by qemu: a logged result other than ENOSYS. qemu 7.2 logs some calls only as
    // `Unknown syscall N` (rseq, which it refuses with ENOSYS): those say nothing.
    const served = new Set(qemu.calls.filter((c) => c.result !== null && c.result !== -38).map((c) => c.name));
    const enosys = ours.calls.filter((c) => c.result === -38).map((c) => c.name);
    assert.equal(enosys.filter((n) => served.has(n)), [], 'no ENOSYS for a call qemu-i386 served');
  });
});

dyn.run();
