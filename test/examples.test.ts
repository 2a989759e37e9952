// Every example works: each `npx syscluster ...` line of a fenced block (or whole in a
// line of text) in README.md,
// docs/*.md and labs/*.md, and each `$0 ...` example of every command's --help, run in a
// fresh temporary directory with the inputs it needs made here. The lines of one page run
// in order in one directory (a page traces, then steps the dump); two pages at a time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, tmpdir } from './helpers.js';

/** Pages whose commands another test runs, or that cannot run here, and why (printed). */
const SKIP_PAGES: Record<string, string> = {
  'docs/writing-guests.md': 'run command by command by test/guestkit.test.ts',
  'docs/benchmarks.md': 'timings of bench, qemu-i386 and /usr/bin/time, minutes long; bench --help\'s quick check runs below',
};

/** Commands not run, and why (printed). Matched as substrings. */
const SKIP_COMMANDS: Record<string, string> = {
  '--gdb': 'waits for a debugger to attach',
  'scenario all': 'every experiment: minutes; scenario control, copy and mpeg run on their own',
  'bench': 'minutes of benchmarks; its quick check runs',
  'my-static-i386-binary': 'stands for the reader\'s own program',
  './a.out': 'stands for the reader\'s own program',
  '/path/to/': 'stands for the reader\'s own program',
  'view results': 'needs the folder of scenario all',
  'show.c': 'docs/writing-guests.md\'s program, built and run by test/guestkit.test.ts',
  'show_fast.c': 'docs/writing-guests.md\'s program, built and run by test/guestkit.test.ts',
  './show ': 'docs/writing-guests.md\'s program, built and run by test/guestkit.test.ts',
  'mycopy': 'the student\'s own program (lab 3)',
};
const QUICK_BENCH = '--no-scenario --no-scale';

/** What a page's commands need in their directory, made before the first command (bash). */
const SETUP: Record<string, string> = {
  common: [
    'ln -s "$ROOT/.cache" .cache', 'ln -s "$ROOT/test" test', 'cp "$ROOT/README.md" README.md',
    'seq 1 20000 > in.txt', 'cp in.txt in', 'head -c 65536 in.txt > in.bin', 'seq 1 3000 > numbers.txt',
    'mkdir -p dev && : > dev/null',
    'printf \'read(3, "ab", 2) = 2\\nwrite(1, "ab", 2) = 2\\nread(3, "", 2) = 0\\n\' > my-program.strace',
    'cp my-program.strace dd.strace', 'cp my-program.strace tar.strace', 'cp my-program.strace trace.101', 'cp my-program.strace trace.102',
    ': > dev/display', 'mkdir -p work && cp in.txt work/in.txt',
    'node -e "import(process.env.ROOT + \'/dist/scenarios/inputs.js\').then((m) => require(\'fs\').writeFileSync(\'s.mpg\', m.mpegStream(60000, 20, 7)))"',
    'node "$ROOT/bin/syscluster.js" trace copy in.txt out.txt --out copy.jsonl > /dev/null',
  ].join(' && '),
  // The dumps the help examples read, as the examples before them make them.
  'step --help': 'node "$ROOT/bin/syscluster.js" trace procs pipe --out procs.jsonl > /dev/null',
  'cc --help': 'node "$ROOT/bin/syscluster.js" profile copy.jsonl --emit-specialized defs.json > /dev/null',
  'cluster --help': 'node "$ROOT/bin/syscluster.js" trace mpeg_play s.mpg 30 --out mpeg.jsonl > /dev/null',
};

/** Placeholders the pages use, and what stands in for them here. */
const PLACEHOLDERS: [RegExp, string][] = [[/\bBLOCK\b/g, '512'], [/\bLINES\b/g, '3000'], [/seed-N\b/g, 'seed-7'], [/--seed N\b/g, '--seed 7'], [/\blab NAME\b/g, 'lab copy-blocks']];

/** A command and the exit code its page documents (`# exits N`), 0 when none. */
interface Example { where: string; command: string; expect?: number; shell?: boolean }

/** The syscluster command lines of a page's fenced blocks, comments removed. */
function pageCommands(file: string): Example[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const out: Example[] = [];
  let fenced = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) { fenced = !fenced; return; }
    if (!fenced) {
      // in running text: `npx syscluster ...` whole within one line
      for (const m of line.matchAll(/`npx syscluster ([^`]*)`/g)) {
        if (!m[1].includes('...')) out.push({ where: `${file}:${i + 1}`, command: m[1].trim() });
      }
      return;
    }
    const shell = /^\s*(?:\$ )?((?:mkdir|seq|touch|printf) .*)$/.exec(line);
    if (shell) { out.push({ where: `${file}:${i + 1}`, command: shell[1], shell: true }); return; }
    const m = /^\s*(?:\$ )?(?:npx syscluster|node bin\/syscluster\.js) (.*)$/.exec(line);
    if (m) out.push({ where: `${file}:${i + 1}`, command: m[1].replace(/\s+#\s.*$/, '').trim(), expect: Number(/#\s*exits (\d+)/.exec(m[1])?.[1] ?? 0) });
  });
  return out;
}

/** The `$0 ...` examples of a command's --help, as its module declares them. */
function helpExamples(command: string): Example[] {
  const source = fs.readFileSync(path.join(ROOT, 'cli/commands', `${command}.ts`), 'utf8');
  const list = [...source.matchAll(/\.example\('\$0 ((?:[^'\\]|\\.)*)'/g)].map((m) => m[1].replace(/\\'/g, "'"));
  return list.map((c) => ({ where: `syscluster ${command} --help`, command: c }));
}

function skipReason(e: Example): string | undefined {
  if (e.command.startsWith('bench') && e.command.includes(QUICK_BENCH)) return undefined;
  for (const [k, why] of Object.entries(SKIP_COMMANDS)) if (e.command.includes(k)) return why;
  return undefined;
}

function sh(script: string, cwd: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', script], { cwd, env: { ...process.env, ROOT, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { if (out.length < 4000) out += d; });
    p.stderr.on('data', (d) => { if (out.length < 4000) out += d; });
    p.on('close', (status) => resolve({ status, out }));
  });
}

/** A page's commands in order in one fresh directory; the failures, one line each. */
async function runGroup(name: string, examples: Example[]): Promise<string[]> {
  const dir = tmpdir('syscluster-example-');
  const failures: string[] = [];
  const setup = await sh([SETUP.common, SETUP[name]].filter(Boolean).join(' && '), dir);
  if (setup.status !== 0) return [`${name}: setup failed: ${setup.out.trim()}`];
  for (const e of examples) {
    let command = e.command;
    for (const [re, v] of PLACEHOLDERS) command = command.replace(re, v);
    const r = await sh(e.shell ? command : `node "$ROOT/bin/syscluster.js" ${command}`, dir);
    const expected = e.expect ?? 0;
    if (r.status !== expected) failures.push(`${e.where}: ${e.shell ? '' : 'syscluster '}${command}: exit ${r.status}: ${r.out.trim().split('\n').slice(-2).join(' | ')}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return failures;
}

const pages = ['README.md', ...['docs', 'labs'].flatMap((d) => fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith('.md')).map((f) => `${d}/${f}`))].sort();
const COMMANDS = ['run', 'trace', 'step', 'profile', 'whatif', 'analyze', 'cluster', 'scenario', 'syscalls', 'bench', 'cc', 'lab', 'view'];

const examples = suite('every example works');

examples('every command of the pages and of --help exits 0 (or its documented code)', async () => {
  const groups: [string, Example[]][] = [];
  const skipped: string[] = [];
  for (const p of pages) {
    if (SKIP_PAGES[p]) { skipped.push(`${p}: ${SKIP_PAGES[p]}`); continue; }
    groups.push([p, pageCommands(p)]);
  }
  for (const c of COMMANDS) groups.push([`${c} --help`, helpExamples(c)]);
  const runnable = groups.map(([name, list]) => [name, list.filter((e) => {
    const why = skipReason(e);
    if (why) skipped.push(`${e.where}: syscluster ${e.command}: not run: ${why}`);
    return !why;
  })] as [string, Example[]]);
  const total = runnable.reduce((n, [, l]) => n + l.filter((e) => !e.shell).length, 0);
  assert.ok(total > 80, `commands found: ${total}`);
  for (const s of skipped) console.log(`  skipped ${s}`);
  // Two at a time: the machine has two processors.
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < runnable.length) {
      const [name, list] = runnable[next++];
      failures.push(...await runGroup(name, list));
    }
  };
  await Promise.all([worker(), worker()]);
  assert.equal(failures, [], `${failures.length} of ${total} examples failed:\n${failures.join('\n')}`);
});

examples.run();
