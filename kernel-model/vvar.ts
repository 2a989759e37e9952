// The vDSO's data page (Linux's vvar): what the vDSO's clock functions need to read the
// simulated clock without entering the kernel. The kernel model's clock is
//   realtime micros = clock start + blocked micros + floor(cycles / clock_mhz)
// (Kernel.nowMicros), and rdtsc reads `cycles`; so the page holds the two bases (realtime
// and monotonic at cycle 0, blocked time included) and the clock rate, and the vDSO adds
// rdtsc's cycles converted. The kernel rewrites the page whenever a base changes (a sleep
// advances the clock, not the cycle counter), before the process runs again.
// Layout (little-endian), shared with guest/vdso/vclock.c's struct vvar:
//    0 u32 magic "vvar"   4 u32 mode (1: readable; 0: every call enters the kernel)
//    8 u32 num           12 u32 den (the clock is num/den MHz)
//   16 u64 realtime base (µs)   24 u64 monotonic base (µs)
//   32 u32 coarse resolution (ns, one tick)   36 u32 resolution of the others (ns)
import type { GuestMemory } from './memory.js';
import type { EntryPath, PlatformProfile } from './cost.js';

export const VVAR_MAGIC = 0x72617676;
/** The data page's size in the address space (one page below the vDSO). */
export const VVAR_BYTES = 4096;
const LAYOUT_BYTES = 40;

export interface ClockState {
  clockStartMicros: number;
  blockedMicros: number;
}

/**
 * The page's contents. The vDSO computes with whole numbers: a clock rate that is not a
 * whole number of MHz, or blocked time that is not whole microseconds, makes the page
 * unusable (mode 0) and the vDSO enters the kernel, as Linux's does when the clock source
 * cannot be read from user space.
 */
export function encodeVvar(p: PlatformProfile, s: ClockState): Uint8Array {
  const b = new Uint8Array(LAYOUT_BYTES), dv = new DataView(b.buffer);
  const exact = Number.isInteger(p.clock_mhz) && p.clock_mhz > 0 && p.clock_mhz < 2 ** 32 &&
    Number.isInteger(s.blockedMicros) && Number.isInteger(s.clockStartMicros);
  dv.setUint32(0, VVAR_MAGIC, true);
  dv.setUint32(4, exact ? 1 : 0, true);
  dv.setUint32(8, exact ? p.clock_mhz : 1, true);
  dv.setUint32(12, 1, true);
  if (exact) {
    dv.setBigUint64(16, BigInt(s.clockStartMicros + s.blockedMicros), true);
    dv.setBigUint64(24, BigInt(s.blockedMicros), true);
  }
  dv.setUint32(32, Math.round(1e9 / p.timer.hz), true); // sys/time.ts: a coarse clock's tick
  dv.setUint32(36, 1000, true); // the simulated clock counts microseconds
  return b;
}

/** Where an address space's vDSO has its signal return paths (Linux's default restorers). */
export interface VdsoEntries {
  sigreturn: number;
  rtSigreturn: number;
}

const vdsoEntries = new WeakMap<GuestMemory, VdsoEntries>();

/**
 * The vDSO's signal return paths in this address space, if it has a vDSO: where a handler
 * installed without SA_RESTORER returns (Linux's ia32 setup_frame uses __kernel_sigreturn
 * and __kernel_rt_sigreturn then; glibc relies on it when the vDSO is there).
 */
export function vdsoEntriesOf(mem: GuestMemory): VdsoEntries | undefined {
  return vdsoEntries.get(mem);
}

/**
 * The data page of every address space that has one, kept current: `sync` rewrites a
 * page only when what it says has changed since it was last written.
 */
export class VvarPages {
  private readonly pages = new WeakMap<GuestMemory, { at: number; written: string }>();

  /** A new address space's page at `at` (the loader mapped it); written now. */
  attach(mem: GuestMemory, at: number, p: PlatformProfile, s: ClockState, entries: VdsoEntries): void {
    this.pages.set(mem, { at, written: '' });
    vdsoEntries.set(mem, entries);
    this.sync(mem, p, s);
  }

  /** The page's address in this address space, if it has one. */
  address(mem: GuestMemory): number | undefined {
    return this.pages.get(mem)?.at;
  }

  sync(mem: GuestMemory, p: PlatformProfile, s: ClockState): void {
    const page = this.pages.get(mem);
    if (!page) return;
    const key = `${s.clockStartMicros}/${s.blockedMicros}`;
    if (page.written === key) return;
    mem.poke(page.at, encodeVvar(p, s));
    page.written = key;
  }
}

/** The entry path a resolved profile chose (resolveProfile names it in the variant; int 0x80 otherwise). */
export function entryPathOf(profile: { variant?: string }): EntryPath {
  return (profile.variant ?? '').split('+').includes('sysenter') ? 'sysenter' : 'int80';
}
