// set_thread_area, get_thread_area and modify_ldt on a fake memory and fake descriptor
// tables: struct user_desc in full, the slot choice for entry -1, Linux's checks, and the
// descriptor words (checked against qemu-i386's encoding, linux-user/syscall.c).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { E } from '../kernel-model/errno.js';
import { personality } from '../kernel-model/table.js';
import { CapturedStdio, MemoryFileSystem } from '../kernel-model/vfs.js';
import { decodeUserDesc, encodeDescriptor, encodeUserDesc, type Descriptor, type UserDesc } from '../kernel-model/sys/tls.js';
import { profile, run } from './helpers.js';

const U = 0x10000;
const SET = 243, GET = 244, LDT = 123;

function setup() {
  const mem = new ArrayMemory();
  mem.map(U, 0x1000, PROT.READ | PROT.WRITE);
  const gdt = new Map<number, Descriptor>(), ldt = new Map<number, Descriptor>();
  const k = new Kernel({ profile: profile(), personality: personality('modern'), memory: mem, fs: new MemoryFileSystem({}),
    stdio: new CapturedStdio(), brk: 0x804c000, warn: () => {},
    descriptors: { setGdtEntry: (i, d) => gdt.set(i, d), setLdtEntry: (i, d) => ldt.set(i, d) } });
  const call = (nr: number, ...args: number[]) => k.dispatch(nr, args.map((a) => a >>> 0)).result;
  const put = (u: Partial<UserDesc>, at = U) => {
    mem.write(at, encodeUserDesc({ entryNumber: -1, baseAddr: 0, limit: 0, seg32bit: 1, contents: 0, readExecOnly: 0,
      limitInPages: 1, segNotPresent: 0, useable: 1, ...u }));
    return at;
  };
  const get = (at = U) => decodeUserDesc(mem.read(at, 16)!);
  return { k, mem, gdt, ldt, call, put, get };
}

/** qemu-i386's do_set_thread_area: entry_1 and entry_2 from the same fields. */
function qemuWords(u: UserDesc): Descriptor {
  const e1 = ((u.baseAddr & 0xffff) << 16) | (u.limit & 0xffff);
  const e2 = (u.baseAddr & 0xff000000) | ((u.baseAddr & 0x00ff0000) >>> 16) | (u.limit & 0xf0000) | ((u.readExecOnly ^ 1) << 9)
    | (u.contents << 10) | ((u.segNotPresent ^ 1) << 15) | (u.seg32bit << 22) | (u.limitInPages << 23) | (u.useable << 20) | 0x7000;
  return [e1 >>> 0, e2 >>> 0];
}

const t = suite('set_thread_area / get_thread_area');

t('entry -1 takes the first free TLS slot (6, 7, 8), writes it back, then ESRCH', () => {
  const { call, put, get, gdt } = setup();
  for (const want of [6, 7, 8]) {
    assert.is(call(SET, put({ baseAddr: 0x8244380 + want })), 0);
    assert.is(get().entryNumber, want);
    assert.ok(gdt.has(want));
  }
  assert.is(call(SET, put({ baseAddr: 1 })), -E.ESRCH);
});

t('the descriptor matches qemu-i386\'s words (the accessed bit aside)', () => {
  const { call, put, gdt } = setup();
  const u: UserDesc = { entryNumber: -1, baseAddr: 0x8244380, limit: 0xfffff, seg32bit: 1, contents: 0, readExecOnly: 0,
    limitInPages: 1, segNotPresent: 0, useable: 1 };
  call(SET, put(u));
  const [lo, hi] = gdt.get(6)!;
  const [qlo, qhi] = qemuWords(u);
  assert.is(lo, qlo);
  assert.is(hi & ~0x100, qhi);
  assert.equal(encodeDescriptor(u), [lo, hi]);
});

t('get_thread_area reads every field back', () => {
  const { call, put, get } = setup();
  call(SET, put({ entryNumber: 7, baseAddr: 0xdeadb000, limit: 0x12345, limitInPages: 0, useable: 0, readExecOnly: 1, contents: 1 }));
  put({ entryNumber: 7, baseAddr: 0, limit: 0 });
  assert.is(call(GET, U), 0);
  assert.equal(get(), { entryNumber: 7, baseAddr: 0xdeadb000, limit: 0x12345, seg32bit: 1, contents: 1, readExecOnly: 1,
    limitInPages: 0, segNotPresent: 0, useable: 0 });
  put({ entryNumber: 8 });
  call(GET, U);
  const empty = get();
  assert.is(empty.readExecOnly, 1, 'an empty slot reads back as Linux shows it');
  assert.is(empty.segNotPresent, 1);
  assert.is(empty.baseAddr, 0);
});

t('Linux\'s checks: EFAULT, EINVAL for slots outside 6-8, 16-bit, code or absent segments', () => {
  const { call, put } = setup();
  assert.is(call(SET, 0x90000000), -E.EFAULT);
  assert.is(call(SET, put({ entryNumber: 5 })), -E.EINVAL);
  assert.is(call(SET, put({ entryNumber: 9 })), -E.EINVAL);
  assert.is(call(SET, put({ seg32bit: 0 })), -E.EINVAL);
  assert.is(call(SET, put({ contents: 2 })), -E.EINVAL);
  assert.is(call(SET, put({ segNotPresent: 1 })), -E.EINVAL);
  assert.is(call(GET, put({ entryNumber: 12 })), -E.EINVAL);
  assert.is(call(GET, 0x90000000), -E.EFAULT);
});

t('an empty user_desc clears a slot, which entry -1 then reuses', () => {
  const { call, put, gdt } = setup();
  call(SET, put({}));
  assert.is(call(SET, put({ entryNumber: 6, seg32bit: 0, limitInPages: 0, useable: 0, readExecOnly: 1, segNotPresent: 1 })), 0);
  assert.equal(gdt.get(6), [0, 0]);
  call(SET, put({}));
  assert.equal(decodeUserDesc(setup().mem.read(U, 16) ?? new Uint8Array(16)).entryNumber, 0);
});

const l = suite('modify_ldt');

l('writes (old and new mode), reads back, clears; bad requests get EINVAL or ENOSYS', () => {
  const { call, put, ldt, mem } = setup();
  assert.is(call(LDT, 0, U + 0x100, 64), 0, 'no LDT yet: nothing read');
  assert.is(call(LDT, 0x11, put({ entryNumber: 3, baseAddr: 0x1000 }), 16), 0);
  assert.ok(ldt.has(3));
  assert.is(call(LDT, 0, U + 0x100, 64), 64);
  const words = new DataView(mem.read(U + 0x100 + 24, 8)!.buffer);
  assert.equal([words.getUint32(0, true), words.getUint32(4, true)], ldt.get(3));
  assert.is(call(LDT, 1, put({ entryNumber: 4, useable: 1, baseAddr: 0x2000 }), 16), 0);
  assert.is((ldt.get(4)![1] >>> 20) & 1, 0, 'old mode clears useable');
  assert.is(call(LDT, 1, put({ entryNumber: 3, baseAddr: 0, limit: 0 }), 16), 0);
  assert.equal(ldt.get(3), [0, 0], 'old mode: base and limit 0 clear the entry');
  assert.is(call(LDT, 2, U + 0x100, 100), 40, 'the default LDT: 5 empty entries');
  assert.is(call(LDT, 0x11, put({ entryNumber: 8192 }), 16), -E.EINVAL);
  assert.is(call(LDT, 0x11, put({ entryNumber: 1 }), 12), -E.EINVAL);
  assert.is(call(LDT, 1, put({ entryNumber: 1, contents: 3 }), 16), -E.EINVAL);
  assert.is(call(LDT, 7, U, 16), -E.ENOSYS);
});

const emu = suite('TLS on the emulated CPU');

emu('a %gs-relative load reaches the block set_thread_area described', async () => {
  const r = await run('tls', [], { personality: personality('modern') });
  assert.equal(r.outcome, { kind: 'exited', status: 42 });
  assert.ok(r.kernel.segments.tls[0][1] !== 0, 'slot 6 was taken');
});

t.run();
l.run();
emu.run();
