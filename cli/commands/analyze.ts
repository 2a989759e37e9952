// syscluster analyze <binary>: clusterable regions found on the code (paper sections 3.2-3.3).
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { SyscallGraph, ValueCounter, edgeList, profileSink } from '../../profiler/graph.js';
import { analyzeBinary } from '../../analysis/index.js';
import { cfgDot, formatReport, regionJson } from '../../analysis/report.js';
import { renderDot } from '../../view/graphviz.js';
import type { Region } from '../../analysis/regions.js';
import { BadInput, readGuest, writeOutput } from '../common.js';
import { streamFiles } from './profile.js';

export const command = 'analyze <binary>';
export const describe = 'Find clusterable regions in a binary without running it: the five conditions of section 3.2 and the transformations that would help';

export function builder(y: Argv) {
  return y
    .positional('binary', { type: 'string', demandOption: true, describe: 'an i386 ELF executable, or a built-in guest (copy, fig3_original, ...)' })
    .options({
      profile: { type: 'string', describe: 'a dump or strace log of a run: rank the regions by the dynamic syscall graph\'s edge weights' },
      function: { type: 'string', describe: 'only regions in this function' },
      calls: { type: 'string', describe: 'only regions of these calls, comma-separated (e.g. write,read)' },
      json: { type: 'boolean', default: false, describe: 'print {"regions": [...]} for scripts' },
      svg: { type: 'string', describe: 'draw the first region\'s function CFG, the region shaded, to this SVG file' },
      dot: { type: 'string', describe: 'write the same CFG as Graphviz DOT' },
      top: { type: 'number', default: 50, describe: 'how many regions to print' },
    })
    .example('$0 analyze copy', 'the copy loop: write,read after loop rotation, the whole loop as one looped call')
    .example('$0 analyze copy --profile copy.jsonl', 'regions on the run\'s heaviest edges first')
    .example('$0 analyze copy --calls write,read --svg copy.svg', 'the rotated pair, its function\'s CFG drawn with the region shaded');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  const guest = readGuest(a.binary);
  const t0 = Date.now();
  const an = await analyzeBinary(guest.bytes, guest.name);
  const ms = Date.now() - t0;
  const calls = a.calls?.split(',').map((c) => c.trim()).filter(Boolean).join();
  let regions: Region[] = an.regions.filter((r) => (!a.function || r.function === a.function) && (!calls || r.calls.join() === calls));
  if (a.function && !regions.length && ![...an.program.funcs.values()].some((f) => f.name === a.function)) throw new BadInput(`--function ${a.function}: no such function in ${guest.name}`);
  if (a.profile) {
    // Dynamic edges by weight; each region takes the weight of its calls' edge (0 if the run never took it).
    const g = new SyscallGraph(2);
    const values = new ValueCounter();
    streamFiles([a.profile], (i) => profileSink(g, values, new Map(), i));
    const weight = new Map(edgeList(g).map((e) => [`${e.from}\u0000${e.to}`, e.weight]));
    const w = (r: Region) => weight.get(`${r.calls[0]}\u0000${r.calls[1] ?? r.calls[0]}`) ?? 0;
    regions = regions.filter((r) => w(r) > 0).sort((x, y) => w(y) - w(x));
    const unseen = edgeList(g).filter((e) => !an.regions.some((r) => r.calls[0] === e.from && r.calls[1] === e.to));
    if (unseen.length && !a.json) process.stderr.write(`syscluster: ${unseen.length} edge(s) of the run have no static pair (indirect calls, or code the disassembly did not reach): ${unseen.slice(0, 5).map((e) => `${e.from} -> ${e.to}`).join(', ')}\n`);
  }
  const shown = regions.slice(0, a.top);
  if (a.svg || a.dot) {
    const r = shown[0];
    const f = r && [...an.program.funcs.values()].find((x) => x.name === r.function);
    if (!f) throw new BadInput(`${guest.name}: no region to draw`);
    const dot = cfgDot(f, r, `${f.name}: ${r.calls.join(' -> ')} shaded`);
    if (a.dot) writeOutput(a.dot, dot);
    if (a.svg) writeOutput(a.svg, await renderDot(dot));
  }
  if (a.json) {
    process.stdout.write(JSON.stringify({ regions: shown.map(regionJson) }, null, 2) + '\n');
    return;
  }
  process.stdout.write(formatReport(an, shown, ms));
}
