// The guest's address space as Linux keeps it: a sorted list of virtual memory areas
// (VMAs), page-granular, each with its protection and a name ('[heap]', '[stack]', a
// file's path, '' for anonymous memory). Adjacent areas with the same protection and
// name merge, as Linux merges compatible VMAs. Every operation costs O(log n + k) for
// the k areas it touches, never O(pages), so a 1 GiB range is as cheap as one page.

export const PAGE = 0x1000;
/** Guest addresses stop here: the upper quarter is the kernel's (i386, 3G/1G split). */
export const TASK_SIZE = 0xc0000000;
/** Where top-down placement starts: TASK_SIZE less Linux's minimum stack gap of 128 MiB (no randomisation). */
export const MMAP_BASE = TASK_SIZE - 128 * 1024 * 1024;
/** Linux's vm.mmap_min_addr default: nothing is mapped below 64 KiB. */
export const MMAP_MIN_ADDR = 0x10000;
/**
 * How many areas a process may have. Linux allows 65530 (vm.max_map_count); Unicorn's
 * cost per map grows with its region count (1,000 one-page maps take 20 s, 250 take
 * 25 ms), so the limit here is 512: far above what C programs use (a dynamically
 * linked one has a few dozen), low enough that no guest can stall the emulator.
 */
export const MAX_MAP_COUNT = 512;
/** --max-memory's default: the bytes of guest memory a run may map. */
export const DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024;

export interface Vma {
  start: number;
  /** Exclusive. */
  end: number;
  prot: number;
  name: string;
}

export const pageUp = (a: number) => Math.ceil(a / PAGE) * PAGE;
export const pageDown = (a: number) => Math.floor(a / PAGE) * PAGE;

export class AddressSpace {
  private readonly vmas: Vma[] = [];
  private bytes = 0;

  constructor(
    readonly maxBytes = DEFAULT_MAX_MEMORY,
    readonly maxMapCount = MAX_MAP_COUNT,
  ) {}

  get mappedBytes(): number { return this.bytes; }
  get count(): number { return this.vmas.length; }
  /** A copy of the areas, lowest first (for tests and /proc-style listings). */
  list(): Vma[] { return this.vmas.map((v) => ({ ...v })); }

  /** Index of the first area whose end is above `addr` (binary search). */
  private firstEndingAbove(addr: number): number {
    let lo = 0, hi = this.vmas.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.vmas[mid].end <= addr) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** The area holding `addr`, if any. */
  find(addr: number): Vma | undefined {
    const v = this.vmas[this.firstEndingAbove(addr)];
    return v && v.start <= addr ? v : undefined;
  }

  /** The areas meeting [start, end), in order. */
  overlapping(start: number, end: number): Vma[] {
    const out: Vma[] = [];
    for (let i = this.firstEndingAbove(start); i < this.vmas.length && this.vmas[i].start < end; i++) out.push(this.vmas[i]);
    return out;
  }

  /** True when every byte of [addr, addr+len) is mapped with at least `prot`. */
  covers(addr: number, len: number, prot: number): boolean {
    if (len === 0) return true;
    let at = addr;
    const end = addr + len;
    for (let i = this.firstEndingAbove(addr); i < this.vmas.length && at < end; i++) {
      const v = this.vmas[i];
      if (v.start > at || (v.prot & prot) !== prot) return false;
      at = v.end;
    }
    return at >= end;
  }

  isFree(start: number, end: number): boolean {
    const v = this.vmas[this.firstEndingAbove(start)];
    return !v || v.start >= end;
  }

  /**
   * The highest free range of `len` bytes that ends at or below `top` and starts at or
   * above `bottom`: Linux's top-down first fit from mmap_base. -1 when none.
   */
  findFree(len: number, top: number, bottom = MMAP_MIN_ADDR): number {
    const i = this.firstEndingAbove(top);
    let ceiling = i < this.vmas.length && this.vmas[i].start < top ? this.vmas[i].start : top;
    for (let k = i - 1; ; k--) {
      const v = k >= 0 ? this.vmas[k] : undefined;
      const floor = Math.max(v ? v.end : 0, bottom);
      if (ceiling - len >= floor) return ceiling - len;
      if (!v || v.start < bottom + len) return -1;
      ceiling = v.start;
    }
  }

  /** Can `len` more bytes in (at most) `extraAreas` more areas be mapped? */
  fits(len: number, extraAreas = 1): boolean {
    return this.bytes + len <= this.maxBytes && this.vmas.length + extraAreas <= this.maxMapCount;
  }

  /** Records a new area over a free range, merging with equal neighbours. */
  insert(start: number, end: number, prot: number, name: string): void {
    if (start >= end) return;
    const i = this.firstEndingAbove(start);
    const prev = this.vmas[i - 1], next = this.vmas[i];
    if (next && next.start < end) throw new Error(`AddressSpace.insert over a mapped range at 0x${start.toString(16)}`);
    this.bytes += end - start;
    const joinsPrev = prev && prev.end === start && prev.prot === prot && prev.name === name;
    const joinsNext = next && next.start === end && next.prot === prot && next.name === name;
    if (joinsPrev && joinsNext) { prev.end = next.end; this.vmas.splice(i, 1); }
    else if (joinsPrev) prev.end = end;
    else if (joinsNext) next.start = start;
    else this.vmas.splice(i, 0, { start, end, prot, name });
  }

  /** Splits areas so that none straddles `addr`. */
  private splitAt(addr: number): void {
    const i = this.firstEndingAbove(addr);
    const v = this.vmas[i];
    if (v && v.start < addr) {
      this.vmas.splice(i + 1, 0, { ...v, start: addr });
      v.end = addr;
    }
  }

  /** How many more areas removing or changing [start, end) would create (0, 1 or 2 splits less merges). */
  splitsNeeded(start: number, end: number): number {
    const a = this.find(start), b = this.find(end - 1);
    return (a && a.start < start ? 1 : 0) + (b && b.end > end ? 1 : 0);
  }

  /** Forgets [start, end); returns the pieces that were mapped (holes are allowed). */
  remove(start: number, end: number): Vma[] {
    if (start >= end) return [];
    this.splitAt(start);
    this.splitAt(end);
    const i = this.firstEndingAbove(start);
    let j = i;
    while (j < this.vmas.length && this.vmas[j].start < end) j++;
    const gone = this.vmas.splice(i, j - i);
    for (const v of gone) this.bytes -= v.end - v.start;
    return gone;
  }

  /** Sets the protection of [start, end), which must be mapped; merges what became equal. */
  protect(start: number, end: number, prot: number): void {
    this.splitAt(start);
    this.splitAt(end);
    let i = this.firstEndingAbove(start);
    const first = i;
    for (; i < this.vmas.length && this.vmas[i].start < end; i++) this.vmas[i].prot = prot;
    this.mergeAround(Math.max(0, first - 1), Math.min(this.vmas.length - 1, i));
  }

  /** Merges equal neighbours among areas [from, to]. */
  private mergeAround(from: number, to: number): void {
    for (let i = to; i > from; i--) {
      const a = this.vmas[i - 1], b = this.vmas[i];
      if (a && b && a.end === b.start && a.prot === b.prot && a.name === b.name) {
        a.end = b.end;
        this.vmas.splice(i, 1);
      }
    }
  }
}
