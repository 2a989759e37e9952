// The command line as a user meets it: exit codes, one-line errors, help, JSON.
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, makeElf, tmpdir } from './helpers.js';

/** Every command, for the help checks. */
const COMMANDS = ['run', 'trace', 'step', 'profile', 'whatif', 'analyze', 'cluster', 'scenario', 'syscalls', 'bench', 'cc', 'lab', 'view'];

/** One line on stderr, exit code 2, no stack trace. */
function badInput(r: ReturnType<typeof cli>, pattern: RegExp) {
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, pattern);
  assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  assert.not.match(r.stderr, /\n\s+at /);
}

const bad = suite('bad guests: one line, exit 2');
const dir = tmpdir();
const write = (name: string, bytes: Uint8Array) => { const p = path.join(dir, name); fs.writeFileSync(p, bytes); return p; };

bad('missing file', () => badInput(cli(['run', path.join(dir, 'nope')]), /no such file/));
bad('a directory', () => badInput(cli(['run', dir]), /is a directory/));
bad('an empty file', () => badInput(cli(['run', write('empty', new Uint8Array(0))]), /empty file/));
bad('a truncated ELF', () => badInput(cli(['run', write('trunc', makeElf({ truncateTo: 40 }))]), /truncated ELF header/));
bad('an x86-64 ELF', () => badInput(cli(['run', write('x64', makeElf({ machine: 62 }))]), /x86-64/));
bad('a big-endian header', () => badInput(cli(['run', write('be', makeElf({ data: 2 }))]), /big-endian/));
bad('a 64-bit class header', () => badInput(cli(['run', write('c64', makeElf({ cls: 2 }))]), /64-bit ELF/));
bad('PT_LOAD past the end of the file', () =>
  badInput(cli(['run', write('past', makeElf({ segments: [{ vaddr: 0x8048000, filesz: 0x9000, memsz: 0x9000, flags: 5 }] }))]), /past the end of the file/));
bad('overlapping segments', () =>
  badInput(cli(['run', write('overlap', makeElf({ segments: [{ vaddr: 0x8048000, filesz: 0x100, memsz: 0x3000, flags: 5 }, { vaddr: 0x8049000, filesz: 0x10, memsz: 0x10, flags: 6 }] }))]), /overlap/));
bad('a memsz of gigabytes', () =>
  badInput(cli(['run', write('huge', makeElf({ segments: [{ vaddr: 0x8048000, filesz: 0x100, memsz: 0xa0000000, flags: 5 }] }))]), /bytes of memory|kernel half/));
bad('an entry point outside any segment', () => badInput(cli(['run', write('entry', makeElf({ entry: 0x12345678 }))]), /entry point/));
bad('a real host binary', () => badInput(cli(['run', process.execPath]), /64-bit ELF|x86-64/));
bad('a missing --root', () => badInput(cli(['run', 'hello', '--root', path.join(dir, 'nowhere')]), /--root/));
bad('an unknown option', () => badInput(cli(['run', 'hello', '--frobnicate']), /Unknown argument/));
bad('an unknown command', () => { const r = cli(['frobnicate']); assert.is(r.status, 2); });

bad('a hand-made ELF runs: exit status 7', () => {
  const r = cli(['run', write('ok', makeElf())]);
  assert.is(r.status, 7, r.stderr);
});

bad.run();

const profiles = suite('platform profiles: one line naming the field, exit 2');
const p2 = () => JSON.parse(fs.readFileSync(new URL('../../platforms/p2-266.json', import.meta.url), 'utf8'));
const profileFile = (mutate: (p: Record<string, any>) => void) => {
  const p = p2();
  mutate(p);
  return write(`profile-${Math.random().toString(36).slice(2)}.json`, Buffer.from(JSON.stringify(p)));
};

profiles('a missing field', () =>
  badInput(cli(['run', 'hello', '--platform', profileFile((p) => { delete p.boundary.exit_cycles; })]), /"boundary.exit_cycles" is missing/));
profiles('a negative cost', () =>
  badInput(cli(['run', 'hello', '--platform', profileFile((p) => { p.dispatch_cycles = -3; })]), /"dispatch_cycles" must not be negative/));
profiles('a non-numeric cost', () =>
  badInput(cli(['run', 'hello', '--platform', profileFile((p) => { p.copy.to_user_cycles_per_byte = 'fast'; })]), /"copy.to_user_cycles_per_byte" must be a number/));
profiles('an unknown syscall name', () =>
  badInput(cli(['run', 'hello', '--platform', profileFile((p) => { p.handler_cycles.frobnicate = 10; })]), /"handler_cycles.frobnicate" names no known syscall/));
profiles('not JSON', () => badInput(cli(['run', 'hello', '--platform', write('bad.json', Buffer.from('{ nope'))]), /not valid JSON/));
profiles('an unknown built-in name', () => badInput(cli(['run', 'hello', '--platform', 'pentium-9']), /unknown platform "pentium-9"/));

profiles.run();

const use = suite('using the command line');

use('run returns the guest\'s exit status and prints its output', () => {
  const r = cli(['run', 'hello']);
  assert.is(r.status, 0);
  assert.is(r.stdout, 'hello from an i386 guest\n');
  assert.is(r.stderr, '');
});

use('a fault prints one line with signal, eip and instruction; exit 128+signal', () => {
  const r = cli(['run', 'crash', 'segv-read']);
  assert.is(r.status, 139);
  assert.match(r.stderr, /^syscluster: crash: killed by SIGSEGV: read from unmapped memory at eip 0x[0-9a-f]+ \(mov eax, dword ptr \[eax\]\) address 0x10\n$/);
});

use('a runaway guest stops at --max-instructions with a clear message', () => {
  const r = cli(['run', 'crash', 'loop', '--max-instructions', '50000']);
  assert.is(r.status, 152);
  assert.match(r.stderr, /instruction limit was reached/);
});

use('--strace prints calls in strace\'s form', () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in'), 'abc');
  const r = cli(['run', 'copy', 'in', 'out', '--root', d, '--strace']);
  assert.is(r.status, 0);
  assert.match(r.stderr, /^open\("in", O_RDONLY\) = 3$/m);
  assert.match(r.stderr, /^open\("out", O_WRONLY\|O_CREAT\|O_TRUNC, 0644\) = 4$/m);
  assert.match(r.stderr, /^read\(3, "abc", 4096\) = 3$/m);
  assert.match(r.stderr, /^exit\(0\) = \?$/m);
  const e = cli(['run', 'copy', 'missing', 'out', '--root', d, '--strace']);
  assert.match(e.stderr, /^open\("missing", O_RDONLY\) = -1 ENOENT \(No such file or directory\)$/m);
});

use('--summary and --json-summary give the ledger', () => {
  const out = path.join(tmpdir(), 'ledger.json');
  const r = cli(['run', 'hello', '--summary', '--json-summary', out]);
  assert.match(r.stderr, /entry \(trap\+SAVE_ALL\)\s+280/);
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.is(j.personality, 'paper');
  assert.is(j.ledger.crossings, 2);
  assert.is(j.ledger.cycles.entry, 280);
  assert.is(j.ledger.cycles.exit, 189, 'write returns; exit does not, and pays no exit path');
});

use('the same guest, arguments and profile give the same JSON ledger, byte for byte', () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in'), Buffer.alloc(30000, 'q'));
  const once = (n: string) => {
    const r = cli(['run', 'copy', 'in', 'out', '777', '--root', d, '--json-summary', path.join(d, n), '--platform', 'p3-650']);
    assert.is(r.status, 0);
    return fs.readFileSync(path.join(d, n));
  };
  assert.equal(once('a.json'), once('b.json'));
});

use('--clock-start sets the simulated clock the guest reads', () => {
  const d = tmpdir();
  const r = cli(['run', 'syscall_timing', '--clock-start', '2020-02-02T00:00:00Z', '--strace-out', path.join(d, 's')]);
  assert.is(r.status, 0);
  assert.match(fs.readFileSync(path.join(d, 's'), 'latin1'), /gettimeofday\(\{tv_sec=1580601600, tv_usec=\d+\}, NULL\) = 0/);
  badInput(cli(['run', 'hello', '--clock-start', 'yesterday-ish']), /--clock-start/);
});

use('syscalls lists the table, support levels and ENOSYS entries', () => {
  const r = cli(['syscalls']);
  assert.is(r.status, 0);
  assert.match(r.stdout, /^\s+3  read\s+full/m);
  assert.match(r.stdout, /^\s+5  open\s+partial/m);
  assert.match(r.stdout, /^\s+2  fork\s+full/m);
  assert.match(r.stdout, /^\s+26  ptrace\s+unimplemented/m);
  const j = JSON.parse(cli(['syscalls', '--json', '--personality', 'modern']).stdout);
  assert.is(j.personality, 'modern');
  assert.ok(j.syscalls.some((s: { name: string; nr: number }) => s.name === 'futex' && s.nr === 240));
});

use('scenario control: text, JSON, and files with --out', () => {
  const d = tmpdir();
  const r = cli(['scenario', 'control', '--json', '--out', d]);
  assert.is(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  assert.is(results[0].scenario, 'control');
  assert.ok(fs.existsSync(path.join(d, 'control-p2-266.md')) && fs.existsSync(path.join(d, 'control-p2-266.json')));
  assert.match(fs.readFileSync(path.join(d, 'control-p2-266.md'), 'utf8'), /\| system call \| 140\\\* \| 140 \| 189\\\* \| 189 \|/, 'calibrated cells are marked');
  assert.ok(results[0].tables[0].provenance[0].includes('calibrated'), 'and say so in JSON');
  assert.is(r.stderr, '', 'no progress bar when stderr is not a terminal');
  badInput(cli(['scenario', 'control', '--platform', 'nope']), /unknown platform "nope"/);
});

use('--help on each command shows an example', () => {
  for (const c of COMMANDS) {
    const r = cli([c, '--help']);
    assert.is(r.status, 0);
    assert.match(r.stdout, /Examples:/);
  }
  assert.match(cli(['--help']).stdout, /Commands:/);
});

use.run();

const help = suite('help wraps at the width on word boundaries');

/** --help of a command (or the top level) at a width of `columns`. */
function helpAt(columns: string, command?: string) {
  const saved = process.env.SYSCLUSTER_COLUMNS;
  process.env.SYSCLUSTER_COLUMNS = columns;
  try {
    return cli(command ? [command, '--help'] : ['--help']);
  } finally {
    if (saved === undefined) delete process.env.SYSCLUSTER_COLUMNS; else process.env.SYSCLUSTER_COLUMNS = saved;
  }
}
const words = (text: string) => text.split(/\s+/).filter(Boolean);

help('every command\'s --help at 80 columns: no line over 80, no word cut in two', () => {
  for (const c of [undefined, ...COMMANDS]) {
    const narrow = helpAt('80', c);
    assert.is(narrow.status, 0, narrow.stderr);
    const lines = narrow.stdout.split('\n');
    const long = lines.filter((l) => l.length > 80);
    assert.equal(long, [], `${c ?? 'syscluster'} --help: lines over 80 columns`);
    // The same help unwrapped has every word whole: a word of the narrow help that is
    // not one of them was cut.
    const whole = new Set(words(helpAt('400', c).stdout));
    const cut = words(narrow.stdout).filter((w) => !whole.has(w));
    assert.equal(cut, [], `${c ?? 'syscluster'} --help: words cut at 80 columns`);
    assert.ok(lines.length > 5, 'the help has lines to check');
  }
});

help('a required positional shows no default', () => {
  const r = helpAt('80', 'profile');
  assert.match(r.stdout, /\[array\] \[required\]\n/);
  assert.not.match(r.stdout, /\[required\] \[default/);
});

help('a bad SYSCLUSTER_COLUMNS is one line, exit 2', () => badInput(helpAt('wide', 'run'), /SYSCLUSTER_COLUMNS must be a whole number/));

help('a width that is not a number of columns, or a bench size that is not one: one line, exit 2', () => {
  for (const [r, what] of [[helpAt('abc', 'run'), 'SYSCLUSTER_COLUMNS'], [helpAt('5', 'run'), 'SYSCLUSTER_COLUMNS'],
    [cli(['bench', '--real', '--real-mib', '0']), '--real-mib'], [cli(['bench', '--real', '--real-mib', 'x']), '--real-mib']] as const) {
    assert.is(r.status, 2, what);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(r.stderr.startsWith(`syscluster: ${what}`), r.stderr);
  }
});

help.run();

const errnos = suite('guests name the errno');

errnos('die() prints the errno\'s name and text, a usage line no number', () => {
  const d = tmpdir();
  const missing = cli(['run', 'copy', 'nope', 'out', '--root', d]);
  assert.is(missing.status, 1);
  assert.is(missing.stderr, 'nope: ENOENT (No such file or directory)\n');
  const usage = cli(['run', 'copy']);
  assert.is(usage.status, 2);
  assert.is(usage.stderr, 'usage: copy <in> <out> [block-size]\n');
});

errnos('Figure 3\'s error handling names the error', () => {
  const d = tmpdir();
  fs.writeFileSync(path.join(d, 'in.txt'), 'abc');
  const r = cli(['run', 'fig3_original', 'write', '--root', d]);
  assert.is(r.status, 1);
  assert.match(r.stdout, /^error handling of write with error code EBADF \(Bad file descriptor\)$/m);
});

errnos('a host error names its errno and text', () => {
  badInput(cli(['profile', path.join(tmpdir(), 'nope.jsonl')]), /nope\.jsonl: cannot read \(ENOENT \(No such file or directory\)\)$/m);
});

errnos.run();
