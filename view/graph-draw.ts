// The syscall graph (paper Figure 4) drawn: DOT text, and SVG laid out by Graphviz. Every
// node of the profile is drawn; when there are more edges than a figure can show, the
// lightest are left out and the figure says how many.
import { edgeList, type SyscallGraph } from '../profiler/graph.js';
import { renderDot } from './graphviz.js';

export interface GraphDrawing {
  dot: string;
  /** Edges drawn, and edges left out (the lightest). */
  drawn: number;
  omitted: number;
}

/** How many edges a figure shows by default: past this, a graph stops being readable. */
export const MAX_EDGES = 80;

const quote = (s: string) => JSON.stringify(s);
// Five steps from pale to dark blue by share of calls; dark fills take white text.
const FILLS = ['#eef4fb', '#c6dbef', '#85b4da', '#3f87c2', '#08519c'];

export function graphDot(g: SyscallGraph, o: { title?: string; maxEdges?: number } = {}): GraphDrawing {
  const all = edgeList(g);
  const maxEdges = o.maxEdges ?? MAX_EDGES;
  const edges = all.slice(0, maxEdges);
  const omitted = all.length - edges.length;
  const maxNode = Math.max(1, ...g.nodes.values());
  const maxEdge = Math.max(1, ...edges.map((e) => e.weight));
  const notes = [o.title ?? 'syscall graph', `${g.nodes.size} calls (nodes), ${all.length} edges (weight: how often one call follows the other)`];
  if (omitted > 0) notes.push(`${omitted} of ${all.length} edges left out: the lightest (weight at most ${all[edges.length].weight})`);
  const nodes = [...g.nodes].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const lines = [
    'digraph syscalls {',
    `  graph [label=${quote(notes.join('\n'))}, labelloc=t, fontname="Helvetica", fontsize=16, nodesep=0.35, ranksep=0.45, pad=0.2];`,
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=14, penwidth=1.2, color="#08306b"];',
    '  edge [fontname="Helvetica", fontsize=12, color="#555555", fontcolor="#a50f15", arrowsize=0.7];',
    ...nodes.map(([n, count]) => {
      const step = Math.min(FILLS.length - 1, Math.floor((FILLS.length * count) / (maxNode + 1)));
      return `  ${quote(n)} [label=${quote(`${n}\n${count}`)}, fillcolor="${FILLS[step]}", fontcolor="${step >= 3 ? 'white' : 'black'}"];`;
    }),
    ...edges.map((e) => `  ${quote(e.from)} -> ${quote(e.to)} [label="${e.weight}", penwidth=${(1 + (4 * e.weight) / maxEdge).toFixed(2)}];`),
    '}',
  ];
  return { dot: lines.join('\n') + '\n', drawn: edges.length, omitted };
}

/** The graph as SVG, laid out by Graphviz's dot. */
export async function graphSvg(g: SyscallGraph, o: { title?: string; maxEdges?: number } = {}): Promise<string> {
  return (await renderDot(graphDot(g, o).dot)) + '\n';
}
