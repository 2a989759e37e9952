// The file calls on the kernel model with a fake memory and the in-memory file system:
// i386 structure layouts, descriptors sharing descriptions, the working directory, umask,
// /proc/self/exe, big transfers, and the strace lines of the new argument kinds.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { E } from '../kernel-model/errno.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import { StraceTracer } from '../trace/strace.js';
import { profile } from './helpers.js';

const RW = 0x10000, BUF = 0x11000, PATH2 = 0x10800;
const AT_FDCWD = -100 >>> 0;
const NR = {
  read: 3, write: 4, open: 5, close: 6, creat: 8, link: 9, unlink: 10, chdir: 12, lseek: 19, access: 33, rename: 38, mkdir: 39,
  rmdir: 40, dup: 41, ioctl: 54, umask: 60, dup2: 63, symlink: 83, readlink: 85, fchdir: 133, llseek: 140, getdents: 141,
  readv: 145, writev: 146, getcwd: 183, stat64: 195, lstat64: 196, fstat64: 197, getdents64: 220, fcntl64: 221,
  sendfile64: 239, fadvise64: 250, fadvise64_64: 272, openat: 295, mkdirat: 296, fstatat64: 300, unlinkat: 301, readlinkat: 305, dup3: 330, statx: 383,
} as const;

function setup(files: Record<string, Uint8Array> = {}, extraBytes = 0) {
  const mem = new ArrayMemory();
  mem.map(RW, 0x10000, PROT.READ | PROT.WRITE);
  if (extraBytes) mem.map(0x1000000, extraBytes, PROT.READ | PROT.WRITE);
  const fs = new MemoryFileSystem(files);
  const stdio = new CapturedStdio();
  const k = new Kernel({ profile: profile(), personality: personality('modern'), memory: mem, fs, stdio, brk: 0x30000,
    exePath: '/usr/bin/prog', warn: () => {} });
  const str = (addr: number, s: string) => { mem.write(addr, Buffer.from(s + '\0', 'latin1')); return addr; };
  const call = (nr: number, ...args: number[]) => k.dispatch(nr, args.map((a) => a >>> 0)).result;
  const bytes = (addr: number, n: number) => Buffer.from(mem.read(addr, n)!);
  return { k, mem, fs, stdio, str, call, bytes };
}

const layout = suite('structures laid out as i386 Linux lays them out');

layout('struct stat64: 96 bytes, mode at 16, size at 44, both inode fields', () => {
  const { call, str, bytes } = setup({ '/f': Buffer.from('12345') });
  assert.is(call(NR.stat64, str(RW, '/f'), BUF), 0);
  const b = bytes(BUF, 96);
  assert.is(b.readUInt32LE(16), 0o100644, 'st_mode');
  assert.is(b.readUInt32LE(20), 1, 'st_nlink');
  assert.is(Number(b.readBigInt64LE(44)), 5, 'st_size');
  assert.is(b.readUInt32LE(52), 4096, 'st_blksize');
  assert.is(Number(b.readBigUInt64LE(56)), 8, 'st_blocks');
  assert.is(b.readUInt32LE(12), Number(b.readBigUInt64LE(88)), '__st_ino is the low half of st_ino');
  assert.is(b.readUInt32LE(72), 1_009_843_200, 'st_mtime');
});

layout('struct stat (106-108): 64 bytes of 32- and 16-bit fields', () => {
  const { call, str, bytes } = setup({ '/f': Buffer.from('12345') });
  assert.is(call(106, str(RW, '/f'), BUF), 0);
  const b = bytes(BUF, 64);
  assert.is(b.readUInt16LE(8), 0o100644, 'st_mode');
  assert.is(b.readUInt16LE(10), 1, 'st_nlink');
  assert.is(b.readUInt32LE(20), 5, 'st_size');
  assert.is(b.readUInt32LE(40), 1_009_843_200, 'st_mtime');
  const fd = call(NR.open, str(RW, '/f'), O.RDONLY);
  assert.is(call(108, fd, BUF), 0);
  assert.is(call(107, str(RW, '/nope'), BUF), -E.ENOENT);
});

layout('struct statx: mask, mode at 28, size at 40; fstatat64 with AT_EMPTY_PATH', () => {
  const { call, str, bytes } = setup({ '/d/f': Buffer.from('abc') });
  assert.is(call(NR.statx, AT_FDCWD, str(RW, 'd/f'), 0, 0x7ff, BUF), 0);
  const b = bytes(BUF, 256);
  assert.is(b.readUInt32LE(0), 0x7ff);
  assert.is(b.readUInt16LE(28), 0o100644);
  assert.is(Number(b.readBigUInt64LE(40)), 3);
  assert.is(call(NR.statx, AT_FDCWD, str(RW, 'd/f'), 0, 0x80000000, BUF), -E.EINVAL, 'STATX__RESERVED');
  const dirfd = call(NR.open, str(RW, '/d'), O.RDONLY | O.DIRECTORY);
  assert.is(call(NR.fstatat64, dirfd, str(RW, ''), BUF, 0x1000), 0);
  assert.is(bytes(BUF, 96).readUInt32LE(16) & 0o170000, 0o040000);
  assert.is(call(NR.fstatat64, dirfd, str(RW, ''), BUF, 0), -E.ENOENT, 'an empty path without AT_EMPTY_PATH');
});

layout('linux_dirent64 and linux_dirent: reclen, d_type, ".", "..", EINVAL when too small, 0 at the end', () => {
  const { call, str, bytes } = setup({ '/d/a': Buffer.from('x'), '/d/sub/b': Buffer.from('y') });
  const fd = call(NR.open, str(RW, '/d'), O.RDONLY | O.DIRECTORY);
  assert.is(call(NR.getdents64, fd, BUF, 10), -E.EINVAL);
  const n = call(NR.getdents64, fd, BUF, 4096);
  const b = bytes(BUF, n);
  const seen: [string, number][] = [];
  for (let at = 0; at < n;) {
    const reclen = b.readUInt16LE(at + 16);
    assert.is(reclen % 8, 0);
    assert.is(Number(b.readBigInt64LE(at + 8)), seen.length + 1, 'd_off is the next position');
    seen.push([b.toString('latin1', at + 19, b.indexOf(0, at + 19)), b[at + 18]]);
    at += reclen;
  }
  assert.equal(seen, [['.', 4], ['..', 4], ['a', 8], ['sub', 4]]);
  const root = call(NR.open, str(RW, '/'), O.RDONLY | O.DIRECTORY);
  assert.is(call(NR.getdents64, root, BUF, 4096) > 0, true, 'the root lists dev, tmp and d');
  assert.is(call(NR.getdents64, fd, BUF, 4096), 0);
  assert.is(call(NR.lseek, fd, 2, 0), 2);
  const m = call(NR.getdents, fd, BUF, 4096);
  const o = bytes(BUF, m);
  assert.is(o.readUInt16LE(8), 16, 'd_reclen of "a": 10 + 1 + 2, rounded up to 4');
  assert.is(o.toString('latin1', 10, 11), 'a');
  assert.is(o[11], 0);
  assert.is(o[o.readUInt16LE(8) - 1], 8, 'd_type in the last byte');
  const file = call(NR.open, str(RW, '/d/a'), O.RDONLY);
  assert.is(call(NR.getdents64, file, BUF, 4096), -E.ENOTDIR);
});

layout.run();

const fds = suite('descriptors and descriptions');

fds('dup shares one offset; closing one leaves the other', () => {
  const { call, str, bytes } = setup({ '/f': Buffer.from('0123456789') });
  const a = call(NR.open, str(RW, '/f'), O.RDONLY);
  const b = call(NR.dup, a);
  assert.is(b, a + 1);
  assert.is(call(NR.read, a, BUF, 3), 3);
  assert.is(call(NR.lseek, b, 0, 1), 3);
  assert.is(call(NR.close, a), 0);
  assert.is(call(NR.read, b, BUF, 3), 3);
  assert.is(bytes(BUF, 3).toString(), '345');
});

fds('FD_CLOEXEC belongs to the descriptor: O_CLOEXEC, F_SETFD, dup, dup3, F_DUPFD_CLOEXEC', () => {
  const { call, str } = setup({ '/f': Buffer.from('x') });
  const a = call(NR.open, str(RW, '/f'), O.RDONLY | O.CLOEXEC);
  assert.is(call(NR.fcntl64, a, 1, 0), 1);
  const b = call(NR.dup, a);
  assert.is(call(NR.fcntl64, b, 1, 0), 0, 'dup clears FD_CLOEXEC');
  assert.is(call(NR.fcntl64, b, 2, 1), 0);
  assert.is(call(NR.fcntl64, b, 1, 0), 1);
  assert.is(call(NR.fcntl64, a, 1030, 10), 10);
  assert.is(call(NR.fcntl64, 10, 1, 0), 1);
  assert.is(call(NR.fcntl64, a, 0, 10), 11, 'F_DUPFD takes the lowest free at or above');
  assert.is(call(NR.fcntl64, a, 0, 100000), -E.EINVAL);
  assert.is(call(NR.dup3, a, 20, O.CLOEXEC), 20);
  assert.is(call(NR.dup3, a, 20, 1), -E.EINVAL);
  assert.is(call(NR.dup3, 20, 20, 0), -E.EINVAL);
  assert.is(call(NR.dup2, 20, 20), 20);
  assert.is(call(NR.dup2, 99, 21), -E.EBADF);
  assert.is(call(NR.fcntl64, a, 3, 0), O.RDONLY, 'F_GETFL');
  assert.is(call(NR.fcntl64, a, 4, O.APPEND | O.WRONLY), 0);
  assert.is(call(NR.fcntl64, a, 3, 0), O.APPEND, 'F_SETFL leaves the access mode alone');
});

fds('dup2 onto an open descriptor closes what it held; the standard streams survive', () => {
  const { call, str, stdio } = setup({ '/f': Buffer.from('x') });
  const a = call(NR.open, str(RW, '/f'), O.RDONLY);
  assert.is(call(NR.dup2, 1, a), a);
  str(BUF, 'via dup2');
  assert.is(call(NR.write, a, BUF, 8), 8);
  assert.is(stdio.stdout(), 'via dup2');
  assert.is(call(NR.ioctl, 1, 0x5401, BUF), -E.ENOTTY, 'captured output is no terminal');
});

fds.run();

const paths = suite('the working directory, *at calls, umask, /proc/self/exe');

paths('chdir, getcwd, relative paths, fchdir, dirfd-relative calls', () => {
  const { call, str, bytes, fs } = setup({ '/a/b/f': Buffer.from('deep'), '/top': Buffer.from('t') });
  assert.is(call(NR.getcwd, BUF, 100), 2);
  assert.is(call(NR.chdir, str(RW, 'a/b')), 0);
  assert.is(call(NR.getcwd, BUF, 100), 5);
  assert.is(bytes(BUF, 5).toString('latin1'), '/a/b\0');
  assert.is(call(NR.getcwd, BUF, 4), -E.ERANGE);
  const f = call(NR.open, str(RW, 'f'), O.RDONLY);
  assert.is(call(NR.read, f, BUF, 10), 4);
  assert.is(call(NR.chdir, str(RW, 'f')), -E.ENOTDIR);
  assert.is(call(NR.chdir, str(RW, '../../nope')), -E.ENOENT);
  const root = call(NR.open, str(RW, '/'), O.RDONLY | O.DIRECTORY);
  assert.is(call(NR.fchdir, f), -E.ENOTDIR);
  assert.is(call(NR.fchdir, root), 0);
  assert.is(call(NR.open, str(RW, 'top'), O.RDONLY) >= 0, true);
  const ab = call(NR.open, str(RW, 'a/b'), O.RDONLY | O.DIRECTORY);
  assert.is(call(NR.mkdirat, ab, str(RW, 'made'), 0o777), 0);
  assert.is(call(NR.openat, ab, str(RW, 'made/new'), O.WRONLY | O.CREAT, 0o666) >= 0, true);
  assert.ok(fs.contents('/a/b/made/new'));
  assert.is(call(NR.openat, f, str(RW, 'x'), O.RDONLY, 0), -E.ENOTDIR);
  assert.is(call(NR.openat, 77, str(RW, 'x'), O.RDONLY, 0), -E.EBADF);
  assert.is(call(NR.openat, 77, str(RW, '/top'), O.RDONLY, 0) >= 0, true, 'an absolute path ignores dirfd');
  assert.is(call(NR.unlinkat, ab, str(RW, 'made'), 0x200), -E.ENOTEMPTY);
  assert.is(call(NR.unlinkat, ab, str(RW, 'made/new'), 0), 0);
  assert.is(call(NR.unlinkat, ab, str(RW, 'made'), 0x200), 0);
  assert.is(call(NR.unlinkat, ab, str(RW, 'f'), 0x1), -E.EINVAL);
});

paths('umask masks the modes of open, creat and mkdir', () => {
  const { call, str, bytes } = setup();
  assert.is(call(NR.umask, 0o077), 0o022);
  assert.is(call(NR.creat, str(RW, '/c'), 0o666) >= 0, true);
  assert.is(call(NR.mkdir, str(RW, '/d'), 0o777), 0);
  call(NR.stat64, str(RW, '/c'), BUF);
  assert.is(bytes(BUF, 96).readUInt32LE(16) & 0o777, 0o600);
  call(NR.stat64, str(RW, '/d'), BUF);
  assert.is(bytes(BUF, 96).readUInt32LE(16) & 0o777, 0o700);
  assert.is(call(NR.umask, 0o1777), 0o077);
  assert.is(call(NR.umask, 0), 0o777, 'only the permission bits are kept');
});

paths('readlink: /proc/self/exe is the program, a target is cut to bufsiz, not a link is EINVAL', () => {
  const { call, str, bytes } = setup({ '/f': Buffer.from('x') });
  assert.is(call(NR.readlink, str(RW, '/proc/self/exe'), BUF, 100), 13);
  assert.is(bytes(BUF, 13).toString(), '/usr/bin/prog');
  assert.is(call(NR.readlinkat, AT_FDCWD, str(RW, '/proc/1000/exe'), BUF, 4), 4);
  assert.is(bytes(BUF, 4).toString(), '/usr');
  assert.is(call(NR.symlink, str(RW, 'f'), str(PATH2, '/l')), 0);
  assert.is(call(NR.readlink, str(RW, '/l'), BUF, 100), 1);
  assert.is(call(NR.readlink, str(RW, '/f'), BUF, 100), -E.EINVAL);
  assert.is(call(NR.readlink, str(RW, '/l'), BUF, 0), -E.EINVAL);
  assert.is(call(NR.lstat64, str(RW, '/l'), BUF), 0);
  assert.is(bytes(BUF, 96).readUInt32LE(16), 0o120777);
  assert.is(call(NR.open, str(RW, '/l'), O.RDONLY | O.NOFOLLOW), -E.ELOOP);
});

paths('names: link counts, rename over files, EISDIR, ENOTEMPTY, EEXIST', () => {
  const { call, str, bytes, fs } = setup({ '/f': Buffer.from('data'), '/d/x': Buffer.from('') });
  assert.is(call(NR.link, str(RW, '/f'), str(PATH2, '/g')), 0);
  call(NR.stat64, str(RW, '/g'), BUF);
  assert.is(bytes(BUF, 96).readUInt32LE(20), 2);
  assert.is(call(NR.link, str(RW, '/f'), str(PATH2, '/g')), -E.EEXIST);
  assert.is(call(NR.link, str(RW, '/d'), str(PATH2, '/e')), -E.EPERM);
  assert.is(call(NR.rename, str(RW, '/g'), str(PATH2, '/h')), 0);
  assert.equal(Buffer.from(fs.contents('/h')!).toString(), 'data');
  assert.is(call(NR.rename, str(RW, '/h'), str(PATH2, '/d')), -E.EISDIR);
  assert.is(call(NR.rename, str(RW, '/d'), str(PATH2, '/d/sub')), -E.EINVAL, 'into itself');
  assert.is(call(NR.rename, str(RW, '/d'), str(PATH2, '/d/x/y')), -E.ENOTDIR, 'through a file');
  assert.is(call(NR.rmdir, str(RW, '/d')), -E.ENOTEMPTY);
  assert.is(call(NR.unlink, str(RW, '/d')), -E.EISDIR);
  assert.is(call(NR.rmdir, str(RW, '/f')), -E.ENOTDIR);
  assert.is(call(NR.mkdir, str(RW, '/f'), 0o777), -E.EEXIST);
  assert.is(call(NR.access, str(RW, '/f'), 4), 0);
  assert.is(call(NR.access, str(RW, '/f'), 8), -E.EINVAL);
  assert.is(call(NR.access, str(RW, '/nope'), 0), -E.ENOENT);
});

paths('utimensat and utimensat_time64 set times; fchmodat2 refuses to chmod a symlink', () => {
  const { call, str, bytes, mem } = setup({ '/f': Buffer.from('x') });
  const t32 = Buffer.alloc(16);
  t32.writeInt32LE(100, 0); t32.writeInt32LE(5, 4); t32.writeInt32LE(200, 8); t32.writeInt32LE(7, 12);
  mem.write(BUF + 0x200, t32);
  assert.is(call(320, AT_FDCWD, str(RW, '/f'), BUF + 0x200, 0), 0);
  call(NR.stat64, str(RW, '/f'), BUF);
  assert.equal([bytes(BUF, 96).readUInt32LE(64), bytes(BUF, 96).readUInt32LE(72), bytes(BUF, 96).readUInt32LE(76)], [100, 200, 7]);
  const t64 = Buffer.alloc(32);
  t64.writeBigInt64LE(3_000_000_000n, 0); t64.writeBigInt64LE(1n, 8);
  t64.writeBigInt64LE(0n, 16); t64.writeBigInt64LE(BigInt((1 << 30) - 2), 24);
  mem.write(BUF + 0x200, t64);
  assert.is(call(412, AT_FDCWD, str(RW, '/f'), BUF + 0x200, 0), 0);
  call(NR.stat64, str(RW, '/f'), BUF);
  assert.equal([bytes(BUF, 96).readUInt32LE(64), bytes(BUF, 96).readUInt32LE(72)], [3_000_000_000, 200], 'atime past 2038 (as u32), mtime omitted');
  t64.writeBigInt64LE(1_000_000_000n, 8);
  mem.write(BUF + 0x200, t64);
  assert.is(call(412, AT_FDCWD, str(RW, '/f'), BUF + 0x200, 0), -E.EINVAL);
  assert.is(call(NR.symlink, str(RW, 'f'), str(PATH2, '/l')), 0);
  assert.is(call(452, AT_FDCWD, str(RW, '/l'), 0o600, 0x100), -E.EOPNOTSUPP);
  assert.is(call(452, AT_FDCWD, str(RW, '/l'), 0o600, 0), 0);
  call(NR.stat64, str(RW, '/f'), BUF);
  assert.is(bytes(BUF, 96).readUInt32LE(16) & 0o7777, 0o600);
});

paths.run();

const big = suite('transfers');

big('one write past 64 MiB writes it all (100 MiB used to stop at 64 MiB)', () => {
  const size = 65 * 1024 * 1024; // one chunk and a bit: the fake memory is slow to copy

  const { call, str, fs } = setup({}, size);
  const fd = call(NR.open, str(RW, '/big'), O.WRONLY | O.CREAT, 0o644);
  assert.is(call(NR.write, fd, 0x1000000, size), size);
  assert.is(fs.contents('/big')!.length, size);
  assert.is(call(NR.lseek, fd, 0, 0), 0);
  const r = call(NR.open, str(RW, '/big'), O.RDONLY);
  assert.is(call(NR.read, r, 0x1000000, size + 4096), size, 'and one read reads it all back');
});

big('readv and writev: vectors in order, a bad second vector returns what moved', () => {
  const { call, str, mem, bytes, fs } = setup();
  const fd = call(NR.open, str(RW, '/v'), O.RDWR | O.CREAT, 0o644);
  str(BUF, 'hello ');
  str(BUF + 0x100, 'world');
  const iov = Buffer.alloc(24);
  iov.writeUInt32LE(BUF, 0); iov.writeUInt32LE(6, 4);
  iov.writeUInt32LE(BUF + 0x100, 8); iov.writeUInt32LE(5, 12);
  iov.writeUInt32LE(0xdead0000, 16); iov.writeUInt32LE(5, 20);
  mem.write(BUF + 0x800, iov);
  assert.is(call(NR.writev, fd, BUF + 0x800, 2), 11);
  assert.is(call(NR.writev, fd, BUF + 0x800, 3), 11, 'the third vector faults after 11 bytes moved');
  assert.equal(Buffer.from(fs.contents('/v')!).toString(), 'hello worldhello world');
  assert.is(call(NR.writev, fd, BUF + 0x800, -1), -E.EINVAL);
  assert.is(call(NR.lseek, fd, 0, 0), 0);
  iov.writeUInt32LE(BUF + 0x200, 0); iov.writeUInt32LE(BUF + 0x300, 8);
  mem.write(BUF + 0x800, iov);
  assert.is(call(NR.readv, fd, BUF + 0x800, 2), 11);
  assert.is(bytes(BUF + 0x300, 5).toString(), 'world');
});

big('_llseek writes a 64-bit result; sendfile64 moves bytes and its offset', () => {
  const { call, str, bytes, mem, stdio } = setup({ '/f': Buffer.from('0123456789') });
  const fd = call(NR.open, str(RW, '/f'), O.RDONLY);
  assert.is(call(NR.llseek, fd, 0, 7, BUF, 0), 0);
  assert.is(bytes(BUF, 8).readUInt32LE(0), 7);
  assert.is(call(NR.llseek, fd, 0xffffffff, 0xffffff00, BUF, 1), -E.EINVAL);
  mem.write(BUF, Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]));
  assert.is(call(NR.sendfile64, 1, fd, BUF, 5), 5);
  assert.is(stdio.stdout(), '23456');
  assert.is(bytes(BUF, 4).readUInt32LE(0), 7);
  assert.is(call(NR.sendfile64, 1, fd, 0, 100), 3, 'from the file offset, to the end');
  assert.is(stdio.stdout(), '23456789');
});

big('sendfile64 takes its source as Linux does: a regular file, never a pipe', () => {
  const { call, str } = setup({ '/f': Buffer.from('0123456789') });
  // Standard input is a pipe here: no splice_read into a pipe, no source for anything else.
  assert.is(call(NR.sendfile64, 1, 0, 0, 16), -E.EINVAL, 'pipe to pipe');
  const out = call(NR.open, str(RW, '/out'), O.WRONLY | O.CREAT, 0o644);
  assert.is(call(NR.sendfile64, out, 0, 0, 16), -E.EINVAL, 'pipe to a file');
  const fd = call(NR.open, str(RW, '/f'), O.RDONLY);
  assert.is(call(NR.sendfile64, out, fd, 0, 4), 4, 'a file to a file');
  const dir = call(NR.open, str(RW, '/'), O.RDONLY | O.DIRECTORY);
  assert.is(call(NR.sendfile64, out, dir, 0, 4), -E.EINVAL, 'a directory');
});

big('fadvise64_64 and fadvise64: accepted and ignored, with Linux\'s checks', () => {
  const { call, str } = setup({ '/f': Buffer.from('0123456789') });
  const fd = call(NR.open, str(RW, '/f'), O.RDONLY);
  assert.is(call(NR.fadvise64_64, fd, 0, 0, 0, 0, 2), 0, 'POSIX_FADV_SEQUENTIAL');
  assert.is(call(NR.fadvise64_64, fd, 0xfffffff0, 0xffffffff, 10, 0, 4), 0, 'a negative offset is no error');
  assert.is(call(NR.fadvise64_64, fd, 0, 0, 0xffffffff, 0xffffffff, 0), -E.EINVAL, 'a negative length');
  assert.is(call(NR.fadvise64_64, fd, 0, 0, 0, 0, 6), -E.EINVAL, 'an unknown advice');
  assert.is(call(NR.fadvise64_64, 0, 0, 0, 0, 0, 0), -E.ESPIPE, 'a pipe');
  assert.is(call(NR.fadvise64_64, 99, 0, 0, 0, 0, 0), -E.EBADF);
  assert.is(call(NR.fadvise64, fd, 0, 0, 100, 3), 0, 'POSIX_FADV_WILLNEED');
});

big.run();

const strace = suite('strace lines of the file calls');

strace('stat, *at, iovec, fcntl, _llseek, getdents64 print as strace prints them', () => {
  const { k, call, str, mem } = setup({ '/f': Buffer.from('0123456789'), '/d/a': Buffer.from('') });
  const lines: string[] = [];
  k.tracers.push(new StraceTracer((l) => lines.push(l)));
  call(NR.fstatat64, AT_FDCWD, str(RW, 'f'), BUF, 0x100);
  const fd = call(NR.openat, AT_FDCWD, str(RW, 'f'), O.RDONLY | O.CLOEXEC, 0);
  call(NR.fcntl64, fd, 1, 0);
  call(NR.llseek, fd, 0, 6, BUF, 0);
  const iov = Buffer.alloc(8);
  iov.writeUInt32LE(BUF + 0x100, 0); iov.writeUInt32LE(2, 4);
  mem.write(BUF + 0x800, iov);
  str(BUF + 0x100, 'hi');
  call(NR.writev, 1, BUF + 0x800, 1);
  const d = call(NR.open, str(RW, '/d'), O.RDONLY | O.DIRECTORY);
  call(NR.getdents64, d, BUF, 4096);
  call(NR.access, str(RW, '/f'), 6);
  call(NR.unlinkat, AT_FDCWD, str(RW, '/d'), 0x200);
  call(NR.readlink, str(RW, '/proc/self/exe'), BUF, 64);
  assert.equal(lines, [
    'fstatat64(AT_FDCWD, "f", {st_mode=S_IFREG|0644, st_size=10, ...}, AT_SYMLINK_NOFOLLOW) = 0',
    'openat(AT_FDCWD, "f", O_RDONLY|O_CLOEXEC) = 3',
    'fcntl64(3, F_GETFD, 0) = 1',
    '_llseek(3, 0, 6, [6], SEEK_SET) = 0',
    'writev(1, [{iov_base="hi", iov_len=2}], 1) = 2',
    'open("/d", O_RDONLY|O_DIRECTORY) = 4',
    `getdents64(4, 0x${BUF.toString(16)} /* 3 entries */, 4096) = 72`,
    'access("/f", R_OK|W_OK) = 0',
    'unlinkat(AT_FDCWD, "/d", AT_REMOVEDIR) = -1 ENOTEMPTY (Directory not empty)',
    'readlink("/proc/self/exe", "/usr/bin/prog", 64) = 13',
  ]);
});

strace.run();

const hostile = suite('hostile arguments to every file call');

/** Every file-family call with arguments a hostile guest might pass: only numbers come back. */
function hammer(fsys: import('../kernel-model/vfs.js').FileSystem, seed: number): number {
  const mem = new ArrayMemory();
  mem.map(RW, 0x10000, PROT.READ | PROT.WRITE);
  const k = new Kernel({ profile: profile(), personality: personality('modern'), memory: mem, fs: fsys, stdio: new CapturedStdio(),
    brk: 0x30000, exePath: '/prog', warn: () => {} });
  let x = seed;
  const rand = () => { x = (x * 1103515245 + 12345) >>> 0; return x; };
  const names = ['f', 'd', 'd/x', '/l', '..', '/', '', 'missing/x', 'd/../f', '/proc/self/exe', 'l/'];
  names.forEach((n, i) => mem.write(RW + i * 64, Buffer.from(n + '\0', 'latin1')));
  const pick = () => {
    const r = rand() % 12;
    return [0, 0xffffffff, -100 >>> 0, 3, 4, 1, RW + (rand() % names.length) * 64, RW + 0x1000, 0xdead0000, 0x7fffffff, rand(), 0x1000][r];
  };
  const families = new Set(['fs', 'fd', 'dir', 'stat']);
  const specs = [...k.personality.table.values()].filter((s) => families.has(s.family) && s.name !== 'write' && s.name !== 'read');
  let calls = 0;
  for (let round = 0; round < 40; round++) {
    for (const s of specs) {
      const args = s.args.map(() => pick());
      const r = k.dispatch(s.nr, args).result;
      assert.type(r, 'number', `${s.name}(${args.join(', ')})`);
      calls++;
    }
  }
  k.fds.closeAll();
  return calls;
}

hostile('on the in-memory file system', () => {
  const fsys = new MemoryFileSystem({ '/f': Buffer.from('data'), '/d/x': Buffer.from('x') });
  fsys.symlink('f', '/l');
  for (const seed of [1, 8, 9, 10]) assert.ok(hammer(fsys, seed) > 1000);
});

hostile('on a host directory', async () => {
  const { HostFileSystem } = await import('../host/hostfs.js');
  const { tmpdir } = await import('./helpers.js');
  const nodefs = await import('node:fs');
  const dir = tmpdir();
  nodefs.mkdirSync(`${dir}/d`);
  nodefs.writeFileSync(`${dir}/f`, 'data');
  nodefs.writeFileSync(`${dir}/d/x`, 'x');
  nodefs.symlinkSync('f', `${dir}/l`);
  const fsys = new HostFileSystem(dir);
  for (const seed of [2, 3, 4, 5, 6, 7]) assert.ok(hammer(fsys, seed) > 1000);
  fsys.close();
});

hostile.run();

const copying = suite('copy_file_range, FICLONE and extended attributes');
const COPY_FILE_RANGE = 377, GETXATTR = 229, FGETXATTR = 231, LISTXATTR = 232, FSETXATTR = 228;
const FICLONE = 0x40049409;

copying('copy_file_range from the file offsets, then at given offsets written back', () => {
  const { call, str, fs, mem } = setup({ '/a': Buffer.from('0123456789') });
  const src = call(NR.open, str(RW, '/a'), O.RDONLY), dst = call(NR.open, str(RW, '/b'), O.WRONLY | O.CREAT, 0o644);
  assert.is(call(COPY_FILE_RANGE, src, 0, dst, 0, 4, 0), 4);
  assert.is(call(COPY_FILE_RANGE, src, 0, dst, 0, 100, 0), 6, 'short at the end of the source');
  assert.is(call(COPY_FILE_RANGE, src, 0, dst, 0, 100, 0), 0, '0 at its end');
  mem.write(BUF, Buffer.alloc(8)); mem.writeU32(BUF, 2);
  mem.write(BUF + 8, Buffer.alloc(8)); mem.writeU32(BUF + 8, 10);
  assert.is(call(COPY_FILE_RANGE, src, BUF, dst, BUF + 8, 3, 0), 3);
  assert.is(mem.readU32(BUF), 5, '*off_in advanced');
  assert.is(mem.readU32(BUF + 8), 13, '*off_out advanced');
  assert.is(call(NR.lseek, src, 0, 1), 10, 'the file offset untouched by a given offset');
  const f = fs.open('/b', O.RDONLY, 0);
  assert.is(Buffer.from(f.read(100)).toString(), '0123456789234');
});

copying('copy_file_range: Linux\'s errors', () => {
  const { call, str } = setup({ '/a': Buffer.from('0123456789') });
  const src = call(NR.open, str(RW, '/a'), O.RDONLY), dst = call(NR.open, str(RW, '/b'), O.WRONLY | O.CREAT, 0o644);
  assert.is(call(COPY_FILE_RANGE, src, 0, dst, 0, 4, 1), -E.EINVAL, 'flags');
  assert.is(call(COPY_FILE_RANGE, dst, 0, src, 0, 4, 0), -E.EBADF, 'write-only source, read-only destination');
  assert.is(call(COPY_FILE_RANGE, 99, 0, dst, 0, 4, 0), -E.EBADF);
  const dir = call(NR.open, str(RW, '/'), O.RDONLY | O.DIRECTORY);
  assert.is(call(COPY_FILE_RANGE, dir, 0, dst, 0, 4, 0), -E.EISDIR);
  const rw = call(NR.open, str(RW, '/a'), O.RDWR);
  assert.is(call(COPY_FILE_RANGE, src, 0, rw, 0, 4, 0), -E.EINVAL, 'overlapping ranges of one file');
  const app = call(NR.open, str(RW, '/b'), O.WRONLY | O.APPEND);
  assert.is(call(COPY_FILE_RANGE, src, 0, app, 0, 4, 0), -E.EBADF, 'O_APPEND destination');
});

copying('FICLONE: EOPNOTSUPP after the descriptor checks (no reflinks), so cp copies', () => {
  const { call, str } = setup({ '/a': Buffer.from('x') });
  const src = call(NR.open, str(RW, '/a'), O.RDONLY), dst = call(NR.open, str(RW, '/b'), O.WRONLY | O.CREAT, 0o644);
  assert.is(call(NR.ioctl, dst, FICLONE, src), -E.EOPNOTSUPP);
  assert.is(call(NR.ioctl, dst, FICLONE, 99), -E.EBADF);
  assert.is(call(NR.ioctl, src, FICLONE, dst), -E.EBADF, 'a read-only destination');
  assert.is(call(NR.ioctl, dst, 0x1234, 0), -E.ENOTTY, 'other requests are still ENOTTY');
});

copying('xattrs: ENODATA for a name, an empty list, a minimal ACL sets the mode', () => {
  const { call, str, fs, mem } = setup({ '/a': Buffer.from('x') });
  assert.is(call(GETXATTR, str(RW, '/a'), str(PATH2, 'security.selinux'), BUF, 255), -E.ENODATA);
  assert.is(call(GETXATTR, str(RW, '/missing'), str(PATH2, 'security.selinux'), BUF, 255), -E.ENOENT);
  assert.is(call(LISTXATTR, str(RW, '/a'), BUF, 255), 0);
  const fd = call(NR.open, str(RW, '/a'), O.RDWR);
  assert.is(call(FGETXATTR, fd, str(PATH2, 'system.posix_acl_access'), BUF, 132), -E.ENODATA);
  const acl = Buffer.alloc(28);
  acl.writeUInt32LE(2, 0);
  [[1, 6], [4, 4], [0x20, 0]].forEach(([tag, perm], i) => { acl.writeUInt16LE(tag, 4 + i * 8); acl.writeUInt16LE(perm, 6 + i * 8); acl.writeUInt32LE(0xffffffff, 8 + i * 8); });
  mem.write(BUF, acl);
  assert.is(call(FSETXATTR, fd, str(PATH2, 'system.posix_acl_access'), BUF, 28, 0), 0);
  assert.is(fs.stat('/a', true).mode & 0o7777, 0o640);
  assert.is(call(FSETXATTR, fd, str(PATH2, 'user.note'), BUF, 28, 0), -E.EOPNOTSUPP);
});

copying.run();

const proc = suite('/proc, made from the model\'s state');

proc('/proc/self is the pid; maps lists the areas; status and meminfo read the process', () => {
  const { k, call, str, bytes } = setup();
  const n = call(NR.readlink, str(RW, '/proc/self'), BUF, 64);
  assert.is(bytes(BUF, n).toString(), String(k.pid));
  const read = (path: string) => {
    const fd = call(NR.open, str(RW, path), O.RDONLY);
    assert.ok(fd >= 0, path);
    const got = call(NR.read, fd, BUF, 0x4000);
    call(NR.close, fd);
    return bytes(BUF, got).toString('latin1');
  };
  assert.match(read('/proc/self/maps'), /^00010000-00020000 rw-p 00000000 00:00 0 \n$/);
  assert.match(read(`/proc/${k.pid}/status`), new RegExp(`^Name:\\t[^\\n]*\\n[^]*\\nPid:\\t${k.pid}\\n`));
  assert.match(read('/proc/meminfo'), /^MemTotal: +1048576 kB\nMemFree: +1048512 kB\n/);
  assert.match(read('/proc/cpuinfo'), /cpu MHz\t\t: \d+\.000\n/);
  assert.not.match(read('/proc/filesystems'), /selinuxfs/);
});

proc('read-only: writing EACCES, removing EPERM, renaming out EXDEV; missing names ENOENT', () => {
  const { call, str } = setup({ '/a': Buffer.from('x') });
  assert.is(call(NR.open, str(RW, '/proc/meminfo'), O.WRONLY), -E.EACCES);
  assert.is(call(NR.unlink, str(RW, '/proc/meminfo')), -E.EPERM);
  assert.is(call(NR.rename, str(RW, '/a'), str(PATH2, '/proc/a')), -E.EXDEV);
  assert.is(call(NR.open, str(RW, '/proc/nothing'), O.RDONLY), -E.ENOENT);
  assert.is(call(NR.open, str(RW, '/proc/self/nothing'), O.RDONLY), -E.ENOENT);
  assert.is(call(NR.access, str(RW, '/proc/self/status'), 4), 0);
});

proc('getdents64 lists /proc: ., .., the pid, self and the files', () => {
  const { k, call, str, bytes } = setup();
  const fd = call(NR.open, str(RW, '/proc'), O.RDONLY | O.DIRECTORY);
  const n = call(NR.getdents64, fd, BUF, 4096);
  const names: string[] = [];
  const b = bytes(BUF, n);
  for (let at = 0; at < n; at += b.readUInt16LE(at + 16)) names.push(b.toString('latin1', at + 19, b.indexOf(0, at + 19)));
  assert.equal(names, ['.', '..', String(k.pid), 'self', 'cpuinfo', 'filesystems', 'meminfo']);
  assert.is(call(NR.getdents64, fd, BUF, 4096), 0);
});

proc.run();
