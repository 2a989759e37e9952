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
export function cfgDot(f: Func, region?: Region): string {
  const shaded = new Set<number>();
  if (region) for (const b of f.blocks.values()) if (b.insns.some((i) => region.lines.some((l) => l.address === i.address))) shaded.add(b.start);
  const lines = [`digraph ${q(f.name)} {`, '  node [shape=box, fontname="monospace", fontsize=10];'];
  for (const b of [...f.blocks.values()].sort((x, y) => x.start - y.start)) {
    const label = b.insns.map((i) => `${hex(i.address)}  ${i.mnemonic} ${i.opStr}`).join('\\l') + '\\l';
    lines.push(`  ${q(hex(b.start))} [label="${label.replace(/"/g, '\\"')}"${shaded.has(b.start) ? ', style=filled, fillcolor="#ffe08a"' : ''}];`);
    for (const s of b.succs) lines.push(`  ${q(hex(b.start))} -> ${q(hex(s))};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface DotNode { id: string; label: string[]; fill?: string }

/**
 * DOT to SVG: nodes stacked one per row in the order the DOT lists them, edges drawn as
 * curves down the left (forward) or right (backward) side. Replaceable by a Graphviz renderer.
 */
export function dotToSvg(dot: string, title: string): string {
  const nodes: DotNode[] = [], edges: [string, string][] = [];
  for (const line of dot.split('\n')) {
    const n = /^\s*("[^"]*") \[label="((?:[^"\\]|\\.)*)"(?:, style=filled, fillcolor="([^"]+)")?\];$/.exec(line);
    if (n) { nodes.push({ id: JSON.parse(n[1]), label: n[2].replace(/\\"/g, '"').split('\\l').filter(Boolean), fill: n[3] }); continue; }
    const e = /^\s*("[^"]*") -> ("[^"]*");$/.exec(line);
    if (e) edges.push([JSON.parse(e[1]), JSON.parse(e[2])]);
  }
  const LINE = 14, PAD = 8, GAP = 28, W = 560, X = 120;
  const pos = new Map<string, { y: number; h: number }>();
  let y = 40;
  for (const n of nodes) { const h = n.label.length * LINE + 2 * PAD; pos.set(n.id, { y, h }); y += h + GAP; }
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${X + W + 120}" height="${y + 10}" font-family="monospace" font-size="11">`,
    '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>',
    `<rect width="100%" height="100%" fill="white"/>`, `<text x="10" y="20" font-family="sans-serif" font-size="14">${esc(title)}</text>`,
  ];
  edges.forEach(([from, to], k) => {
    const a = pos.get(from), b = pos.get(to);
    if (!a || !b) return;
    const forward = b.y > a.y;
    const x = forward ? X - 10 - (k % 8) * 12 : X + W + 10 + (k % 8) * 12;
    const x0 = forward ? X : X + W;
    const y0 = a.y + a.h / 2, y1 = b.y + Math.min(12, b.h / 2);
    parts.push(`<path d="M${x0},${y0} C${x},${y0} ${x},${y1} ${x0},${y1}" fill="none" stroke="${forward ? '#444' : '#b00'}" marker-end="url(#a)"/>`);
  });
  for (const n of nodes) {
    const p = pos.get(n.id)!;
    parts.push(`<rect x="${X}" y="${p.y}" width="${W}" height="${p.h}" fill="${n.fill ?? '#f4f6fa'}" stroke="#336"/>`);
    n.label.forEach((l, i) => parts.push(`<text x="${X + PAD}" y="${p.y + PAD + (i + 1) * LINE - 3}">${esc(l)}</text>`));
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
