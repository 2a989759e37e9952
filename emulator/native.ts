// Binding to the native helper (emulator/native/boundary.c): exact instruction counting
// per block, the interrupt trampoline that hands the kernel model a register frame, and
// rdtsc sites. One BoundaryHooks owns the helper's handle and its callbacks; release()
// frees them once, on every path.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { NativeUnavailable, UnicornError, errorText, koffi as loadKoffi, type Unicorn } from './unicorn.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/emulator/native.js → build/native; the helper is built by `make -C emulator/native`.
const LIBRARY = path.resolve(here, '../../build/native/libscboundary.so');

/** Registers in the order of the shared frame (sc_state.regs). */
export const FRAME_REGS = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags'] as const;
export type FrameReg = typeof FRAME_REGS[number];
export const REG_INDEX = Object.fromEntries(FRAME_REGS.map((r, i) => [r, i])) as Record<FrameReg, number>;

// Byte offsets in struct sc_state, in declaration order; sc_layout() must agree (checked at load).
const OFF = { instructions: 0, limit: 8, limitHit: 16, writeEax: 20, regs: 24, stop: 64, blockLeft: 68, partial: 72, stopPc: 76 } as const;
const STATE_SIZE = 80;

/** Every run ends at this address (uc_emu_start's `until`): the helper jumps there to stop in front of a block. */
export const STOP_PC = 0xffffffff;

/** Why the block hook stopped the guest before a block. */
export const STOP = { NONE: 0, LIMIT: 1, TRAP: 2 } as const;

/** Sites closer than this share one code hook. */
const RDTSC_GAP = 64;

let lib: ReturnType<typeof loadLibrary> | undefined;
function loadLibrary() {
  if (!existsSync(LIBRARY)) {
    throw new NativeUnavailable(`native helper missing at ${LIBRARY}: run ./setup.sh (or npm run build)`);
  }
  let l: ReturnType<ReturnType<typeof loadKoffi>['load']>;
  try {
    l = loadKoffi().load(LIBRARY);
  } catch (err) {
    throw new NativeUnavailable(`cannot load ${LIBRARY} (${(err as Error).message}): install Debian's libunicorn2 and rebuild (run ./setup.sh)`);
  }
  const DecodeFn = loadKoffi().proto('uint32_t sc_decode_fn(uint64_t address, uint32_t size)');
  const InterruptFn = loadKoffi().proto('void sc_interrupt_fn(uint32_t intno)');
  const RdtscFn = loadKoffi().proto('void sc_rdtsc_fn(uint32_t address)');
  const api = {
    DecodeFn, InterruptFn, RdtscFn,
    layout: l.func('uint32_t sc_layout(_Out_ uint32_t *out, uint32_t n)'),
    attach: l.func('void *sc_attach(void *uc, sc_decode_fn *decode, sc_interrupt_fn *interrupt, uint64_t limit, _Out_ int *err)'),
    rdtscSites: l.func('int sc_rdtsc_sites(void *h, sc_rdtsc_fn *fn, const uint32_t *sites, uint32_t n, uint32_t gap)'),
    failed: l.func('int sc_failed(void *h)'),
    forgetCode: l.func('int sc_forget_code(void *h, uint64_t begin, uint64_t end)'),
    state: l.func('void *sc_state(void *h)'),
    blocks: l.func('uint32_t sc_blocks(void *h)'),
    block: l.func('void sc_block(void *h, _Out_ uint64_t *address, _Out_ uint32_t *size, _Out_ uint32_t *insns)'),
    unhook: l.func('void sc_unhook(void *h)'),
    detach: l.func('void sc_detach(void *h)'),
  };
  const expected = [...Object.values(OFF), STATE_SIZE, FRAME_REGS.length];
  const got = new Uint32Array(expected.length);
  const n = api.layout(got, got.length) as number;
  if (n !== expected.length || expected.some((v, i) => got[i] !== v)) {
    throw new Error(`native helper ${LIBRARY} has another struct sc_state layout (${[...got].join(',')}, expected ${expected.join(',')}): rebuild it (npm run build)`);
  }
  return api;
}

/**
 * The counters and the register frame the helper shares with JavaScript: C memory,
 * owned by the helper's handle and seen here through a view (it never moves).
 */
export class BoundaryHooks {
  private state: Buffer | undefined;
  /** Registers at the last interrupt, indexed by REG_INDEX; write eax with setResult. */
  regs: Uint32Array;
  private handle: unknown;
  private callbacks: unknown[] = [];

  /**
   * `decode` returns a block's instruction count and, when one of them traps before it
   * runs, its index (the block hook stops the guest in front of that block).
   */
  constructor(uc: Unicorn, decode: (address: number, size: number) => { insns: number; trap?: number },
    interrupt: (intno: number) => void, limit: bigint) {
    lib ??= loadLibrary();
    const l = lib;
    const decodeCb = this.register((a: number | bigint, s: number) => {
      const d = decode(Number(a), s);
      return (Math.min(d.insns, 0xffff) | (d.trap !== undefined && d.trap < 0xfffe ? (d.trap + 1) << 16 : 0)) >>> 0;
    }, l.DecodeFn);
    const interruptCb = this.register((n: number) => interrupt(n), l.InterruptFn);
    const err = [0];
    this.handle = l.attach(uc.handle, decodeCb, interruptCb, limit, err);
    if (!this.handle) {
      this.release();
      throw new UnicornError('sc_attach', err[0], errorText(err[0]));
    }
    this.state = Buffer.from(loadKoffi().view(l.state(this.handle), STATE_SIZE));
    this.regs = new Uint32Array(this.state.buffer, this.state.byteOffset + OFF.regs, FRAME_REGS.length);
  }

  private register(fn: (...a: never[]) => unknown, proto: unknown): unknown {
    const cb = loadKoffi().register(fn, loadKoffi().pointer(proto as never));
    this.callbacks.push(cb);
    return cb;
  }

  private get live(): Buffer {
    if (!this.state) throw new Error('boundary hooks used after release()');
    return this.state;
  }

  /**
   * Hooks rdtsc at these addresses: after each one runs, `tsc(address after it)` gives
   * the counter, written to edx:eax. One JavaScript callback for all sites.
   */
  hookRdtsc(sites: number[], tsc: (after: number) => number): void {
    if (sites.length === 0) return;
    const sorted = Uint32Array.from(new Set(sites)).sort();
    const cb = this.register((after: number) => {
      const v = tsc(after);
      this.regs[REG_INDEX.eax] = v % 2 ** 32;
      this.regs[REG_INDEX.edx] = Math.floor(v / 2 ** 32);
    }, lib!.RdtscFn);
    const err = lib!.rdtscSites(this.handle, cb, sorted, sorted.length, RDTSC_GAP) as number;
    if (err !== 0) throw new UnicornError('sc_rdtsc_sites', err, errorText(err));
  }

  /** Instructions executed so far (exact below 2^53, which no run reaches). */
  get instructions(): number {
    const s = this.live;
    return s.readUInt32LE(OFF.instructions) + s.readUInt32LE(OFF.instructions + 4) * 2 ** 32;
  }

  /** Corrects the count, e.g. for the part of a block a fault kept from running. */
  set instructions(value: number) {
    this.live.writeBigUInt64LE(BigInt(value), OFF.instructions);
  }

  /** The block hook stops the guest in front of the block that would pass this count (STOP.LIMIT). */
  get limit(): bigint {
    return this.live.readBigUInt64LE(OFF.limit);
  }

  set limit(value: bigint) {
    this.live.writeBigUInt64LE(value, OFF.limit);
  }

  get limitHit(): boolean {
    return this.live.readUInt32LE(OFF.limitHit) !== 0;
  }

  /** Why the block hook stopped the guest (STOP), and how much of that block may run. */
  get stop(): { why: number; blockLeft: number; pc: number } {
    const s = this.live;
    return { why: s.readUInt32LE(OFF.stop), blockLeft: s.readUInt32LE(OFF.blockLeft), pc: s.readUInt32LE(OFF.stopPc) };
  }

  /** Forgets the last stop, before a run that may stop again. */
  clearStop(): void {
    const s = this.live;
    s.writeUInt32LE(STOP.NONE, OFF.stop);
    s.writeUInt32LE(0, OFF.limitHit);
    s.writeUInt32LE(0, OFF.blockLeft);
  }

  /** While set, the block hook counts but never stops the guest (running the part of a block before a stop). */
  set partial(on: boolean) {
    this.live.writeUInt32LE(on ? 1 : 0, OFF.partial);
  }

  /** Drops Unicorn's translations of [begin, end) (before a run that counts instructions). */
  forgetCode(begin: number, end: number): void {
    const err = lib!.forgetCode(this.handle, begin, end) as number;
    if (err !== 0) throw new UnicornError('uc_ctl_remove_cache', err, errorText(err));
  }

  /** An allocation in the helper failed during the run. */
  get failed(): boolean {
    return this.handle ? (lib!.failed(this.handle) as number) !== 0 : false;
  }

  /** The block being executed (a call into the helper: for rdtsc and faults, not per syscall). */
  get block(): { address: number; size: number; insns: number } {
    this.live;
    const address = [0], size = [0], insns = [0];
    lib!.block(this.handle, address, size, insns);
    return { address: Number(address[0]), size: size[0], insns: insns[0] };
  }

  /** Sets the syscall result; the helper writes it to eax when the callback returns. */
  setResult(value: number): void {
    this.regs[REG_INDEX.eax] = value >>> 0;
    this.live.writeUInt32LE(1, OFF.writeEax);
  }

  distinctBlocks(): number {
    this.live;
    return lib!.blocks(this.handle) as number;
  }

  /** Removes the hooks; the counters stay readable until release(). */
  detach(): void {
    if (this.handle) lib!.unhook(this.handle);
  }

  /**
   * Removes the hooks, frees the helper's memory and unregisters the callbacks. Safe to
   * call twice; the counters are unreadable after.
   */
  release(): void {
    if (this.handle) lib!.detach(this.handle);
    this.handle = undefined;
    this.state = undefined;
    this.regs = new Uint32Array(FRAME_REGS.length);
    for (const cb of this.callbacks) loadKoffi().unregister(cb as never);
    this.callbacks = [];
  }
}
