// The i386 table by name and the support listing built from it: every number appears,
// once, with its name and a support level, and the counts add up.
import fs from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { I386_NAMES, HIGHEST_I386, NO_ENTRY_POINT } from '../kernel-model/i386-names.js';
import { personality, supportListing } from '../kernel-model/table.js';
import { cli } from './helpers.js';

const names = suite('the i386 table');

names('452 numbers from 0 to 462, the unused ones left empty', () => {
  assert.is(HIGHEST_I386, 462);
  assert.is(I386_NAMES.filter(Boolean).length, 452);
  assert.equal(I386_NAMES.flatMap((n, nr) => (n ? [] : [nr])), [222, 223, 251, 285, 387, 388, 389, 390, 391, 392, 415]);
  assert.is(new Set(I386_NAMES.filter(Boolean)).size, 452, 'no name twice');
  const known: [number, string][] = [[0, 'restart_syscall'], [122, 'uname'], [240, 'futex'], [243, 'set_thread_area'],
    [252, 'exit_group'], [355, 'getrandom'], [386, 'rseq'], [403, 'clock_gettime64'], [422, 'futex_time64'], [462, 'mseal']];
  for (const [nr, name] of known) assert.is(I386_NAMES[nr], name);
  for (const n of NO_ENTRY_POINT) assert.ok(I386_NAMES.includes(n), n);
});

// Debian's kernel headers (linux-libc-dev), written by nobody here, up to their Linux version.
const HEADER = '/usr/include/x86_64-linux-gnu/asm/unistd_32.h';
names('every number agrees with <asm/unistd_32.h>', () => {
  if (!fs.existsSync(HEADER)) return console.log(`  (skipped: ${HEADER} is missing; apt install linux-libc-dev)`);
  const header = new Map<number, string>();
  for (const m of fs.readFileSync(HEADER, 'latin1').matchAll(/^#define __NR_(\w+) (\d+)$/gm)) header.set(Number(m[2]), m[1]);
  assert.ok(header.size > 400);
  for (let nr = 0; nr <= Math.max(...header.keys()); nr++) assert.is(I386_NAMES[nr] || undefined, header.get(nr), `number ${nr}`);
});

names.run();

const listing = suite('syscluster syscalls');

listing('modern: every number of the i386 table with its name, then the batch family; counts add up', () => {
  const p = personality('modern');
  const { rows, counts } = supportListing(p);
  assert.is(counts.full + counts.partial + counts.unimplemented, counts.total);
  assert.is(counts.total, rows.length);
  assert.is(new Set(rows.map((r) => r.nr)).size, rows.length, 'each number once');
  I386_NAMES.forEach((name, nr) => {
    if (!name) return;
    const row = rows.find((r) => r.nr === nr);
    assert.ok(row, `${nr} ${name} is listed`);
    assert.is(row!.name, name);
  });
  for (const [nr, spec] of p.table) assert.is(rows.find((r) => r.nr === nr)?.support, spec.support, `${spec.name} as the table declares it`);
  assert.is(rows.filter((r) => r.nr > HIGHEST_I386).length, p.table.size - [...p.table.keys()].filter((nr) => nr <= HIGHEST_I386).length);
  assert.ok(rows.every((r) => r.support === 'unimplemented' ? r.note.length > 0 : true), 'every refusal says why');
  assert.is(rows.find((r) => r.nr === 386)!.support, 'unimplemented');
  assert.match(rows.find((r) => r.nr === 17)!.note, /no entry point in Linux/);
});

listing('paper: Linux 2.4\'s numbers below 240, then the multi-call family', () => {
  const p = personality('paper');
  const { rows, counts } = supportListing(p);
  assert.is(counts.full + counts.partial + counts.unimplemented, rows.length);
  assert.is(rows.find((r) => r.nr === 240)!.name, 'multi_call');
  assert.ok(rows.filter((r) => r.nr < 240).every((r) => r.name === (I386_NAMES[r.nr] || (r.nr === 223 ? 'jump_cost' : undefined))));
  assert.is(p.nameOf(243), 'select_time', 'the paper\'s 243 is a specialized call, not set_thread_area');
  assert.is(p.nameOf(300), 'syscall_300', 'nothing above the family');
});

listing('the command: counts at the top, a row per number, JSON for scripts', () => {
  const r = cli(['syscalls', '--personality', 'modern']);
  assert.is(r.status, 0, r.stderr);
  const m = /^(\d+) numbers: (\d+) full, (\d+) partial, (\d+) unimplemented/m.exec(r.stdout)!;
  assert.ok(m, 'counts line');
  assert.is(Number(m[2]) + Number(m[3]) + Number(m[4]), Number(m[1]));
  assert.is(r.stdout.split('\n').filter((l) => /^\s*\d+  \w/.test(l)).length, Number(m[1]));
  assert.match(r.stdout, /^ 386  rseq\s+unimplemented\s+refused \(ENOSYS\), as qemu-i386 does/m);
  assert.match(r.stdout, /^ 403  clock_gettime64\s+full/m);
  const j = JSON.parse(cli(['syscalls', '--personality', 'modern', '--json']).stdout);
  assert.is(j.counts.total, Number(m[1]));
  assert.is(j.syscalls.length, j.counts.total);
  assert.equal(j.syscalls.find((s: { nr: number }) => s.nr === 26), { nr: 26, name: 'ptrace', support: 'unimplemented', note: 'not modelled: returns -ENOSYS, reported once by name' });
  assert.equal(j.syscalls.find((s: { nr: number }) => s.nr === 2).support, 'full');
});

listing.run();
