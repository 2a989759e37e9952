// Shared test helpers: synthetic ELF files, in-process guest runs, CLI runs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGuest, type RunOptions } from '../emulator/machine.js';
import type { PlatformProfile } from '../kernel-model/cost.js';
import { loadProfile } from '../kernel-model/platform.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem, type FileSystem } from '../kernel-model/vfs.js';
import { knownCallNames } from '../cli/common.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GUEST = (name: string) => path.join(ROOT, 'guest/build', name);

export const profile = (name = 'p2-266'): PlatformProfile => loadProfile(name, knownCallNames());

export function tmpdir(prefix = 'syscluster-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Runs a built guest in this process, output captured, files in memory unless `fs` is given. */
export async function run(name: string, args: string[] = [], o: Partial<RunOptions> & { files?: Record<string, Uint8Array>; stdin?: Uint8Array } = {}) {
  const stdio = new CapturedStdio(o.stdin);
  const filesystem: FileSystem = o.fs ?? new MemoryFileSystem(o.files ?? {});
  const r = await runGuest(fs.readFileSync(GUEST(name)), name, {
    argv: [name, ...args], profile: profile(), personality: personality('paper'), stdio, warn: () => {}, ...o, fs: filesystem,
  });
  return { ...r, stdout: stdio.stdout(), stderr: stdio.stderr(), fs: filesystem };
}

/** Runs the command line as a user would: `node bin/syscluster.js ...`. */
export function cli(args: string[], o: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/syscluster.js'), ...args], {
    cwd: o.cwd ?? ROOT, encoding: 'latin1', input: o.input ?? '', maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface ElfSpec {
  cls?: number;
  data?: number;
  machine?: number;
  type?: number;
  entry?: number;
  segments?: { vaddr: number; offset?: number; filesz: number; memsz: number; flags: number }[];
  truncateTo?: number;
  fileSize?: number;
}

/** A minimal ELF32 executable image built from fields, for loader tests. */
export function makeElf(s: ElfSpec = {}): Uint8Array {
  const segs = s.segments ?? [{ vaddr: 0x8048000, offset: 0, filesz: 0x100, memsz: 0x100, flags: 5 }];
  const size = Math.max(s.fileSize ?? 0x100, 52 + 32 * segs.length);
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, s.cls ?? 1, s.data ?? 1, 1], 0);
  b.writeUInt16LE(s.type ?? 2, 16);
  b.writeUInt16LE(s.machine ?? 3, 18);
  b.writeUInt32LE(1, 20);
  b.writeUInt32LE(s.entry ?? 0x8048080, 24);
  b.writeUInt32LE(52, 28);
  b.writeUInt16LE(52, 40);
  b.writeUInt16LE(32, 42);
  b.writeUInt16LE(segs.length, 44);
  segs.forEach((g, i) => {
    const o = 52 + 32 * i;
    b.writeUInt32LE(1, o);
    b.writeUInt32LE(g.offset ?? 0, o + 4);
    b.writeUInt32LE(g.vaddr, o + 8);
    b.writeUInt32LE(g.vaddr, o + 12);
    b.writeUInt32LE(g.filesz, o + 16);
    b.writeUInt32LE(g.memsz, o + 20);
    b.writeUInt32LE(g.flags, o + 24);
    b.writeUInt32LE(0x1000, o + 28);
  });
  // Code at the entry: mov $1,%eax; mov $7,%ebx; int $0x80 (exit 7)
  b.set([0xb8, 1, 0, 0, 0, 0xbb, 7, 0, 0, 0, 0xcd, 0x80], 0x80);
  return s.truncateTo !== undefined ? b.subarray(0, s.truncateTo) : b;
}
