// The guest file system: the sandbox holds against `..`, absolute paths and symlinks;
// flags behave as on Linux; the fd table has a limit.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { E, KernelError } from '../kernel-model/errno.js';
import { CapturedStdio, FdTable, MemoryFileSystem, O, SEEK } from '../kernel-model/vfs.js';
import { HostFileSystem, useOpenat2 } from '../host/hostfs.js';
import { tmpdir } from './helpers.js';

const errnoOf = (fn: () => unknown): number => {
  try {
    fn();
  } catch (err) {
    if (err instanceof KernelError) return err.errno;
    throw err;
  }
  return 0;
};

for (const openat2 of [true, false]) {
  const sandbox = suite(`host file system sandbox (${openat2 ? 'openat2 where the host has it' : 'the component walk alone'})`);
  sandbox.before(() => { useOpenat2(openat2); });
  sandbox.after(() => { useOpenat2(true); });
  let outside: string, root: string, secret: string;

  sandbox.before.each(() => {
    outside = tmpdir();
    root = path.join(outside, 'root');
    fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
    secret = path.join(outside, 'secret.txt');
    fs.writeFileSync(secret, 'host secret');
    fs.writeFileSync(path.join(root, 'inside.txt'), 'inside');
  });

  sandbox('.. never climbs above the guest root', () => {
    const vfs = new HostFileSystem(root);
    assert.is(errnoOf(() => vfs.open('../secret.txt', O.RDONLY, 0)), E.ENOENT);
    assert.is(errnoOf(() => vfs.open('/../../secret.txt', O.RDONLY, 0)), E.ENOENT);
    assert.is(errnoOf(() => vfs.open('sub/../../../secret.txt', O.RDONLY, 0)), E.ENOENT);
    assert.equal(Buffer.from(vfs.open('/sub/../../inside.txt', O.RDONLY, 0).read(100)).toString(), 'inside');
  });

  sandbox('absolute paths are relative to the guest root', () => {
    const vfs = new HostFileSystem(root);
    assert.is(errnoOf(() => vfs.open(secret, O.RDONLY, 0)), E.ENOENT);
    assert.equal(Buffer.from(vfs.open('/inside.txt', O.RDONLY, 0).read(100)).toString(), 'inside');
  });

  sandbox('symlinks resolve inside the root, absolute or relative', () => {
    fs.symlinkSync(secret, path.join(root, 'abs-link'));
    fs.symlinkSync('../secret.txt', path.join(root, 'rel-link'));
    fs.symlinkSync('/inside.txt', path.join(root, 'good-link'));
    fs.symlinkSync(outside, path.join(root, 'dir-link'));
    const vfs = new HostFileSystem(root);
    assert.is(errnoOf(() => vfs.open('abs-link', O.RDONLY, 0)), E.ENOENT);
    assert.is(errnoOf(() => vfs.open('rel-link', O.RDONLY, 0)), E.ENOENT);
    assert.is(errnoOf(() => vfs.open('dir-link/secret.txt', O.RDONLY, 0)), E.ENOENT);
    assert.equal(Buffer.from(vfs.open('good-link', O.RDONLY, 0).read(100)).toString(), 'inside');
  });

  sandbox('writing through an escaping path leaves the host file untouched', () => {
    fs.symlinkSync(secret, path.join(root, 'abs-link'));
    fs.symlinkSync('../secret.txt', path.join(root, 'rel-link'));
    const vfs = new HostFileSystem(root);
    // The absolute target names a folder that does not exist inside the root.
    assert.is(errnoOf(() => vfs.open('abs-link', O.WRONLY | O.CREAT | O.TRUNC, 0o644)), E.ENOENT);
    const f = vfs.open('rel-link', O.WRONLY | O.CREAT | O.TRUNC, 0o644); // `..` at the root: creates root/secret.txt
    f.write(Buffer.from('overwritten'));
    f.close();
    const g = vfs.open('../../secret.txt', O.WRONLY | O.CREAT | O.TRUNC, 0o644);
    g.write(Buffer.from('again'));
    g.close();
    assert.is(fs.readFileSync(secret, 'utf8'), 'host secret');
    assert.is(fs.readFileSync(path.join(root, 'secret.txt'), 'utf8'), 'again');
    vfs.unlink('/../secret.txt');
    assert.ok(fs.existsSync(secret));
  });

  sandbox('symlink loops give ELOOP', () => {
    fs.symlinkSync('loop-b', path.join(root, 'loop-a'));
    fs.symlinkSync('loop-a', path.join(root, 'loop-b'));
    assert.is(errnoOf(() => new HostFileSystem(root).open('loop-a', O.RDONLY, 0)), E.ELOOP);
  });

  sandbox('Linux errors: ENOENT, EEXIST, EISDIR, ENOTDIR, EBADF on access mode', () => {
    const vfs = new HostFileSystem(root);
    assert.is(errnoOf(() => vfs.open('nope', O.RDONLY, 0)), E.ENOENT);
    assert.is(errnoOf(() => vfs.open('inside.txt', O.WRONLY | O.CREAT | O.EXCL, 0o644)), E.EEXIST);
    assert.is(errnoOf(() => vfs.open('sub', O.WRONLY, 0)), E.EISDIR);
    assert.is(errnoOf(() => vfs.open('inside.txt/x', O.RDONLY, 0)), E.ENOTDIR);
    assert.is(errnoOf(() => vfs.open('sub', O.RDONLY, 0).read(10)), E.EISDIR);
    assert.is(errnoOf(() => vfs.open('inside.txt', O.RDONLY, 0).write(Buffer.from('x'))), E.EBADF);
    assert.is(errnoOf(() => vfs.open('inside.txt', O.WRONLY, 0).read(1)), E.EBADF);
    assert.is(errnoOf(() => vfs.unlink('sub')), E.EISDIR);
    assert.is(errnoOf(() => vfs.open('', O.RDONLY, 0)), E.ENOENT);
    assert.is(errnoOf(() => vfs.open('a'.repeat(300), O.RDONLY, 0)), E.ENAMETOOLONG);
  });

  sandbox('O_APPEND, O_TRUNC and lseek', () => {
    const vfs = new HostFileSystem(root);
    const a = vfs.open('log', O.WRONLY | O.CREAT | O.APPEND, 0o644);
    a.write(Buffer.from('one '));
    a.lseek(0, SEEK.SET);
    a.write(Buffer.from('two'));
    a.close();
    assert.is(fs.readFileSync(path.join(root, 'log'), 'utf8'), 'one two');
    const t = vfs.open('log', O.RDWR | O.TRUNC, 0);
    assert.is(t.lseek(0, SEEK.END), 0);
    t.write(Buffer.from('abcdef'));
    assert.is(t.lseek(-2, SEEK.CUR), 4);
    assert.equal(Buffer.from(t.read(10)).toString(), 'ef');
    assert.is(errnoOf(() => t.lseek(-100, SEEK.CUR)), E.EINVAL);
    assert.is(errnoOf(() => t.lseek(0, 7)), E.EINVAL);
    t.close();
  });

  sandbox.run();
}

const mem = suite('in-memory file system');

mem('create, write, read back, truncate, unlink', () => {
  const vfs = new MemoryFileSystem({ '/in': Buffer.from('data') });
  assert.equal(Buffer.from(vfs.open('in', O.RDONLY, 0).read(10)).toString(), 'data');
  const f = vfs.open('/out', O.WRONLY | O.CREAT | O.TRUNC, 0o644);
  f.write(Buffer.from('hello'));
  assert.equal(Buffer.from(vfs.contents('out')!).toString(), 'hello');
  vfs.open('out', O.WRONLY | O.TRUNC, 0);
  assert.is(vfs.contents('out')!.length, 0);
  assert.is(errnoOf(() => vfs.open('missing', O.RDONLY, 0)), E.ENOENT);
  assert.is(errnoOf(() => vfs.open('in', O.WRONLY | O.CREAT | O.EXCL, 0)), E.EEXIST);
  vfs.unlink('in');
  assert.is(errnoOf(() => vfs.unlink('in')), E.ENOENT);
});

mem('paths normalize the same way as on the host', () => {
  const vfs = new MemoryFileSystem({ '/a/b': Buffer.from('x') });
  assert.ok(vfs.open('/../a/./b', O.RDONLY, 0));
  assert.is(errnoOf(() => vfs.open('/a', O.RDONLY, 0).read(1)), E.EISDIR);
  assert.is(errnoOf(() => vfs.open('/a', O.WRONLY, 0)), E.EISDIR);
});

mem.run();

const fds = suite('fd table');

fds('lowest free descriptor, EMFILE at the limit, EBADF after close', () => {
  const vfs = new MemoryFileSystem({ '/f': Buffer.from('x') });
  const t = new FdTable(new CapturedStdio(), 6);
  assert.is(t.install(vfs.open('f', O.RDONLY, 0)), 3);
  assert.is(t.install(vfs.open('f', O.RDONLY, 0)), 4);
  assert.is(t.install(vfs.open('f', O.RDONLY, 0)), 5);
  assert.is(errnoOf(() => t.install(vfs.open('f', O.RDONLY, 0))), E.EMFILE);
  t.close(4);
  assert.is(t.install(vfs.open('f', O.RDONLY, 0)), 4);
  t.close(3);
  assert.is(errnoOf(() => t.get(3)), E.EBADF);
  assert.is(errnoOf(() => t.close(3)), E.EBADF);
  assert.is(errnoOf(() => t.get(-1)), E.EBADF);
});

fds('standard streams: stdin reads, stdout writes, no seeking', () => {
  const io = new CapturedStdio(Buffer.from('typed'));
  const t = new FdTable(io);
  assert.equal(Buffer.from(t.get(0).read(3)).toString(), 'typ');
  t.get(1).write(Buffer.from('out'));
  t.get(2).write(Buffer.from('err'));
  assert.is(io.stdout(), 'out');
  assert.is(io.stderr(), 'err');
  assert.is(errnoOf(() => t.get(1).lseek(0, 0)), E.ESPIPE);
  assert.is(errnoOf(() => t.get(0).write(Buffer.from('x'))), E.EBADF);
});

fds.run();

const sysroot = suite('a read-only sysroot behind the root (qemu -L)');
let top: string, upper: string, lower: string;

sysroot.before.each(() => {
  top = tmpdir();
  upper = path.join(top, 'root');
  lower = path.join(top, 'sysroot');
  fs.mkdirSync(path.join(upper, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(lower, 'lib/i386-linux-gnu'), { recursive: true });
  fs.mkdirSync(path.join(lower, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(lower, 'lib/i386-linux-gnu/libc.so.6'), 'libc');
  fs.symlinkSync('/lib/i386-linux-gnu/libc.so.6', path.join(lower, 'lib/libc.so.6'));
  fs.writeFileSync(path.join(lower, 'etc/both'), 'lower');
  fs.writeFileSync(path.join(upper, 'etc/both'), 'upper');
});

sysroot('the root answers first; the sysroot fills in what it lacks, its symlinks resolved inside it', () => {
  const vfs = new HostFileSystem(upper, lower);
  const read = (p: string) => Buffer.from(vfs.open(p, O.RDONLY, 0).read(100)).toString();
  assert.is(read('/etc/both'), 'upper');
  assert.is(read('/lib/i386-linux-gnu/libc.so.6'), 'libc');
  assert.is(read('/lib/libc.so.6'), 'libc');
  assert.is(vfs.readlink('/lib/libc.so.6'), '/lib/i386-linux-gnu/libc.so.6');
  assert.is(vfs.directory('/lib/../lib/i386-linux-gnu'), '/lib/i386-linux-gnu');
  assert.is(errnoOf(() => vfs.open('/nowhere', O.RDONLY, 0)), E.ENOENT);
  vfs.close();
});

sysroot('nothing writes into the sysroot: EROFS, and new files land in the root', () => {
  const vfs = new HostFileSystem(upper, lower);
  assert.is(errnoOf(() => vfs.open('/lib/i386-linux-gnu/libc.so.6', O.WRONLY, 0)), E.EROFS);
  assert.is(errnoOf(() => vfs.open('/lib/i386-linux-gnu/libc.so.6', O.RDONLY | O.TRUNC, 0)), E.EROFS);
  assert.is(errnoOf(() => vfs.unlink('/lib/i386-linux-gnu/libc.so.6')), E.EROFS);
  assert.is(errnoOf(() => vfs.mkdir('/lib/new', 0o755)), E.EROFS);
  assert.is(errnoOf(() => vfs.rename('/lib/libc.so.6', '/moved', 0)), E.EROFS);
  assert.is(errnoOf(() => vfs.chmod('/lib/i386-linux-gnu/libc.so.6', 0o600, true)), E.EROFS);
  assert.is(errnoOf(() => vfs.access('/lib/i386-linux-gnu/libc.so.6', 2, true)), E.EROFS);
  const f = vfs.open('/etc/new', O.WRONLY | O.CREAT, 0o644);
  f.write(Buffer.from('made'));
  f.close();
  assert.is(fs.readFileSync(path.join(upper, 'etc/new'), 'utf8'), 'made');
  assert.not.ok(fs.existsSync(path.join(lower, 'etc/new')));
  assert.is(fs.readFileSync(path.join(lower, 'lib/i386-linux-gnu/libc.so.6'), 'utf8'), 'libc');
  vfs.close();
});

sysroot.run();

const memtree = suite('in-memory file system: directories, links, names');

memtree('mkdir, symlinks (relative, absolute, loops), readdir through a description, rename, link', () => {
  const vfs = new MemoryFileSystem({ '/a/f': Buffer.from('data') });
  vfs.mkdir('/a/b', 0o755);
  vfs.symlink('../f', '/a/b/up');
  vfs.symlink('/a', '/abs');
  vfs.symlink('loop', '/loop');
  assert.equal(Buffer.from(vfs.open('/a/b/up', O.RDONLY, 0).read(10)).toString(), 'data');
  assert.equal(Buffer.from(vfs.open('/abs/b/up', O.RDONLY, 0).read(10)).toString(), 'data');
  assert.is(errnoOf(() => vfs.open('/loop', O.RDONLY, 0)), E.ELOOP);
  assert.is(vfs.directory('/abs/b/..'), '/a');
  const dir = vfs.open('/a', O.RDONLY | O.DIRECTORY, 0);
  assert.equal(dir.readEntries(() => true).map((e) => e.name), ['.', '..', 'f', 'b']);
  assert.equal(dir.readEntries(() => true), []);
  dir.lseek(0, SEEK.SET);
  assert.equal(dir.readEntries((e) => e.name !== 'f').map((e) => e.name), ['.', '..']);
  vfs.rename('/a/f', '/a/g', 0);
  vfs.link('/a/g', '/h', true);
  assert.is(vfs.stat('/h', true).nlink, 2);
  assert.is(errnoOf(() => vfs.rmdir('/a')), E.ENOTEMPTY);
  assert.is(errnoOf(() => vfs.open('/a/g/', O.RDONLY, 0)), E.ENOTDIR);
  assert.equal(vfs.paths(), ['/a/g', '/h']);
});

memtree.run();
