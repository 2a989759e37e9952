// Which figures of a scenario's tables were fitted to the paper and which the model
// predicts, as docs/cost-model.md records the calibration: on p2-266, Table 1 is exact by
// construction, Table 2's laptop row is fitted, and Table 3's nine cells (original cycles,
// write_read and looped savings, three files) are fitted together; on p3-650, Table 2's
// desktop row is fitted. Everything else the model predicts. The paper's own numbers are
// marked as the paper's.
import type { ScenarioResult, Table } from '../scenarios/report.js';

export type CellKind = 'calibrated' | 'paper' | 'predicted' | '';

/** Columns of a table fitted to the paper, by scenario table id and platform. */
function fittedColumns(t: Table, platform: string): Set<number> {
  if (t.id === 'table1' && platform === 'p2-266') return new Set([1, 3, 5, 7]);
  if (t.id === 'table3' && platform === 'p2-266') return new Set([1, 5, 8]);
  return new Set();
}

/** Columns that only compare, or restate an input: not marked. */
const UNMARKED = /^(diff %|crossing cycles|MHz|size|met|value)$/;

export function cellKinds(r: Pick<ScenarioResult, 'platform'>, t: Table): CellKind[][] {
  const fitted = fittedColumns(t, r.platform);
  return t.rows.map((row) => {
    const paperRow = typeof row[0] === 'string' && row[0].startsWith('paper');
    const fittedRow = t.id === 'table2' && row[0] === 'syscluster' && (r.platform === 'p2-266' || r.platform === 'p3-650');
    return row.map((cell, i): CellKind => {
      if (i === 0 || typeof cell !== 'number') return '';
      if (paperRow || t.columns[i].startsWith('paper')) return 'paper';
      if (UNMARKED.test(t.columns[i])) return '';
      return fitted.has(i) || fittedRow ? 'calibrated' : 'predicted';
    });
  });
}
