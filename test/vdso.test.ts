// The vDSO and sysenter: a real shared object as Linux's i386 vDSO is (checked with
// binutils' readelf), mapped with its data page and named in the auxiliary vector; glibc
// programs enter through its __kernel_vsyscall (int 0x80 or sysenter as the platform
// choice says, each costed by its own figures) and read the clocks without a crossing,
// with the same results as the kernel's calls.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VDSO_FILE, VDSO_SYMBOLS, dynamicSymbols, vdsoImage } from '../emulator/vdso.js';
import { AT, loadProgram } from '../emulator/loader.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { SeededRandom } from '../kernel-model/random.js';
import { VVAR_MAGIC, encodeVvar } from '../kernel-model/vvar.js';
import { entryCycles, exitCycles } from '../kernel-model/cost.js';
import { personality } from '../kernel-model/table.js';
import type { CrossingRecord, Kernel } from '../kernel-model/kernel.js';
import { GUEST, cli, profile, run, tmpdir } from './helpers.js';
import { SYSROOT, haveI386, program, runOurs, type Side } from './reference.js';

const image = suite('the vDSO image');

image('an ELF32 ET_DYN with PT_LOAD, PT_DYNAMIC, hash tables and LINUX_2.6 versions, as readelf sees it', () => {
  const out = spawnSync('readelf', ['-hldVW', '--dyn-syms', '-r', VDSO_FILE], { encoding: 'utf8' }).stdout;
  assert.match(out, /Type:\s+DYN \(Shared object file\)/);
  assert.match(out, /Machine:\s+Intel 80386/);
  assert.match(out, /^\s+LOAD\s/m);
  assert.match(out, /^\s+DYNAMIC\s/m);
  for (const tag of ['HASH', 'GNU_HASH', 'SYMTAB', 'STRTAB', 'VERSYM', 'VERDEF']) assert.match(out, new RegExp(`\\(${tag}\\)`), tag);
  assert.match(out, /Library soname: \[linux-gate\.so\.1\]/);
  assert.match(out, /There are no relocations in this file/);
  for (const name of VDSO_SYMBOLS) assert.match(out, new RegExp(`FUNC\\s+GLOBAL\\s+DEFAULT\\s+\\d+ ${name}@@LINUX_2\\.6$`, 'm'), name);
});

image('the symbols read here are the ones readelf lists', () => {
  const syms = dynamicSymbols(new Uint8Array(fs.readFileSync(VDSO_FILE)));
  const out = spawnSync('readelf', ['--dyn-syms', '-W', VDSO_FILE], { encoding: 'utf8' }).stdout;
  for (const name of VDSO_SYMBOLS) {
    const m = new RegExp(`:\\s+([0-9a-f]+)\\s+\\d+\\s+FUNC.* ${name}@@LINUX_2\\.6$`, 'm').exec(out);
    assert.ok(m, name);
    assert.is(syms.get(name), parseInt(m![1], 16), name);
  }
});

image('__kernel_vsyscall is Linux\'s sequence; the int 0x80 path makes the sysenter a nop', () => {
  const s = vdsoImage('sysenter'), i = vdsoImage('int80');
  const at = s.symbols.get('__kernel_vsyscall')!;
  // push ecx; push edx; push ebp; mov esp, ebp; sysenter; int $0x80; (landing) pop ebp; pop edx; pop ecx; ret
  assert.equal([...s.bytes.subarray(at, at + 13)], [0x51, 0x52, 0x55, 0x89, 0xe5, 0x0f, 0x34, 0xcd, 0x80, 0x5d, 0x5a, 0x59, 0xc3]);
  assert.equal([...i.bytes.subarray(at, at + 13)], [0x51, 0x52, 0x55, 0x0f, 0x1f, 0x40, 0x00, 0xcd, 0x80, 0x5d, 0x5a, 0x59, 0xc3]);
  assert.is(s.landingPad, at + 9);
});

image('the data page: a whole-MHz clock is readable; a fractional one sends every call to the kernel', () => {
  const p = profile();
  const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.length);
  const ok = dv(encodeVvar(p, { clockStartMicros: 1_000_000, blockedMicros: 250 }));
  assert.is(ok.getUint32(0, true), VVAR_MAGIC);
  assert.is(ok.getUint32(4, true), 1);
  assert.is(ok.getUint32(8, true), p.clock_mhz);
  assert.is(ok.getBigUint64(16, true), 1_000_250n);
  assert.is(ok.getBigUint64(24, true), 250n);
  assert.is(ok.getUint32(32, true), 1e9 / p.timer.hz);
  assert.is(dv(encodeVvar({ ...p, clock_mhz: 266.5 }, { clockStartMicros: 0, blockedMicros: 0 })).getUint32(4, true), 0);
});

const load = suite('mapping and the auxiliary vector');

load('[vvar] read-only and [vdso] read-execute, adjacent; AT_SYSINFO and AT_SYSINFO_EHDR name them', () => {
  const mem = new ArrayMemory();
  const bin = new Uint8Array(fs.readFileSync(GUEST('hello')));
  const v = vdsoImage('int80');
  const p = loadProgram(mem, bin, 'hello', { argv: ['hello'], envp: [], random: new SeededRandom(1), vdso: v });
  const areas = mem.space.list();
  const vvar = areas.find((a) => a.name === '[vvar]')!, vdso = areas.find((a) => a.name === '[vdso]')!;
  assert.ok(vvar && vdso);
  assert.is(vvar.end, vdso.start);
  assert.is(vvar.prot, PROT.READ);
  assert.is(vdso.prot, PROT.READ | PROT.EXEC);
  const aux = new Map(p.auxv);
  assert.is(aux.get(AT.SYSINFO_EHDR), vdso.start);
  assert.is(aux.get(AT.SYSINFO), vdso.start + v.symbols.get('__kernel_vsyscall')!);
  assert.equal([...mem.peek(vdso.start, 4)], [0x7f, 0x45, 0x4c, 0x46]);
  const plain = loadProgram(new ArrayMemory(), bin, 'hello', { argv: ['hello'], envp: [], random: new SeededRandom(1) });
  assert.not.ok(new Map(plain.auxv).has(AT.SYSINFO));
});

load('on by default under the modern personality only; --vdso overrides', async () => {
  const has = async (o: Parameters<typeof run>[2]) => {
    let mapped = false;
    await run('hello', [], { ...o, onLoad: (m) => { mapped = m.program.vdso !== undefined; } });
    return mapped;
  };
  assert.is(await has({}), false);
  assert.is(await has({ personality: personality('modern') }), true);
  assert.is(await has({ personality: personality('modern'), vdso: false }), false);
  assert.is(await has({ vdso: true }), true);
});

const clocks = suite('the clocks through the vDSO');

clocks('each vDSO reading lies between two kernel readings of the same clock; sleeps move both', async () => {
  for (const platform of ['p2-266', 'skylake-2018:sysenter']) {
    const r = await run('vdso_clock', [], { personality: personality('modern'), profile: profile(platform) });
    assert.is(r.exitCode, 0, `${platform}: ${r.stdout}`);
    assert.is(r.stdout.split('\n').filter((l) => l.startsWith('ok ')).length, 12);
  }
});

clocks('gettimeofday_loop: one crossing a call by the kernel, none through the vDSO, same output', async () => {
  const count = (r: { kernel: Kernel }) => r.kernel.ledger.syscalls;
  const plain = await run('gettimeofday_loop', ['500'], { vdso: true });
  const vdso = await run('gettimeofday_loop', ['500', 'vdso'], { vdso: true });
  assert.is(plain.stdout, '500 gettimeofday calls\n');
  assert.is(vdso.stdout, plain.stdout);
  assert.is(count(plain) - count(vdso), 500);
  assert.ok(vdso.kernel.ledger.totalCycles < plain.kernel.ledger.totalCycles / 3);
  const none = await run('gettimeofday_loop', ['5', 'vdso']);
  assert.is(none.exitCode, 2);
});

const sysenter = suite('sysenter');

/** Crossings of a run, by the path each took. */
async function paths(platform: string, vdso?: boolean) {
  const seen: CrossingRecord[] = [];
  const r = await run('getpid_loop', ['50'], {
    personality: personality('modern'), profile: profile(platform), vdso, tracers: [{ crossing: (rec) => { seen.push(rec); } }],
  });
  return { r, seen };
}

sysenter('a guest\'s own int 0x80 is costed as int 0x80, whichever path the vDSO takes', async () => {
  const { r, seen } = await paths('skylake-2018:sysenter');
  assert.ok(seen.length > 50);
  assert.ok(seen.every((c) => c.path === 'int80'));
  const int80 = r.kernel.profileFor('int80');
  assert.is(r.kernel.ledger.entry, seen.length * entryCycles(int80));
  const old = await paths('skylake-2018:sysenter', false); // no vDSO: the profile's choice costs every crossing
  assert.ok(old.seen.every((c) => c.path === undefined));
  assert.is(old.r.kernel.ledger.entry, old.seen.length * entryCycles(old.r.kernel.profile));
  assert.ok(entryCycles(old.r.kernel.profile) < entryCycles(int80));
});

sysenter('a sysenter of the guest\'s own returns through the landing pad; a bad [ebp] ends in SIGSEGV; without a vDSO it is a fault', async () => {
  const seen: CrossingRecord[] = [];
  const ok = await run('sysenter', [], { vdso: true, tracers: [{ crossing: (rec) => { seen.push(rec); } }] });
  assert.equal(ok.outcome, { kind: 'exited', status: 0 });
  assert.equal(seen.map((c) => `${c.call.name}:${c.path}:${c.regs.ebp}`), ['getpid:sysenter:7', 'exit:int80:7']);
  const bad = await run('sysenter', ['x'], { vdso: true });
  assert.is(bad.outcome.kind, 'signaled');
  assert.match(JSON.stringify(bad.outcome), /SIGSEGV.*pop ebp/);
  assert.is(bad.kernel.ledger.crossings, 0);
  const none = await run('sysenter', []);
  assert.match(JSON.stringify(none.outcome), /SIGSEGV.*sysenter is a privileged instruction/);
});

sysenter('vsyscall_loop: calls through __kernel_vsyscall enter by sysenter when chosen, and cost its figures', async () => {
  const go = async (platform: string) => {
    const seen: CrossingRecord[] = [];
    const r = await run('vsyscall_loop', ['40'], { vdso: true, profile: profile(platform), tracers: [{ crossing: (rec) => { seen.push(rec); } }] });
    return { r, seen, getpids: seen.filter((c) => c.call.name === 'getpid') };
  };
  const s = await go('skylake-2018:sysenter'), i = await go('skylake-2018');
  assert.is(s.r.stdout, '40 getpid calls\n');
  assert.is(i.r.stdout, s.r.stdout);
  // The first getpid is the runtime's own stub (int 0x80); the 40 after it go through __kernel_vsyscall.
  assert.equal(s.getpids.map((c) => c.path), ['int80', ...Array(40).fill('sysenter')]);
  assert.equal(i.getpids.map((c) => c.path), Array(41).fill('int80'));
  const k = s.r.kernel, cost = (c: CrossingRecord) => entryCycles(k.profileFor(c.path!));
  assert.is(k.ledger.entry, s.seen.reduce((a, c) => a + cost(c), 0));
  // One sysenter round trip less one int 0x80 round trip, per call: skylake-2018's figures (45+45 against 105+105).
  assert.is((i.r.kernel.ledger.totalCycles - k.ledger.totalCycles) / 40, 120);
});

if (haveI386()) {
  const glibc = suite('glibc programs (Debian i386)');

  const dyn = (name: string, args: string[], vdso: 'on' | 'off') =>
    runOurs({ program: program(`bin/${name}`), args, dynamic: true, vdso, files: { 'in.txt': 'one\ntwo\n' } });
  const timeCalls = (s: Side) => s.calls.filter((c) => /^(clock_gettime(64)?|gettimeofday|time)$/.test(c.name));

  glibc('date: no clock crossing with the vDSO on, one with it off; the same output', async () => {
    const [on, off] = await Promise.all([dyn('date', [], 'on'), dyn('date', [], 'off')]);
    assert.is(on.status, 0);
    assert.is(on.stdout.toString(), off.stdout.toString());
    assert.match(on.stdout.toString(), /2002/);
    assert.is(timeCalls(on).length, 0);
    assert.is(timeCalls(off).length, 1);
    // Every other call is made with it on as with it off.
    const rest = (s: Side) => s.calls.filter((c) => !timeCalls(s).includes(c)).map((c) => c.name).sort();
    assert.equal(rest(on), rest(off));
  });

  glibc('date\'s ledger: one crossing fewer with the vDSO; --summary says so', () => {
    const dir = tmpdir('syscluster-vdso-');
    const crossings = (vdso: string) => {
      const out = `${dir}/${vdso}.json`;
      const r = cli(['run', program('bin/date'), '--root', dir, '--vdso', vdso, '--json-summary', out, '--env', 'TZ=UTC0']);
      assert.is(r.status, 0, r.stderr);
      return JSON.parse(fs.readFileSync(out, 'utf8')).ledger.crossings as number;
    };
    assert.is(crossings('off') - crossings('on'), 1);
  });

  glibc('the strace header names the vDSO\'s entry path; --summary counts crossings by path', () => {
    const dir = tmpdir('syscluster-vdso-');
    fs.writeFileSync(`${dir}/in.txt`, 'x\n');
    const r = cli(['run', program('bin/cat'), '--root', dir, '--platform', 'skylake-2018:sysenter', '--strace', '--summary', '--', 'in.txt']);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /^syscluster: .*cat: modern personality \(GNU ABI tag note\), platform skylake-2018:sysenter, vDSO \(__kernel_vsyscall by sysenter\)$/m);
    const m = /^ {2}entry paths \(vDSO\): (\d+) by int 0x80, (\d+) by sysenter$/m.exec(r.stderr);
    assert.ok(m, r.stderr);
    const crossings = Number(/crossings (\d+)/.exec(r.stderr)![1]);
    assert.is(Number(m![1]) + Number(m![2]), crossings);
    assert.ok(Number(m![2]) >= 10);
    const off = cli(['run', program('bin/cat'), '--root', dir, '--vdso', 'off', '--summary', '--', 'in.txt']);
    assert.not.match(off.stderr, /entry paths/);
    const bad = cli(['run', 'hello', '--vdso', 'maybe']);
    assert.is.not(bad.status, 0);
    assert.match(bad.stderr, /vdso/);
    assert.not.match(bad.stderr, /\n\s+at /);
  });

  glibc('with sysenter chosen, glibc enters by sysenter through __kernel_vsyscall, each crossing costed as sysenter', async () => {
    const { runGuest } = await import('../emulator/machine.js');
    const { HostFileSystem } = await import('../host/hostfs.js');
    const { CapturedStdio } = await import('../kernel-model/vfs.js');
    const dir = tmpdir('syscluster-vdso-');
    fs.writeFileSync(`${dir}/in.txt`, 'one\ntwo\n');
    const go = async (platform: string) => {
      const seen: CrossingRecord[] = [];
      const stdio = new CapturedStdio();
      const r = await runGuest(fs.readFileSync(program('bin/cat')), 'cat', {
        argv: ['cat', 'in.txt'], profile: profile(platform), personality: personality('modern'), stdio, warn: () => {},
        fs: new HostFileSystem(dir, SYSROOT), tracers: [{ crossing: (rec) => { seen.push(rec); } }],
      });
      return { r, seen, out: stdio.stdout() };
    };
    const s = await go('skylake-2018:sysenter'), i = await go('skylake-2018');
    assert.is(s.out, 'one\ntwo\n');
    assert.is(i.out, s.out);
    assert.ok(s.seen.length > 20);
    // The C library enters by __kernel_vsyscall once the dynamic linker has handed over; ld.so
    // itself uses int 0x80 inline (glibc 2.36), as it does on Linux.
    const by = (x: typeof s, path: string) => x.seen.filter((c) => c.path === path).map((c) => c.call.name);
    assert.ok(by(s, 'sysenter').length >= 10, by(s, 'sysenter').join(' '));
    assert.ok(by(s, 'sysenter').includes('read') && by(s, 'sysenter').includes('write'));
    assert.ok(by(s, 'int80').includes('openat'), 'ld.so opens the libraries by int 0x80');
    assert.equal(by(i, 'sysenter'), [], 'without sysenter chosen, __kernel_vsyscall uses int 0x80');
    assert.is(s.seen.length, i.seen.length);
    const k = s.r.kernel;
    const sum = (f: (c: CrossingRecord) => number) => s.seen.reduce((a, c) => a + f(c), 0);
    assert.is(k.ledger.entry, sum((c) => entryCycles(k.profileFor(c.path!))));
    assert.is(k.ledger.exit, sum((c) => (c.call.name.startsWith('exit') ? 0 : exitCycles(k.profileFor(c.path!)))));
    assert.ok(entryCycles(k.profileFor('sysenter')) < entryCycles(k.profileFor('int80')));
    assert.ok(k.ledger.entry < i.r.kernel.ledger.entry);
    // The same calls with the same results: the entry path changes the cost, not the behaviour.
    assert.equal(s.seen.map((c) => `${c.call.name}=${c.call.result}`), i.seen.map((c) => `${c.call.name}=${c.call.result}`));
  });

  glibc('busybox (static glibc) runs the same with the vDSO on and off', async () => {
    const bb = (vdso: 'on' | 'off') => runOurs({ args: ['sh', '-c', 'echo hi; date -u +%Y; cat in.txt | wc -l'], files: { 'in.txt': 'a\nb\n' }, vdso });
    const [on, off] = await Promise.all([bb('on'), bb('off')]);
    assert.is(on.status, 0, on.stderr);
    assert.is(on.stdout.toString(), off.stdout.toString());
    assert.is(on.stdout.toString(), 'hi\n2002\n2\n');
  });

  glibc.run();
}

image.run();
load.run();
clocks.run();
sysenter.run();
