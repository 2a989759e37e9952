// The built guests on the real Unicorn engine: output, exit codes, faults, limits,
// exact instruction counts and deterministic ledgers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryFileSystem } from '../kernel-model/vfs.js';
import { run } from './helpers.js';

const guests = suite('guests');

guests('hello writes its line and exits 0 after two crossings', async () => {
  const r = await run('hello');
  assert.is(r.stdout, 'hello from an i386 guest\n');
  assert.equal(r.outcome, { kind: 'exited', status: 0 });
  assert.is(r.kernel.ledger.crossings, 2);
});

guests('cat copies standard input, and files with a block size', async () => {
  const r = await run('cat', [], { stdin: Buffer.from('from stdin\n') });
  assert.is(r.stdout, 'from stdin\n');
  const text = 'x'.repeat(1000) + 'end\n';
  const f = await run('cat', ['7', 'a.txt', 'a.txt'], { files: { '/a.txt': Buffer.from(text) } });
  assert.is(f.stdout, text + text);
  const reads = Math.ceil(text.length / 7) + 1;
  assert.is(f.kernel.ledger.crossings, 2 * (1 + reads + Math.ceil(text.length / 7) + 1) + 1);
});

guests('copy reproduces its input byte for byte at several block sizes', async () => {
  const input = Uint8Array.from({ length: 20000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
  for (const bs of ['1', '512', '4096', '65536']) {
    const r = await run('copy', ['in', 'out', bs], { files: { '/in': input } });
    assert.equal(r.outcome, { kind: 'exited', status: 0 });
    assert.equal((r.fs as MemoryFileSystem).contents('out'), input, `block size ${bs}`);
  }
});

guests('copy reports a missing input and exits 1', async () => {
  const r = await run('copy', ['missing', 'out']);
  assert.is(r.exitCode, 1);
  assert.is(r.stderr, 'missing: ENOENT (No such file or directory)\n');
});

guests('an unknown syscall number returns -ENOSYS to the guest', async () => {
  const r = await run('crash', ['enosys']);
  assert.is(r.exitCode, 0);
});

guests.run();

const faults = suite('faults end the guest as Linux would');

const cases: [string, string, number, RegExp][] = [
  ['segv-read', 'SIGSEGV', 139, /^mov eax, dword ptr \[eax\]$/],
  ['segv-write', 'SIGSEGV', 139, /^mov dword ptr/],
  ['fpe', 'SIGFPE', 136, /^idiv/],
  ['ill', 'SIGILL', 132, /^ud2$/],
  ['trap', 'SIGTRAP', 133, /^int3$/],
  ['int81', 'SIGSEGV', 139, /^int 0x81$/],
];
for (const [kind, signal, code, insn] of cases) {
  faults(kind, async () => {
    const r = await run('crash', [kind]);
    assert.is(r.outcome.kind, 'signaled');
    if (r.outcome.kind !== 'signaled') return;
    assert.is(r.outcome.signal, signal);
    assert.is(r.exitCode, code);
    assert.match(r.outcome.instruction ?? '', insn);
  });
}

faults('a jump to unmapped memory is SIGSEGV at that address', async () => {
  const r = await run('crash', ['fetch']);
  assert.equal(r.outcome.kind === 'signaled' && [r.outcome.signal, r.outcome.eip, r.outcome.address], ['SIGSEGV', 0x30000000, 0x30000000]);
});

faults('the faulting read names its address', async () => {
  const r = await run('crash', ['segv-read']);
  assert.is(r.outcome.kind === 'signaled' && r.outcome.address, 0x10);
});

faults('a runaway guest stops at the instruction limit', async () => {
  const r = await run('crash', ['loop'], { maxInstructions: 100_000 });
  assert.is(r.outcome.kind, 'limit');
  assert.is(r.exitCode, 152);
  assert.is(r.kernel.ledger.instructions, 100_000, "the limit is exact, to the instruction");
});

faults.run();

const accounting = suite('exact accounting');

accounting('a hand-counted loop: 1 + 2*1000 + 4 instructions, rdtsc mid-block', async () => {
  let tsc = -1;
  const r = await run('countloop', [], { tracers: [{ syscall: (rec) => { tsc = rec.args[0]; } }] });
  assert.is(r.kernel.ledger.instructions, 2005);
  // rdtsc reads the counter once it has completed: 2002 instructions at 1 cycle, the
  // rdtsc's extra 31 cycles (p2-266), no kernel work yet.
  assert.is(tsc, 2002 + 31);
  assert.is(r.exitCode, (2002 + 31) & 0xff);
  assert.is(r.kernel.ledger.userCycles, 2004 + 31, 'user work excludes the int 0x80');
});

accounting('the same guest, arguments and profile give the same ledger, byte for byte', async () => {
  const input = Uint8Array.from({ length: 50000 }, (_, i) => i & 0xff);
  const a = await run('copy', ['in', 'out', '1024'], { files: { '/in': input } });
  const b = await run('copy', ['in', 'out', '1024'], { files: { '/in': input } });
  assert.is(JSON.stringify(a.kernel.ledger.toJSON()), JSON.stringify(b.kernel.ledger.toJSON()));
  assert.ok(a.kernel.ledger.instructions > 1000);
});

accounting.run();
