// node dist/bench/generate.js dump FILE CROSSINGS | strace FILE LINES [PIDS]: synthetic inputs of any size.
import { loadProfile } from '../kernel-model/platform.js';
import { knownCallNames } from '../cli/common.js';
import { writeSyntheticDump, writeSyntheticStrace } from './synthetic.js';

const [kind, file, n, pids] = process.argv.slice(2);
const count = Number(n);
if (!file || !Number.isInteger(count) || count < 0 || (kind !== 'dump' && kind !== 'strace')) {
  process.stderr.write('usage: generate.js dump FILE CROSSINGS | strace FILE LINES [PIDS]\n');
  process.exit(2);
}
const r = kind === 'dump' ? writeSyntheticDump(file, count, loadProfile('p2-266', knownCallNames())) : writeSyntheticStrace(file, count, { pids: Number(pids ?? 1) });
process.stdout.write(`${file}: ${r.bytes} bytes\n`);
