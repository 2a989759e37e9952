// The web view as one self-contained HTML file: styles, scripts and data inline, nothing
// fetched from the network, so it opens from disk and can be handed to students. The
// page code is plain JavaScript and CSS in view/assets/, read here and inlined.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DumpPage } from './dump-data.js';

const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../view/assets');
const asset = (name: string) => fs.readFileSync(path.join(ASSETS, name), 'utf8');

export class ViewInputError extends Error {}

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** JSON inside a script element: nothing in it may close the element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function shell(title: string, sub: string, body: string, scripts: string[]): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${asset('page.css')}</style></head>
<body><header><h1>${esc(title)}</h1><span class="sub">${esc(sub)}</span></header>
${body}
<div class="tip" id="tip"></div>
${scripts.map((s) => `<script>${s}</script>`).join('\n')}
</body></html>
`;
}

/** A dump: the timeline, the stepper and the graph. */
export function dumpHtml(d: DumpPage): string {
  const m = d.meta;
  const o = m.outcome as { kind?: string; status?: number; signal?: string; instructions?: number };
  const outcome = o?.kind === 'exited' ? `exited with status ${o.status}` : o?.kind === 'signaled' ? `killed by ${o.signal}`
    : o?.kind === 'limit' ? `stopped after ${o.instructions} instructions` : JSON.stringify(m.outcome);
  const body = `<main>
<div class="toolbar keys"><span><kbd>n</kbd> <kbd>p</kbd> next and previous crossing</span><span><kbd>/</kbd> search a call</span>
<input id="search" placeholder="call name, then Enter" aria-label="search a call by name"><button id="fit">whole run</button><button id="zoom">zoom to crossing</button>
<span class="muted">wheel: zoom, drag: move, click: pick a crossing</span><span id="message"></span></div>
<canvas id="timeline" aria-label="timeline of user time and crossings"></canvas>
<div class="legend muted" style="margin:6px 0 10px"><span><i class="swatch-user"></i>user</span><span><i class="swatch-entry"></i>entry (trap, SAVE_ALL)</span><span><i class="swatch-dispatch"></i>dispatch</span><span><i class="swatch-handler"></i>handler</span><span><i class="swatch-exit"></i>exit (RESTORE_ALL, iret)</span></div>
<div class="cols">
<section class="panel" id="stepper">
<div id="position"></div>
<pre id="call"></pre>
<div id="costs"></div>
<h3>code around the trap</h3><pre id="disasm"></pre>
<div class="steprow">
<div><h3>registers</h3><table id="regs" class="mono"></table></div>
<div><h3>kernel stack frame (struct pt_regs)</h3><table id="frame"></table></div>
</div>
<h3>ledger so far (cycles)</h3><div id="ledger"></div>
</section>
<section class="panel graph" id="graph"><h3>syscall graph (laid out by Graphviz; click to enlarge)</h3>
${m.graph.omittedEdges ? `<p class="muted">${m.graph.omittedEdges} of ${m.graph.omittedEdges + m.graph.drawnEdges} edges left out (the lightest); every call is drawn.</p>` : ''}
${d.graphSvg}</section>
</div>
</main>
<script type="application/json" id="meta">${scriptJson(m)}</script>
<script type="application/octet-stream" id="columns">${d.columns.toString('base64')}</script>
${d.chunks.map((c, i) => `<script type="application/octet-stream" id="chunk-${i}">${c.toString('base64')}</script>`).join('\n')}`;
  const sub = `${m.crossings.toLocaleString('en-US')} crossings · ${m.personality} personality · ${m.clockMhz} MHz · ${outcome} (exit code ${m.exitCode}) · ${Math.round(m.ledger.cycles.total).toLocaleString('en-US')} cycles`;
  return shell(m.title, sub, body, [asset('dump.js')]);
}

/** Any other page: its body is made by the caller; the shared script adds hover values. */
export function staticHtml(title: string, sub: string, body: string, script: string): string {
  return shell(title, sub, `<main>${body}</main>`, [asset(script)]);
}
