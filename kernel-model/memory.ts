// The kernel model's only view of guest memory: checked, little-endian, page-granular.
// A bad guest pointer is a null/false result here and -EFAULT one level up; never an exception.

export const PAGE = 0x1000;
export const PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;

export interface GuestMemory {
  /** Bytes at [addr, addr+len) if all of it is readable, else null. */
  read(addr: number, len: number): Uint8Array | null;
  /** Writes if all of [addr, addr+len) is writable by the guest; false otherwise. */
  write(addr: number, bytes: Uint8Array): boolean;
  readU32(addr: number): number | null;
  writeU32(addr: number, value: number): boolean;
  /** A NUL-terminated string of at most `max` bytes; null on a fault, undefined if no NUL within max. */
  readCString(addr: number, max: number): string | null | undefined;
  isMapped(addr: number, len: number, prot?: number): boolean;
  /** Maps fresh zeroed pages (page-aligned); false if any page is already mapped. */
  map(addr: number, len: number, prot: number): boolean;
  unmap(addr: number, len: number): void;
}

/**
 * Page bookkeeping shared by every backend: which pages exist and with what protection.
 * Backends supply the raw byte moves; this class does every check.
 */
export abstract class PagedMemory implements GuestMemory {
  private readonly pages = new Map<number, number>(); // page number → PROT bits

  protected abstract rawRead(addr: number, into: Uint8Array): void;
  protected abstract rawWrite(addr: number, bytes: Uint8Array): void;
  protected abstract rawMap(addr: number, len: number, prot: number): void;
  protected abstract rawUnmap(addr: number, len: number): void;
  protected abstract rawProtect(addr: number, len: number, prot: number): void;

  isMapped(addr: number, len: number, prot: number = PROT.READ): boolean {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0 || addr + len > 0x100000000) return false;
    if (len === 0) return true;
    for (let p = Math.floor(addr / PAGE), last = Math.floor((addr + len - 1) / PAGE); p <= last; p++) {
      const have = this.pages.get(p);
      if (have === undefined || (have & prot) !== prot) return false;
    }
    return true;
  }

  read(addr: number, len: number): Uint8Array | null {
    if (!this.isMapped(addr, len, PROT.READ)) return null;
    const out = new Uint8Array(len);
    if (len > 0) this.rawRead(addr, out);
    return out;
  }

  write(addr: number, bytes: Uint8Array): boolean {
    if (!this.isMapped(addr, bytes.length, PROT.WRITE)) return false;
    if (bytes.length > 0) this.rawWrite(addr, bytes);
    return true;
  }

  readU32(addr: number): number | null {
    const b = this.read(addr, 4);
    return b ? (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 : null;
  }

  writeU32(addr: number, value: number): boolean {
    const v = value >>> 0;
    return this.write(addr, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
  }

  readCString(addr: number, max: number): string | null | undefined {
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < max) {
      const cur = addr + total;
      const chunk = Math.min(PAGE - (cur % PAGE), max - total);
      const b = this.read(cur, chunk);
      if (!b) return null;
      const nul = b.indexOf(0);
      if (nul >= 0) {
        parts.push(b.subarray(0, nul));
        return Buffer.concat(parts).toString('latin1');
      }
      parts.push(b);
      total += chunk;
    }
    return undefined;
  }

  map(addr: number, len: number, prot: number): boolean {
    if (addr % PAGE !== 0 || len % PAGE !== 0 || len === 0 || addr + len > 0x100000000) return false;
    for (let p = addr / PAGE; p < (addr + len) / PAGE; p++) if (this.pages.has(p)) return false;
    this.rawMap(addr, len, prot);
    for (let p = addr / PAGE; p < (addr + len) / PAGE; p++) this.pages.set(p, prot);
    return true;
  }

  unmap(addr: number, len: number): void {
    for (let p = addr / PAGE; p < (addr + len) / PAGE; p++) {
      if (this.pages.delete(p)) this.rawUnmap(p * PAGE, PAGE);
    }
  }

  /** Changes protection of mapped pages (used by the loader once segments are written). */
  protect(addr: number, len: number, prot: number): void {
    this.rawProtect(addr, len, prot);
    for (let p = addr / PAGE; p < (addr + len) / PAGE; p++) if (this.pages.has(p)) this.pages.set(p, prot);
  }

  /** fork: `into` loses what it maps and gets every mapping of this memory, with its protection and bytes. */
  copyInto(into: PagedMemory): void {
    for (const r of into.runs()) into.rawUnmap(r.start, r.len);
    into.pages.clear();
    for (const r of this.runs()) {
      into.map(r.start, r.len, r.prot);
      const bytes = new Uint8Array(r.len);
      this.rawRead(r.start, bytes);
      into.rawWrite(r.start, bytes);
    }
  }

  /** Mapped memory as runs of consecutive pages with one protection. */
  private runs(): { start: number; len: number; prot: number }[] {
    const pages = [...this.pages.keys()].sort((a, b) => a - b);
    const out: { start: number; len: number; prot: number }[] = [];
    for (let i = 0; i < pages.length;) {
      const prot = this.pages.get(pages[i])!;
      let j = i;
      while (j + 1 < pages.length && pages[j + 1] === pages[j] + 1 && this.pages.get(pages[j + 1]) === prot) j++;
      out.push({ start: pages[i] * PAGE, len: (j - i + 1) * PAGE, prot });
      i = j + 1;
    }
    return out;
  }

  /** Host-side write that ignores guest protection (the loader filling read-only text). */
  poke(addr: number, bytes: Uint8Array): void {
    if (!this.isMapped(addr, bytes.length, PROT.NONE)) throw new Error(`poke at unmapped 0x${addr.toString(16)}`);
    this.rawWrite(addr, bytes);
  }
}

/** Guest memory held in plain arrays: for kernel-model tests, with no emulator. */
export class ArrayMemory extends PagedMemory {
  private readonly data = new Map<number, Uint8Array>();

  protected rawRead(addr: number, into: Uint8Array): void {
    for (let i = 0; i < into.length; i++) {
      const a = addr + i;
      into[i] = this.data.get(Math.floor(a / PAGE))![a % PAGE];
    }
  }

  protected rawWrite(addr: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const a = addr + i;
      this.data.get(Math.floor(a / PAGE))![a % PAGE] = bytes[i];
    }
  }

  protected rawMap(addr: number, len: number): void {
    for (let p = addr / PAGE; p < (addr + len) / PAGE; p++) this.data.set(p, new Uint8Array(PAGE));
  }

  protected rawUnmap(addr: number, len: number): void {
    for (let p = addr / PAGE; p < (addr + len) / PAGE; p++) this.data.delete(p);
  }

  protected rawProtect(): void {}
}
