// Graphviz, laid out by Graphviz itself: the WebAssembly build of @viz-js/viz (Graphviz's
// own C code, compiled; no network, no system binary). One function for every drawing
// of a graph in the project: the syscall graph, control-flow graphs, the web view.
import { instance, type Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

export class DotError extends Error {}

/** Lays out a DOT graph with `dot` and returns the SVG; a DOT syntax error throws DotError. */
export async function renderDot(dot: string): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') {
    const why = result.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim()).join('; ');
    throw new DotError(`Graphviz could not lay out the graph: ${why || 'unknown error'}`);
  }
  // Graphviz starts with an XML prolog and a DOCTYPE: fine in a file, not inside HTML.
  return result.output.slice(result.output.indexOf('<svg'));
}
