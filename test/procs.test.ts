// Processes, pipes and signals: the procs guest's scenarios run in the model and under
// qemu-i386 (same stdout and exit code); the limits end runaway guests cleanly; two runs
// of a multi-process guest agree byte for byte; the signal frame is Linux's layout.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { Process } from '../kernel-model/process.js';
import { RT_SIGFRAME_SIZE, SIGFRAME_SIZE, restoreFrame, setupFrame } from '../kernel-model/sigframe.js';
import { SA } from '../kernel-model/signals.js';
import { Task } from '../kernel-model/task.js';
import { FdTable } from '../kernel-model/vfs.js';
import { parseStrace } from '../profiler/events.js';
import { GUEST, cli, run, tmpdir } from './helpers.js';

const procsBytes = () => new Uint8Array(fs.readFileSync(GUEST('procs')));
const withFiles = () => ({ files: { '/bin/procs': procsBytes(), '/notes.txt': Buffer.from('just text\n') }, exePath: '/bin/procs' });

// ---------------------------------------------------------------- scenarios

const scenarios = suite('the procs guest: fork, exec, wait, pipes, signals');

const EXPECTED: Record<string, string> = {
  pipe: 'hello through a pipe\nreaped the child: 1\nexit status: 7\nbytes: 21\nthe parent is not ourselves: 1\n',
  signal: 'handler ran: 1\nsi_signo: 10\nsi_pid is our pid: 1\n',
  kill: 'killed by signal: 15\n',
  sigpipe: 'write with SIGPIPE ignored: -32\nchild killed by signal: 13\n',
  exec: 'execve of a missing file: -2\nexecve of a text file: -8\nhello from the exec\'d image\nexec\'d child exit: 5\n',
  fill: 'bytes through the pipe: 200000\na pipe holds: 65536\nthen write says: -11\n',
  storm: 'handled at least one: 1\nhandled at most 2000: 1\n',
  zombies: 'zombies reaped without waiting: 50\nsum of their exit codes: 1225\nthen wait4 says: -10\n',
  preempt: 'the writer ran\nthe spinner is done: 1\nwriter\'s exit: 0\n',
  // The handler changes both rounding modes, zeroes the XMM registers and empties the x87
  // stack: the sums come out bit for bit the same only if the frame saved the FPU and
  // sigreturn restored it.
  // Linux's vfork shares the address space until the child execs or exits (qemu-user's
  // vfork is a fork: there the parent sees 0 and 1).
  vfork: 'vfork returned a pid: 1\nthe child\'s write to a global: 42\nthe child\'s write to the parent\'s stack: 43\nthe child\'s exit: 7\n',
  fpu: 'signals handled during the x87 loop: 1\nsignals handled during the SSE loop: 1\nx87 sum unchanged: 1\nSSE sum unchanged: 1\nhandler\'s sums: 1\n',
};

for (const [mode, out] of Object.entries(EXPECTED)) {
  scenarios(mode, async () => {
    const r = await run('procs', [mode], withFiles());
    assert.is(r.stderr, '');
    assert.is(r.stdout, out);
    assert.equal(r.outcome, { kind: 'exited', status: 0 });
    assert.ok(r.kernel.multiprocess || mode === 'signal', 'more than one process ran');
  });
}

scenarios('a process killed by a signal shows 128 + the signal, as a shell does', async () => {
  const r = cli(['run', 'procs', 'pause-forever-is-not-a-mode']);
  assert.is(r.status, 2);
  const k = await run('procs', ['sigpipe']);
  assert.is(k.exitCode, 0);
});

scenarios('the per-process ledgers add up to the run\'s', async () => {
  const r = await run('procs', ['pipe']);
  const all = [...r.kernel.reaped, ...r.kernel.processes.values()];
  assert.is(all.length, 2);
  const sum = (f: (l: typeof r.kernel.ledger) => number) => all.reduce((s, p) => s + f(p.ledger), 0);
  assert.is(sum((l) => l.crossings), r.kernel.ledger.crossings);
  assert.is(sum((l) => l.instructions), r.kernel.ledger.instructions);
  assert.ok(Math.abs(sum((l) => l.totalCycles) - r.kernel.ledger.totalCycles) < 1e-6);
  assert.is(r.kernel.ledger.switches, 2, 'parent → child → parent');
  assert.is(r.kernel.ledger.switchCycles, 2 * 400, 'p2-266 charges 400 cycles a switch');
});

scenarios.run();

// ---------------------------------------------------------------- limits

const limits = suite('runaway guests end cleanly within the limits');

limits('a fork bomb: fork fails with EAGAIN at --max-procs, every process is reaped', async () => {
  const r = await run('procs', ['bomb'], { maxProcs: 16 });
  assert.is(r.stdout, 'fork refused with EAGAIN somewhere in the tree: 1\n');
  assert.is(r.exitCode, 0);
  assert.ok(r.kernel.reaped.length >= 15);
});

limits('a fork bomb from the command line, at the default limit', () => {
  const r = cli(['run', 'procs', 'bomb']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'fork refused with EAGAIN somewhere in the tree: 1\n');
});

limits('a read nothing can ever satisfy: one line, exit 137, no hang', () => {
  const r = cli(['run', 'procs', 'deadlock']);
  assert.is(r.status, 137);
  assert.is(r.stderr, 'syscluster: deadlock: every process is waiting and nothing can wake one (pid 1000 in pipe_read); stopping the run\n');
});

limits('--max-procs and --quantum are checked', () => {
  for (const bad of [['--max-procs', '0'], ['--max-procs', '2.5'], ['--quantum', '-1'], ['--quantum', 'many']]) {
    const r = cli(['run', 'procs', 'pipe', ...bad]);
    assert.is(r.status, 2, bad.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(bad[0]));
  }
});

limits('the instruction limit covers all processes together', async () => {
  const r = await run('procs', ['storm'], { maxInstructions: 20_000 });
  assert.is(r.outcome.kind, 'limit');
  assert.is(r.exitCode, 152);
});

limits('with several processes, --max-instructions stops the run at exactly N, inside a loop without crossings', async () => {
  const r = await run('procs', ['preempt'], { maxInstructions: 250_000 });
  assert.equal(r.outcome, { kind: 'limit', instructions: 250_000 });
  assert.is(r.kernel.ledger.instructions, 250_000);
});

limits.run();

// ---------------------------------------------------------------- determinism and output

const output = suite('strace -f lines, dumps and summaries of several processes');

function traced(mode: string, extra: string[] = []) {
  const dir = tmpdir('syscluster-procs-');
  const strace = path.join(dir, 'strace.txt'), dump = path.join(dir, 'dump.jsonl');
  const r = cli(['run', 'procs', mode, '--strace-out', strace, ...extra]);
  assert.is(r.status, 0, r.stderr);
  const t = cli(['trace', 'procs', mode, '--out', dump, ...extra]);
  assert.is(t.status, 0, t.stderr);
  return { stdout: r.stdout, strace: fs.readFileSync(strace, 'latin1'), dump: fs.readFileSync(dump, 'latin1') };
}

output('two runs of a multi-process guest: byte-identical stdout, strace and dump', () => {
  for (const mode of ['fill', 'storm']) {
    const a = traced(mode), b = traced(mode);
    assert.is(a.stdout, b.stdout);
    assert.is(a.strace, b.strace);
    assert.is(a.dump, b.dump);
  }
});

output('strace lines carry [pid N] once there are two processes, and the profiler reads them back', () => {
  const { strace } = traced('pipe');
  const lines = strace.split('\n');
  assert.match(lines[1], /^pipe\(\[3, 4\]\) = 0$/);
  assert.ok(lines.includes('[pid  1001] write(4, "hello through a pipe\\n", 21) = 21'), strace);
  assert.ok(lines.includes('[pid  1001] +++ exited with 7 +++'));
  assert.ok(lines.includes('[pid  1000] wait4(1001, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = 1001'));
  const log = parseStrace(lines.slice(1).join('\n'), 'procs.strace');
  assert.equal(log.unparsed, []);
  assert.equal([...new Set(log.events.map((e) => e.pid))].sort(), [0, 1000, 1001]);
  assert.is(log.exits, 2);
});

output('a delivered signal is shown as strace shows it', () => {
  const { strace } = traced('kill');
  assert.match(strace, /^\[pid  1001\] --- SIGTERM \{si_signo=SIGTERM, si_code=SI_USER, si_pid=1000, si_uid=0\} ---$/m);
  assert.match(strace, /^\[pid  1001\] \+\+\+ killed by SIGTERM \+\+\+$/m);
  assert.match(strace, /^\[pid  1000\] wait4\(1001, \[\{WIFSIGNALED\(s\) && WTERMSIG\(s\) == SIGTERM\}\], 0, NULL\) = 1001$/m);
});

output('--summary: one row per process and the total', () => {
  const r = cli(['run', 'procs', 'pipe', '--summary']);
  assert.is(r.status, 0);
  assert.match(r.stderr, /context switches \(2\)\s+800/);
  assert.match(r.stderr, /^ {2}1000\s+1\s+procs\s+exit 0\s/m);
  assert.match(r.stderr, /^ {2}1001\s+1000\s+procs\s+exit 7\s/m);
  assert.match(r.stderr, /^ {2}total\s/m);
});

output.run();

// ---------------------------------------------------------------- preemption

const preemption = suite('a process that computes without crossing is preempted after --quantum instructions');

preemption('the writer runs while the spinner spins; with a quantum longer than the loop it runs after', async () => {
  const r = await run('procs', ['preempt']);
  assert.ok(r.stdout.startsWith('the writer ran\n'), r.stdout);
  // parent → child at the quantum, child → parent when it exits
  assert.is(r.kernel.ledger.switches, 2);
  assert.is(r.kernel.ledger.switchCycles, 2 * 400, 'each switch charged as at a crossing');
  const long = await run('procs', ['preempt'], { quantum: 1_000_000_000 });
  assert.is(long.stdout, 'the spinner is done: 1\nthe writer ran\nwriter\'s exit: 0\n');
});

preemption('the switch comes at the block boundary at or just before --quantum instructions of the spinner\'s slice', async () => {
  for (const quantum of [4321, 20_000, 100_000]) {
    let atChildExit = 0;
    const r = await run('procs', ['preempt'], { quantum, tracers: [{ exit: (pid, _st, k) => { if (pid === 1001) atChildExit = k.ledger.instructions; } }] });
    assert.ok(r.stdout.startsWith('the writer ran\n'));
    const child = r.kernel.reaped.find((p) => p.pid === 1001)!;
    // Up to the child's exit, the run is the parent's first slice and the child's whole life.
    const slice = atChildExit - child.ledger.instructions;
    assert.ok(slice <= quantum && slice > quantum - 16, `a slice of ${slice} for a quantum of ${quantum} (the loop's block is a dozen instructions)`);
  }
});

preemption('a quantum of 1: every slice still runs a block, and the run ends', async () => {
  const r = await run('procs', ['preempt'], { quantum: 1, maxInstructions: 400_000 });
  assert.is(r.stdout, 'the writer ran\n');
  assert.equal(r.outcome, { kind: 'limit', instructions: 400_000 });
  assert.ok(r.kernel.ledger.switches > 10);
});

preemption('two runs of the preempted pair: byte-identical stdout, strace and dump', () => {
  const a = traced('preempt', ['--quantum', '7777']), b = traced('preempt', ['--quantum', '7777']);
  assert.is(a.stdout, 'the writer ran\nthe spinner is done: 1\nwriter\'s exit: 0\n');
  assert.is(a.stdout, b.stdout);
  assert.is(a.strace, b.strace);
  assert.is(a.dump, b.dump);
});

preemption.run();

// ---------------------------------------------------------------- the frame

const frame = suite('the i386 signal frames, byte for byte');

function frameSetup() {
  const mem = new ArrayMemory();
  mem.map(0xbf000000, 0x10000, PROT.READ | PROT.WRITE);
  const p = new Process(new Task({ pid: 1000, fdLimit: 16 }), mem, new FdTable(null), { cwd: '/', umask: 0o22, exePath: '/' });
  const regs = { eax: 1, ebx: 2, ecx: 3, edx: 4, esi: 5, edi: 6, ebp: 7, esp: 0xbf00fff0, eip: 0x8049123, eflags: 0x246, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b };
  return { mem, p, regs };
}

frame('struct sigframe: pretcode, sig, sigcontext, extramask, retcode; aligned as Linux aligns it', () => {
  const { mem, p, regs } = frameSetup();
  assert.is(SIGFRAME_SIZE, 732);
  const act = { handler: 0x8048500, flags: SA.RESTORER, restorer: 0x8048600, mask: 0n };
  const next = setupFrame(p, 10, act, { signo: 10, code: 0, pid: 1, uid: 0 }, regs, 0x1_0000_0004n)!;
  const sp = next.esp!;
  assert.is((sp + 4) % 16, 0, 'the handler starts as if called: (esp + 4) 16-aligned');
  assert.ok(sp + SIGFRAME_SIZE <= regs.esp);
  assert.equal([next.eip, next.eax, next.edx, next.ecx], [0x8048500, 10, 0, 0]);
  assert.is(mem.readU32(sp), 0x8048600, 'pretcode is the restorer');
  assert.is(mem.readU32(sp + 4), 10);
  assert.is(mem.readU32(sp + 8 + 4 * 14), 0x8049123, 'sc.eip');
  assert.is(mem.readU32(sp + 8 + 4 * 7), regs.esp, 'sc.esp');
  assert.is(mem.readU32(sp + 8 + 4 * 11), 1, 'sc.eax');
  assert.is(mem.readU32(sp + 8 + 4 * 20), 4, 'sc.oldmask: the low word of the mask');
  assert.is(mem.readU32(sp + 8 + 88 + 624), 1, 'extramask: the high word');
  assert.equal([...mem.read(sp + 724, 8)!], [0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80], 'popl %eax; movl $119,%eax; int $0x80');
  // The handler's ret pops pretcode; the restorer's popl pops sig: sigreturn finds the frame at esp - 8.
  const back = restoreFrame(mem, sp + 8, false, regs)!;
  assert.equal(back.regs, { ...regs, eflags: 0x246 });
  assert.is(back.mask, 0x1_0000_0004n);
});

frame('struct rt_sigframe: siginfo and ucontext, handler arguments in eax, edx, ecx', () => {
  const { mem, p, regs } = frameSetup();
  assert.is(RT_SIGFRAME_SIZE, 268);
  const act = { handler: 0x8048500, flags: SA.SIGINFO, restorer: 0, mask: 0n };
  const next = setupFrame(p, 17, act, { signo: 17, code: 1, pid: 1001, uid: 0, status: 3 }, regs, 0n)!;
  const sp = next.esp!;
  assert.is(mem.readU32(sp), sp + 16 + 128 + 116, 'no restorer: pretcode is the frame\'s own retcode');
  assert.equal([mem.readU32(sp + 8), mem.readU32(sp + 12)], [sp + 16, sp + 144], 'pinfo, puc');
  assert.equal([next.edx, next.ecx], [sp + 16, sp + 144]);
  assert.equal([mem.readU32(sp + 16), mem.readU32(sp + 24), mem.readU32(sp + 28), mem.readU32(sp + 36)], [17, 1, 1001, 3], 'si_signo, si_code, si_pid, si_status');
  assert.is(mem.readU32(sp + 144 + 20 + 4 * 14), 0x8049123, 'uc_mcontext.eip');
  assert.equal([...mem.read(sp + 260, 8)!], [0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0], 'movl $173,%eax; int $0x80');
  const back = restoreFrame(mem, sp + 4, true, regs)!;
  assert.is(back.regs.eip, 0x8049123);
  assert.is(back.regs.esp, regs.esp);
});

frame('the FPU state: struct _fpstate_32 below the frame, FXSAVE image 64-aligned, FSAVE header converted; sigreturn gives it back', () => {
  for (const flags of [0, SA.SIGINFO]) {
    const { mem, p, regs } = frameSetup();
    const fx = new Uint8Array(512), dv = new DataView(fx.buffer);
    dv.setUint16(0, 0x037f, true); // fcw
    dv.setUint16(2, 0x3800 | 0x20, true); // fsw: TOP 7, PE
    fx[4] = 0x80; // physical register 7 (ST0) in use
    dv.setUint32(24, 0x1f80, true);
    dv.setBigUint64(32, 0xc000000000000000n, true); // ST0 = 3.0: significand, then exponent
    dv.setUint16(40, 0x4000, true);
    fx.fill(0xab, 160 + 16, 160 + 32); // xmm1
    const act = { handler: 0x8048500, flags, restorer: 0, mask: 0n };
    const next = setupFrame(p, 10, act, { signo: 10, code: 0, pid: 1, uid: 0 }, regs, 0n, fx)!;
    const scAt = flags ? next.esp! + 16 + 128 + 20 : next.esp! + 8;
    const fp = mem.readU32(scAt + 4 * 19)!;
    assert.is((fp + 112) % 64, 0, 'the FXSAVE image is 64-byte aligned');
    assert.ok(fp + 624 <= regs.esp && next.esp! + (flags ? RT_SIGFRAME_SIZE : SIGFRAME_SIZE) <= fp, 'below the stack, above the frame');
    assert.is(mem.readU32(fp), 0xffff037f, 'cw');
    assert.is(mem.readU32(fp + 4), 0xffff3820, 'sw');
    assert.is(mem.readU32(fp + 8), 0xffff3fff, 'tag: R7 valid (0), the others empty (3)');
    assert.equal([...mem.read(fp + 28, 10)!], [...fx.subarray(32, 42)], '_st[0]');
    assert.is(mem.readU32(fp + 108)! & 0xffff, 0x3820, 'status');
    assert.is(mem.readU32(fp + 108)! >>> 16, 0, 'magic: X86_FXSR_MAGIC');
    assert.equal([...mem.read(fp + 112, 512)!], [...fx], 'the FXSAVE image');
    const back = restoreFrame(mem, next.esp! + (flags ? 4 : 8), flags !== 0, regs)!;
    assert.equal([...(back.fpu as Uint8Array)], [...fx]);
  }
});

frame('a frame without fpstate: sigreturn resets the FPU, as Linux does', () => {
  const { mem, p, regs } = frameSetup();
  const next = setupFrame(p, 10, { handler: 0x8048500, flags: 0, restorer: 0, mask: 0n }, { signo: 10, code: 0, pid: 1, uid: 0 }, regs, 0n)!;
  assert.is(restoreFrame(mem, next.esp! + 8, false, regs)!.fpu, 'init');
});

frame('no room for the frame: undefined (the process then dies of SIGSEGV)', () => {
  const { p, regs } = frameSetup();
  const act = { handler: 0x8048500, flags: 0, restorer: 0, mask: 0n };
  assert.is(setupFrame(p, 10, act, { signo: 10, code: 0, pid: 1, uid: 0 }, { ...regs, esp: 0x1000 }, 0n), undefined);
});

frame.run();

// ---------------------------------------------------------------- qemu-i386

const qemu = suite('the procs guest under qemu-i386: same stdout and exit code');
const haveQemu = spawnSync('qemu-i386', ['--version']).status === 0;

// zombies is left out: on a real host, how many children have exited after 50 sched_yield
// calls depends on the host's scheduler and its cores; the model's answer is exact.
for (const mode of ['pipe', 'signal', 'kill', 'sigpipe', 'fill', 'storm']) {
  qemu(mode, () => {
    if (!haveQemu) return;
    const q = spawnSync('qemu-i386', [GUEST('procs'), mode], { encoding: 'latin1', timeout: 60_000 });
    const s = cli(['run', 'procs', mode]);
    assert.is(s.stdout, q.stdout);
    assert.is(s.status, q.status);
  });
}

qemu.run();
