// syscluster cluster <binary> -o OUT: rewrite the clusterable regions into multi-calls,
// and with --check prove the result by running both programs (docs/clustering.md).
import fs from 'node:fs';
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { analyzeBinary } from '../../analysis/index.js';
import { hex } from '../../analysis/x86.js';
import { Disassembler, formatInstruction } from '../../emulator/disasm.js';
import { SyscallGraph, ValueCounter, edgeList, profileSink } from '../../profiler/graph.js';
import { checkRewrite, CheckError } from '../../rewrite/check.js';
import { cluster, NoRoom, CHECK_ERROR, type ClusterResult } from '../../rewrite/cluster.js';
import { builtinSpecialized, loadSpecialized } from '../../kernel-model/table.js';
import { BadInput, choosePersonality, DEFAULT_SYSROOT, guestExePath, hostError, platform, readGuest } from '../common.js';
import { streamFiles } from './profile.js';

/** Exit codes besides 0 (written, and checked when asked) and 2 (bad input). */
export const EXIT_NOTHING_REWRITTEN = 3, EXIT_CHECK_FAILED = 4;

export const command = 'cluster <binary>';
export const describe = 'Rewrite a binary\'s clusterable regions into multi-calls (and prove the result with --check)';

export function builder(y: Argv) {
  return y
    .positional('binary', { type: 'string', demandOption: true, describe: 'an i386 ELF executable, or a built-in guest' })
    .options({
      out: { alias: 'o', type: 'string', describe: 'where to write the rewritten executable' },
      profile: { type: 'string', describe: 'a dump or strace log of a run: rewrite only the pairs it took, heaviest first' },
      regions: { type: 'string', array: true, describe: 'only these regions: calls as a,b (or the start address in hex)' },
      'dry-run': { type: 'boolean', default: false, describe: 'print the patches and trampolines, write nothing' },
      specialized: { type: 'string', describe: 'use a specialized call where one matches a region exactly: "builtin" (specialized/builtin.json) or a definitions file (run the output with --specialized FILE)' },
      check: { type: 'string', array: true, describe: 'run the original and the rewritten program with these arguments (in two scratch copies of the working directory) and compare; give it last' },
      platform: { type: 'string', default: 'p2-266', describe: 'platform profile for --check' },
      sysroot: { type: 'string', describe: 'sysroot for --check runs (as for run)' },
      'max-instructions': { type: 'number', default: 20_000_000_000, describe: 'stop a --check run after this many instructions' },
    })
    .epilogue('Exit codes: 0 written (and checked), 2 bad input, 3 nothing rewritten (reasons printed, nothing written), 4 --check failed (nothing written). See docs/clustering.md.')
    .example('$0 cluster copy -o copy.clustered --check in.txt out.txt', 'rewrite the copy guest and prove it on in.txt')
    .example('$0 cluster copy --regions read,write --dry-run', 'the patches for the copy loop only')
    .example('$0 cluster mpeg_play -o mpeg.clustered --profile mpeg.jsonl', 'only the pairs a run took');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

/** The specialized calls a rewrite may use, numbered as the run will number them. */
function specializedCalls(paper: boolean, file: string) {
  const pers = choosePersonality(paper ? 'paper' : 'modern', file === 'builtin' ? undefined : file);
  const defs = [...builtinSpecialized(), ...(file === 'builtin' ? [] : loadSpecialized(file))];
  const nrOf = new Map([...pers.table.values()].map((c) => [c.name, c.nr]));
  return defs.map((def) => ({ def, nr: nrOf.get(def.name)! }));
}

const out = (line: string) => process.stdout.write(line + '\n');
const bytesText = (b: ArrayLike<number>) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

export async function handler(a: Args): Promise<void> {
  if (!a.out && !a.dryRun) throw new BadInput('name the output with -o OUT (or use --dry-run)');
  const guest = readGuest(a.binary);
  const an = await analyzeBinary(guest.bytes, guest.name);
  let weights: Map<string, number> | undefined;
  if (a.profile) {
    const g = new SyscallGraph(2);
    streamFiles([a.profile], (i) => profileSink(g, new ValueCounter(), new Map(), i));
    weights = new Map(edgeList(g).map((e) => [`${e.from},${e.to}`, e.weight]));
  }
  let r: ClusterResult;
  try {
    r = cluster(an, { regions: a.regions?.map(String), weights, specialized: a.specialized ? specializedCalls(an.program.bin.symbols.some((x) => x.name === 'multi_call'), a.specialized) : undefined });
  } catch (err) {
    if (err instanceof NoRoom) { out(`left unchanged: ${err.message}`); process.exitCode = EXIT_NOTHING_REWRITTEN; return; }
    throw err;
  }
  for (const w of r.rewritten) {
    const [s1, s2] = w.region.sites;
    const check = w.check === 0 ? 'unchecked' : w.check === CHECK_ERROR ? `checked: stops when ${s1.name} < 0` : `checked: stops when ${s1.name} <= 0`;
    const how = w.specialized ? `specialized ${w.specialized}` : `multi-call ${r.multicallNr}, ${s1.name} ${check}`;
    out(`rewritten ${w.region.function}: ${s1.name} -> ${s2.name} at ${hex(s1.at)}: ${how}, trampoline ${hex(w.trampoline)}`);
  }
  for (const l of r.left) out(`left ${l.region.function}: ${l.region.calls.join(' -> ')} (${hex(l.region.start)}): ${l.why}`);
  for (const t of r.needTransformation) out(`needs ${t.after.join(' or ')}: ${t.function}: ${t.calls.join(' -> ')} (${hex(t.start)}), not rewritten`);
  if (!r.output) {
    out(`${guest.name}: nothing rewritten; no file written`);
    process.exitCode = EXIT_NOTHING_REWRITTEN;
    return;
  }
  if (a.dryRun) {
    const cs = await Disassembler.create();
    for (const p of r.patches) {
      const before = cs.disasm(Uint8Array.from(p.old), p.address, 1)[0], after = cs.disasm(Uint8Array.from(p.bytes), p.address, 1)[0];
      out(`patch ${hex(p.address)}: ${bytesText(p.old)}  ${formatInstruction(before)}  =>  ${bytesText(p.bytes)}  ${formatInstruction(after)}`);
    }
    for (const t of r.trampolines) {
      out(`trampoline ${hex(t.address)} (${t.region.calls.join(' -> ')}):`);
      for (const i of cs.disasm(t.code, t.address)) out(`  ${hex(i.address)}  ${bytesText(i.bytes).padEnd(20)}  ${formatInstruction(i)}`);
    }
    return;
  }
  const file = a.out!;
  if (a.check) {
    let c;
    try {
      c = await checkRewrite(guest.bytes, r.output, {
        workdir: process.cwd(), name: guest.name, exePath: guestExePath(guest.path, '.'), args: a.check.map(String),
        profile: platform(a.platform), personality: choosePersonality(r.multicallNr === 240 ? 'paper' : 'modern', a.specialized && a.specialized !== 'builtin' ? a.specialized : undefined),
        sysroot: a.sysroot === 'none' ? undefined : a.sysroot ?? (fs.existsSync(DEFAULT_SYSROOT) ? DEFAULT_SYSROOT : undefined),
        maxInstructions: a.maxInstructions, clusters: r.rewritten.map((w) => w.region.calls),
      });
    } catch (err) {
      if (err instanceof CheckError) throw new BadInput(err.message);
      throw err;
    }
    const n = (v: number) => Math.round(v).toLocaleString('en-US');
    const pct = (x: number, y: number) => ((100 * (x - y)) / x).toFixed(2);
    out(`original:  ${c.original.crossings} crossings, ${n(c.original.cycles)} cycles (exit ${c.original.exitCode})`);
    out(`rewritten: ${c.rewritten.crossings} crossings, ${n(c.rewritten.cycles)} cycles (exit ${c.rewritten.exitCode})`);
    out(`saving:    ${c.original.crossings - c.rewritten.crossings} crossings, ${n(c.original.cycles - c.rewritten.cycles)} cycles (${pct(c.original.cycles, c.rewritten.cycles)}%)`);
    out(`whatif:    ${c.estimate.crossingsAfter} crossings, ${n(c.estimate.estimatedCycles)} cycles estimated (${pct(c.estimate.measuredCycles, c.estimate.estimatedCycles)}%)`);
    if (!c.ok) {
      fs.rmSync(file, { force: true });
      out(`check failed: ${c.why}; ${file} not written`);
      process.exitCode = EXIT_CHECK_FAILED;
      return;
    }
    out('check passed: same exit code, standard output, standard error and files, fewer crossings');
  }
  try {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, r.output, { mode: 0o755 });
  } catch (err) {
    throw new BadInput(`cannot write ${file}: ${hostError(err)}`);
  }
  out(`wrote ${file} (${r.output.length} bytes)`);
}
