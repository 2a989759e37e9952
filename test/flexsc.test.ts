// Exception-less calls (kernel-model/sys/flexsc.ts): registration, the worker on a second
// core, hostile entries; the guests on guest/runtime/flexsc.h against their int 0x80
// versions; and `scenario mechanisms` at a reduced size.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { E } from '../kernel-model/errno.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import { FLEXSC_ENTRY_BYTES, FLEXSC_MAX_ENTRIES, FLEXSC_NR, FLEXSC_STATUS } from '../kernel-model/sys/flexsc.js';
import { MECHANISMS, mechanismsJobs, mechanismsResult, type MechanismsSize } from '../scenarios/mechanisms.js';
import { runJobs } from '../scenarios/pool.js';
import { pseudoRandomBytes } from '../scenarios/inputs.js';
import { cli, profile, run } from './helpers.js';

const RW = 0x10000, PAGE = 0x100000, ENTRIES = 16;
const NR = { exit: 1, read: 3, write: 4, open: 5, getpid: 20, pipe: 42, multicall: 500 };

function machine(platform = 'skylake-2018') {
  const mem = new ArrayMemory();
  mem.map(RW, 0x40000, PROT.READ | PROT.WRITE);
  mem.map(PAGE, 0x1000, PROT.READ | PROT.WRITE);
  const fsys = new MemoryFileSystem({});
  const k = new Kernel({ profile: profile(platform), personality: personality('modern'), memory: mem, fs: fsys, stdio: new CapturedStdio(), brk: 0x800000, warn: () => {} });
  const regs = (eax: number, ...a: number[]): UserRegs => ({ eax, ebx: a[0] ?? 0, ecx: a[1] ?? 0, edx: a[2] ?? 0, esi: a[3] ?? 0,
    edi: a[4] ?? 0, ebp: 0, esp: 0xbfff0000, eip: 0x8048000, eflags: 0x202, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b });
  const trap = (nr: number, ...a: number[]) => k.crossing(regs(nr, ...a), 0) | 0;
  const at = (i: number) => PAGE + FLEXSC_ENTRY_BYTES * i;
  /** Fills entry i and marks it SUBMITTED, as the program does: no crossing. */
  const post = (i: number, nr: number, ...args: number[]) => {
    mem.writeU32(at(i) + 4, nr);
    for (let j = 0; j < 6; j++) mem.writeU32(at(i) + 8 + 4 * j, args[j] ?? 0);
    mem.writeU32(at(i), FLEXSC_STATUS.SUBMITTED);
  };
  const status = (i: number) => mem.readU32(at(i))!;
  const result = (i: number) => mem.readU32(at(i) + 32)! | 0;
  const str = (addr: number, s: string) => { mem.write(addr, Buffer.from(s + '\0')); return addr; };
  return { k, mem, fsys, trap, post, status, result, str, at };
}

const kernel = suite('exception-less calls in the kernel model');

kernel('registration checks its page and count, once per process, and needs a second core', () => {
  const m = machine();
  assert.is(m.trap(FLEXSC_NR.register, PAGE, 0), -E.EINVAL);
  assert.is(m.trap(FLEXSC_NR.register, PAGE, FLEXSC_MAX_ENTRIES + 1), -E.EINVAL);
  assert.is(m.trap(FLEXSC_NR.register, PAGE + 4, 4), -E.EINVAL, 'entries are 64-byte aligned');
  assert.is(m.trap(FLEXSC_NR.register, 0x5000000, 4), -E.EFAULT, 'unmapped');
  assert.is(m.trap(FLEXSC_NR.register, PAGE, 0x1000 / FLEXSC_ENTRY_BYTES + 1), -E.EFAULT, 'runs past the mapping');
  assert.is(m.trap(FLEXSC_NR.wait, 0, 1), -E.EINVAL, 'no registration yet');
  assert.is(m.trap(FLEXSC_NR.register, PAGE, ENTRIES), 0);
  assert.is(m.trap(FLEXSC_NR.register, PAGE, ENTRIES), -E.EBUSY);
  const laptop = machine('p2-266');
  assert.is(laptop.trap(FLEXSC_NR.register, PAGE, ENTRIES), -E.EOPNOTSUPP, 'p2-266 has no second core');
  // Only the modern personality has the calls.
  assert.not.ok(personality('paper').table.has(FLEXSC_NR.register));
  assert.is(personality('modern').table.get(FLEXSC_NR.wait)?.name, 'flexsc_wait');
});

kernel('posted calls run on the worker without a crossing of their own; the program crosses only to wait', () => {
  const m = machine();
  assert.is(m.trap(FLEXSC_NR.register, PAGE, ENTRIES), 0);
  const fd = m.trap(NR.open, m.str(RW, '/out'), 0o1101, 0o644);
  assert.ok(fd >= 3);
  m.mem.write(RW + 0x100, Buffer.from('hello, '));
  m.mem.write(RW + 0x200, Buffer.from('world\n'));
  m.post(0, NR.write, fd, RW + 0x100, 7);
  m.post(1, NR.write, fd, RW + 0x200, 6);
  assert.is(m.status(0), FLEXSC_STATUS.SUBMITTED);
  const crossings = m.k.ledger.crossings, handler = m.k.ledger.handler;
  // The worker runs at the next time the kernel has control: here, an rdtsc.
  m.k.rdtsc(0);
  assert.is(m.k.ledger.crossings, crossings, 'no crossing');
  assert.is(m.status(0), FLEXSC_STATUS.DONE);
  assert.is(m.result(0), 7);
  assert.is(m.result(1), 6);
  assert.is(Buffer.from(m.fsys.contents('out')!).toString(), 'hello, world\n', 'in page order');
  // The calls' work went to the second core; the program's core paid the two line transfers.
  const p = profile('skylake-2018');
  assert.ok(m.k.ledger.sqpollCycles >= 2 * p.flexsc!.worker_entry_cycles);
  assert.is(m.k.ledger.handler - handler, 2 * p.flexsc!.line_transfer_cycles);
  // flexsc_wait: one crossing, the worker's turn inside it, the count of DONE entries.
  m.post(2, NR.getpid);
  assert.is(m.trap(FLEXSC_NR.wait, 0, 3), 3);
  assert.is(m.result(2), m.k.pid);
  assert.is(m.k.ledger.crossings, crossings + 1);
  assert.is(m.trap(FLEXSC_NR.wait, 3, 2), 0, 'free entries are not done');
});

kernel('hostile entries get Linux-style errors in their result, never a crash', () => {
  const m = machine();
  assert.is(m.trap(FLEXSC_NR.register, PAGE, ENTRIES), 0);
  const pipe = RW + 0x300;
  assert.is(m.trap(NR.pipe, pipe), 0);
  const readEnd = m.mem.readU32(pipe)!;
  m.post(0, 9999); // no such call
  m.post(1, FLEXSC_NR.register, PAGE, ENTRIES); // recursion into itself
  m.post(2, FLEXSC_NR.wait, 0, 1);
  m.post(3, NR.multicall, 1, RW); // a batch
  m.post(4, NR.exit, 3); // ends the process: not on a worker
  m.post(5, NR.write, 1, 0xdead0000, 16); // a bad pointer
  m.post(6, NR.read, readEnd, RW + 0x400, 16); // an empty pipe: would sleep
  m.post(7, NR.getpid);
  m.mem.writeU32(m.at(8), 7); // an unknown status: left alone
  m.mem.writeU32(m.at(9), FLEXSC_STATUS.BUSY);
  assert.is(m.trap(FLEXSC_NR.wait, 0, 8), 8);
  assert.equal([0, 1, 2, 3, 4, 5, 6].map(m.result), [-E.ENOSYS, -E.EINVAL, -E.EINVAL, -E.EINVAL, -E.EINVAL, -E.EFAULT, -E.EAGAIN]);
  assert.is(m.result(7), m.k.pid);
  assert.is(m.k.exited, false);
  assert.is(m.k.proc.parked, undefined);
  assert.is(m.status(8), 7);
  assert.is(m.status(9), FLEXSC_STATUS.BUSY);
  // Out-of-range indices for flexsc_wait.
  assert.is(m.trap(FLEXSC_NR.wait, ENTRIES, 1), -E.EINVAL);
  assert.is(m.trap(FLEXSC_NR.wait, 0, 0), -E.EINVAL);
  assert.is(m.trap(FLEXSC_NR.wait, 4, ENTRIES), -E.EINVAL);
  assert.is(m.trap(FLEXSC_NR.wait, 0xffffffff, 2), -E.EINVAL);
  // A page unmapped after registration: the worker skips it, wait reports EFAULT.
  m.mem.unmap(PAGE, 0x1000);
  assert.is(m.trap(FLEXSC_NR.wait, 0, 1), -E.EFAULT);
});

kernel.run();

const guests = suite('guests on guest/runtime/flexsc.h');
const modern = { personality: personality('modern'), profile: profile('skylake-2018') };
const input = pseudoRandomBytes(70_000, 11);

guests('copy_flexsc writes what the plain copy writes, crossing once a round', async () => {
  for (const [block, depth] of [['512', '8'], ['4096', '8'], ['16384', '8'], ['4096', '1'], ['1000', '64']]) {
    const plain = await run('copy', ['/in', '/out', block], { files: { '/in': input }, ...modern });
    const r = await run('copy_flexsc', ['/in', '/out', block, depth], { files: { '/in': input }, ...modern });
    assert.is(r.exitCode, 0, `${block} ${depth}: ${r.stderr}`);
    assert.is(r.stdout, plain.stdout);
    assert.equal(Buffer.from((r.fs as MemoryFileSystem).contents('out')!), Buffer.from(input), `${block} ${depth}`);
    // Opens, registration, a wait for each round of reads and of writes, closes, exit.
    const rounds = Math.ceil((input.length + 1) / (Number(block) * Number(depth)));
    assert.ok(r.kernel.ledger.crossings <= 6 + 2 * rounds, `${block} ${depth}: ${r.kernel.ledger.crossings} crossings`);
    if (depth !== '1') assert.ok(r.kernel.ledger.crossings < plain.kernel.ledger.crossings);
    assert.ok(r.kernel.ledger.sqpollCycles > 0, 'the calls ran on the second core');
  }
  const empty = await run('copy_flexsc', ['/in', '/out'], { files: { '/in': new Uint8Array() }, ...modern });
  assert.is(empty.exitCode, 0);
  assert.is((empty.fs as MemoryFileSystem).contents('out')!.length, 0);
});

guests('flexsc_loop gives what getpid_loop and gettimeofday_loop give, in one crossing per 64 calls', async () => {
  for (const call of ['getpid', 'gettimeofday']) {
    const plain = await run(`${call}_loop`, ['1000'], modern);
    const r = await run('flexsc_loop', ['1000', call], modern);
    assert.is(r.exitCode, plain.exitCode);
    assert.is(r.stdout, plain.stdout);
    assert.is(r.stderr, '');
    // Registration, a wait every 64 calls, the line gettimeofday_loop prints, exit.
    assert.ok(r.kernel.ledger.crossings <= Math.ceil(1000 / 64) + 4, `${call}: ${r.kernel.ledger.crossings}`);
    assert.ok(plain.kernel.ledger.crossings >= 1000);
  }
});

guests('multicall_loop, its one-crossing-per-batch counterpart on the multi-call, gives the same', async () => {
  for (const call of ['getpid', 'gettimeofday']) {
    const plain = await run(`${call}_loop`, ['1000'], { profile: profile('skylake-2018') });
    const r = await run('multicall_loop', ['1000', call], { profile: profile('skylake-2018') });
    assert.is(r.exitCode, plain.exitCode);
    assert.is(r.stdout, plain.stdout);
    assert.is(r.kernel.ledger.syscalls, plain.kernel.ledger.syscalls + Math.ceil(1000 / 64), `${call}: every call, and the multi-calls`);
    assert.ok(r.kernel.ledger.crossings <= Math.ceil(1000 / 64) + 3, `${call}: ${r.kernel.ledger.crossings}`);
  }
});

guests('without a second core the guests say so in one line and exit 1', async () => {
  const r = await run('copy_flexsc', ['/in', '/out'], { files: { '/in': input }, personality: personality('modern'), profile: profile('p2-266') });
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, /^flexsc_register/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

guests('--summary shows the second core\'s cycles apart from the program core\'s total', () => {
  const r = cli(['run', 'flexsc_loop', '200', '--platform', 'skylake-2018', '--personality', 'modern', '--summary']);
  assert.is(r.status, 0, r.stderr);
  const total = Number(/total cycles\s+([\d,]+)/.exec(r.stderr)![1].replace(/,/g, ''));
  const second = Number(/second core\s+([\d,]+)/.exec(r.stderr)![1].replace(/,/g, ''));
  assert.ok(second > 0 && total > 0, `${second} ${total}`);
  const plain = cli(['run', 'getpid_loop', '200', '--platform', 'skylake-2018', '--summary']);
  assert.not.match(plain.stderr, /second core/);
});

guests.run();

const scenario = suite('scenario mechanisms (reduced size)');
const SMALL: MechanismsSize = { copyBytes: 20_000, blocks: [512, 4096, 16384], loopCalls: 200, mpeg: { bytes: 60_000, frames: 12 } };

scenario('every mechanism on every workload: behaviour checks pass, every row is there, n/a cells say why', async () => {
  for (const name of ['skylake-2018', 'p2-266']) {
    const p = profile(name);
    const r = mechanismsResult(p, await runJobs(mechanismsJobs(p, SMALL), undefined, 2), SMALL);
    assert.ok(r.checks.length >= (name === 'p2-266' ? 15 : 25), `${name}: ${r.checks.length} checks`);
    for (const c of r.checks) assert.ok(c.ok, `${name}: ${c.name}: ${c.detail}`);
    for (const w of ['copy', 'loop', 'mpeg']) {
      const t = r.tables.find((x) => x.id === `${w}-cycles`)!;
      assert.equal(t.rows.map((row) => String(row[0]).replace(/ \(assumed costs\)$/, '')), MECHANISMS.map((m) => m.label));
      for (const row of t.rows) for (const c of row.slice(1)) assert.ok(typeof c === 'number' ? c > 0 : /^n\/a: /.test(String(c)), `${w}: ${row[0]}: ${c}`);
      assert.ok(r.charts![`mechanisms-${w}-${name}.svg`].startsWith('<svg'));
    }
    const copy = r.tables.find((x) => x.id === 'copy-cycles')!;
    const row = (label: string) => copy.rows.find((x) => String(x[0]).startsWith(label))!;
    if (name === 'skylake-2018') {
      assert.match(String(row('exception-less')[0]), /assumed costs/);
      assert.ok((row('exception-less')[1] as number) < (row('int 0x80')[1] as number));
      assert.ok((row('sysenter')[1] as number) < (row('int 0x80')[1] as number));
      assert.ok(copy.notes!.some((n) => /assumed/.test(n)));
      // The work moved to the worker's core is shown, and counted in the whole machine's saving.
      const second = r.tables.find((x) => x.id === 'copy-second-core')!, both = r.tables.find((x) => x.id === 'copy-both-cores')!;
      const at = (t: typeof copy, label: string) => t.rows.find((x) => String(x[0]).startsWith(label))![1] as number;
      assert.ok(at(second, 'exception-less') > 0);
      assert.is(at(second, 'int 0x80'), 0);
      assert.ok(at(both, 'exception-less') < (r.tables.find((x) => x.id === 'copy-saved')!.rows.find((x) => String(x[0]).startsWith('exception-less'))![1] as number));
    } else {
      assert.is(row('exception-less')[1], 'n/a: one core');
      assert.is(row('sysenter')[1], 'n/a: no sysenter costs');
    }
    const loop = r.tables.find((x) => x.id === 'loop-crossings')!;
    assert.is(loop.rows.find((x) => x[0] === 'vDSO (time calls)')![2], 3, 'gettimeofday through the vDSO: no crossing per call');
  }
});

scenario('the command refuses an unknown platform in one line, without a stack trace', () => {
  const r = cli(['scenario', 'mechanisms', '--platform', 'nosuch']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /unknown platform/);
  assert.not.match(r.stderr, /    at /);
});

scenario.run();
