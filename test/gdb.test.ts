// Debian's gdb, in batch mode, against `syscluster run --gdb`: breakpoints, catch syscall,
// stepping across an int 0x80, registers and memory, watchpoints, monitor commands,
// detach and kill; the guest's output and exit code are the same as without gdb. Then
// the misbehaving clients: a malformed packet, a bad checksum, a disconnect mid-run, a
// second client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { frame } from '../gdb/packets.js';
import { GUEST, ROOT, cli, tmpdir } from './helpers.js';

const haveGdb = spawnSync('gdb', ['--version']).status === 0;

interface Stub { child: ChildProcess; port: number; done: Promise<{ status: number | null; stdout: string; stderr: string }> }

/** Starts `syscluster run --gdb 127.0.0.1:0 GUEST ...` and waits for the port it listens on. */
function startStub(guest: string, args: string[] = [], cwd = tmpdir()): Promise<Stub> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/syscluster.js'), 'run', GUEST(guest), ...args, '--gdb', '127.0.0.1:0', '--root', cwd],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout!.on('data', (b) => { stdout += b; });
    const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => child.on('close', (status) => res({ status, stdout, stderr })));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no port announced: ${stderr}`)); }, 30_000);
    child.stderr!.on('data', (b) => {
      stderr += b;
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]), done }); }
    });
  });
}

/** Runs gdb in batch mode with these commands against the stub; returns gdb's output. */
function gdbBatch(guest: string, port: number, commands: string[]): Promise<string> {
  const args = ['-nx', '-batch', '-ex', 'set pagination off', '-ex', 'set confirm off',
    '-ex', `target remote 127.0.0.1:${port}`, ...commands.flatMap((c) => ['-ex', c]), GUEST(guest)];
  return new Promise((resolve) => {
    const g = spawn('gdb', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    g.stdout.on('data', (b) => { out += b; });
    g.stderr.on('data', (b) => { out += b; });
    const timer = setTimeout(() => g.kill('SIGKILL'), 60_000);
    g.on('close', () => { clearTimeout(timer); resolve(out); });
  });
}

const gdb = suite('gdb against the stub');

gdb.before(() => {
  if (!haveGdb) throw new Error('gdb is missing: ./setup.sh installs it');
});

gdb('break main, continue, registers; then run to the end: same output and exit code as without gdb', async () => {
  const s = await startStub('hello');
  const out = await gdbBatch('hello', s.port, ['break main', 'continue', 'info registers eip', 'continue']);
  const r = await s.done;
  assert.match(out, /Breakpoint 1, 0x[0-9a-f]+ in main \(\)/);
  assert.match(out, /eip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>/);
  assert.match(out, /exited normally/);
  const plain = cli(['run', 'hello']);
  assert.is(r.stdout, plain.stdout);
  assert.is(r.status, plain.status);
});

gdb('catch syscall write: entry and return, with monitor crossing in between; stepi over int 0x80', async () => {
  const s = await startStub('hello');
  const out = await gdbBatch('hello', s.port, [
    'catch syscall write', 'continue', 'monitor crossing', 'continue', 'p $eax', 'monitor crossing', 'delete', 'catch syscall exit', 'continue',
    'x/2i $pc', 'stepi', 'kill',
  ]);
  await s.done;
  assert.match(out, /Catchpoint 1 \(call to syscall write\)/);
  assert.match(out, /write\(1, "hello from an i386 guest\\n", 25\)/, 'monitor crossing shows the call');
  assert.match(out, /Catchpoint 1 \(returned from syscall write\)/);
  assert.match(out, /\$1 = 25/, 'eax holds write\'s result on return');
  // After the return, the step as `syscluster step` draws it, cut to 80 columns (UTF-8 through the O packets).
  assert.match(out, /^crossing 1 of 1 \(seq 1\)  pid 1000  write  cycles [\d,]+\.\.[\d,]+  switches 0   \S*\u2026$/m);
  assert.match(out, /^  [0-9a-f]{8}  eax       00000004  00000019  SAVE_ALL; the result at exit$/m);
  assert.match(out, /call to syscall exit\b/);
});

gdb('stepi across an int 0x80 makes the call and stops after it', async () => {
  const s = await startStub('hello');
  const out = await gdbBatch('hello', s.port, [
    'break write', 'continue', 'display/i $pc', ...Array(12).fill('stepi'), 'p $eax', 'kill',
  ]);
  await s.done;
  assert.match(out, /int\s+\$0x80/);
  assert.match(out, /\$1 = 25/);
});

gdb('memory and registers can be written; a watchpoint stops on the write', async () => {
  const s = await startStub('hello');
  const out = await gdbBatch('hello', s.port, [
    'break main', 'continue', 'set var $ecx = 0x1234', 'p/x $ecx', 'p/x *(int*)$esp', 'set var *(int*)($esp - 64) = 77', 'p *(int*)($esp - 64)',
    'monitor ledger', 'monitor platform', 'monitor frobnicate',
    // main's first push (of print's string argument) lands 16 bytes below esp at main+14.
    'set $a = (int*)($esp - 16)', 'watch *$a', 'continue', 'p/x $eip', 'kill',
  ]);
  await s.done;
  assert.match(out, /\$1 = 0x1234/);
  assert.match(out, /\$3 = 77/);
  // The value pushed is the address of hello's string, which moves as the generated stubs grow.
  assert.match(out, /Hardware watchpoint 2: \*\$a\s+Old value = 0\s+New value = 1345\d{5}/, 'the watchpoint stops on the write');
  assert.match(out, /\$4 = 0x8049016/, 'just after the writing instruction');
  assert.match(out, /crossings/);
  assert.match(out, /p2-266/);
  assert.match(out, /unknown monitor command "frobnicate"/);
});

gdb('detach lets the guest run to its end undebugged', async () => {
  const s = await startStub('hello');
  await gdbBatch('hello', s.port, ['break main', 'continue', 'detach']);
  const r = await s.done;
  assert.is(r.stdout, 'hello from an i386 guest\n');
  assert.is(r.status, 0);
});

const clients = suite('misbehaving clients');

function rawClient(port: number): Promise<{ sock: net.Socket; read: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => {
      let buf = '';
      const waiters: (() => void)[] = [];
      sock.on('data', (b) => { buf += b.toString('latin1'); waiters.splice(0).forEach((w) => w()); });
      // Everything up to and including the next whole reply: a `-`, or a `$...#xx` packet.
      const complete = () => buf === '-' || /\$[^#]*#[0-9a-f]{2}/.test(buf);
      const read = () => new Promise<string>((res) => {
        const take = () => {
          if (!complete()) { waiters.push(take); return; }
          const out = buf; buf = ''; res(out);
        };
        take();
      });
      resolve({ sock, read });
    });
    sock.on('error', reject);
  });
}

clients('a bad checksum gets -, a malformed packet E01, an unknown one the empty reply', async () => {
  const s = await startStub('hello');
  const c = await rawClient(s.port);
  c.sock.write('$g#00');
  assert.is(await c.read(), '-');
  c.sock.write(frame('mzz,4'));
  assert.match(await c.read(), /\+\$E01#/);
  c.sock.write(frame('qFrobnicate'));
  assert.match(await c.read(), /\+\$#00/);
  c.sock.destroy();
  const r = await s.done;
  assert.ok(r.status !== 0, 'gdb went away: the guest was killed');
  assert.match(r.stderr, /gdb disconnected/);
});

clients('a second client is turned away while the first is served', async () => {
  const s = await startStub('hello');
  const first = await rawClient(s.port);
  const second = await new Promise<string>((resolve) => {
    const sock = net.connect(s.port, '127.0.0.1');
    sock.on('close', () => resolve('closed'));
    sock.on('error', () => resolve('closed'));
  });
  assert.is(second, 'closed');
  first.sock.write(frame('?'));
  assert.match(await first.read(), /\$T05/);
  first.sock.write(frame('k'));
  await s.done;
});

clients('a bad --gdb address is one line and exit 2', () => {
  const r = cli(['run', 'hello', '--gdb', 'nonsense:port']);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--gdb/);
  assert.is(r.stderr.trim().split('\n').length, 1);
});

if (!fs.existsSync('/usr/bin/gdb')) process.stderr.write('gdb.test: gdb not installed\n');

gdb.run();
clients.run();
