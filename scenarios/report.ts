// Scenario results as tables: plain text for a terminal, Markdown and JSON for files.

export type Cell = string | number | null;

/**
 * Where a cell's number comes from. `calibrated`: the profile's constants were fitted to
 * the paper's figure for this cell (docs/cost-model.md), so agreement is by
 * construction, not evidence. `predicted`: the model's output, not fitted to this cell.
 * `paper`: the paper's own figure. Labels and blanks have none (null).
 */
export type Provenance = 'calibrated' | 'predicted' | 'paper';

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  /** One entry per cell, parallel to `rows`. */
  provenance?: (Provenance | null)[][];
  notes?: string[];
}

/**
 * Which of the paper's tables each profile was fitted to (docs/cost-model.md): Table 1's
 * entry and exit are the paper's laptop figures on both Pentium profiles, Table 2 is
 * fitted row by row, Table 3 on the laptop only. The modern profiles are fitted to none.
 */
export const CALIBRATED_TO: Record<string, string[]> = {
  'p2-266': ['table1', 'table2', 'table3'],
  'p3-650': ['table1', 'table2'],
};
export const calibratedTo = (profile: string, table: string) => (CALIBRATED_TO[profile] ?? []).includes(table);

/** `calibrated` where `fitted`, else `predicted`. */
export const ours = (fitted: boolean): Provenance => (fitted ? 'calibrated' : 'predicted');

/** Marks calibrated cells in text and Markdown; predicted cells are unmarked. */
export const CALIBRATED_MARK = '*';
export const PROVENANCE_LEGEND = `${CALIBRATED_MARK} calibrated: the profile was fitted to the paper's figure for this cell, so it agrees by construction; other figures of ours are predicted by the model`;

export interface ScenarioResult {
  scenario: string;
  platform: string;
  tables: Table[];
  /** Behaviour checks the scenario made (clustered runs must behave like the original). */
  checks: { name: string; ok: boolean; detail?: string }[];
  /** SVG charts, by file name. */
  charts?: Record<string, string>;
}

const show = (c: Cell, p?: Provenance | null, mark = CALIBRATED_MARK) =>
  (c === null ? '-' : typeof c === 'number' ? formatNumber(c) : c) + (c !== null && p === 'calibrated' ? mark : '');

/** The rows as printed, each calibrated cell marked (escaped in Markdown). */
const shownRows = (t: Table, mark = CALIBRATED_MARK) => t.rows.map((r, i) => r.map((c, j) => show(c, t.provenance?.[i]?.[j], mark)));

/** The table's notes, with the legend when it has calibrated cells. */
const notesOf = (t: Table) => [...(t.notes ?? []), ...(!t.provenance ? []
  : t.provenance.some((r) => r.includes('calibrated')) ? [PROVENANCE_LEGEND]
    : ['every figure of ours here is predicted by the model: the profile was fitted to none of them'])];

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(4);
}

export function tableText(t: Table): string {
  const cells = [t.columns, ...shownRows(t)];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [t.title, line(cells[0].map(String)), ...cells.slice(1).map((r) => line(r.map(String))), ...notesOf(t).map((n) => `  ${n}`)].join('\n');
}

export function tableMarkdown(t: Table): string {
  return [
    `### ${t.title}`, '',
    `| ${t.columns.join(' | ')} |`,
    `| ${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...shownRows(t, `\\${CALIBRATED_MARK}`).map((r) => `| ${r.join(' | ')} |`),
    ...(notesOf(t).length ? ['', ...notesOf(t).map((n) => `- ${n.replace(/^\*/, '\\*')}`)] : []),
    '',
  ].join('\n');
}

export function resultText(r: ScenarioResult): string {
  const checks = r.checks.length
    ? [`behaviour checks: ${r.checks.filter((c) => c.ok).length} of ${r.checks.length} passed`,
      ...r.checks.filter((c) => !c.ok).map((c) => `  FAILED ${c.name}: ${c.detail ?? ''}`)]
    : [];
  return [`== ${r.scenario} on ${r.platform} ==`, ...r.tables.map(tableText).flatMap((t) => [t, '']), ...checks].join('\n').trimEnd();
}

export function resultMarkdown(r: ScenarioResult): string {
  return [`## ${r.scenario} on ${r.platform}`, '', ...r.tables.map(tableMarkdown)].join('\n');
}

/**
 * A target's verdict: `yes` when the model meets it, `by construction` when it is met
 * only because the profile was fitted to these very figures, `NO` when it is missed.
 */
export const verdict = (ok: boolean, fitted: boolean) => (!ok ? 'NO' : fitted ? 'by construction' : 'yes');

/** Relative difference in percent, ours against the paper's. */
export const diffPct = (ours: number, paper: number) => (paper === 0 ? null : (100 * (ours - paper)) / paper);
