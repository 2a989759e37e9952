// Crossing mechanisms (docs/mechanisms.md): entry paths and mitigations costed from the
// profiles' published figures, and the indirect cost of a crossing as its own ledger line.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { indirectCycles, indirectMergeSaving, resolveProfile } from '../kernel-model/cost.js';
import { ProfileError, loadProfile, validateProfile } from '../kernel-model/platform.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { knownCallNames } from '../cli/common.js';
import { whatIf } from '../profiler/whatif.js';
import { recordTrace } from '../trace/record.js';
import { GUEST, cli, profile, run, tmpdir } from './helpers.js';

const paths = suite('entry paths and mitigations');

/** One getpid round trip as the kernel charges it: the kernel cycles 1000 more calls add. */
async function roundTrip(platform: string): Promise<number> {
  const kernel = async (n: number) => (await run('getpid_loop', [String(n)], { profile: profile(platform) })).kernel.ledger.kernelCycles;
  return (await kernel(2000) - await kernel(1000)) / 1000;
}

paths('skylake-2018 reproduces the getppid round trips it was built from (Garloff 2018, Gold 6161)', async () => {
  // The figures the profile cites: 120 cycles with pti=off, 520 with PTI and PCID, 1,150 without PCID.
  assert.is(await roundTrip('skylake-2018:sysenter+pti=off+spectre_v2=off'), 120);
  assert.is(await roundTrip('skylake-2018:sysenter+pti=pcid+spectre_v2=off'), 520);
  assert.is(await roundTrip('skylake-2018:sysenter+pti=nopcid+spectre_v2=off'), 1150);
});

paths('each mitigation adds to entry and exit; int 0x80 costs more than sysenter; the default is the profile\'s own', () => {
  const p = profile('skylake-2018');
  const base = resolveProfile(p, { pti: 'off', spectre_v2: 'off' });
  const cost = (q: typeof p) => q.boundary.entry_cycles + q.boundary.exit_cycles + q.dispatch_cycles;
  assert.ok(cost(resolveProfile(p, { path: 'sysenter', pti: 'off', spectre_v2: 'off' })) < cost(base));
  const raw = JSON.parse(fs.readFileSync('platforms/skylake-2018.json', 'utf8'));
  assert.is(cost(resolveProfile(p, { pti: 'pcid', spectre_v2: 'off' })) - cost(base), raw.mitigations.pti_pcid_cycles);
  assert.is(cost(resolveProfile(p, { pti: 'off', spectre_v2: 'ibrs' })) - cost(base), raw.mitigations.ibrs_cycles);
  assert.is(cost(resolveProfile(p, { pti: 'off', spectre_v2: 'retpoline' })) - cost(base), raw.mitigations.retpoline_cycles);
  assert.is(cost(p), cost(resolveProfile(p, { pti: 'pcid', spectre_v2: 'retpoline' })), 'as shipped in 2018');
  assert.is(cost(resolveProfile(resolveProfile(p, { pti: 'nopcid' }), { pti: 'nopcid' })), cost(resolveProfile(p, { pti: 'nopcid' })), 'resolving twice adds nothing');
  // Profiles without the new blocks are untouched.
  const p2 = profile('p2-266');
  assert.is(resolveProfile(p2, { path: 'sysenter' }), p2);
});

paths('every figure of the new profiles names its source', () => {
  for (const name of ['skylake-2018', 'recent-x86']) {
    const p = profile(name);
    for (const key of ['entry_paths', 'mitigations', 'indirect']) {
      assert.ok(Object.keys(p.sources).some((k) => k.startsWith(key)), `${name}: no source for ${key}`);
    }
    for (const text of Object.values(p.sources)) assert.ok(text.length > 20, `${name}: ${text}`);
  }
});

paths('bad choices and bad blocks are one-line errors', () => {
  const known = knownCallNames();
  assert.throws(() => loadProfile('skylake-2018:pti=maybe', known), (e: Error) => e instanceof ProfileError && /pti must be one of off, pcid, nopcid/.test(e.message));
  assert.throws(() => loadProfile('skylake-2018:syscall', known), /not an entry path/);
  assert.throws(() => loadProfile('p2-266:sysenter', known), /gives no entry paths/);
  const raw = JSON.parse(fs.readFileSync('platforms/skylake-2018.json', 'utf8'));
  assert.throws(() => validateProfile({ ...raw, indirect: { peak_cycles_per_instruction: -1, decay_instructions: 5 } }, 'x', known), /indirect.peak_cycles_per_instruction" must not be negative/);
  assert.throws(() => validateProfile({ ...raw, mitigations: { ...raw.mitigations, spectre_v2: 'eibrs' } }, 'x', known), /spectre_v2" must be one of/);
  assert.throws(() => validateProfile({ ...raw, boundary: { ...raw.boundary, cr3_switch_cycles: 100 } }, 'x', known), /cr3_switch_cycles" must be 0/);
  const r = cli(['run', 'hello', '--platform', 'skylake-2018:pti=maybe']);
  assert.is(r.status, 2);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

paths.run();

const indirect = suite('the indirect cost of a crossing');

indirect('a decaying penalty: the sum over n instructions, bounded by peak × the decay', () => {
  const p = profile('skylake-2018');
  const { peak_cycles_per_instruction: peak, decay_instructions: decay } = p.indirect!;
  assert.is(indirectCycles(p, 0), 0);
  assert.ok(Math.abs(indirectCycles(p, 1) - peak) < 1e-9);
  let sum = 0;
  for (let i = 0; i < 5000; i++) sum += peak * Math.exp(-i / decay);
  assert.ok(Math.abs(indirectCycles(p, 5000) - sum) < 1e-6);
  assert.ok(indirectCycles(p, 1e9) < peak / (1 - Math.exp(-1 / decay)) + 1e-6);
  assert.is(indirectCycles(profile('p2-266'), 1000), 0, 'the paper\'s laptop has none');
  assert.ok(indirectMergeSaving(p, [100, 100, 100]) > 0, 'one stretch after one crossing costs less than three');
});

indirect('the ledger shows it on its own line, in the total, and only after crossings', async () => {
  const r = await run('getpid_loop', ['1000'], { profile: profile('skylake-2018') });
  const l = r.kernel.ledger;
  assert.ok(l.indirect > 0);
  assert.is(l.totalCycles, l.userCycles + l.indirect + l.kernelCycles);
  assert.is(l.toJSON().cycles.indirect, l.indirect);
  // getpid_loop's stretches between crossings are all alike (a few instructions): the
  // penalty is the same for each, and there is one stretch per crossing but the first.
  const none = await run('getpid_loop', ['1000'], { profile: { ...profile('skylake-2018'), indirect: undefined } });
  assert.is(none.kernel.ledger.indirect, 0);
  // The ledger rounds the exact sum once (whole cycles): the two runs may differ by a cycle more.
  assert.ok(Math.abs(l.totalCycles - none.kernel.ledger.totalCycles - l.indirect) <= 1);
  const s = cli(['run', 'getpid_loop', '100', '--platform', 'skylake-2018', '--summary']);
  assert.match(s.stderr, /indirect \(after exits\)/);
});

indirect('whatif counts the indirect cost a cluster saves: estimates stay within 2% of the clustered runs', async () => {
  const p = profile('skylake-2018');
  const input = Uint8Array.from({ length: 300 * 1024 }, (_, i) => (i * 7) & 0xff);
  const { trace } = await recordTrace(fs.readFileSync(GUEST('copy')), 'copy', {
    argv: ['copy', '/in', '/out'], profile: p, personality: personality('paper'), fs: new MemoryFileSystem({ '/in': input }), stdio: new CapturedStdio(),
  });
  for (const [calls, kind, guest] of [[['read', 'write'], 'looped', 'copy_looped'], [['write', 'read'], 'multicall', 'copy_multicall']] as const) {
    const w = whatIf(trace, [[...calls]], kind);
    const measured = (await run(guest, ['/in', '/out'], { files: { '/in': input }, profile: p })).kernel.ledger;
    assert.ok(measured.indirect > 0);
    const off = Math.abs(w.estimatedCycles - measured.totalCycles) / measured.totalCycles;
    assert.ok(off < 0.02, `${kind}: estimated ${w.estimatedCycles}, measured ${measured.totalCycles} (${(100 * off).toFixed(2)}%)`);
  }
});

indirect('whatif from a dump file counts it too (the streaming reader passes each stretch)', async () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in'), Buffer.alloc(50000, 1));
  assert.is(cli(['trace', 'copy', 'in', 'out', '--root', d, '--platform', 'skylake-2018', '--out', path.join(d, 'c.jsonl')]).status, 0);
  const r = cli(['whatif', path.join(d, 'c.jsonl'), '--cluster', 'read,write', '--as', 'looped', '--json']);
  assert.is(r.status, 0, r.stderr);
  const fromFile = JSON.parse(r.stdout);
  const { trace } = await recordTrace(fs.readFileSync(GUEST('copy')), 'copy', {
    argv: ['copy', 'in', 'out'], profile: profile('skylake-2018'), personality: personality('paper'),
    fs: new MemoryFileSystem({ '/in': Buffer.alloc(50000, 1) }), stdio: new CapturedStdio(),
  });
  const inMemory = whatIf(trace, [['read', 'write']], 'looped');
  const noIndirect = whatIf({ ...trace, header: { ...trace.header, platform: { ...trace.header.platform, indirect: undefined } } }, [['read', 'write']], 'looped');
  assert.ok(inMemory.clusters[0].savedCycles > noIndirect.clusters[0].savedCycles, 'the indirect cost is part of the saving');
  assert.ok(Math.abs(fromFile.clusters[0].savedCycles - inMemory.clusters[0].savedCycles) < 1, `${fromFile.clusters[0].savedCycles} vs ${inMemory.clusters[0].savedCycles}`);
});

indirect.run();
