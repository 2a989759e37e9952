// Debian's static i386 busybox, applet by applet, under qemu-i386 -strace and under
// syscluster: the same calls with the same results (addresses, pids and the clock
// aside), the same output and exit code, byte-identical files. The package comes from
// scripts/fetch-i386.sh (run by ./setup.sh); no file of it is committed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BUSYBOX, differences, haveI386, runAll, type Case } from './reference.js';

const lines = Array.from({ length: 400 }, (_, i) => `line ${String(i).padStart(3, '0')} ${['alpha', 'beta', 'gamma', 'delta'][i % 4]} ${(i * 7919) % 1000}`);
const text = lines.join('\n') + '\n';
const words = 'the quick brown fox jumps over the lazy dog\nthe dog sleeps\nA fox is quick\n';
const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31 + (i >> 3)) & 0xff));
const files = { 'in.txt': text, 'words.txt': words, 'data.bin': binary };

function bzip2(data: string): Buffer {
  const r = spawnSync('qemu-i386', [BUSYBOX, 'bzip2', '-c'], { input: data });
  return r.stdout;
}

/** An archive of a folder and two files with fixed times, made by busybox under qemu-i386 (`cpio -o -H newc`, `tar -c`). */
function archive(args: string[], input?: string): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-archive-'));
  try {
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src/a.txt'), 'first file\n');
    fs.writeFileSync(path.join(dir, 'src/b.txt'), 'second file, a little longer\n');
    for (const f of ['src/a.txt', 'src/b.txt', 'src']) fs.utimesSync(path.join(dir, f), 1e9, 1e9);
    const r = spawnSync('qemu-i386', [BUSYBOX, ...args], { cwd: dir, input });
    if (r.status !== 0) throw new Error(`${args[0]}: ${r.stderr}`);
    return r.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const cpioArchive = () => archive(['cpio', '-o', '-H', 'newc'], 'src\nsrc/a.txt\nsrc/b.txt\n');
const tarArchive = () => archive(['tar', '-c', 'src']);

const cases: [string, Case][] = [
  ['cat', { args: ['cat', 'in.txt'] }],
  ['cat of standard input', { args: ['cat'], stdin: words }],
  ['cat of a missing file', { args: ['cat', 'missing.txt'] }],
  ['head', { args: ['head', '-n', '7', 'in.txt'] }],
  ['tail', { args: ['tail', '-n', '5', 'in.txt'] }],
  ['wc', { args: ['wc', 'in.txt', 'words.txt'] }],
  ['sort', { args: ['sort', 'words.txt'] }],
  ['sort -r -u -k', { args: ['sort', '-r', '-u', '-k', '3', 'in.txt'] }],
  ['uniq -c', { args: ['uniq', '-c', 'sorted.txt'], files: { 'sorted.txt': 'a\na\nb\nc\nc\nc\n' } }],
  ['cut', { args: ['cut', '-d', ' ', '-f', '2,4', 'in.txt'] }],
  ['tr', { args: ['tr', 'a-z', 'A-Z'], stdin: words }],
  ['sed', { args: ['sed', '-e', 's/fox/cat/g', '-e', '/lazy/d', 'words.txt'] }],
  ['sed -i', { args: ['sed', '-i', 's/alpha/ALPHA/', 'in.txt'] }],
  ['grep -n', { args: ['grep', '-n', 'gamma 1', 'in.txt'] }],
  ['grep without a match', { args: ['grep', 'zebra', 'words.txt'] }],
  ['awk', { args: ['awk', '{ n += length($0) } END { print NR, n }', 'in.txt'] }],
  ['md5sum', { args: ['md5sum', 'in.txt', 'data.bin'] }],
  ['sha1sum', { args: ['sha1sum', 'in.txt'] }],
  ['sha256sum', { args: ['sha256sum', 'data.bin'] }],
  ['sha512sum', { args: ['sha512sum', 'words.txt'] }],
  ['dos2unix', { args: ['dos2unix', 'dos.txt'], files: { 'dos.txt': 'one\r\ntwo\r\n' } }],
  ['paste', { args: ['paste', '-d', ',', 'words.txt', 'words.txt'] }],
  ['gzip -k', { args: ['gzip', '-k', 'in.txt'] }],
  ['gzip -c to stdout', { args: ['gzip', '-c', '-9', 'words.txt'] }],
  ['gunzip -c', { args: ['gunzip', '-c', 'in.txt.gz'], files: { 'in.txt.gz': gzipSync(text) } }],
  ['bzip2', { args: ['bzip2', '-k', 'words.txt'] }],
  ['bunzip2 -c', { args: ['bunzip2', '-c', 't.bz2'], files: { 't.bz2': bzip2(text) } }],
  ['od', { args: ['od', '-A', 'x', '-t', 'x1', '-N', '64', 'data.bin'] }],
  ['hexdump -C', { args: ['hexdump', '-C', '-n', '96', 'data.bin'] }],
  ['base64', { args: ['base64', 'data.bin'] }],
  ['tac', { args: ['tac', 'words.txt'] }],
  ['rev', { args: ['rev', 'words.txt'] }],
  ['nl', { args: ['nl', 'words.txt'] }],
  ['fold', { args: ['fold', '-w', '11', 'words.txt'] }],
  ['cmp of two different files', { args: ['cmp', 'in.txt', 'words.txt'] }],
  ['diff', { args: ['diff', 'a.txt', 'b.txt'], files: { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'one\n2\nthree\nfour\n' } }],
  ['cp', { args: ['cp', 'in.txt', 'copy.txt'] }],
  ['mv', { args: ['mv', 'words.txt', 'moved.txt'] }],
  ['rm', { args: ['rm', 'data.bin'] }],
  ['mkdir -p', { args: ['mkdir', '-p', 'a/b/c'] }],
  ['rmdir', { args: ['rmdir', 'empty'], files: { 'empty/.keep': '' } }],
  ['ln -s', { args: ['ln', '-s', 'in.txt', 'link.txt'] }],
  ['ls', { args: ['ls', '-a'] }],
  ['ls -R', { args: ['ls', '-R', 'tree'], files: { 'tree/x/1.txt': '1', 'tree/y/2.txt': '22', 'tree/z.txt': '' } }],
  ['stat -c', { args: ['stat', '-c', '%n %s %F', 'in.txt', 'data.bin'] }],
  ['find', { args: ['find', '.', '-name', '*.txt'] }],
  ['dd', { args: ['dd', 'if=data.bin', 'of=part.bin', 'bs=100', 'count=7', 'skip=2'] }],
  ['expand', { args: ['expand', '-t', '4', 'tabs.txt'], files: { 'tabs.txt': 'a\tbb\tccc\n\tx\ty\n' } }],
  ['strings', { args: ['strings', '-n', '3', 'data.bin'] }],
  ['xxd', { args: ['xxd', '-l', '64', 'data.bin'] }],
  ['crc32', { args: ['crc32', 'in.txt'] }],
  ['sha3sum', { args: ['sha3sum', 'words.txt'] }],
  ['cpio -i -t -v', { args: ['cpio', '-i', '-t', '-v'], stdin: cpioArchive() }],
  ['cpio -i -d', { args: ['cpio', '-i', '-d'], stdin: cpioArchive() }],
  ['truncate', { args: ['truncate', '-s', '1000', 'in.txt'] }],
  ['seq and expr', { args: ['seq', '3', '4', '40'] }],
  ['printf', { args: ['printf', '%05d|%s|%x\\n', '42', 'str', '255'] }],
  ['basename', { args: ['basename', '/usr/lib/libc.so.6', '.6'] }],
  ['false', { args: ['false'] }],
  // Through a child: busybox decompresses in a process it forks, over a pipe (pipe2, wait4);
  // `o` keeps tar from looking up owners in the host's /etc/passwd, which qemu-i386 reads.
  ['zcat', { args: ['zcat', 'w.gz'], files: { 'w.gz': gzipSync(words) } }],
  ['tar xof', { args: ['tar', 'xof', 'src.tar'], files: { 'src.tar': tarArchive() } }],
  ['tar tvf', { args: ['tar', 'tvf', 'src.tar'], files: { 'src.tar': tarArchive() } }],
  ['tar xozf', { args: ['tar', 'xozf', 'src.tgz'], files: { 'src.tgz': gzipSync(tarArchive()) } }],
];

const bb = suite('Debian busybox (static, i386): qemu-i386 -strace agrees');
let results: Awaited<ReturnType<typeof runAll>> = [];

bb.before(async () => {
  if (!haveI386()) throw new Error('Debian\'s i386 packages are missing: run ./setup.sh (it runs scripts/fetch-i386.sh)');
  results = await runAll(cases.map(([, c]) => ({ ...c, files: { ...files, ...c.files } })));
});

cases.forEach(([name], i) => {
  bb(`busybox ${name}`, () => {
    const { qemu, ours } = results[i];
    assert.equal(differences(qemu, ours), [], `busybox ${cases[i][1].args.join(' ')}`);
  });
});

bb('at least 30 applets are compared', () => {
  assert.ok(new Set(cases.map(([, c]) => c.args[0])).size >= 30);
});

bb.run();
