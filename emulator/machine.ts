// Runs one i386 guest: load the ELF, build the initial stack, attach the hooks, and run
// on Unicorn until the guest exits, faults, or passes its instruction limit. Every
// `int 0x80` goes to the kernel model; every other trap ends the guest as Linux would.
import { Kernel, type KernelOptions, type Tracer } from '../kernel-model/kernel.js';
import { PROT } from '../kernel-model/memory.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import { Disassembler, formatInstruction, type Instruction } from './disasm.js';
import { BadInput, PAGE_SIZE, PF_R, PF_W, PF_X, USER_TOP, pageDown, pageUp, parseElf, type ElfImage } from './elf.js';
import { UnicornMemory } from './memory.js';
import { BoundaryHooks, REG_INDEX } from './native.js';
import { UC_ERR, Unicorn, X86_REG, errorText } from './unicorn.js';

export const STACK_TOP = USER_TOP;
export const STACK_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_INSTRUCTIONS = 2_000_000_000;

// Linux's user-mode selectors (i386): the emulated CPU runs flat, so the frame shows these.
const USER_CS = 0x73, USER_DS = 0x7b;

export const SIGNALS: Record<string, number> = { SIGTRAP: 5, SIGILL: 4, SIGFPE: 8, SIGSEGV: 11, SIGXCPU: 24 };

export interface RunOptions extends Omit<KernelOptions, 'memory' | 'brk'> {
  /** argv[0] first. */
  argv: string[];
  envp?: string[];
  maxInstructions?: number;
  tracers?: Tracer[];
  /** Called with the machine once loaded, before the first instruction (steppers, tests). */
  onLoad?: (m: Machine) => void;
}

export type Outcome =
  | { kind: 'exited'; status: number }
  | { kind: 'signaled'; signal: string; eip: number; address?: number; instruction?: string; why: string }
  | { kind: 'limit'; instructions: number };

export interface RunResult {
  outcome: Outcome;
  /** The process exit code a shell would see: the status, or 128 + signal. */
  exitCode: number;
  kernel: Kernel;
  /** Distinct translated blocks (from the block cache). */
  blocks: number;
}

let disassembler: Promise<Disassembler> | undefined;
export const sharedDisassembler = () => (disassembler ??= Disassembler.create());

/** A loaded guest, ready to run. */
export class Machine {
  readonly uc = new Unicorn();
  readonly mem = new UnicornMemory(this.uc);
  readonly kernel: Kernel;
  readonly image: ElfImage;
  private readonly hooks: BoundaryHooks;
  private readonly blockInsns = new Map<string, Instruction[]>();
  private fault: Extract<Outcome, { kind: 'signaled' }> | undefined;
  private faultAddress: number | undefined;
  private faultEip: number | undefined;
  private pendingRdtsc = -1;
  private readonly entry: number;
  private readonly esp: number;

  constructor(file: Uint8Array, name: string, private readonly dis: Disassembler, o: RunOptions) {
    this.image = parseElf(file, name);
    try {
      this.loadSegments(file);
      this.esp = this.buildStack(o.argv, o.envp ?? []);
    } catch (err) {
      this.uc.close();
      throw err;
    }
    this.entry = this.image.entry;
    this.kernel = new Kernel({ ...o, memory: this.mem, brk: pageUp(this.image.end) });
    for (const t of o.tracers ?? []) this.kernel.tracers.push(t);
    const limit = BigInt(o.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS);
    this.hooks = new BoundaryHooks(this.uc, (a, s) => this.decodeBlock(a, s).length, (n) => this.onInterrupt(n), limit);
    this.uc.hookMemInvalid((_type, address) => this.onBadAccess(Number(address)));
    this.hookRdtsc(file);
  }

  private loadSegments(file: Uint8Array): void {
    for (const s of this.image.segments) {
      const start = pageDown(s.vaddr), end = pageUp(s.vaddr + s.memsz);
      if (!this.mem.map(start, end - start, PROT.READ | PROT.WRITE)) {
        throw new BadInput(`segment at 0x${s.vaddr.toString(16)} cannot be mapped`);
      }
      this.mem.poke(s.vaddr, file.subarray(s.offset, s.offset + s.filesz)); // the rest stays zero (bss)
      const prot = (s.flags & PF_R ? PROT.READ : 0) | (s.flags & PF_W ? PROT.WRITE : 0) | (s.flags & PF_X ? PROT.EXEC : 0);
      this.mem.protect(start, end - start, prot);
    }
  }

  /** The i386 System V initial stack: argc, argv, envp, auxv, then the strings. */
  private buildStack(argv: string[], envp: string[]): number {
    const base = STACK_TOP - STACK_BYTES;
    this.mem.map(base, STACK_BYTES, PROT.READ | PROT.WRITE);
    let sp = STACK_TOP - 16;
    const push = (bytes: Uint8Array) => { sp -= bytes.length; this.mem.poke(sp, bytes); return sp; };
    const pushString = (s: string) => push(Buffer.from(s + '\0', 'latin1'));
    const execfn = pushString(argv[0] ?? '');
    const argvPtrs = argv.map(pushString);
    const envPtrs = envp.map(pushString);
    const platform = pushString('i686');
    // AT_RANDOM: fixed bytes, so that runs are reproducible.
    const random = push(Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff));
    const ph = this.image;
    const auxv: [number, number][] = [
      [3, ph.phdrAddress], [4, ph.phentsize], [5, ph.phnum], [6, PAGE_SIZE], [7, 0], [8, 0], [9, ph.entry],
      [11, 0], [12, 0], [13, 0], [14, 0], [15, platform], [16, 0], [17, 100], [23, 0], [25, random],
      [31, execfn], [0, 0],
    ];
    const words = [argv.length, ...argvPtrs, 0, ...envPtrs, 0, ...auxv.flat()];
    sp = Math.floor((sp - words.length * 4) / 16) * 16;
    const vec = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => vec.writeUInt32LE(w >>> 0, i * 4));
    this.mem.poke(sp, vec);
    return sp;
  }

  /** Instructions of a translated block, decoded once. */
  decodeBlock(address: number, size: number): Instruction[] {
    const key = `${address}:${size}`;
    let insns = this.blockInsns.get(key);
    if (!insns) {
      const bytes = new Uint8Array(size);
      insns = this.uc.memReadInto(address, bytes) === 0 ? this.dis.disasm(bytes, address) : [];
      this.blockInsns.set(key, insns);
    }
    return insns;
  }

  /** Instructions really executed before the one at `eip` in the running block. */
  private executedBefore(eip: number): number {
    const b = this.hooks.block;
    const after = this.decodeBlock(b.address, b.size).filter((i) => i.address >= eip).length;
    return Number(this.hooks.instructions) - after;
  }

  /** Decodes the instruction at an address, for messages and traces. */
  instructionAt(address: number): Instruction | undefined {
    const bytes = this.mem.read(address, 15) ?? this.mem.read(address, PAGE_SIZE - (address % PAGE_SIZE));
    return bytes ? this.dis.disasm(bytes, address, 1)[0] : undefined;
  }

  /**
   * rdtsc reads the simulated cycle counter. Unicorn cannot hook the instruction itself,
   * so every 0F 31 in executable memory gets a code hook: the hook at the rdtsc marks it
   * as running (a hook fires only on an instruction boundary, so 0F 31 there is rdtsc),
   * and the hook on the next instruction overwrites edx:eax.
   */
  private hookRdtsc(file: Uint8Array): void {
    for (const s of this.image.segments) {
      if (!(s.flags & PF_X)) continue;
      const code = file.subarray(s.offset, s.offset + s.filesz);
      for (let i = code.indexOf(0x0f); i >= 0 && i + 1 < code.length; i = code.indexOf(0x0f, i + 1)) {
        if (code[i + 1] !== 0x31) continue;
        const at = s.vaddr + i;
        this.uc.hookCode(at, at, (_a, size) => { if (size === 2) this.pendingRdtsc = at + 2; });
        this.uc.hookCode(at + 2, at + 2, () => {
          if (this.pendingRdtsc !== at + 2) return;
          this.pendingRdtsc = -1;
          const tsc = this.kernel.rdtsc(this.executedBefore(at + 2));
          this.uc.regWrite(X86_REG.EAX, tsc % 2 ** 32);
          this.uc.regWrite(X86_REG.EDX, Math.floor(tsc / 2 ** 32));
        });
      }
    }
  }

  private userRegs(): UserRegs {
    const r = this.hooks.regs;
    return {
      eax: r[REG_INDEX.eax], ebx: r[REG_INDEX.ebx], ecx: r[REG_INDEX.ecx], edx: r[REG_INDEX.edx],
      esi: r[REG_INDEX.esi], edi: r[REG_INDEX.edi], ebp: r[REG_INDEX.ebp], esp: r[REG_INDEX.esp],
      eip: r[REG_INDEX.eip], eflags: r[REG_INDEX.eflags], cs: USER_CS, ds: USER_DS, es: USER_DS, ss: USER_DS,
    };
  }

  private onInterrupt(intno: number): void {
    if (intno === 0x80) {
      const result = this.kernel.crossing(this.userRegs(), Number(this.hooks.instructions));
      this.hooks.setResult(result);
      if (this.kernel.exited) this.uc.emuStop();
      return;
    }
    const eip = this.hooks.regs[REG_INDEX.eip];
    // Software interrupts leave eip after the instruction; faults leave it on it.
    const two = this.mem.read(eip - 2, 2), one = this.mem.read(eip - 1, 1);
    let at = eip;
    if (two && two[0] === 0xcd && two[1] === intno) at = eip - 2;
    else if (intno === 3 && one && one[0] === 0xcc) at = eip - 1;
    const [signal, why] =
      intno === 0 ? ['SIGFPE', 'divide error'] :
      intno === 1 || intno === 3 ? ['SIGTRAP', intno === 3 ? 'breakpoint (int3)' : 'debug trap'] :
      intno === 6 ? ['SIGILL', 'invalid opcode'] :
      intno === 14 ? ['SIGSEGV', 'page fault'] :
      intno === 13 ? ['SIGSEGV', 'general protection fault'] :
      ['SIGSEGV', `interrupt 0x${intno.toString(16)} is not a system call gate`];
    this.stopWithSignal(signal, at, why);
  }

  private onBadAccess(address: number): boolean {
    this.faultAddress = address;
    this.faultEip = this.uc.regRead(X86_REG.EIP); // exact here; after the stop it may be the block's start
    return false; // stop: Unicorn returns the matching error from uc_emu_start
  }

  private stopWithSignal(signal: string, eip: number, why: string, address?: number): void {
    const insn = this.instructionAt(eip);
    this.fault = { kind: 'signaled', signal, eip, address, why, instruction: insn ? formatInstruction(insn) : undefined };
    this.uc.emuStop();
  }

  run(): RunResult {
    let err: number;
    try {
      this.uc.regWrite(X86_REG.ESP, this.esp);
      err = this.uc.emuStart(this.entry, 0xffffffff);
    } finally {
      this.hooks.detach();
    }
    if (!this.kernel.exited && !this.fault && err !== UC_ERR.OK) this.classifyError(err);
    let outcome: Outcome;
    if (this.kernel.exited) outcome = { kind: 'exited', status: this.kernel.exitStatus! };
    else if (this.fault) outcome = this.fault;
    else if (this.hooks.limitHit) outcome = { kind: 'limit', instructions: Number(this.hooks.instructions) };
    else outcome = { kind: 'signaled', signal: 'SIGSEGV', eip: this.uc.regRead(X86_REG.EIP), why: 'the emulator stopped unexpectedly' };
    if (outcome.kind === 'signaled') this.hooks.instructions = BigInt(this.executedBefore(outcome.eip));
    this.kernel.syncUser(Number(this.hooks.instructions));
    const exitCode = outcome.kind === 'exited' ? outcome.status
      : outcome.kind === 'limit' ? 128 + SIGNALS.SIGXCPU : 128 + SIGNALS[outcome.signal];
    const blocks = this.hooks.distinctBlocks();
    this.kernel.fds.closeAll();
    this.uc.close();
    return { outcome, exitCode, kernel: this.kernel, blocks };
  }

  /**
   * Unicorn 2.0 leaves eip at the start of the block when a memory access faults (the
   * registers are current; only eip is stale). The faulting instruction is found by
   * running the block's instructions one at a time from the current state until one
   * faults at the same address. The guest is dead, so what the probes change is moot.
   */
  private locateMemoryFault(staleEip: number, address: number | undefined): number {
    const b = this.hooks.block;
    for (const insn of this.decodeBlock(b.address, b.size).filter((i) => i.address >= staleEip)) {
      this.faultAddress = undefined;
      const err = this.uc.emuStart(insn.address, 0xffffffff, 1);
      if (err !== UC_ERR.OK && this.faultAddress === address) return insn.address;
    }
    return staleEip;
  }

  private classifyError(err: number): void {
    const address = this.faultAddress;
    const stale = this.faultEip ?? this.uc.regRead(X86_REG.EIP);
    const fetch = err === UC_ERR.FETCH_UNMAPPED || err === UC_ERR.FETCH_PROT;
    const data = [UC_ERR.READ_UNMAPPED, UC_ERR.WRITE_UNMAPPED, UC_ERR.READ_PROT, UC_ERR.WRITE_PROT].includes(err as never);
    const eip = data ? this.locateMemoryFault(stale, address) : stale;
    switch (err) {
      case UC_ERR.READ_UNMAPPED: case UC_ERR.WRITE_UNMAPPED: case UC_ERR.FETCH_UNMAPPED:
        return this.stopWithSignal('SIGSEGV', fetch ? address ?? eip : eip,
          `${['read from', 'write to', 'fetch from'][err - UC_ERR.READ_UNMAPPED]} unmapped memory`, address);
      case UC_ERR.WRITE_PROT: case UC_ERR.READ_PROT: case UC_ERR.FETCH_PROT:
        return this.stopWithSignal('SIGSEGV', fetch ? address ?? eip : eip,
          `${{ [UC_ERR.WRITE_PROT]: 'write to', [UC_ERR.READ_PROT]: 'read from', [UC_ERR.FETCH_PROT]: 'execute' }[err]} protected memory`, address);
      case UC_ERR.INSN_INVALID:
        return this.stopWithSignal('SIGILL', eip, 'invalid instruction');
      default:
        return this.stopWithSignal('SIGSEGV', eip, `emulator error: ${errorText(err)}`);
    }
  }
}

/** Loads and runs a guest to its end. */
export async function runGuest(file: Uint8Array, name: string, o: RunOptions): Promise<RunResult> {
  const m = new Machine(file, name, await sharedDisassembler(), o);
  o.onLoad?.(m);
  return m.run();
}

export function describeOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'exited': return `exited with status ${o.status}`;
    case 'limit': return `stopped after ${o.instructions} instructions: the instruction limit was reached (raise it with --max-instructions)`;
    case 'signaled': {
      const addr = o.address !== undefined ? ` address 0x${o.address.toString(16)}` : '';
      const insn = o.instruction ? ` (${o.instruction})` : '';
      return `killed by ${o.signal}: ${o.why} at eip 0x${o.eip.toString(16)}${insn}${addr}`;
    }
  }
}
