// How strace prints the structures and flags of the non-file calls: timespec, utsname,
// rlimit, sysinfo, sigaction, signal sets, stack_t, and the names of clock ids, futex
// operations, prctl options and signals. Each takes guest memory and a pointer and falls
// back to the pointer in hex when the memory cannot be read, as strace does.
import type { GuestMemory } from '../kernel-model/memory.js';
import { CLOCK } from '../kernel-model/sys/time.js';
import { FUTEX, FUTEX_CLOCK_REALTIME, FUTEX_PRIVATE_FLAG } from '../kernel-model/sys/futex.js';
import { RLIMIT_NAMES, RLIM_INFINITY } from '../kernel-model/task.js';

const hex = (v: number) => (v === 0 ? 'NULL' : `0x${(v >>> 0).toString(16)}`);

/** Names of a bit set by table, unknown bits in hex, `0` for none. */
export function flagNames(value: number, names: [number, string][]): string {
  const parts: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of names) if ((rest & bit) === bit && bit !== 0) { parts.push(name); rest = (rest & ~bit) >>> 0; }
  if (rest) parts.push(`0x${rest.toString(16)}${parts.length ? '' : ` /* ${names[0][1].replace(/_.*$/, '')}_??? */`}`);
  return parts.length ? parts.join('|') : '0';
}

const byValue = (o: Record<string, number>, prefix: string) => new Map(Object.entries(o).map(([k, v]) => [v, prefix + k]));

const CLOCK_NAMES = byValue(CLOCK, 'CLOCK_');
export const clockName = (id: number) => CLOCK_NAMES.get(id | 0) ?? String(id | 0);

const FUTEX_NAMES = byValue(FUTEX, 'FUTEX_');
export function futexOp(op: number): string {
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const base = FUTEX_NAMES.get(cmd);
  if (base === undefined) return `0x${(op >>> 0).toString(16)}`;
  return base + (op & FUTEX_PRIVATE_FLAG ? '_PRIVATE' : '') + (op & FUTEX_CLOCK_REALTIME ? '|FUTEX_CLOCK_REALTIME' : '');
}

/** futex's last argument: FUTEX_BITSET_MATCH_ANY, FUTEX_WAKE_OP's encoded operation, or a number. */
export function futexVal3(op: number, v: number): string {
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  if ((cmd === FUTEX.WAIT_BITSET || cmd === FUTEX.WAKE_BITSET) && v >>> 0 === 0xffffffff) return 'FUTEX_BITSET_MATCH_ANY';
  if (cmd !== FUTEX.WAKE_OP) return String(v >>> 0);
  const ops = ['FUTEX_OP_SET', 'FUTEX_OP_ADD', 'FUTEX_OP_OR', 'FUTEX_OP_ANDN', 'FUTEX_OP_XOR'];
  const cmps = ['FUTEX_OP_CMP_EQ', 'FUTEX_OP_CMP_NE', 'FUTEX_OP_CMP_LT', 'FUTEX_OP_CMP_GE', 'FUTEX_OP_CMP_LE', 'FUTEX_OP_CMP_GT'];
  // strace spells the encoding out: FUTEX_OP_ADD<<28|0x3<<12|FUTEX_OP_CMP_GT<<24|0x1
  const o = (v >>> 28) & 7, c = (v >>> 24) & 15, oparg = (v >>> 12) & 0xfff, cmparg = v & 0xfff;
  const num = (n: number) => (n === 0 ? '0' : `0x${n.toString(16)}`);
  return `${v & 0x8000_0000 ? 'FUTEX_OP_OPARG_SHIFT<<28|' : ''}${ops[o] ?? num(o)}<<28|${num(oparg)}<<12|${cmps[c] ?? num(c)}<<24|${num(cmparg)}`;
}

const PRCTL_NAMES = new Map<number, string>([
  [1, 'PR_SET_PDEATHSIG'], [2, 'PR_GET_PDEATHSIG'], [3, 'PR_GET_DUMPABLE'], [4, 'PR_SET_DUMPABLE'], [7, 'PR_GET_KEEPCAPS'],
  [8, 'PR_SET_KEEPCAPS'], [15, 'PR_SET_NAME'], [16, 'PR_GET_NAME'], [22, 'PR_SET_SECCOMP'], [23, 'PR_CAPBSET_READ'],
  [24, 'PR_CAPBSET_DROP'], [35, 'PR_SET_MM'], [36, 'PR_SET_CHILD_SUBREAPER'], [38, 'PR_SET_NO_NEW_PRIVS'],
  [39, 'PR_GET_NO_NEW_PRIVS'], [47, 'PR_CAP_AMBIENT'], [0x53564d41, 'PR_SET_VMA'],
]);
export const prctlOption = (o: number) => PRCTL_NAMES.get(o >>> 0) ?? `0x${(o >>> 0).toString(16)} /* PR_??? */`;

const SIGNAL_NAMES = ['', 'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE',
  'ALRM', 'TERM', 'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF',
  'WINCH', 'IO', 'PWR', 'SYS'];
/** A signal's name without SIG, as strace writes it in sets: INT, RTMIN, RT_1. */
const shortSignal = (n: number) => (n < 32 ? SIGNAL_NAMES[n] : n === 32 ? 'RTMIN' : `RT_${n - 32}`);
export const signalName = (n: number) => (n >= 1 && n <= 64 ? `SIG${shortSignal(n)}` : String(n | 0));

/** A signal set: `[INT TERM]`, or `~[...]` naming the signals left out when most are in. */
export function sigset(bits: bigint, nsig: number): string {
  const members: number[] = [];
  for (let n = 1; n <= nsig; n++) if (bits & (1n << BigInt(n - 1))) members.push(n);
  if (members.length * 2 > nsig) {
    const out: string[] = [];
    for (let n = 1; n <= nsig; n++) if (!members.includes(n)) out.push(shortSignal(n));
    return `~[${out.join(' ')}]`;
  }
  return `[${members.map(shortSignal).join(' ')}]`;
}

const SA_FLAGS: [number, string][] = [[0x04000000, 'SA_RESTORER'], [0x08000000, 'SA_ONSTACK'], [0x10000000, 'SA_RESTART'],
  [0x40000000, 'SA_NODEFER'], [0x80000000, 'SA_RESETHAND'], [4, 'SA_SIGINFO'], [1, 'SA_NOCLDSTOP'], [2, 'SA_NOCLDWAIT']];
const SA_RESTORER = 0x04000000;

/** struct sigaction, rt layout (20 bytes) or the old one (16 bytes, one-word mask). */
export function sigaction(mem: GuestMemory, ptr: number, old: boolean): string {
  const b = mem.read(ptr, old ? 16 : 20);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const handler = dv.getUint32(0, true);
  const [flags, restorer, mask] = old
    ? [dv.getUint32(8, true), dv.getUint32(12, true), BigInt(dv.getUint32(4, true))]
    : [dv.getUint32(4, true), dv.getUint32(8, true), dv.getBigUint64(12, true)];
  const h = handler === 0 ? 'SIG_DFL' : handler === 1 ? 'SIG_IGN' : hex(handler);
  const r = flags & SA_RESTORER ? `, sa_restorer=${hex(restorer)}` : '';
  return `{sa_handler=${h}, sa_mask=${sigset(mask, old ? 32 : 64)}, sa_flags=${flagNames(flags, SA_FLAGS)}${r}}`;
}

export function sigsetAt(mem: GuestMemory, ptr: number, old: boolean): string {
  const b = mem.read(ptr, old ? 4 : 8);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return sigset(old ? BigInt(dv.getUint32(0, true)) : dv.getBigUint64(0, true), old ? 32 : 64);
}

export const sigHow = (h: number) => ['SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'][h] ?? `${h | 0} /* SIG_??? */`;

export function stack(mem: GuestMemory, ptr: number): string {
  const b = mem.read(ptr, 12);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, 12);
  const flags = flagNames(dv.getUint32(4, true), [[1, 'SS_ONSTACK'], [2, 'SS_DISABLE'], [0x80000000, 'SS_AUTODISARM']]);
  return `{ss_sp=${hex(dv.getUint32(0, true))}, ss_flags=${flags}, ss_size=${dv.getUint32(8, true)}}`;
}

/** `{tv_sec=1, tv_nsec=500}`: the 8-byte old_timespec32 or the 16-byte __kernel_timespec. */
export function timespec(mem: GuestMemory, ptr: number, wide: boolean): string {
  const b = mem.read(ptr, wide ? 16 : 8);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const sec = wide ? dv.getBigInt64(0, true).toString() : String(dv.getInt32(0, true));
  return `{tv_sec=${sec}, tv_nsec=${wide ? dv.getBigInt64(8, true) : dv.getInt32(4, true)}}`;
}

function cString(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return JSON.stringify(Buffer.from(nul >= 0 ? b.subarray(0, nul) : b).toString('latin1'));
}

/** strace's default (abbreviated) utsname: `{sysname="Linux", nodename="host", ...}`. */
export function utsname(mem: GuestMemory, ptr: number): string {
  const b = mem.read(ptr, 130);
  if (!b) return hex(ptr);
  return `{sysname=${cString(b.subarray(0, 65))}, nodename=${cString(b.subarray(65, 130))}, ...}`;
}

export function sysinfo(mem: GuestMemory, ptr: number): string {
  const b = mem.read(ptr, 64);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, 64), u = (o: number) => dv.getUint32(o, true);
  return `{uptime=${dv.getInt32(0, true)}, loads=[${u(4)}, ${u(8)}, ${u(12)}], totalram=${u(16)}, freeram=${u(20)}, `
    + `sharedram=${u(24)}, bufferram=${u(28)}, totalswap=${u(32)}, freeswap=${u(36)}, procs=${dv.getUint16(40, true)}, `
    + `totalhigh=${u(44)}, freehigh=${u(48)}, mem_unit=${u(52)}}`;
}

export const resourceName = (r: number) => RLIMIT_NAMES[r] ?? `${r | 0} /* RLIMIT_??? */`;

/** One limit as strace prints it: RLIM_INFINITY, `8192*1024`, or the number. */
function limit(v: bigint, wide: boolean): string {
  if (wide ? v === 0xffff_ffff_ffff_ffffn : v === BigInt(RLIM_INFINITY)) return wide ? 'RLIM64_INFINITY' : 'RLIM_INFINITY';
  return v > 1024n && v % 1024n === 0n ? `${v / 1024n}*1024` : v.toString();
}

export function rlimit(mem: GuestMemory, ptr: number, wide: boolean): string {
  const b = mem.read(ptr, wide ? 16 : 8);
  if (!b) return hex(ptr);
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const [cur, max] = wide ? [dv.getBigUint64(0, true), dv.getBigUint64(8, true)] : [BigInt(dv.getUint32(0, true)), BigInt(dv.getUint32(4, true))];
  return `{rlim_cur=${limit(cur, wide)}, rlim_max=${limit(max, wide)}}`;
}

/** A CPU mask of `bytes` bytes: `[0 1]`. */
export function cpuset(mem: GuestMemory, ptr: number, bytes: number): string {
  const b = mem.read(ptr, bytes);
  if (!b) return hex(ptr);
  const cpus: number[] = [];
  b.forEach((byte, i) => { for (let j = 0; j < 8; j++) if (byte & (1 << j)) cpus.push(i * 8 + j); });
  return `[${cpus.join(' ')}]`;
}

/** Bytes strace shows in hex escapes whatever they hold (getrandom's buffer). */
export function hexBytes(b: Uint8Array, limit: number): string {
  let s = '"';
  for (const x of b.subarray(0, limit)) s += `\\x${x.toString(16).padStart(2, '0')}`;
  return s + '"' + (b.length > limit ? '...' : '');
}

export const grndFlags = (f: number) => flagNames(f, [[1, 'GRND_NONBLOCK'], [2, 'GRND_RANDOM'], [4, 'GRND_INSECURE']]);
export const prioWhich = (w: number) => ['PRIO_PROCESS', 'PRIO_PGRP', 'PRIO_USER'][w] ?? String(w | 0);
export const clockFlags = (f: number) => flagNames(f, [[1, 'TIMER_ABSTIME']]);
