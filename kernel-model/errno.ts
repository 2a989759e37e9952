// Linux errno numbers (i386 and every other Linux port share these) and strace's texts.

const TABLE = [
  [1, 'EPERM', 'Operation not permitted'],
  [2, 'ENOENT', 'No such file or directory'],
  [3, 'ESRCH', 'No such process'],
  [4, 'EINTR', 'Interrupted system call'],
  [5, 'EIO', 'Input/output error'],
  [6, 'ENXIO', 'No such device or address'],
  [7, 'E2BIG', 'Argument list too long'],
  [9, 'EBADF', 'Bad file descriptor'],
  [8, 'ENOEXEC', 'Exec format error'],
  [10, 'ECHILD', 'No child processes'],
  [11, 'EAGAIN', 'Resource temporarily unavailable'],
  [12, 'ENOMEM', 'Cannot allocate memory'],
  [13, 'EACCES', 'Permission denied'],
  [14, 'EFAULT', 'Bad address'],
  [16, 'EBUSY', 'Device or resource busy'],
  [17, 'EEXIST', 'File exists'],
  [18, 'EXDEV', 'Invalid cross-device link'],
  [19, 'ENODEV', 'No such device'],
  [20, 'ENOTDIR', 'Not a directory'],
  [21, 'EISDIR', 'Is a directory'],
  [22, 'EINVAL', 'Invalid argument'],
  [23, 'ENFILE', 'Too many open files in system'],
  [24, 'EMFILE', 'Too many open files'],
  [25, 'ENOTTY', 'Inappropriate ioctl for device'],
  [26, 'ETXTBSY', 'Text file busy'],
  [27, 'EFBIG', 'File too large'],
  [28, 'ENOSPC', 'No space left on device'],
  [29, 'ESPIPE', 'Illegal seek'],
  [30, 'EROFS', 'Read-only file system'],
  [31, 'EMLINK', 'Too many links'],
  [32, 'EPIPE', 'Broken pipe'],
  [34, 'ERANGE', 'Numerical result out of range'],
  [36, 'ENAMETOOLONG', 'File name too long'],
  [38, 'ENOSYS', 'Function not implemented'],
  [39, 'ENOTEMPTY', 'Directory not empty'],
  [40, 'ELOOP', 'Too many levels of symbolic links'],
  [61, 'ENODATA', 'No data available'],
  [75, 'EOVERFLOW', 'Value too large for defined data type'],
  [95, 'EOPNOTSUPP', 'Operation not supported'],
  [110, 'ETIMEDOUT', 'Connection timed out'],
  [125, 'ECANCELED', 'Operation canceled'],
] as const;

export type ErrnoName = typeof TABLE[number][1];

export const E = Object.fromEntries(TABLE.map(([n, name]) => [name, n])) as Record<ErrnoName, number>;

const byNumber = new Map<number, { name: string; text: string }>(TABLE.map(([n, name, text]) => [n, { name, text }]));

export function errnoName(n: number): string {
  return byNumber.get(n)?.name ?? `E${n}`;
}

export function errnoText(n: number): string {
  return byNumber.get(n)?.text ?? `Unknown error ${n}`;
}

/** Thrown by argument checkers and the VFS; dispatch turns it into -errno, in one place. */
export class KernelError extends Error {
  constructor(readonly errno: number) {
    super(errnoName(errno));
  }
}

/** A host error (from node:fs) as a guest errno. */
export function hostErrno(err: unknown): number {
  // Node's errors carry the host's negative errno; x86-64 and i386 Linux share the numbers.
  const n = (err as { errno?: number }).errno;
  if (typeof n === 'number' && n < 0 && n > -4096) return -n;
  const code = (err as { code?: string }).code;
  if (code && code in E) return E[code as ErrnoName];
  return E.EIO;
}

/** Linux's "is this return value an error" test: -4095..-1. */
export const isError = (result: number) => result < 0 && result >= -4095;
