// The kernel model's only view of guest memory: checked, little-endian, page-granular.
// A bad guest pointer is a null/false result here and -EFAULT one level up; never an exception.

import { AddressSpace, DEFAULT_MAX_MEMORY, PAGE, TASK_SIZE } from './mm.js';

export { PAGE };
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
  /** Maps fresh zeroed pages (page-aligned); false if any page is already mapped or memory is exhausted. */
  map(addr: number, len: number, prot: number, name?: string): boolean;
  /** Unmaps whatever is mapped in [addr, addr+len) (page-aligned); holes are allowed. */
  unmap(addr: number, len: number): void;
  /** Changes the protection of mapped pages. */
  protect(addr: number, len: number, prot: number): void;
  /** Host-side write that ignores guest protection (loading files into read-only mappings). */
  poke(addr: number, bytes: Uint8Array): void;
  /** Host-side read that ignores guest protection (moving a mapping). */
  peek(addr: number, len: number): Uint8Array;
  /** Moves the program break's mapping from `oldEnd` to `newEnd` (page-aligned); false if it cannot. */
  setHeap(start: number, oldEnd: number, newEnd: number): boolean;
  /** The areas (VMAs) and the limits on them. */
  readonly space: AddressSpace;
}

interface Region { start: number; end: number; prot: number }

/**
 * Backends hold at most this many regions before adjacent equal ones are merged
 * (Unicorn aborts near 4,096 and slows down long before; see MAX_MAP_COUNT).
 */
export const REGION_COMPACT_AT = 600;
/** The heap is backed in chunks of this size, so a break moved one page at a time costs no backend region. */
export const HEAP_CHUNK = 8 * 1024 * 1024;
/** Backing kept above a shrunk break before it is released. */
const HEAP_SLACK_MAX = 4 * HEAP_CHUNK;
/** Merged runs are copied in pieces of at most this size. */
const COMPACT_PIECE = 64 * 1024 * 1024;
const ZEROS = new Uint8Array(64 * 1024);
const FORK_CHUNK = new Uint8Array(64 * 1024);

/**
 * Bookkeeping shared by every backend: the areas (AddressSpace) and the regions the
 * backend holds. Backends supply the raw byte moves; this class does every check, keeps
 * the backend's region count bounded, and costs O(areas touched), never O(pages).
 *
 * The backend's regions mirror the areas exactly, except above the program break:
 * the heap is backed in HEAP_CHUNK pieces, so up to a few MiB past the break may be
 * backed though the kernel model counts it unmapped (a guest may read or write there
 * without a fault; what it finds after the break grows again is zeroed first).
 */
export abstract class PagedMemory implements GuestMemory {
  readonly space: AddressSpace;
  private readonly regions: Region[] = [];
  private heap: { start: number; backedEnd: number; dirtyEnd: number } | undefined;
  /** How many times regions were merged (for tests and measurements). */
  compactions = 0;

  constructor(maxBytes = DEFAULT_MAX_MEMORY) {
    this.space = new AddressSpace(maxBytes);
  }

  protected abstract rawRead(addr: number, into: Uint8Array): void;
  protected abstract rawWrite(addr: number, bytes: Uint8Array): void;
  protected abstract rawMap(addr: number, len: number, prot: number): void;
  protected abstract rawUnmap(addr: number, len: number): void;
  protected abstract rawProtect(addr: number, len: number, prot: number): void;

  /** Regions the backend holds now. */
  get regionCount(): number { return this.regions.length; }

  isMapped(addr: number, len: number, prot: number = PROT.READ): boolean {
    if (!Number.isInteger(addr) || !Number.isInteger(len) || addr < 0 || len < 0 || addr + len > 0x100000000) return false;
    return this.space.covers(addr, len, prot);
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

  map(addr: number, len: number, prot: number, name = ''): boolean {
    if (addr % PAGE !== 0 || len % PAGE !== 0 || len === 0 || addr < 0 || addr + len > 0x100000000) return false;
    const end = addr + len;
    if (!this.space.isFree(addr, end) || !this.space.fits(len)) return false;
    this.releaseHeapSlack(addr, end);
    this.backMap(addr, end, prot);
    this.space.insert(addr, end, prot, name);
    this.compactIfNeeded();
    return true;
  }

  unmap(addr: number, len: number): void {
    for (const v of this.space.remove(addr, addr + len)) this.backUnmap(v.start, v.end);
    this.compactIfNeeded();
  }

  protect(addr: number, len: number, prot: number): void {
    const end = addr + len;
    for (const v of this.space.overlapping(addr, end)) {
      const s = Math.max(v.start, addr), e = Math.min(v.end, end);
      this.backProtect(s, e, prot);
    }
    this.space.protect(addr, end, prot);
    this.compactIfNeeded();
  }

  /**
   * fork: `into` loses everything it maps and gets this memory's areas, backend regions
   * (with their protection and bytes) and heap state.
   */
  copyInto(into: PagedMemory): void {
    for (const v of into.space.list()) into.space.remove(v.start, v.end);
    for (const r of into.regions.splice(0)) into.rawUnmap(r.start, r.end - r.start);
    for (const r of this.regions) {
      into.rawMap(r.start, r.end - r.start, r.prot);
      into.regions.push({ ...r });
      // Fresh backing is zero: only chunks holding something are copied (a stack or heap
      // chunk is mostly untouched, and writing zeros would make the host back it all).
      for (let at = r.start; at < r.end; at += FORK_CHUNK.length) {
        const piece = FORK_CHUNK.subarray(0, Math.min(FORK_CHUNK.length, r.end - at));
        this.rawRead(at, piece);
        if (piece.some((b) => b !== 0)) into.rawWrite(at, piece);
      }
    }
    for (const v of this.space.list()) into.space.insert(v.start, v.end, v.prot, v.name);
    into.heap = this.heap ? { ...this.heap } : undefined;
  }

  /**
   * The end of a vfork (the child execs or exits): the parent's memory becomes what the
   * child left in the address space they share. When the mappings are the same, only the
   * chunks whose bytes differ are written (nothing is unmapped); otherwise as copyInto.
   */
  shareBackInto(into: PagedMemory): void {
    const same = this.regions.length === into.regions.length &&
      this.regions.every((r, i) => r.start === into.regions[i].start && r.end === into.regions[i].end && r.prot === into.regions[i].prot);
    if (!same) return this.copyInto(into);
    const theirs = new Uint8Array(FORK_CHUNK.length);
    for (const r of this.regions) {
      for (let at = r.start; at < r.end; at += FORK_CHUNK.length) {
        const n = Math.min(FORK_CHUNK.length, r.end - at);
        const mine = FORK_CHUNK.subarray(0, n), other = theirs.subarray(0, n);
        this.rawRead(at, mine);
        into.rawRead(at, other);
        if (!mine.every((b, i) => b === other[i])) into.rawWrite(at, mine);
      }
    }
    for (const v of into.space.list()) into.space.remove(v.start, v.end);
    for (const v of this.space.list()) into.space.insert(v.start, v.end, v.prot, v.name);
    into.heap = this.heap ? { ...this.heap } : undefined;
  }

  /** Host-side write that ignores guest protection (the loader filling read-only text). */
  poke(addr: number, bytes: Uint8Array): void {
    if (!this.isMapped(addr, bytes.length, PROT.NONE)) throw new Error(`poke at unmapped 0x${addr.toString(16)}`);
    this.rawWrite(addr, bytes);
  }

  /** Bytes of mapped memory regardless of protection (moving a mapping). */
  peek(addr: number, len: number): Uint8Array {
    if (!this.isMapped(addr, len, PROT.NONE)) throw new Error(`peek at unmapped 0x${addr.toString(16)}`);
    const out = new Uint8Array(len);
    if (len > 0) this.rawRead(addr, out);
    return out;
  }

  setHeap(start: number, oldEnd: number, newEnd: number): boolean {
    const h = (this.heap ??= { start, backedEnd: start, dirtyEnd: start });
    if (newEnd > oldEnd) {
      if (!this.space.isFree(oldEnd, newEnd) || !this.space.fits(newEnd - oldEnd)) return false;
      if (newEnd > h.backedEnd) {
        // Back a whole chunk past the request, stopping short of the next area or region.
        let chunkEnd = Math.min(Math.ceil(newEnd / HEAP_CHUNK) * HEAP_CHUNK, TASK_SIZE);
        const nextArea = this.space.overlapping(newEnd, chunkEnd)[0];
        if (nextArea) chunkEnd = Math.max(newEnd, nextArea.start);
        const nextRegion = this.regions[this.regionAbove(h.backedEnd)];
        if (nextRegion && nextRegion.start < chunkEnd) chunkEnd = Math.max(newEnd, nextRegion.start);
        this.backMap(h.backedEnd, chunkEnd, PROT.READ | PROT.WRITE);
        h.backedEnd = chunkEnd;
      }
      this.zero(oldEnd, Math.min(newEnd, h.dirtyEnd));
      h.dirtyEnd = Math.max(h.dirtyEnd, newEnd);
      this.space.insert(oldEnd, newEnd, PROT.READ | PROT.WRITE, '[heap]');
    } else if (newEnd < oldEnd) {
      this.space.remove(newEnd, oldEnd);
      if (h.backedEnd - newEnd > HEAP_SLACK_MAX) {
        const cut = Math.ceil(newEnd / HEAP_CHUNK) * HEAP_CHUNK;
        if (cut < h.backedEnd) {
          this.backUnmap(cut, h.backedEnd);
          h.backedEnd = cut;
          h.dirtyEnd = Math.min(h.dirtyEnd, cut);
        }
      }
    }
    this.compactIfNeeded();
    return true;
  }

  /** A mapping is about to take [start, end): backing left above the break there goes. */
  private releaseHeapSlack(start: number, end: number): void {
    const h = this.heap;
    if (!h || start >= h.backedEnd) return;
    // The slack starts above the highest area in the heap's range; below it nothing free is backed.
    const cut = this.space.overlapping(h.start, h.backedEnd).reduce((top, v) => Math.max(top, v.end), h.start);
    if (end <= cut) return;
    this.backUnmap(cut, h.backedEnd);
    h.backedEnd = cut;
    h.dirtyEnd = Math.min(h.dirtyEnd, cut);
  }

  private zero(start: number, end: number): void {
    for (let at = start; at < end; at += ZEROS.length) this.rawWrite(at, ZEROS.subarray(0, Math.min(ZEROS.length, end - at)));
  }

  // ------------------------------------------------ the backend's regions, mirrored

  /** Index of the first region ending above `addr`. */
  private regionAbove(addr: number): number {
    let lo = 0, hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.regions[mid].end <= addr) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Splits the mirrored region straddling `addr` (the backend splits its own the same way). */
  private regionSplit(addr: number): void {
    const i = this.regionAbove(addr);
    const r = this.regions[i];
    if (r && r.start < addr) {
      this.regions.splice(i + 1, 0, { ...r, start: addr });
      r.end = addr;
    }
  }

  private backMap(start: number, end: number, prot: number): void {
    if (start >= end) return;
    this.rawMap(start, end - start, prot);
    this.regions.splice(this.regionAbove(start), 0, { start, end, prot });
  }

  private backUnmap(start: number, end: number): void {
    if (start >= end) return;
    this.regionSplit(start);
    this.regionSplit(end);
    const i = this.regionAbove(start);
    let j = i;
    while (j < this.regions.length && this.regions[j].start < end) j++;
    for (const r of this.regions.splice(i, j - i)) this.rawUnmap(r.start, r.end - r.start);
  }

  private backProtect(start: number, end: number, prot: number): void {
    if (start >= end) return;
    this.regionSplit(start);
    this.regionSplit(end);
    for (let i = this.regionAbove(start); i < this.regions.length && this.regions[i].start < end; i++) {
      const r = this.regions[i];
      if (r.prot !== prot) { this.rawProtect(r.start, r.end - r.start, prot); r.prot = prot; }
    }
  }

  /** Merges runs of adjacent regions with equal protection (copying their bytes) once there are too many. */
  private compactIfNeeded(): void {
    if (this.regions.length <= REGION_COMPACT_AT) return;
    this.compactions++;
    const merged: Region[] = [];
    for (let i = 0; i < this.regions.length;) {
      let j = i + 1;
      const first = this.regions[i];
      while (j < this.regions.length && this.regions[j].start === this.regions[j - 1].end && this.regions[j].prot === first.prot
        && this.regions[j].end - first.start <= COMPACT_PIECE) j++;
      const run = { start: first.start, end: this.regions[j - 1].end, prot: first.prot };
      if (j - i > 1) {
        const bytes = new Uint8Array(run.end - run.start);
        this.rawRead(run.start, bytes);
        for (let k = i; k < j; k++) this.rawUnmap(this.regions[k].start, this.regions[k].end - this.regions[k].start);
        this.rawMap(run.start, run.end - run.start, run.prot);
        this.rawWrite(run.start, bytes);
      }
      merged.push(run);
      i = j;
    }
    this.regions.splice(0, this.regions.length, ...merged);
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
