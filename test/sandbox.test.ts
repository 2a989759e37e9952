// The host sandbox under attack: a host process swapping a directory for a symlink while
// the guest works, `--root /`, FIFOs, devices and /proc files. Nothing outside the root is
// read, created or deleted; nothing blocks; every failure is an errno, never a host exception.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { E, KernelError } from '../kernel-model/errno.js';
import { O } from '../kernel-model/vfs.js';
import { HostFileSystem, useOpenat2 } from '../host/hostfs.js';
import { cli, tmpdir } from './helpers.js';

const errnoOf = (fn: () => unknown): number => {
  try {
    fn();
  } catch (err) {
    if (err instanceof KernelError) return err.errno;
    throw err;
  }
  return 0;
};

const race = suite('a directory swapped for a symlink while the guest opens files');

async function raceOnce(): Promise<void> {
  const top = tmpdir();
  const root = path.join(top, 'root'), canary = path.join(top, 'canary');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(canary);
  fs.writeFileSync(path.join(canary, 'secret'), 'CANARY');
  fs.writeFileSync(path.join(canary, 'victim'), 'keep me');
  fs.writeFileSync(path.join(root, 'sub', 'secret'), 'inside');
  // The host process: swap root/sub between the real folder and a symlink to the canary,
  // absolute and relative, as fast as it can.
  const swapper = new Worker(`
    const fs = require('node:fs');
    const { root, canary } = require('node:worker_threads').workerData;
    const sub = root + '/sub', kept = root + '/kept';
    const end = Date.now() + 1500;
    let swaps = 0;
    while (Date.now() < end) {
      try {
        fs.renameSync(sub, kept);
        fs.symlinkSync(swaps % 2 ? canary : '../canary', sub);
        fs.unlinkSync(sub);
        fs.renameSync(kept, sub);
        swaps++;
      } catch {}
    }
    require('node:worker_threads').parentPort.postMessage(swaps);
  `, { eval: true, workerData: { root, canary } });
  const done = new Promise<number>((resolve) => swapper.on('message', resolve));
  const vfs = new HostFileSystem(root);
  const seen = new Set<string>();
  let opens = 0, reads = 0;
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    for (const attempt of [
      () => { const f = vfs.open('/sub/secret', O.RDONLY, 0); const t = Buffer.from(f.read(100)).toString(); f.close(); seen.add(t); reads++; },
      () => { const f = vfs.open('sub/new-file', O.WRONLY | O.CREAT, 0o644); f.close(); opens++; },
      () => vfs.unlink('/sub/victim'),
      () => vfs.stat('/sub/secret', true),
      () => vfs.mkdir('/sub/newdir', 0o755),
      () => vfs.rename('/sub/new-file', '/sub/renamed', 0),
    ]) {
      try {
        attempt();
      } catch (err) {
        if (!(err instanceof KernelError)) throw err; // a host exception would end a run with exit 70
      }
    }
  }
  const swaps = await done;
  vfs.close();
  assert.ok(swaps > 100, `the swapper ran (${swaps} swaps)`);
  assert.ok(reads > 0 && opens > 0, 'the guest got through sometimes');
  assert.not.ok(seen.has('CANARY'), 'never read the canary');
  assert.equal(fs.readdirSync(canary).sort(), ['secret', 'victim'], 'nothing created or deleted outside the root');
  assert.is(fs.readFileSync(path.join(canary, 'victim'), 'utf8'), 'keep me');
}

race('nothing outside the root is read, created or deleted, and nothing crashes (openat2 where the host has it)', raceOnce);

race('the same with the component walk alone (hosts without openat2)', async () => {
  const was = useOpenat2(false);
  try {
    await raceOnce();
  } finally {
    useOpenat2(was);
  }
});

race.run();

const special = suite('special files and unusual roots');

special('--root / opens files (it used to give EACCES for every path)', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'f'), 'content');
  const vfs = new HostFileSystem('/');
  assert.equal(Buffer.from(vfs.open(path.join(dir, 'f'), O.RDONLY, 0).read(100)).toString(), 'content');
  assert.is(vfs.stat(dir, true).mode & 0o170000, 0o040000);
  vfs.close();
});

function mkfifo(p: string): void {
  const r = spawnSync('mkfifo', [p]);
  assert.is(r.status, 0, 'mkfifo works');
}

special('a FIFO the guest opens never blocks: no reader is ENXIO, an empty one reads EOF or EAGAIN', () => {
  const root = tmpdir();
  mkfifo(path.join(root, 'fifo'));
  const vfs = new HostFileSystem(root);
  assert.is(errnoOf(() => vfs.open('/fifo', O.WRONLY, 0)), E.ENXIO);
  const r = vfs.open('/fifo', O.RDONLY, 0);
  const got = (() => { try { return r.read(10).length; } catch (err) { return -(err as KernelError).errno; } })();
  assert.ok(got === 0 || got === -E.EAGAIN, `read gave ${got}`);
  r.close();
  vfs.close();
});

special('a FIFO opened O_RDWR is written at no offset (it used to give ESPIPE)', () => {
  const root = tmpdir();
  mkfifo(path.join(root, 'fifo'));
  const vfs = new HostFileSystem(root);
  const f = vfs.open('/fifo', O.RDWR, 0);
  assert.is(f.write(Buffer.from('through the pipe')), 16);
  assert.equal(Buffer.from(f.read(100)).toString(), 'through the pipe');
  assert.is(errnoOf(() => f.pwrite(Buffer.from('x'), 0)), E.ESPIPE);
  assert.is(errnoOf(() => f.lseek(0, 0)), E.ESPIPE);
  f.close();
  vfs.close();
});

special('read and write errors on /proc files are errno values, not exceptions', () => {
  const vfs = new HostFileSystem('/');
  const mem = vfs.open('/proc/self/mem', O.RDONLY, 0);
  assert.ok(errnoOf(() => mem.read(16)) > 0, 'reading address 0 of /proc/self/mem');
  mem.close();
  const maps = vfs.open('/proc/self/maps', O.RDONLY, 0);
  assert.is(errnoOf(() => maps.write(Buffer.from('x'))), E.EBADF);
  assert.ok(maps.read(10).length > 0);
  maps.close();
  // Root may open it for writing; the write itself fails.
  assert.ok(errnoOf(() => vfs.open('/proc/self/maps', O.WRONLY, 0).write(Buffer.from('x'))) > 0);
  const rw = vfs.open('/proc/self/mem', O.RDWR, 0);
  assert.ok(errnoOf(() => rw.write(Buffer.from('x'))) > 0, 'writing address 0 of /proc/self/mem');
  rw.close();
  vfs.close();
});

special('the guest can neither read nor write /dev/zero without bound: one read is the count asked', () => {
  const vfs = new HostFileSystem('/');
  const z = vfs.open('/dev/zero', O.RDONLY, 0);
  assert.is(z.read(4096).length, 4096);
  z.close();
  vfs.close();
});

special.run();

const inputs = suite('special files as the program');

inputs('a FIFO or a device as the guest is bad input, at once', () => {
  const dir = tmpdir();
  mkfifo(path.join(dir, 'fifo'));
  for (const guest of [path.join(dir, 'fifo'), '/dev/zero']) {
    const started = Date.now();
    const r = cli(['run', guest]);
    assert.is(r.status, 2, guest);
    assert.match(r.stderr, /not a regular file/);
    assert.is(r.stderr.trim().split('\n').length, 1);
    assert.ok(Date.now() - started < 10_000);
  }
});

inputs('a guest in a FIFO-holding root runs cat over the FIFO without blocking', () => {
  const root = tmpdir();
  mkfifo(path.join(root, 'fifo'));
  const r = spawnSync(process.execPath, ['bin/syscluster.js', 'run', 'cat', '100', 'fifo', '--root', root],
    { encoding: 'latin1', timeout: 20_000 });
  assert.is(r.signal, null, 'not killed by the timeout');
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
});

inputs('--root / runs a guest on the host files; a missing --sysroot is one line and exit 2', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'in.txt'), 'seen from /\n');
  const r = cli(['run', 'cat', '100', path.join(dir, 'in.txt'), '--root', '/']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'seen from /\n');
  const bad = cli(['run', 'hello', '--sysroot', path.join(dir, 'nope')]);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--sysroot .*nope: no such directory/);
  assert.is(bad.stderr.trim().split('\n').length, 1);
});

inputs('--sysroot: the guest reads what the root lacks; writes land in the root', () => {
  const root = tmpdir(), lower = tmpdir();
  fs.writeFileSync(path.join(lower, 'in.txt'), 'from the sysroot');
  const r = cli(['run', 'copy', '/in.txt', '/out.txt', '--root', root, '--sysroot', lower]);
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(path.join(root, 'out.txt'), 'utf8'), 'from the sysroot');
  assert.not.ok(fs.existsSync(path.join(lower, 'out.txt')));
  const none = cli(['run', 'copy', '/in.txt', '/out2.txt', '--root', root, '--sysroot', 'none']);
  assert.is(none.status, 1, 'without the sysroot the input is missing');
});

inputs.run();
