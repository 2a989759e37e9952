// Small i386 guests built from raw machine code: one loadable segment holding the ELF
// header, one program header and the code (at CODE_BASE), plus a zeroed data area.
// The fuzz job and the tests build hostile guests with these.

export const LOAD_BASE = 0x08048000;
/** Where the code starts: just past the headers. */
export const CODE_OFFSET = 0x80;
export const CODE_BASE = LOAD_BASE + CODE_OFFSET;

export interface CodeElfOptions {
  /** Segment flags (PF_R 4 | PF_W 2 | PF_X 1): 7 lets the code rewrite itself. */
  flags?: number;
  /** Zeroed bytes after the code (a data area for the guest). */
  bss?: number;
}

/** An ELF32 i386 executable whose entry point is the first byte of `code`. */
export function codeElf(code: Uint8Array | number[], o: CodeElfOptions = {}): Uint8Array {
  const body = Uint8Array.from(code);
  const b = Buffer.alloc(CODE_OFFSET + body.length);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(3, 18); // EM_386
  b.writeUInt32LE(1, 20);
  b.writeUInt32LE(CODE_BASE, 24);
  b.writeUInt32LE(52, 28);
  b.writeUInt16LE(52, 40);
  b.writeUInt16LE(32, 42);
  b.writeUInt16LE(1, 44);
  const ph = 52;
  b.writeUInt32LE(1, ph); // PT_LOAD
  b.writeUInt32LE(0, ph + 4);
  b.writeUInt32LE(LOAD_BASE, ph + 8);
  b.writeUInt32LE(LOAD_BASE, ph + 12);
  b.writeUInt32LE(b.length, ph + 16);
  b.writeUInt32LE(b.length + (o.bss ?? 0x1000), ph + 20);
  b.writeUInt32LE(o.flags ?? 5, ph + 24);
  b.writeUInt32LE(0x1000, ph + 28);
  b.set(body, CODE_OFFSET);
  return b;
}

/** Machine code helpers (i386). */
export const asm = {
  movEax: (v: number) => [0xb8, ...u32(v)],
  movEbx: (v: number) => [0xbb, ...u32(v)],
  movEcx: (v: number) => [0xb9, ...u32(v)],
  movEdx: (v: number) => [0xba, ...u32(v)],
  movEsi: (v: number) => [0xbe, ...u32(v)],
  movEdi: (v: number) => [0xbf, ...u32(v)],
  int80: [0xcd, 0x80],
  /** exit(status) */
  exit: (status: number) => [0xb8, 1, 0, 0, 0, 0xbb, ...u32(status), 0xcd, 0x80],
  rdtsc: [0x0f, 0x31],
  nop: [0x90],
};

export function u32(v: number): number[] {
  const x = v >>> 0;
  return [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, x >>> 24];
}
