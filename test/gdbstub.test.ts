// The GDB remote protocol layer on its own: framing, checksums, escapes, and the stub's
// replies to each packet, against a small scripted target (no emulator).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PacketReader, checksum, frame, unescape } from '../gdb/packets.js';
import { GdbStub, type DebugTarget, type ResumeRequest, type StopEvent } from '../gdb/stub.js';
import { REGISTERS, TARGET_XML } from '../gdb/tdesc.js';

const framing = suite('packet framing');

framing('checksum and frame', () => {
  assert.is(checksum(Buffer.from('OK')), 0x9a);
  assert.is(frame('OK').toString(), '$OK#9a');
});

framing('special bytes are escaped and come back', () => {
  const f = frame(Buffer.from('a$b#c}d*e'));
  assert.ok(!f.subarray(1, f.length - 3).includes(0x24), 'no bare $ inside');
  const r = new PacketReader().push(f);
  assert.equal(r.map((e) => e.kind), ['packet']);
  assert.is((r[0] as { payload: Buffer }).payload.toString(), 'a$b#c}d*e');
  assert.is(unescape(Buffer.from('}\x03')).toString(), '#');
});

framing('a packet split across chunks, acks, Ctrl-C and a bad checksum', () => {
  const r = new PacketReader();
  assert.equal(r.push(Buffer.from('+$qSupp')), [{ kind: 'ack' }]);
  const ev = r.push(Buffer.from('orted#37\x03$g#00'));
  assert.equal(ev.map((e) => e.kind), ['packet', 'interrupt', 'bad-checksum']);
});

framing('an endless packet is dropped, not kept forever', () => {
  const r = new PacketReader();
  r.push(Buffer.from('$' + 'a'.repeat(70 * 1024)));
  assert.equal(r.push(Buffer.from('$OK#9a')).map((e) => e.kind), ['packet']);
});

/** A target with sixteen registers, one page of memory at 0x1000, and scripted stops. */
class FakeTarget implements DebugTarget {
  regs = Array.from({ length: 16 }, (_, i) => i * 0x11111111 >>> 0);
  mem = new Uint8Array(4096);
  stops: StopEvent[] = [];
  requests: ResumeRequest[] = [];
  killed = false;
  readRegisters() { return [...this.regs]; }
  writeRegister(name: string, value: number) {
    const i = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs'].indexOf(name);
    if (i < 0) return false;
    this.regs[i] = value >>> 0;
    return true;
  }
  origEax() { return 4; }
  readMemory(a: number, n: number) { return a >= 0x1000 && a + n <= 0x2000 ? this.mem.slice(a - 0x1000, a - 0x1000 + n) : null; }
  writeMemory(a: number, b: Uint8Array) { if (a < 0x1000 || a + b.length > 0x2000) return false; this.mem.set(b, a - 0x1000); return true; }
  resume(r: ResumeRequest): StopEvent { this.requests.push({ ...r, breakpoints: new Set(r.breakpoints) }); return this.stops.shift() ?? { kind: 'running' }; }
  monitor(c: string) { return c === 'crossing' ? 'write(1, ...) = 5\n' : undefined; }
  kill() { this.killed = true; }
}

function session() {
  const target = new FakeTarget();
  const sent: string[] = [];
  const stub = new GdbStub(target, (b) => sent.push(b.toString('latin1')));
  const ask = (payload: string) => { sent.length = 0; stub.receive(frame(payload)); return sent.filter((s) => s !== '+').map((s) => s.slice(1, -3)); };
  const tick = () => new Promise((r) => setImmediate(r));
  return { target, stub, ask, sent, tick };
}

const stub = suite('stub replies');

stub('qSupported names what the stub offers; no-ack mode stops the acks', () => {
  const s = session();
  s.stub.receive(frame('qSupported:multiprocess+;swbreak+'));
  assert.is(s.sent[0], '+');
  assert.match(s.sent[1], /qXfer:features:read\+/);
  assert.match(s.sent[1], /QCatchSyscalls\+/);
  s.ask('QStartNoAckMode');
  s.sent.length = 0;
  s.stub.receive(frame('?'));
  assert.is(s.sent.length, 1, 'no + after no-ack mode');
});

stub('the target description comes in pieces and ends with l', () => {
  const s = session();
  let xml = '', offset = 0;
  for (;;) {
    const [r] = s.ask(`qXfer:features:read:target.xml:${offset.toString(16)},${(200).toString(16)}`);
    xml += r.slice(1);
    offset += 200;
    if (r[0] === 'l') break;
    assert.is(r[0], 'm');
  }
  assert.is(xml, TARGET_XML);
  assert.match(xml, /org\.gnu\.gdb\.i386\.linux/);
  assert.equal(s.ask('qXfer:features:read:other.xml:0,10'), ['E00']);
});

stub('registers: g has every register in order, p and P one at a time', () => {
  const s = session();
  const [g] = s.ask('g');
  assert.is(g.length, REGISTERS.reduce((n, r) => n + r.bits / 4, 0));
  assert.is(g.slice(8, 16), '11111111', 'ecx little-endian');
  assert.equal(s.ask('p8'), ['88888888'], 'eip');
  assert.equal(s.ask('p29'), ['04000000'], 'orig_eax is register 41');
  assert.equal(s.ask('P0=78563412'), ['OK']);
  assert.is(s.target.regs[0], 0x12345678);
  assert.equal(s.ask('p99'), ['E01']);
  assert.equal(s.ask('P0=zz'), ['E01']);
});

stub('memory: m, M and binary X, with errors for unmapped and malformed requests', () => {
  const s = session();
  assert.equal(s.ask('M1000,4:deadbeef'), ['OK']);
  assert.equal(s.ask('m1000,4'), ['deadbeef']);
  const body = Buffer.from('X1004,2:\x01}\x03', 'latin1'); // `}` 0x03 is an escaped `#`
  s.sent.length = 0;
  s.stub.receive(Buffer.concat([Buffer.from('$'), body, Buffer.from(`#${checksum(body).toString(16).padStart(2, '0')}`)]));
  assert.equal(s.sent.filter((x) => x !== '+'), ['$OK#9a'], 'binary data with an escape');
  assert.equal(s.ask('m1004,2'), ['0123']);
  assert.equal(s.ask('m0,4'), ['E14']);
  assert.equal(s.ask('mxyz'), ['E01']);
  assert.equal(s.ask('m1000,ffffff'), ['E01'], 'too large a transfer');
});

stub('unknown packets get the empty reply; vMustReplyEmpty too', () => {
  const s = session();
  assert.equal(s.ask('vMustReplyEmpty'), ['']);
  assert.equal(s.ask('qTStatus'), ['']);
  assert.equal(s.ask('!'), ['']);
});

stub('breakpoints, watchpoints and catch syscall reach the target; stops are reported', async () => {
  const s = session();
  assert.equal(s.ask('Z0,8049000,1'), ['OK']);
  assert.equal(s.ask('Z2,1000,4'), ['OK']);
  assert.equal(s.ask('QCatchSyscalls:1;4;3'), ['OK']);
  s.target.stops = [{ kind: 'running' }, { kind: 'syscall_entry', nr: 4 }];
  assert.equal(s.ask('c'), []);
  await s.tick(); await s.tick(); await s.tick();
  assert.equal(s.sent.filter((x) => x !== '+').map((x) => x.slice(1, -3)), ['T05thread:1;syscall_entry:4;']);
  const req = s.target.requests[0];
  assert.ok(req.breakpoints.has(0x8049000));
  assert.equal(req.watchpoints, [{ kind: 'watch', address: 0x1000, length: 4 }]);
  assert.equal([...(req.catchSyscalls as Set<number>)], [4, 3]);
  assert.is(req.step, false);
  assert.equal(s.ask('?'), ['T05thread:1;syscall_entry:4;']);
});

stub('a step, a breakpoint hit, and exit', async () => {
  const s = session();
  s.target.stops = [{ kind: 'trap', breakpoint: false }];
  s.ask('vCont;s:1');
  await s.tick();
  assert.ok(s.target.requests[0].step);
  assert.match(s.sent.at(-1)!, /\$T05thread:1;#/);
  s.target.stops = [{ kind: 'trap', breakpoint: true }];
  s.ask('c');
  await s.tick();
  assert.match(s.sent.at(-1)!, /swbreak/);
  let ended = '';
  s.stub.onEnd = (how) => { ended = how; };
  s.target.stops = [{ kind: 'exited', status: 3 }];
  s.ask('c');
  await s.tick();
  assert.match(s.sent.at(-1)!, /^\$W03#/);
  assert.is(ended, 'exited');
  assert.equal(s.ask('g'), ['E01'], 'nothing to read once the guest has ended');
});

stub('Ctrl-C while running stops with SIGINT', async () => {
  const s = session();
  s.ask('c');
  s.stub.receive(Buffer.from([0x03]));
  await s.tick();
  assert.match(s.sent.at(-1)!, /\$T02thread:1;#/);
});

stub('monitor output comes as O packets, then OK', () => {
  const s = session();
  const r = s.ask(`qRcmd,${Buffer.from('crossing').toString('hex')}`);
  assert.is(Buffer.from(r[0].slice(1), 'hex').toString(), 'write(1, ...) = 5\n');
  assert.is(r[1], 'OK');
  const u = s.ask(`qRcmd,${Buffer.from('bogus').toString('hex')}`);
  assert.match(Buffer.from(u[0].slice(1), 'hex').toString(), /unknown monitor command "bogus"/);
});

stub('kill and disconnect end the guest once', () => {
  const s = session();
  let ends = 0;
  s.stub.onEnd = () => { ends++; };
  s.ask('k');
  assert.ok(s.target.killed);
  s.stub.disconnected();
  assert.is(ends, 1);
});

framing.run();
stub.run();
