// The scale targets (issue: traces of millions of crossings, big strace logs, start-up),
// each measured beside its reference in the same way (whole processes, alternated,
// medians), with its peak memory from /usr/bin/time.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticStrace } from './synthetic.js';

export interface ProcessTime { seconds: number; maxRssKiB: number; stdout: string }

/** One whole process, timed by /usr/bin/time (wall seconds and peak resident memory). */
export function timeProcess(argv: string[], shell = false): ProcessTime {
  const cmd = shell ? ['sh', '-c', argv.join(' ')] : argv;
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new Error('/usr/bin/time is needed for the scale targets (Debian package time)');
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  const [s, k] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: s, maxRssKiB: k, stdout: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs each command `repeat` times, alternating them; medians of time, highest memory. */
export function alternate(cmds: { argv: string[]; shell?: boolean; label?: string }[], repeat: number, progress: (s: string) => void): ProcessTime[] {
  const runs: ProcessTime[][] = cmds.map(() => []);
  for (let i = 0; i < repeat; i++) {
    cmds.forEach((c, j) => {
      progress(`${c.label ?? `${path.basename(c.argv[1] ?? c.argv[0])} ${c.argv.slice(2, 4).join(' ')}`} ${i + 1}/${repeat}`);
      runs[j].push(timeProcess(c.argv, c.shell));
    });
  }
  return runs.map((rs) => ({ seconds: median(rs.map((r) => r.seconds)), maxRssKiB: Math.max(...rs.map((r) => r.maxRssKiB)), stdout: rs[0].stdout }));
}

export interface Target {
  name: string;
  value: string;
  reference: string;
  target: string;
  met: boolean;
}

export interface ScaleOptions { crossings: number; logLines: number; repeat: number; cli: string; progress: (s: string) => void }

/** Every scale target, each beside its reference. Files go to a temporary folder, removed after. */
export function scaleTargets(o: ScaleOptions): Target[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syscluster-bench-'));
  const node = process.execPath, cli = o.cli;
  const out: Target[] = [];
  const mib = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
  try {
    const dump = path.join(dir, 'trace.jsonl');
    // Tracing against the same run untraced, whole processes, alternated.
    const [plain, traced] = alternate([
      { argv: [node, cli, 'run', 'getpid_loop', String(o.crossings)] },
      { argv: [node, cli, 'trace', 'getpid_loop', String(o.crossings), '--out', dump] },
    ], o.repeat, o.progress);
    const overhead = traced.seconds / plain.seconds;
    out.push({ name: `trace of ${o.crossings.toLocaleString('en-US')} crossings: peak memory`, value: mib(traced.maxRssKiB), reference: `untraced run ${mib(plain.maxRssKiB)}`, target: 'under 300 MiB', met: traced.maxRssKiB < 300 * 1024 });
    out.push({ name: 'tracing cost (trace / run, same guest)', value: `${traced.seconds.toFixed(1)} s`, reference: `untraced ${plain.seconds.toFixed(1)} s: ratio ${overhead.toFixed(2)}`, target: 'at most 2x', met: overhead <= 2 });
    const dumpBytes = fs.statSync(dump).size;
    // The stepper on that dump: the first screen, and `| head`, against bare Node's start.
    const [bare, first, head] = alternate([
      { argv: [node, '-e', '0'] },
      { argv: [node, cli, 'step', dump, '|', 'head', '-c', '1'], shell: true },
      { argv: [node, cli, 'step', dump, '|', 'head', '-1'], shell: true },
    ], o.repeat, o.progress);
    out.push({ name: `step on that dump (${(dumpBytes / 1048576).toFixed(0)} MiB): first screen`, value: `${first.seconds.toFixed(2)} s`, reference: `node -e 0 ${bare.seconds.toFixed(2)} s`, target: 'under 1 s', met: first.seconds < 1 });
    out.push({ name: 'step DUMP | head -1', value: `${head.seconds.toFixed(2)} s, ${mib(head.maxRssKiB)}`, reference: `node -e 0 ${bare.seconds.toFixed(2)} s`, target: 'under 1 s', met: head.seconds < 1 });
    fs.rmSync(dump);
    // profile on a strace log against a plain Node line counter on the same file.
    const log = path.join(dir, 'big.strace');
    o.progress('writing the strace log');
    writeSyntheticStrace(log, o.logLines, { pids: 4 });
    const counter = `const rl=require('readline').createInterface({input:require('fs').createReadStream(process.argv[1])});let n=0;rl.on('line',()=>n++);rl.on('close',()=>console.log(n))`;
    const [lines, prof, profArgs] = alternate([
      { argv: [node, '-e', counter, log] },
      { argv: [node, cli, 'profile', log] },
      { argv: [node, cli, 'profile', log, '--args', 'read:fd,write:fd,fstat:statbuf,lseek:offset'] },
    ], o.repeat, o.progress);
    const ratio = prof.seconds / lines.seconds;
    out.push({ name: `profile of a ${o.logLines.toLocaleString('en-US')}-line strace log (${(fs.statSync(log).size / 1048576).toFixed(0)} MiB)`, value: `${prof.seconds.toFixed(1)} s, ${mib(prof.maxRssKiB)}`, reference: `line counter ${lines.seconds.toFixed(1)} s: ratio ${ratio.toFixed(1)}`, target: 'at most 3x, under 300 MiB', met: ratio <= 3 && prof.maxRssKiB < 300 * 1024 });
    out.push({ name: 'the same with --args on many-valued arguments', value: `${profArgs.seconds.toFixed(1)} s, ${mib(profArgs.maxRssKiB)}`, reference: `without --args ${prof.seconds.toFixed(1)} s`, target: 'linear (about the same time)', met: profArgs.seconds <= 1.5 * prof.seconds });
    fs.rmSync(log);
    // Start-up of the commands that need no engine.
    const [n0, help, stepHelp, profHelp] = alternate([
      { argv: [node, '-e', '0'] }, { argv: [node, cli, '--help'] }, { argv: [node, cli, 'step', '--help'] }, { argv: [node, cli, 'profile', '--help'] },
    ], o.repeat, o.progress);
    for (const [name, t] of [['--help', help], ['step --help', stepHelp], ['profile --help', profHelp]] as const) {
      out.push({ name: `start-up: syscluster ${name}`, value: `${t.seconds.toFixed(2)} s`, reference: `node -e 0 ${n0.seconds.toFixed(2)} s: ratio ${(t.seconds / n0.seconds).toFixed(1)}`, target: 'at most 2x', met: t.seconds <= 2 * n0.seconds });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
