// A binary as the analysis sees it: its loadable segments (through the emulator's ELF
// parser, so the same files are accepted and refused), the bytes at an address, and the
// ELF symbol table when the file has one. Nothing here runs the program.
import { BadInput, PF_X, parseElf, type ElfImage } from '../emulator/elf.js';

export { BadInput };

export interface FunctionSymbol {
  name: string;
  address: number;
  size: number;
}

export interface Binary {
  name: string;
  image: ElfImage;
  file: Uint8Array;
  /** Functions named by the symbol table (STT_FUNC in an executable segment); empty when stripped. */
  symbols: FunctionSymbol[];
  /** Other named addresses (objects), for labelling constants in reports. */
  objects: FunctionSymbol[];
}

const SHT_SYMTAB = 2;
const STT_OBJECT = 1, STT_FUNC = 2;

export function loadBinary(file: Uint8Array, name: string): Binary {
  const image = parseElf(file, name);
  const { functions, objects } = readSymbols(file, image);
  return { name, image, file, symbols: functions, objects };
}

/** True when `address` lies in an executable segment's file-backed part. */
export function isCode(b: Binary, address: number): boolean {
  return b.image.segments.some((s) => (s.flags & PF_X) && address >= s.vaddr && address < s.vaddr + s.filesz);
}

/** Up to `length` bytes of code at `address` (fewer at the end of its segment; none outside code). */
export function codeAt(b: Binary, address: number, length: number): Uint8Array {
  for (const s of b.image.segments) {
    if (!(s.flags & PF_X) || address < s.vaddr || address >= s.vaddr + s.filesz) continue;
    const off = s.offset + (address - s.vaddr);
    return b.file.subarray(off, Math.min(off + length, s.offset + s.filesz));
  }
  return new Uint8Array(0);
}

/** The 32-bit word at `address` in any file-backed segment, or undefined. */
export function wordAt(b: Binary, address: number): number | undefined {
  for (const s of b.image.segments) {
    if (address < s.vaddr || address + 4 > s.vaddr + s.filesz) continue;
    const off = s.offset + (address - s.vaddr);
    return new DataView(b.file.buffer, b.file.byteOffset + off, 4).getUint32(0, true);
  }
  return undefined;
}

/** The symbol table (.symtab, else .dynsym) read from the section headers; a damaged table is ignored, not fatal. */
function readSymbols(file: Uint8Array, image: ElfImage): { functions: FunctionSymbol[]; objects: FunctionSymbol[] } {
  const functions: FunctionSymbol[] = [], objects: FunctionSymbol[] = [];
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true), u32 = (o: number) => dv.getUint32(o, true);
  const shoff = u32(32), shentsize = u16(46), shnum = u16(48);
  if (!shoff || shentsize !== 40 || shoff + shnum * 40 > file.length) return { functions, objects };
  const section = (i: number) => ({ type: u32(shoff + 40 * i + 4), offset: u32(shoff + 40 * i + 16), size: u32(shoff + 40 * i + 20), link: u32(shoff + 40 * i + 24) });
  for (let i = 0; i < shnum; i++) {
    const sym = section(i);
    if (sym.type !== SHT_SYMTAB || sym.link >= shnum) continue;
    const str = section(sym.link);
    if (sym.offset + sym.size > file.length || str.offset + str.size > file.length) continue;
    for (let o = sym.offset; o + 16 <= sym.offset + sym.size; o += 16) {
      const nameOff = u32(o), value = u32(o + 4), size = u32(o + 8), type = file[o + 12] & 0xf;
      if (nameOff >= str.size || value === 0) continue;
      let end = str.offset + nameOff;
      while (end < str.offset + str.size && file[end] !== 0) end++;
      const name = Buffer.from(file.subarray(str.offset + nameOff, end)).toString('latin1');
      if (!name) continue;
      const entry = { name, address: value, size };
      if (type === STT_FUNC && image.segments.some((s) => (s.flags & PF_X) && value >= s.vaddr && value < s.vaddr + s.filesz)) functions.push(entry);
      else if (type === STT_OBJECT) objects.push(entry);
    }
  }
  return { functions, objects };
}
