// Running a real i386 program twice, under `qemu-i386 -strace` (Debian's qemu-user, a
// Linux ABI we did not write) and under `syscluster run --strace`, in two copies of the
// same directory, and comparing what each did: the calls and their results, standard
// output and error, the exit code, and every file left behind. The runs of a test file
// are started together, as many at a time as there are cores.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { E, type ErrnoName } from '../kernel-model/errno.js';
import { i386Name } from '../kernel-model/i386-names.js';
import { ROOT, tmpdir } from './helpers.js';

export const I386 = path.join(ROOT, '.cache/i386');
export const SYSROOT = path.join(I386, 'sysroot');
export const BUSYBOX = path.join(I386, 'programs/bin/busybox');
export const program = (rel: string) => path.join(I386, 'programs', rel);

/** Whether scripts/fetch-i386.sh (run by ./setup.sh) has fetched the i386 packages. */
export const haveI386 = () => fs.existsSync(BUSYBOX) && fs.existsSync(path.join(SYSROOT, 'lib/ld-linux.so.2'));

export interface Call { name: string; result: number | null; text: string; unlogged?: boolean }

export interface Side { status: number | null; stdout: Buffer; stderr: string; calls: Call[]; files: Record<string, string> }

export interface Case {
  /** argv[1..] of the program. */
  args: string[];
  /** The program: a path on the host (the same file runs on both sides). */
  program?: string;
  stdin?: string | Buffer;
  /** Files to create in the directory before the run (relative path → contents). */
  files?: Record<string, string | Buffer>;
  /** Dynamically linked: qemu gets -L SYSROOT, syscluster --sysroot SYSROOT. */
  dynamic?: boolean;
  /**
   * syscluster's --vdso (default off: qemu-i386 7.2 maps no vDSO for i386 guests, so the C
   * library makes every call itself there, and the calls compare one for one only without one).
   */
  vdso?: 'on' | 'off';
}

// Calls whose results depend on where and when the program runs, not on the ABI: the
// addresses the kernel picks, process ids, the host path of the program, the clock.
const ADDRESS_RESULT = new Set(['brk', 'mmap', 'mmap2', 'mremap']);
const ANY_RESULT = new Set(['set_tid_address', 'getpid', 'gettid', 'getppid', 'time', 'getcwd']);
// Calls qemu-user answers differently from Linux on purpose (set_robust_list: ENOSYS, since
// qemu cannot honour robust futexes across its threads), and calls qemu 7.2 logs only as
// `Unknown syscall N` even when it runs them: their results are not compared.
const QEMU_DIFFERS = new Set(['set_robust_list']);
// qemu-user writes its log through a host fd it opened first (fd 3), which the guest
// shares: every descriptor the guest gets comes out one higher than on a kernel of its own.
const O_LARGEFILE = 0o100000;
const FD_RESULT = new Set(['open', 'openat', 'creat', 'dup', 'dup2', 'dup3']);

/** One comparable result: the value, or a class where only success or failure counts. */
function normalize(c: Call): string {
  if (c.result === null) return `${c.name} = ?`;
  if (QEMU_DIFFERS.has(c.name) || c.unlogged) return `${c.name} = (not compared)`;
  if (c.result < 0) return `${c.name} = -${errnoLabel(-c.result)}`;
  if (ADDRESS_RESULT.has(c.name) || ANY_RESULT.has(c.name)) return `${c.name} = ok`;
  // qemu-i386 lays out each linux_dirent64 with the guest's 4-byte alignment of a 64-bit
  // field, so its records are shorter than a kernel's (8-byte aligned: fs/readdir.c):
  // only whether entries came back is compared; the listings themselves are in stdout.
  // The size of the CPU mask is the host's (qemu passes on its kernel's count of possible
  // CPUs); the model is one processor, whose mask i386 Linux returns in 4 bytes.
  if (c.name === 'sched_getaffinity' && c.result > 0) return `${c.name} = mask`;
  if (c.name === 'getdents64') return `${c.name} = ${c.result > 0 ? 'entries' : c.result}`;
  if ((c.name === 'readlink' || c.name === 'readlinkat') && c.text.includes('/proc/self/exe')) return `${c.name} = ok`;
  return `${c.name} = ${c.result}`;
}

const errnoNames = new Map(Object.entries(E).map(([name, n]) => [n, name]));
const errnoLabel = (n: number) => errnoNames.get(n) ?? `E${n}`;

/** qemu's -strace lines: `1234 openat(AT_FDCWD,"in",O_RDONLY) = 4`, `... = -1 errno=2 (...)`, `1234 Unknown syscall 386`. */
export function parseQemu(log: string): Call[] {
  const calls: Call[] = [];
  for (const line of log.split('\n')) {
    const unknown = /^\d+ Unknown syscall (\d+)$/.exec(line);
    if (unknown) {
      const name = i386Name(Number(unknown[1]));
      calls.push(name ? { name, result: null, text: line, unlogged: true } : { name: `syscall_${unknown[1]}`, result: -E.ENOSYS, text: line });
      continue;
    }
    const exit = /^\d+ (exit|exit_group)\(.*\)$/.exec(line);
    if (exit) { calls.push({ name: exit[1], result: null, text: line }); continue; }
    // A result may be followed by what the call wrote: `= 0 ({tv_sec = 5808,tv_nsec = 18752})`.
    const m = /^\d+ (\w+)\((.*)\) = (-?\d+|0x[0-9a-f]+)(?: errno=(\d+) .*| \(.*\))?$/.exec(line);
    if (!m) {
      // A line of the log this parser does not know is a difference, never silently dropped.
      if (/^\d+ /.test(line)) calls.push({ name: 'unparsed', result: null, text: line });
      continue;
    }
    const [, name, args, value, errno] = m;
    let result = errno ? -Number(errno) : Number(value);
    if (FD_RESULT.has(name) && result >= 4) result -= 1;
    if (name === 'fcntl64' && /,F_DUPFD/.test(args) && result >= 4) result -= 1;
    // qemu-i386 on a 64-bit host translates the host's F_GETFL flags through a table built
    // from the host's headers, where O_LARGEFILE is 0: the bit never reaches the guest.
    // i386 Linux reports it for a file opened with it (glibc's open64 does), as the model does.
    if (name === 'fcntl64' && /,F_GETFL/.test(args) && result >= 0) result &= ~O_LARGEFILE;
    calls.push({ name, result, text: line });
  }
  return calls;
}

/** Our --strace lines: `openat(AT_FDCWD, "in", O_RDONLY) = 3`, `... = -1 ENOENT (...)`, `exit_group(0) = ?`. */
export function parseOurs(log: string): Call[] {
  const calls: Call[] = [];
  for (const line of log.split('\n')) {
    const m = /^(?:\[pid +\d+\] )?(\w+)\((.*)\) = (.*)$/.exec(line);
    if (!m) continue;
    const [, name, , result] = m;
    const err = /^-1 (E[A-Z0-9]+)/.exec(result);
    let value = result === '?' ? null : err ? -(E[err[1] as ErrnoName] ?? NaN) : Number(result.split(' ')[0]);
    // See parseQemu: qemu-i386 cannot show O_LARGEFILE in F_GETFL; compare the rest.
    if (name === 'fcntl64' && / F_GETFL/.test(line) && value !== null && value >= 0) value &= ~O_LARGEFILE;
    calls.push({ name, text: line, result: value });
  }
  return calls;
}

function snapshot(dir: string, skip: Set<string>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, e.name);
      if (skip.has(r)) continue;
      if (e.isDirectory()) { out[r + '/'] = 'dir'; walk(r); }
      else if (e.isSymbolicLink()) out[r] = `-> ${fs.readlinkSync(path.join(dir, r))}`;
      else out[r] = fs.readFileSync(path.join(dir, r)).toString('base64');
    }
  };
  walk('');
  return out;
}

/** A fixed modification time for every input, so that archives and listings agree. */
const FIXED_MTIME = new Date('2020-02-02T02:02:02Z');

function prepare(c: Case): string {
  const dir = tmpdir('syscluster-ref-');
  for (const [rel, data] of Object.entries(c.files ?? {})) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, data);
    fs.utimesSync(p, FIXED_MTIME, FIXED_MTIME);
  }
  return dir;
}

/**
 * The guest's environment on both sides: qemu-user hands the guest its own environment,
 * syscluster hands it what --env names. A TZ keeps the C library from reading the host's
 * /etc/localtime (which qemu sees and syscluster's root does not); UTC0 is a POSIX rule,
 * not a zoneinfo file name (the C library looks for /usr/share/zoneinfo/UTC0, finds it on
 * neither side, and reads the rule).
 */
const GUEST_ENV = { TZ: 'UTC0' };

function spawnCollect(cmd: string, args: string[], cwd: string, stdin: string | Buffer | undefined, env: Record<string, string>): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.stdin.on('error', () => {}); // a program that does not read its input closes the pipe
    p.stdin.end(stdin ?? '');
    const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('latin1') });
    });
  });
}

async function runQemu(c: Case): Promise<Side> {
  const dir = prepare(c);
  const log = path.join(tmpdir('syscluster-log-'), 'qemu.log');
  const prog = c.program ?? BUSYBOX;
  const args = ['-strace', '-D', log, ...(c.dynamic ? ['-L', SYSROOT] : []), prog, ...c.args];
  const r = await spawnCollect('qemu-i386', args, dir, c.stdin, GUEST_ENV);
  return { ...r, calls: parseQemu(fs.existsSync(log) ? fs.readFileSync(log, 'latin1') : ''), files: snapshot(dir, new Set()) };
}

export async function runOurs(c: Case): Promise<Side> {
  const dir = prepare(c);
  const log = path.join(tmpdir('syscluster-log-'), 'ours.log');
  const prog = c.program ?? BUSYBOX;
  const env = Object.entries(GUEST_ENV).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const args = [path.join(ROOT, 'bin/syscluster.js'), 'run', prog, '--root', dir, '--strace-out', log,
    ...(c.dynamic ? ['--sysroot', SYSROOT] : []), '--vdso', c.vdso ?? 'off', ...env, '--', ...c.args];
  const r = await spawnCollect(process.execPath, args, ROOT, c.stdin, {});
  return { ...r, calls: parseOurs(fs.existsSync(log) ? fs.readFileSync(log, 'latin1') : ''), files: snapshot(dir, new Set()) };
}

/** Runs every case on both sides, `os.availableParallelism()` processes at a time. */
export async function runAll(cases: Case[]): Promise<{ qemu: Side; ours: Side }[]> {
  const jobs: (() => Promise<Side>)[] = cases.flatMap((c) => [() => runQemu(c), () => runOurs(c)]);
  const results: Side[] = new Array(jobs.length);
  let next = 0;
  const width = Math.max(1, os.availableParallelism());
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  }));
  return cases.map((_, i) => ({ qemu: results[2 * i], ours: results[2 * i + 1] }));
}

/**
 * glibc's temporary names (mkstemp, as `sed -i` and `dos2unix` use) start from the clock
 * (clock_gettime64) and draw from getrandom only while the value falls in the unfair top
 * of the range (tempname.c, `unfair_min`): under qemu's real clock about one run in twenty
 * makes a draw, under the model's simulated clock none or another number. Those draws
 * (the getrandom calls right after the clock read, or after each other) depend on the
 * values, not on the ABI, and are left out on both sides.
 */
function withoutTempnameDraws(calls: Call[]): Call[] {
  const out: Call[] = [];
  for (const c of calls) {
    const prev = out[out.length - 1];
    if (c.name === 'getrandom' && prev && /^clock_gettime(64)?$/.test(prev.name)) continue;
    out.push(c);
  }
  return out;
}

/**
 * The calls up to the first fork (clone, fork, vfork). After it qemu-i386's log interleaves
 * the processes as the host schedules them, and prints a clone's two returns on lines of
 * their own; the model's round robin is another order. A run with children is compared by
 * its calls up to the fork, then by its output, exit code and files.
 */
function firstProcess(calls: Call[]): Call[] {
  const fork = calls.findIndex((c) => c.name === 'clone' || c.name === 'fork' || c.name === 'vfork');
  return fork < 0 ? calls : [...calls.slice(0, fork), { name: calls[fork].name, result: null, text: calls[fork].text }];
}

/** The differences between the two runs, as readable lines (empty when they agree). */
export function differences(q: Side, o: Side): string[] {
  const out: string[] = [];
  q = { ...q, calls: firstProcess(withoutTempnameDraws(q.calls)) };
  o = { ...o, calls: firstProcess(withoutTempnameDraws(o.calls)) };
  // A call qemu cannot show the result of is compared by name alone, on both sides.
  const qc = q.calls.map(normalize);
  const oc = o.calls.map((c, i) => (q.calls[i]?.unlogged && q.calls[i].name === c.name ? qc[i] : normalize(c)));
  if (qc.length === 0) out.push('qemu printed no calls');
  const n = Math.max(qc.length, oc.length);
  for (let i = 0; i < n; i++) {
    if (qc[i] !== oc[i]) {
      out.push(`call ${i + 1}: qemu ${q.calls[i]?.text ?? '(none)'}\n          ours ${o.calls[i]?.text ?? '(none)'}`);
      break;
    }
  }
  if (!q.stdout.equals(o.stdout)) out.push(`stdout differs:\n  qemu ${JSON.stringify(q.stdout.toString('latin1').slice(0, 300))}\n  ours ${JSON.stringify(o.stdout.toString('latin1').slice(0, 300))}`);
  const ourErr = o.stderr.replace(/^syscluster: .*\n/gm, '');
  if (ourErr !== q.stderr) out.push(`stderr differs:\n  qemu ${JSON.stringify(q.stderr.slice(0, 300))}\n  ours ${JSON.stringify(o.stderr.slice(0, 300))}`);
  if (q.status !== o.status) out.push(`exit code: qemu ${q.status}, ours ${o.status}`);
  const qf = JSON.stringify(q.files), of = JSON.stringify(o.files);
  if (qf !== of) {
    const names = new Set([...Object.keys(q.files), ...Object.keys(o.files)]);
    for (const f of names) if (q.files[f] !== o.files[f]) out.push(`file ${f} differs (qemu ${q.files[f] === undefined ? 'missing' : 'present'}, ours ${o.files[f] === undefined ? 'missing' : 'present'})`);
  }
  return out;
}
