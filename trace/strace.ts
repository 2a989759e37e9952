// strace-style lines, driven by the argument kinds of the one syscall table:
//   open("out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3
//   read(3, 0x804a000, 4096) = -1 EBADF (Bad file descriptor)
// Input arguments are decoded before the handler runs, output arguments after.
import type { GuestMemory } from '../kernel-model/memory.js';
import type { Kernel, SyscallRecord, Tracer } from '../kernel-model/kernel.js';
import { errnoName, errnoText, isError } from '../kernel-model/errno.js';
import type { ArgKind, ArgSpec } from '../kernel-model/syscall.js';
import { O, S } from '../kernel-model/vfs.js';
import { HAS_TIMEOUT } from '../kernel-model/sys/futex.js';
import * as st from './structs.js';

/** strace's default -s: strings and buffers are cut to this many bytes. */
export const STRING_LIMIT = 32;

const OUT_KINDS = new Set<ArgKind>([
  'buf_out', 'timeval_out', 'time_out',
  'timespec_out', 'timespec64_out', 'utsname_out', 'sysinfo_out', 'random_out', 'cpuset_out', 'uint_out',
  'rlimit_out', 'rlimit64_out', 'user_desc', 'sigaction_out', 'old_sigaction_out', 'sigset_out', 'old_sigset_out', 'stack_out',
  'stat_out', 'statx_out', 'statfs_out', 'oldstat_out', 'iovec_out', 'path_out', 'dirent_out', 'dirent64_out', 'loff_out', 'loff_inout',
  'pipefd_out', 'wstatus_out',
]);
const PR_SET_NAME = 15, PR_GET_NAME = 16;

/** Whether an argument is decoded after the call (the kernel fills it) rather than before. */
function isOut(kind: ArgKind, args: number[]): boolean {
  if (kind === 'prctl_arg') return args[0] === PR_GET_NAME;
  return OUT_KINDS.has(kind);
}

export const hex = (v: number) => (v === 0 ? 'NULL' : `0x${(v >>> 0).toString(16)}`);

export function quote(bytes: Uint8Array, limit = STRING_LIMIT): string {
  let s = '"';
  for (const b of bytes.subarray(0, limit)) {
    if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x22) s += '\\"';
    else if (b === 0x5c) s += '\\\\';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\${b.toString(8)}`;
  }
  return s + '"' + (bytes.length > limit ? '...' : '');
}

export function openFlags(flags: number): string {
  const parts = [['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][flags & O.ACCMODE]];
  const names: [number, string][] = [[O.CREAT, 'O_CREAT'], [O.EXCL, 'O_EXCL'], [O.NOCTTY, 'O_NOCTTY'],
    [O.TRUNC, 'O_TRUNC'], [O.APPEND, 'O_APPEND'], [O.NONBLOCK, 'O_NONBLOCK'], [O.LARGEFILE, 'O_LARGEFILE'],
    [O.DIRECTORY, 'O_DIRECTORY'], [O.NOFOLLOW, 'O_NOFOLLOW'], [O.CLOEXEC, 'O_CLOEXEC']];
  let rest = flags & ~O.ACCMODE;
  for (const [bit, name] of names) if (rest & bit) { parts.push(name); rest &= ~bit; }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}


/** Bit flags by name, strace-style: `A|B|0x40`, or `0` when none are set. */
function flagNames(value: number, names: [number, string][], zero = '0'): string {
  if (value === 0) return zero;
  const parts: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of names) if ((rest & bit) === bit && bit !== 0) { parts.push(name); rest = (rest & ~bit) >>> 0; }
  if (rest) parts.push(`0x${rest.toString(16)}`);
  return parts.join('|');
}

const AT_FLAGS: [number, string][] = [[0x100, 'AT_SYMLINK_NOFOLLOW'], [0x200, 'AT_REMOVEDIR'], [0x400, 'AT_SYMLINK_FOLLOW'],
  [0x800, 'AT_NO_AUTOMOUNT'], [0x1000, 'AT_EMPTY_PATH'], [0x2000, 'AT_STATX_FORCE_SYNC'], [0x4000, 'AT_STATX_DONT_SYNC']];
const FCNTL_CMDS: Record<number, string> = {
  0: 'F_DUPFD', 1: 'F_GETFD', 2: 'F_SETFD', 3: 'F_GETFL', 4: 'F_SETFL', 5: 'F_GETLK', 6: 'F_SETLK', 7: 'F_SETLKW',
  8: 'F_SETOWN', 9: 'F_GETOWN', 12: 'F_GETLK64', 13: 'F_SETLK64', 14: 'F_SETLKW64', 1030: 'F_DUPFD_CLOEXEC',
};
const IOCTL_REQS: Record<number, string> = { 0x5401: 'TCGETS', 0x5413: 'TIOCGWINSZ', 0x541b: 'FIONREAD', 0x40049409: 'FICLONE', 0x4020940d: 'FICLONERANGE', 0xc0189436: 'FIDEDUPERANGE' };
const FILE_TYPES: Record<number, string> = {
  [S.IFREG]: 'S_IFREG', [S.IFDIR]: 'S_IFDIR', [S.IFLNK]: 'S_IFLNK', [S.IFCHR]: 'S_IFCHR', [S.IFBLK]: 'S_IFBLK',
  [S.IFIFO]: 'S_IFIFO', [S.IFSOCK]: 'S_IFSOCK',
};

/** st_mode as strace prints it: `S_IFREG|0644`. */
export function fileMode(mode: number): string {
  const type = FILE_TYPES[mode & S.IFMT];
  const perm = `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
  return type ? `${type}|${perm}` : perm;
}

const u64 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(at, true);
const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset, b.length).getUint32(at, true);

function struct(mem: GuestMemory, ptr: number, size: number, show: (b: Uint8Array) => string): string {
  const b = mem.read(ptr, size);
  return b ? show(b) : hex(ptr);
}

function iovec(mem: GuestMemory, ptr: number, count: number, budget: number): string {
  const n = Math.min(count, 16);
  const raw = mem.read(ptr, n * 8);
  if (!raw || count < 0 || count > 1024) return hex(ptr);
  const items: string[] = [];
  let left = budget;
  for (let i = 0; i < n; i++) {
    const base = u32(raw, i * 8), len = u32(raw, i * 8 + 4);
    const shown = Math.max(0, Math.min(len, left));
    left -= shown;
    const b = mem.read(base, Math.min(shown, STRING_LIMIT + 1));
    items.push(`{iov_base=${b ? quote(b.subarray(0, Math.min(shown, STRING_LIMIT + 1)), Math.min(shown, STRING_LIMIT)) : hex(base)}, iov_len=${len}}`);
  }
  return `[${items.join(', ')}${count > n ? ', ...' : ''}]`;
}

function direntCount(mem: GuestMemory, ptr: number, len: number, wide: boolean): number {
  const b = mem.read(ptr, len);
  if (!b) return 0;
  let n = 0;
  for (let at = 0; at + 10 <= len; n++) {
    const reclen = b[at + (wide ? 16 : 8)] | (b[at + (wide ? 17 : 9)] << 8);
    if (reclen === 0) break;
    at += reclen;
  }
  return n;
}

export const protNames = (p: number) => flagNames(p, [[1, 'PROT_READ'], [2, 'PROT_WRITE'], [4, 'PROT_EXEC'],
  [0x01000000, 'PROT_GROWSDOWN'], [0x02000000, 'PROT_GROWSUP']], 'PROT_NONE');

export function mapFlagNames(f: number): string {
  const type = ['0', 'MAP_SHARED', 'MAP_PRIVATE', 'MAP_SHARED_VALIDATE'][f & 0xf] ?? `0x${(f & 0xf).toString(16)}`;
  const rest = flagNames(f & ~0xf, [[0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x100, 'MAP_GROWSDOWN'], [0x800, 'MAP_DENYWRITE'],
    [0x1000, 'MAP_EXECUTABLE'], [0x2000, 'MAP_LOCKED'], [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'], [0x10000, 'MAP_NONBLOCK'],
    [0x20000, 'MAP_STACK'], [0x40000, 'MAP_HUGETLB'], [0x80000, 'MAP_SYNC'], [0x100000, 'MAP_FIXED_NOREPLACE']], '');
  return rest ? `${type}|${rest}` : type;
}

function userDesc(mem: GuestMemory, ptr: number): string {
  const b = mem.read(ptr, 16);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  const f = dv.getUint32(12, true);
  return `{entry_number=${dv.getInt32(0, true)}, base_addr=${hex(dv.getUint32(4, true))}, limit=0x${dv.getUint32(8, true).toString(16)}, `
    + `seg_32bit=${f & 1}, contents=${(f >> 1) & 3}, read_exec_only=${(f >> 3) & 1}, limit_in_pages=${(f >> 4) & 1}, `
    + `seg_not_present=${(f >> 5) & 1}, useable=${(f >> 6) & 1}}`;
}

function timeval(mem: GuestMemory, ptr: number): string {
  const b = mem.read(ptr, 8);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  return `{tv_sec=${dv.getInt32(0, true)}, tv_usec=${dv.getInt32(4, true)}}`;
}

/** One argument as strace would print it. */
export function formatValue(spec: ArgSpec, args: number[], result: number, mem: GuestMemory, index = -1): string {
  const value = index >= 0 ? args[index] : 0;
  switch (spec.kind) {
    case 'int': case 'fd': return String(value | 0);
    case 'uint': case 'size': return String(value >>> 0);
    case 'ptr': case 'fdset_inout': case 'mcall': case 'params': return hex(value);
    case 'mode': return `0${(value & 0o7777).toString(8)}`;
    case 'oflags': return openFlags(value);
    case 'whence': return ['SEEK_SET', 'SEEK_CUR', 'SEEK_END'][value] ?? String(value);
    case 'path': {
      const s = mem.readCString(value, 4096);
      return typeof s === 'string' ? quote(Buffer.from(s, 'latin1')) : hex(value);
    }
    case 'buf_in': {
      const len = spec.len !== undefined ? Math.min(args[spec.len] >>> 0, STRING_LIMIT + 1) : 0;
      const b = mem.read(value, len);
      return b ? quote(b) : hex(value);
    }
    case 'buf_out': {
      if (isError(result) || result <= 0) return hex(value);
      const b = mem.read(value, Math.min(result, STRING_LIMIT + 1));
      return b ? quote(b) : hex(value);
    }
    case 'mprot': return protNames(value);
    case 'mflags': return mapFlagNames(value);
    case 'mremap_flags': return flagNames(value, [[1, 'MREMAP_MAYMOVE'], [2, 'MREMAP_FIXED'], [4, 'MREMAP_DONTUNMAP']], '0');
    case 'user_desc': return userDesc(mem, value);
    case 'mmap_args': {
      const b = mem.read(value, 24);
      if (!b) return hex(value);
      const w = (i: number) => new DataView(b.buffer, b.byteOffset, 24).getUint32(i * 4, true);
      return `${hex(w(0))}, ${w(1)}, ${protNames(w(2))}, ${mapFlagNames(w(3))}, ${w(4) | 0}, 0x${w(5).toString(16)}`; // as strace prints old_mmap
    }
    case 'dirfd': return (value | 0) === -100 ? 'AT_FDCWD' : String(value | 0);
    case 'atflags': return flagNames(value, AT_FLAGS);
    case 'access_mode': return value === 0 ? 'F_OK' : flagNames(value, [[4, 'R_OK'], [2, 'W_OK'], [1, 'X_OK']]);
    case 'fcntl_cmd': return FCNTL_CMDS[value] ?? String(value);
    case 'ioctl_req': return IOCTL_REQS[value] ?? hex(value);
    case 'fdflags': return flagNames(value, [[O.CLOEXEC, 'O_CLOEXEC']]);
    case 'rename_flags': return flagNames(value, [[1, 'RENAME_NOREPLACE'], [2, 'RENAME_EXCHANGE'], [4, 'RENAME_WHITEOUT']]);
    case 'statx_mask': return value === 0x7ff ? 'STATX_BASIC_STATS' : value === 0xfff ? 'STATX_ALL' : hex(value);
    case 'off_lo': return String((args[index + 1] | 0) * 2 ** 32 + (value >>> 0));
    case 'off_hi': return '';
    case 'stat_out':
      if (isError(result)) return hex(value);
      return struct(mem, value, 96, (b) => `{st_mode=${fileMode(u32(b, 16))}, st_size=${u64(b, 44)}, ...}`);
    case 'oldstat_out':
      if (isError(result)) return hex(value);
      return struct(mem, value, 64, (b) => `{st_mode=${fileMode(b[8] | (b[9] << 8))}, st_size=${u32(b, 20)}, ...}`);
    case 'statx_out':
      if (isError(result)) return hex(value);
      return struct(mem, value, 256, (b) => `{stx_mask=${u32(b, 0) === 0x7ff ? 'STATX_BASIC_STATS' : hex(u32(b, 0))}, stx_mode=${fileMode(b[28] | (b[29] << 8))}, stx_size=${u64(b, 40)}, ...}`);
    case 'statfs_out':
      if (isError(result)) return hex(value);
      return struct(mem, value, 84, (b) => `{f_type=${hex(u32(b, 0))}, f_bsize=${u32(b, 4)}, f_blocks=${u64(b, 8)}, f_bfree=${u64(b, 16)}, f_bavail=${u64(b, 24)}, f_files=${u64(b, 32)}, f_ffree=${u64(b, 40)}, ...}`);
    case 'iovec_in': return iovec(mem, value, spec.len !== undefined ? args[spec.len] | 0 : 0, Infinity);
    case 'iovec_out': return isError(result) ? hex(value) : iovec(mem, value, spec.len !== undefined ? args[spec.len] | 0 : 0, result);
    case 'path_out': {
      if (isError(result) || result <= 0) return hex(value);
      const b = mem.read(value, Math.min(result, 4096));
      if (!b) return hex(value);
      const nul = b.indexOf(0);
      return quote(nul >= 0 ? b.subarray(0, nul) : b, 4096);
    }
    case 'dirent_out': case 'dirent64_out':
      if (isError(result) || result <= 0) return hex(value);
      return `${hex(value)} /* ${direntCount(mem, value, result, spec.kind === 'dirent64_out')} entries */`;
    case 'loff_out': case 'loff_inout': {
      if (value === 0) return 'NULL';
      if (isError(result)) return hex(value);
      const lo = mem.readU32(value), hi = mem.readU32(value + 4);
      return lo === null || hi === null ? hex(value) : `[${(hi | 0) * 2 ** 32 + lo}]`;
    }
    case 'utimes_in': case 'utimes64_in': {
      if (value === 0) return 'NULL';
      const size = spec.kind === 'utimes64_in' ? 16 : 8;
      return struct(mem, value, 2 * size, (b) => {
        const one = (at: number) => {
          const nsec = u32(b, at + size / 2);
          const sec = size === 16 ? new DataView(b.buffer, b.byteOffset, b.length).getBigInt64(at, true) : u32(b, at) | 0;
          return nsec === (1 << 30) - 1 ? 'UTIME_NOW' : nsec === (1 << 30) - 2 ? 'UTIME_OMIT' : `{tv_sec=${sec}, tv_nsec=${nsec}}`;
        };
        return `[${one(0)}, ${one(size)}]`;
      });
    }
    case 'timeval_in': case 'timeval_out': return value === 0 ? 'NULL' : timeval(mem, value);
    case 'timespec_in': return value === 0 ? 'NULL' : st.timespec(mem, value, false);
    case 'time_out': {
      if (value === 0) return 'NULL';
      const t = mem.readU32(value);
      return t === null ? hex(value) : `[${t}]`;
    }
    default: return formatStruct(spec, args, result, mem, value);
  }
}

/** The structures and flags of the non-file calls (trace/structs.ts). Out kinds show the pointer when the call failed. */
function formatStruct(spec: ArgSpec, args: number[], result: number, mem: GuestMemory, value: number): string {
  if (OUT_KINDS.has(spec.kind) && (value === 0 || isError(result))) return hex(value);
  if (value === 0 && /_(in|out)$/.test(spec.kind)) return 'NULL';
  switch (spec.kind) {
    case 'clockid': return st.clockName(value);
    case 'clock_flags': return st.clockFlags(value);
    case 'timespec_out': return st.timespec(mem, value, false);
    case 'timespec64_in': case 'timespec64_out': return st.timespec(mem, value, true);
    case 'futex_timeout': case 'futex_timeout64':
      if (!HAS_TIMEOUT.has(args[1] & ~0x180)) return String(value >>> 0);
      return value === 0 ? 'NULL' : st.timespec(mem, value, spec.kind === 'futex_timeout64');
    case 'futex_op': return st.futexOp(value);
    case 'futex_val3': return st.futexVal3(args[1], value);
    case 'utsname_out': return st.utsname(mem, value);
    case 'sysinfo_out': return st.sysinfo(mem, value);
    case 'random_out': {
      const b = mem.read(value, Math.min(result, STRING_LIMIT + 1));
      return b ? st.hexBytes(b, STRING_LIMIT) : hex(value);
    }
    case 'grnd_flags': return st.grndFlags(value);
    case 'cpuset_out': return st.cpuset(mem, value, result);
    case 'uint_out': {
      const v = mem.readU32(value);
      return v === null ? hex(value) : `[${v}]`;
    }
    case 'prio_which': return st.prioWhich(value);
    case 'resource': return st.resourceName(value);
    case 'rlimit_in': case 'rlimit_out': return st.rlimit(mem, value, false);
    case 'rlimit64_in': case 'rlimit64_out': return st.rlimit(mem, value, true);
    case 'prctl_option': return st.prctlOption(value);
    case 'prctl_arg': {
      if (args[0] !== PR_SET_NAME && args[0] !== PR_GET_NAME) return value === 0 ? '0' : `0x${(value >>> 0).toString(16)}`;
      if (isError(result) && args[0] === PR_GET_NAME) return hex(value);
      const name = mem.readCString(value, 16);
      if (name === null) return hex(value);
      return quote(Buffer.from(name ?? (mem.read(value, 15) ?? new Uint8Array())));
    }
    case 'persona': return value === 0 ? 'PER_LINUX' : hex(value);
    case 'signal': return st.signalName(value);
    case 'sigaction_in': case 'sigaction_out': return st.sigaction(mem, value, false);
    case 'old_sigaction_in': case 'old_sigaction_out': return st.sigaction(mem, value, true);
    case 'sighow': return st.sigHow(value);
    case 'sigset_in': case 'sigset_out': return st.sigsetAt(mem, value, false);
    case 'old_sigset_in': case 'old_sigset_out': return st.sigsetAt(mem, value, true);
    case 'stack_in': case 'stack_out': return st.stack(mem, value);
    case 'pipefd_out': {
      const b = mem.read(value, 8);
      if (!b) return hex(value);
      const dv = new DataView(b.buffer, b.byteOffset, 8);
      return `[${dv.getInt32(0, true)}, ${dv.getInt32(4, true)}]`;
    }
    case 'wstatus_out': {
      if (result <= 0) return hex(value);
      const w = mem.readU32(value);
      return w === null ? hex(value) : `[${waitStatus(w)}]`;
    }
    case 'argv_in': return stringArray(mem, value);
    case 'envp_in': {
      let n = 0;
      while (n < 65536 && (mem.readU32(value + 4 * n) ?? 0) !== 0) n++;
      return `${hex(value)} /* ${n} var${n === 1 ? '' : 's'} */`;
    }
    case 'clone_flags': return cloneFlags(value);
    case 'wait_options': return flagNames(value, [[1, 'WNOHANG'], [2, 'WUNTRACED'], [8, 'WCONTINUED'], [0x40000000, '__WALL'], [0x80000000, '__WCLONE'], [0x20000000, '__WNOTHREAD']]);
    default: return hex(value);
  }
}

export function formatResult(rec: SyscallRecord): string {
  const r = rec.result;
  if (isError(r)) return `-1 ${errnoName(-r)} (${errnoText(-r)})`;
  if (rec.spec?.returnsPointer) return hex(r);
  if (rec.name === '_newselect' && r === 0) return '0 (Timeout)';
  if (rec.name === 'personality') return r === 0 ? '0 (PER_LINUX)' : hex(r);
  return String(r);
}

/** Decodes arguments into strings: input kinds now (`phase` in), output kinds later. */
export function decodeArgs(rec: SyscallRecord, mem: GuestMemory, phase: 'in' | 'out', into: string[] = []): string[] {
  const specs = rec.spec?.args ?? [];
  // Like strace, open's mode is shown only when O_CREAT makes it mean something.
  const flagsAt = specs.findIndex((s) => s.kind === 'oflags');
  const modeUnused = flagsAt >= 0 && !(rec.args[flagsAt] & O.CREAT);
  specs.forEach((spec, i) => {
    if ((spec.kind === 'mode' && modeUnused) || spec.kind === 'off_hi') return;
    if (isOut(spec.kind, rec.args) === (phase === 'out')) into[i] = formatValue(spec, rec.args, rec.result, mem, i);
  });
  if (!rec.spec) rec.args.forEach((a, i) => { into[i] ??= hex(a); });
  return into;
}

export function straceLine(rec: SyscallRecord, decoded: string[]): string {
  const which = rec.spec?.shownArgs?.(rec.args);
  const shown = (which ? which.map((i) => decoded[i]) : decoded.slice(0, rec.spec ? rec.spec.args.length : 6)).filter((d) => d !== undefined);
  return `${'  '.repeat(rec.depth)}${rec.name}(${shown.join(', ')}) = ${formatResult(rec)}`;
}

/** A wait status as strace shows it: `{WIFEXITED(s) && WEXITSTATUS(s) == 0}`. */
export function waitStatus(w: number): string {
  if ((w & 0x7f) === 0) return `{WIFEXITED(s) && WEXITSTATUS(s) == ${(w >> 8) & 0xff}}`;
  if ((w & 0xff) === 0x7f) return `{WIFSTOPPED(s) && WSTOPSIG(s) == ${st.signalName((w >> 8) & 0xff)}}`;
  return `{WIFSIGNALED(s) && WTERMSIG(s) == ${st.signalName(w & 0x7f)}${w & 0x80 ? ' && WCOREDUMP(s)' : ''}}`;
}

/** argv as strace shows it: ["sh", "-c", "echo hi"]. */
function stringArray(mem: GuestMemory, ptr: number): string {
  if (ptr === 0) return 'NULL';
  const items: string[] = [];
  for (let i = 0; i < 65536; i++) {
    const p = mem.readU32(ptr + 4 * i);
    if (p === null) return hex(ptr);
    if (p === 0) break;
    const s = mem.readCString(p, 4096);
    items.push(typeof s === 'string' ? quote(Buffer.from(s, 'latin1')) : hex(p));
  }
  return `[${items.join(', ')}]`;
}

const CLONE_NAMES: [number, string][] = [[0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'],
  [0x4000, 'CLONE_VFORK'], [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x80000, 'CLONE_SETTLS'],
  [0x100000, 'CLONE_PARENT_SETTID'], [0x200000, 'CLONE_CHILD_CLEARTID'], [0x1000000, 'CLONE_CHILD_SETTID']];

function cloneFlags(v: number): string {
  const sig = v & 0xff;
  const named = flagNames(v & ~0xff, CLONE_NAMES, '');
  return [named, sig ? st.signalName(sig) : ''].filter((x) => x).join('|') || '0';
}

/** Prints one line per call, batch entries indented under their batch. */
export class StraceTracer implements Tracer {
  private readonly decoded = new WeakMap<SyscallRecord, string[]>();
  /** Plain calls that ended the run (a futex wait nothing could end): they never return. */
  private readonly noReturn = new WeakSet<SyscallRecord>();
  constructor(private readonly print: (line: string) => void) {}

  before(rec: SyscallRecord, k: Kernel): void {
    this.decoded.set(rec, decodeArgs(rec, k.mem, 'in'));
  }

  syscall(rec: SyscallRecord, k: Kernel): void {
    const d = decodeArgs(rec, k.mem, 'out', this.decoded.get(rec) ?? []);
    this.decoded.set(rec, d);
    if (k.exited && rec.sub.length === 0) this.noReturn.add(rec);
    if (rec.depth === 0) this.emit(rec, pidPrefix(k, k.pid));
  }

  /** A signal delivered: `--- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=1000, si_uid=0} ---`. */
  signal(pid: number, info: { signo: number; code: number; pid: number; uid: number; status?: number; addr?: number }, k: Kernel): void {
    const name = st.signalName(info.signo);
    const code = SI_CODES[info.signo === 17 ? `CLD${info.code}` : `${info.code}`] ?? String(info.code);
    const rest = info.addr !== undefined ? `si_addr=${hex(info.addr)}`
      : info.signo === 17 && info.status !== undefined ? `si_pid=${info.pid}, si_uid=${info.uid}, si_status=${info.code === 1 ? info.status : st.signalName(info.status)}, si_utime=0, si_stime=0`
      : `si_pid=${info.pid}, si_uid=${info.uid}`;
    this.print(`${pidPrefix(k, pid)}--- ${name} {si_signo=${name}, si_code=${code}, ${rest}} ---`);
  }

  /** A process ended: `+++ exited with 0 +++` or `+++ killed by SIGPIPE +++`. */
  exit(pid: number, wstatus: number, k: Kernel): void {
    // A run of one process ends as it always has, with its exit call (or its fault line).
    if (!k.multiprocess) return;
    const how = (wstatus & 0x7f) === 0 ? `exited with ${(wstatus >> 8) & 0xff}` : `killed by ${st.signalName(wstatus & 0x7f)}`;
    this.print(`${pidPrefix(k, pid)}+++ ${how} +++`);
  }

  private emit(rec: SyscallRecord, prefix: string): void {
    const line = prefix + straceLine(rec, this.decoded.get(rec) ?? []);
    // exit never returns: strace prints it without a result.
    this.print(rec.name === 'exit' || rec.name === 'exit_group' || this.noReturn.has(rec) ? line.replace(/ = .*$/, ' = ?') : line);
    for (const sub of rec.sub) this.emit(sub, prefix);
  }
}

/** strace -f's prefix once more than one process exists: `[pid  1001] `. */
export function pidPrefix(k: Kernel, pid: number): string {
  return k.multiprocess ? `[pid ${String(pid).padStart(5)}] ` : '';
}

const SI_CODES: Record<string, string> = {
  '0': 'SI_USER', '128': 'SI_KERNEL', '-6': 'SI_TKILL', '1': 'SEGV_MAPERR',
  CLD1: 'CLD_EXITED', CLD2: 'CLD_KILLED', CLD3: 'CLD_DUMPED', CLD5: 'CLD_STOPPED', CLD6: 'CLD_CONTINUED',
};
