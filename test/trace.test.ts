// Trace dumps, their formats, the stepper, and bad dumps.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TRACE_VERSION, parseTrace, toJsonl, TraceError, type Trace } from '../trace/dump.js';
import { traceChrome, traceText } from '../trace/formats.js';
import { recordTrace } from '../trace/record.js';
import { renderStep } from '../trace/stepper.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { GUEST, ROOT, cli, profile, tmpdir } from './helpers.js';

async function dumpOf(guest: string, args: string[], files: Record<string, Uint8Array> = {}): Promise<Trace> {
  const { trace } = await recordTrace(fs.readFileSync(GUEST(guest)), guest, {
    argv: [guest, ...args], profile: profile(), personality: personality('paper'), fs: new MemoryFileSystem(files), stdio: new CapturedStdio(),
  });
  return trace;
}

const input = Buffer.alloc(10000, 'z');
const dump = suite('trace dumps');

dump('one record per crossing, with everything the format promises', async () => {
  const t = await dumpOf('copy', ['in', 'out'], { '/in': input });
  assert.is(t.header.version, TRACE_VERSION);
  assert.is(t.crossings.length, t.footer!.ledger.crossings);
  const read = t.crossings.find((x) => x.call.name === 'read')!;
  assert.is(read.pt_regs.orig_eax, 3);
  assert.is(read.pt_regs.eax, read.call.result, 'eax holds the result after RESTORE_ALL');
  assert.ok(read.disasm.some((d) => d.trap && d.text === 'int 0x80' && d.address === read.eip));
  assert.match(read.call.decoded[1], /^"zzzz/);
  assert.ok(read.cycles.exit > read.cycles.entry);
  const open = t.crossings.find((x) => x.call.name === 'open' && x.call.result < 0);
  assert.is(open, undefined);
  let kernel = 0;
  for (const x of t.crossings) kernel += x.cost.entry + x.cost.dispatch + x.cost.handler + x.cost.exit;
  const l = t.footer!.ledger.cycles;
  assert.is(kernel, l.entry + l.dispatch + l.handler + l.exit, 'the crossings\' costs add up to the ledger');
  assert.equal(parseTrace(toJsonl(t), 'x'), t, 'JSON Lines round trip');
});

dump('a multi-call\'s entries are nested, each decoded', async () => {
  const t = await dumpOf('fig3_multicall', ['none'], { '/in.txt': Buffer.from('abc') });
  const mc = t.crossings.find((x) => x.call.name === 'multi_call')!;
  assert.equal(mc.call.sub!.map((s) => s.name), ['write', 'read']);
  assert.match(mc.call.sub![1].decoded[1], /"abc"/);
  assert.is(mc.call.result, 3);
});

dump('Chrome trace events: a kernel span per crossing, user spans between, in time order', async () => {
  const t = await dumpOf('fig3_multicall', ['none'], { '/in.txt': Buffer.from('abc') });
  const ev = JSON.parse(traceChrome(t)).traceEvents as { ph: string; cat?: string; ts: number; dur: number; name: string }[];
  const spans = ev.filter((e) => e.ph === 'X');
  const kernel = spans.filter((e) => e.cat === 'kernel');
  assert.is(kernel.length, t.crossings.length + 2, 'plus the multi-call\'s two entries');
  assert.ok(spans.some((e) => e.cat === 'user'));
  const top = spans.filter((e) => e.cat === 'user' || t.crossings.some((x) => x.call.name === e.name));
  for (let i = 1; i < top.length; i++) assert.ok(top[i].ts >= top[i - 1].ts - 1e-9);
});

dump('text format', async () => {
  const t = await dumpOf('hello', []);
  const text = traceText(t);
  assert.match(text, /^> [0-9a-f]{8}  int 0x80$/m);
  assert.match(text, /write\(1, "hello from an i386 guest\\n", 25\) = 25/);
});

dump.run();

const bad = suite('bad dumps: one line naming the problem and the line, exit 2');
const dir = tmpdir();
const file = (name: string, text: string) => { const p = path.join(dir, name); fs.writeFileSync(p, text); return p; };

bad('a newer format version, a truncated dump, a dump without its end, garbage', async () => {
  const t = await dumpOf('hello', []);
  const text = toJsonl(t);
  const newer = text.replace(`"version":${TRACE_VERSION}`, '"version":99');
  const cut = text.slice(0, text.length - 40);
  const noEnd = text.split('\n').slice(0, -2).join('\n') + '\n';
  const cases: [string, RegExp][] = [
    [file('newer.jsonl', newer), /newer\.jsonl:1: trace format version 99 is newer/],
    [file('cut.jsonl', cut), /cut\.jsonl:\d+: truncated record/],
    [file('noend.jsonl', noEnd), /noend\.jsonl:\d+: truncated dump: no end record/],
    [file('garbage.jsonl', '{"hello": 1}\n'), /garbage\.jsonl:1: not a syscluster trace dump/],
  ];
  for (const [f, pattern] of cases) {
    for (const cmd of [['step', f], ['profile', f], ['whatif', f, '--cluster', 'a,b']]) {
      const r = cli(cmd);
      assert.is(r.status, 2, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.is(r.stderr.trim().split('\n').length, 1);
    }
  }
  try { parseTrace(newer, 'n'); assert.unreachable(); } catch (err) { assert.instance(err, TraceError); }
});

bad.run();

const step = suite('the stepper');

step('not on a terminal it prints every step', async () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in.txt'), 'Figure 3 input');
  const dumpFile = path.join(d, 'fig3.jsonl');
  assert.is(cli(['trace', 'fig3_multicall', 'none', '--root', d, '--out', dumpFile]).status, 0);
  const r = cli(['step', dumpFile]);
  assert.is(r.status, 0, r.stderr);
  const t = parseTrace(fs.readFileSync(dumpFile, 'utf8'), dumpFile);
  assert.is((r.stdout.match(/^crossing \d+ of \d+/gm) ?? []).length, t.crossings.length);
  assert.match(r.stdout, /^  multi_call\(2, 0x[0-9a-f]+\) = 3$/m);
  assert.match(r.stdout, /^    write\(3, "written by the Figure 3 fragment"\.\.\., 33\) = 33$/m);
  assert.match(r.stdout, /orig_eax=000000f0/);
  assert.is(renderStep(t, 0).split('\n')[0], `crossing 1 of ${t.crossings.length} (seq 1)   fig3_multicall none on p2-266`);
  // A guest given directly runs first, then steps.
  const g = cli(['step', 'hello']);
  assert.match(g.stdout, /^crossing 2 of 2/m);
});

step('on a pseudo-terminal, keys move through the crossings', async () => {
  const d = tmpdir();
  const dumpFile = path.join(d, 'copy.jsonl');
  fs.writeFileSync(path.join(d, 'in'), 'x'.repeat(9000));
  cli(['trace', 'copy', 'in', 'out', '--root', d, '--out', dumpFile]);
  // script(1) from util-linux gives the command a terminal; keys go in one at a time,
  // each after the screen it answers has been drawn.
  const child = spawn('script', ['-qfec', `${process.execPath} ${path.join(ROOT, 'bin/syscluster.js')} step ${dumpFile}`, '/dev/null'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  const screens = () => out.split('\x1b[2J\x1b[H').slice(1).filter((s) => /keys:|> /.test(s));
  const waitFor = async (n: number) => {
    for (let i = 0; i < 200 && screens().length < n; i++) await new Promise((r) => setTimeout(r, 50));
  };
  const shown: string[] = [];
  let drawn = 1;
  await waitFor(drawn);
  for (const key of ['n', 'n', 'p', '/', 'c', 'l', 'o', 's', 'e', '\r']) {
    child.stdin.write(key);
    await waitFor(++drawn);
  }
  shown.push(...screens().map((s) => /crossing (\d+) of/.exec(s)?.[1] ?? '?'));
  const last = screens()[screens().length - 1] ?? '';
  child.stdin.write('q');
  await new Promise((r) => child.on('close', r));
  assert.equal(shown.slice(0, 4), ['1', '2', '3', '2']);
  assert.match(last, /close\(3\) = 0/, 'the search jumped to the next close');
});

step.run();
