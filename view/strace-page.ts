// A strace log (or one of our dumps read as events) as a page: the syscall graph laid out
// by Graphviz, the heaviest edges and frequent sequences, and the calls in order with a
// stepper (n, p, / to search).
import { readEvents } from '../profiler/events.js';
import { buildGraph, edgeList, frequentSequences } from '../profiler/graph.js';
import { graphDot } from './graph-draw.js';
import { renderDot } from './graphviz.js';
import { esc, staticHtml } from './page.js';

/** Rows of the call list: past this, the list says how many it leaves out. */
const MAX_ROWS = 20000;

export async function straceHtml(source: string, text: string): Promise<string> {
  const log = readEvents(text, source);
  const g = buildGraph([log], new Map());
  const drawing = graphDot(g, { title: `syscall graph: ${source}` });
  const svg = await renderDot(drawing.dot);
  const edges = edgeList(g).slice(0, 12);
  const seqs = frequentSequences(g).slice(0, 12);
  const pids = new Set(log.events.map((e) => e.pid)).size;
  const rows = log.events.slice(0, MAX_ROWS).map((e, i) => {
    const result = e.result === null ? '?' : String(e.result);
    return `<tr data-i="${i}" data-name="${esc(e.name)}"><td>${i + 1}</td><td>${e.pid}</td><td class="mono">${esc(`${e.name}(${e.args.join(', ')}) = ${result}`.slice(0, 240))}</td></tr>`;
  }).join('');
  const body = `<div class="toolbar keys"><span><kbd>n</kbd> <kbd>p</kbd> next and previous call</span><span><kbd>/</kbd> search a call</span>
<input id="search" placeholder="call name, then Enter" aria-label="search a call by name"><span id="message"></span></div>
<div class="cols">
<section class="panel"><div id="position"></div>
<p class="muted">${log.events.length.toLocaleString('en-US')} calls in ${pids} process(es); ${log.unparsed.length} lines not parsed; ${log.signals} signal and ${log.exits} exit lines${log.events.length > MAX_ROWS ? `; the first ${MAX_ROWS} calls are listed` : ''}</p>
<div id="calls"><table><tr><th>#</th><th>pid</th><th>call</th></tr>${rows}</table></div>
<h3>heaviest edges</h3><table><tr><th>from</th><th>to</th><th>weight</th></tr>${edges.map((e) => `<tr><td>${esc(e.from)}</td><td>${esc(e.to)}</td><td>${e.weight}</td></tr>`).join('')}</table>
<h3>frequent sequences</h3><table><tr><th>calls</th><th>count</th><th>longest run</th></tr>${seqs.map((s) => `<tr><td>${esc(s.calls.join(', '))}</td><td>${s.count}</td><td>${s.longestRun}</td></tr>`).join('')}</table>
</section>
<section class="panel graph" id="graph"><h3>syscall graph (laid out by Graphviz; click to enlarge)</h3>${drawing.omitted ? `<p class="muted">${drawing.omitted} of ${drawing.omitted + drawing.drawn} edges left out (the lightest); every call is drawn.</p>` : ''}${svg}</section>
</div>`;
  return staticHtml(`strace log: ${source}`, `${log.events.length.toLocaleString('en-US')} calls · ${g.nodes.size} distinct calls · ${pids} process(es)`, body, 'strace.js');
}
