// The few libc calls the host adapters need and Node does not offer (the *at family,
// openat2, getdents64, lseek), bound through koffi. Each returns a value or throws
// KernelError with the host's errno (x86-64 and i386 Linux share errno numbers).
import koffi from 'koffi';
import { KernelError } from '../kernel-model/errno.js';

/** Host (x86-64) constants. */
export const H = {
  AT_FDCWD: -100, AT_SYMLINK_NOFOLLOW: 0x100, AT_REMOVEDIR: 0x200, AT_SYMLINK_FOLLOW: 0x400, AT_EMPTY_PATH: 0x1000,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_NOCTTY: 0o400, O_TRUNC: 0o1000,
  O_APPEND: 0o2000, O_NONBLOCK: 0o4000, O_DIRECTORY: 0o200000, O_NOFOLLOW: 0o400000, O_CLOEXEC: 0o2000000,
  O_PATH: 0o10000000,
  F_GETFL: 3, F_SETFL: 4,
  SYS_getdents64: 217, SYS_openat2: 437,
  RESOLVE_NO_MAGICLINKS: 0x02, RESOLVE_BENEATH: 0x08, RESOLVE_IN_ROOT: 0x10,
} as const;

let lib: ReturnType<typeof bind> | undefined;

function bind() {
  const c = koffi.load('libc.so.6');
  return {
    openat: c.func('int openat(int dirfd, const char *path, int flags, uint32_t mode)'),
    close: c.func('int close(int fd)'),
    readlinkat: c.func('intptr_t readlinkat(int dirfd, const char *path, void *buf, size_t size)'),
    mkdirat: c.func('int mkdirat(int dirfd, const char *path, uint32_t mode)'),
    unlinkat: c.func('int unlinkat(int dirfd, const char *path, int flags)'),
    renameat2: c.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, uint32_t flags)'),
    linkat: c.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)'),
    symlinkat: c.func('int symlinkat(const char *target, int dirfd, const char *path)'),
    fchownat: c.func('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)'),
    utimensat: c.func('int utimensat(int dirfd, const char *path, const void *times, int flags)'),
    lseek: c.func('int64_t lseek(int fd, int64_t offset, int whence)'),
    fcntl: c.func('int fcntl(int fd, int cmd, int arg)'),
    fstatfs: c.func('int fstatfs(int fd, void *buf)'),
    ioctl: c.func('int ioctl(int fd, unsigned long request, void *arg)'),
    getdents64: c.func('long syscall(long nr, int fd, void *buf, long size)'),
    openat2: c.func('long syscall(long nr, int dirfd, const char *path, const void *how, long size)'),
  };
}

/** The bound calls; libc is loaded on first use, so commands that never touch files never load it. */
export function libc() {
  lib ??= bind();
  return lib;
}

/** A -1 result becomes KernelError(errno). */
export function check<T extends number | bigint>(r: T): T {
  if (Number(r) < 0) throw new KernelError(koffi.errno());
  return r;
}
