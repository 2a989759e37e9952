// Binding to the native helper (emulator/native/boundary.c): exact instruction counting
// per block and the interrupt trampoline that hands the kernel model a register frame.
import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { UnicornError, errorText, type Unicorn } from './unicorn.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// dist/emulator/native.js → build/native; the helper is built by `make -C emulator/native`.
const LIBRARY = path.resolve(here, '../../build/native/libscboundary.so');

/** Registers in the order of the shared frame (sc_state.regs). */
export const FRAME_REGS = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags'] as const;
export type FrameReg = typeof FRAME_REGS[number];
export const REG_INDEX = Object.fromEntries(FRAME_REGS.map((r, i) => [r, i])) as Record<FrameReg, number>;

// Byte offsets in struct sc_state.
const OFF = { instructions: 0, limit: 8, limitHit: 16, writeEax: 20, regs: 24 } as const;
const STATE_SIZE = OFF.regs + 4 * FRAME_REGS.length;

let lib: ReturnType<typeof loadLibrary> | undefined;
function loadLibrary() {
  if (!existsSync(LIBRARY)) {
    throw new Error(`native helper missing at ${LIBRARY}: run ./setup.sh (or npm run build)`);
  }
  const l = koffi.load(LIBRARY);
  const DecodeFn = koffi.proto('uint32_t sc_decode_fn(uint64_t address, uint32_t size)');
  const InterruptFn = koffi.proto('void sc_interrupt_fn(uint32_t intno)');
  return {
    DecodeFn, InterruptFn,
    attach: l.func('void *sc_attach(void *uc, sc_decode_fn *decode, sc_interrupt_fn *interrupt, uint64_t limit, _Out_ int *err)'),
    state: l.func('void *sc_state(void *h)'),
    blocks: l.func('uint32_t sc_blocks(void *h)'),
    block: l.func('void sc_block(void *h, _Out_ uint64_t *address, _Out_ uint32_t *size, _Out_ uint32_t *insns)'),
    unhook: l.func('void sc_unhook(void *h)'),
    detach: l.func('void sc_detach(void *h)'),
  };
}

/**
 * The counters and the register frame the helper shares with JavaScript: C memory,
 * owned by the helper's handle and seen here through a view (it never moves).
 */
export class BoundaryHooks {
  private readonly state: Buffer;
  /** Registers at the last interrupt, indexed by REG_INDEX; write eax with setResult. */
  readonly regs: Uint32Array;
  private readonly handle: unknown;

  constructor(uc: Unicorn, decode: (address: number, size: number) => number,
    interrupt: (intno: number) => void, limit: bigint) {
    lib ??= loadLibrary();
    const decodeCb = koffi.register((a: number | bigint, s: number) => decode(Number(a), s),
      koffi.pointer(lib.DecodeFn));
    const interruptCb = koffi.register((n: number) => interrupt(n), koffi.pointer(lib.InterruptFn));
    uc.own(decodeCb);
    uc.own(interruptCb);
    const err = [0];
    this.handle = lib.attach(uc.handle, decodeCb, interruptCb, limit, err);
    if (!this.handle) throw new UnicornError('sc_attach', err[0], errorText(err[0]));
    this.state = Buffer.from(koffi.view(lib.state(this.handle), STATE_SIZE));
    this.regs = new Uint32Array(this.state.buffer, this.state.byteOffset + OFF.regs, FRAME_REGS.length);
  }

  /** Instructions executed so far (exact below 2^53, which no run reaches). */
  get instructions(): number {
    return this.state.readUInt32LE(OFF.instructions) + this.state.readUInt32LE(OFF.instructions + 4) * 2 ** 32;
  }

  /** Corrects the count, e.g. for the part of a block a fault kept from running. */
  set instructions(value: number) {
    this.state.writeBigUInt64LE(BigInt(value), OFF.instructions);
  }

  get limitHit(): boolean {
    return this.state.readUInt32LE(OFF.limitHit) !== 0;
  }

  /** The block being executed (a call into the helper: for rdtsc and faults, not per syscall). */
  get block(): { address: number; size: number; insns: number } {
    const address = [0], size = [0], insns = [0];
    lib!.block(this.handle, address, size, insns);
    return { address: Number(address[0]), size: size[0], insns: insns[0] };
  }

  /** Sets the syscall result; the helper writes it to eax when the callback returns. */
  setResult(value: number): void {
    this.regs[REG_INDEX.eax] = value >>> 0;
    this.state.writeUInt32LE(1, OFF.writeEax);
  }

  distinctBlocks(): number {
    return lib!.blocks(this.handle) as number;
  }

  /** Removes the hooks; the counters stay readable until release(). */
  detach(): void {
    lib!.unhook(this.handle);
  }

  /** Frees the helper's memory; the object must not be used after. */
  release(): void {
    lib!.detach(this.handle);
  }
}
