// A GDB remote stub: the packets gdb sends, answered from a DebugTarget (a running
// guest). It owns no socket: bytes come in through `receive`, replies go out through
// the `send` function it was given. The guest runs in slices so that a Ctrl-C from gdb
// is seen while it runs.
import { PacketReader, frame, fromHex, le32, toHex } from './packets.js';
import { GENERAL, REG, REGISTERS, TARGET_XML } from './tdesc.js';

export type WatchKind = 'watch' | 'rwatch' | 'awatch';

export interface Watchpoint { kind: WatchKind; address: number; length: number }

export interface ResumeRequest {
  step: boolean;
  breakpoints: ReadonlySet<number>;
  watchpoints: readonly Watchpoint[];
  /** Syscall numbers to stop at (entry and return), every number, or none. */
  catchSyscalls: ReadonlySet<number> | 'all' | null;
  /** Return after about this long even if nothing happened (so Ctrl-C is seen). */
  budgetMs: number;
}

export type StopEvent =
  | { kind: 'running' }
  | { kind: 'trap'; breakpoint: boolean }
  | { kind: 'watch'; type: WatchKind; address: number }
  | { kind: 'syscall_entry' | 'syscall_return'; nr: number }
  | { kind: 'exited'; status: number }
  | { kind: 'signaled'; signal: number };

/** What the stub needs of a guest. */
export interface DebugTarget {
  /** eax, ecx, edx, ebx, esp, ebp, esi, edi, eip, eflags, cs, ss, ds, es, fs, gs. */
  readRegisters(): number[];
  writeRegister(name: string, value: number): boolean;
  /** orig_eax as Linux's ptrace shows it: the call number during a crossing, else -1. */
  origEax(): number;
  /** Reads as ptrace does: protection aside, but only mapped memory. */
  readMemory(address: number, length: number): Uint8Array | null;
  writeMemory(address: number, bytes: Uint8Array): boolean;
  resume(request: ResumeRequest): StopEvent;
  /** A `monitor` command's output, or undefined for an unknown command. */
  monitor(command: string): string | undefined;
  /** Ends the guest (gdb's kill). */
  kill(): void;
}

/** How a session ended: the guest ended, gdb detached (the guest ran on to its end), killed it, or went away. */
export type SessionEnd = 'exited' | 'detached' | 'killed' | 'disconnected';

const SIGTRAP = 5, SIGINT = 2;
/** Largest memory read or write one packet may ask for. */
const MAX_TRANSFER = 0x4000;

export class GdbStub {
  private readonly reader = new PacketReader();
  private noAck = false;
  private readonly breakpoints = new Set<number>();
  private watchpoints: Watchpoint[] = [];
  private catchSyscalls: Set<number> | 'all' | null = null;
  private running = false;
  private interruptRequested = false;
  private lastStop = `T${hex2(SIGTRAP)}thread:1;`;
  private ended = false;
  /** Set once the guest has ended or gdb detached or killed it: the session is over. */
  onEnd?: (how: SessionEnd) => void;
  /** An error of the simulator itself while serving gdb (the session ends with it). */
  onError?: (err: unknown) => void;

  constructor(private readonly target: DebugTarget, private readonly send: (bytes: Buffer) => void) {}

  /** Bytes from gdb. */
  receive(chunk: Buffer): void {
    for (const ev of this.reader.push(chunk)) {
      switch (ev.kind) {
        case 'interrupt':
          if (this.running) this.interruptRequested = true;
          break;
        case 'bad-checksum':
          if (!this.noAck) this.send(Buffer.from('-'));
          break;
        case 'packet':
          if (!this.noAck) this.send(Buffer.from('+'));
          this.guarded(() => this.handle(ev.payload.toString('latin1')));
          break;
        default: // acks: the stub never resends, so there is nothing to do
      }
    }
  }

  /** Runs packet work; an internal error ends the session (gdb hears the guest was killed) instead of the process. */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.running = false;
      if (!this.ended) this.reply('X09');
      this.end('killed');
      this.onError?.(err);
    }
  }

  private reply(payload: string): void {
    this.send(frame(payload));
  }

  private handle(p: string): void {
    if (this.ended && p !== 'k' && !p.startsWith('vKill')) { this.reply('E01'); return; }
    if (this.running) return; // gdb waits for the stop reply; anything else now is a protocol error
    const cmd = p[0];
    switch (cmd) {
      case '?': return this.reply(this.lastStop);
      case 'g': return this.reply(this.allRegisters());
      case 'G': return this.reply(this.writeAll(p.slice(1)));
      case 'p': return this.reply(this.readOne(p.slice(1)));
      case 'P': return this.reply(this.writeOne(p.slice(1)));
      case 'm': return this.reply(this.readMem(p.slice(1)));
      case 'M': return this.reply(this.writeMem(p.slice(1), false));
      case 'X': return this.reply(this.writeMem(p.slice(1), true));
      case 'c': case 'C': return this.resume(false, p);
      case 's': case 'S': return this.resume(true, p);
      case 'Z': case 'z': return this.reply(this.breakpoint(cmd === 'Z', p.slice(1)));
      case 'D': this.reply('OK'); return this.detach();
      case 'k': return this.kill();
      case 'H': return this.reply('OK');
      case 'T': return this.reply(p === 'T1' || p === 'Tp1.1' ? 'OK' : 'E01');
      case 'q': case 'Q': return this.reply(this.query(p));
      case 'v': return this.vPacket(p);
      default: return this.reply('');
    }
  }

  // ------------------------------------------------------------------ registers

  private registerHex(i: number, general: number[]): string {
    const def = REGISTERS[i];
    if (i < GENERAL.length) return le32(general[i]);
    if (def.name === 'orig_eax') return le32(this.target.origEax());
    return '00'.repeat(def.bits / 8); // x87 and SSE state is not modelled: reads as zero
  }

  private allRegisters(): string {
    const general = this.target.readRegisters();
    return REGISTERS.map((_, i) => this.registerHex(i, general)).join('');
  }

  private readOne(arg: string): string {
    const i = parseInt(arg, 16);
    if (!Number.isInteger(i) || i < 0 || i >= REGISTERS.length) return 'E01';
    return this.registerHex(i, this.target.readRegisters());
  }

  private writeOne(arg: string): string {
    const [n, value] = arg.split('=');
    const i = parseInt(n, 16);
    const bytes = value === undefined ? null : fromHex(value);
    if (!Number.isInteger(i) || i < 0 || i >= REGISTERS.length || !bytes || bytes.length !== REGISTERS[i].bits / 8) return 'E01';
    if (i >= GENERAL.length) return 'OK'; // unmodelled state: accepted and ignored
    return this.target.writeRegister(GENERAL[i], bytes.readUInt32LE(0)) ? 'OK' : 'E01';
  }

  private writeAll(data: string): string {
    const bytes = fromHex(data);
    if (!bytes || bytes.length < GENERAL.length * 4) return 'E01';
    GENERAL.forEach((name, i) => this.target.writeRegister(name, bytes.readUInt32LE(i * 4)));
    return 'OK';
  }

  // ------------------------------------------------------------------ memory

  private static addrLen(text: string): { address: number; length: number } | null {
    const m = /^([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(text);
    if (!m) return null;
    const address = parseInt(m[1], 16), length = parseInt(m[2], 16);
    if (length > MAX_TRANSFER || address + length > 2 ** 32) return null;
    return { address, length };
  }

  private readMem(arg: string): string {
    const al = GdbStub.addrLen(arg);
    if (!al) return 'E01';
    const bytes = this.target.readMemory(al.address, al.length);
    return bytes ? toHex(bytes) : 'E14'; // EFAULT, as gdbserver answers
  }

  private writeMem(arg: string, binary: boolean): string {
    const colon = arg.indexOf(':');
    const al = colon > 0 ? GdbStub.addrLen(arg.slice(0, colon)) : null;
    if (!al) return 'E01';
    const data = binary ? Buffer.from(arg.slice(colon + 1), 'latin1') : fromHex(arg.slice(colon + 1));
    if (!data || data.length !== al.length) return 'E01';
    return this.target.writeMemory(al.address, data) ? 'OK' : 'E14';
  }

  // ------------------------------------------------------------------ breakpoints

  private breakpoint(insert: boolean, arg: string): string {
    const m = /^([0-4]),([0-9a-fA-F]{1,8}),([0-9a-fA-F]{1,8})$/.exec(arg);
    if (!m) return 'E01';
    const type = Number(m[1]), address = parseInt(m[2], 16), length = parseInt(m[3], 16);
    if (type <= 1) { // software and hardware breakpoints are the same thing here
      if (insert) this.breakpoints.add(address); else this.breakpoints.delete(address);
      return 'OK';
    }
    if (length === 0 || length > 4096) return 'E01';
    const kind = (['watch', 'rwatch', 'awatch'] as const)[type - 2];
    this.watchpoints = this.watchpoints.filter((w) => !(w.kind === kind && w.address === address && w.length === length));
    if (insert) this.watchpoints.push({ kind, address, length });
    return 'OK';
  }

  // ------------------------------------------------------------------ queries

  private query(p: string): string {
    if (p.startsWith('qSupported')) {
      return 'PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;QCatchSyscalls+;vContSupported+;swbreak+;hwbreak+';
    }
    if (p === 'QStartNoAckMode') { this.noAck = true; return 'OK'; }
    if (p.startsWith('qXfer:features:read:')) return this.xferFeatures(p.slice('qXfer:features:read:'.length));
    if (p.startsWith('QCatchSyscalls:')) return this.setCatch(p.slice('QCatchSyscalls:'.length));
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC1';
    if (p === 'qfThreadInfo') return 'm1';
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('qThreadExtraInfo')) return toHex(Buffer.from('guest'));
    if (p.startsWith('qSymbol')) return 'OK';
    if (p.startsWith('qRcmd,')) return this.monitor(p.slice('qRcmd,'.length));
    return '';
  }

  private xferFeatures(arg: string): string {
    const m = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(arg);
    if (!m) return 'E01';
    if (m[1] !== 'target.xml') return 'E00';
    const offset = parseInt(m[2], 16), length = parseInt(m[3], 16);
    const chunk = TARGET_XML.slice(offset, offset + length);
    return (offset + length >= TARGET_XML.length ? 'l' : 'm') + chunk;
  }

  private setCatch(arg: string): string {
    if (arg === '0') { this.catchSyscalls = null; return 'OK'; }
    if (arg === '1') { this.catchSyscalls = 'all'; return 'OK'; }
    if (!arg.startsWith('1;')) return 'E01';
    const numbers = arg.slice(2).split(';').map((n) => parseInt(n, 16));
    if (numbers.some((n) => !Number.isInteger(n) || n < 0)) return 'E01';
    this.catchSyscalls = new Set(numbers);
    return 'OK';
  }

  private monitor(hexCommand: string): string {
    const cmd = fromHex(hexCommand);
    if (!cmd) return 'E01';
    const out = this.target.monitor(cmd.toString('latin1').trim());
    const text = out ?? `unknown monitor command "${cmd.toString('latin1').trim()}": try crossing, ledger, platform\n`;
    // Console output goes in `O` packets before the final OK, as UTF-8 (a step cut to the width ends in an ellipsis).
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i < bytes.length; i += 1024) this.reply('O' + toHex(bytes.subarray(i, i + 1024)));
    return 'OK';
  }

  private vPacket(p: string): void {
    if (p === 'vCont?') return this.reply('vCont;c;C;s;S');
    if (p.startsWith('vCont;')) {
      // One thread: the first action that applies to it (or to all) decides.
      const action = p.slice(6).split(';')[0].split(':')[0];
      if (action[0] === 'c' || action[0] === 'C') return this.resume(false, action);
      if (action[0] === 's' || action[0] === 'S') return this.resume(true, action);
      return this.reply('E01');
    }
    if (p.startsWith('vKill')) { this.kill(); return; }
    this.reply(''); // vMustReplyEmpty and everything unknown
  }

  // ------------------------------------------------------------------ running

  private resume(step: boolean, packet: string): void {
    // `c ADDR` / `s ADDR` resume elsewhere; `C sig` / `S sig` pass a signal, which a
    // guest without signal delivery cannot take: it is dropped, as for `c`.
    if ((packet[0] === 'c' || packet[0] === 's') && packet.length > 1) {
      const address = parseInt(packet.slice(1), 16);
      if (Number.isInteger(address)) this.target.writeRegister('eip', address);
    }
    this.running = true;
    this.interruptRequested = false;
    const slice = () => this.guarded(() => {
      if (!this.running) return;
      const ev = this.target.resume({
        step, breakpoints: this.breakpoints, watchpoints: this.watchpoints, catchSyscalls: this.catchSyscalls, budgetMs: 50,
      });
      if (ev.kind === 'running') {
        if (this.interruptRequested) return this.stopped(`T${hex2(SIGINT)}thread:1;`);
        setImmediate(slice);
        return;
      }
      this.stopped(stopReply(ev));
      if (ev.kind === 'exited' || ev.kind === 'signaled') this.end('exited');
    });
    setImmediate(slice);
  }

  private stopped(reply: string): void {
    this.running = false;
    this.lastStop = reply;
    this.reply(reply);
  }

  private detach(): void {
    this.breakpoints.clear();
    this.watchpoints = [];
    this.catchSyscalls = null;
    // The guest runs on, undebugged, to its end.
    const slice = () => this.guarded(() => {
      const ev = this.target.resume({ step: false, breakpoints: this.breakpoints, watchpoints: [], catchSyscalls: null, budgetMs: 200 });
      if (ev.kind === 'exited' || ev.kind === 'signaled') this.end('detached');
      else setImmediate(slice);
    });
    setImmediate(slice);
  }

  private kill(): void {
    this.running = false;
    if (!this.ended) this.target.kill();
    this.end('killed');
  }

  /** gdb went away without detaching: the guest is killed, as gdbserver does. */
  disconnected(): void {
    if (this.ended) return;
    this.running = false;
    this.target.kill();
    this.end('disconnected');
  }

  private end(how: SessionEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd?.(how);
  }
}

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, '0');

export function stopReply(ev: Exclude<StopEvent, { kind: 'running' }>): string {
  switch (ev.kind) {
    case 'trap': return `T${hex2(SIGTRAP)}thread:1;${ev.breakpoint ? 'swbreak:;' : ''}`;
    case 'watch': return `T${hex2(SIGTRAP)}thread:1;${ev.type}:${ev.address.toString(16)};`;
    case 'syscall_entry': case 'syscall_return': return `T${hex2(SIGTRAP)}thread:1;${ev.kind}:${ev.nr.toString(16)};`;
    case 'exited': return `W${hex2(ev.status)}`;
    case 'signaled': return `X${hex2(ev.signal)}`;
  }
}

export { REG };
