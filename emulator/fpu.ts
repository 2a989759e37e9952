// A process's FPU state (x87 and SSE) as the FXSAVE instruction lays it out (512 bytes,
// Intel SDM vol. 1, 10.5.1), read from and written to Unicorn's registers: what a signal
// frame saves and sigreturn restores (kernel-model/sigframe.ts).
import { X86_REG, type Unicorn } from './unicorn.js';

export const FXSAVE_SIZE = 512;
/** MXCSR_MASK as FXSAVE reports it for a CPU with SSE2 (every defined MXCSR bit but DAZ). */
const MXCSR_MASK = 0xffbf;

/** The FXSAVE image of the engine's FPU. ST(i) is the physical register (TOP + i) mod 8. */
export function fxsave(uc: Unicorn): Uint8Array {
  const b = new Uint8Array(FXSAVE_SIZE), dv = new DataView(b.buffer);
  const u16 = (reg: number) => uc.regRead(reg) & 0xffff;
  const fsw = u16(X86_REG.FPSW), tag = u16(X86_REG.FPTAG);
  const top = (fsw >> 11) & 7;
  dv.setUint16(0, u16(X86_REG.FPCW), true);
  dv.setUint16(2, fsw, true);
  let abridged = 0; // one bit per physical register: 1 unless its tag is empty (3)
  for (let i = 0; i < 8; i++) if (((tag >> (2 * i)) & 3) !== 3) abridged |= 1 << i;
  b[4] = abridged;
  dv.setUint16(6, u16(X86_REG.FOP) & 0x7ff, true);
  dv.setUint32(8, uc.regRead(X86_REG.FIP), true);
  dv.setUint16(12, u16(X86_REG.FCS), true);
  dv.setUint32(16, uc.regRead(X86_REG.FDP), true);
  dv.setUint16(20, u16(X86_REG.FDS), true);
  dv.setUint32(24, uc.regRead(X86_REG.MXCSR), true);
  dv.setUint32(28, MXCSR_MASK, true);
  const r = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    uc.regReadBytes(X86_REG.FP0 + ((top + i) & 7), r);
    b.set(r.subarray(0, 10), 32 + 16 * i);
  }
  for (let i = 0; i < 8; i++) {
    uc.regReadBytes(X86_REG.XMM0 + i, r);
    b.set(r, 160 + 16 * i);
  }
  return b;
}

/** Loads an FXSAVE image into the engine's FPU (FXRSTOR); MXCSR's reserved bits are cleared. */
export function fxrstor(uc: Unicorn, b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, FXSAVE_SIZE);
  const fsw = dv.getUint16(2, true), top = (fsw >> 11) & 7;
  uc.regWrite(X86_REG.FPCW, dv.getUint16(0, true));
  uc.regWrite(X86_REG.FPSW, fsw);
  // Unicorn keeps one "empty" flag per register: a full tag word with 3 (empty) or 0 (valid).
  let tag = 0;
  for (let i = 0; i < 8; i++) if (!(b[4] & (1 << i))) tag |= 3 << (2 * i);
  uc.regWrite(X86_REG.FPTAG, tag);
  uc.regWrite(X86_REG.FOP, dv.getUint16(6, true) & 0x7ff);
  uc.regWrite(X86_REG.FIP, dv.getUint32(8, true));
  uc.regWrite(X86_REG.FCS, dv.getUint16(12, true));
  uc.regWrite(X86_REG.FDP, dv.getUint32(16, true));
  uc.regWrite(X86_REG.FDS, dv.getUint16(20, true));
  uc.regWrite(X86_REG.MXCSR, dv.getUint32(24, true) & MXCSR_MASK);
  const r = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    r.fill(0);
    r.set(b.subarray(32 + 16 * i, 42 + 16 * i));
    uc.regWriteRaw(X86_REG.FP0 + ((top + i) & 7), r);
  }
  for (let i = 0; i < 8; i++) uc.regWriteRaw(X86_REG.XMM0 + i, b.slice(160 + 16 * i, 176 + 16 * i));
}
