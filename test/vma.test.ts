// The address space (kernel-model/mm.ts) and the memory calls on it, on a fake memory:
// placement, MAP_FIXED and MAP_FIXED_NOREPLACE, holes, splits and merges, limits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { AddressSpace, MMAP_BASE, MAX_MAP_COUNT } from '../kernel-model/mm.js';
import { E } from '../kernel-model/errno.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import { profile } from './helpers.js';

const P = 0x1000;
const RW = PROT.READ | PROT.WRITE;
const MAP_PRIVATE = 0x02, MAP_SHARED = 0x01, MAP_FIXED = 0x10, MAP_ANON = 0x20, MAP_NOREPLACE = 0x100000;
const NR = { brk: 45, mmap: 90, munmap: 91, mprotect: 125, mremap: 163, madvise: 219, mmap2: 192, open: 5 };

const vma = suite('AddressSpace');

vma('insert merges equal neighbours; remove splits and leaves holes', () => {
  const s = new AddressSpace();
  s.insert(0x10000, 0x12000, RW, '');
  s.insert(0x12000, 0x14000, RW, '');
  assert.is(s.count, 1);
  s.insert(0x14000, 0x15000, PROT.READ, '');
  assert.is(s.count, 2);
  assert.is(s.mappedBytes, 0x5000);
  const gone = s.remove(0x11000, 0x14800);
  assert.equal(gone.map((v) => [v.start, v.end]), [[0x11000, 0x14000], [0x14000, 0x14800]]);
  assert.equal(s.list().map((v) => [v.start, v.end, v.prot]), [[0x10000, 0x11000, RW], [0x14800, 0x15000, PROT.READ]]);
  assert.ok(s.covers(0x10000, 0x1000, RW));
  assert.not.ok(s.covers(0x10000, 0x2000, PROT.READ), 'a hole breaks coverage');
  assert.ok(s.isFree(0x11000, 0x14800));
});

vma('protect splits the middle of an area and merges back', () => {
  const s = new AddressSpace();
  s.insert(0x10000, 0x20000, RW, '');
  s.protect(0x14000, 0x15000, PROT.READ);
  assert.is(s.count, 3);
  assert.not.ok(s.covers(0x14000, 1, PROT.WRITE));
  s.protect(0x14000, 0x15000, RW);
  assert.is(s.count, 1);
});

vma('top-down first fit below the base, skipping areas', () => {
  const s = new AddressSpace();
  assert.is(s.findFree(0x3000, MMAP_BASE), MMAP_BASE - 0x3000);
  s.insert(MMAP_BASE - 0x2000, MMAP_BASE, RW, '');
  s.insert(MMAP_BASE - 0x6000, MMAP_BASE - 0x4000, RW, '');
  assert.is(s.findFree(0x2000, MMAP_BASE), MMAP_BASE - 0x4000, 'the 2-page hole fits');
  assert.is(s.findFree(0x3000, MMAP_BASE), MMAP_BASE - 0x9000, 'a 3-page request goes below');
  assert.is(s.findFree(0x1000, 0x11000, 0x10000), 0x10000);
  assert.is(s.findFree(0x2000, 0x11000, 0x10000), -1);
});

vma('a million pages cost no more than one (O(areas), not O(pages))', () => {
  const s = new AddressSpace(4 * 1024 ** 3);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) {
    s.insert(0x10000000, 0xb0000000, RW, '');
    assert.ok(s.covers(0x10000000, 0xa0000000, RW));
    s.remove(0x10000000, 0xb0000000);
  }
  assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 500);
});

function setup() {
  const mem = new ArrayMemory(64 * 1024 * 1024);
  const fs = new MemoryFileSystem({ 'lib.so': Buffer.from('A'.repeat(5000) + 'B'.repeat(100)) });
  const k = new Kernel({ profile: profile(), personality: personality('modern'), memory: mem, fs, stdio: new CapturedStdio(), brk: 0x804c123, warn: () => {} });
  mem.map(0x10000, P, RW);
  // Results as the guest reads them: -errno, or an address (unsigned).
  const call = (nr: number, ...args: number[]) => {
    const r = k.dispatch(nr, args.map((a) => a >>> 0)).result;
    return r < 0 && r > -4096 ? r : r >>> 0;
  };
  const str = (s: string) => { mem.write(0x10000, Buffer.from(s + '\0')); return 0x10000; };
  return { k, mem, call, str };
}

const calls = suite('memory calls');

calls('mmap2: anonymous memory, placed top-down, zeroed, with its protection', () => {
  const { call, mem } = setup();
  const a = call(NR.mmap2, 0, 10000, PROT.READ, MAP_PRIVATE | MAP_ANON, -1, 0);
  assert.is(a, MMAP_BASE - 3 * P);
  assert.ok(mem.read(a, 3 * P)!.every((b) => b === 0));
  assert.not.ok(mem.isMapped(a, 1, PROT.WRITE));
  const b = call(NR.mmap2, 0, P, RW, MAP_PRIVATE | MAP_ANON, -1, 0);
  assert.is(b, a - P, 'the next one goes just below');
});

calls('mmap2 argument checks, in Linux\'s order', () => {
  const { call } = setup();
  assert.is(call(NR.mmap2, 0, 0, RW, MAP_PRIVATE | MAP_ANON, -1, 0), -E.EINVAL, 'zero length');
  assert.is(call(NR.mmap2, 0, P, RW, MAP_ANON, -1, 0), -E.EINVAL, 'neither shared nor private');
  assert.is(call(NR.mmap2, 0, P, 8, MAP_PRIVATE | MAP_ANON, -1, 0), -E.EINVAL, 'unknown prot bit');
  assert.is(call(NR.mmap2, 0x20001, P, RW, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0), -E.EINVAL, 'unaligned fixed address');
  assert.is(call(NR.mmap2, 0, P, RW, MAP_PRIVATE, 42, 0), -E.EBADF, 'bad fd');
  assert.is(call(NR.mmap2, 0, 0xf0000000, RW, MAP_PRIVATE | MAP_ANON, -1, 0), -E.ENOMEM, 'larger than the user half');
  assert.is(call(NR.mmap2, 0, 128 * 1024 * 1024, RW, MAP_PRIVATE | MAP_ANON, -1, 0), -E.ENOMEM, 'past --max-memory');
});

calls('MAP_FIXED replaces, MAP_FIXED_NOREPLACE refuses with EEXIST', () => {
  const { call, mem } = setup();
  const a = call(NR.mmap2, 0x40000000, 4 * P, RW, MAP_PRIVATE | MAP_ANON, -1, 0);
  assert.is(a, 0x40000000, 'a free hint is taken');
  mem.write(a + P, Uint8Array.of(7));
  assert.is(call(NR.mmap2, a + P, P, PROT.READ, MAP_PRIVATE | MAP_ANON | MAP_NOREPLACE, -1, 0), -E.EEXIST);
  assert.is(mem.read(a + P, 1)![0], 7);
  assert.is(call(NR.mmap2, a + P, P, PROT.READ, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0), a + P);
  assert.is(mem.read(a + P, 1)![0], 0, 'the replaced page is fresh');
  assert.is(mem.space.overlapping(a, a + 4 * P).length, 3);
});

calls('private file mappings read the file from a page offset; the rest of the page is zero; the offset is kept', () => {
  const { call, str, k, mem } = setup();
  const fd = call(NR.open, str('lib.so'), O.RDONLY, 0);
  call(19, fd, 10, 0); // lseek to 10
  const a = call(NR.mmap2, 0, 2 * P, PROT.READ, MAP_PRIVATE, fd, 1);
  assert.is(Buffer.from(mem.read(a, 4)!).toString(), 'AAAA');
  assert.is(Buffer.from(mem.read(a + 5000 - P, 2)!).toString(), 'BB');
  assert.is(mem.read(a + 5100 - P, 1)![0], 0);
  assert.is(k.fds.get(fd).lseek(0, 1), 10, 'the file offset is where it was');
  assert.is(call(NR.mmap2, 0, P, RW, MAP_SHARED, fd, 0), -E.ENODEV, 'shared writable file mappings are refused');
});

calls('the old mmap (90) takes its arguments in a struct, offset in bytes', () => {
  const { call, mem } = setup();
  const words = [0, 2 * P, RW, MAP_PRIVATE | MAP_ANON, -1, 0];
  mem.write(0x10100, Uint8Array.from(Buffer.concat(words.map((w) => { const b = Buffer.alloc(4); b.writeInt32LE(w); return b; }))));
  const a = call(NR.mmap, 0x10100);
  assert.is(a, MMAP_BASE - 2 * P);
  assert.is(call(NR.mmap, 0x90000000), -E.EFAULT);
});

calls('munmap and mprotect: alignment, holes and unmapped ranges', () => {
  const { call, mem } = setup();
  const a = call(NR.mmap2, 0, 4 * P, RW, MAP_PRIVATE | MAP_ANON, -1, 0);
  assert.is(call(NR.munmap, a + 1, P), -E.EINVAL);
  assert.is(call(NR.munmap, a, 0), -E.EINVAL);
  assert.is(call(NR.munmap, a + P, P), 0);
  assert.is(call(NR.munmap, a, 4 * P), 0, 'holes are fine');
  assert.not.ok(mem.isMapped(a, 1));
  const b = call(NR.mmap2, 0, 2 * P, RW, MAP_PRIVATE | MAP_ANON, -1, 0);
  assert.is(call(NR.mprotect, b, 3 * P, PROT.READ), -E.ENOMEM, 'part of the range is not mapped');
  assert.is(call(NR.mprotect, b + 1, P, PROT.READ), -E.EINVAL);
  assert.is(call(NR.mprotect, b, P, PROT.READ), 0);
  assert.not.ok(mem.isMapped(b, 1, PROT.WRITE));
  assert.ok(mem.isMapped(b + P, 1, PROT.WRITE));
});

calls('mremap grows in place, moves with MREMAP_MAYMOVE keeping the bytes, shrinks', () => {
  const { call, mem } = setup();
  const a = call(NR.mmap2, 0, 2 * P, RW, MAP_PRIVATE | MAP_ANON, -1, 0);
  mem.write(a, Buffer.from('keep'));
  call(NR.mmap2, a + 2 * P, P, RW, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0);
  assert.is(call(NR.mremap, a, 2 * P, 4 * P, 0, 0), -E.ENOMEM, 'no room above, no MAYMOVE');
  const b = call(NR.mremap, a, 2 * P, 4 * P, 1, 0);
  assert.is.not(b, a);
  assert.is(Buffer.from(mem.read(b, 4)!).toString(), 'keep');
  assert.not.ok(mem.isMapped(a, 1), 'the old place is unmapped');
  assert.is(call(NR.mremap, b, 4 * P, P, 0, 0), b);
  assert.not.ok(mem.isMapped(b + P, 1));
  assert.is(call(NR.mremap, 0x50000000, P, 2 * P, 1, 0), -E.EFAULT);
});

calls('madvise(MADV_DONTNEED) zeroes anonymous pages', () => {
  const { call, mem } = setup();
  const a = call(NR.mmap2, 0, P, RW, MAP_PRIVATE | MAP_ANON, -1, 0);
  mem.write(a, Uint8Array.of(9));
  assert.is(call(NR.madvise, a, P, 4), 0);
  assert.is(mem.read(a, 1)![0], 0);
  assert.is(call(NR.madvise, a + 1, P, 4), -E.EINVAL);
  assert.is(call(NR.madvise, 0x50000000, P, 4), -E.ENOMEM);
});

calls('brk grows, shrinks, refuses to cross a mapping, and zeroes what it gives back', () => {
  const { call, mem } = setup();
  assert.is(call(NR.brk, 0), 0x804c123);
  assert.is(call(NR.brk, 0x804e000), 0x804e000);
  mem.write(0x804dfff, Uint8Array.of(1));
  assert.is(call(NR.brk, 0x804d000), 0x804d000);
  assert.not.ok(mem.isMapped(0x804d000, 1));
  assert.is(call(NR.brk, 0x804e000), 0x804e000);
  assert.is(mem.read(0x804dfff, 1)![0], 0);
  call(NR.mmap2, 0x8050000, P, RW, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0);
  assert.is(call(NR.brk, 0x8052000), 0x804e000, 'the heap cannot grow over a mapping');
  assert.is(call(NR.brk, 0x1000), 0x804e000, 'below the start: unchanged');
});

calls('the area count is capped: ENOMEM, never a crash', () => {
  const { call, mem } = setup();
  let last = 0;
  for (let i = 0; i < MAX_MAP_COUNT + 10; i++) {
    last = call(NR.mmap2, 0, P, i % 2 ? RW : PROT.READ, MAP_PRIVATE | MAP_ANON, -1, 0);
    if (last < 0 && last > -4096) break;
  }
  assert.is(last, -E.ENOMEM);
  assert.ok(mem.space.count <= MAX_MAP_COUNT);
});


const slack = suite('the heap\'s backing');

slack('a fixed mapping in the middle of the heap keeps the heap above it readable', () => {
  const { call, mem } = setup();
  call(NR.brk, 0x8060000);
  mem.write(0x805f000, Uint8Array.of(5));
  assert.is(call(NR.mmap2, 0x8050000, P, RW, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0), 0x8050000);
  assert.is(mem.read(0x805f000, 1)![0], 5);
  assert.is(call(NR.mmap2, 0x8070000, P, RW, MAP_PRIVATE | MAP_ANON | MAP_FIXED, -1, 0), 0x8070000, 'a mapping in the slack above the break');
  assert.is(mem.read(0x805f000, 1)![0], 5);
  assert.is(call(NR.brk, 0x8080000), 0x8060000, 'the break cannot grow over it');
});

calls.run();
vma.run();
slack.run();
