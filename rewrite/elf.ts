// Writing the rewritten executable: the original file with its patches applied, and two
// new PT_LOAD segments appended (the trampolines, executable; the multi-call entries and
// argument slots, writable). The program header table has no room for two more entries in
// place (the first segment's contents follow it), so it moves: a new table, with the old
// entries and the two new ones, is placed at the start of the new executable segment (as
// patchelf does), so it is loaded and AT_PHDR points at it. The new segments sit below the
// first existing segment, so the break (after the highest segment) does not move.
import { PAGE_SIZE, pageDown, pageUp, type ElfImage } from '../emulator/elf.js';

const PHDR = 32, PT_LOAD = 1, PT_PHDR = 6, PF_X = 1, PF_W = 2, PF_R = 4;

export class NoRoom extends Error {}

export interface Layout {
  /** Where the new executable segment starts (the program header table comes first). */
  codeSegment: number;
  /** The first address for trampoline code. */
  code: number;
  data: number;
}

/** Where the new segments go, for `codeBytes` of trampolines and `dataBytes` of data. */
export function layout(image: ElfImage, codeBytes: number, dataBytes: number): Layout {
  const lowest = Math.min(...image.segments.map((s) => s.vaddr));
  const phdrBytes = (image.phnum + 2) * PHDR;
  const data = pageDown(lowest) - pageUp(Math.max(dataBytes, 1));
  const codeSegment = data - pageUp(phdrBytes + codeBytes);
  if (codeSegment < 0x10000) throw new NoRoom(`no room below the first segment (0x${lowest.toString(16)}) for ${codeBytes + phdrBytes + dataBytes} bytes of new segments`);
  return { codeSegment, code: codeSegment + phdrBytes, data };
}

export function writeElf(file: Uint8Array, image: ElfImage, lay: Layout, code: Uint8Array, data: Uint8Array, patches: { address: number; bytes: number[] }[]): Uint8Array {
  const fileOffset = (address: number) => {
    const s = image.segments.find((g) => address >= g.vaddr && address < g.vaddr + g.filesz);
    if (!s) throw new NoRoom(`0x${address.toString(16)} is not in the file`);
    return s.offset + (address - s.vaddr);
  };
  const codeOff = pageUp(file.length) + (lay.codeSegment % PAGE_SIZE);
  const phdrBytes = (image.phnum + 2) * PHDR;
  const codeFileBytes = phdrBytes + code.length;
  const dataOff = pageUp(codeOff + codeFileBytes) + (lay.data % PAGE_SIZE);
  const out = new Uint8Array(dataOff + data.length);
  out.set(file);
  for (const p of patches) out.set(p.bytes, fileOffset(p.address));
  const dv = new DataView(out.buffer);
  // The new table: a PT_PHDR first (moved to the new place), then the new loads (lowest
  // addresses, so the loads stay in ascending order), then the other entries as they were.
  const old = [...Array(image.phnum).keys()].map((i) => file.subarray(image.phoff + i * PHDR, image.phoff + (i + 1) * PHDR));
  const phdrs = old.filter((e) => new DataView(e.buffer, e.byteOffset).getUint32(0, true) === PT_PHDR);
  const rest = old.filter((e) => new DataView(e.buffer, e.byteOffset).getUint32(0, true) !== PT_PHDR);
  let o = codeOff;
  const entry = (type: number, offset: number, vaddr: number, filesz: number, memsz: number, flags: number, align: number) => {
    [type, offset, vaddr, vaddr, filesz, memsz, flags, align].forEach((v, i) => dv.setUint32(o + 4 * i, v >>> 0, true));
    o += PHDR;
  };
  for (const _ of phdrs) entry(PT_PHDR, codeOff, lay.codeSegment, phdrBytes, phdrBytes, PF_R, 4);
  entry(PT_LOAD, codeOff, lay.codeSegment, codeFileBytes, codeFileBytes, PF_R | PF_X, PAGE_SIZE);
  entry(PT_LOAD, dataOff, lay.data, data.length, data.length, PF_R | PF_W, PAGE_SIZE);
  for (const e of rest) { out.set(e, o); o += PHDR; }
  out.set(code, codeOff + phdrBytes);
  out.set(data, dataOff);
  dv.setUint32(28, codeOff, true); // e_phoff
  dv.setUint16(44, image.phnum + 2, true); // e_phnum
  return out;
}
