// The paper's control experiments (section 4.2), run by guests that measure themselves
// the way the paper's authors did: Table 1 (entry and exit cycles, jump_cost) and
// Table 2 (microseconds per call, bracketed by gettimeofday).
import type { PlatformProfile } from '../kernel-model/cost.js';
import { TABLE2_COLUMNS } from './calibrate.js';
import { paperTables, parseGuestLines, runScenarioGuest } from './guests.js';
import { calibratedTo, ours, type Provenance, type ScenarioResult, type Table } from './report.js';

/** Which row of the paper's Table 2 a profile reproduces. */
const TABLE2_ROW: Record<string, string> = { 'p2-266': 'Linux-x86: Laptop (P2-266)', 'p3-650': 'Linux-x86: Desktop (P3-650)' };
const LAPTOP = 'p2-266';

export async function controlScenario(profile: PlatformProfile): Promise<ScenarioResult> {
  const paper = paperTables();
  const t1run = await runScenarioGuest('jump_cost', [], profile);
  // The cycle counter at each of the guest's clock reads (gettimeofday reads it before
  // its own cost), for the exact intervals behind the whole microseconds it prints.
  const reads: number[] = [];
  const t2run = await runScenarioGuest('syscall_timing', [], profile, {
    tracers: [{ before: (rec, k) => { if (rec.name === 'gettimeofday') reads.push(k.ledger.totalCycles); } }],
  });
  const m1 = parseGuestLines(t1run.stdout), m2 = parseGuestLines(t2run.stdout);
  const p1 = paper.table1_cycles_entry_exit;
  const same = profile.name === LAPTOP;
  const ref = (v: number) => (same ? v : null);
  const table1: Table = {
    id: 'table1',
    title: `Table 1: CPU cycles for entry and exit (${profile.name}; the paper measured the P2-266 laptop)`,
    columns: ['', 'entry', 'paper', 'exit', 'paper', 'entry raw', 'paper', 'exit raw', 'paper'],
    rows: (['system_call', 'procedure_call'] as const).map((k) => {
      const o = m1[k], p = p1[k];
      return [k.replace('_', ' '), o.entry, ref(p.entry), o.exit, ref(p.exit), o.entry_raw, ref(p.entry_raw), o.exit_raw, ref(p.exit_raw)];
    }),
    notes: [`rdtscl pair overhead measured by the guest: ${m1.rdtscl_pair.value} cycles (paper: ${p1.rdtscl_pair_overhead}); the corrected columns subtract it`],
  };
  // The system call row is the paper's laptop figures on both Pentium profiles (entry,
  // exit, and the rdtscl pair that the raw columns add); the procedure call row counts
  // instructions, which nothing was fitted to.
  const fitted1 = calibratedTo(profile.name, 'table1');
  table1.provenance = [0, 1].map((row) => [null, ...[0, 1, 2, 3].flatMap((): Provenance[] => [ours(fitted1 && row === 0), 'paper'])]
    .map((p, j) => (p === 'paper' && !same && j > 0 ? null : p)));
  const rowName = TABLE2_ROW[profile.name];
  const paperRow: number[] | undefined = rowName ? paper.table2_microseconds.rows[rowName] : undefined;
  const measured = TABLE2_COLUMNS.map((c) => m2[c].value);
  // Clock reads, in the guest's order: getpid a b, gettimeofday a x b, read a b, write a b, overhead a b.
  const between = [[0, 1], [2, 4], [5, 6], [7, 8], [9, 10]];
  const exact = between.map(([a, b]) => Math.round((1000 * (reads[b] - reads[a])) / profile.clock_mhz) / 1000);
  const fitted2 = calibratedTo(profile.name, 'table2');
  const table2: Table = {
    id: 'table2',
    title: `Table 2: system call timing in microseconds (${profile.name})`,
    columns: ['', ...TABLE2_COLUMNS],
    rows: [
      ['syscluster', ...measured],
      [rowName ? `paper: ${rowName}` : 'paper: (no row for this platform)', ...(paperRow ?? TABLE2_COLUMNS.map(() => null))],
      ['syscluster, exact interval', ...exact],
    ],
    provenance: [
      [null, ...TABLE2_COLUMNS.map(() => ours(fitted2))],
      [null, ...TABLE2_COLUMNS.map(() => (paperRow ? 'paper' as const : null))],
      // Calibration makes getpid's, read's and write's intervals whole microseconds; the
      // gettimeofday and overhead columns read as the paper's only by the clock's phase.
      [null, ...TABLE2_COLUMNS.map((c) => ours(fitted2 && c !== 'gettimeofday' && c !== 'overhead'))],
    ],
    notes: [
      'each call enclosed in two gettimeofday calls; read and write with null parameters; overhead not deducted (as in the paper)',
      `first row: what the guest prints, whole microseconds as gettimeofday gives them; last row: the same intervals from the cycle counter, to the nanosecond (${profile.clock_mhz} MHz)`,
    ],
  };
  const checks = [
    { name: 'jump_cost guest exited 0', ok: t1run.exitCode === 0, detail: t1run.stderr },
    { name: 'syscall_timing guest exited 0', ok: t2run.exitCode === 0, detail: t2run.stderr },
  ];
  return { scenario: 'control', platform: profile.name, tables: [table1, table2], checks };
}
