// Fits a built-in profile to the paper: for p2-266 first Table 3 (per-byte copy cost,
// warm-step saving), then Table 2 (handler costs, which depend on the copy cost through
// gettimeofday's 8 bytes); for p3-650 Table 2 only. With --write, stores the result in
// platforms/NAME.json. Usage: node dist/scripts/calibrate.js p2-266 [--write]
import fs from 'node:fs';
import path from 'node:path';
import { knownCallNames } from '../cli/common.js';
import { PLATFORM_DIR, loadProfile } from '../kernel-model/platform.js';
import { calibrateTable2 } from '../scenarios/calibrate.js';
import { fitTable3 } from '../scenarios/fit.js';
import { paperTables } from '../scenarios/guests.js';

const ROWS: Record<string, string> = { 'p2-266': 'Linux-x86: Laptop (P2-266)', 'p3-650': 'Linux-x86: Desktop (P3-650)' };
const [name, flag] = process.argv.slice(2);
if (!ROWS[name]) {
  console.error(`usage: calibrate ${Object.keys(ROWS).join('|')} [--write]`);
  process.exit(2);
}
let profile = loadProfile(name, knownCallNames());
const file = path.join(PLATFORM_DIR, `${name}.json`);
const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
if (name === 'p2-266') {
  const fit = await fitTable3(profile);
  console.log(`${name}: Table 3 fit: ${fit.copy_cycles_per_byte} cycles a byte each way, warm-step saving ${fit.warm_step_saving_cycles} cycles, specialized call ${fit.specialized_base_cycles} cycles`);
  for (const r of fit.residuals) console.log(`  ${r.cell.padEnd(26)} ours ${r.ours.toFixed(4).padStart(8)}  paper ${String(r.paper).padStart(6)}  ${r.relative_pct.toFixed(1).padStart(6)}%`);
  raw.copy = { from_user_cycles_per_byte: fit.copy_cycles_per_byte, to_user_cycles_per_byte: fit.copy_cycles_per_byte };
  raw.batch = { warm_step_saving_cycles: fit.warm_step_saving_cycles };
  raw.specialized = { ...raw.specialized, base_cycles: fit.specialized_base_cycles };
  profile = { ...profile, copy: raw.copy, batch: raw.batch, specialized: raw.specialized };
}
const target: number[] = paperTables().table2_microseconds.rows[ROWS[name]];
const h = await calibrateTable2(profile, target);
console.log(`${name}: handler costs reproducing Table 2's row ${JSON.stringify(target)}: ${JSON.stringify(h)}`);
raw.handler_cycles = { ...raw.handler_cycles, ...h };
if (flag === '--write') {
  fs.writeFileSync(file, JSON.stringify(raw, null, 2) + '\n');
  console.log(`written to ${file}`);
}
