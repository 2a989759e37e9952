// The vDSO: the shared object Linux maps into every process (linux-gate.so.1 on i386),
// built from guest/vdso/ by the guest Makefile. Its symbols are read here from its own
// dynamic symbol table, the way a C library's vDSO lookup reads them; the loader maps it
// with its data page (vvar, kernel-model/vvar.ts) below it and names __kernel_vsyscall in
// AT_SYSINFO, the image in AT_SYSINFO_EHDR.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { EntryPath } from '../kernel-model/cost.js';
import { VVAR_BYTES } from '../kernel-model/vvar.js';
import { NativeUnavailable } from './unicorn.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/emulator/vdso.js → guest/build/vdso.so (made by `make -C guest`). */
export const VDSO_FILE = path.resolve(here, '../../guest/build/vdso.so');

/** The names Linux's i386 vDSO exports, all at version LINUX_2.6. */
export const VDSO_SYMBOLS = ['__kernel_vsyscall', '__kernel_sigreturn', '__kernel_rt_sigreturn', '__vdso_clock_gettime',
  '__vdso_clock_gettime64', '__vdso_gettimeofday', '__vdso_time', '__vdso_clock_getres'] as const;

const SYSENTER_SEQUENCE = [0x89, 0xe5, 0x0f, 0x34]; // movl %esp, %ebp; sysenter
const INT80 = [0xcd, 0x80];
/** The four-byte nop Linux's ALTERNATIVE pads with (nopl 0(%eax)). */
const NOP4 = [0x0f, 0x1f, 0x40, 0x00];

/** The vDSO as one entry path needs it: the bytes to map and where things are, as offsets from its start. */
export interface VdsoImage {
  /** The image, its sysenter sequence replaced by a nop for the int 0x80 path. */
  bytes: Uint8Array;
  /** Exported symbols (name → offset). */
  symbols: Map<string, number>;
  /** Where the kernel returns after a sysenter (Linux's int80_landing_pad): just past the int $0x80. */
  landingPad: number;
  /** The entry path __kernel_vsyscall takes. */
  path: EntryPath;
  /** Bytes the data page takes below the image. */
  vvarBytes: number;
}

class BadVdso extends Error {}

/** The dynamic symbols of an ELF32 shared object: name → value, through DT_SYMTAB, DT_STRTAB and DT_HASH. */
export function dynamicSymbols(b: Uint8Array): Map<string, number> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (o: number) => { if (o + 4 > b.length) throw new BadVdso('truncated'); return dv.getUint32(o, true); };
  const u16 = (o: number) => dv.getUint16(o, true);
  if (u32(0) !== 0x464c457f || b[4] !== 1 || u16(16) !== 3) throw new BadVdso('not an ELF32 shared object');
  const phoff = u32(28), phentsize = u16(42), phnum = u16(44);
  let dynamic = -1;
  for (let i = 0; i < phnum; i++) if (u32(phoff + i * phentsize) === 2) dynamic = u32(phoff + i * phentsize + 4); // PT_DYNAMIC: p_offset
  if (dynamic < 0) throw new BadVdso('no PT_DYNAMIC');
  const tags = new Map<number, number>();
  for (let at = dynamic; u32(at) !== 0; at += 8) tags.set(u32(at), u32(at + 4));
  const symtab = tags.get(6), strtab = tags.get(5), hash = tags.get(4); // linked at 0: addresses are offsets
  if (symtab === undefined || strtab === undefined || hash === undefined) throw new BadVdso('no DT_SYMTAB, DT_STRTAB or DT_HASH');
  const count = u32(hash + 4); // nchain: the number of symbols
  const symbols = new Map<string, number>();
  for (let i = 1; i < count; i++) {
    const s = symtab + i * 16;
    let end = strtab + u32(s);
    const start = end;
    while (end < b.length && b[end] !== 0) end++;
    if (u16(s + 14) !== 0) symbols.set(Buffer.from(b.subarray(start, end)).toString('latin1'), u32(s + 4));
  }
  return symbols;
}

const indexOf = (b: Uint8Array, seq: number[], from: number, to: number) => {
  for (let i = from; i + seq.length <= to; i++) if (seq.every((x, j) => b[i + j] === x)) return i;
  return -1;
};

let built: { bytes: Uint8Array; symbols: Map<string, number>; sysenterAt: number; landingPad: number } | undefined;

/** The built vDSO, checked once: its symbols, the sysenter sequence and the landing pad in __kernel_vsyscall. */
function load() {
  if (built) return built;
  if (!existsSync(VDSO_FILE)) throw new NativeUnavailable(`the vDSO is missing at ${VDSO_FILE}: run ./setup.sh (or npm run build), or run with --vdso off`);
  const bytes = new Uint8Array(readFileSync(VDSO_FILE));
  try {
    const symbols = dynamicSymbols(bytes);
    for (const name of VDSO_SYMBOLS) if (!symbols.has(name)) throw new BadVdso(`it does not export ${name}`);
    const vsyscall = symbols.get('__kernel_vsyscall')!;
    const sysenterAt = indexOf(bytes, SYSENTER_SEQUENCE, vsyscall, vsyscall + 16);
    if (sysenterAt < 0 || indexOf(bytes, INT80, sysenterAt + 4, sysenterAt + 6) !== sysenterAt + 4) {
      throw new BadVdso('__kernel_vsyscall is not push ecx; push edx; push ebp; mov esp, ebp; sysenter; int $0x80');
    }
    built = { bytes, symbols, sysenterAt, landingPad: sysenterAt + 6 };
    return built;
  } catch (err) {
    if (err instanceof BadVdso) throw new NativeUnavailable(`${VDSO_FILE} is not a usable vDSO (${err.message}): rebuild it (npm run build)`);
    throw err;
  }
}

/** The vDSO for an entry path: sysenter as built; int 0x80 with the sysenter sequence made a nop. */
export function vdsoImage(path: EntryPath): VdsoImage {
  const v = load();
  const bytes = v.bytes.slice();
  if (path === 'int80') bytes.set(NOP4, v.sysenterAt);
  return { bytes, symbols: v.symbols, landingPad: v.landingPad, path, vvarBytes: VVAR_BYTES };
}
