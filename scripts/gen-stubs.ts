// Generates the guest runtime's syscall stubs from the kernel model's table (see
// scripts/stubs.ts). Writes guest/build/usys.S and guest/build/syscalls.h, and the errno
// names die() prints, guest/build/errnames.h.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { personality } from '../kernel-model/table.js';
import { errnoHeader, runtimeStubs } from './stubs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(root, 'guest/build');
fs.mkdirSync(out, { recursive: true });

// Guests are built for the paper's numbering: the multi-call at 240, specialized calls above.
// Calls Linux 2.4 did not have (openat, statx, ...) get their modern numbers: a guest that
// uses them runs under the modern personality.
const paper = [...personality('paper').table.values()];
const paperNames = new Set(paper.map((c) => c.name));
const later = [...personality('modern').table.values()].filter((c) => c.family !== 'batch' && !paperNames.has(c.name));
const { asm, header } = runtimeStubs([...paper, ...later]);
fs.writeFileSync(path.join(out, 'usys.S'), asm);
fs.writeFileSync(path.join(out, 'syscalls.h'), header);
fs.writeFileSync(path.join(out, 'errnames.h'), errnoHeader());
