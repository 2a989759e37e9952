// Runs one i386 guest: load the ELF, build the initial stack, attach the hooks, and run
// on Unicorn until the guest exits, faults, or passes its instruction limit. Every
// `int 0x80` goes to the kernel model; every other trap ends the guest as Linux would.
import { Kernel, type KernelOptions, type Tracer } from '../kernel-model/kernel.js';
import { LIMITS, LimitExceeded } from '../kernel-model/limits.js';
import { setKernelStepLimit } from '../kernel-model/sys/batch.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import { Disassembler, formatInstruction, type Instruction } from './disasm.js';
import { PAGE_SIZE, PF_X, type ElfImage } from './elf.js';
import { loadProgram, type LoadedProgram } from './loader.js';
import type { Descriptor, DescriptorTables } from '../kernel-model/sys/tls.js';
import { DEFAULT_MAX_MEMORY } from '../kernel-model/mm.js';
import { UnicornMemory } from './memory.js';
import { BoundaryHooks, REG_INDEX, STOP, STOP_PC } from './native.js';
import { UC_ERR, UC_HOOK, UC_PROT, Unicorn, X86_INS, X86_REG, errorText } from './unicorn.js';
import { vdsoImage } from './vdso.js';
import { entryPathOf } from '../kernel-model/vvar.js';
import { E } from '../kernel-model/errno.js';
import { runProcesses } from './procs.js';
import { fxrstor } from './fpu.js';
import { FPU_INIT } from '../kernel-model/sigframe.js';

export const DEFAULT_MAX_INSTRUCTIONS = LIMITS.instructions.default;

// Linux's user-mode selectors (i386): the emulated CPU runs flat, so the frame shows these.
export const USER_CS = 0x73, USER_DS = 0x7b;

export const SIGNALS: Record<string, number> = { SIGTRAP: 5, SIGILL: 4, SIGBUS: 7, SIGFPE: 8, SIGSEGV: 11, SIGXCPU: 24 };

/**
 * Instructions Linux does not let user code run, and the signal each raises before it
 * runs (as qemu-i386 reports them): privileged ones and `int n` through a gate that is
 * not user-callable are general protection faults (SIGSEGV); `syscall` is undefined on
 * i386 (SIGILL).
 */
export function trapOf(i: Instruction): [signal: string, why: string] | undefined {
  const m = i.mnemonic.replace(/^(rep|repe|repne|lock) /, '');
  if (m === 'int' && ![3, 4, 0x80].includes(Number(i.opStr))) {
    // Linux's only gates user code may call are 3 (int3), 4 (into) and 0x80.
    return ['SIGSEGV', `general protection fault: int ${i.opStr} is not a gate user code may call`];
  }
  if (m === 'syscall' || m === 'sysret') return ['SIGILL', `invalid opcode (${m} is not an i386 instruction)`];
  if (/^(in|out|insb|insw|insd|outsb|outsw|outsd|cli|sti|hlt|lgdt|lidt|lldt|ltr|lmsw|clts|invd|wbinvd|invlpg|rdmsr|wrmsr|sysenter|sysexit)$/.test(m) ||
    (m === 'mov' && /\b[cd]r\d\b/.test(i.opStr))) {
    return ['SIGSEGV', `general protection fault: ${m} is a privileged instruction`];
  }
  return undefined;
}

export interface RunOptions extends Omit<KernelOptions, 'memory' | 'brk'> {
  /** argv[0] first. */
  argv: string[];
  envp?: string[];
  maxInstructions?: number;
  /** Batch steps the whole run may dispatch (LIMITS.kernelSteps). */
  maxKernelSteps?: number;
  tracers?: Tracer[];
  /** Bytes of guest memory the run may map (--max-memory); past it, ENOMEM. */
  maxMemory?: number;
  /** Called with the machine once loaded, before the first instruction (steppers, tests). */
  onLoad?: (m: Machine) => void;
  /** Instructions a process runs before another may take the CPU, calls or no calls (--quantum). */
  quantum?: number;
  /** Attach to this kernel's running process instead of starting a kernel (fork, execve: emulator/procs.ts). */
  kernel?: Kernel;
  /**
   * Map a vDSO (AT_SYSINFO, AT_SYSINFO_EHDR), whose __kernel_vsyscall enters by the
   * profile's entry path (--vdso). Default: on under the modern personality, off under the paper's.
   */
  vdso?: boolean;
}

/** What stopped a debugger's slice of the guest. */
export type DebugEvent =
  | { kind: 'step' }
  | { kind: 'breakpoint' }
  | { kind: 'watch'; type: 'watch' | 'rwatch' | 'awatch'; address: number }
  | { kind: 'syscall_entry' | 'syscall_return'; nr: number };

interface Settled { err: number; limited: boolean; counted: boolean }

export type Outcome =
  | { kind: 'exited'; status: number }
  | { kind: 'signaled'; signal: string; eip: number; address?: number; instruction?: string; why: string }
  | { kind: 'limit'; instructions: number; limit?: string };

export interface RunResult {
  outcome: Outcome;
  /** The process exit code a shell would see: the status, or 128 + signal. */
  exitCode: number;
  kernel: Kernel;
  /** Distinct translated blocks (from the block cache). */
  blocks: number;
}

let disassembler: Promise<Disassembler> | undefined;

/** The instructions around a trap: the trap itself marked. */
export interface TrapSite { at: number; disasm: { address: number; text: string; trap: boolean }[] }

/** The engine whose process made the crossing a kernel is running (a run has one engine a process). */
const trapping = new WeakMap<Kernel, Machine>();

/** Where the crossing a kernel is running came from, when an engine made it. */
export const trapSite = (k: Kernel): TrapSite | undefined => trapping.get(k)?.trapContext();
export const sharedDisassembler = () => (disassembler ??= Disassembler.create());

/** A loaded guest, ready to run. */
export class Machine {
  readonly uc = new Unicorn();
  /** The options the machine was made with (a forked or exec'd process's machine takes them over). */
  readonly options: RunOptions;
  /** Whether the guest has started (a slice resumes at eip, the first starts at the entry point). */
  started = false;
  readonly mem: UnicornMemory;
  readonly kernel: Kernel;
  readonly image: ElfImage;
  readonly program: LoadedProgram;
  readonly hooks: BoundaryHooks;
  /** This CPU's GDT and LDT, as the kernel model writes them. */
  readonly descriptors: UnicornDescriptors;
  private readonly blockInsns = new Map<string, Instruction[]>();
  private fault: Extract<Outcome, { kind: 'signaled' }> | undefined;
  private faultAddress: number | undefined;
  private faultEip: number | undefined;
  private readonly rdtscSites = new Set<number>();
  private released = false;
  /** An error thrown inside a callback from the engine: the guest is stopped, and run() rethrows it. */
  private callbackError: unknown;
  readonly entry: number;
  readonly esp: number;
  /** The helper's stop for a run of one process: --max-instructions. */
  private readonly instructionLimit: bigint;
  /** The running slice (runSlice): where it began, the run's instructions left then, and its budget once set. */
  private slice: { start: number; runLeft: number; budget: number | undefined } | undefined;

  constructor(readonly file: Uint8Array, readonly name: string, readonly dis: Disassembler, o: RunOptions) {
    this.options = o;
    this.mem = new UnicornMemory(this.uc, o.maxMemory ?? DEFAULT_MAX_MEMORY);
    this.descriptors = new UnicornDescriptors(this.uc);
    // The kernel exists before the program is loaded: AT_RANDOM is its generator's first draw.
    this.kernel = o.kernel ?? new Kernel({ ...o, memory: this.mem, brk: 0, descriptors: this.descriptors });
    try {
      const hwcap = cpuidFeatures(this.uc);
      const vdso = (o.vdso ?? this.kernel.personality.name === 'modern') ? vdsoImage(entryPathOf(this.kernel.profile)) : undefined;
      this.program = loadProgram(this.mem, file, name, { argv: o.argv, envp: o.envp ?? [], fs: o.fs, random: this.kernel.random, hwcap, vdso });
      const v = this.program.vdso;
      if (v) {
        this.kernel.attachVdso(this.mem, v.vvar, {
          sigreturn: v.base + v.image.symbols.get('__kernel_sigreturn')!, rtSigreturn: v.base + v.image.symbols.get('__kernel_rt_sigreturn')!,
        });
      }
      setUpDescriptorTables(this.uc);
    } catch (err) {
      this.uc.close();
      throw err;
    }
    this.image = this.program.image;
    this.entry = this.program.entry;
    this.esp = this.program.esp;
    if (!o.kernel) {
      this.kernel.brkStart = this.kernel.brk = this.program.brk;
      for (const t of o.tracers ?? []) this.kernel.tracers.push(t);
      setKernelStepLimit(this.kernel, o.maxKernelSteps ?? LIMITS.kernelSteps.default);
    }
    this.instructionLimit = BigInt(o.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS);
    try {
      this.hooks = new BoundaryHooks(this.uc, (a, s) => this.guard(() => this.decodeForHelper(a, s), { insns: 1 }),
        (n) => this.guard(() => this.onInterrupt(n), undefined), this.instructionLimit);
    } catch (err) {
      this.uc.close();
      throw err;
    }
    try {
      this.uc.hookMemInvalid((_type, address) => this.onBadAccess(Number(address)));
      this.hookRdtsc(file);
      if (this.program.vdso) this.uc.hookInsn(X86_INS.SYSENTER, () => this.guard(() => this.onSysenter(), undefined));
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /**
   * Runs a callback from the engine: an error must not unwind through Unicorn's frames,
   * so it is kept, the guest is stopped, and run() rethrows it once the engine returns.
   */
  private guard<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (err) {
      this.callbackError ??= err;
      this.uc.emuStop();
      return fallback;
    }
  }

  /** What the helper needs of a new block: its instruction count and the first that traps. */
  private decodeForHelper(address: number, size: number): { insns: number; trap?: number } {
    const insns = this.decodeBlock(address, size);
    const trap = insns.findIndex((i) => trapOf(i) !== undefined && !(this.program.vdso && i.mnemonic === 'sysenter'));
    return { insns: insns.length, trap: trap < 0 ? undefined : trap };
  }

  /** Instructions of a translated block, decoded once. */
  decodeBlock(address: number, size: number): Instruction[] {
    const key = `${address}:${size}`;
    let insns = this.blockInsns.get(key);
    if (!insns) {
      const bytes = new Uint8Array(size);
      insns = this.uc.memReadInto(address, bytes) === 0 ? this.dis.disasm(bytes, address) : [];
      this.blockInsns.set(key, insns);
      for (const i of insns) {
        if (i.mnemonic === 'rdtsc' && !this.rdtscSites.has(i.address)) {
          this.rdtscSites.add(i.address);
          this.kernel.warn(`syscluster: rdtsc at 0x${i.address.toString(16)} was not found before the run (code written at run time?): it reads the host's counter`);
        }
      }
    }
    return insns;
  }

  /** Instructions really executed before the one at `eip` in the running block. */
  private executedBefore(eip: number): number {
    const b = this.hooks.block;
    const after = this.decodeBlock(b.address, b.size).filter((i) => i.address >= eip).length;
    return this.hooks.instructions - after;
  }

  /** The last trap's address and where it returns to (past an int 0x80; the vDSO's landing pad for a sysenter). */
  private trap = { at: 0, returnTo: 0 };

  private noteTrap(at: number, returnTo: number): void {
    this.trap = { at: at >>> 0, returnTo: returnTo >>> 0 };
    trapping.set(this.kernel, this);
  }

  /**
   * The instructions around the last trap: up to `before` from its block, the trap
   * itself (int 0x80 or sysenter), and `after` from where it returns to.
   */
  trapContext(before = 4, after = 2): TrapSite {
    const { at, returnTo } = this.trap;
    const b = this.hooks.block;
    const inBlock = this.decodeBlock(b.address, b.size).filter((i) => i.address <= at).slice(-(before + 1));
    const next: Instruction[] = [];
    for (let a = returnTo; next.length < after;) {
      const i = this.instructionAt(a);
      if (!i) break;
      next.push(i);
      a += i.size;
    }
    return { at, disasm: [...inBlock, ...next].map((i) => ({ address: i.address, text: formatInstruction(i), trap: i.address === at })) };
  }

  /** Decodes the instruction at an address, for messages and traces. */
  instructionAt(address: number): Instruction | undefined {
    const bytes = this.mem.read(address, 15) ?? this.mem.read(address, PAGE_SIZE - (address % PAGE_SIZE));
    return bytes ? this.dis.disasm(bytes, address, 1)[0] : undefined;
  }

  /**
   * rdtsc reads the simulated cycle counter. Unicorn 2.0 cannot hook the instruction
   * itself, so the rdtsc sites found by a linear sweep of the executable segments go to
   * the native helper, which watches them with a few code hooks in C (code hooks exist
   * only around rdtsc: any code hook slows Unicorn down) and calls back here once per
   * executed rdtsc, after it, to overwrite edx:eax.
   */
  private hookRdtsc(file: Uint8Array): void {
    const images = [{ image: this.image, bytes: file, bias: this.program.bias }];
    if (this.program.interp) images.push({ image: this.program.interp.image, bytes: this.program.interp.bytes, bias: this.program.interp.base });
    for (const { image, bytes, bias } of images) for (const s of image.segments) {
      if (!(s.flags & PF_X)) continue;
      for (const at of findRdtsc(this.dis, bytes.subarray(s.offset, s.offset + s.filesz), s.vaddr + bias)) this.rdtscSites.add(at);
    }
    const v = this.program.vdso;
    if (v) { // the vDSO's code starts at its first function
      const text = Math.min(...v.image.symbols.values());
      for (const at of findRdtsc(this.dis, v.image.bytes.subarray(text), v.base + text)) this.rdtscSites.add(at);
    }
    this.hooks.hookRdtsc([...this.rdtscSites], (after) => this.guard(() => this.kernel.rdtsc(this.executedBefore(after)), 0));
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
      const nr = this.hooks.regs[REG_INDEX.eax];
      if (this.catchCrossing?.(nr)) { // a debugger stops here; the crossing runs when it resumes
        this.pendingCrossing = nr;
        this.uc.emuStop();
        return;
      }
      this.noteTrap(this.hooks.regs[REG_INDEX.eip] - 2, this.hooks.regs[REG_INDEX.eip]);
      const result = this.kernel.crossing(this.userRegs(), this.hooks.instructions, this.program.vdso ? 'int80' : undefined);
      this.hooks.setResult(result);
      this.applyBudget();
      if (this.kernel.exited || this.kernel.reschedule) this.uc.emuStop();
      return;
    }
    const eip = this.hooks.regs[REG_INDEX.eip];
    // A software interrupt is the last instruction of its block and leaves eip after
    // itself; an exception leaves eip on the instruction that raised it.
    const b = this.hooks.block;
    const insns = this.decodeBlock(b.address, b.size);
    const last = insns[insns.length - 1];
    if (last && last.address + last.size === eip && /^(int|int1|int3|into)$/.test(last.mnemonic)) {
      // Linux's user-callable gates are 3 (int3, SIGTRAP), 4 (into) and 0x80; int1 is a
      // debug trap. Any other `int n` is a general protection fault: SIGSEGV (as qemu-i386).
      const [signal, why] =
        intno === 3 ? ['SIGTRAP', 'breakpoint (int3)'] :
        last.mnemonic === 'int1' ? ['SIGTRAP', 'debug trap (int1)'] :
        last.mnemonic === 'into' ? ['SIGSEGV', 'overflow (into)'] :
        ['SIGSEGV', `general protection fault: int 0x${intno.toString(16)} is not a gate user code may call`];
      return this.stopWithSignal(signal, last.address, why);
    }
    const [signal, why] =
      intno === 0 ? ['SIGFPE', 'divide error'] :
      intno === 1 ? ['SIGTRAP', 'debug trap'] :
      intno === 6 ? ['SIGILL', 'invalid opcode'] :
      intno === 16 || intno === 19 ? ['SIGFPE', 'floating-point exception'] :
      intno === 11 || intno === 12 || intno === 17 ? ['SIGBUS', intno === 17 ? 'alignment check' : 'segment fault'] :
      intno === 14 ? ['SIGSEGV', 'page fault'] :
      intno === 13 ? ['SIGSEGV', 'general protection fault'] :
      ['SIGSEGV', `exception ${intno}`];
    this.stopWithSignal(signal, eip, why);
  }

  /**
   * sysenter, as Linux takes it (do_fast_syscall_32): the call in eax, ebx, ecx, edx, esi
   * and edi, the user's stack in ebp and the sixth argument (the caller's ebp, pushed by
   * __kernel_vsyscall) at [ebp]; the return is to the vDSO's landing pad with esp = that
   * stack and ebp restored, as sysexit leaves them. An unreadable [ebp] is -EFAULT.
   */
  private onSysenter(): void {
    const v = this.program.vdso!;
    const r = (reg: number) => this.uc.regRead(reg);
    const stack = r(X86_REG.EBP);
    const saved = this.mem.read(stack, 4);
    let result: number, ebp = stack;
    if (!saved) {
      result = -E.EFAULT;
    } else {
      ebp = new DataView(saved.buffer, saved.byteOffset, 4).getUint32(0, true);
      const user: UserRegs = {
        eax: r(X86_REG.EAX), ebx: r(X86_REG.EBX), ecx: r(X86_REG.ECX), edx: r(X86_REG.EDX), esi: r(X86_REG.ESI), edi: r(X86_REG.EDI),
        ebp, esp: stack, eip: v.landingPad, eflags: r(X86_REG.EFLAGS), cs: USER_CS, ds: USER_DS, es: USER_DS, ss: USER_DS,
      };
      // The trap frame others read (fork copies it to the child): as the return will leave the registers.
      for (const name of ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags'] as const) this.hooks.regs[REG_INDEX[name]] = user[name];
      const b = this.hooks.block, last = this.decodeBlock(b.address, b.size).at(-1);
      this.noteTrap(last?.mnemonic === 'sysenter' ? last.address : v.landingPad - 2, v.landingPad);
      result = this.kernel.crossing(user, this.hooks.instructions, 'sysenter');
    }
    this.uc.regWrite(X86_REG.EAX, result >>> 0);
    this.uc.regWrite(X86_REG.EBP, ebp);
    this.uc.regWrite(X86_REG.ESP, stack);
    // A stop asked for here is not seen before the next block runs: when the kernel stops the
    // process, it goes to the run's end address instead, and settle() puts it at the landing pad.
    const stop = this.kernel.exited || this.kernel.reschedule;
    if (stop) this.sysenterResume = v.landingPad;
    this.uc.regWrite(X86_REG.EIP, ((stop ? STOP_PC : v.landingPad) - sysenterEipAdjust()) >>> 0);
    if (stop) this.uc.emuStop();
  }

  /** Where a process stopped by its sysenter goes on (the vDSO's landing pad), until settle() puts it there. */
  private sysenterResume: number | undefined;

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

  /** Runs the guest and every process it starts to the end (emulator/procs.ts schedules them and releases every machine). */
  run(): RunResult {
    return runProcesses(this);
  }

  /**
   * Frees every native resource of this machine; safe to call twice. The guest's files
   * belong to its process, which closes them when it ends (kernel-model/sched.ts).
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      // A run of one process (a debugger's) closes its files here; the process loop closes each process's as it ends.
      if (this.kernel && !this.kernel.multiprocess) this.kernel.init.fds.closeAll();
    } finally {
      try {
        this.hooks?.release();
      } finally {
        this.uc.close();
      }
    }
  }

  /** release(), under the name the process loop uses. */
  close(): void {
    this.release();
  }

  /**
   * Runs this process until the kernel asks for a switch (a block, an exit, an exec, a
   * signal, the quantum) or the guest faults or passes a limit; returns the fault or the
   * limit, or undefined when the kernel stopped it.
   */
  runSlice(): Outcome | undefined {
    this.fault = undefined;
    this.faultAddress = this.faultEip = undefined;
    let begin: number;
    if (!this.started) {
      this.started = true;
      this.uc.regWrite(X86_REG.ESP, this.esp);
      begin = this.entry;
    } else {
      begin = this.uc.regRead(X86_REG.EIP);
    }
    const k = this.kernel;
    this.slice = { start: this.hooks.instructions, runLeft: Math.max(0, (this.options.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS) - k.ledger.instructions), budget: undefined };
    this.hooks.clearStop();
    this.applyBudget();
    let settled: Settled;
    try {
      settled = this.settle(this.preemptible(this.uc.emuStart(begin, STOP_PC)));
    } finally {
      this.hooks.limit = this.instructionLimit;
      this.slice = undefined;
    }
    const { err, counted } = settled;
    const { limited, limitName } = this.limitOf(settled.limited);
    if (!limited && !this.kernel.exited && !this.kernel.reschedule && !this.fault && err !== UC_ERR.OK) {
      // Without a handler the process dies here: the probes that find the faulting
      // instruction run unhooked, as they must to be exact. With one it lives on, hooked.
      const acts = this.kernel.proc.task.actions;
      if (acts[SIGNALS.SIGSEGV].handler <= 1 && acts[SIGNALS.SIGBUS].handler <= 1) this.hooks.detach();
      this.classifyError(err);
    }
    const fault = this.fault as Extract<Outcome, { kind: 'signaled' }> | undefined;
    if (fault) {
      if (!counted) this.hooks.instructions = this.executedBefore(fault.eip);
      return fault;
    }
    if (limited) return limitOutcome(this.kernel.ledger.instructions, limitName);
    if (this.kernel.exited || this.kernel.reschedule) return undefined;
    if (this.uc.regRead(X86_REG.EIP) === STOP_PC) return { kind: 'signaled', signal: 'SIGSEGV', eip: STOP_PC, address: STOP_PC, why: 'fetch from unmapped memory' };
    return { kind: 'signaled', signal: 'SIGSEGV', eip: this.uc.regRead(X86_REG.EIP), why: 'the emulator stopped unexpectedly' };
  }

  /**
   * With more than one process, a slice ends after the quantum, or what is left of the
   * run's instruction limit if that comes first: the helper stops the guest at that exact
   * count, deterministically. Applied when the slice begins, or at the crossing that made
   * the run multi-process (the first fork).
   */
  private applyBudget(): void {
    const s = this.slice;
    if (!s || s.budget !== undefined || !this.kernel.multiprocess) return;
    s.budget = Math.min(this.kernel.quantum, s.runLeft);
    this.hooks.limit = BigInt(s.start + s.budget);
  }

  /**
   * A stop at the quantum ends the slice in front of the block that would pass it (no
   * partial block: running one exactly takes uc_emu_start's count, which costs Unicorn a
   * retranslation of everything it has translated). If the slice has run nothing yet, that
   * block runs whole first, so every slice makes progress. The run's own limit, when it
   * comes first, is left to settle(), which stops at it exactly.
   */
  private preemptible(err: number): number {
    const s = this.slice!;
    const k = this.kernel;
    while (s.budget !== undefined && s.budget < s.runLeft && err === UC_ERR.OK && this.hooks.stop.why === STOP.LIMIT
      && !k.exited && !k.reschedule && !this.fault && this.callbackError === undefined) {
      const pc = this.hooks.stop.pc;
      this.uc.regWrite(X86_REG.EIP, pc);
      this.hooks.clearStop();
      if (this.hooks.instructions > s.start) {
        k.preempt = k.reschedule = true;
        break;
      }
      s.budget = Math.min(s.runLeft, this.hooks.block.insns);
      this.hooks.limit = BigInt(s.start + s.budget);
      err = this.uc.emuStart(pc, STOP_PC);
    }
    return err;
  }

  /**
   * After uc_emu_start returns. The helper may have stopped the guest in front of a block
   * that passes the instruction limit or holds an instruction that traps: run exactly the
   * instructions before that point, then end the guest there.
   */
  private settle(err: number): Settled {
    if (this.sysenterResume !== undefined) {
      this.uc.regWrite(X86_REG.EIP, this.sysenterResume);
      this.sysenterResume = undefined;
    }
    let limited = false;
    let counted = false; // the instruction count is already exact
    const stop = this.hooks.stop;
    if (err === UC_ERR.OK && !this.kernel.exited && !this.fault && this.callbackError === undefined && stop.why !== STOP.NONE) {
      const before = this.hooks.instructions; // the stopped block is not counted yet
      const stopped = this.hooks.block;
      this.uc.regWrite(X86_REG.EIP, stop.pc); // the helper left it at STOP_PC
      if (stop.blockLeft > 0) {
        this.hooks.partial = true;
        // uc_emu_start counts instructions only in blocks translated for that run.
        this.hooks.forgetCode(stop.pc, Math.max(stop.pc + 1, stopped.address + stopped.size));
        err = this.uc.emuStart(stop.pc, STOP_PC, stop.blockLeft);
        this.hooks.partial = false;
      }
      if (err === UC_ERR.OK && !this.kernel.exited && !this.fault && this.callbackError === undefined) {
        this.hooks.instructions = before + stop.blockLeft;
        if (stop.why === STOP.LIMIT) {
          limited = true;
        } else {
          const at = this.decodeBlock(stopped.address, stopped.size).find((i) => trapOf(i) !== undefined);
          if (at) {
            const [signal, why] = trapOf(at)!;
            this.stopWithSignal(signal, at.address, why);
            counted = true;
          }
        }
      }
    }
    return { err, limited, counted };
  }

  /**
   * After a run (a slice, or a debugger's): a helper that ran out of memory or an error
   * thrown in a callback ends the run here, and a kernel limit a callback passed
   * (LimitExceeded) counts as a limit, named, beside the instruction limit the helper hit.
   */
  private limitOf(hit: boolean): { limited: boolean; limitName?: string } {
    if (this.hooks.failed) throw new Error('the native helper ran out of memory');
    if (this.callbackError instanceof LimitExceeded) return { limited: true, limitName: this.callbackError.limit.name };
    if (this.callbackError !== undefined) throw this.callbackError;
    return { limited: hit };
  }

  /** The guest has ended: its outcome, exit code and ledger. */
  private finish(settled: Settled): RunResult {
    const { err, counted } = settled;
    const { limited, limitName } = this.limitOf(settled.limited);
    if (!limited && !this.kernel.exited && !this.fault && err !== UC_ERR.OK) this.classifyError(err);
    let outcome: Outcome;
    if (this.kernel.exited) outcome = { kind: 'exited', status: this.kernel.exitStatus! };
    else if (this.fault) outcome = this.fault;
    else if (limited) outcome = limitOutcome(this.hooks.instructions, limitName);
    else if (this.uc.regRead(X86_REG.EIP) === STOP_PC) outcome = { kind: 'signaled', signal: 'SIGSEGV', eip: STOP_PC, address: STOP_PC, why: 'fetch from unmapped memory' };
    else outcome = { kind: 'signaled', signal: 'SIGSEGV', eip: this.uc.regRead(X86_REG.EIP), why: 'the emulator stopped unexpectedly' };
    if (outcome.kind === 'signaled' && !counted) this.hooks.instructions = this.executedBefore(outcome.eip);
    this.kernel.syncUser(this.hooks.instructions);
    const exitCode = outcome.kind === 'exited' ? outcome.status
      : outcome.kind === 'limit' ? 128 + SIGNALS.SIGXCPU : 128 + SIGNALS[outcome.signal];
    const blocks = this.hooks.distinctBlocks();
    return { outcome, exitCode, kernel: this.kernel, blocks };
  }

  // ------------------------------------------------------------------ a debugger's control
  // gdb/target.ts runs the guest in slices: a time budget, one instruction, or up to a
  // breakpoint, a watched access or a caught crossing. Between slices the guest's state is
  // exact (eip, registers, memory, the instruction count and the ledger).

  /** Stops in front of each int 0x80 whose number this accepts, the crossing left pending (gdb's catch syscall). */
  catchCrossing?: (nr: number) => boolean;
  /** Set while a caught crossing waits: the call number. */
  pendingCrossing: number | undefined;
  private debugStarted = false;
  private debugEvent: DebugEvent | undefined;
  private readonly breakpointHooks = new Map<number, number>();
  private readonly watchHooks = new Map<string, number>();
  private skipBreakAt = -1;

  /** Puts the CPU at the first instruction, so a debugger sees the guest as it will start. */
  debugBegin(): void {
    if (this.debugStarted) return;
    this.debugStarted = true;
    this.uc.regWrite(X86_REG.ESP, this.esp);
    this.uc.regWrite(X86_REG.EIP, this.entry);
  }

  /** Runs one slice; `ended` once the guest has exited, faulted or hit a limit (it is released then). */
  debugSlice(o: { step: boolean; timeoutMicros: number }): { ended?: RunResult; event?: DebugEvent } {
    if (this.released) throw new Error('the guest has ended');
    if (this.pendingCrossing !== undefined) {
      const nr = this.pendingCrossing;
      this.completeCrossing();
      if (this.kernel.exited) return { ended: this.endDebugging({ err: UC_ERR.OK, limited: false, counted: false }) };
      if (this.catchCrossing?.(nr)) return { event: { kind: 'syscall_return', nr } };
      if (o.step) return { event: { kind: 'step' } };
    }
    this.debugBegin();
    const begin = this.uc.regRead(X86_REG.EIP);
    this.debugEvent = undefined;
    this.skipBreakAt = begin; // resuming from a breakpoint runs its instruction
    // A step, or any slice while a watchpoint is set, runs one instruction: uc_emu_start
    // counts only in blocks translated for that run, so the block at eip is dropped first.
    const one = o.step || this.watchHooks.size > 0;
    if (one) this.hooks.forgetCode(begin, begin + 16);
    const state = this.settle(this.uc.emuStartFor(begin, STOP_PC, one ? 0 : o.timeoutMicros, one ? 1 : 0));
    const eip = this.uc.regRead(X86_REG.EIP);
    if (this.kernel.exited || this.fault || state.limited || this.callbackError !== undefined || state.err !== UC_ERR.OK
      || eip === STOP_PC || this.hooks.stop.why !== STOP.NONE) {
      return { ended: this.endDebugging(state) };
    }
    // Stopped inside a block (a step, a breakpoint): count only what ran.
    if (this.pendingCrossing === undefined) this.hooks.instructions = this.executedBefore(eip);
    this.kernel.syncUser(this.hooks.instructions);
    if (this.debugEvent) return { event: this.debugEvent };
    if (this.pendingCrossing !== undefined) return { event: { kind: 'syscall_entry', nr: this.pendingCrossing } };
    return { event: o.step ? { kind: 'step' } : undefined };
  }

  private endDebugging(state: Settled): RunResult {
    try {
      this.hooks.detach();
      return this.finish(state);
    } finally {
      this.release();
    }
  }

  /** The crossing a caught int 0x80 left pending: the kernel runs it now. */
  private completeCrossing(): void {
    this.pendingCrossing = undefined;
    const r = (reg: number) => this.uc.regRead(reg);
    const user: UserRegs = {
      eax: r(X86_REG.EAX), ebx: r(X86_REG.EBX), ecx: r(X86_REG.ECX), edx: r(X86_REG.EDX), esi: r(X86_REG.ESI), edi: r(X86_REG.EDI),
      ebp: r(X86_REG.EBP), esp: r(X86_REG.ESP), eip: r(X86_REG.EIP), eflags: r(X86_REG.EFLAGS), cs: USER_CS, ds: USER_DS, es: USER_DS, ss: USER_DS,
    };
    try {
      this.noteTrap(user.eip - 2, user.eip);
      this.uc.regWrite(X86_REG.EAX, this.kernel.crossing(user, this.hooks.instructions, this.program.vdso ? 'int80' : undefined));
    } catch (err) {
      this.callbackError ??= err;
    }
  }

  /** Ends a guest a debugger killed; returns nothing, frees everything. */
  debugKill(): void {
    this.release();
  }

  setBreakpoint(address: number, on: boolean): void {
    const hh = this.breakpointHooks.get(address);
    if (on && hh === undefined) {
      this.breakpointHooks.set(address, this.uc.hookCode(address, address, () => {
        if (address === this.skipBreakAt) { this.skipBreakAt = -1; return; }
        this.debugEvent ??= { kind: 'breakpoint' };
        this.uc.emuStop();
      }));
    } else if (!on && hh !== undefined) {
      this.uc.unhook(hh);
      this.breakpointHooks.delete(address);
    } else {
      return;
    }
    this.hooks.forgetCode(address, address + 1); // translations made before the hook do not call it
  }

  setWatchpoint(kind: 'watch' | 'rwatch' | 'awatch', address: number, length: number, on: boolean): void {
    const key = `${kind}:${address}:${length}`;
    const hh = this.watchHooks.get(key);
    if (on && hh === undefined) {
      const type = kind === 'watch' ? UC_HOOK.MEM_WRITE : kind === 'rwatch' ? UC_HOOK.MEM_READ : UC_HOOK.MEM_READ | UC_HOOK.MEM_WRITE;
      this.watchHooks.set(key, this.uc.hookMemAccess(type, address, address + length - 1, (t, at) => {
        this.debugEvent ??= { kind: 'watch', type: kind, address: Number(at) };
        void t;
      }));
    } else if (!on && hh !== undefined) {
      this.uc.unhook(hh);
      this.watchHooks.delete(key);
    }
  }

  /** Drops translations of [begin, end): code a debugger wrote must not run stale. */
  forgetCode(begin: number, end: number): void {
    this.hooks.forgetCode(begin, end);
  }

  /** The guest's registers as the CPU has them now (a debugger's view). */
  readRegister(reg: number): number {
    return this.uc.regRead(reg);
  }

  writeRegister(reg: number, value: number): void {
    this.uc.regWrite(reg, value);
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

// The descriptor tables live in the kernel half of the address space, outside every
// area the kernel model hands out: the guest reaches them only through selectors.
const GDT_BASE = 0xfffff000, GDT_ENTRIES = 32;
const LDT_BASE = 0xfffe0000, LDT_BYTES = 8192 * 8;
/** Linux's i386 GDT: user code at entry 14 (selector 0x73), user data at 15 (0x7b). */
const GDT_USER_CS = 14, GDT_USER_DS = 15;
/** The stack segment the engine runs with (its CPU is at ring 0): Linux's kernel data entry, 13. */
const GDT_RING0_DS = 13;
const FLAT_DATA_RING0: Descriptor = [0x0000ffff, 0x00cf9300];
const FLAT_CODE: Descriptor = [0x0000ffff, 0x00cffb00]; // base 0, 4 GiB, DPL 3, 32-bit, execute/read
const FLAT_DATA: Descriptor = [0x0000ffff, 0x00cff300]; // base 0, 4 GiB, DPL 3, 32-bit, read/write

function descriptorBytes([low, high]: Descriptor): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, low, true);
  new DataView(b.buffer).setUint32(4, high, true);
  return b;
}

/**
 * A GDT with Linux's flat user segments, loaded through GDTR; DS and ES take the user
 * data selector. The CPU runs at ring 0 inside the engine, where SS must be a ring-0
 * segment: it takes a flat 32-bit one (left as Unicorn starts it, any segment load
 * would make the stack 16-bit). CS keeps Unicorn's flat start-up segment.
 */
function setUpDescriptorTables(uc: Unicorn): void {
  uc.memMap(GDT_BASE, PAGE_SIZE, UC_PROT.READ | UC_PROT.WRITE);
  uc.memWrite(GDT_BASE + GDT_USER_CS * 8, descriptorBytes(FLAT_CODE));
  uc.memWrite(GDT_BASE + GDT_USER_DS * 8, descriptorBytes(FLAT_DATA));
  uc.memWrite(GDT_BASE + GDT_RING0_DS * 8, descriptorBytes(FLAT_DATA_RING0));
  uc.regWriteMmr(X86_REG.GDTR, { base: GDT_BASE, limit: GDT_ENTRIES * 8 - 1 });
  uc.regWrite(X86_REG.SS, GDT_RING0_DS * 8);
  uc.regWrite(X86_REG.DS, GDT_USER_DS * 8 + 3);
  uc.regWrite(X86_REG.ES, GDT_USER_DS * 8 + 3);
}

/** The kernel model's port to the descriptor tables: entries written, segment registers reloaded. */
class UnicornDescriptors implements DescriptorTables {
  private ldtMapped = false;
  constructor(private readonly uc: Unicorn) {}

  setGdtEntry(index: number, d: Descriptor): void {
    this.uc.memWrite(GDT_BASE + index * 8, descriptorBytes(d));
    this.reload(index * 8);
  }

  setLdtEntry(index: number, d: Descriptor): void {
    if (!this.ldtMapped) {
      this.uc.memMap(LDT_BASE, LDT_BYTES, UC_PROT.READ | UC_PROT.WRITE);
      this.uc.regWriteMmr(X86_REG.LDTR, { selector: 0, base: LDT_BASE, limit: LDT_BYTES - 1, flags: 0x8200 }); // present, type LDT
      this.ldtMapped = true;
    }
    this.uc.memWrite(LDT_BASE + index * 8, descriptorBytes(d));
    this.reload(index * 8 + 4);
  }

  /** Linux reloads DS, ES, FS and GS when they hold the changed entry (a cleared one becomes the null selector). */
  private reload(selectorBase: number): void {
    for (const reg of [X86_REG.DS, X86_REG.ES, X86_REG.FS, X86_REG.GS]) {
      const sel = this.uc.regRead(reg);
      if ((sel & ~3) !== selectorBase) continue;
      try {
        this.uc.regWrite(reg, sel);
      } catch {
        this.uc.regWrite(reg, 0);
      }
    }
  }
}

let eipAdjust: number | undefined;

/**
 * What Unicorn adds to eip after a sysenter hook returns (2.0.1 adds the instruction's
 * length to the eip the hook wrote), found once on a throwaway engine: a hook that wants
 * the guest to go on at X writes X less this.
 */
function sysenterEipAdjust(): number {
  if (eipAdjust === undefined) {
    const probe = new Unicorn();
    try {
      const at = 0xffffd000, target = at + 0x100;
      probe.memMap(at, PAGE_SIZE, UC_PROT.READ | UC_PROT.EXEC);
      const code = new Uint8Array(0x102).fill(0x90);
      code.set([0x0f, 0x34], 0); // sysenter
      code.set([0xf4], 0x100); // hlt
      probe.memWrite(at, code);
      probe.hookInsn(X86_INS.SYSENTER, () => probe.regWrite(X86_REG.EIP, target));
      probe.emuStart(at, 0, 1);
      eipAdjust = (probe.regRead(X86_REG.EIP) - target) | 0;
    } finally {
      probe.close();
    }
  }
  return eipAdjust;
}

let cpuidEdx: number | undefined;

/**
 * CPUID leaf 1's edx (the feature bits AT_HWCAP carries), asked once of an emulated CPU
 * of its own. Unicorn 2.0.1 makes the host back its whole 1 GiB translation buffer once
 * an engine runs code after unmapping a page it ran code from: the probe runs on a
 * throwaway engine, so that no guest's engine (one per process) ever does.
 */
function cpuidFeatures(uc: Unicorn): number {
  if (cpuidEdx === undefined) {
    const probe = new Unicorn();
    try {
      const at = 0xffffd000;
      probe.memMap(at, PAGE_SIZE, UC_PROT.READ | UC_PROT.EXEC);
      probe.memWrite(at, Uint8Array.of(0x0f, 0xa2)); // cpuid
      probe.regWrite(X86_REG.EAX, 1);
      cpuidEdx = probe.emuStart(at, at + 2, 1) === UC_ERR.OK ? probe.regRead(X86_REG.EDX) : 0;
    } finally {
      probe.close();
    }
  }
  // ELF_PLAT_INIT: a program starts with its general registers zero (edx is the
  // rtld_fini a C library's _start registers with atexit when non-zero).
  for (const r of [X86_REG.EAX, X86_REG.EBX, X86_REG.ECX, X86_REG.EDX, X86_REG.ESI, X86_REG.EDI, X86_REG.EBP]) uc.regWrite(r, 0);
  // The FPU as Linux gives it to a new program (fpstate_init: FNINIT's control word, the
  // default MXCSR). Unicorn starts with both 0, which its arithmetic does not follow
  // until they are written (a signal frame's restore would then switch the x87 to single precision).
  fxrstor(uc, FPU_INIT);
  return cpuidEdx;
}

/** Loads and runs a guest to its end. */
export async function runGuest(file: Uint8Array, name: string, o: RunOptions): Promise<RunResult> {
  const m = new Machine(file, name, await sharedDisassembler(), o);
  o.onLoad?.(m);
  return m.run();
}

function limitOutcome(instructions: number, limit: string | undefined): Extract<Outcome, { kind: 'limit' }> {
  return limit ? { kind: 'limit', instructions, limit } : { kind: 'limit', instructions };
}

export function describeOutcome(o: Outcome): string {
  switch (o.kind) {
    case 'exited': return `exited with status ${o.status}`;
    case 'limit': {
      const l = Object.values(LIMITS).find((x) => x.name === (o.limit ?? LIMITS.instructions.name));
      return `stopped after ${o.instructions} instructions: the ${l?.name ?? o.limit} limit was reached${l && 'option' in l ? ` (raise it with ${l.option})` : ''}`;
    }
    case 'signaled': {
      const addr = o.address !== undefined ? ` address 0x${o.address.toString(16)}` : '';
      const insn = o.instruction ? ` (${o.instruction})` : '';
      return `killed by ${o.signal}: ${o.why} at eip 0x${o.eip.toString(16)}${insn}${addr}`;
    }
  }
}

/** Addresses of rdtsc instructions in a code segment, by linear sweep (skipping undecodable bytes). */
export function findRdtsc(dis: Disassembler, code: Uint8Array, base: number): number[] {
  const found: number[] = [];
  const CHUNK = 4096;
  for (let off = 0; off < code.length;) {
    const insns = dis.disasm(code.subarray(off, Math.min(code.length, off + CHUNK + 15)), base + off);
    if (insns.length === 0) { off++; continue; }
    let end = off;
    for (const i of insns) {
      if (i.address - base >= off + CHUNK) break;
      if (i.mnemonic === 'rdtsc') found.push(i.address);
      end = i.address - base + i.size;
    }
    off = end;
  }
  return found;
}
