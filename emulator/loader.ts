// Loading a program as Linux's binfmt_elf does: its segments (at their addresses, or at
// a base for a PIE program), its interpreter (PT_INTERP, an ET_DYN placed top-down like
// any mmap), the vDSO with its data page (emulator/vdso.ts), and the initial stack with
// argv, envp and the auxiliary vector.
import { PROT, type GuestMemory } from '../kernel-model/memory.js';
import { MMAP_BASE } from '../kernel-model/mm.js';
import type { SeededRandom } from '../kernel-model/random.js';
import { E, KernelError, errnoName } from '../kernel-model/errno.js';
import { O, type FileSystem } from '../kernel-model/vfs.js';
import type { VdsoImage } from './vdso.js';
import { BadInput, PAGE_SIZE, PF_R, PF_W, PF_X, USER_TOP, pageDown, pageUp, parseElf, type ElfImage } from './elf.js';

export const STACK_TOP = USER_TOP;
export const STACK_BYTES = 8 * 1024 * 1024;
/** Where Linux puts a PIE program on i386 (ELF_ET_DYN_BASE for ia32). */
export const ET_DYN_BASE = 0x400000;
/** The largest interpreter read from the guest's file system. */
const MAX_INTERP_BYTES = 64 * 1024 * 1024;

export const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9, UID: 11, EUID: 12, GID: 13, EGID: 14,
  PLATFORM: 15, HWCAP: 16, CLKTCK: 17, SECURE: 23, RANDOM: 25, EXECFN: 31, SYSINFO: 32, SYSINFO_EHDR: 33,
} as const;

export interface LoadOptions {
  argv: string[];
  envp: string[];
  /** The guest's file system, where the interpreter is looked up. */
  fs?: FileSystem;
  /** AT_RANDOM's 16 bytes come from here. */
  random: SeededRandom;
  /** AT_HWCAP: the CPU's feature bits (CPUID 1, edx). */
  hwcap?: number;
  /** AT_UID and friends. */
  uid?: number;
  gid?: number;
  /** The vDSO to map (with its data page below it), named in AT_SYSINFO and AT_SYSINFO_EHDR. */
  vdso?: VdsoImage;
}

/** Where the vDSO and its data page were mapped. */
export interface MappedVdso {
  image: VdsoImage;
  /** The vDSO's first byte (AT_SYSINFO_EHDR). */
  base: number;
  /** The data page (vvar), just below. */
  vvar: number;
  /** __kernel_vsyscall (AT_SYSINFO) and the sysenter landing pad, as addresses. */
  vsyscall: number;
  landingPad: number;
}

export interface LoadedProgram {
  image: ElfImage;
  /** Added to the program's addresses (0 for ET_EXEC). */
  bias: number;
  interp?: { path: string; image: ElfImage; base: number; bytes: Uint8Array };
  /** Where the CPU starts: the interpreter's entry if there is one, else the program's. */
  entry: number;
  esp: number;
  /** The program break's start: the end of the program's highest segment. */
  brk: number;
  /** The auxiliary vector as pushed (for tests and traces). */
  auxv: [number, number][];
  vdso?: MappedVdso;
}

const protOf = (flags: number) => (flags & PF_R ? PROT.READ : 0) | (flags & PF_W ? PROT.WRITE : 0) | (flags & PF_X ? PROT.EXEC : 0);

/** Maps one image's segments at `bias`; a failure names the segment. */
function mapImage(mem: GuestMemory, image: ElfImage, file: Uint8Array, bias: number, name: string): void {
  for (const s of image.segments) {
    const start = pageDown(s.vaddr) + bias, end = pageUp(s.vaddr + s.memsz) + bias;
    if (!mem.map(start, end - start, PROT.READ | PROT.WRITE, name)) {
      const why = !mem.space.isFree(start, end) ? 'it overlaps memory already mapped'
        : mem.space.count >= mem.space.maxMapCount ? `the program needs more than ${mem.space.maxMapCount} memory areas`
          : 'it needs more memory than --max-memory allows';
      throw new BadInput(`${name}: segment at 0x${(s.vaddr + bias).toString(16)} cannot be mapped: ${why}`);
    }
    mem.poke(s.vaddr + bias, file.subarray(s.offset, s.offset + s.filesz)); // the rest stays zero (bss)
    mem.protect(start, end - start, protOf(s.flags));
  }
}

/** The interpreter's bytes, read through the guest's file system. */
function readInterpreter(fs: FileSystem | undefined, path: string, program: string): Uint8Array {
  const missing = (why: string): never => {
    throw new BadInput(`${program}: its interpreter ${path} ${why} (use --root or --sysroot to provide it)`);
  };
  if (!fs) missing('cannot be looked up: no file system');
  let file;
  try {
    file = fs!.open(path, O.RDONLY, 0);
  } catch (err) {
    if (err instanceof KernelError) missing(err.errno === E.ENOENT ? 'was not found' : `cannot be opened (${errnoName(err.errno)})`);
    throw err;
  }
  try {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const b = file.read(1024 * 1024);
      if (b.length === 0) break;
      total += b.length;
      if (total > MAX_INTERP_BYTES) missing(`is larger than ${MAX_INTERP_BYTES} bytes`);
      parts.push(b.slice());
    }
    return Buffer.concat(parts, total);
  } catch (err) {
    if (err instanceof KernelError) missing(`cannot be read (${errnoName(err.errno)})`);
    throw err;
  } finally {
    file.close();
  }
}

/** Parses, validates and maps `file` (and its interpreter); builds the initial stack. */
export function loadProgram(mem: GuestMemory, file: Uint8Array, name: string, o: LoadOptions): LoadedProgram {
  const image = parseElf(file, name);
  // The stack first, as Linux sets it up before mapping the program: a segment there is refused.
  if (!mem.map(STACK_TOP - STACK_BYTES, STACK_BYTES, PROT.READ | PROT.WRITE, '[stack]')) {
    throw new BadInput(`${name}: the stack (${STACK_BYTES} bytes below 0x${STACK_TOP.toString(16)}) cannot be mapped: --max-memory is too small`);
  }
  const bias = image.dynamic ? ET_DYN_BASE - image.start : 0;
  if (image.end + bias > STACK_TOP - STACK_BYTES) {
    throw new BadInput(`${name}: a segment reaches into the stack area (0x${(STACK_TOP - STACK_BYTES).toString(16)} and up)`);
  }
  mapImage(mem, image, file, bias, name);
  let interp: LoadedProgram['interp'];
  if (image.interp) {
    const path = image.interp;
    const bytes = readInterpreter(o.fs, path, name);
    const ii = parseElf(bytes, `${name}: interpreter ${path}`);
    if (!ii.dynamic) throw new BadInput(`${name}: interpreter ${path} is not a shared object (ET_DYN)`);
    if (ii.interp) throw new BadInput(`${name}: interpreter ${path} asks for an interpreter itself`);
    const span = pageUp(ii.end) - ii.start;
    const base = mem.space.findFree(span, MMAP_BASE);
    if (base < 0) throw new BadInput(`${name}: no room for the interpreter ${path} (${span} bytes)`);
    mapImage(mem, ii, bytes, base - ii.start, `${name}: interpreter ${path}`);
    interp = { path, image: ii, base: base - ii.start, bytes };
  }
  // Linux maps the vDSO after the interpreter (arch_setup_additional_pages), top-down like it.
  const vdso = o.vdso && mapVdso(mem, o.vdso, name);
  const entry = interp ? interp.image.entry + interp.base : image.entry + bias;
  const auxv: [number, number][] = [
    ...(vdso ? [[AT.SYSINFO, vdso.vsyscall], [AT.SYSINFO_EHDR, vdso.base]] as [number, number][] : []),
    [AT.PHDR, image.phdrAddress ? image.phdrAddress + bias : 0], [AT.PHENT, image.phentsize], [AT.PHNUM, image.phnum],
    [AT.PAGESZ, PAGE_SIZE], [AT.BASE, interp ? interp.base : 0], [AT.FLAGS, 0], [AT.ENTRY, image.entry + bias],
    [AT.UID, o.uid ?? 0], [AT.EUID, o.uid ?? 0], [AT.GID, o.gid ?? 0], [AT.EGID, o.gid ?? 0],
    [AT.PLATFORM, 0], [AT.HWCAP, o.hwcap ?? 0], [AT.CLKTCK, 100], [AT.SECURE, 0], [AT.RANDOM, 0], [AT.EXECFN, 0],
  ];
  const esp = buildStack(mem, o, auxv);
  return { image, bias, interp, entry, esp, brk: pageUp(image.end + bias), auxv, vdso };
}

/** Maps [vvar] (read-only) and [vdso] (read and execute) together, the data page first. */
function mapVdso(mem: GuestMemory, v: VdsoImage, name: string): MappedVdso {
  const size = pageUp(v.bytes.length);
  const span = v.vvarBytes + size;
  const vvar = mem.space.findFree(span, MMAP_BASE);
  if (vvar < 0 || !mem.map(vvar, v.vvarBytes, PROT.READ, '[vvar]') || !mem.map(vvar + v.vvarBytes, size, PROT.READ | PROT.WRITE, '[vdso]')) {
    throw new BadInput(`${name}: no room for the vDSO (${span} bytes): --max-memory is too small`);
  }
  const base = vvar + v.vvarBytes;
  mem.poke(base, v.bytes);
  mem.protect(base, size, PROT.READ | PROT.EXEC);
  return { image: v, base, vvar, vsyscall: base + v.symbols.get('__kernel_vsyscall')!, landingPad: base + v.landingPad };
}

/**
 * The i386 System V initial stack: argc, argv, envp, auxv, then the strings. The
 * pointer-valued auxv entries (AT_PLATFORM, AT_RANDOM, AT_EXECFN) are filled here.
 */
function buildStack(mem: GuestMemory, o: LoadOptions, auxv: [number, number][]): number {
  let sp = STACK_TOP - 16;
  const push = (bytes: Uint8Array) => {
    sp -= bytes.length;
    if (sp < STACK_TOP - STACK_BYTES + 4096) throw new BadInput(`arguments and environment do not fit in the ${STACK_BYTES}-byte stack`);
    mem.poke(sp, bytes);
    return sp;
  };
  const pushString = (s: string) => push(Buffer.from(s + '\0', 'latin1'));
  const execfn = pushString(o.argv[0] ?? '');
  const argvPtrs = o.argv.map(pushString);
  const envPtrs = o.envp.map(pushString);
  const platform = pushString('i686');
  const random = push(o.random.bytes(16));
  const set = (type: number, value: number) => { auxv.find((e) => e[0] === type)![1] = value; };
  set(AT.PLATFORM, platform);
  set(AT.RANDOM, random);
  set(AT.EXECFN, execfn);
  const words = [o.argv.length, ...argvPtrs, 0, ...envPtrs, 0, ...auxv.flat(), AT.NULL, 0];
  sp = Math.floor((sp - words.length * 4) / 16) * 16;
  if (sp < STACK_TOP - STACK_BYTES) throw new BadInput(`arguments and environment do not fit in the ${STACK_BYTES}-byte stack`);
  const vec = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => vec.writeUInt32LE(w >>> 0, i * 4));
  mem.poke(sp, vec);
  return sp;
}
