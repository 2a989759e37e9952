// Profiling (paper section 3.1, Figure 4) from real strace logs and our dumps; what-if
// estimates against measured clustered runs; value profiles and emitted definitions.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseStrace, readEvents } from '../profiler/events.js';
import { buildGraph, edgeList, frequentSequences, parseArgSelection, valueProfile } from '../profiler/graph.js';
import { specializedFromProfile } from '../profiler/specialize.js';
import { whatIf } from '../profiler/whatif.js';
import { recordTrace } from '../trace/record.js';
import { toJsonl } from '../trace/dump.js';
import { personality, PLAIN_ARITY } from '../kernel-model/table.js';
import { validateSpecialized } from '../kernel-model/specialized.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { GUEST, ROOT, cli, profile, run, tmpdir } from './helpers.js';

const FIX = path.join(ROOT, 'test/fixtures/strace');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8');

/** Counted without the parser: lines (of one pid) that start a read of fd A followed by a write to fd B. */
function independentPairs(text: string, pid: string | undefined, a: string, b: string): number {
  const calls = text.split('\n').filter((l) => (pid ? l.startsWith(`${pid} `) : true)).map((l) => l.replace(/^\d+\s+/, ''))
    .filter((l) => /^\w+\(/.test(l) || /^<\.\.\. \w+ resumed>/.test(l)).map((l) => (/^(\w+)\((\d+)?/.exec(l) ?? [])[0] ?? 'resumed');
  let n = 0;
  for (let i = 1; i < calls.length; i++) if (calls[i - 1] === `read(${a}` && calls[i] === `write(${b}`) n++;
  return n;
}

const strace = suite('real strace logs');

strace('dd: the read/write edge has the weight counted without the parser', () => {
  const log = readEvents(read('dd-plain.log'), 'dd-plain.log');
  assert.is(log.unparsed.length, 0);
  const g = buildGraph([log], parseArgSelection(['read:fd,write:fd']));
  const edge = edgeList(g).find((e) => e.from === 'read fd=0' && e.to === 'write fd=1')!;
  assert.is(edge.weight, independentPairs(read('dd-plain.log'), undefined, '0', '1'));
  assert.is(edge.weight, 10);
  const loop = frequentSequences(g).find((s) => s.calls.join() === 'read fd=0,write fd=1')!;
  assert.is(loop.longestRun, 10);
});

strace('every timestamp form gives the same calls as the plain log', () => {
  // Addresses (brk, mmap) differ from run to run; names and success do not.
  const shape = (es: { name: string; result: number | null }[]) => es.map((e) => [e.name, e.result === null ? null : e.result < 0]);
  const plain = shape(readEvents(read('dd-plain.log'), 'p').events);
  for (const f of ['dd-t.log', 'dd-tt-T.log', 'dd-ttt.log', 'dd-r.log']) {
    const log = readEvents(read(f), f);
    assert.is(log.unparsed.length, 0, f);
    assert.equal(shape(log.events), plain, f);
  }
});

strace('-f: pids, unfinished/resumed pairs, signals and exits; edges kept per process', () => {
  const text = read('sh-f.log');
  const log = readEvents(text, 'sh-f.log');
  assert.is(log.unparsed.length, 0);
  assert.is(log.signals, (text.match(/^\d+ --- SIG/gm) ?? []).length);
  assert.is(log.exits, (text.match(/^\d+ \+\+\+ exited with/gm) ?? []).length);
  assert.is(new Set(log.events.map((e) => e.pid)).size, 3);
  const resumed = log.events.find((e) => e.name === 'openat' && e.args[1] === '"/dev/null"')!;
  assert.equal(resumed.args, ['AT_FDCWD', '"/dev/null"', 'O_WRONLY|O_CREAT|O_TRUNC', '0666']);
  const g = buildGraph([log], parseArgSelection(['read:fd', 'write:fd']));
  const pids = [...new Set(text.split('\n').map((l) => /^(\d+) /.exec(l)?.[1]).filter(Boolean))] as string[];
  const expected = pids.map((p) => independentPairs(text, p, '0', '1')).reduce((a, b) => a + b, 0);
  assert.is(edgeList(g).find((e) => e.from === 'read fd=0' && e.to === 'write fd=1')!.weight, expected);
  assert.is(expected, 10 + 40, 'the 4096-byte and the 1024-byte dd');
});

strace('-ff: one file per process, the pid from the file name', () => {
  const logs = fs.readdirSync(path.join(FIX, 'ff')).map((f) => readEvents(read(`ff/${f}`), `ff/${f}`));
  assert.ok(logs.every((l) => l.unparsed.length === 0 && l.events.every((e) => e.pid === Number(l.source.split('.').pop()))));
  const g = buildGraph(logs, parseArgSelection(['read:fd,write:fd']));
  assert.is(edgeList(g).find((e) => e.from === 'read fd=0' && e.to === 'write fd=1')!.weight, 20); // 40960 / 2048
});

strace('malformed and truncated logs: bad lines are counted and named, never dropped silently', () => {
  const lines = read('dd-plain.log').split('\n');
  lines.splice(5, 0, 'this is not strace output');
  const log = parseStrace(lines.join('\n').slice(0, -200), 'broken.log');
  assert.is(log.unparsed.length, 2, 'the garbage line and the cut last line');
  assert.match(log.unparsed[0].at, /broken\.log:6/);
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'junk.txt'), 'hello\nworld\n');
  const r = cli(['profile', path.join(d, 'junk.txt')]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /junk\.txt:1: neither a syscluster dump nor a strace log/);
  fs.writeFileSync(path.join(d, 'broken.log'), lines.join('\n'));
  const b = cli(['profile', path.join(d, 'broken.log')]);
  assert.is(b.status, 0);
  assert.match(b.stderr, /1 lines could not be parsed \(first: .*broken\.log:6: this is not strace output\)/);
  assert.match(cli(['profile', path.join(FIX, 'dd-plain.log'), '--args', 'read:nope']).stderr, /read has no argument named nope/);
});

strace('the value profile finds the block size; DOT and SVG are written', () => {
  const log = readEvents(read('dd-plain.log'), 'dd');
  assert.ok(valueProfile([log]).some((v) => v.call === 'read' && v.arg === 'count' && v.value === '4096'));
  const d = tmpdir();
  const r = cli(['profile', path.join(FIX, 'dd-plain.log'), '--dot', path.join(d, 'g.dot'), '--svg', path.join(d, 'g.svg'), '--json']);
  assert.is(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(path.join(d, 'g.dot'), 'utf8'), /"read" -> "write" \[label="10"/);
  assert.match(fs.readFileSync(path.join(d, 'g.svg'), 'utf8'), /^<svg /);
  assert.ok(JSON.parse(r.stdout).candidates.length > 0);
});

strace.run();

const whatif = suite('what-if against measured clustered runs (the copy guest)');

const input = Uint8Array.from({ length: 925 * 1024 }, (_, i) => (i * 7) & 0xff);

whatif('each estimate is within 2% of the run it predicts', async () => {
  const { trace } = await recordTrace(fs.readFileSync(GUEST('copy')), 'copy', {
    argv: ['copy', '/in', '/out'], profile: profile(), personality: personality('paper'), fs: new MemoryFileSystem({ '/in': input }), stdio: new CapturedStdio(),
  });
  const cases = [['write_read', ['write', 'read'], 'specialized', 'copy_write_read'], ['looped', ['read', 'write'], 'looped', 'copy_looped'],
    ['multi-call', ['write', 'read'], 'multicall', 'copy_multicall']] as const;
  for (const [what, calls, kind, guest] of cases) {
    const estimate = whatIf(trace, [[...calls]], kind).estimatedCycles;
    const measured = (await run(guest, ['/in', '/out'], { files: { '/in': input } })).kernel.ledger.totalCycles;
    const off = Math.abs(estimate - measured) / measured;
    assert.ok(off < 0.02, `${what}: estimated ${estimate}, measured ${measured} (${(100 * off).toFixed(2)}%)`);
  }
});

whatif('the command line: a dump in, estimates out; a strace log is refused', () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in'), Buffer.alloc(50000, 1));
  cli(['trace', 'copy', 'in', 'out', '--root', d, '--out', path.join(d, 'c.jsonl')]);
  const r = cli(['whatif', path.join(d, 'c.jsonl'), '--cluster', 'read,write', '--as', 'looped', '--json']);
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.ok(j.estimatedCycles < j.measuredCycles);
  assert.is(j.crossingsAfter, 7, 'open, open, the loop, the last read, close, close, exit');
  const s = cli(['whatif', path.join(FIX, 'dd-plain.log'), '--cluster', 'read,write']);
  assert.is(s.status, 2);
  assert.match(s.stderr, /needs a syscluster dump/);
});

whatif.run();

const emit = suite('--emit-specialized');

emit('definitions from a profile: a constant block size, write\'s length from read\'s result, a loop; --specialized takes them', async () => {
  const { trace } = await recordTrace(fs.readFileSync(GUEST('copy')), 'copy', {
    argv: ['copy', '/in', '/out'], profile: profile(), personality: personality('paper'), fs: new MemoryFileSystem({ '/in': input }), stdio: new CapturedStdio(),
  });
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'c.jsonl'), toJsonl(trace));
  const log = readEvents(fs.readFileSync(path.join(d, 'c.jsonl'), 'utf8'), 'c.jsonl');
  const { defs } = specializedFromProfile([log], frequentSequences(buildGraph([log], new Map())), { profile: profile() });
  const rw = defs.find((x) => x.steps.map((s) => s.call).join() === 'read,write')!;
  assert.ok(rw, JSON.stringify(defs));
  assert.equal(rw.steps[0].args[2], { const: 4096 });
  assert.equal(rw.steps[1].args[2], { result: 0 });
  assert.equal(rw.steps[1].args[1], rw.steps[0].args[1], 'one buffer parameter for both');
  assert.ok(rw.loop);
  validateSpecialized({ calls: defs }, 'emitted', PLAIN_ARITY, new Set());
  const out = path.join(d, 'defs.json');
  assert.is(cli(['profile', path.join(d, 'c.jsonl'), '--emit-specialized', out]).status, 0);
  const listed = cli(['syscalls', '--specialized', out]);
  assert.is(listed.status, 0, listed.stderr);
  assert.match(listed.stdout, /read_write_loop\s+full/);
});

emit.run();
