// A typed koffi binding to Debian's libunicorn2: only the calls syscluster uses.
// Every failing call throws UnicornError carrying uc_strerror's text. Nothing native is
// loaded at import: koffi and the library are loaded on first use, so that commands
// that never run a guest (step on a dump, profile, syscalls, --help) work without them.
import { createRequire } from 'node:module';
import type * as Koffi from 'koffi';
import { UserError } from '../kernel-model/limits.js';

const require = createRequire(import.meta.url);
let koffiModule: typeof Koffi | undefined;
/** koffi, loaded on first use. */
export function koffi(): typeof Koffi {
  return (koffiModule ??= require('koffi') as typeof Koffi);
}

/** The library name dlopen looks for (SYSCLUSTER_LIBUNICORN overrides it, e.g. to test without it). */
export const LIBUNICORN = process.env.SYSCLUSTER_LIBUNICORN || 'libunicorn.so.2';

/** Unicorn or a native part could not be loaded: a set-up problem, not a bug. */
export class NativeUnavailable extends UserError {}

export const UC_ARCH_X86 = 4;
export const UC_MODE_32 = 1 << 2;

export const UC_PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4, ALL: 7 } as const;

export const UC_HOOK = {
  INTR: 1 << 0,
  INSN: 1 << 1,
  CODE: 1 << 2,
  BLOCK: 1 << 3,
  MEM_INVALID: 0x3f0, // UNMAPPED and PROT, for read, write and fetch
  MEM_READ: 1 << 10,
  MEM_WRITE: 1 << 11,
} as const;

export const UC_ERR = {
  OK: 0,
  READ_UNMAPPED: 6,
  WRITE_UNMAPPED: 7,
  FETCH_UNMAPPED: 8,
  INSN_INVALID: 10,
  WRITE_PROT: 12,
  READ_PROT: 13,
  FETCH_PROT: 14,
  EXCEPTION: 21,
} as const;

// uc_x86_reg values for the registers the i386 ABI uses.
export const X86_REG = {
  EAX: 19, EBP: 20, EBX: 21, ECX: 22, EDI: 23, EDX: 24, EFLAGS: 25, EIP: 26,
  ESI: 29, ESP: 30, CS: 11, DS: 17, ES: 28, SS: 49, FS: 32, GS: 33,
  /** Descriptor-table registers: written as a uc_x86_mmr. */
  GDTR: 243, LDTR: 244,
  /** The FPU (x87 and SSE): FP0..FP7 are the physical x87 registers R0..R7 (10 bytes each), XMM0..XMM7 16 bytes each. */
  FPSW: 31, FP0: 82, XMM0: 122, FPCW: 246, FPTAG: 247, MXCSR: 249, FIP: 254, FCS: 255, FDP: 256, FDS: 257, FOP: 258,
} as const;

/** uc_x86_insn values for UC_HOOK_INSN. */
export const X86_INS = { SYSENTER: 700 } as const;

/** struct uc_x86_mmr: u16 selector, (pad), u64 base at 8, u32 limit at 16, u32 flags at 20. */
const MMR_SIZE = 24;

export class UnicornError extends Error {
  constructor(readonly call: string, readonly code: number, text: string) {
    super(`${call}: ${text}`);
  }
}

function loadApi() {
  const k = koffi();
  let lib: ReturnType<typeof k.load>;
  try {
    lib = k.load(LIBUNICORN);
  } catch {
    throw new NativeUnavailable(`cannot load ${LIBUNICORN}: install Debian's libunicorn2 (run ./setup.sh)`);
  }
  k.opaque('uc_engine');
  const CodeHook = k.proto('void sc_code_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user)');
  const InsnHook = k.proto('void sc_insn_hook(uc_engine *uc, void *user)');
  const MemHook = k.proto(
    'bool sc_mem_hook(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user)');
  return {
  CodeHook, MemHook, InsnHook,
  open: lib.func('int uc_open(int arch, int mode, _Out_ uc_engine **uc)'),
  close: lib.func('int uc_close(uc_engine *uc)'),
  strerror: lib.func('const char *uc_strerror(int code)'),
  memMap: lib.func('int uc_mem_map(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)'),
  memUnmap: lib.func('int uc_mem_unmap(uc_engine *uc, uint64_t address, size_t size)'),
  memProtect: lib.func('int uc_mem_protect(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)'),
  memRead: lib.func('int uc_mem_read(uc_engine *uc, uint64_t address, _Out_ uint8_t *bytes, size_t size)'),
  memWrite: lib.func('int uc_mem_write(uc_engine *uc, uint64_t address, const uint8_t *bytes, size_t size)'),
  regRead: lib.func('int uc_reg_read(uc_engine *uc, int regid, _Out_ uint32_t *value)'),
  regWrite: lib.func('int uc_reg_write(uc_engine *uc, int regid, const uint32_t *value)'),
  regWriteBytes: lib.func('int uc_reg_write(uc_engine *uc, int regid, const uint8_t *value)'),
  regReadBytes: lib.func('int uc_reg_read(uc_engine *uc, int regid, _Out_ uint8_t *value)'),
  emuStart: lib.func('int uc_emu_start(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)'),
  emuStop: lib.func('int uc_emu_stop(uc_engine *uc)'),
  // uc_hook_add is variadic in C; each hook kind in use is declared with its fixed arguments.
  hookAddCode: lib.func('int uc_hook_add(uc_engine *uc, _Out_ size_t *hh, int type, sc_code_hook *cb, void *user, uint64_t begin, uint64_t end)'),
  hookAddMem: lib.func('int uc_hook_add(uc_engine *uc, _Out_ size_t *hh, int type, sc_mem_hook *cb, void *user, uint64_t begin, uint64_t end)'),
  hookAddInsn: lib.func('int uc_hook_add(uc_engine *uc, _Out_ size_t *hh, int type, sc_insn_hook *cb, void *user, uint64_t begin, uint64_t end, int insn)'),
  hookDel: lib.func('int uc_hook_del(uc_engine *uc, size_t hh)'),
  };
}

let loaded: ReturnType<typeof loadApi> | undefined;
/** The bound calls, loading koffi and libunicorn on first use. */
function unicorn(): ReturnType<typeof loadApi> {
  return (loaded ??= loadApi());
}

function check(call: string, code: number): void {
  if (code !== UC_ERR.OK) throw new UnicornError(call, code, unicorn().strerror(code) as string);
}

export function errorText(code: number): string {
  return unicorn().strerror(code) as string;
}

/** One Unicorn engine in 32-bit x86 mode. */
export class Unicorn {
  readonly handle: unknown;
  private readonly scratch = new Uint32Array(1);
  private readonly registered: unknown[] = [];

  private closed = false;

  constructor() {
    const out = [null];
    check('uc_open', unicorn().open(UC_ARCH_X86, UC_MODE_32, out) as number);
    this.handle = out[0];
  }

  /** Closes the engine and unregisters its callbacks; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    unicorn().close(this.handle);
    for (const cb of this.registered) koffi().unregister(cb as never);
    this.registered.length = 0;
  }

  memMap(address: number, size: number, perms: number): void {
    check('uc_mem_map', unicorn().memMap(this.handle, address, size, perms) as number);
  }

  memUnmap(address: number, size: number): void {
    check('uc_mem_unmap', unicorn().memUnmap(this.handle, address, size) as number);
  }

  memProtect(address: number, size: number, perms: number): void {
    check('uc_mem_protect', unicorn().memProtect(this.handle, address, size, perms) as number);
  }

  /** Reads into `into`; returns the Unicorn error code (0 on success). */
  memReadInto(address: number, into: Uint8Array): number {
    return unicorn().memRead(this.handle, address, into, into.length) as number;
  }

  memWrite(address: number, bytes: Uint8Array): number {
    return unicorn().memWrite(this.handle, address, bytes, bytes.length) as number;
  }

  regRead(reg: number): number {
    check('uc_reg_read', unicorn().regRead(this.handle, reg, this.scratch) as number);
    return this.scratch[0];
  }

  regWrite(reg: number, value: number): void {
    this.scratch[0] = value >>> 0;
    check('uc_reg_write', unicorn().regWrite(this.handle, reg, this.scratch) as number);
  }

  /** Reads a register wider than 32 bits (an x87 register: 10 bytes, an XMM register: 16) into `into`. */
  regReadBytes(reg: number, into: Uint8Array): void {
    check('uc_reg_read', unicorn().regReadBytes(this.handle, reg, into) as number);
  }

  /** Writes a register from its bytes (little-endian, as uc_reg_write takes it). */
  regWriteRaw(reg: number, bytes: Uint8Array): void {
    check('uc_reg_write', unicorn().regWriteBytes(this.handle, reg, bytes) as number);
  }

  /** Loads GDTR or LDTR (a uc_x86_mmr: selector, base, limit, flags). */
  regWriteMmr(reg: number, m: { selector?: number; base: number; limit: number; flags?: number }): void {
    const b = new Uint8Array(MMR_SIZE);
    const dv = new DataView(b.buffer);
    dv.setUint16(0, m.selector ?? 0, true);
    dv.setBigUint64(8, BigInt(m.base), true);
    dv.setUint32(16, m.limit >>> 0, true);
    dv.setUint32(20, (m.flags ?? 0) >>> 0, true);
    check('uc_reg_write', unicorn().regWriteBytes(this.handle, reg, b) as number);
  }

  /** Runs from `begin` (at most `count` instructions when given); returns the error code that ended the run. */
  emuStart(begin: number, until: number, count = 0): number {
    return unicorn().emuStart(this.handle, begin, until, 0, count) as number;
  }

  emuStop(): void {
    unicorn().emuStop(this.handle);
  }

  hookCode(begin: number, end: number, fn: (address: bigint, size: number) => void): number {
    const cb = koffi().register((_uc: unknown, address: bigint, size: number) => fn(address, size),
      koffi().pointer(unicorn().CodeHook));
    this.registered.push(cb);
    const out = [0];
    check('uc_hook_add', unicorn().hookAddCode(this.handle, out, UC_HOOK.CODE, cb, null, begin, end) as number);
    return out[0];
  }

  /** A hook on one instruction (UC_HOOK_INSN), e.g. sysenter: `fn` runs in place of the instruction. */
  hookInsn(insn: number, fn: () => void): number {
    const cb = koffi().register(() => fn(), koffi().pointer(unicorn().InsnHook));
    this.registered.push(cb);
    const out = [0];
    check('uc_hook_add', unicorn().hookAddInsn(this.handle, out, UC_HOOK.INSN, cb, null, 1, 0, insn) as number);
    return out[0];
  }

  hookMemInvalid(fn: (type: number, address: bigint, size: number) => boolean): number {
    const cb = koffi().register(
      (_uc: unknown, type: number, address: bigint, size: number) => fn(type, address, size),
      koffi().pointer(unicorn().MemHook));
    this.registered.push(cb);
    const out = [0];
    check('uc_hook_add', unicorn().hookAddMem(this.handle, out, UC_HOOK.MEM_INVALID, cb, null, 1, 0) as number);
    return out[0];
  }

  /**
   * Runs from `begin` for at most `timeoutMicros` (0: no limit) and `count` instructions
   * (0: no limit): a debugger's slice of the guest.
   */
  emuStartFor(begin: number, until: number, timeoutMicros: number, count = 0): number {
    return unicorn().emuStart(this.handle, begin, until, timeoutMicros, count) as number;
  }

  /** A hook on reads or writes of [begin, end] (UC_HOOK_MEM_READ / UC_HOOK_MEM_WRITE): a debugger's watchpoint. */
  hookMemAccess(type: number, begin: number, end: number, fn: (type: number, address: bigint, size: number) => void): number {
    const cb = koffi().register(
      (_uc: unknown, t: number, address: bigint, size: number) => { fn(t, address, size); return true; },
      koffi().pointer(unicorn().MemHook));
    this.registered.push(cb);
    const out = [0];
    check('uc_hook_add', unicorn().hookAddMem(this.handle, out, type, cb, null, begin, end) as number);
    return out[0];
  }

  /** Removes a hook (its callback stays registered until the engine closes). */
  unhook(hh: number): void {
    check('uc_hook_del', unicorn().hookDel(this.handle, hh) as number);
  }

  /** Keeps a registered callback alive for as long as the engine is. */
  own(cb: unknown): void {
    this.registered.push(cb);
  }
}
