// syscluster profile <dump | strace log>...: the syscall graph and what is worth clustering.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { analyzeBinary } from '../../analysis/index.js';
import type { Region } from '../../analysis/regions.js';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { InputError, streamEvents, type CallEvent, type EventLog, type SourceSummary } from '../../profiler/events.js';
import { ProfileInputError, SyscallGraph, ValueCounter, edgeList, frequentSequences, parseArgSelection, profileSink, rankCandidates } from '../../profiler/graph.js';
import { graphDot, graphSvg } from '../../view/graph-draw.js';
import type { TraceHeader } from '../../trace/dump.js';
import { specializedFromProfile } from '../../profiler/specialize.js';
import { BadInput, hostError, platform, writeOutput } from '../common.js';

export const command = 'profile <files..>';
export const describe = 'Build the syscall graph (paper Figure 4) from dumps or strace logs, and rank clusters by savings';

export function builder(y: Argv) {
  return y
    .positional('files', { type: 'string', array: true, demandOption: true, default: undefined, describe: 'syscluster dumps (.jsonl) or strace logs (plain, -f, -ff files, -t/-tt/-ttt/-r, -T, -y/-yy), including syscluster run --strace-out files (their first line, the banner, is skipped)' })
    .options({
      args: { type: 'string', array: true, default: [], describe: 'arguments that make part of a node, CALL:ARG (e.g. read:fd)' },
      platform: { type: 'string', default: 'p2-266', describe: 'the platform on which savings are estimated' },
      top: { type: 'number', default: 10, describe: 'how many rows of each list' },
      'max-length': { type: 'number', default: 4, describe: 'the longest sequence looked for (2 to 16)' },
      json: { type: 'boolean', default: false, describe: 'print JSON for scripts' },
      dot: { type: 'string', describe: 'write the graph as Graphviz DOT to this file' },
      svg: { type: 'string', describe: 'write the graph as SVG to this file' },
      'emit-specialized': { type: 'string', describe: 'write specialized-call definitions for the best clusters (for --specialized); keeps the calls in memory' },
    })
    .example('$0 profile dd.strace --args read:fd,write:fd', 'the read/write edge of a real program, per descriptor')
    .example('$0 profile trace.* --svg graph.svg', 'the files of strace -ff, drawn')
    .example('$0 profile copy.jsonl --emit-specialized defs.json', 'then: syscluster run --specialized defs.json ...');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

/** Opens an input file, or bad input. */
export function openInput(f: string): number {
  try {
    const fd = fs.openSync(f, 'r');
    if (fs.fstatSync(fd).isDirectory()) { fs.closeSync(fd); throw Object.assign(new Error(), { code: 'EISDIR' }); }
    return fd;
  } catch (err) {
    throw new BadInput(`${f}: cannot read (${hostError(err)})`);
  }
}

/** Streams each file's calls to `onCall(fileIndex)`; bad input becomes one line. */
export function streamFiles(files: string[], onCall: (fileIndex: number) => (e: CallEvent) => void, onHeader?: (h: TraceHeader) => void): SourceSummary[] {
  return files.map((f, i) => {
    const fd = openInput(f);
    try {
      return streamEvents(fd, f, onCall(i), onHeader);
    } catch (err) {
      if (err instanceof InputError || err instanceof ProfileInputError) throw new BadInput(err.message);
      throw err;
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** What the binary says of a candidate: clusterable, after which transformations, or never. */
function verdictOf(regions: Region[], calls: string[], looped: boolean): string {
  const pairs = calls.slice(1).map((c, i) => regions.filter((r) => r.kind !== 'loop' && r.calls[0] === calls[i] && r.calls[1] === c));
  if (looped) {
    const loop = regions.find((r) => r.kind === 'loop' && [...r.calls].sort().join() === [...calls].sort().join());
    if (!loop) return 'no such loop in the code';
    return loop.never ? 'never' : loop.after.length ? `after ${loop.after.join(' + ')}` : 'clusterable';
  }
  if (pairs.some((p) => !p.length)) return 'not consecutive in the code';
  // Each pair may occur in several places: the best verdict among them.
  const best = pairs.map((p) => p.find((r) => r.clusterable) ?? p.find((r) => !r.never && r.after.length) ?? p[0]);
  if (best.some((r) => r.never)) return 'never';
  const after = [...new Set(best.flatMap((r) => r.after))];
  return best.every((r) => r.clusterable) ? 'clusterable' : after.length ? `after ${after.join(' + ')}` : 'not clusterable';
}

/** The regions of the binary a dump names, when that file is still there with the same bytes. */
async function binaryRegions(summaries: SourceSummary[]): Promise<{ path: string; regions: Region[] } | undefined> {
  const bin = summaries.length === 1 ? summaries[0].header?.binary : undefined;
  if (!bin) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(bin.path);
  } catch {
    return undefined;
  }
  if (createHash('sha256').update(bytes).digest('hex') !== bin.sha256) return undefined;
  try {
    return { path: bin.path, regions: (await analyzeBinary(bytes, bin.path)).regions };
  } catch (err) {
    if (!(err instanceof BadInput)) throw err;
    process.stderr.write(`syscluster: the dump's binary cannot be analysed (${err.message}); advice follows the trace alone\n`);
    return undefined;
  }
}

/** How many of the most frequent sequences --emit-specialized considers: its work grows with this times the calls. */
export const SPECIALIZE_CANDIDATES = 64;

export async function handler(a: Args): Promise<void> {
  let sel;
  try {
    sel = parseArgSelection(a.args.map(String));
  } catch (err) {
    if (err instanceof ProfileInputError) throw new BadInput(err.message);
    throw err;
  }
  if (!(Number.isInteger(a.top) && a.top >= 0)) throw new BadInput(`--top ${a.top}: expected a whole number`);
  const profile = platform(a.platform);
  let g: SyscallGraph;
  try {
    g = new SyscallGraph(a.maxLength);
  } catch (err) {
    if (err instanceof ProfileInputError) throw new BadInput(err.message);
    throw err;
  }
  const values = new ValueCounter();
  // Only --emit-specialized needs the calls themselves afterwards (to read their arguments).
  const kept: CallEvent[][] | undefined = a.emitSpecialized ? [] : undefined;
  const files = a.files.map(String);
  const summaries = streamFiles(files, (i) => {
    const sink = profileSink(g, values, sel, i);
    if (!kept) return sink;
    const mine: CallEvent[] = kept[i] = [];
    return (e) => { sink(e); mine.push(e); };
  });
  const seqs = frequentSequences(g, a.maxLength);
  const binary = await binaryRegions(summaries);
  // A loop is one candidate however the trace rotates it; with the binary at hand each candidate carries its verdict.
  const loops = new Set<string>();
  const candidates = rankCandidates(seqs, profile).filter((c) => {
    if (c.kind !== 'looped') return true;
    const key = [...c.calls].sort().join();
    if (loops.has(key)) return false;
    loops.add(key);
    return true;
  }).map((c) => (binary ? { ...c, binary: verdictOf(binary.regions, c.calls.map((x) => x.split(' ')[0]), c.kind === 'looped') } : c));
  const valueRows = values.result();
  const unparsed = summaries.flatMap((l) => l.unparsed);
  const unparsedCount = summaries.reduce((n, l) => n + l.unparsedCount, 0);
  const calls = summaries.reduce((n, l) => n + l.calls, 0);
  const title = `syscall graph: ${a.files.join(', ')}`;
  if (a.dot) writeOutput(a.dot, graphDot(g, { title }).dot);
  if (a.svg) writeOutput(a.svg, await graphSvg(g, { title }));
  if (a.emitSpecialized) {
    const regions = binary;
    const logs: EventLog[] = summaries.map((s, i) => ({ ...s, events: kept![i] }));
    const { defs, rejected } = specializedFromProfile(logs, seqs.slice(0, SPECIALIZE_CANDIDATES), { profile, regions: regions?.regions });
    writeOutput(a.emitSpecialized, JSON.stringify({ about: `emitted by syscluster profile from ${a.files.join(', ')}`, calls: defs }, null, 2) + '\n');
    process.stderr.write(`syscluster: ${defs.length} specialized-call definitions written to ${a.emitSpecialized} (${regions ? `checked against ${regions.path}` : 'from the trace\'s data flow; no binary at hand'}; each replayed against the trace)\n`);
    for (const r of rejected) process.stderr.write(`syscluster: not emitted: ${r.calls.join(', ')}: ${r.why}\n`);
  }
  if (unparsedCount) process.stderr.write(`syscluster: ${unparsedCount} lines could not be parsed (first: ${unparsed[0].at}: ${unparsed[0].text.slice(0, 80)})\n`);
  const edges = edgeList(g);
  if (a.json) {
    process.stdout.write(JSON.stringify({
      sources: summaries.map((l) => ({ file: l.source, kind: l.kind, calls: l.calls, unparsed: l.unparsed, unparsed_count: l.unparsedCount, signals: l.signals, exits: l.exits })),
      nodes: Object.fromEntries(g.nodes), edges, sequences: seqs.slice(0, a.top), candidates: candidates.slice(0, a.top), value_profile: valueRows,
    }, null, 2) + '\n');
    return;
  }
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const out = [
    `${calls} calls in ${g.processes} processes from ${summaries.length} file(s); ${unparsedCount} lines not parsed; ${summaries.reduce((s, l) => s + l.signals, 0)} signal and ${summaries.reduce((s, l) => s + l.exits, 0)} exit lines`,
    '', 'heaviest edges (how often one call immediately follows another):',
    ...edges.slice(0, a.top).map((e) => `  ${String(e.weight).padStart(7)}  ${e.from} -> ${e.to}`),
    '', 'frequent sequences:',
    ...seqs.slice(0, a.top).map((s) => `  ${String(s.count).padStart(7)}x ${s.calls.join(', ')}${s.longestRun >= 3 ? `  (a loop: up to ${s.longestRun} in a row)` : ''}`),
    '', `candidate clusters on ${profile.name}, by estimated savings:`,
    ...candidates.slice(0, a.top).map((c) => `  ${n(c.savedCycles).padStart(12)} cycles  ${c.kind.padEnd(11)} ${c.calls.join(', ')} (${c.occurrences}x)${'binary' in c ? `  [${c.binary}]` : ''}`),
    ...(binary ? [`  (verdicts from the code of ${binary.path}: syscluster analyze)`] : []),
    '', 'value profile (arguments that nearly always take one value):',
    ...(valueRows.length ? valueRows.slice(0, a.top).map((v) => `  ${v.call} ${v.arg} = ${v.value} in ${v.count} of ${v.of} calls`) : ['  none']),
  ];
  process.stdout.write(out.join('\n') + '\n');
}
