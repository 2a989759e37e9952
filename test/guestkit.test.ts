// The guest kit: every command of docs/writing-guests.md, run in order in a fresh
// directory with the files the page asks for, must exit as the page says (0 unless a
// `# exits N` comment says otherwise); and cc's own checks.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCompiler, kitVariables } from '../cli/guestkit.js';
import { ROOT, cli, tmpdir } from './helpers.js';

type Step = { kind: 'file'; name: string; text: string } | { kind: 'command'; line: string; exit: number };

/** The page's steps in order: ```c NAME blocks are files, ```sh lines are commands. */
export function docSteps(markdown: string): Step[] {
  const steps: Step[] = [];
  const re = /^```(\w+)(?:[ \t]+(\S+))?\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(markdown));) {
    const [, lang, name, body] = m;
    if (lang === 'sh') {
      for (const line of body.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
        const exit = /#\s*exits (\d+)\s*$/.exec(line);
        steps.push({ kind: 'command', line: line.replace(/\s+#.*$/, ''), exit: exit ? Number(exit[1]) : 0 });
      }
    } else if (name) steps.push({ kind: 'file', name, text: body });
  }
  return steps;
}

const SYSCLUSTER = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'bin/syscluster.js'))}`;

const doc = suite('docs/writing-guests.md, command by command');

doc('every command runs as the page says, in a fresh directory', () => {
  const steps = docSteps(fs.readFileSync(path.join(ROOT, 'docs/writing-guests.md'), 'utf8'));
  const commands = steps.filter((s) => s.kind === 'command');
  assert.ok(commands.length >= 15, `the page has ${commands.length} commands`);
  assert.ok(steps.some((s) => s.kind === 'file' && s.name === 'show.c'));
  const dir = tmpdir('syscluster-guestkit-');
  const outputs: Record<string, string> = {};
  for (const s of steps) {
    if (s.kind === 'file') { fs.writeFileSync(path.join(dir, s.name), s.text); continue; }
    assert.match(s.line, /^(npx syscluster |seq |cmp )/, `a command a student can run: ${s.line}`);
    const line = s.line.replace(/^npx syscluster /, `${SYSCLUSTER} `);
    const r = spawnSync('sh', ['-c', line], { cwd: dir, encoding: 'utf8' });
    assert.is(r.status, s.exit, `${s.line}\n${r.stdout}\n${r.stderr}`);
    outputs[s.line] = r.stdout + r.stderr;
  }
  // What the page claims about the results.
  assert.is(fs.readFileSync(path.join(dir, 'slow.out'), 'utf8'), Array.from({ length: 40 }, (_, i) => `${i + 1}\n`).join(''));
  const summary = (k: string) => /crossings (\d+)/.exec(outputs[k])?.[1];
  assert.is(summary('npx syscluster run ./show numbers.txt --summary > /dev/null'), '17');
  assert.is(summary('npx syscluster run ./show_fast numbers.txt --specialized defs.json --summary > /dev/null'), '3');
  assert.match(outputs['npx syscluster run ./show_fast numbers.txt'], /unknown syscall 246 .*ENOSYS/);
  assert.match(fs.readFileSync(path.join(dir, 'specialized.h'), 'utf8'), /#define __NR_read_write_loop 246\n/);
  assert.match(outputs['npx syscluster run ./pair --strace'], /multi_call\(2, 0x[0-9a-f]+\) = 3\n {2}write\(1, "hi\\n", 3\) = 3\n {2}getpid\(\) = 1000/);
  assert.ok(fs.existsSync(path.join(dir, 'graph.svg')));
});

doc.run();

const cc = suite('syscluster cc');

cc('the specialized header numbers calls as the kernel model does', () => {
  const dir = tmpdir();
  const defs = { calls: [{ name: 'twice', params: ['fd', 'buf', 'n'], steps: [
    { call: 'write', args: [{ param: 'fd' }, { param: 'buf' }, { param: 'n' }] },
    { call: 'write', args: [{ param: 'fd' }, { param: 'buf' }, { param: 'n' }] }], returns: { result: 1 } }] };
  fs.writeFileSync(path.join(dir, 'defs.json'), JSON.stringify(defs));
  const syscalls = cli(['syscalls', '--specialized', path.join(dir, 'defs.json')]);
  const nr = /^\s*(\d+)\s+twice\b/m.exec(syscalls.stdout)?.[1];
  assert.ok(nr, syscalls.stdout);
  fs.writeFileSync(path.join(dir, 't.c'), '#include "syscluster.h"\nint main(void) { return twice(1, (long)"ab\\n", 3) == 3 ? 0 : 1; }\n');
  const b = cli(['cc', path.join(dir, 't.c'), '-o', path.join(dir, 't'), '--specialized', path.join(dir, 'defs.json')]);
  assert.is(b.status, 0, b.stderr);
  const r = cli(['run', path.join(dir, 't'), '--specialized', path.join(dir, 'defs.json'), '--strace']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'ab\nab\n');
  assert.match(r.stderr, /twice\(1, /);
  const h = cli(['cc', '--specialized', path.join(dir, 'defs.json'), '--header', path.join(dir, 'sp.h')]);
  assert.is(h.status, 0, h.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'sp.h'), 'utf8'), new RegExp(`#define __NR_twice ${nr}\\n`));
});

cc('bad input: one line and exit 2; a compile error: gcc\'s messages and exit 1', () => {
  const dir = tmpdir();
  const missing = cli(['cc', path.join(dir, 'nope.c')]);
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /^syscluster: .*nope\.c: no such file\n$/);
  fs.writeFileSync(path.join(dir, 'bad.c'), 'int main(void) { return undeclared; }\n');
  const bad = cli(['cc', path.join(dir, 'bad.c'), '-o', path.join(dir, 'bad')]);
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /undeclared/);
  assert.match(bad.stderr, /syscluster: gcc failed \(exit 1\): .*bad not built\n$/);
  fs.writeFileSync(path.join(dir, 'defs.json'), '{"calls": [{"name": "x"}]}');
  const defs = cli(['cc', path.join(dir, 'bad.c'), '--specialized', path.join(dir, 'defs.json')]);
  assert.is(defs.status, 2);
  assert.match(defs.stderr, /calls\[0\]\.params/);
});

cc('a compiler that cannot make i386 code is named in one line', () => {
  assert.is(checkCompiler('gcc'), undefined);
  assert.match(checkCompiler('/bin/false')!, /cannot build 32-bit i386 code/);
  assert.match(checkCompiler('no-such-compiler-here')!, /not found/);
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'x.c'), 'int main(void) { return 0; }\n');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/syscluster.js'), 'cc', 'x.c'], { env: { ...process.env, CC: 'no-such-compiler-here' }, encoding: 'utf8', cwd: dir });
  assert.is(r.status, 2);
  assert.match(r.stderr, /^syscluster: no-such-compiler-here not found: install a C compiler/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

cc('guest/Makefile and cc share the kit\'s flags', () => {
  const v = kitVariables();
  for (const f of ['-m32', '-static', '-nostdlib', '-ffreestanding', '-fno-pic', '-no-pie']) assert.ok(v.KIT_CFLAGS.includes(f), f);
  assert.match(fs.readFileSync(path.join(ROOT, 'guest/Makefile'), 'utf8'), /include runtime\/kit\.mk/);
});

cc.run();
