// The i386 signal frames, laid out on the guest stack as Linux lays them
// (arch/x86/kernel/signal_32.c, arch/x86/include/asm/sigframe.h):
//
//   struct sigframe    { pretcode; sig; struct sigcontext sc; struct _fpstate fpstate_unused;
//                        extramask[1]; char retcode[8]; }                         732 bytes
//   struct rt_sigframe { pretcode; sig; pinfo; puc; siginfo_t info;
//                        struct ucontext uc; char retcode[8]; }                    268 bytes
//
// struct sigcontext (88 bytes): gs, fs, es, ds, edi, esi, ebp, esp, ebx, edx, ecx, eax,
// trapno, err, eip, cs, eflags, esp_at_signal, ss, fpstate, oldmask, cr2. The model keeps
// no FPU state for the guest, so fpstate is NULL (sigreturn then leaves the FPU alone).
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
export const SIGFRAME_SIZE = 8 + SIGCONTEXT_SIZE + FPSTATE_SIZE + 4 + 8; // 732
export const SIGINFO_SIZE = 128;
const UCONTEXT_SIZE = 4 + 4 + 12 + SIGCONTEXT_SIZE + 8; // 116
export const RT_SIGFRAME_SIZE = 16 + SIGINFO_SIZE + UCONTEXT_SIZE + 8; // 268
const USER_CS = 0x73, USER_DS = 0x7b;
/** The eflags bits sigreturn lets user code change (FIX_EFLAGS: AC OF DF TF SF ZF AF PF CF RF). */
const FIX_EFLAGS = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;

const RETCODE = Uint8Array.of(0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80);
const RT_RETCODE = Uint8Array.of(0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0);

function sigcontext(dv: DataView, at: number, r: UserRegs, mask: bigint): void {
  const words = [0, 0, r.es, r.ds, r.edi, r.esi, r.ebp, r.esp, r.ebx, r.edx, r.ecx, r.eax, 0, 0, r.eip, r.cs, r.eflags, r.esp, r.ss, 0,
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

/**
 * Builds the frame for `sig` on the process's stack (or its alternate stack) and returns
 * the registers the handler starts with, or undefined when the stack cannot take the
 * frame (Linux then forces SIGSEGV).
 */
export function setupFrame(p: Process, sig: number, act: SigAction, info: SigInfo, r: UserRegs, savedMask: bigint): Partial<UserRegs> | undefined {
  const mem: GuestMemory = p.mem;
  const rt = (act.flags & SA.SIGINFO) !== 0;
  let sp = r.esp;
  const alt = p.task.altstack;
  const onAlt = alt.size > 0 && r.esp > alt.sp && r.esp <= alt.sp + alt.size;
  if ((act.flags & SA.ONSTACK) && alt.size > 0 && !(alt.flags & SS_DISABLE) && !onAlt) {
    sp = alt.sp + alt.size;
    if (alt.flags & SS_AUTODISARM) p.task.altstack = { sp: 0, flags: SS_DISABLE, size: 0 };
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
    sigcontext(dv, ucAt + 20, r, savedMask);
    dv.setBigUint64(ucAt + 20 + SIGCONTEXT_SIZE, savedMask, true);
    frame.set(RT_RETCODE, retAt);
  } else {
    const extraAt = 8 + SIGCONTEXT_SIZE + FPSTATE_SIZE, retAt = extraAt + 4;
    dv.setUint32(0, restorer || sp + retAt, true);
    dv.setUint32(4, sig, true);
    sigcontext(dv, 8, r, savedMask);
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
export function restoreFrame(mem: GuestMemory, esp: number, rt: boolean, current: UserRegs): { regs: UserRegs; mask: bigint } | undefined {
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
  const regs: UserRegs = {
    edi: w(4), esi: w(5), ebp: w(6), esp: w(7), ebx: w(8), edx: w(9), ecx: w(10), eax: w(11), eip: w(14),
    eflags: ((current.eflags & ~FIX_EFLAGS) | (w(16) & FIX_EFLAGS)) >>> 0,
    cs: USER_CS, ds: USER_DS, es: USER_DS, ss: USER_DS,
  };
  return { regs, mask };
}
