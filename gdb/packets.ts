// The GDB remote serial protocol's framing: `$payload#cs` with a two-digit modulo-256
// checksum, `+`/`-` acknowledgements (until QStartNoAckMode), `}` escapes for binary
// data, and the lone 0x03 byte that means Ctrl-C. Bytes in, events out; no sockets here.

export type Incoming =
  | { kind: 'packet'; payload: Buffer }
  | { kind: 'bad-checksum' }
  | { kind: 'interrupt' }
  | { kind: 'ack' }
  | { kind: 'nack' };

/** Longest packet we accept (gdb is told a smaller PacketSize); longer input is dropped. */
export const MAX_PACKET = 64 * 1024;

const DOLLAR = 0x24, HASH = 0x23, ESCAPE = 0x7d, STAR = 0x2a;

export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return sum;
}

/** Frames a reply payload, escaping what must be escaped. */
export function frame(payload: string | Buffer): Buffer {
  const raw = typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload;
  const out: number[] = [DOLLAR];
  for (const b of raw) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) out.push(ESCAPE, b ^ 0x20);
    else out.push(b);
  }
  const body = Buffer.from(out.slice(1));
  return Buffer.concat([Buffer.from([DOLLAR]), body, Buffer.from(`#${checksum(body).toString(16).padStart(2, '0')}`, 'latin1')]);
}

/** Undoes `}` escapes (the checksum covers the escaped form, so this runs after it). */
export function unescape(data: Buffer): Buffer {
  if (!data.includes(ESCAPE)) return data;
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === ESCAPE && i + 1 < data.length) out.push(data[++i] ^ 0x20);
    else out.push(data[i]);
  }
  return Buffer.from(out);
}

/**
 * Splits a byte stream into protocol events. Keeps what it has not finished reading;
 * garbage between packets is skipped, an over-long packet is dropped whole.
 */
export class PacketReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Incoming[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const events: Incoming[] = [];
    let i = 0;
    while (i < this.pending.length) {
      const b = this.pending[i];
      if (b === 0x03) { events.push({ kind: 'interrupt' }); i++; continue; }
      if (b === 0x2b) { events.push({ kind: 'ack' }); i++; continue; }
      if (b === 0x2d) { events.push({ kind: 'nack' }); i++; continue; }
      if (b !== DOLLAR) { i++; continue; }
      const end = this.pending.indexOf(HASH, i + 1);
      if (end < 0 || end + 2 >= this.pending.length) {
        if (this.pending.length - i > MAX_PACKET) { i = this.pending.length; break; } // never ends: drop it
        break;
      }
      const body = this.pending.subarray(i + 1, end);
      const given = parseInt(this.pending.subarray(end + 1, end + 3).toString('latin1'), 16);
      i = end + 3;
      if (Number.isNaN(given) || given !== checksum(body)) { events.push({ kind: 'bad-checksum' }); continue; }
      events.push({ kind: 'packet', payload: unescape(Buffer.from(body)) });
    }
    this.pending = this.pending.subarray(i);
    return events;
  }
}

export const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Little-endian hex of a 32-bit value, as `g` and `p` send registers. */
export function le32(value: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b.toString('hex');
}

export function fromHex(text: string): Buffer | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  return Buffer.from(text, 'hex');
}
