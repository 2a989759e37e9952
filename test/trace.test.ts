// Trace dumps, their formats, the stepper, and bad dumps.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TRACE_VERSION, crossingJson, parseTrace, toJsonl, TraceError, type Trace } from '../trace/dump.js';
import { traceChrome, traceText } from '../trace/formats.js';
import { recordTrace } from '../trace/record.js';
import { FRAME, PAGE_HEIGHT, esp0Of, renderStep, stepJson, type Totals } from '../trace/stepper.js';
import { PT_REGS_ORDER } from '../kernel-model/boundary.js';
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
/** The CLI's output as text (the helper reads it as latin1, byte for byte). */
const utf8 = (s: string) => Buffer.from(s, 'latin1').toString('utf8');
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

/** The multi-call's own cost, without its entries'. */
const mcOwn = (t: Trace) => t.crossings.find((x) => x.call.name === 'multi_call')!.call.cost;

step('not on a terminal it prints every step', async () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in.txt'), 'Figure 3 input');
  const dumpFile = path.join(d, 'fig3.jsonl');
  assert.is(cli(['trace', 'fig3_multicall', 'none', '--root', d, '--out', dumpFile]).status, 0);
  const r0 = cli(['step', dumpFile]);
  const r = { ...r0, stdout: utf8(r0.stdout) };
  assert.is(r.status, 0, r.stderr);
  const t = parseTrace(fs.readFileSync(dumpFile, 'utf8'), dumpFile);
  assert.is((r.stdout.match(/^crossing \d+ of \d+/gm) ?? []).length, t.crossings.length);
  assert.match(r.stdout, new RegExp(`^multi_call\\(2, 0x[0-9a-f]+\\) = 3   \\[dispatch ${mcOwn(t).dispatch} \\+ handler ${mcOwn(t).handler}\\]$`, 'm'));
  // Each entry of the multi-call with its own cost.
  const mc = t.crossings.find((x) => x.call.name === 'multi_call')!;
  const w = mc.call.sub![0];
  assert.ok(r.stdout.includes(`\n  write(3, "written by the Figure 3 fragment"..., 33) = 33   [dispatch ${w.cost.dispatch} + handler ${w.cost.handler.toLocaleString('en-US')}]\n`)
    || r.stdout.includes(`\u2026   [dispatch ${w.cost.dispatch} + handler ${w.cost.handler.toLocaleString('en-US')}]\n`), 'at 80 columns the call text is cut, not its cost');
  const wide = cli(['step', dumpFile, '--width', '200']).stdout;
  assert.ok(wide.includes(`\n  write(3, "written by the Figure 3 fragment"..., 33) = 33   [dispatch ${w.cost.dispatch} + handler ${w.cost.handler.toLocaleString('en-US')}]\n`));
  assert.match(r.stdout, /^  [0-9a-f]{8}  orig_eax  000000f0  000000f0  system_call: pushl %eax$/m);
  const x0 = t.crossings[0];
  assert.is(renderStep(t, 0, x0, undefined, { width: 200 }).split('\n')[0],
    `crossing 1 of ${t.crossings.length} (seq 1)  pid 1000  ${x0.call.name}  cycles ${x0.cycles.entry.toLocaleString('en-US')}..${x0.cycles.exit.toLocaleString('en-US')}  switches 0   fig3_multicall none on p2-266`);
  // A guest given directly runs first, then steps.
  const g = cli(['step', 'hello']);
  assert.match(g.stdout, /^crossing 2 of 2/m);
});

/** The stepper on a pseudo-terminal (script(1) from util-linux), keys sent one at a time, each after the screen it answers. */
async function onTerminal(args: string[], keys: string[]): Promise<string[]> {
  const child = spawn('script', ['-qfec', `stty cols 80 rows 24; ${process.execPath} ${path.join(ROOT, 'bin/syscluster.js')} step ${args.join(' ')}`, '/dev/null'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b.toString('utf8'); });
  const screens = () => out.split('\x1b[2J\x1b[H').slice(1).filter((s) => /keys:|jump|> |no later/.test(s));
  const waitFor = async (n: number) => {
    for (let i = 0; i < 200 && screens().length < n; i++) await new Promise((r) => setTimeout(r, 50));
  };
  let drawn = 1;
  await waitFor(drawn);
  for (const key of keys) {
    child.stdin.write(key);
    await waitFor(++drawn);
  }
  const shown = screens();
  child.stdin.write('q');
  await new Promise((r) => child.on('close', r));
  return shown;
}

step('on a pseudo-terminal, keys move through the crossings; the page fits the terminal', async () => {
  const d = tmpdir();
  const dumpFile = path.join(d, 'copy.jsonl');
  fs.writeFileSync(path.join(d, 'in'), 'x'.repeat(9000));
  cli(['trace', 'copy', 'in', 'out', '--root', d, '--out', dumpFile]);
  const screens = await onTerminal([dumpFile], ['n', 'n', 'p', '/', 'c', 'l', 'o', 's', 'e', '\r']);
  assert.equal(screens.slice(0, 4).map((s) => /crossing (\d+) of/.exec(s)?.[1] ?? '?'), ['1', '2', '3', '2']);
  assert.match(screens[screens.length - 1], /close\(3\) = 0/, 'the search jumped to the next close');
  for (const s of screens) {
    const lines = s.replace(/\r/g, '').split('\n');
    assert.ok(lines.length <= 24, `${lines.length} lines`);
    assert.ok(lines.every((l) => l.length <= 80));
    assert.match(lines[0], /^crossing \d+ of \d+ \(seq \d+\)  pid 1000  /, 'the header is the first line');
  }
});

step('on a pseudo-terminal, s jumps to the next context switch; --pid follows one process', async () => {
  const d = tmpdir();
  fs.copyFileSync(GUEST('procs'), path.join(d, 'procs'));
  const dumpFile = path.join(d, 'procs.jsonl');
  assert.is(cli(['trace', './procs', 'pipe', '--root', d, '--out', dumpFile], { cwd: d }).status, 0);
  const t = parseTrace(fs.readFileSync(dumpFile, 'utf8'), dumpFile);
  const firstSwitch = t.crossings.findIndex((x) => x.switches > 0);
  const secondSwitch = t.crossings.findIndex((x) => x.switches > t.crossings[firstSwitch].switches);
  const all = await onTerminal([dumpFile], ['s', 's']);
  assert.equal(all.slice(0, 3).map((s) => Number(/crossing (\d+) of/.exec(s)?.[1])), [1, firstSwitch + 1, secondSwitch + 1]);
  assert.match(all[1], new RegExp(`pid ${t.crossings[firstSwitch].pid}  `));
  const child = t.crossings[firstSwitch].pid;
  const mine = t.crossings.filter((x) => x.pid === child);
  const one = await onTerminal([dumpFile, '--pid', String(child)], ['n', 'G']);
  assert.equal(one.slice(0, 3).map((s) => /crossing (\d+) of (\d+) \(seq (\d+)\)  pid (\d+) only/.exec(s)!.slice(1).map(Number)),
    [[1, mine.length, mine[0].seq, child], [2, mine.length, mine[1].seq, child], [mine.length, mine.length, mine[mine.length - 1].seq, child]]);
});

step.run();

const truth = suite('the stepper shows the boundary as it is');

/** The frame rows of a rendered step: address, slot, entry value, exit value (undefined: no return), pushed by. */
function frameRows(page: string) {
  return [...page.matchAll(/^  ([0-9a-f]{8})  (\w+) +([0-9a-f]{8})  ([0-9a-f]{8}|   -    )  (.*)$/gm)]
    .map((m) => ({ address: parseInt(m[1], 16), slot: m[2], entry: parseInt(m[3], 16), exit: m[4].trim() === '-' ? undefined : parseInt(m[4], 16), by: m[5] }));
}

const zero = (): Totals => ({ entry: 0, dispatch: 0, handler: 0, exit: 0 });

truth('the kernel stack frame: entry.S\'s push order, its addresses below esp0, eax = nr at entry and the result at exit', async () => {
  const t = await dumpOf('copy', ['in', 'out'], { '/in': input });
  const i = t.crossings.findIndex((x) => x.call.name === 'read' && x.call.result > 0);
  const x = t.crossings[i];
  const page = renderStep(t, i, x, undefined, { width: 80 });
  const rows = frameRows(page);
  // Pushed first at the top: ss, esp, eflags, cs, eip by the CPU, orig_eax by system_call, then SAVE_ALL's es ds eax ebp edi esi edx ecx ebx.
  assert.equal(rows.map((r) => r.slot), ['xss', 'esp', 'eflags', 'xcs', 'eip', 'orig_eax', 'xes', 'xds', 'eax', 'ebp', 'edi', 'esi', 'edx', 'ecx', 'ebx']);
  assert.equal(rows.map((r) => r.by.split(/[;:, ]/)[0]), [...Array(5).fill('CPU'), 'system_call', ...Array(9).fill('SAVE_ALL')]);
  const esp0 = esp0Of(x.pid);
  assert.is(esp0 % 8192, 0, 'esp0 is the top of an 8 KiB task union');
  assert.match(page, new RegExp(`esp0 ${esp0.toString(16)}`));
  rows.forEach((r, k) => assert.is(r.address, esp0 - 4 * (k + 1), `${r.slot} is pushed ${k + 1} words below esp0`));
  // The lowest slot is &pt_regs; each slot sits at its offset in struct pt_regs (EBX = 0x00 ... OLDSS = 0x38 in entry.S).
  for (const r of rows) assert.is(r.address - (esp0 - 60), 4 * PT_REGS_ORDER.indexOf(r.slot as never), r.slot);
  const reg = (slot: string) => rows.find((r) => r.slot === slot)!;
  assert.is(reg('eax').entry, 3, 'eax at entry: the call number, as SAVE_ALL saved it');
  assert.is(reg('eax').exit, x.call.result, 'eax at exit: the result');
  assert.ok(x.call.result > 3);
  assert.is(reg('orig_eax').entry, 3);
  assert.is(reg('orig_eax').exit, 3);
  assert.equal([reg('ebx').entry, reg('ecx').entry, reg('edx').entry], x.call.args.slice(0, 3), 'ebx, ecx, edx: the arguments');
  assert.is(reg('eip').entry, x.eip + 2, 'the CPU pushed the address after the int 0x80');
  assert.is(reg('xcs').entry & 3, 3, 'the trap came from ring 3');
  assert.is(FRAME.length, 15);
  // The same in JSON.
  const j = stepJson(t, i, x, zero()) as any;
  assert.is(j.regs.entry.eax, 3);
  assert.is(j.regs.exit.eax, x.call.result);
  assert.is(j.kernel_stack.esp0, esp0);
  assert.equal(j.kernel_stack.frame.map((f: any) => [f.slot, f.address, f.pushed_by]), rows.map((r) => [r.slot, r.address, r.by === 'CPU' || r.by.startsWith('CPU') ? 'cpu' : r.by.split(/[;:]/)[0]]));
});

truth('a call that does not return has no exit path: no exit registers, no RESTORE_ALL and iret', async () => {
  const t = await dumpOf('hello', []);
  const last = t.crossings.length - 1, x = t.crossings[last];
  assert.is(x.call.name, 'exit');
  assert.is(x.returns, false);
  assert.is(x.cost.exit, 0);
  const page = renderStep(t, last, x, undefined, { width: 80 });
  const rows = frameRows(page);
  assert.is(rows.length, 15);
  assert.ok(rows.every((r) => r.exit === undefined));
  assert.ok(!page.includes('RESTORE_ALL'), page);
  assert.match(page, /no return, no exit path/);
  const j = stepJson(t, last, x, zero()) as any;
  assert.is(j.regs.exit, null);
  assert.is(j.returns, false);
  // A call that returns: its exit is charged.
  assert.is(t.crossings[0].returns, undefined);
  assert.match(renderStep(t, 0, undefined, undefined, { width: 100 }), /\+ RESTORE_ALL\+iret 189$/m);
});

truth('rt_sigreturn: the registers at exit are the saved context it restores', async () => {
  const files = { '/bin/procs': new Uint8Array(fs.readFileSync(GUEST('procs'))) };
  const { trace: t } = await recordTrace(fs.readFileSync(GUEST('procs')), 'procs', {
    argv: ['procs', 'signal'], profile: profile(), personality: personality('paper'), fs: new MemoryFileSystem(files), stdio: new CapturedStdio(), exePath: '/bin/procs',
  });
  const i = t.crossings.findIndex((x) => x.call.name === 'rt_sigreturn');
  const x = t.crossings[i];
  assert.ok(x.exit_regs, 'the frame was rewritten');
  const rows = frameRows(renderStep(t, i, x, undefined, { width: 80 }));
  const eip = rows.find((r) => r.slot === 'eip')!;
  assert.is(eip.entry, x.eip + 2, 'at entry: after the trap in the restorer');
  assert.is(eip.exit, x.exit_regs!.eip, 'at exit: where the signal interrupted the program');
  assert.is.not(eip.exit, eip.entry);
  // The dump writer's text for such records is JSON.stringify's.
  for (const y of t.crossings) assert.is(crossingJson(y), JSON.stringify(y));
});

truth('whole cycles: every step\'s parts add up to its cost and the ledger so far to the counter, to the end record', async () => {
  const runs: Trace[] = [
    await dumpOf('hello', []), await dumpOf('copy', ['in', 'out'], { '/in': input }),
    await dumpOf('fig3_multicall', ['none'], { '/in.txt': Buffer.from('abc') }),
  ];
  for (const t of runs) {
    const before = zero();
    let lastTotal = 0;
    t.crossings.forEach((x, i) => {
      const page = renderStep(t, i, x, { ...before }, { width: 200 });
      const num = (s: string) => Number(s.replace(/,/g, ''));
      const cost = /^cost   trap\+SAVE_ALL ([\d,]+) \+ dispatch ([\d,]+) \+ handler ([\d,]+)(?: \+ RESTORE_ALL\+iret ([\d,]+)|; no return, no exit path)\n       = ([\d,]+) cycles/m.exec(page)!;
      const parts = [cost[1], cost[2], cost[3], cost[4] ?? '0'].map(num);
      assert.is(parts.reduce((a, b) => a + b), num(cost[5]), `${t.header.guest} step ${i + 1}: ${cost[0]}`);
      const head = /cycles ([\d,]+)\.\.([\d,]+)/.exec(page)!;
      assert.is(num(head[2]) - num(head[1]), num(cost[5]), 'the step spans its cost on the counter');
      const so = /^so far (?:user|outside) ([\d,]+) \+ entry ([\d,]+) \+ dispatch ([\d,]+) \+ handler ([\d,]+) \+ exit ([\d,]+) = ([\d,]+)$/m.exec(page)!;
      assert.is(so.slice(1, 6).map(num).reduce((a, b) => a + b), num(so[6]));
      assert.is(num(so[6]), x.cycles.exit);
      assert.ok(!/\d\.\d/.test(cost[0] + so[0]), 'no fractional cycles');
      if (x.call.sub) {
        // The batch's own line and its entries' add up to the cost line's dispatch and handler.
        const own = [...page.matchAll(/\[dispatch ([\d,]+) \+ handler ([\d,]+)\]$/gm)].map((m) => [num(m[1]), num(m[2])]);
        assert.is(own.length, 1 + x.call.sub.length);
        assert.is(own.reduce((a, o) => a + o[0], 0), parts[1]);
        assert.is(own.reduce((a, o) => a + o[1], 0), parts[2]);
      }
      before.entry += x.cost.entry; before.dispatch += x.cost.dispatch; before.handler += x.cost.handler; before.exit += x.cost.exit;
      lastTotal = num(so[6]);
    });
    assert.is(lastTotal, t.footer!.ledger.cycles.total, `${t.header.guest}: the last step's total is the run's`);
  }
});

truth('80x24: lines are cut with an ellipsis, never wrapped; a page fits 24 lines', async () => {
  const t = await dumpOf('copy', ['in', 'out'], { '/in': input });
  for (const width of [60, 80, 120]) {
    t.crossings.forEach((x, i) => {
      const lines = renderStep(t, i, x, undefined, { width }).split('\n');
      for (const l of lines) assert.ok(l.length <= width, `width ${width}: ${JSON.stringify(l)}`);
      if (width === 80) assert.ok(lines.length <= PAGE_HEIGHT, `${lines.length} lines`);
      assert.match(lines[0], /^crossing \d+ of \d+ \(seq \d+\)  pid 1000  \w+  cycles/, 'the header stays on top');
    });
  }
  const i = t.crossings.findIndex((x) => x.call.name === 'read' && x.call.result > 0);
  const at60 = renderStep(t, i, undefined, undefined, { width: 60 }).split('\n');
  const full = renderStep(t, i, undefined, undefined, { width: 1000 }).split('\n');
  assert.is(at60.length, full.length, 'cutting adds no lines');
  full.forEach((l, k) => {
    if (l.length > 60) { assert.is(at60[k], l.slice(0, 59) + '\u2026'); } else assert.is(at60[k], l);
  });
  assert.ok(full.some((l) => l.length > 60), 'some lines were cut');
  // A batch of many entries: cut to the page, the rest counted.
  const fig = await dumpOf('fig3_multicall', ['none'], { '/in.txt': Buffer.from('abc') });
  const m = fig.crossings.findIndex((x) => x.call.name === 'multi_call');
  const big = structuredClone(fig.crossings[m]);
  big.call.sub = Array.from({ length: 40 }, (_, k) => ({ ...fig.crossings[m].call.sub![k % 2] }));
  const page = renderStep(fig, m, big, undefined, { width: 80 }).split('\n');
  assert.is(page.length, PAGE_HEIGHT);
  assert.match(page.find((l) => l.includes('more entries'))!, /^  \.\.\. \d+ more entries$/);
  assert.ok(page.some((l) => l.startsWith('=> ')), 'the trap is still shown');
  // The CLI: --width, and a bad width is one line.
  const d = tmpdir();
  const dumpFile = path.join(d, 'copy.jsonl');
  fs.writeFileSync(dumpFile, toJsonl(t));
  for (const w of ['60', '120']) {
    const r0 = cli(['step', dumpFile, '--width', w]);
    const r = { ...r0, stdout: utf8(r0.stdout) };
    assert.is(r.status, 0, r.stderr);
    assert.ok(r.stdout.split('\n').every((l) => l.length <= Number(w)));
    if (w === '60') assert.ok(r.stdout.split('\n').some((l) => l.length === 60 && l.endsWith('\u2026')));
  }
  const bad = cli(['step', dumpFile, '--width', 'wide']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--width wide: give a number of columns/);
});

truth.run();

const procs = suite('processes in dumps: pids, switches, --pid, one track per pid, determinism');
const procsDir = tmpdir();
fs.copyFileSync(GUEST('procs'), path.join(procsDir, 'procs'));
const procsDump = (name: string) => {
  const f = path.join(procsDir, name);
  const r = cli(['trace', './procs', 'pipe', '--root', procsDir, '--out', f], { cwd: procsDir });
  assert.is(r.status, 0, r.stderr);
  return f;
};

procs('two runs of a multi-process guest give byte-identical dumps, with several pids and the switches', () => {
  const a = procsDump('a.jsonl'), b = procsDump('b.jsonl');
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)), 'byte-identical');
  const t = parseTrace(fs.readFileSync(a, 'utf8'), a);
  assert.is(t.header.pid, 1000);
  const pids = new Set(t.crossings.map((x) => x.pid));
  assert.ok(pids.size >= 2, `pids ${[...pids]}`);
  let prev = 0;
  for (const x of t.crossings) { assert.ok(x.switches >= prev, 'switches only grow'); prev = x.switches; }
  assert.ok(prev > 0);
  assert.is(prev, t.footer!.ledger.switches ?? prev);
  // A switch lies between two crossings of different processes.
  t.crossings.forEach((x, i) => { if (i && x.pid !== t.crossings[i - 1].pid) assert.ok(x.switches > t.crossings[i - 1].switches); });
});

procs('a busybox sh pipeline: two runs, byte-identical dumps, a pid per process of the pipeline', () => {
  const busybox = path.join(ROOT, '.cache/i386/programs/bin/busybox');
  if (!fs.existsSync(busybox)) return; // scripts/fetch-i386.sh has not run: nothing to run
  const d = tmpdir();
  const run = (name: string) => {
    const f = path.join(d, name);
    const r = cli(['trace', busybox, '--root', d, '--out', f, '--', 'sh', '-c', 'echo one two | tr o 0 | cat'], { cwd: d });
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout, '0ne tw0\n');
    return fs.readFileSync(f);
  };
  const a = run('a.jsonl'), b = run('b.jsonl');
  assert.ok(a.equals(b), 'byte-identical');
  const t = parseTrace(a.toString('utf8'), 'a.jsonl');
  const pids = [...new Set(t.crossings.map((x) => x.pid))];
  assert.ok(pids.length >= 4, `the shell and the three it forks: ${pids}`);
  assert.ok(t.crossings[t.crossings.length - 1].switches >= pids.length - 1);
});

procs('step --pid follows one process; --at K --json prints one step; bad pids are one line', () => {
  const f = procsDump('c.jsonl');
  const t = parseTrace(fs.readFileSync(f, 'utf8'), f);
  const child = t.crossings.find((x) => x.pid !== 1000)!.pid;
  const mine = t.crossings.filter((x) => x.pid === child);
  const r0 = cli(['step', f, '--pid', String(child), '--width', '200']);
  const r = { ...r0, stdout: utf8(r0.stdout) };
  assert.is(r.status, 0, r.stderr);
  const heads = r.stdout.split('\n').filter((l) => l.startsWith('crossing '));
  assert.is(heads.length, mine.length);
  heads.forEach((h, k) => assert.ok(h.startsWith(`crossing ${k + 1} of ${mine.length} (seq ${mine[k].seq})  pid ${child} only  ${mine[k].call.name}  `), h));
  const all = cli(['step', f, '--pid', 'all']);
  assert.is(all.stdout.split('\n').filter((l) => l.startsWith('crossing ')).length, t.crossings.length);
  // One step as JSON: the second of the child's.
  const j = cli(['step', f, '--pid', String(child), '--at', '2', '--json']);
  assert.is(j.status, 0, j.stderr);
  const s = JSON.parse(j.stdout), x = mine[1];
  assert.is(s.step, 2);
  assert.is(s.of, mine.length);
  assert.is(s.pid, child);
  assert.is(s.seq, x.seq);
  assert.is(s.regs.entry.eax, x.call.nr);
  assert.is(s.regs.entry.orig_eax, x.call.nr);
  assert.is(s.regs.exit.eax, x.call.result >>> 0 === x.pt_regs.eax ? x.pt_regs.eax : x.call.result);
  assert.is(s.kernel_stack.esp0, esp0Of(child));
  assert.is(s.kernel_stack.esp0 === esp0Of(1000), false, 'each process has its own kernel stack');
  assert.equal(s.kernel_stack.frame.map((f: any) => f.slot), FRAME.map((f) => f.slot));
  assert.is(s.cost.total, s.cost.trap_save_all + s.cost.dispatch + s.cost.handler + s.cost.restore_all_iret);
  // The text of one step.
  const one = cli(['step', f, '--at', '1']);
  assert.is(one.status, 0, one.stderr);
  assert.ok(utf8(one.stdout).split('\n').length <= PAGE_HEIGHT + 1);
  assert.ok(utf8(one.stdout).split('\n').every((l) => l.length <= 80), 'not a terminal: 80 columns');
  for (const [args, pattern] of [
    [['--pid', 'abc'], /--pid abc: give a process id/], [['--pid', '4242'], /no crossing of pid 4242/],
    [['--at', '0'], /--at 0: give a step number/], [['--at', '999'], /--at 999: there are \d+ steps/], [['--json'], /--json prints one step: give it with --at K/],
  ] as [string[], RegExp][]) {
    const e = cli(['step', f, ...args]);
    assert.is(e.status, 2, `${args}: ${e.stderr}`);
    assert.match(e.stderr, pattern);
    assert.is(e.stderr.trim().split('\n').length, 1);
  }
});

procs('Chrome trace: one track per pid, each crossing on its process\'s track', () => {
  const f = procsDump('d.jsonl');
  const t = parseTrace(fs.readFileSync(f, 'utf8'), f);
  const ev = JSON.parse(traceChrome(t)).traceEvents as { ph: string; cat?: string; name: string; pid: number; tid: number; args?: any }[];
  const pids = [...new Set(t.crossings.map((x) => x.pid))];
  const named = ev.filter((e) => e.name === 'process_name').map((e) => e.pid);
  assert.equal(named.sort(), pids.sort());
  for (const pid of pids) {
    const seqs = ev.filter((e) => e.cat === 'kernel' && e.pid === pid && e.args?.seq !== undefined).map((e) => e.args.seq);
    assert.equal(seqs, t.crossings.filter((x) => x.pid === pid).map((x) => x.seq));
  }
  assert.ok(ev.every((e) => e.pid === e.tid));
  assert.ok(ev.some((e) => e.name === 'switch, user' && e.args.context_switches > 0));
});

procs('dumps from before pids: records load with the header\'s first pid and no switches; a bad pid is one line', () => {
  const f = procsDump('e.jsonl');
  const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n');
  const strip = (l: string) => { const r = JSON.parse(l); delete r.pid; delete r.switches; return JSON.stringify(r); };
  const old = [lines[0].replace(/,"pid":1000/, ''), ...lines.slice(1, -1).map(strip), lines[lines.length - 1]].join('\n') + '\n';
  assert.not.match(old, /"pid"/);
  const t = parseTrace(old, 'old');
  assert.ok(t.crossings.every((x) => x.pid === 1000 && x.switches === 0));
  const h = JSON.parse(lines[0]); h.pid = 4321;
  const t2 = parseTrace([JSON.stringify(h), ...lines.slice(1, -1).map(strip), lines[lines.length - 1]].join('\n') + '\n', 'old2');
  assert.ok(t2.crossings.every((x) => x.pid === 4321));
  const oldFile = file('old.jsonl', old);
  const r = cli(['step', oldFile, '--at', '1', '--width', '200']);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^crossing 1 of \d+ \(seq 1\)  pid 1000  /);
  const badRec = JSON.parse(lines[1]); badRec.pid = -3;
  const bf = file('badpid.jsonl', [lines[0], JSON.stringify(badRec), ...lines.slice(2)].join('\n') + '\n');
  const e = cli(['step', bf]);
  assert.is(e.status, 2);
  assert.match(e.stderr, /badpid\.jsonl:2: pid is not a positive integer/);
  assert.is(e.stderr.trim().split('\n').length, 1);
});

procs.run();
