// Fits handler costs to the paper's Table 2 for a built-in profile and, with --write,
// stores them in platforms/NAME.json. Usage: node dist/scripts/calibrate.js p2-266 [--write]
import fs from 'node:fs';
import path from 'node:path';
import { knownCallNames } from '../cli/common.js';
import { PLATFORM_DIR, loadProfile } from '../kernel-model/platform.js';
import { calibrateTable2 } from '../scenarios/calibrate.js';
import { paperTables } from '../scenarios/guests.js';

const ROWS: Record<string, string> = { 'p2-266': 'Linux-x86: Laptop (P2-266)', 'p3-650': 'Linux-x86: Desktop (P3-650)' };
const [name, flag] = process.argv.slice(2);
if (!ROWS[name]) {
  console.error(`usage: calibrate ${Object.keys(ROWS).join('|')} [--write]`);
  process.exit(2);
}
const profile = loadProfile(name, knownCallNames());
const target: number[] = paperTables().table2_microseconds.rows[ROWS[name]];
const h = await calibrateTable2(profile, target);
console.log(`${name}: handler costs reproducing Table 2's row ${JSON.stringify(target)}: ${JSON.stringify(h)}`);
if (flag === '--write') {
  const file = path.join(PLATFORM_DIR, `${name}.json`);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  raw.handler_cycles = { ...raw.handler_cycles, ...h };
  fs.writeFileSync(file, JSON.stringify(raw, null, 2) + '\n');
  console.log(`written to ${file}`);
}
