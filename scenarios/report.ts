// Scenario results as tables: plain text for a terminal, Markdown and JSON for files.

export type Cell = string | number | null;

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  notes?: string[];
}

export interface ScenarioResult {
  scenario: string;
  platform: string;
  tables: Table[];
  /** Behaviour checks the scenario made (clustered runs must behave like the original). */
  checks: { name: string; ok: boolean; detail?: string }[];
  /** SVG charts, by file name. */
  charts?: Record<string, string>;
}

const show = (c: Cell) => (c === null ? '-' : typeof c === 'number' ? formatNumber(c) : c);

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(4);
}

export function tableText(t: Table): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(show))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [t.title, line(cells[0].map(String)), ...cells.slice(1).map((r) => line(r.map(String))), ...(t.notes ?? []).map((n) => `  ${n}`)].join('\n');
}

export function tableMarkdown(t: Table): string {
  return [
    `### ${t.title}`, '',
    `| ${t.columns.join(' | ')} |`,
    `| ${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(show).join(' | ')} |`),
    ...(t.notes?.length ? ['', ...t.notes.map((n) => `- ${n}`)] : []),
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

/** Relative difference in percent, ours against the paper's. */
export const diffPct = (ours: number, paper: number) => (paper === 0 ? null : (100 * (ours - paper)) / paper);
