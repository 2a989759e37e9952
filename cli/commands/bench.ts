// syscluster bench: throughput and memory, each figure beside a reference measured in
// the same invocation, as a ratio.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { measure, middle, type Measurement } from '../../bench/workloads.js';
import { BadInput } from '../common.js';
import { scaleTargets, type Target } from '../../bench/targets.js';
import { BUSYBOX, haveBusybox, realPrograms, type RealResult } from '../../bench/real.js';

export const command = 'bench';
export const describe = 'Measure emulation and syscall throughput against raw Unicorn and qemu-i386';

export function builder(y: Argv) {
  return y.options({
    blocks: { type: 'number', default: 100_000, describe: 'inverse DCTs for the decoder-shaped emulation benchmark (decode_bench)' },
    iterations: { type: 'number', default: 30_000_000, describe: 'loop iterations for the worst-case emulation benchmark (spin: 14 instructions a block)' },
    syscalls: { type: 'number', default: 2_000_000, describe: 'getpid calls for the syscall benchmark' },
    repeat: { type: 'number', default: 5, describe: 'runs of each workload (the median is reported)' },
    scenario: { type: 'boolean', default: true, describe: 'also time `scenario all` against its 30-second target (--no-scenario to skip)' },
    scale: { type: 'boolean', default: true, describe: 'also measure the scale targets: trace, step, profile, start-up (--no-scale to skip)' },
    crossings: { type: 'number', default: 1_000_000, describe: 'crossings of the traced run for the scale targets (the issue\'s size: 10000000)' },
    'log-lines': { type: 'number', default: 1_000_000, describe: 'lines of the synthetic strace log for the profile target (the issue\'s size: 4000000)' },
    'real-programs': { type: 'boolean', default: true, describe: 'also run the real-program workload: Debian\'s busybox gzip and sha256sum against qemu-i386 (--no-real-programs to skip)' },
    real: { type: 'boolean', default: false, describe: 'run only the real-program workload' },
    'real-mib': { type: 'number', default: 10, describe: 'size of the real-program workload\'s generated input, in MiB' },
    json: { type: 'boolean', default: false, describe: 'print JSON for scripts' },
  }).example('$0 bench', 'the full benchmark: each workload --repeat times, the real programs against qemu-i386, then `scenario all` and the scale targets')
    .example('$0 bench --real --real-mib 2 --repeat 1', 'busybox gzip and sha256sum of a 2 MiB file against qemu-i386, once (docs/benchmarks.md: 10 MiB, three times)')
    .example('$0 bench --blocks 5000 --iterations 1000000 --syscalls 100000 --repeat 1 --no-scenario --no-scale --no-real-programs', 'a quick check: the throughput figures only, each run once');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

const cliMain = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.js');
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/syscluster.js');

function median(kind: string, name: string, args: string[], repeat: number, progress: (s: string) => void): Measurement {
  const runs: Measurement[] = [];
  for (let i = 0; i < repeat; i++) {
    progress(`${kind} ${name} ${i + 1}/${repeat}`);
    runs.push(measure(kind, name, args));
  }
  return middle(runs);
}

export function handler(a: Args): void {
  for (const [name, v, min] of [['repeat', a.repeat, 1], ['blocks', a.blocks, 1], ['iterations', a.iterations, 1], ['syscalls', a.syscalls, 1],
    ['crossings', a.crossings, 1], ['log-lines', a.logLines, 1], ['real-mib', a.realMib, 1]] as const) {
    if (!(Number.isSafeInteger(v) && v >= min)) throw new BadInput(`--${name} ${v}: expected a whole number from ${min}`);
  }
  if (a.real && !haveBusybox()) throw new BadInput(`--real: Debian's i386 busybox is missing (${BUSYBOX}): run ./setup.sh`);
  const tty = process.stderr.isTTY && !a.json;
  const progress = (s: string) => { if (tty) process.stderr.write(`\r\x1b[Kbench: ${s}`); };
  const real = (): RealResult[] | undefined => (haveBusybox() ? realPrograms({ mib: a.realMib, repeat: a.repeat, cli: CLI, progress }) : undefined);
  if (a.real) {
    const results = real()!;
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(a.json ? JSON.stringify({ real_programs: results }, null, 2) + '\n' : realLines(results).join('\n') + '\n');
    return;
  }
  const emulation = [['decode_bench', a.blocks], ['spin', a.iterations]].map(([name, n]) => {
    // Alternate the two so that a slow patch of the machine hits both alike.
    const raws: Measurement[] = [], ourss: Measurement[] = [];
    for (let i = 0; i < a.repeat; i++) {
      raws.push(median('raw', String(name), [String(n)], 1, (s) => progress(`${s} (${i + 1}/${a.repeat})`)));
      ourss.push(median('ours', String(name), [String(n)], 1, (s) => progress(`${s} (${i + 1}/${a.repeat})`)));
    }
    const raw = middle(raws), ours = middle(ourss);
    return { guest: String(name), instructions: ours.work, accounted_ips: ours.work / ours.seconds, raw_ips: ours.work / raw.seconds,
      ratio: raw.seconds / ours.seconds, target: 0.85, raw_kib: raw.maxRssKiB, accounted_kib: ours.maxRssKiB };
  });
  const loopArgs = [String(a.syscalls)];
  // Each pair alternated, both sides measured alike: in-process with loading left out
  // (syscluster and the empty-callback floor), whole processes less start-up (qemu-i386).
  const oursRuns: Measurement[] = [], floorRuns: Measurement[] = [], qemuRuns: Measurement[] = [];
  for (let i = 0; i < a.repeat; i++) {
    oursRuns.push(median('ours', 'getpid_loop', loopArgs, 1, (s) => progress(`${s} (${i + 1}/${a.repeat})`)));
    floorRuns.push(median('floor', 'getpid_loop', loopArgs, 1, (s) => progress(`${s} (${i + 1}/${a.repeat})`)));
    qemuRuns.push(median('qemu', 'getpid_loop', loopArgs, 1, (s) => progress(`${s} (${i + 1}/${a.repeat})`)));
  }
  const sys = middle(oursRuns), floor = middle(floorRuns), ref = middle(qemuRuns);
  const crossing = { ours_ns: (1e9 * sys.seconds) / sys.work, floor_ns: (1e9 * floor.seconds) / floor.work, ratio: (sys.seconds / sys.work) / (floor.seconds / floor.work), target: 1.5 };
  let scale: Target[] | undefined;
  if (a.scale) scale = scaleTargets({ crossings: a.crossings, logLines: a.logLines, repeat: a.repeat, cli: CLI, progress });
  const realResults = a.realPrograms ? real() : undefined;
  let scenarioAll: { seconds: number; target: number; threads: number } | undefined;
  if (a.scenario) {
    progress('scenario all');
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cliMain, 'scenario', 'all'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scenario all failed: ${r.stderr.trim().split('\n').pop()}`);
    scenarioAll = { seconds: Number(process.hrtime.bigint() - start) / 1e9, target: 30, threads: os.availableParallelism() };
  }
  if (tty) process.stderr.write('\r\x1b[K');
  const syscalls = { calls: sys.work, ours_per_s: sys.work / sys.seconds, qemu_per_s: ref.work / ref.seconds,
    ratio: (sys.work / sys.seconds) / (ref.work / ref.seconds), accounted_kib: sys.maxRssKiB };
  if (a.json) {
    process.stdout.write(JSON.stringify({ emulation, syscalls, crossing, scale, scenario_all: scenarioAll, real_programs: realResults }, null, 2) + '\n');
    return;
  }
  const M = (x: number) => `${(x / 1e6).toFixed(1)} M/s`;
  const verdict = (ratio: number, target: number) => (ratio >= target ? `meets the target ${target}` : `below the target ${target}`);
  const lines = ['emulation: accounted (instruction counting, kernel model) against raw Unicorn with no hooks'];
  for (const e of emulation) {
    lines.push(`  ${e.guest.padEnd(13)} ${e.instructions.toLocaleString('en-US').padStart(14)} instructions: accounted ${M(e.accounted_ips)}, raw ${M(e.raw_ips)}: ratio ${e.ratio.toFixed(2)} (${verdict(e.ratio, e.target)}); peak memory ${e.accounted_kib} KiB (raw ${e.raw_kib} KiB)`);
  }
  lines.push('a crossing: getpid in a loop under syscluster against the floor (the same guest, an interrupt hook calling an empty JavaScript function)');
  lines.push(`  ${syscalls.calls.toLocaleString('en-US')} calls: syscluster ${crossing.ours_ns.toFixed(0)} ns a crossing, floor ${crossing.floor_ns.toFixed(0)} ns: ratio ${crossing.ratio.toFixed(2)} (target: at most ${crossing.target}; ${crossing.ratio <= crossing.target ? 'met' : 'NOT met'}); peak memory ${syscalls.accounted_kib} KiB`);
  lines.push('for scale, not a target: qemu-i386 hands each getpid to the host\'s kernel (a real crossing on this machine), syscluster to its model');
  lines.push(`  syscluster ${M(syscalls.ours_per_s)}, qemu-i386 ${M(syscalls.qemu_per_s)} (whole process less its start-up): ratio ${syscalls.ratio.toFixed(2)}`);
  if (scale) {
    lines.push('scale targets (whole processes, alternated, medians; peak memory by /usr/bin/time)');
    for (const t of scale) lines.push(`  ${t.name}: ${t.value}; reference: ${t.reference}; target: ${t.target}; ${t.met ? 'met' : 'NOT met'}`);
  }
  if (scenarioAll) {
    lines.push(`scenario all: ${scenarioAll.seconds.toFixed(1)} s on ${scenarioAll.threads} cores (target: under ${scenarioAll.target} s; ${scenarioAll.seconds < scenarioAll.target ? 'met' : 'NOT met'})`);
  }
  if (realResults) lines.push(...realLines(realResults));
  else if (a.realPrograms) lines.push(`real programs: skipped (Debian's i386 busybox is missing: run ./setup.sh)`);
  process.stdout.write(lines.join('\n') + '\n');
}

function realLines(results: RealResult[]): string[] {
  const mib = (k: number) => `${(k / 1024).toFixed(0)} MiB`;
  const lines = ['real programs: Debian\'s static busybox on a generated input, output identical (SHA-256) under qemu-i386 and syscluster'];
  for (const r of results) {
    lines.push(`  busybox ${r.applet} of ${r.inputMiB} MiB (${r.outputBytes.toLocaleString('en-US')} bytes out, ${r.instructions.toLocaleString('en-US')} instructions, ${r.calls} calls):`);
    lines.push(`    accounted ${r.accountedSeconds.toFixed(2)} s, raw Unicorn with the kernel model ${r.rawSeconds.toFixed(2)} s (in-process, loading left out): ratio ${r.ratio.toFixed(2)}; peak memory ${mib(r.accountedKiB)} (raw ${mib(r.rawKiB)})`);
    lines.push(`    syscluster run ${r.oursSeconds.toFixed(2)} s, ${mib(r.oursKiB)}; qemu-i386 ${r.qemuSeconds.toFixed(2)} s, ${mib(r.qemuKiB)} (whole processes): ${r.qemuRatio.toFixed(1)} times qemu-i386's time`);
    if (r.oneMiBKiB !== undefined) lines.push(`    memory in the input's size: accounted peak ${mib(r.oneMiBKiB)} on 1 MiB, ${mib(r.accountedKiB)} on ${r.inputMiB} MiB`);
  }
  return lines;
}
