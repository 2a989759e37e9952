// A scenario results folder (`syscluster scenario all --out DIR`) as a page: every table,
// with the figures fitted to the paper marked apart from those the model predicts and
// from the paper's own, and every chart, with values on hover.
import fs from 'node:fs';
import path from 'node:path';
import type { ScenarioResult, Table } from '../scenarios/report.js';
import { cellKinds } from './calibration.js';
import { ViewInputError, esc, staticHtml } from './page.js';

const ORDER = ['control', 'copy', 'mpeg'];

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(4);
}

const KIND_TITLE = { calibrated: 'fitted to the paper (docs/cost-model.md)', paper: 'the paper\'s figure', predicted: 'predicted by the model', '': '' };

function tableHtml(r: ScenarioResult, t: Table): string {
  const kinds = cellKinds(r, t);
  const rows = t.rows.map((row, ri) => `<tr>${row.map((c, ci) => {
    const k = kinds[ri][ci];
    const text = c === null ? '-' : typeof c === 'number' ? formatNumber(c) : c;
    return `<td${k ? ` class="${k}" title="${KIND_TITLE[k]}: ${esc(t.columns[ci])}, ${esc(String(row[0]))}"` : ''}>${esc(String(text))}</td>`;
  }).join('')}</tr>`);
  return `<h3 id="${esc(`${r.scenario}-${r.platform}-${t.id}`)}">${esc(t.title)}</h3>
<table data-table="${esc(t.id)}"><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${rows.join('')}</table>
${t.notes?.length ? `<ul class="notes">${t.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}`;
}

const isResult = (v: any): v is ScenarioResult => typeof v?.scenario === 'string' && typeof v?.platform === 'string' && Array.isArray(v?.tables);

export function resultsHtml(dir: string): string {
  const files = fs.readdirSync(dir).sort();
  const results: ScenarioResult[] = [];
  for (const f of files.filter((f) => f.endsWith('.json'))) {
    let v: unknown;
    try { v = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); } catch { throw new ViewInputError(`${path.join(dir, f)}: not JSON (is ${dir} a folder written by scenario --out?)`); }
    if (isResult(v)) results.push(v);
  }
  if (!results.length) throw new ViewInputError(`${dir}: no scenario results in it (make them with: syscluster scenario all --out ${dir})`);
  const rank = (r: ScenarioResult) => (ORDER.indexOf(r.scenario) + 1 || ORDER.length + 1);
  results.sort((a, b) => rank(a) - rank(b) || a.platform.localeCompare(b.platform));
  const charted = new Set(results.flatMap((r) => Object.keys(r.charts ?? {})));
  const loose = files.filter((f) => f.endsWith('.svg') && !charted.has(f));
  const sections = results.map((r) => {
    const failed = r.checks.filter((c) => !c.ok);
    const checks = r.checks.length ? `<p class="checks ${failed.length ? 'bad' : 'ok'}">behaviour checks: ${r.checks.length - failed.length} of ${r.checks.length} passed${failed.map((c) => `<br>FAILED ${esc(c.name)}: ${esc(c.detail ?? '')}`).join('')}</p>` : '';
    const charts = Object.entries(r.charts ?? {}).map(([name, svg]) => `<figure class="chart" data-chart="${esc(name)}">${svg.slice(svg.indexOf('<svg'))}</figure>`).join('');
    return `<section class="scenario"><h2>${esc(r.scenario)} on ${esc(r.platform)}</h2>${checks}${r.tables.map((t) => tableHtml(r, t)).join('\n')}${charts}</section>`;
  });
  for (const f of loose) {
    const svg = fs.readFileSync(path.join(dir, f), 'utf8');
    sections.push(`<section><h2>${esc(f)}</h2><figure class="chart" data-chart="${esc(f)}">${svg.slice(svg.indexOf('<svg'))}</figure></section>`);
  }
  const legend = `<p class="legend"><span><i style="background:var(--calibrated)"></i>fitted to the paper (docs/cost-model.md)</span><span><i style="background:var(--predicted)"></i>predicted by the model</span><span><i style="background:var(--paper)"></i>the paper's figure</span><span class="muted">hover a chart's points for values</span></p>`;
  const nav = `<p>${results.map((r) => `<a href="#${esc(`${r.scenario}-${r.platform}-${r.tables[0].id}`)}">${esc(r.scenario)} (${esc(r.platform)})</a>`).join(' · ')}</p>`;
  return staticHtml(`scenario results: ${path.basename(path.resolve(dir))}`, `${results.length} results · ${results.reduce((n, r) => n + r.tables.length, 0)} tables`, legend + nav + sections.join('\n'), 'results.js');
}
