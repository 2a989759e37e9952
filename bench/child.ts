// Runs one benchmark workload in this process and prints it as JSON, with this
// process's peak resident memory.
import { accounted, qemu, rawUnicorn, type Measurement } from './workloads.js';

const [kind, name, ...args] = process.argv.slice(2);
let m: Measurement;
if (kind === 'raw') m = rawUnicorn(name, args);
else if (kind === 'ours') m = await accounted(name, args);
else if (kind === 'qemu') m = qemu(name, args, Number(args[0]));
else if (kind === 'floor') m = (await import('./floor.js')).emptyCallbackFloor(name, args, Number(args[0]));
else if (kind === 'real-ours') m = await (await import('./real.js')).realAccounted(name, args[0]);
else if (kind === 'real-raw') m = await (await import('./real.js')).realRaw(name, args[0]);
else throw new Error(`unknown workload ${kind}`);
m.maxRssKiB = kind === 'qemu' ? undefined : process.resourceUsage().maxRSS;
process.stdout.write(JSON.stringify(m) + '\n');
