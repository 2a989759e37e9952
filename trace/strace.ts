// strace-style lines, driven by the argument kinds of the one syscall table:
//   open("out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3
//   read(3, 0x804a000, 4096) = -1 EBADF (Bad file descriptor)
// Input arguments are decoded before the handler runs, output arguments after.
import type { GuestMemory } from '../kernel-model/memory.js';
import type { Kernel, SyscallRecord, Tracer } from '../kernel-model/kernel.js';
import { errnoName, errnoText, isError } from '../kernel-model/errno.js';
import type { ArgKind, ArgSpec } from '../kernel-model/syscall.js';
import { O } from '../kernel-model/vfs.js';

/** strace's default -s: strings and buffers are cut to this many bytes. */
export const STRING_LIMIT = 32;

const OUT_KINDS = new Set<ArgKind>(['buf_out', 'timeval_out', 'time_out']);

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

function timeval(mem: GuestMemory, ptr: number, usecName = 'tv_usec'): string {
  const b = mem.read(ptr, 8);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, 8);
  return `{tv_sec=${dv.getInt32(0, true)}, ${usecName}=${dv.getInt32(4, true)}}`;
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
    case 'timespec_in': return value === 0 ? 'NULL' : timeval(mem, value, 'tv_nsec');
    case 'time_out': {
      if (value === 0) return 'NULL';
      const t = mem.readU32(value);
      return t === null ? hex(value) : `[${t}]`;
    }
  }
}

export function formatResult(rec: SyscallRecord): string {
  const r = rec.result;
  if (isError(r)) return `-1 ${errnoName(-r)} (${errnoText(-r)})`;
  if (rec.spec?.returnsPointer) return hex(r);
  if (rec.name === '_newselect' && r === 0) return '0 (Timeout)';
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
    if (OUT_KINDS.has(spec.kind) === (phase === 'out')) into[i] = formatValue(spec, rec.args, rec.result, mem, i);
  });
  if (!rec.spec) rec.args.forEach((a, i) => { into[i] ??= hex(a); });
  return into;
}

export function straceLine(rec: SyscallRecord, decoded: string[]): string {
  const shown = (rec.spec ? decoded.slice(0, rec.spec.args.length) : decoded.slice(0, 6)).filter((d) => d !== undefined);
  return `${'  '.repeat(rec.depth)}${rec.name}(${shown.join(', ')}) = ${formatResult(rec)}`;
}

/** Prints one line per call, batch entries indented under their batch. */
export class StraceTracer implements Tracer {
  private readonly decoded = new WeakMap<SyscallRecord, string[]>();
  constructor(private readonly print: (line: string) => void) {}

  before(rec: SyscallRecord, k: Kernel): void {
    this.decoded.set(rec, decodeArgs(rec, k.mem, 'in'));
  }

  syscall(rec: SyscallRecord, k: Kernel): void {
    const d = decodeArgs(rec, k.mem, 'out', this.decoded.get(rec) ?? []);
    this.decoded.set(rec, d);
    if (rec.depth === 0) this.emit(rec);
  }

  private emit(rec: SyscallRecord): void {
    const line = straceLine(rec, this.decoded.get(rec) ?? []);
    // exit never returns: strace prints it without a result.
    this.print(rec.name === 'exit' || rec.name === 'exit_group' ? line.replace(/ = .*$/, ' = ?') : line);
    for (const sub of rec.sub) this.emit(sub);
  }
}
