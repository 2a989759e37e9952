// The kernel boundary, the way entry.S crosses it: `enter` is the trap and SAVE_ALL,
// `exit` is RESTORE_ALL and iret. Entry cost is charged here and nowhere else; so is
// exit cost. Everything between the two is dispatch and handler work.
import { entryCycles, exitCycles, type Ledger, type PlatformProfile } from './cost.js';

/** The user registers at the trap, as the emulator hands them over. */
export interface UserRegs {
  eax: number; ebx: number; ecx: number; edx: number; esi: number; edi: number; ebp: number;
  esp: number; eip: number; eflags: number; cs: number; ds: number; es: number; ss: number;
}

/**
 * struct pt_regs as SAVE_ALL builds it on the kernel stack (Linux 2.4, i386), lowest
 * address first: the pushes of SAVE_ALL, then orig_eax, then what the CPU pushed for
 * the trap (eip, cs, eflags, and esp, ss because the trap came from user mode).
 */
export interface PtRegs {
  ebx: number; ecx: number; edx: number; esi: number; edi: number; ebp: number; eax: number;
  xds: number; xes: number; orig_eax: number;
  eip: number; xcs: number; eflags: number; esp: number; xss: number;
}

export const PT_REGS_ORDER: (keyof PtRegs)[] = ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'eax', 'xds', 'xes',
  'orig_eax', 'eip', 'xcs', 'eflags', 'esp', 'xss'];

/** The i386 syscall ABI as data: number in eax, arguments in this order, result in eax. */
export const SYSCALL_ARG_REGS = ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'] as const;

export function syscallArgs(regs: PtRegs): number[] {
  return [regs.ebx, regs.ecx, regs.edx, regs.esi, regs.edi, regs.ebp]; // SYSCALL_ARG_REGS, unrolled: a hot path
}

/** Trap + SAVE_ALL: charge the entry and snapshot the frame. */
export function enter(ledger: Ledger, profile: PlatformProfile, user: UserRegs): { regs: PtRegs; cycles: number } {
  const cycles = ledger.charge('entry', entryCycles(profile));
  ledger.crossings++;
  const regs: PtRegs = {
    ebx: user.ebx, ecx: user.ecx, edx: user.edx, esi: user.esi, edi: user.edi, ebp: user.ebp,
    eax: user.eax, xds: user.ds, xes: user.es, orig_eax: user.eax,
    eip: user.eip, xcs: user.cs, eflags: user.eflags, esp: user.esp, xss: user.ss,
  };
  return { regs, cycles };
}

/**
 * RESTORE_ALL + iret: charge the exit; the result goes back in eax. A call that does not
 * return (exit, exit_group, or a batch that ran one) never reaches RESTORE_ALL: pass
 * `returns` false and nothing is charged.
 */
export function exit(ledger: Ledger, profile: PlatformProfile, regs: PtRegs, result: number, returns = true): number {
  regs.eax = result | 0;
  return returns ? ledger.charge('exit', exitCycles(profile)) : 0;
}
