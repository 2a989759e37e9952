// The analysis as a reader sees it: a report per region, the JSON of the issue's shape,
// and a function's control-flow graph with a region shaded (DOT, and SVG from the DOT
// graph's blocks laid out one per row, in one function so a real renderer can replace it).
import type { Func } from './cfg.js';
import type { BinaryAnalysis } from './index.js';
import { CONDITIONS, type Region } from './regions.js';
import { hex } from './x86.js';

export function regionJson(r: Region) {
  return {
    function: r.function, calls: r.calls, start: hex(r.start), end: hex(r.end), clusterable: r.clusterable, failed: r.failed, after: r.after,
    // Beyond the five conditions, `reasons` says what kind of candidate this is, where each argument comes from, and why it never can be clustered.
    reasons: {
      ...r.reasons, region: r.kind, ...(r.never ? { never: r.never } : {}), ...(r.notes.length ? { notes: r.notes } : {}),
      ...(r.arguments.length ? { arguments: r.arguments.map((a) => ({ arg: a.arg + 1, source: a.kind, detail: a.detail })) } : {}),
      ...(r.exits.length ? { exits: r.exits } : {}),
    },
  };
}

export function formatRegion(r: Region): string {
  const verdict = r.clusterable ? 'clusterable' : r.never ? 'never clusterable' : r.after.length ? `clusterable after ${r.after.join(' + ')}` : 'not clusterable';
  const what = r.kind === 'loop' ? 'loop' : r.kind === 'split' ? 'pair across functions' : 'pair';
  const out = [`${r.function}: ${r.calls.join(' -> ')} (${what}, ${hex(r.start)}..${hex(r.end)}): ${verdict}`];
  for (const c of CONDITIONS) out.push(`  ${r.failed.includes(c) ? 'FAIL' : 'ok  '} ${c.padEnd(15)} ${r.reasons[c]}`);
  for (const n of r.notes) out.push(`  note: ${n}`);
  out.push('  code:');
  for (const l of r.lines) out.push(`    ${l.blocking ? '!!' : '  '} ${hex(l.address).padEnd(10)} ${l.role.padEnd(7)} ${l.text}${l.blocking ? `   <- ${l.blocking}` : ''}`);
  return out.join('\n');
}

export function formatReport(a: BinaryAnalysis, regions: Region[], ms: number): string {
  const p = a.program;
  const head = [
    `${p.bin.name}: ${p.funcs.size} functions, ${p.decoded} instructions decoded, ${a.sites.all.length} system-call sites, ${a.sites.stubs.size} stubs (${ms} ms)`,
    `regions: ${regions.length} (${regions.filter((r) => r.clusterable).length} clusterable as they stand, ${regions.filter((r) => !r.clusterable && r.after.length).length} after a transformation, ${regions.filter((r) => r.never).length} never)`,
    '',
  ];
  return head.join('\n') + regions.map(formatRegion).join('\n\n') + '\n';
}

const q = (s: string) => JSON.stringify(s);

/** A function's CFG as DOT: one node per block with its instructions, the region's blocks shaded. */
export function cfgDot(f: Func, region?: Region, title?: string): string {
  const shaded = new Set<number>();
  if (region) for (const b of f.blocks.values()) if (b.insns.some((i) => region.lines.some((l) => l.address === i.address))) shaded.add(b.start);
  const lines = [`digraph ${q(f.name)} {`, '  node [shape=box, fontname="monospace", fontsize=10];'];
  if (title) lines.push(`  label=${q(title)}; labelloc=t; fontname="sans-serif";`);
  for (const b of [...f.blocks.values()].sort((x, y) => x.start - y.start)) {
    const label = b.insns.map((i) => `${hex(i.address)}  ${i.mnemonic} ${i.opStr}`).join('\\l') + '\\l';
    lines.push(`  ${q(hex(b.start))} [label="${label.replace(/"/g, '\\"')}"${shaded.has(b.start) ? ', style=filled, fillcolor="#ffe08a"' : ''}];`);
    for (const s of b.succs) lines.push(`  ${q(hex(b.start))} -> ${q(hex(s))};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

