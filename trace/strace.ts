// strace-style lines, driven by the argument kinds of the one syscall table:
//   open("out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3
//   read(3, 0x804a000, 4096) = -1 EBADF (Bad file descriptor)
// Input arguments are decoded before the handler runs, output arguments after.
import type { GuestMemory } from '../kernel-model/memory.js';
import type { Kernel, SyscallRecord, Tracer } from '../kernel-model/kernel.js';
import { errnoName, errnoText, isError } from '../kernel-model/errno.js';
import type { ArgKind, ArgSpec } from '../kernel-model/syscall.js';
import { O } from '../kernel-model/vfs.js';
import { HAS_TIMEOUT } from '../kernel-model/sys/futex.js';
import * as st from './structs.js';

/** strace's default -s: strings and buffers are cut to this many bytes. */
export const STRING_LIMIT = 32;

const OUT_KINDS = new Set<ArgKind>([
  'buf_out', 'timeval_out', 'time_out',
  'timespec_out', 'timespec64_out', 'utsname_out', 'sysinfo_out', 'random_out', 'cpuset_out', 'uint_out',
  'rlimit_out', 'rlimit64_out', 'sigaction_out', 'old_sigaction_out', 'sigset_out', 'old_sigset_out', 'stack_out',
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
    if (spec.kind === 'mode' && modeUnused) return;
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
    if (rec.depth === 0) this.emit(rec);
  }

  private emit(rec: SyscallRecord): void {
    const line = straceLine(rec, this.decoded.get(rec) ?? []);
    // exit never returns: strace prints it without a result.
    this.print(rec.name === 'exit' || rec.name === 'exit_group' || this.noReturn.has(rec) ? line.replace(/ = .*$/, ' = ?') : line);
    for (const sub of rec.sub) this.emit(sub);
  }
}
