// The mechanisms scenario (docs/mechanisms.md): three workloads (the copy program over the
// block sizes of Figure 8, the mpeg-style player, a getpid and a gettimeofday loop) under
// every way into the kernel the model has: int 0x80, sysenter, the vDSO for time, the
// multi-call, a specialized call, a looped call, io_uring batched at depth 8 and 32, io_uring
// with SQPOLL, and exception-less calls. Each run is checked to behave exactly as the plain
// int 0x80 run of the same workload; where a mechanism does not apply, the cell says why.
import { resolveProfile, type EntryPath, type PlatformProfile } from '../kernel-model/cost.js';
import { BLOCK_SIZES, SWEEP_FILE, behaviourDiffers } from './copy.js';
import { TABLE3_FIT } from './fit.js';
import type { Job, JobResult } from './jobs.js';
import { calibratedTo, ours, type Cell, type Provenance, type ScenarioResult, type Table } from './report.js';
import { barChart, lineChart } from './svg.js';

export const MECHANISMS = [
  { key: 'int80', label: 'int 0x80' },
  { key: 'sysenter', label: 'sysenter' },
  { key: 'vdso', label: 'vDSO (time calls)' },
  { key: 'multicall', label: 'multi-call' },
  { key: 'specialized', label: 'specialized call' },
  { key: 'looped', label: 'looped call' },
  { key: 'uring8', label: 'io_uring, depth 8' },
  { key: 'uring32', label: 'io_uring, depth 32' },
  { key: 'sqpoll', label: 'io_uring SQPOLL' },
  { key: 'flexsc', label: 'exception-less' },
] as const;
export type MechanismKey = typeof MECHANISMS[number]['key'];

/** How big the runs are. The default is what `scenario mechanisms` runs; tests use a smaller one. */
export interface MechanismsSize { copyBytes: number; blocks: number[]; loopCalls: number; mpeg: { bytes: number; frames: number } }
export const DEFAULT_SIZE: MechanismsSize = {
  copyBytes: SWEEP_FILE.bytes, blocks: BLOCK_SIZES, loopCalls: 10_000, mpeg: { bytes: 1 << 20, frames: 300 },
};
const FPS = 30;
/** copy_uring's buffer (guest/runtime/copyprog.h): a round of depth blocks must fit it. */
const URING_BUFFER = 65536;
/** Blocks in flight per round for SQPOLL and exception-less copies. */
const COPY_DEPTH = 8;

type Run = Pick<Job, 'guest' | 'args' | 'personality' | 'vdso'> & { path?: EntryPath };
/** A run, or why the mechanism does not apply: `na` short for the cell, `why` for the notes. */
type Plan = Run | { na: string; why: string };

interface Workload {
  key: 'copy' | 'loop' | 'mpeg';
  title: string;
  /** The columns: block sizes, loop calls, or the one stream. */
  points: { key: string; label: string }[];
  inputs: Job['inputs'];
  plan(m: MechanismKey, point: string, p: PlatformProfile): Plan;
}

const modern = (guest: string, args: string[], vdso?: boolean): Run => ({ guest, args, personality: 'modern', ...(vdso ? { vdso } : {}) });
const oneCore = (p: PlatformProfile) => ({ na: 'one core', why: `${p.name} models a machine with one core (its profile has no flexsc figures): nothing to run SQPOLL's thread or the exception-less worker on` });

/** sysenter and exception-less need figures the profile may not have; the rest run anywhere. */
function common(m: MechanismKey, guest: string, args: string[], p: PlatformProfile): Plan | undefined {
  if (m === 'int80') return { guest, args };
  if (m === 'sysenter') return p.entry_paths ? { guest, args, path: 'sysenter' } : { na: 'no sysenter costs', why: `${p.name} gives no entry-path figures (its kernel entered by int 0x80 only)` };
  return undefined;
}

function workloads(size: MechanismsSize): Workload[] {
  const copy: Workload = {
    key: 'copy', title: `copy of ${size.copyBytes.toLocaleString('en-US')} bytes`,
    points: size.blocks.map((b) => ({ key: String(b), label: String(b) })),
    inputs: { '/in': { kind: 'random', bytes: size.copyBytes } },
    plan(m, point, p) {
      const args = ['/in', '/out', point], block = Number(point);
      const uring = (depth: number, ...more: string[]): Plan => depth * block > URING_BUFFER
        ? { na: '> 64 KiB a round', why: 'copy_uring keeps depth x block bytes in flight in a 64 KiB buffer (guest/runtime/copyprog.h)' }
        : modern('copy_uring', [...args, String(depth), ...more]);
      switch (m) {
        case 'vdso': return { na: 'no time calls', why: 'the copy makes no time calls, the only calls the vDSO answers' };
        case 'multicall': return { guest: 'copy_multicall', args };
        case 'specialized': return { guest: 'copy_write_read', args };
        case 'looped': return { guest: 'copy_looped', args };
        case 'uring8': return uring(8);
        case 'uring32': return uring(32);
        case 'sqpoll': return p.flexsc ? uring(COPY_DEPTH, 'sqpoll') : oneCore(p);
        case 'flexsc': return p.flexsc ? modern('copy_flexsc', [...args, String(COPY_DEPTH)]) : oneCore(p);
        default: return common(m, 'copy', args, p)!;
      }
    },
  };
  const loop: Workload = {
    key: 'loop', title: `${size.loopCalls.toLocaleString('en-US')} calls in a loop`,
    points: [{ key: 'getpid', label: 'getpid' }, { key: 'gettimeofday', label: 'gettimeofday' }],
    inputs: {},
    plan(m, point, p) {
      const n = String(size.loopCalls), guest = `${point}_loop`;
      switch (m) {
        case 'vdso': return point === 'getpid' ? { na: 'no vDSO getpid', why: 'the vDSO answers time calls only; getpid always enters the kernel' } : modern(guest, [n, 'vdso'], true);
        case 'multicall': return { guest: 'multicall_loop', args: [n, point] };
        case 'specialized': case 'looped': return { na: 'not built', why: 'no specialized or looped call is defined for a run of getpid or gettimeofday calls (specialized/builtin.json)' };
        case 'uring8': case 'uring32': case 'sqpoll': return { na: 'no opcode', why: 'io_uring has no opcode for getpid or gettimeofday' };
        case 'flexsc': return p.flexsc ? modern('flexsc_loop', [n, point]) : oneCore(p);
        default: return common(m, guest, [n], p)!;
      }
    },
  };
  const mpeg: Workload = {
    key: 'mpeg', title: `mpeg-style player, ${size.mpeg.frames} frames at ${FPS} fps`,
    points: [{ key: 'stream', label: `${(size.mpeg.bytes / 1048576).toFixed(2)} MiB stream` }],
    inputs: { '/stream.mpg': { kind: 'mpeg', bytes: size.mpeg.bytes, frames: size.mpeg.frames, seed: 7 } },
    plan(m, _point, p) {
      const args = ['/stream.mpg', String(FPS)];
      switch (m) {
        case 'vdso': return { na: 'not built', why: 'the player makes its gettimeofday by int 0x80; it has no vDSO build' };
        case 'multicall': return { na: 'not built', why: 'the player has no multi-call build (its clustered build uses the specialized select_time)' };
        case 'specialized': return { guest: 'mpeg_play_clustered', args };
        case 'looped': return { na: 'not built', why: 'the player\'s calls differ from frame to frame\'s deadline: no looped call fits' };
        case 'uring8': case 'uring32': case 'sqpoll': return { na: 'no opcode', why: 'the model\'s io_uring has no opcode for select (nor gettimeofday)' };
        case 'flexsc': return { na: 'sleeps', why: 'the player sleeps in select each frame, and the exception-less worker gives a call that would sleep back (EAGAIN)' };
        default: return common(m, 'mpeg_play', args, p)!;
      }
    },
  };
  return [copy, loop, mpeg];
}

const jobId = (p: string, w: string, point: string, m: string) => `mechanisms/${p}/${w}/${point}/${m}`;

/** The profile a run is charged by: the int 0x80 path, or sysenter, with the profile's own mitigations. */
function onPath(p: PlatformProfile, path: EntryPath): PlatformProfile {
  if (!p.entry_paths) return p;
  return { ...resolveProfile(p, { path, pti: p.mitigations?.pti, spectre_v2: p.mitigations?.spectre_v2 }), name: p.name };
}

export function mechanismsJobs(p: PlatformProfile, size: MechanismsSize = DEFAULT_SIZE): Job[] {
  return workloads(size).flatMap((w) => w.points.flatMap((pt) => MECHANISMS.flatMap(({ key }) => {
    const plan = w.plan(key, pt.key, p);
    if ('na' in plan) return [];
    const { path, ...run } = plan;
    return [{ id: jobId(p.name, w.key, pt.key, key), ...run, profile: onPath(p, path ?? 'int80'), inputs: w.inputs }];
  })));
}

/** What a mechanism's label says of its figures: the exception-less costs are assumed where the profile says so. */
function labelOf(m: (typeof MECHANISMS)[number], p: PlatformProfile): string {
  if (m.key !== 'flexsc') return m.label;
  const assumed = ['flexsc.worker_entry_cycles', 'flexsc.line_transfer_cycles'].some((f) => p.sources?.[f]?.startsWith('assumed'));
  return assumed ? `${m.label} (assumed costs)` : m.label;
}

const pct = (base: number, v: number) => (100 * (base - v)) / base;
/** Kernel work a run left to a second core (io_uring's SQPOLL thread, the exception-less worker). */
const secondCore = (r: JobResult) => (r.ledger as { sqpoll_core_cycles?: number }).sqpoll_core_cycles ?? 0;

export function mechanismsResult(p: PlatformProfile, results: Map<string, JobResult>, size: MechanismsSize = DEFAULT_SIZE): ScenarioResult {
  const checks: ScenarioResult['checks'] = [];
  const tables: Table[] = [];
  const charts: Record<string, string> = {};
  // Table 3's fit (scenarios/fit.ts) used these runs on the laptop: int 0x80, write_read and looped at 4096.
  const fitVariant: Partial<Record<MechanismKey, string>> = { int80: 'original', specialized: 'write_read', looped: 'looped' };
  const fittedCell = (w: Workload, point: string, m: MechanismKey) => w.key === 'copy' && calibratedTo(p.name, 'table3')
    && Number(point) === TABLE3_FIT.block && size.copyBytes === SWEEP_FILE.bytes && TABLE3_FIT.variants.includes(fitVariant[m] ?? '');

  for (const w of workloads(size)) {
    const get = (point: string, m: MechanismKey) => results.get(jobId(p.name, w.key, point, m));
    for (const pt of w.points) {
      const base = get(pt.key, 'int80')!;
      checks.push(baseCheck(w, pt.key, base, size));
      for (const m of MECHANISMS.slice(1)) {
        const r = get(pt.key, m.key);
        if (!r) continue;
        const why = behaviourDiffers(base, r);
        checks.push({ name: `${w.key} ${pt.label}: ${m.label} behaves like int 0x80`, ok: !why, detail: why });
      }
    }
    const cell = (pt: string, m: MechanismKey, value: (r: JobResult, pt: string) => number): Cell => {
      const r = get(pt, m);
      if (r) return value(r, pt);
      const plan = w.plan(m, pt, p);
      return 'na' in plan ? `n/a: ${plan.na}` : null;
    };
    const grid = (id: string, what: string, value: (r: JobResult, pt: string) => number, fitted: boolean): Table => ({
      id: `${w.key}-${id}`,
      title: `${w.title}: ${what} (${p.name})`,
      columns: ['mechanism', ...w.points.map((pt) => pt.label)],
      rows: MECHANISMS.map((m) => [labelOf(m, p), ...w.points.map((pt) => cell(pt.key, m.key, value))]),
      provenance: MECHANISMS.map((m) => [null, ...w.points.map((pt): Provenance | null =>
        (get(pt.key, m.key) ? ours(fitted && fittedCell(w, pt.key, m.key)) : null))]),
    });
    const cycles = grid('cycles', 'cycles on the program\'s core', (r) => r.ledger.cycles.total, true);
    // Each column against its own int 0x80 run.
    const saved = grid('saved', 'cycles saved against int 0x80, percent', (r, pt) => pct(get(pt, 'int80')!.ledger.cycles.total, r.ledger.cycles.total), true);
    const crossings = grid('crossings', 'crossings', (r) => r.ledger.crossings, false);
    const second = grid('second-core', 'cycles on a second core (io_uring\'s SQPOLL thread, the exception-less worker)', secondCore, false);
    // What the machine saves in all: the program's core and the second core together.
    const both = grid('both-cores', 'cycles saved against int 0x80 counting the second core too, percent',
      (r, pt) => pct(get(pt, 'int80')!.ledger.cycles.total, r.ledger.cycles.total + secondCore(r)), false);
    cycles.notes = notesFor(w, p, results, size);
    tables.push(cycles, saved, crossings);
    if (second.rows.some((r) => r.slice(1).some((c) => typeof c === 'number' && c > 0))) tables.push(second, both);
    charts[`mechanisms-${w.key}-${p.name}.svg`] = chartFor(w, p, get);
  }
  return { scenario: 'mechanisms', platform: p.name, tables, checks, charts };
}

/** The plain int 0x80 run does what the workload should: the check every other run is held to. */
function baseCheck(w: Workload, point: string, r: JobResult, size: MechanismsSize): ScenarioResult['checks'][number] {
  if (w.key === 'copy') {
    return { name: `copy block ${point}: int 0x80 copies its input byte for byte`, ok: r.exitCode === 0 && r.files['/out']?.sha256 === r.files['/in']?.sha256, detail: r.stderr };
  }
  if (w.key === 'loop') {
    const ok = r.exitCode === 0 && (point === 'getpid' ? r.stdout === '' : r.stdout === `${size.loopCalls} gettimeofday calls\n`);
    return { name: `loop ${point}: int 0x80 makes its ${size.loopCalls} calls`, ok, detail: r.stderr || r.stdout };
  }
  const frames = Number(/frames (\d+)/.exec(r.stdout)?.[1] ?? 0);
  return { name: `mpeg: int 0x80 plays all ${size.mpeg.frames} frames`, ok: r.exitCode === 0 && frames === size.mpeg.frames, detail: r.stderr };
}

/** Where each mechanism wins on this workload and why, from the runs; and what is fitted. */
function notesFor(w: Workload, p: PlatformProfile, results: Map<string, JobResult>, size: MechanismsSize): string[] {
  const get = (point: string, m: MechanismKey) => results.get(jobId(p.name, w.key, point, m));
  const notes: string[] = [];
  for (const pt of w.points) {
    const base = get(pt.key, 'int80')!;
    const ran = MECHANISMS.filter((m) => get(pt.key, m.key));
    const best = ran.reduce((a, b) => (get(pt.key, b.key)!.ledger.cycles.total < get(pt.key, a.key)!.ledger.cycles.total ? b : a));
    const r = get(pt.key, best.key)!;
    const offload = secondCore(r);
    if (ran.length === 1) {
      notes.push(`${pt.label}: only int 0x80 runs here`);
      continue;
    }
    const both = pct(base.ledger.cycles.total, r.ledger.cycles.total + offload);
    notes.push(`${pt.label}: cheapest on the program's core is ${best.label}, ${pct(base.ledger.cycles.total, r.ledger.cycles.total).toFixed(1)}% under int 0x80, with ${r.ledger.crossings} crossings against ${base.ledger.crossings}`
      + (offload ? `; it leaves ${offload.toLocaleString('en-US')} cycles to a second core, and counting both cores it is ${Math.abs(both).toFixed(1)}% ${both >= 0 ? 'under' : 'over'} int 0x80` : ''));
  }
  const na = new Map<string, string>();
  for (const pt of w.points) {
    for (const m of MECHANISMS) {
      const plan = w.plan(m.key, pt.key, p);
      if ('na' in plan) na.set(`n/a: ${plan.na}`, plan.why);
    }
  }
  for (const [cell, why] of na) notes.push(`"${cell}": ${why}`);
  notes.push('why: sysenter makes the same crossings at a lower price each; the multi-call, specialized and looped calls make the same calls in fewer crossings; io_uring batches a round of reads or writes into one io_uring_enter, at a per-entry cost; SQPOLL and exception-less calls move the calls themselves to a second core, so the program\'s core pays only for posting entries, waiting and fetching results; the vDSO reads the clock without entering the kernel at all');
  if (w.key === 'copy') notes.push(`io_uring and exception-less copies keep ${COPY_DEPTH} blocks (32 for depth 32) in flight a round; io_uring's READ and WRITE at an offset run as pread64 and pwrite64, priced as read and write`);
  if (w.key === 'mpeg') notes.push('the player sleeps to each frame\'s deadline: what a mechanism saves is a small share of a frame\'s decode work (see scenario mpeg)');
  if (calibratedTo(p.name, 'table3') && w.key === 'copy' && size.copyBytes === SWEEP_FILE.bytes) {
    notes.push(`fitted: on ${p.name} the int 0x80, specialized (write_read) and looped cycles at block ${TABLE3_FIT.block} are runs Table 3's fit used (marked); every other figure is the model's prediction`);
  }
  if (p.entry_paths) notes.push('the crossing figures come from the profile\'s sources (int 0x80 assumed, sysenter fitted to published getppid round trips, mitigations measured by others): see docs/mechanisms.md');
  if (p.flexsc) notes.push('exception-less: the worker\'s per-entry cost and the cache-line transfer are assumed (the profile\'s sources flexsc.*), not measured');
  else if (w.key === 'copy') notes.push(`io_uring on ${p.name} is a what-if: its kernel had none`);
  return notes;
}

function chartFor(w: Workload, p: PlatformProfile, get: (point: string, m: MechanismKey) => JobResult | undefined): string {
  if (w.points.length > 2) {
    const series = MECHANISMS.filter((m) => w.points.some((pt) => get(pt.key, m.key)))
      .map((m) => ({ label: labelOf(m, p), ys: w.points.map((pt) => { const r = get(pt.key, m.key); return r ? r.ledger.cycles.total / 1e6 : null; }) }));
    return lineChart({ title: `${w.title}: cycles by mechanism (${p.name})`, xLabel: 'block size (bytes)', yLabel: 'million cycles on the program\'s core', xs: w.points.map((pt) => Number(pt.key)), series });
  }
  const bars = w.points.flatMap((pt) => MECHANISMS.map((m) => {
    const r = get(pt.key, m.key), plan = w.plan(m.key, pt.key, p);
    return { label: w.points.length > 1 ? `${pt.label}: ${labelOf(m, p)}` : labelOf(m, p), value: r ? r.ledger.cycles.total : null, missing: 'na' in plan ? `n/a: ${plan.na}` : undefined };
  }));
  return barChart({ title: `${w.title}: cycles by mechanism (${p.name})`, xLabel: 'cycles on the program\'s core', bars });
}
