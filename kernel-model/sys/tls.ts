// Thread-local storage and segment descriptors: set_thread_area, get_thread_area and
// modify_ldt. A C library points %gs at its thread block through a GDT entry it gets
// from set_thread_area; glibc and musl then read %gs:0. The encoding and the checks
// follow Linux (arch/x86/kernel/tls.c, ldt.c, include/asm/desc.h); the TLS slots are
// GDT entries 6 to 8, the first free one given for entry_number -1, as qemu-i386 does.
import { E, KernelError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { arg, type SyscallSpec } from '../syscall.js';

export const GDT_ENTRY_TLS_MIN = 6;
export const GDT_ENTRY_TLS_ENTRIES = 3;
export const LDT_ENTRIES = 8192;
const LDT_ENTRY_SIZE = 8;
const USER_DESC_SIZE = 16;

/** A segment descriptor as its two 32-bit words (low, high); [0, 0] is an empty slot. */
export type Descriptor = [number, number];

/**
 * The CPU's descriptor tables, as the emulator offers them to the kernel model: writing
 * an entry also reloads any segment register that holds a selector for it, as Linux
 * does after set_thread_area.
 */
export interface DescriptorTables {
  setGdtEntry(index: number, d: Descriptor): void;
  setLdtEntry(index: number, d: Descriptor): void;
}

/** struct user_desc, decoded. */
export interface UserDesc {
  entryNumber: number;
  baseAddr: number;
  limit: number;
  seg32bit: number;
  contents: number;
  readExecOnly: number;
  limitInPages: number;
  segNotPresent: number;
  useable: number;
}

export function decodeUserDesc(b: Uint8Array): UserDesc {
  const dv = new DataView(b.buffer, b.byteOffset, USER_DESC_SIZE);
  const f = dv.getUint32(12, true);
  return {
    entryNumber: dv.getInt32(0, true), baseAddr: dv.getUint32(4, true), limit: dv.getUint32(8, true),
    seg32bit: f & 1, contents: (f >> 1) & 3, readExecOnly: (f >> 3) & 1, limitInPages: (f >> 4) & 1,
    segNotPresent: (f >> 5) & 1, useable: (f >> 6) & 1,
  };
}

export function encodeUserDesc(u: UserDesc): Uint8Array {
  const b = new Uint8Array(USER_DESC_SIZE);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, u.entryNumber, true);
  dv.setUint32(4, u.baseAddr >>> 0, true);
  dv.setUint32(8, u.limit >>> 0, true);
  dv.setUint32(12, u.seg32bit | (u.contents << 1) | (u.readExecOnly << 3) | (u.limitInPages << 4)
    | (u.segNotPresent << 5) | (u.useable << 6), true);
  return b;
}

/** Linux's LDT_empty: the request clears the slot. */
const isEmpty = (u: UserDesc) => u.baseAddr === 0 && u.limit === 0 && u.contents === 0 && u.readExecOnly === 1
  && u.seg32bit === 0 && u.limitInPages === 0 && u.segNotPresent === 1 && u.useable === 0;
/** fill_ldt: the descriptor a user_desc asks for (DPL 3, a code or data segment). */
export function encodeDescriptor(u: UserDesc): Descriptor {
  const base = u.baseAddr >>> 0, limit = u.limit >>> 0;
  const low = (((base & 0xffff) << 16) | (limit & 0xffff)) >>> 0;
  const type = ((u.readExecOnly ^ 1) << 1) | (u.contents << 2) | 1; // the accessed bit set, as Linux does
  const high = ((base & 0xff000000) | ((base >>> 16) & 0xff) | (limit & 0xf0000) | (type << 8) | (1 << 12) | (3 << 13)
    | ((u.segNotPresent ^ 1) << 15) | (u.useable << 20) | (u.seg32bit << 22) | (u.limitInPages << 23)) >>> 0;
  return [low, high];
}

/** fill_user_desc: a descriptor read back as a user_desc. */
export function descriptorToUserDesc(index: number, [low, high]: Descriptor): UserDesc {
  const type = (high >>> 8) & 0xf;
  return {
    entryNumber: index,
    baseAddr: ((high & 0xff000000) | ((high & 0xff) << 16) | (low >>> 16)) >>> 0,
    limit: (high & 0xf0000) | (low & 0xffff),
    seg32bit: (high >>> 22) & 1, contents: type >> 2, readExecOnly: (type & 2) ? 0 : 1,
    limitInPages: (high >>> 23) & 1, segNotPresent: (high >>> 15) & 1 ? 0 : 1, useable: (high >>> 20) & 1,
  };
}

/** The process's descriptors: its TLS slots and its LDT. */
export class SegmentState {
  readonly tls: Descriptor[] = Array.from({ length: GDT_ENTRY_TLS_ENTRIES }, () => [0, 0] as Descriptor);
  readonly ldt = new Map<number, Descriptor>();
  /** Linux's ldt->nr_entries: one past the highest entry ever written. */
  ldtEntries = 0;
  constructor(readonly cpu?: DescriptorTables) {}
}

const fail = (errno: number): never => { throw new KernelError(errno); };

export const tlsCalls: SyscallSpec<Kernel>[] = [
  {
    nr: 243, name: 'set_thread_area', family: 'tls', support: 'full',
    note: 'TLS slots are GDT entries 6-8; entry_number -1 takes the first free one',
    args: [arg('u_info', 'user_desc')],
    handler(k, [ptr]) {
      const u = decodeUserDesc(k.copyIn(ptr, USER_DESC_SIZE));
      // tls_desc_okay: only present 32-bit data segments, or an empty request.
      if (!isEmpty(u) && (!u.seg32bit || u.contents > 1 || u.segNotPresent)) fail(E.EINVAL);
      let idx = u.entryNumber;
      if (idx === -1) {
        const free = k.segments.tls.findIndex(([lo, hi]) => lo === 0 && hi === 0);
        if (free < 0) fail(E.ESRCH);
        idx = GDT_ENTRY_TLS_MIN + free;
        k.putU32(ptr, idx);
      }
      if (idx < GDT_ENTRY_TLS_MIN || idx >= GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES) fail(E.EINVAL);
      const d: Descriptor = isEmpty(u) ? [0, 0] : encodeDescriptor(u);
      k.segments.tls[idx - GDT_ENTRY_TLS_MIN] = d;
      k.segments.cpu?.setGdtEntry(idx, d);
      return 0;
    },
  },
  {
    nr: 244, name: 'get_thread_area', family: 'tls', support: 'full',
    args: [arg('u_info', 'user_desc')],
    handler(k, [ptr]) {
      const idx = k.getU32(ptr) | 0;
      if (idx < GDT_ENTRY_TLS_MIN || idx >= GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES) fail(E.EINVAL);
      k.copyOut(ptr, encodeUserDesc(descriptorToUserDesc(idx, k.segments.tls[idx - GDT_ENTRY_TLS_MIN])));
      return 0;
    },
  },
  {
    nr: 123, name: 'modify_ldt', family: 'tls', support: 'full',
    note: 'an LDT of up to 8192 entries through the CPU\'s LDTR; func 0 reads, 1 and 0x11 write, 2 reads the (empty) default LDT',
    args: [arg('func', 'int'), arg('ptr', 'ptr'), arg('bytecount', 'size')],
    handler(k, [func, ptr, bytecount]) {
      const s = k.segments;
      if (func === 0 || func === 2) {
        const total = Math.min(bytecount, func === 0 ? LDT_ENTRIES * LDT_ENTRY_SIZE : 5 * LDT_ENTRY_SIZE);
        if (func === 0 && s.ldtEntries === 0) return 0;
        const out = new Uint8Array(total);
        if (func === 0) {
          const dv = new DataView(out.buffer);
          for (const [i, [lo, hi]] of s.ldt) {
            if ((i + 1) * LDT_ENTRY_SIZE > total) continue;
            dv.setUint32(i * LDT_ENTRY_SIZE, lo, true);
            dv.setUint32(i * LDT_ENTRY_SIZE + 4, hi, true);
          }
        }
        k.copyOut(ptr, out);
        return total;
      }
      if (func !== 1 && func !== 0x11) fail(E.ENOSYS);
      const oldMode = func === 1;
      if (bytecount !== USER_DESC_SIZE) fail(E.EINVAL);
      const u = decodeUserDesc(k.copyIn(ptr, USER_DESC_SIZE));
      if (u.entryNumber < 0 || u.entryNumber >= LDT_ENTRIES) fail(E.EINVAL);
      if (u.contents === 3 && (oldMode || u.segNotPresent === 0)) fail(E.EINVAL);
      const clear = (oldMode && u.baseAddr === 0 && u.limit === 0) || isEmpty(u);
      const d: Descriptor = clear ? [0, 0] : encodeDescriptor(oldMode ? { ...u, useable: 0 } : u);
      if (clear) s.ldt.delete(u.entryNumber); else s.ldt.set(u.entryNumber, d);
      s.ldtEntries = Math.max(s.ldtEntries, u.entryNumber + 1);
      s.cpu?.setLdtEntry(u.entryNumber, d);
      return 0;
    },
  },
];
