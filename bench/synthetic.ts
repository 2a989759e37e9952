// Deterministic synthetic inputs of any size, for the bench and the tests: trace dumps
// (valid records of the copy loop's shape) and strace logs (a dd-like read/write loop
// with opens, closes and a few other calls, optionally with -f pids). The same seed
// gives the same bytes. Written a chunk at a time, so their size is not bounded by memory.
import fs from 'node:fs';
import { TRACE_FORMAT, TRACE_VERSION, type CrossingDump, type TraceFooter, type TraceHeader } from '../trace/dump.js';
import { BufferedWriter } from '../trace/lines.js';
import type { PlatformProfile } from '../kernel-model/cost.js';

/** A small seeded generator (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CALLS: [string, number][] = [['read', 3], ['write', 4], ['getpid', 20], ['close', 6], ['open', 5], ['_llseek', 140]];

/**
 * Writes a dump of `crossings` crossings to `file`: read/write pairs mostly, now and then
 * another call. Costs are those of p2-266-shaped crossings; the end record's ledger adds up.
 */
export function writeSyntheticDump(file: string, crossings: number, platform: PlatformProfile, seed = 1): { bytes: number } {
  const rnd = seeded(seed);
  const fd = fs.openSync(file, 'w');
  const out = new BufferedWriter(fd, 4 << 20);
  const header: TraceHeader = { format: TRACE_FORMAT, version: TRACE_VERSION, guest: 'synthetic', argv: ['synthetic', String(crossings)], platform, personality: 'paper' };
  out.write(JSON.stringify(header) + '\n');
  let cycles = 0;
  const sum = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  for (let i = 0; i < crossings; i++) {
    const r = rnd();
    const [name, nr] = r < 0.45 ? CALLS[0] : r < 0.9 ? CALLS[1] : CALLS[2 + Math.floor(rnd() * 4)];
    const user = 8 + Math.floor(rnd() * 200);
    cycles += user;
    const cost = { entry: 140, dispatch: 30, handler: 200 + Math.floor(rnd() * 3000), exit: 189 };
    const entry = cycles;
    cycles += cost.entry + cost.dispatch + cost.handler + cost.exit;
    for (const k of ['entry', 'dispatch', 'handler', 'exit'] as const) sum[k] += cost[k];
    const result = name === 'read' || name === 'write' ? 4096 : name === 'getpid' ? 1000 : 0;
    const eip = 0x8048100 + 16 * (nr % 8);
    const x: CrossingDump = {
      seq: i + 1, pid: 1000, switches: 0, cycles: { entry, exit: cycles }, time_us: { entry: 1009843200000000 + Math.floor(entry / 266), exit: 1009843200000000 + Math.floor(cycles / 266) },
      user_instructions: user, eip,
      disasm: [{ address: eip - 5, text: `mov eax, 0x${nr.toString(16)}`, trap: false }, { address: eip, text: 'int 0x80', trap: true }, { address: eip + 2, text: 'ret', trap: false }],
      pt_regs: { ebx: 3, ecx: 0x804a000, edx: 4096, esi: 0, edi: 0, ebp: 0xbffff000, eax: result, xds: 123, xes: 123, orig_eax: nr, eip: eip + 2, xcs: 115, eflags: 0x246, esp: 0xbfffef00, xss: 123 },
      call: { nr, name, args: [3, 0x804a000, 4096], decoded: ['3', name === 'write' ? '"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"...' : '0x804a000', '4096'], result,
        cost: { dispatch: cost.dispatch, handler: cost.handler }, bytes: { in: name === 'write' ? 4096 : 0, out: name === 'read' ? 4096 : 0 }, blocked_us: 0 },
      cost,
    };
    out.write(JSON.stringify(x) + '\n');
  }
  const footer: TraceFooter = {
    end: true, outcome: { kind: 'exited', status: 0 }, exit_code: 0,
    ledger: { cycles: { total: cycles, user: cycles - sum.entry - sum.dispatch - sum.handler - sum.exit, ...sum }, crossings, syscalls: crossings } as unknown as TraceFooter['ledger'],
  };
  out.write(JSON.stringify(footer) + '\n');
  out.flush();
  fs.closeSync(fd);
  return { bytes: out.bytesWritten };
}

/**
 * Writes a strace log of `lines` lines: a dd-like copy loop per process (reads of fd 0,
 * writes to fd 1), opens and closes around it, an occasional signal; `pids` > 1 writes
 * strace -f lines with interleaved processes and <unfinished ...>/<... resumed> pairs.
 */
export function writeSyntheticStrace(file: string, lines: number, o: { seed?: number; pids?: number } = {}): { bytes: number } {
  const rnd = seeded(o.seed ?? 1);
  const pids = o.pids ?? 1;
  const fd = fs.openSync(file, 'w');
  const out = new BufferedWriter(fd, 4 << 20);
  const pre = (p: number) => (pids > 1 ? `${1000 + p} ` : '');
  let offset = 0;
  for (let n = 0; n < lines;) {
    const p = Math.floor(rnd() * pids);
    const r = rnd();
    let line: string;
    if (r < 0.44) { line = `read(0, "${'x'.repeat(32)}"..., 4096) = 4096`; offset += 4096; }
    else if (r < 0.88) line = `write(1, "${'x'.repeat(32)}"..., 4096) = 4096`;
    else if (r < 0.91) line = `openat(AT_FDCWD, "/tmp/f${Math.floor(rnd() * 50)}", O_RDONLY|O_CLOEXEC) = ${3 + Math.floor(rnd() * 5)}`;
    else if (r < 0.94) line = `close(${3 + Math.floor(rnd() * 5)}) = 0`;
    else if (r < 0.96) line = `lseek(3, ${offset}, SEEK_SET) = ${offset}`;
    else if (r < 0.97) line = `openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory)`;
    else if (r < 0.98) line = `--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=${2000 + p}, si_uid=0, si_status=0} ---`;
    else if (r < 0.99 && pids > 1 && n + 1 < lines) {
      out.write(`${pre(p)}wait4(-1 <unfinished ...>\n`);
      n++;
      line = `<... wait4 resumed>, NULL, 0, NULL) = ${2000 + p}`;
    } else line = `fstat(3, {st_mode=S_IFREG|0644, st_size=${Math.floor(rnd() * 1e6)}, ...}) = 0`;
    out.write(pre(p) + line + '\n');
    n++;
  }
  out.flush();
  fs.closeSync(fd);
  return { bytes: out.bytesWritten };
}
