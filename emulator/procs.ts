// One CPU context per process: each process runs on its own Unicorn instance (a
// Machine). fork copies the parent's mapped memory and registers into a new instance;
// execve replaces the instance; the kernel model's scheduler (kernel-model/sched.ts)
// decides which process runs, and this loop runs it until the kernel asks for a switch.
import type { UserRegs } from '../kernel-model/boundary.js';
import { E, KernelError } from '../kernel-model/errno.js';
import type { Kernel } from '../kernel-model/kernel.js';
import type { CpuContext, Process, ProcessHost } from '../kernel-model/process.js';
import { DEFAULT_QUANTUM, canRun, deliverSignals, exitProcess, pickNext, sendSignal } from '../kernel-model/sched.js';
import { SIG, SIG_DFL, SIG_IGN, bit, exitedStatus, signalName, signaledStatus } from '../kernel-model/signals.js';
import { DEADLOCK_STATUS } from '../kernel-model/sys/futex.js';
import { BadInput } from './elf.js';
import { GDT_ENTRY_TLS_MIN, SegmentState } from '../kernel-model/sys/tls.js';
import { DEFAULT_MAX_INSTRUCTIONS, Machine, SIGNALS, type Outcome, type RunResult } from './machine.js';
import { REG_INDEX } from './native.js';
import { fxrstor, fxsave } from './fpu.js';
import { X86_REG } from './unicorn.js';

const REGS: [keyof UserRegs, number][] = [
  ['eax', X86_REG.EAX], ['ebx', X86_REG.EBX], ['ecx', X86_REG.ECX], ['edx', X86_REG.EDX], ['esi', X86_REG.ESI],
  ['edi', X86_REG.EDI], ['ebp', X86_REG.EBP], ['esp', X86_REG.ESP], ['eip', X86_REG.EIP], ['eflags', X86_REG.EFLAGS],
];

/** A process's registers held by its engine. */
class MachineCpu implements CpuContext {
  constructor(readonly m: Machine) {}
  regs(): UserRegs {
    const r = Object.fromEntries(REGS.map(([name, id]) => [name, this.m.uc.regRead(id) >>> 0])) as unknown as UserRegs;
    return { ...r, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b };
  }
  setRegs(r: Partial<UserRegs>): void {
    for (const [name, id] of REGS) if (r[name] !== undefined) this.m.uc.regWrite(id, r[name]! >>> 0);
  }
  fpu(): Uint8Array {
    return fxsave(this.m.uc);
  }
  setFpu(image: Uint8Array): void {
    fxrstor(this.m.uc, image);
  }
}

/** SIGSEGV's si_code for an unmapped address (SEGV_MAPERR); other faults use their first code. */
const FAULT_CODE = 1;

class Processes implements ProcessHost {
  readonly machines = new Map<Process, Machine>();
  /** An exec'd image waiting for its process's current slice to end. */
  readonly replacing = new Map<Process, Machine>();
  blocks = 0;

  constructor(private readonly k: Kernel) {}

  attach(p: Process, m: Machine): void {
    this.machines.set(p, m);
    p.segments ??= new SegmentState(m.descriptors);
    p.cpu = new MachineCpu(m);
    p.mem = m.mem;
    p.release = () => this.release(p);
  }

  release(p: Process): void {
    const m = this.machines.get(p);
    if (!m) return;
    this.machines.delete(p);
    this.blocks += m.hooks.distinctBlocks();
    m.close();
  }

  fork(parent: Process, child: Process): void {
    const pm = this.machines.get(parent)!;
    const t0 = Date.now();
    const cm = new Machine(pm.file, pm.name, pm.dis, { ...pm.options, kernel: this.k });
    pm.mem.copyInto(cm.mem);
    // The descriptor tables: TLS entries in the GDT and any LDT, then the segment registers that use them.
    const seg = (child.segments = new SegmentState(cm.descriptors));
    const from = parent.segments!;
    from.tls.forEach((d, i) => {
      seg.tls[i] = [d[0], d[1]];
      if (d[0] || d[1]) cm.descriptors.setGdtEntry(GDT_ENTRY_TLS_MIN + i, d);
    });
    for (const [i, d] of from.ldt) {
      seg.ldt.set(i, [d[0], d[1]]);
      cm.descriptors.setLdtEntry(i, d);
    }
    seg.ldtEntries = from.ldtEntries;
    for (const r of [X86_REG.DS, X86_REG.ES, X86_REG.FS, X86_REG.GS]) {
      try {
        cm.uc.regWrite(r, pm.uc.regRead(r));
      } catch {
        cm.uc.regWrite(r, 0);
      }
    }
    fxrstor(cm.uc, fxsave(pm.uc)); // the child's FPU is the parent's
    cm.started = true;
    if (process.env.SC_DEBUG) process.stderr.write(`fork took ${Date.now() - t0} ms\n`);
    const r = pm.hooks.regs; // the registers at the fork's trap (eip past the int 0x80)
    const regs: Partial<UserRegs> = Object.fromEntries(REGS.map(([name]) => [name, r[REG_INDEX[name as keyof typeof REG_INDEX]]]));
    this.attach(child, cm);
    child.cpu!.setRegs({ ...regs, eax: 0 });
    if (child.pendingRegs) { child.cpu!.setRegs(child.pendingRegs); child.pendingRegs = undefined; }
  }

  vforkDone(child: Process, parent: Process): void {
    // The child ran on a copy of the parent's memory while the parent was suspended: what
    // it wrote goes back, so the parent sees the shared address space as Linux's does.
    const cm = this.machines.get(child), pm = this.machines.get(parent);
    if (!cm || !pm) return;
    cm.mem.shareBackInto(pm.mem);
  }

  exec(p: Process, file: Uint8Array, name: string, argv: string[], envp: string[]): void {
    const old = this.machines.get(p)!;
    let m: Machine;
    try {
      m = new Machine(file, name, old.dis, { ...old.options, argv, envp, kernel: this.k });
    } catch (err) {
      if (err instanceof BadInput) throw new KernelError(E.ENOEXEC);
      throw err;
    }
    this.replacing.get(p)?.close();
    this.replacing.set(p, m);
    p.mem = m.mem;
    p.brkStart = p.brk = m.program.brk;
    p.segments = new SegmentState(m.descriptors);
  }

  image(p: Process): Uint8Array {
    return (this.replacing.get(p) ?? this.machines.get(p)!).file;
  }

  /** After a slice: an exec'd image takes the process's place. */
  swapIfExeced(p: Process): void {
    const m = this.replacing.get(p);
    if (!m) return;
    this.replacing.delete(p);
    const old = this.machines.get(p)!;
    p.instructionBase += old.hooks.instructions;
    this.blocks += old.hooks.distinctBlocks();
    old.close();
    this.attach(p, m);
  }
}

/** Runs the first machine's process and every process it starts; the run ends when the first one does. */
export function runProcesses(first: Machine): RunResult {
  const k = first.kernel;
  const host = new Processes(k);
  host.attach(k.init, first);
  k.host = host;
  k.quantum = first.options.quantum ?? DEFAULT_QUANTUM;
  const maxInstructions = first.options.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
  const faults = new Map<Process, Extract<Outcome, { kind: 'signaled' }>>();
  let p = k.init;
  let outcome: Outcome | undefined;
  try {
    for (;;) {
      if (process.env.SC_DEBUG) process.stderr.write(`slice pid ${p.pid} ${p.state} parked=${p.parked?.what} ins=${k.ledger.instructions}\n`);
      fireAlarms(k);
      if (p.alive && deliverSignals(k, p) && canRun(p)) {
        const m = host.machines.get(p)!;
        if (p.pendingRegs) {
          p.cpu!.setRegs(p.pendingRegs);
          p.pendingRegs = undefined;
        }
        p.parked = undefined; // its call is taken again from the trap
        p.waitUntil = undefined;
        k.beginSlice(p, m.hooks.instructions);
        k.reschedule = k.preempt = false;
        const stop = m.runSlice();
        if (p.parked) {
          // Back onto the int 0x80 with the call number in eax, as -ERESTARTSYS leaves it.
          m.uc.regWrite(X86_REG.EIP, (m.uc.regRead(X86_REG.EIP) - 2) >>> 0);
          m.uc.regWrite(X86_REG.EAX, p.trapRegs!.orig_eax);
          m.hooks.instructions = m.hooks.instructions - 1;
        }
        k.endSlice(m.hooks.instructions);
        host.swapIfExeced(p);
        if (p.pendingRegs && p.alive) {
          p.cpu!.setRegs(p.pendingRegs);
          p.pendingRegs = undefined;
        }
        if (stop?.kind === 'limit') { outcome = { ...stop, instructions: k.ledger.instructions }; break; }
        if (k.ledger.instructions > maxInstructions) { outcome = { kind: 'limit', instructions: k.ledger.instructions }; break; }
        if (stop?.kind === 'signaled') fault(k, p, stop, faults, host.machines.get(p)!);
        if (p.exitStatus !== undefined && p.alive) exitProcess(k, p, exitedStatus(p.exitStatus));
      }
      if (!k.init.alive) break;
      const keep = p.alive && p.state === 'runnable' && !p.parked && !p.waitUntil && !k.preempt;
      let next: Process | undefined = keep ? p : pickNext(k, p);
      if (!next && wakeByAlarm(k)) next = pickNext(k, p);
      if (!next) {
        const waiting = [...k.processes.values()].filter((q) => q.alive)
          .map((q) => `pid ${q.pid} in ${q.parked?.what ?? (q.waitUntil ? 'vfork' : q.state)}`).join(', ');
        k.warn(`syscluster: deadlock: every process is waiting and nothing can wake one (${waiting}); stopping the run`);
        outcome = { kind: 'exited', status: DEADLOCK_STATUS };
        break;
      }
      p = next;
    }
  } finally {
    // Whatever is left ends with the run (the first process is gone, or the run stopped).
    for (const q of [...k.processes.values()]) {
      if (q.alive) exitProcess(k, q, signaledStatus(SIG.SIGKILL, false), SIG.SIGKILL);
    }
    for (const q of [...host.machines.keys()]) host.release(q);
    for (const m of host.replacing.values()) m.close();
    k.proc = k.init;
  }
  const init = k.init;
  if (!outcome) {
    if (init.killedBy === 0) outcome = { kind: 'exited', status: (init.wstatus >> 8) & 0xff };
    else outcome = faults.get(init) ?? { kind: 'signaled', signal: signalName(init.killedBy), eip: 0, why: 'sent by kill' };
  }
  const exitCode = outcome.kind === 'exited' ? outcome.status
    : outcome.kind === 'limit' ? 128 + SIGNALS.SIGXCPU : 128 + (SIG as Record<string, number>)[outcome.signal];
  return { outcome, exitCode, kernel: k, blocks: host.blocks };
}

/** A fault in `p`: its handler runs if it has one (and does not block the signal), else it dies of it. */
function fault(k: Kernel, p: Process, stop: Extract<Outcome, { kind: 'signaled' }>, faults: Map<Process, typeof stop>, m: Machine): void {
  const sig = (SIG as Record<string, number>)[stop.signal] ?? SIG.SIGSEGV;
  const act = p.task.actions[sig];
  if (act.handler !== SIG_DFL && act.handler !== SIG_IGN && !(p.task.blocked & bit(sig)) && p.exitStatus === undefined) {
    m.uc.regWrite(X86_REG.EIP, stop.eip);
    sendSignal(k, p, sig, { signo: sig, code: FAULT_CODE, pid: 0, uid: 0, addr: stop.address ?? stop.eip });
    return;
  }
  faults.set(p, stop);
  exitProcess(k, p, signaledStatus(sig, false), sig);
}

function fireAlarms(k: Kernel): void {
  const now = k.uptimeMicros();
  for (const q of k.processes.values()) {
    if (q.alive && q.alarmAtMicros > 0 && q.alarmAtMicros <= now) {
      q.alarmAtMicros = 0;
      sendSignal(k, q, SIG.SIGALRM, { signo: SIG.SIGALRM, code: 0x80, pid: 0, uid: 0 });
    }
  }
}

/** Every process sleeps: the clock runs on to the earliest alarm, if there is one. */
function wakeByAlarm(k: Kernel): boolean {
  const due = [...k.processes.values()].filter((q) => q.alive && q.alarmAtMicros > 0).map((q) => q.alarmAtMicros);
  if (due.length === 0) return false;
  const at = Math.min(...due);
  k.block(Math.max(0, at - k.uptimeMicros()));
  fireAlarms(k);
  return true;
}
