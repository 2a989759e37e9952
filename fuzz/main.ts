// The fuzz job: `npm run fuzz -- --seconds N --seed S [--jobs J] [--count N] [--save DIR]`.
// Generates cases (fuzz/cases.ts), runs them in parallel up to the core count (guest
// cases in worker processes, command-line cases as `syscluster` child processes),
// classifies each outcome and prints a summary:
//   clean   the run ended as it should (any exit code, a one-line error for bad input)
//   crash   exit 70, a stack trace, a native abort, or an error thrown by the simulator
//   hang    no end within the time limit
//   escape  the canary outside the guest's root was read, changed, or a file appeared beside it
//   loss    a copy's output differs from its input
// Every failing case is saved as JSON under --save (default test/fuzz-cases), where
// test/fuzz.test.ts replays it. Exit status 1 when any case failed.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FAMILIES, ROOT, generate, setSamples, type Family, type FuzzCase } from './cases.js';
import type { WorkerReply } from './worker.js';

export type Verdict = 'clean' | 'crash' | 'hang' | 'escape' | 'loss';
export const VERDICTS: Verdict[] = ['clean', 'crash', 'hang', 'escape', 'loss'];

const SECRET = 'canary-7f3a9c-outside-the-root';
const WORKER = path.join(ROOT, 'dist/fuzz/worker.js');
const CLI = path.join(ROOT, 'bin/syscluster.js');

/** Lays out a case's folder: its files, root/, outside/canary and the planted links. */
function prepare(c: FuzzCase, base: string): string {
  const dir = fs.mkdtempSync(path.join(base, `${c.family}-`));
  fs.mkdirSync(path.join(dir, 'root'));
  fs.mkdirSync(path.join(dir, 'outside'));
  fs.writeFileSync(path.join(dir, 'outside/canary'), SECRET);
  for (const [name, data] of Object.entries(c.files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), Buffer.from(data, 'base64'));
  }
  for (const [name, target] of Object.entries(c.links ?? {})) fs.symlinkSync(target.replaceAll('@WORK', dir), path.join(dir, 'root', name));
  return dir;
}

function escaped(dir: string, stdout: string): string | undefined {
  const canary = fs.readFileSync(path.join(dir, 'outside/canary'), 'utf8');
  if (canary !== SECRET) return 'the canary outside the root was changed';
  const beside = fs.readdirSync(path.join(dir, 'outside'));
  if (beside.length !== 1) return `files appeared outside the root: ${beside.join(', ')}`;
  if (stdout.includes(SECRET)) return 'the guest read the canary outside the root';
  return undefined;
}

function lost(c: FuzzCase, dir: string, stdout: string, exitCode: number | undefined): string | undefined {
  if (!c.expectEqual) return undefined;
  if (exitCode !== 0) return `the copy failed with exit code ${exitCode}`;
  const [a, b] = c.expectEqual;
  const got = a === '@STDOUT' ? Buffer.from(stdout, 'latin1') : fs.readFileSync(path.join(dir, 'root', a));
  const want = fs.readFileSync(path.join(dir, 'root', b));
  return got.equals(want) ? undefined : `output of ${got.length} bytes differs from the input of ${want.length}`;
}

const STACK = /^\s+at .+[(:]\d+/m;

/** A worker process for guest cases, replaced when it hangs or dies. */
class Worker {
  private child: ChildProcess | undefined;
  private pending: ((r: WorkerReply | { died: string }) => void) | undefined;

  private start(): ChildProcess {
    const child = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: ['--max-old-space-size=2048', '--stack-size=2000'] });
    let err = '';
    child.stderr!.on('data', (d) => { err = (err + d).slice(-4000); });
    child.on('message', (m: WorkerReply) => {
      if (this.child !== child) return;
      const p = this.pending; this.pending = undefined; p?.(m);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // killed on purpose
      this.child = undefined;
      const p = this.pending; this.pending = undefined;
      p?.({ died: `worker died (${signal ?? `exit ${code}`}): ${err.trim().split('\n').slice(-3).join(' | ')}` });
    });
    return child;
  }

  run(c: FuzzCase, dir: string, timeoutMs: number): Promise<WorkerReply | { died: string } | { hang: true }> {
    const child = (this.child ??= this.start());
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.pending = undefined; this.kill(); resolve({ hang: true }); }, timeoutMs);
      this.pending = (r) => { clearTimeout(timer); resolve(r); };
      child.send({ id: 0, c, dir });
    });
  }

  kill(): void {
    const c = this.child;
    this.child = undefined;
    if (c?.pid) c.kill('SIGKILL');
  }
}

function runCli(c: FuzzCase, dir: string, timeoutMs: number): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string; hang: boolean }> {
  const args = (c.args ?? []).map((a) => a.replaceAll('@ROOT', path.join(dir, 'root')).replaceAll('@WORK', dir).replaceAll('@CANARY', path.join(dir, 'outside/canary')));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=2048', CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', hang = false;
    child.stdout.on('data', (d) => { if (stdout.length < 1 << 20) stdout += d.toString('latin1'); });
    child.stderr.on('data', (d) => { if (stderr.length < 1 << 20) stderr += d.toString('latin1'); });
    const timer = setTimeout(() => { hang = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr, hang }); });
  });
}

export interface CaseResult { verdict: Verdict; detail: string }

/** Runs one case and classifies it. */
export async function runCase(c: FuzzCase, base: string, worker: Worker, timeoutMs: number): Promise<CaseResult> {
  const dir = prepare(c, base);
  try {
    if (c.guest) {
      const r = await worker.run(c, dir, timeoutMs);
      if ('hang' in r) return { verdict: 'hang', detail: `no end within ${timeoutMs / 1000} s` };
      if ('died' in r) return { verdict: 'crash', detail: r.died };
      if (!r.ok) return { verdict: 'crash', detail: r.detail.split('\n').slice(0, 4).join(' | ') };
      const e = escaped(dir, r.stdout);
      if (e) return { verdict: 'escape', detail: e };
      const l = r.badInput ? undefined : lost(c, dir, r.stdout, r.exitCode);
      if (l) return { verdict: 'loss', detail: l };
      return { verdict: 'clean', detail: r.detail };
    }
    const r = await runCli(c, dir, timeoutMs);
    if (r.hang) return { verdict: 'hang', detail: `no end within ${timeoutMs / 1000} s` };
    const e = escaped(dir, r.stdout);
    if (e) return { verdict: 'escape', detail: e };
    const firstLines = r.stderr.trim().split('\n').slice(0, 3).join(' | ');
    if (r.signal) return { verdict: 'crash', detail: `killed by ${r.signal}: ${firstLines}` };
    if (r.status === 70 || STACK.test(r.stderr) || /FATAL ERROR|Aborted|core dumped/.test(r.stderr)) return { verdict: 'crash', detail: `exit ${r.status}: ${firstLines}` };
    return { verdict: 'clean', detail: `exit ${r.status}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export { Worker };

/** A real dump to mutate, made once with `syscluster trace`. */
async function makeSamples(base: string): Promise<void> {
  const out = path.join(base, 'sample.jsonl');
  await new Promise<void>((resolve) => {
    spawn(process.execPath, [CLI, 'trace', 'copy', 'in', 'out', '512', '--root', ROOT + '/guest', '--out', out], { stdio: 'ignore', cwd: base })
      .on('close', () => resolve());
  });
  setSamples(fs.existsSync(out) ? fs.readFileSync(out, 'utf8').split('\n').slice(0, 40).join('\n') + '\n' : '{}\n');
}

function parseArgs(argv: string[]) {
  const o = { seconds: 60, seed: 1, count: Infinity, jobs: os.availableParallelism(), save: path.join(ROOT, 'test/fuzz-cases'), timeout: 60, families: FAMILIES };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const num = () => { const n = Number(v); if (!Number.isFinite(n) || n < 0) throw new Error(`${k} ${v}: not a number`); i++; return n; };
    if (k === '--seconds') o.seconds = num();
    else if (k === '--seed') o.seed = Math.floor(num());
    else if (k === '--count') o.count = Math.floor(num());
    else if (k === '--jobs') o.jobs = Math.max(1, Math.floor(num()));
    else if (k === '--timeout') o.timeout = num();
    else if (k === '--save') { o.save = path.resolve(v); i++; }
    else if (k === '--families') { o.families = v.split(',') as Family[]; i++; }
    else throw new Error(`unknown option ${k} (--seconds N --seed S --jobs J --count N --timeout S --save DIR --families a,b)`);
  }
  return o;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-fuzz-'));
  await makeSamples(base);
  const deadline = Date.now() + o.seconds * 1000;
  const counts = Object.fromEntries(FAMILIES.map((f) => [f, Object.fromEntries(VERDICTS.map((v) => [v, 0]))])) as Record<Family, Record<Verdict, number>>;
  let next = 0, done = 0;
  const started = Date.now();
  const slot = async () => {
    const worker = new Worker();
    try {
      while (Date.now() < deadline && next < o.count) {
        const i = next++;
        const [c] = generate(o.seed, i, 1);
        if (!o.families.includes(c.family)) continue;
        let r = await runCase(c, base, worker, o.timeout * 1000);
        // A busy machine makes slow runs look hung: a hang counts once it repeats with three times the time.
        if (r.verdict === 'hang') r = await runCase(c, base, worker, 3 * o.timeout * 1000);
        counts[c.family][r.verdict]++;
        done++;
        if (done % 500 === 0) process.stdout.write(`fuzz: ${done} inputs after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        if (r.verdict !== 'clean') {
          fs.mkdirSync(o.save, { recursive: true });
          const id = createHash('sha256').update(JSON.stringify(c)).digest('hex').slice(0, 12);
          fs.writeFileSync(path.join(o.save, `${c.family}-${r.verdict}-${id}.json`), JSON.stringify({ seed: o.seed, index: i, verdict: r.verdict, detail: r.detail, case: c }, null, 1) + '\n');
          process.stdout.write(`${r.verdict}: #${i} ${c.family}: ${c.what.slice(0, 120)}: ${r.detail.slice(0, 300)}\n`);
        }
      }
    } finally {
      worker.kill();
    }
  };
  await Promise.all(Array.from({ length: o.jobs }, slot));
  fs.rmSync(base, { recursive: true, force: true });
  const total = (v: Verdict) => FAMILIES.reduce((s, f) => s + counts[f][v], 0);
  process.stdout.write(`\nfuzz: seed ${o.seed}, ${done} inputs in ${((Date.now() - started) / 1000).toFixed(0)} s on ${o.jobs} processes\n`);
  process.stdout.write(`${'family'.padEnd(8)}${VERDICTS.map((v) => v.padStart(8)).join('')}\n`);
  for (const f of FAMILIES) process.stdout.write(`${f.padEnd(8)}${VERDICTS.map((v) => String(counts[f][v]).padStart(8)).join('')}\n`);
  process.stdout.write(`${'total'.padEnd(8)}${VERDICTS.map((v) => String(total(v)).padStart(8)).join('')}\n`);
  const bad = VERDICTS.filter((v) => v !== 'clean').reduce((s, v) => s + total(v), 0);
  process.stdout.write(`${done} inputs: ${total('clean')} clean, ${total('crash')} crashes, ${total('hang')} hangs, ${total('escape')} escapes, ${total('loss')} losses\n`);
  process.exitCode = bad === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(ROOT, 'dist/fuzz/main.js')) {
  main().catch((err) => { process.stderr.write(`fuzz: ${(err as Error).message}\n`); process.exit(2); });
}
