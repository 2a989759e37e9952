// Scale and hostile inputs for dumps, logs and their commands: streaming in bounded
// memory past V8's string limit, a closed pipe, malformed dumps, odd arguments, strace's
// -y form, the --strace-out banner, adversarial logs.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { seeded, writeSyntheticDump, writeSyntheticStrace } from '../bench/synthetic.js';
import { E } from '../kernel-model/errno.js';
import { parseResult, readEvents } from '../profiler/events.js';
import { buildGraph, frequentSequences, occurrences } from '../profiler/graph.js';
import { toJsonl, readTraceFile } from '../trace/dump.js';
import { ROOT, cli, profile, tmpdir } from './helpers.js';

const dir = tmpdir();
const at = (name: string) => path.join(dir, name);
const small = at('small.jsonl');
writeSyntheticDump(small, 300, profile());

/** One line on stderr, exit 2, in bounded time. */
function oneLine(r: { status: number | null; stderr: string }, pattern: RegExp, what: string): void {
  assert.is(r.status, 2, `${what}: exit ${r.status}: ${r.stderr}`);
  assert.match(r.stderr, pattern, what);
  assert.is(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
}

const timed = (args: string[], seconds = 20) => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/syscluster.js'), ...args], { encoding: 'latin1', timeout: seconds * 1000, cwd: dir });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined || r.signal !== null };
};

const dumps = suite('malformed dumps in step, profile and whatif');

dumps('a record lacking a field the readers use, and a 3,000-deep batch, are bad input naming the line', () => {
  const lines = fs.readFileSync(small, 'utf8').split('\n');
  const rec = JSON.parse(lines[5]);
  const noRegs = [...lines]; noRegs[5] = JSON.stringify({ ...rec, pt_regs: { ebx: 1 } });
  const badCost = [...lines]; badCost[5] = JSON.stringify({ ...rec, cost: { entry: 'x' } });
  // Built as text: the nesting is too deep for JSON.stringify itself.
  const inner = JSON.stringify(rec.call).slice(0, -1);
  const deep = [...lines]; deep[5] = JSON.stringify(rec).replace(JSON.stringify(rec.call), `${inner},"sub":[`.repeat(3000) + JSON.stringify(rec.call) + ']}'.repeat(3000));
  const notObject = [...lines]; notObject[5] = '[1,2,3]';
  const cases: [string, string[], RegExp][] = [
    ['noregs.jsonl', noRegs, /noregs\.jsonl:6: pt_regs lacks a register/],
    ['badcost.jsonl', badCost, /badcost\.jsonl:6: cost is not/],
    ['deep.jsonl', deep, /deep\.jsonl:6: calls nested more than \d+ deep/],
    ['array.jsonl', notObject, /array\.jsonl:6: not a crossing record/],
  ];
  for (const [name, text, pattern] of cases) {
    fs.writeFileSync(at(name), text.join('\n'));
    for (const cmd of [['step', at(name)], ['profile', at(name)], ['whatif', at(name), '--cluster', 'read,write']]) {
      const r = timed(cmd);
      oneLine(r, pattern, cmd.join(' '));
    }
  }
});

dumps('old dumps (version 1, whole) read the same through the stream', () => {
  const t = readTraceFile(small);
  assert.is(t.crossings.length, 300);
  assert.equal(readTraceFile(small), t);
  fs.writeFileSync(at('again.jsonl'), toJsonl(t));
  assert.is(fs.readFileSync(at('again.jsonl'), 'utf8'), fs.readFileSync(small, 'utf8'), 'written back byte for byte');
});

dumps.run();

const args = suite('arguments that used to crash or hang');

args('profile --args constructor:fd, __proto__:fd, toString:fd name the problem', () => {
  const log = at('dd.log');
  writeSyntheticStrace(log, 200);
  for (const call of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    oneLine(timed(['profile', log, '--args', `${call}:fd`]), new RegExp(`${call} has no argument named fd`), call);
  }
  oneLine(timed(['profile', log, '--args', 'read:9']), /at most six arguments/, 'read:9');
  assert.is(timed(['profile', log, '--args', 'constructor:0']).status, 0, 'an index is fine for any name');
});

args('profile --max-length 1e309, 0, 1.5 and 10000 end at once with one line', () => {
  const log = at('dd.log');
  for (const v of ['1e309', '0', '1.5', '10000', 'NaN']) {
    const r = timed(['profile', log, '--max-length', v], 10);
    assert.not.ok(r.timedOut, v);
    oneLine(r, /--max-length .*: expected a whole number from 2 to 16/, v);
  }
});

args('whatif --cluster , ends with one line; an unknown call is named', () => {
  const r = timed(['whatif', small, '--cluster', ','], 10);
  assert.not.ok(r.timedOut, 'whatif --cluster , must not hang');
  oneLine(r, /--cluster ,: names no call/, ',');
  oneLine(timed(['whatif', small, '--cluster', 'read,bogus']), /no call named bogus/, 'read,bogus');
  const ok = timed(['whatif', small, '--cluster', 'read,write']);
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /read, write as specialized: \d+ matches/);
});

args('bench --repeat 0 (and other counts below one) is bad input', () => {
  for (const a of [['--repeat', '0'], ['--repeat', '-1'], ['--repeat', '1.5'], ['--syscalls', '0']]) {
    oneLine(timed(['bench', ...a], 10), /expected a whole number from 1/, a.join(' '));
  }
});

args('trace --out into a missing folder: one line, no folder created', () => {
  const missing = path.join(dir, 'no', 'such', 'dir');
  oneLine(timed(['trace', 'hello', '--out', path.join(missing, 'x.jsonl')]), /cannot write .*x\.jsonl: no such directory/, 'trace --out');
  assert.not.ok(fs.existsSync(path.join(dir, 'no')), 'no folder was created');
});

args('step on a file that is neither a dump nor an ELF says what step reads', () => {
  fs.writeFileSync(at('tar.log'), 'x\n'.repeat(100));
  oneLine(timed(['step', at('tar.log')]), /tar\.log: neither a trace dump .* nor an i386 ELF executable/, 'step tar.log');
});

args.run();

const logs = suite('strace logs: -y, the banner, errno names, adversarial input');

logs('errno names come from the kernel model\'s table', () => {
  assert.is(parseResult(' = -1 ENAMETOOLONG (File name too long)'), -E.ENAMETOOLONG);
  assert.is(parseResult(' = -1 ENOENT (No such file or directory) <0.000012>'), -E.ENOENT);
  assert.is(parseResult(' = -1 EWHATEVER (Unknown)'), -1, 'a name not known still marks a failure');
});

logs('strace -y and -yy: descriptors with paths in arguments and results are parsed', () => {
  const text = [
    'openat(AT_FDCWD</home/u>, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>',
    'read(3</etc/passwd>, "root:x:0:0:root:/root:/bin/bash\\n"..., 4096) = 1234',
    'read(3</tmp/a (b)>, "", 4096) = 0',
    'write(1</dev/pts/0<char 136:0>>, "hi\\n", 3) = 3',
    'close(3</etc/passwd>) = 0',
    'fstat(4<socket:[12345]>, {st_mode=S_IFSOCK|0777, ...}) = 0',
  ].join('\n');
  const log = readEvents(text, 'y.log');
  assert.is(log.unparsedCount, 0, JSON.stringify(log.unparsed));
  assert.equal(log.events.map((e) => e.name), ['openat', 'read', 'read', 'write', 'close', 'fstat']);
  assert.is(log.events[0].result, 3);
  assert.is(log.events[1].args[0], '3</etc/passwd>');
  assert.is(log.events[2].args.length, 3);
});

logs('a --strace-out file, banner line and all, profiles with nothing unparsed', () => {
  const out = at('hello.strace');
  assert.is(cli(['run', 'hello', '--strace-out', out]).status, 0);
  assert.match(fs.readFileSync(out, 'utf8').split('\n')[0], /^syscluster: /);
  const r = cli(['profile', out, '--json']);
  assert.is(r.status, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).sources[0].unparsed_count, 0);
  assert.is(r.stderr, '');
});

logs('adversarial random logs: every outcome is a report or one line, never a crash or a hang', () => {
  const rnd = seeded(18);
  const pieces = ['read(', 'write(', '<... read resumed>', ' <unfinished ...>', '[pid ', '12345 ', '--- SIG', '+++ exited with 0 +++', ' = ', '-1 ', 'ENOENT', '(', ')', '"', '\\', '{', '}', '[', ']', '<', '>', ', ', '0x', '42', '?', '3</x>', '\t', 'é', '\u0000', '12:00:01.5 ', '1.5 '];
  for (let f = 0; f < 12; f++) {
    const lines: string[] = [];
    for (let l = 0; l < 300; l++) {
      let s = '';
      const n = Math.floor(rnd() * 12);
      for (let k = 0; k < n; k++) s += pieces[Math.floor(rnd() * pieces.length)];
      lines.push(rnd() < 0.3 ? `read(0, "x", 1) = 1` : s);
    }
    const file = at(`fuzz${f}.log`);
    fs.writeFileSync(file, lines.join(rnd() < 0.5 ? '\n' : '\r\n'));
    const r = timed(['profile', file, '--args', 'read:fd', '--max-length', '6'], 20);
    assert.not.ok(r.timedOut, file);
    assert.ok(r.status === 0 || r.status === 2, `${file}: exit ${r.status}: ${r.stderr.slice(0, 300)}`);
    assert.not.match(r.stderr, /internal error|    at /, file);
  }
});

logs('--emit-specialized on a 20,000-line log takes seconds', () => {
  const log = at('big.log');
  writeSyntheticStrace(log, 20_000, { pids: 2 });
  const start = Date.now();
  const r = timed(['profile', log, '--emit-specialized', at('defs.json')], 60);
  assert.is(r.status, 0, r.stderr);
  assert.ok(Date.now() - start < 30_000, `took ${Date.now() - start} ms`);
});

logs('sequences counted in one pass are those the plain left-to-right count gives', () => {
  const rnd = seeded(5);
  const names = ['a', 'b', 'c'];
  for (let t = 0; t < 20; t++) {
    const events = Array.from({ length: 400 }, () => ({ pid: rnd() < 0.5 ? 1 : 2, name: names[Math.floor(rnd() * 3)], args: [], result: 0, line: 0 }));
    const g = buildGraph([{ events }], new Map(), 4);
    const byPid = [1, 2].map((p) => events.filter((e) => e.pid === p).map((e) => e.name));
    for (const s of frequentSequences(g, 4, 1)) {
      let count = 0, longest = 0;
      for (const seq of byPid) { const o = occurrences(seq, s.calls); count += o.starts.length; longest = Math.max(longest, o.longestRun); }
      assert.is(s.count, count, s.calls.join());
      assert.is(s.longestRun, longest, s.calls.join());
    }
  }
});

logs.run();

const stream = suite('streaming: a closed pipe, a dump past the string limit');

stream('step DUMP | head: the stepper stops as soon as the reader goes', async () => {
  const big = at('pipe.jsonl');
  writeSyntheticDump(big, 200_000, profile());
  const start = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/syscluster.js'), 'step', big], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b) => { err += b; });
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (b: Buffer) => resolve(b.toString())));
  child.stdout.destroy(); // what `head -1` does after its line
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.match(first, /^crossing 1 of 200000 \(seq 1\)/);
  assert.is(code, 0, err);
  assert.is(err, '');
  assert.ok(Date.now() - start < 5000, `took ${Date.now() - start} ms for 200,000 crossings`);
  const sh = spawnSync('sh', ['-c', `${process.execPath} ${path.join(ROOT, 'bin/syscluster.js')} step ${big} | head -1`], { encoding: 'utf8', timeout: 10_000 });
  assert.match(sh.stdout, /^crossing 1 of 200000 \(seq 1\)  pid 1000  \w+  cycles [\d,]+\.\.[\d,]+  switches 0 [^\n]*\n$/);
});

// The size is configurable (SYSCLUSTER_BIG_DUMP_MB, in MiB; 0 skips): the default, 520 MiB,
// takes about 35 s on two cores under a load average of 15.
const bigMiB = Number(process.env.SYSCLUSTER_BIG_DUMP_MB ?? 520);
stream(`a dump of ${bigMiB} MiB (past V8's 512 MiB string limit) is written and read in bounded memory`, () => {
  if (bigMiB === 0) return;
  const file = at('huge.jsonl');
  const perRecord = fs.statSync(small).size / 302;
  const crossings = Math.ceil((bigMiB * 1048576) / perRecord);
  const w = spawnSync(process.execPath, ['--input-type=module', '-e', `
    const { writeSyntheticDump } = await import(${JSON.stringify(path.join(ROOT, 'dist/bench/synthetic.js'))});
    const { loadProfile } = await import(${JSON.stringify(path.join(ROOT, 'dist/kernel-model/platform.js'))});
    const { knownCallNames } = await import(${JSON.stringify(path.join(ROOT, 'dist/cli/common.js'))});
    writeSyntheticDump(${JSON.stringify(file)}, ${crossings}, loadProfile('p2-266', knownCallNames()));
    console.log(process.resourceUsage().maxRSS);`], { encoding: 'utf8', input: '' });
  assert.is(w.status, 0, w.stderr);
  const size = fs.statSync(file).size;
  assert.ok(size > 512 * 1048576 || bigMiB < 512, `${size} bytes`);
  assert.ok(Number(w.stdout) < 300 * 1024, `writing took ${w.stdout} KiB`);
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, path.join(ROOT, 'bin/syscluster.js'), 'whatif', file, '--cluster', 'read,write', '--json'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(JSON.parse(r.stdout).crossingsBefore, crossings);
  const kib = Number(r.stderr.trim().split('\n').pop());
  assert.ok(kib < 300 * 1024, `whatif peak ${kib} KiB`);
  fs.rmSync(file);
});

stream.run();

const pool = suite('scenario scheduling');

pool('the pool takes the longest jobs first: streams before copies, big copies before small ones', async () => {
  const { longestFirst, estimatedWork } = await import('../scenarios/pool.js');
  const { copyJobs } = await import('../scenarios/copy.js');
  const { mpegJobs } = await import('../scenarios/mpeg.js');
  const jobs = [...copyJobs(profile()), ...mpegJobs(profile())];
  const order = longestFirst(jobs);
  assert.is(order.length, jobs.length);
  for (let i = 1; i < order.length; i++) assert.ok(estimatedWork(order[i - 1]) >= estimatedWork(order[i]));
  assert.is(order[0].guest.startsWith('mpeg_play'), true, 'a decoder run first');
  assert.ok(order.findIndex((j) => j.guest.startsWith('copy')) > order.map((j) => j.guest.startsWith('mpeg')).lastIndexOf(true));
});

pool.run();

const fast = suite('the dump writer');

fast('each record the writer makes is the text JSON.stringify gives', async () => {
  const { crossingJson } = await import('../trace/dump.js');
  const { recordTrace } = await import('../trace/record.js');
  const { personality } = await import('../kernel-model/table.js');
  const { CapturedStdio, MemoryFileSystem } = await import('../kernel-model/vfs.js');
  const { GUEST } = await import('./helpers.js');
  for (const [guest, args, files] of [['copy', ['in', 'out', '100'], { '/in': Buffer.alloc(3000, 'q') }], ['fig3_multicall', ['none'], { '/in.txt': Buffer.from('a"b\\c\n') }], ['copy', ['missing', 'out'], {}]] as const) {
    const { trace } = await recordTrace(fs.readFileSync(GUEST(guest)), guest, {
      argv: [guest, ...args], profile: profile(), personality: personality('paper'), fs: new MemoryFileSystem(files as Record<string, Uint8Array>), stdio: new CapturedStdio(),
    });
    assert.ok(trace.crossings.length > 2);
    for (const x of trace.crossings) assert.is(crossingJson(x), JSON.stringify(x));
  }
});

fast.run();
