// The i386 signal frames, laid out on the guest stack as Linux lays them
// (arch/x86/kernel/signal_32.c, arch/x86/include/asm/sigframe.h):
//
//   struct sigframe    { pretcode; sig; struct sigcontext sc; struct _fpstate fpstate_unused;
//                        extramask[1]; char retcode[8]; }                         732 bytes
//   struct rt_sigframe { pretcode; sig; pinfo; puc; siginfo_t info;
//                        struct ucontext uc; char retcode[8]; }                    268 bytes
//
// struct sigcontext (88 bytes): gs, fs, es, ds, edi, esi, ebp, esp, ebx, edx, ecx, eax,
// trapno, err, eip, cs, eflags, esp_at_signal, ss, fpstate, oldmask, cr2.
//
// The FPU state goes below the frame, as Linux's get_sigframe and fpu__alloc_mathframe
// place it for an ia32 frame on a CPU with FXSR and without XSAVE: a struct _fpstate_32
// (624 bytes) whose FXSAVE image (the last 512 bytes) is 64-byte aligned. Its first 112
// bytes are the legacy FSAVE header (cw, sw, tag, ipoff, cssel, dataoff, datasel, _st[8],
// status, magic) converted from the FXSAVE image (convert_from_fxsr), magic 0x0000
// (X86_FXSR_MAGIC: FXSR data follows); the software-reserved bytes stay zero, as they do
// without XSAVE. sigcontext.fpstate points at it. sigreturn takes the FXSAVE image and
// lays the header's x87 state over it (convert_to_fxsr), as __fpu_restore_sig does; a
// NULL fpstate resets the FPU (fpu__clear_user_states).
// pretcode is the SA_RESTORER the C library passed, else the vDSO's __kernel_sigreturn or
// __kernel_rt_sigreturn when the process has a vDSO (as Linux), else the retcode on the frame:
// `popl %eax; movl $119,%eax; int $0x80` (sigreturn) or `movl $173,%eax; int $0x80` (rt).
import type { UserRegs } from './boundary.js';
import type { GuestMemory } from './memory.js';
import type { Process, SigInfo } from './process.js';
import { SA } from './signals.js';
import type { SigAction } from './task.js';
import { SS_AUTODISARM, SS_DISABLE } from './task.js';
import { vdsoEntriesOf } from './vvar.js';

export const SIGCONTEXT_SIZE = 88;
const FPSTATE_SIZE = 624;
/** sizeof(struct fregs_state): the FSAVE header in front of the FXSAVE image. */
const FSAVE_HEADER_SIZE = 112;
const FXSAVE_SIZE = 512;
const X86_FXSR_MAGIC = 0x0000;
/** MXCSR bits FXRSTOR accepts (mxcsr_feature_mask of an SSE2 CPU without DAZ): others would fault, Linux clears them. */
const MXCSR_FEATURE_MASK = 0xffbf;
/** What sigreturn finds for the FPU: an FXSAVE image to load, or 'init' (no fpstate: the FPU is reset). */
export type SavedFpu = Uint8Array | 'init';

/** The FXSAVE image of a reset FPU (FNINIT, MXCSR 0x1f80): what a NULL fpstate leaves. */
export const FPU_INIT: Uint8Array = (() => {
  const b = new Uint8Array(FXSAVE_SIZE), dv = new DataView(b.buffer);
  dv.setUint16(0, 0x37f, true);
  dv.setUint32(24, 0x1f80, true);
  return b;
})();
export const SIGFRAME_SIZE = 8 + SIGCONTEXT_SIZE + FPSTATE_SIZE + 4 + 8; // 732
export const SIGINFO_SIZE = 128;
const UCONTEXT_SIZE = 4 + 4 + 12 + SIGCONTEXT_SIZE + 8; // 116
export const RT_SIGFRAME_SIZE = 16 + SIGINFO_SIZE + UCONTEXT_SIZE + 8; // 268
const USER_CS = 0x73, USER_DS = 0x7b;
/** The eflags bits sigreturn lets user code change (FIX_EFLAGS: AC OF DF TF SF ZF AF PF CF RF). */
const FIX_EFLAGS = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;

const RETCODE = Uint8Array.of(0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80);
const RT_RETCODE = Uint8Array.of(0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0);

function sigcontext(dv: DataView, at: number, r: UserRegs, mask: bigint, fpstate: number): void {
  const words = [0, 0, r.es, r.ds, r.edi, r.esi, r.ebp, r.esp, r.ebx, r.edx, r.ecx, r.eax, 0, 0, r.eip, r.cs, r.eflags, r.esp, r.ss, fpstate,
    Number(mask & 0xffff_ffffn), 0];
  words.forEach((w, i) => dv.setUint32(at + 4 * i, w >>> 0, true));
}

function siginfo(dv: DataView, at: number, i: SigInfo): void {
  dv.setInt32(at, i.signo, true);
  dv.setInt32(at + 4, 0, true);
  dv.setInt32(at + 8, i.code, true);
  if (i.addr !== undefined) {
    dv.setUint32(at + 12, i.addr >>> 0, true);
    return;
  }
  dv.setInt32(at + 12, i.pid, true);
  dv.setUint32(at + 16, i.uid, true);
  if (i.status !== undefined) dv.setInt32(at + 20, i.status, true); // SIGCHLD: si_status (utime, stime stay 0)
}

/** twd_fxsr_to_i387: the full tag word (2 bits a physical register) from FXSAVE's abridged one and the registers. */
function fullTagWord(fx: DataView): number {
  const top = (fx.getUint16(2, true) >> 11) & 7;
  let twd = 0;
  for (let i = 0; i < 8; i++) {
    let tag = 3; // empty
    if (fx.getUint8(4) & (1 << i)) {
      const st = 32 + 16 * ((i - top) & 7); // physical register i is ST((i - TOP) mod 8)
      const exponent = fx.getUint16(st + 8, true) & 0x7fff;
      const significand = fx.getBigUint64(st, true);
      if (exponent === 0x7fff) tag = 2; // special
      else if (exponent === 0) tag = significand === 0n ? 1 : 2; // zero, or a denormal
      else tag = significand >> 63n ? 0 : 2; // valid, or unnormal
    }
    twd |= tag << (2 * i);
  }
  return twd;
}

/** struct _fpstate_32 from an FXSAVE image: the FSAVE header (convert_from_fxsr on i386), status, magic, the image. */
function fpstate(fx: Uint8Array): Uint8Array {
  const b = new Uint8Array(FPSTATE_SIZE), dv = new DataView(b.buffer);
  const f = new DataView(fx.buffer, fx.byteOffset, FXSAVE_SIZE);
  dv.setUint32(0, (f.getUint16(0, true) | 0xffff0000) >>> 0, true); // cw
  dv.setUint32(4, (f.getUint16(2, true) | 0xffff0000) >>> 0, true); // sw
  dv.setUint32(8, (fullTagWord(f) | 0xffff0000) >>> 0, true); // tag
  dv.setUint32(12, f.getUint32(8, true), true); // ipoff: fip
  dv.setUint32(16, (f.getUint16(12, true) | (f.getUint16(6, true) << 16)) >>> 0, true); // cssel: fcs | fop << 16
  dv.setUint32(20, f.getUint32(16, true), true); // dataoff: foo
  dv.setUint32(24, f.getUint32(20, true), true); // datasel: fos
  for (let i = 0; i < 8; i++) b.set(fx.subarray(32 + 16 * i, 42 + 16 * i), 28 + 10 * i); // _st[i]
  dv.setUint16(108, f.getUint16(2, true), true); // status
  dv.setUint16(110, X86_FXSR_MAGIC, true);
  b.set(fx.subarray(0, FXSAVE_SIZE), FSAVE_HEADER_SIZE);
  return b;
}

/** The FXSAVE image sigreturn loads from a struct _fpstate_32: the image, the header's x87 state laid over it (convert_to_fxsr). */
function fromFpstate(b: Uint8Array): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset, FPSTATE_SIZE);
  const fx = b.slice(FSAVE_HEADER_SIZE, FSAVE_HEADER_SIZE + FXSAVE_SIZE), f = new DataView(fx.buffer);
  f.setUint16(0, dv.getUint32(0, true) & 0xffff, true);
  f.setUint16(2, dv.getUint32(4, true) & 0xffff, true);
  const twd = dv.getUint32(8, true);
  let abridged = 0; // twd_i387_to_fxsr: valid unless empty
  for (let i = 0; i < 8; i++) if (((twd >> (2 * i)) & 3) !== 3) abridged |= 1 << i;
  f.setUint8(4, abridged);
  f.setUint16(6, dv.getUint32(16, true) >>> 16, true); // fop
  f.setUint32(8, dv.getUint32(12, true), true); // fip
  f.setUint16(12, dv.getUint32(16, true) & 0xffff, true); // fcs
  f.setUint32(16, dv.getUint32(20, true), true); // foo
  f.setUint32(20, dv.getUint32(24, true), true); // fos
  for (let i = 0; i < 8; i++) {
    fx.fill(0, 32 + 16 * i, 48 + 16 * i);
    fx.set(b.subarray(28 + 10 * i, 38 + 10 * i), 32 + 16 * i);
  }
  f.setUint32(24, f.getUint32(24, true) & MXCSR_FEATURE_MASK, true);
  return fx;
}

/**
 * Builds the frame for `sig` on the process's stack (or its alternate stack) and returns
 * the registers the handler starts with, or undefined when the stack cannot take the
 * frame (Linux then forces SIGSEGV).
 */
export function setupFrame(p: Process, sig: number, act: SigAction, info: SigInfo, r: UserRegs, savedMask: bigint, fpu?: Uint8Array): Partial<UserRegs> | undefined {
  const mem: GuestMemory = p.mem;
  const rt = (act.flags & SA.SIGINFO) !== 0;
  let sp = r.esp;
  const alt = p.task.altstack;
  const onAlt = alt.size > 0 && r.esp > alt.sp && r.esp <= alt.sp + alt.size;
  if ((act.flags & SA.ONSTACK) && alt.size > 0 && !(alt.flags & SS_DISABLE) && !onAlt) {
    sp = alt.sp + alt.size;
    if (alt.flags & SS_AUTODISARM) p.task.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
  }
  let fpAt = 0;
  if (fpu) {
    // fpu__alloc_mathframe: the FXSAVE image 64-byte aligned below sp, the FSAVE header in front of it.
    fpAt = ((((sp - FXSAVE_SIZE) & ~63) >>> 0) - FSAVE_HEADER_SIZE) >>> 0;
    if (fpAt > sp || !mem.write(fpAt, fpstate(fpu))) return undefined;
    sp = fpAt;
  }
  const size = rt ? RT_SIGFRAME_SIZE : SIGFRAME_SIZE;
  sp = (((sp - size) + 4) & ~15) - 4 >>> 0; // align_sigframe: (sp + 4) 16-aligned at the handler's entry
  const frame = new Uint8Array(size), dv = new DataView(frame.buffer);
  // Without SA_RESTORER the handler returns through the vDSO when there is one, else the frame's retcode.
  const vdso = vdsoEntriesOf(mem);
  const restorer = act.flags & SA.RESTORER ? act.restorer : vdso ? (rt ? vdso.rtSigreturn : vdso.sigreturn) : 0;
  if (rt) {
    const infoAt = 16, ucAt = 16 + SIGINFO_SIZE, retAt = ucAt + UCONTEXT_SIZE;
    dv.setUint32(0, restorer || sp + retAt, true);
    dv.setUint32(4, sig, true);
    dv.setUint32(8, sp + infoAt, true);
    dv.setUint32(12, sp + ucAt, true);
    siginfo(dv, infoAt, info);
    // struct ucontext: uc_flags, uc_link, uc_stack (ss_sp, ss_flags, ss_size), uc_mcontext, uc_sigmask
    dv.setUint32(ucAt + 8, alt.sp, true);
    dv.setUint32(ucAt + 12, alt.size === 0 ? SS_DISABLE : alt.flags, true);
    dv.setUint32(ucAt + 16, alt.size, true);
    sigcontext(dv, ucAt + 20, r, savedMask, fpAt);
    dv.setBigUint64(ucAt + 20 + SIGCONTEXT_SIZE, savedMask, true);
    frame.set(RT_RETCODE, retAt);
  } else {
    const extraAt = 8 + SIGCONTEXT_SIZE + FPSTATE_SIZE, retAt = extraAt + 4;
    dv.setUint32(0, restorer || sp + retAt, true);
    dv.setUint32(4, sig, true);
    sigcontext(dv, 8, r, savedMask, fpAt);
    dv.setUint32(extraAt, Number((savedMask >> 32n) & 0xffff_ffffn), true);
    frame.set(RETCODE, retAt);
  }
  if (!mem.write(sp, frame)) return undefined;
  return {
    esp: sp, eip: act.handler, eax: sig,
    edx: rt ? sp + 16 : 0, ecx: rt ? sp + 16 + SIGINFO_SIZE : 0,
    eflags: r.eflags & ~0x100 & ~0x400, // TF and DF cleared, as Linux does for the handler
    cs: USER_CS, ds: USER_DS, es: USER_DS, ss: USER_DS,
  };
}

/**
 * sigreturn / rt_sigreturn: the registers and mask saved in the frame below `esp`
 * (the handler's `ret` popped pretcode; sigreturn's retcode also popped sig).
 */
export function restoreFrame(mem: GuestMemory, esp: number, rt: boolean, current: UserRegs): { regs: UserRegs; mask: bigint; fpu: SavedFpu } | undefined {
  const frame = rt ? esp - 4 : esp - 8;
  const scAt = rt ? frame + 16 + SIGINFO_SIZE + 20 : frame + 8;
  const sc = mem.read(scAt, SIGCONTEXT_SIZE);
  if (!sc) return undefined;
  const dv = new DataView(sc.buffer, sc.byteOffset, SIGCONTEXT_SIZE);
  const w = (i: number) => dv.getUint32(4 * i, true);
  let mask: bigint;
  if (rt) {
    const m = mem.read(scAt + SIGCONTEXT_SIZE, 8);
    if (!m) return undefined;
    mask = new DataView(m.buffer, m.byteOffset, 8).getBigUint64(0, true);
  } else {
    const extra = mem.readU32(frame + 8 + SIGCONTEXT_SIZE + FPSTATE_SIZE);
    if (extra === null) return undefined;
    mask = BigInt(w(20)) | (BigInt(extra) << 32n);
  }
  let fpu: SavedFpu = 'init';
  if (w(19) !== 0) {
    const fp = mem.read(w(19), FPSTATE_SIZE);
    if (!fp) return undefined;
    fpu = fromFpstate(fp);
  }
  const regs: UserRegs = {
    edi: w(4), esi: w(5), ebp: w(6), esp: w(7), ebx: w(8), edx: w(9), ecx: w(10), eax: w(11), eip: w(14),
    eflags: ((current.eflags & ~FIX_EFLAGS) | (w(16) & FIX_EFLAGS)) >>> 0,
    cs: USER_CS, ds: USER_DS, es: USER_DS, ss: USER_DS,
  };
  return { regs, mask, fpu };
}
