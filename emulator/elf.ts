// ELF32 i386 executable parsing: static and dynamically linked programs (ET_EXEC), PIE
// programs and their interpreters (ET_DYN). Everything is validated before anything is
// mapped: a malformed file is rejected with one sentence naming the problem.
import { UserError } from '../kernel-model/limits.js';

/** A guest file that is not a usable ELF executable (a user's mistake: exit 2). */
export class BadInput extends UserError {}

export const PAGE_SIZE = 0x1000;
const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const PT_LOAD = 1, PT_INTERP = 3, PT_NOTE = 4, PT_PHDR = 6, PT_TLS = 7;
const ET_EXEC = 2, ET_DYN = 3;
/** Linux reads at most 64 KiB of program headers (fs/binfmt_elf.c, load_elf_phdrs): 2048 entries. */
const MAX_PHDR_BYTES = 65536;
/** NT_GNU_ABI_TAG: the note a C library's start files put in every program built against it. */
const NT_GNU_ABI_TAG = 1;
/** The project's own note (guest/Makefile adds it): name "syscluster", type 1, the personality as its text. */
export const NT_SYSCLUSTER_PERSONALITY = 1;
export const PF_X = 1, PF_W = 2, PF_R = 4;

/** Largest memory image a guest may ask for (all segments together). */
export const MAX_IMAGE_BYTES = 256 * 1024 * 1024;
/** Guest addresses must stay below the stack region. */
export const USER_TOP = 0xc0000000;

export interface Segment {
  vaddr: number;
  memsz: number;
  filesz: number;
  offset: number;
  flags: number; // PF_R | PF_W | PF_X
}

export interface ElfImage {
  entry: number;
  phoff: number;
  phnum: number;
  phentsize: number;
  segments: Segment[];
  /** The highest address any segment occupies (exclusive). */
  end: number;
  /** Guest address of the program headers, when a segment maps them (for AT_PHDR). */
  phdrAddress: number;
  /** ET_DYN: loaded at a base the loader chooses (a PIE program or an interpreter). */
  dynamic: boolean;
  /** The lowest address any segment occupies (page-aligned). */
  start: number;
  /** PT_INTERP: the interpreter's path. */
  interp?: string;
  /** What says which C library, if any, the program was built against. */
  abi: { gnuAbiTag: boolean; tls: boolean; personality?: 'paper' | 'modern' };
}

export const pageDown = (a: number) => a - (a % PAGE_SIZE);
export const pageUp = (a: number) => pageDown(a + PAGE_SIZE - 1);

export function parseElf(file: Uint8Array, name = 'file'): ElfImage {
  const fail = (why: string): never => { throw new BadInput(`${name}: ${why}`); };
  if (file.length === 0) fail('empty file, not an ELF executable');
  if (file.length < 4 || file[0] !== 0x7f || file[1] !== 0x45 || file[2] !== 0x4c || file[3] !== 0x46) {
    fail('not an ELF file (bad magic)');
  }
  if (file.length < EHDR_SIZE) fail(`truncated ELF header (${file.length} of ${EHDR_SIZE} bytes)`);
  if (file[4] === 2) fail('64-bit ELF (ELFCLASS64); only i386 (ELFCLASS32) guests run here');
  if (file[4] !== 1) fail(`unknown ELF class ${file[4]}`);
  if (file[5] === 2) fail('big-endian ELF; i386 guests are little-endian');
  if (file[5] !== 1) fail(`unknown ELF data encoding ${file[5]}`);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const type = u16(16), machine = u16(18);
  if (machine === 62) fail('x86-64 ELF (EM_X86_64); only i386 guests run here');
  if (machine !== 3) fail(`not an i386 ELF (e_machine ${machine}, expected EM_386 = 3)`);
  if (type !== ET_EXEC && type !== ET_DYN) fail(`not an executable (e_type ${type}, expected ET_EXEC = 2 or ET_DYN = 3)`);
  const dynamic = type === ET_DYN;
  const entry = u32(24), phoff = u32(28), phentsize = u16(42), phnum = u16(44);
  if (phnum === 0) fail('no program headers');
  if (phentsize !== PHDR_SIZE) fail(`program header size ${phentsize}, expected ${PHDR_SIZE}`);
  if (phnum * PHDR_SIZE > MAX_PHDR_BYTES) fail(`${phnum} program headers; Linux reads at most ${MAX_PHDR_BYTES / PHDR_SIZE}`);
  if (phoff + phnum * PHDR_SIZE > file.length) fail('program headers lie past the end of the file');

  const segments: Segment[] = [];
  const abi: ElfImage['abi'] = { gnuAbiTag: false, tls: false };
  let interp: string | undefined;
  let phdrSegment: number | undefined;
  let total = 0;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * PHDR_SIZE;
    const ptype = u32(o);
    if (ptype === PT_TLS) abi.tls = true;
    if (ptype === PT_PHDR) phdrSegment = u32(o + 8);
    if (ptype === PT_INTERP) {
      const off = u32(o + 4), size = u32(o + 16);
      if (off + size > file.length || size < 2 || size > 4096) fail(`PT_INTERP (program header ${i}) is not a path inside the file`);
      const bytes = file.subarray(off, off + size);
      if (bytes[size - 1] !== 0 || bytes.indexOf(0) !== size - 1) fail(`PT_INTERP (program header ${i}) is not a NUL-terminated path`);
      interp = Buffer.from(bytes.subarray(0, size - 1)).toString('latin1');
    }
    if (ptype === PT_NOTE) readNotes(file, u32(o + 4), u32(o + 16), abi);
    if (ptype !== PT_LOAD) continue;
    const seg: Segment = { offset: u32(o + 4), vaddr: u32(o + 8), filesz: u32(o + 16), memsz: u32(o + 20), flags: u32(o + 24) };
    const what = `PT_LOAD segment ${i} (vaddr 0x${seg.vaddr.toString(16)})`;
    if (seg.filesz > seg.memsz) fail(`${what} has filesz larger than memsz`);
    if (seg.offset + seg.filesz > file.length) {
      fail(`${what} reaches past the end of the file (offset ${seg.offset} + ${seg.filesz} > ${file.length} bytes)`);
    }
    if (seg.memsz > MAX_IMAGE_BYTES) fail(`${what} asks for ${seg.memsz} bytes of memory (limit ${MAX_IMAGE_BYTES})`);
    if (!dynamic && seg.vaddr < PAGE_SIZE) fail(`${what} maps the zero page`);
    if (seg.vaddr + seg.memsz > USER_TOP) fail(`${what} reaches into the kernel half of the address space`);
    if (seg.vaddr % PAGE_SIZE !== seg.offset % PAGE_SIZE) fail(`${what} is not congruent to its file offset modulo the page size`);
    total += seg.memsz;
    if (total > MAX_IMAGE_BYTES) fail(`segments ask for more than ${MAX_IMAGE_BYTES} bytes of memory`);
    segments.push(seg);
  }
  if (segments.length === 0) fail('no PT_LOAD segment');
  const byPage = [...segments].sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < byPage.length; i++) {
    const prev = byPage[i - 1], cur = byPage[i];
    if (pageUp(prev.vaddr + prev.memsz) > pageDown(cur.vaddr)) {
      fail(`PT_LOAD segments at 0x${prev.vaddr.toString(16)} and 0x${cur.vaddr.toString(16)} overlap`);
    }
  }
  const inExec = segments.some((s) => (s.flags & PF_X) && entry >= s.vaddr && entry < s.vaddr + s.memsz);
  if (!inExec) fail(`entry point 0x${entry.toString(16)} is not inside an executable segment`);
  const holder = segments.find((s) => phoff >= s.offset && phoff + phnum * PHDR_SIZE <= s.offset + s.filesz);
  const phdrAddress = phdrSegment ?? (holder ? holder.vaddr + (phoff - holder.offset) : 0);
  const end = byPage.reduce((m, s) => Math.max(m, s.vaddr + s.memsz), 0);
  const start = pageDown(byPage[0].vaddr);
  if (end - start > MAX_IMAGE_BYTES) fail(`segments span more than ${MAX_IMAGE_BYTES} bytes`);
  return { entry, phoff, phnum, phentsize, segments, end, phdrAddress, dynamic, start, interp, abi };
}

/** Reads the notes of one PT_NOTE segment: the GNU ABI tag and the project's personality note. */
function readNotes(file: Uint8Array, offset: number, size: number, abi: ElfImage['abi']): void {
  const end = Math.min(offset + size, file.length);
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const align4 = (n: number) => (n + 3) & ~3;
  for (let at = offset; at + 12 <= end;) {
    const namesz = dv.getUint32(at, true), descsz = dv.getUint32(at + 4, true), type = dv.getUint32(at + 8, true);
    const nameAt = at + 12, descAt = nameAt + align4(namesz);
    if (namesz > end || descsz > end || descAt + descsz > end) return; // a malformed note is ignored, as Linux does
    const name = Buffer.from(file.subarray(nameAt, nameAt + namesz)).toString('latin1').replace(/\0+$/, '');
    const desc = Buffer.from(file.subarray(descAt, descAt + descsz)).toString('latin1').replace(/\0+$/, '');
    if (name === 'GNU' && type === NT_GNU_ABI_TAG) abi.gnuAbiTag = true;
    if (name === 'syscluster' && type === NT_SYSCLUSTER_PERSONALITY && (desc === 'paper' || desc === 'modern')) abi.personality = desc;
    at = descAt + align4(descsz);
  }
}

/**
 * The syscall numbering a program expects. The project's note decides if present; a
 * program built against a real C library (GNU ABI tag note, PT_TLS or PT_INTERP) uses
 * today's i386 numbers; a bare program that issues int 0x80 itself keeps the paper's.
 */
export function personalityOf(image: ElfImage): { name: 'paper' | 'modern'; why: string } {
  if (image.abi.personality) return { name: image.abi.personality, why: 'the program\'s syscluster note' };
  if (image.abi.gnuAbiTag) return { name: 'modern', why: 'GNU ABI tag note' };
  if (image.abi.tls) return { name: 'modern', why: 'PT_TLS segment' };
  if (image.interp) return { name: 'modern', why: `PT_INTERP ${image.interp}` };
  return { name: 'paper', why: 'no C library marks' };
}
