// A small i386 encoder for the trampolines the rewriter writes: only the forms it needs
// (moves between registers, absolute addresses and stack slots, immediates, int 0x80,
// compares, and 32-bit relative jumps whose targets are resolved when the code is placed).
const REG = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 } as const;
export type R = keyof typeof REG;

const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

/** Code being assembled at a known address; jumps to labels or absolute addresses. */
export class Asm {
  readonly bytes: number[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { at: number; label?: string; target?: number }[] = [];
  constructor(readonly base: number) {}

  get here(): number { return this.base + this.bytes.length; }
  private emit(...b: number[]): this { this.bytes.push(...b); return this; }

  label(name: string): this { this.labels.set(name, this.here); return this; }
  /** mov [abs], reg */
  store(abs: number, r: R): this { return this.emit(0x89, 0x05 | (REG[r] << 3), ...u32(abs)); }
  /** mov reg, [abs] */
  load(r: R, abs: number): this { return this.emit(0x8b, 0x05 | (REG[r] << 3), ...u32(abs)); }
  /** mov reg, [esp + disp] */
  loadStack(r: R, disp: number): this {
    if (disp === 0) return this.emit(0x8b, 0x04 | (REG[r] << 3), 0x24);
    if (disp < 128) return this.emit(0x8b, 0x44 | (REG[r] << 3), 0x24, disp);
    return this.emit(0x8b, 0x84 | (REG[r] << 3), 0x24, ...u32(disp));
  }
  /** mov [esp + disp], reg */
  storeStack(disp: number, r: R): this {
    if (disp === 0) return this.emit(0x89, 0x04 | (REG[r] << 3), 0x24);
    if (disp < 128) return this.emit(0x89, 0x44 | (REG[r] << 3), 0x24, disp);
    return this.emit(0x89, 0x84 | (REG[r] << 3), 0x24, ...u32(disp));
  }
  /** mov reg, imm32 */
  imm(r: R, v: number): this { return this.emit(0xb8 + REG[r], ...u32(v)); }
  int80(): this { return this.emit(0xcd, 0x80); }
  /** cmp reg, imm32 */
  cmpImm(r: R, v: number): this { return this.emit(0x81, 0xf8 | REG[r], ...u32(v >>> 0)); }
  /** cmp reg, [abs] */
  cmpMem(r: R, abs: number): this { return this.emit(0x3b, 0x05 | (REG[r] << 3), ...u32(abs)); }
  /** cmp eax, imm8 */
  cmpEax(v: number): this { return this.emit(0x83, 0xf8, v & 0xff); }
  raw(b: number[]): this { return this.emit(...b); }
  /** jcc rel32 with condition code cc (0..15), to a label or an absolute address. */
  jcc(cc: number, to: string | number): this { this.emit(0x0f, 0x80 | cc); return this.rel(to); }
  jmp(to: string | number): this { this.emit(0xe9); return this.rel(to); }
  call(to: number): this { this.emit(0xe8); return this.rel(to); }
  private rel(to: string | number): this {
    this.fixups.push({ at: this.bytes.length, ...(typeof to === 'string' ? { label: to } : { target: to }) });
    return this.emit(0, 0, 0, 0);
  }
  /** The code with every jump resolved. */
  finish(): Uint8Array {
    for (const f of this.fixups) {
      const target = f.label !== undefined ? this.labels.get(f.label) : f.target;
      if (target === undefined) throw new Error(`unresolved label ${f.label}`);
      const rel = (target - (this.base + f.at + 4)) | 0;
      this.bytes.splice(f.at, 4, ...u32(rel >>> 0));
    }
    return Uint8Array.from(this.bytes);
  }
}

/** A 5-byte `jmp rel32` at `from` to `to`. */
export const jmpBytes = (from: number, to: number) => [0xe9, ...u32(((to - (from + 5)) | 0) >>> 0)];

/** The condition code of a conditional jump's bytes (short or near form), or undefined. */
export function conditionOf(bytes: number[]): number | undefined {
  if (bytes[0] >= 0x70 && bytes[0] <= 0x7f) return bytes[0] & 0xf;
  if (bytes[0] === 0x0f && bytes[1] >= 0x80 && bytes[1] <= 0x8f) return bytes[1] & 0xf;
  return undefined;
}

/**
 * For a condition code tested after `test r, r` (or `cmp r, 0`), which signs of r take the
 * jump: a subset of negative, zero, positive.
 */
export function signsTaken(cc: number): Set<'neg' | 'zero' | 'pos'> | undefined {
  const all = ['neg', 'zero', 'pos'] as const;
  const pick = (f: (s: (typeof all)[number]) => boolean) => new Set(all.filter(f));
  switch (cc) {
    case 0x4: return pick((s) => s === 'zero'); // je
    case 0x5: return pick((s) => s !== 'zero'); // jne
    case 0x8: case 0xc: return pick((s) => s === 'neg'); // js, jl
    case 0x9: case 0xd: return pick((s) => s !== 'neg'); // jns, jge
    case 0xe: return pick((s) => s !== 'pos'); // jle
    case 0xf: return pick((s) => s === 'pos'); // jg
    case 0x6: return pick((s) => s === 'zero'); // jbe (CF = 0 after test)
    case 0x7: return pick((s) => s !== 'zero'); // ja
    default: return undefined;
  }
}
