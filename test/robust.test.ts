// The run loop under hostile guests: exact limits, traps as Linux (qemu-i386) gives them,
// rdtsc in bulk, and native resources freed on every path.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Machine, describeOutcome, runGuest, sharedDisassembler, type RunOptions } from '../emulator/machine.js';
import { asm, codeElf, CODE_BASE, u32 } from '../fuzz/code.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { profile } from './helpers.js';

const options = (o: Partial<RunOptions> = {}): RunOptions => ({
  argv: ['guest'], profile: profile(), personality: personality('paper'), stdio: new CapturedStdio(),
  fs: new MemoryFileSystem({}), warn: () => {}, ...o,
});
const runCode = (code: number[], o: Partial<RunOptions> = {}) => runGuest(codeElf(code), 'guest', options(o));

const traps = suite('instructions user code may not run end the guest as qemu-i386 does');

// qemu-i386 on the same instructions (built with gcc -m32): exit status 139, 132 or 133.
const cases: [string, number[], string, RegExp][] = [
  ['in', [0xe4, 0x60], 'SIGSEGV', /^in al, 0x60$/],
  ['out', [0xe6, 0x80], 'SIGSEGV', /^out 0x80, al$/],
  ['cli', [0xfa], 'SIGSEGV', /^cli$/],
  ['hlt', [0xf4], 'SIGSEGV', /^hlt$/],
  ['mov cr0', [0x0f, 0x20, 0xc0], 'SIGSEGV', /^mov eax, cr0$/],
  ['rdmsr', [0x0f, 0x32], 'SIGSEGV', /^rdmsr$/],
  ['syscall', [0x0f, 0x05], 'SIGILL', /^syscall$/],
  ['int $0', [0xcd, 0x00], 'SIGSEGV', /^int 0$/],
  ['int $6', [0xcd, 0x06], 'SIGSEGV', /^int 6$/],
  ['int $1', [0xcd, 0x01], 'SIGSEGV', /^int 1$/],
  ['int $3', [0xcd, 0x03], 'SIGTRAP', /^int 3$/],
  ['ud2', [0x0f, 0x0b], 'SIGILL', /^ud2$/],
];
for (const [name, bytes, signal, insn] of cases) {
  traps(`${name}: ${signal} at the instruction, after the ones before it ran`, async () => {
    // Three instructions before it in the same block, and an exit after it that must not run.
    const r = await runCode([...asm.movEbx(5), ...asm.nop, ...asm.movEdx(0), ...bytes, ...asm.exit(0)]);
    assert.is(r.outcome.kind, 'signaled');
    if (r.outcome.kind !== 'signaled') return;
    assert.is(r.outcome.signal, signal);
    assert.match(r.outcome.instruction ?? '', insn);
    assert.is(r.outcome.eip, CODE_BASE + 11);
    assert.is(r.kernel.ledger.instructions, 3);
  });
}
traps('a real divide error is still SIGFPE at the idiv', async () => {
  const r = await runCode([...asm.movEax(1), ...asm.movEcx(0), 0x99, 0xf7, 0xf9, ...asm.exit(0)]);
  assert.is(r.outcome.kind === 'signaled' && r.outcome.signal, 'SIGFPE');
  assert.is(r.outcome.kind === 'signaled' && r.outcome.eip, CODE_BASE + 11);
});
traps.run();

const limits = suite('the instruction limit is exact');
for (const n of [1, 2, 10, 1000, 12345]) {
  limits(`--max-instructions ${n} runs ${n} instructions`, async () => {
    // A long straight block, then a loop.
    const r = await runCode([...Array(40).fill(0x90), 0xeb, 0xfe], { maxInstructions: n });
    assert.equal(r.outcome, { kind: 'limit', instructions: n });
    assert.is(r.kernel.ledger.instructions, n);
    assert.is(r.exitCode, 152);
  });
}
limits('a guest that ends exactly at the limit is not stopped early', async () => {
  const r = await runCode([...asm.nop, ...asm.exit(3)], { maxInstructions: 4 });
  assert.equal(r.outcome, { kind: 'exited', status: 3 });
});
limits.run();

const rdtsc = suite('rdtsc');
rdtsc('10,000 rdtsc instructions run (one callback for all of them) and each reads the counter', async () => {
  const n = 10_000;
  // rdtsc; mov ebx, eax (keeps the last low half) ... then exit(ebx & 0xff)
  const body: number[] = [];
  for (let i = 0; i < n; i++) body.push(...asm.rdtsc);
  body.push(0x89, 0xc3, ...asm.movEax(1), ...asm.int80);
  const r = await runCode(body);
  assert.is(r.outcome.kind, 'exited');
  assert.is(r.kernel.ledger.instructions, n + 3);
});
rdtsc.run();

const resources = suite('native resources');
resources('a machine released twice frees once; a tracer that throws frees the engine', async () => {
  const m = new Machine(codeElf(asm.exit(0)), 'guest', await sharedDisassembler(), options());
  m.release();
  m.release();
  const thrower = { syscall() { throw new Error('tracer failed'); } };
  let thrown: unknown;
  try { await runCode([...asm.movEax(20), ...asm.int80, ...asm.exit(0)], { tracers: [thrower] }); } catch (err) { thrown = err; }
  assert.is((thrown as Error)?.message, 'tracer failed');
});
resources('200 runs whose tracer throws grow the resident set no more than 200 clean runs', async () => {
  // Before every path freed the engine, 200 throwing runs grew it by 666 MiB (clean runs: about 50).
  const thrower = { syscall() { throw new Error('tracer failed'); } };
  const code = [...asm.movEax(20), ...asm.int80, ...asm.exit(0)];
  const growth = async (tracers: { syscall(): void }[]) => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) { try { await runCode(code, { tracers }); } catch { /* expected */ } }
    global.gc?.();
    return (process.memoryUsage().rss - before) / 2 ** 20;
  };
  await growth([]);
  const clean = await growth([]);
  const throwing = await growth([thrower]);
  assert.ok(throwing < Math.max(clean, 0) + 60, `RSS grew by ${throwing.toFixed(0)} MiB (clean runs: ${clean.toFixed(0)} MiB)`);
});
resources.run();

const work = suite('kernel work is bounded like instructions');
const DATA = 0x08049000;
const store = (addr: number, v: number) => [0xc7, 0x05, ...u32(addr), ...u32(v)];
work('a multi-call loop stops at --max-kernel-steps with exit code 152, naming the limit', async () => {
  const code = [...store(DATA + 0x100, 20), ...store(DATA + 0x104, DATA + 0x200), ...store(DATA + 0x108, DATA + 0x300), ...store(DATA + 0x10c, 0),
    // L: multi_call(1, entries); jmp L
    ...asm.movEax(240), ...asm.movEbx(1), ...asm.movEcx(DATA + 0x100), ...asm.int80, 0xeb, -(5 + 5 + 5 + 2 + 2) & 0xff];
  const r = await runGuest(codeElf(code, { bss: 0x2000, flags: 7 }), 'guest', options({ maxKernelSteps: 1000 }));
  assert.is(r.outcome.kind, 'limit');
  assert.is(r.outcome.kind === 'limit' && r.outcome.limit, 'kernel step');
  assert.is(r.exitCode, 152);
  assert.is(r.kernel.ledger.crossings, 1001, 'the crossing that passed the limit is the last');
  assert.match(describeOutcome(r.outcome), /the kernel step limit was reached \(raise it with --max-kernel-steps\)/);
});
work('a guest that writes past --max-write-bytes ends with exit code 152, naming the limit', async () => {
  // L: write(1, CODE_BASE, 4096); jmp L
  const code = [...asm.movEax(4), ...asm.movEbx(1), ...asm.movEcx(CODE_BASE), ...asm.movEdx(4096), ...asm.int80, 0xeb, -(5 * 4 + 2 + 2) & 0xff];
  const r = await runCode(code, { maxWriteBytes: 100_000 });
  assert.is(r.outcome.kind === 'limit' && r.outcome.limit, 'written byte');
  assert.is(r.exitCode, 152);
  assert.is(r.kernel.written, 25 * 4096, 'the write that passed the limit is the last');
  assert.match(describeOutcome(r.outcome), /the written byte limit was reached \(raise it with --max-write-bytes\)/);
});
work('a looped call\'s total always fits the guest\'s int: it returns early past 1 GiB', async () => {
  // brk(0) returns about 134 million: 32 iterations would total 4.3 GB, negative or wrapped through an int.
  const def = { name: 'sum_brk', params: [], steps: [{ call: 'brk', args: [{ const: 0 }] }], loop: { while_positive: 0, max_iterations: 32 }, returns: { total: 0 } };
  const pers = personality('paper', [def as never]);
  const nr = [...pers.table.values()].find((x) => x.name === 'sum_brk')!.nr;
  let result = 0;
  // eax = sum_brk(); exit(0)
  const r = await runCode([...asm.movEax(nr), ...asm.int80, ...asm.exit(0)], { personality: pers, tracers: [{ crossing: (c) => { if (c.call.name === 'sum_brk') result = c.call.result; } }] });
  assert.is(r.exitCode, 0);
  assert.ok(result > 2 ** 30 && result < 2 ** 31, `total ${result}`);
  assert.is(result % r.kernel.brk, 0, 'whole iterations');
  assert.ok(result / r.kernel.brk < 32, 'it returned before its 32 iterations');
});
work.run();

const data = suite('limits as data');
data('every limit names what it bounds, its default and its exit code; the code uses the same values', async () => {
  const { LIMITS, LIMIT_EXIT } = await import('../kernel-model/limits.js');
  const { DEFAULT_FD_LIMIT } = await import('../kernel-model/vfs.js');
  const { MAX_MULTICALL_ENTRIES } = await import('../kernel-model/sys/batch.js');
  const { MAX_LOOP_ITERATIONS } = await import('../kernel-model/specialized.js');
  const { DEFAULT_MAX_INSTRUCTIONS } = await import('../emulator/machine.js');
  for (const l of Object.values(LIMITS)) {
    assert.ok(l.bounds.length > 10 && Number.isSafeInteger(l.default) && l.default > 0, l.name);
    assert.ok(l.exitCode === LIMIT_EXIT || (l.exitCode === 0 && 'guestSees' in l), l.name);
  }
  assert.is(LIMITS.openFiles.default, DEFAULT_FD_LIMIT);
  assert.is(LIMITS.multicallEntries.default, MAX_MULTICALL_ENTRIES);
  assert.is(LIMITS.loopIterations.default, MAX_LOOP_ITERATIONS);
  assert.is(LIMITS.instructions.default, DEFAULT_MAX_INSTRUCTIONS);
});
data.run();
