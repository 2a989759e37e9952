// The ELF loader: a valid image loads; each malformed one is refused with a sentence.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BadInput, parseElf } from '../emulator/elf.js';
import { makeElf } from './helpers.js';

const test = suite('elf');

function refuses(elf: Uint8Array, pattern: RegExp) {
  try {
    parseElf(elf, 'x');
  } catch (err) {
    assert.instance(err, BadInput);
    assert.match((err as Error).message, pattern);
    assert.not.match((err as Error).message, /\n/);
    return;
  }
  assert.unreachable(`accepted, expected ${pattern}`);
}

test('a minimal valid image parses', () => {
  const img = parseElf(makeElf(), 'x');
  assert.is(img.entry, 0x8048080);
  assert.is(img.segments.length, 1);
  assert.is(img.end, 0x8048100);
  assert.is(img.phdrAddress, 0x8048034);
});

test('empty file', () => refuses(new Uint8Array(0), /empty file/));
test('not an ELF', () => refuses(Buffer.from('#!/bin/sh\necho hi\n'), /bad magic/));
test('truncated header', () => refuses(makeElf({ truncateTo: 30 }), /truncated ELF header/));
test('64-bit class', () => refuses(makeElf({ cls: 2 }), /64-bit ELF/));
test('big-endian', () => refuses(makeElf({ data: 2 }), /big-endian/));
test('x86-64 machine', () => refuses(makeElf({ machine: 62 }), /x86-64/));
test('another machine', () => refuses(makeElf({ machine: 40 }), /not an i386 ELF/));
test('relocatable objects are refused (ET_DYN is accepted: PIE programs and interpreters)', () => refuses(makeElf({ type: 1 }), /expected ET_EXEC = 2 or ET_DYN = 3/));
test('relocatable', () => refuses(makeElf({ type: 1 }), /not an executable/));
test('program headers past the end', () => refuses(makeElf({ truncateTo: 60 }), /program headers lie past the end/));
test('PT_LOAD past the end of the file', () =>
  refuses(makeElf({ segments: [{ vaddr: 0x8048000, filesz: 0x5000, memsz: 0x5000, flags: 5 }] }), /past the end of the file/));
test('overlapping segments', () =>
  refuses(makeElf({ segments: [
    { vaddr: 0x8048000, filesz: 0x100, memsz: 0x2000, flags: 5 },
    { vaddr: 0x8049000, filesz: 0x10, memsz: 0x10, flags: 6 },
  ] }), /overlap/));
test('gigabytes of memsz', () =>
  refuses(makeElf({ segments: [{ vaddr: 0x8048000, filesz: 0x100, memsz: 0x80000000, flags: 5 }] }), /asks for \d+ bytes/));
test('entry outside any segment', () => refuses(makeElf({ entry: 0x9000000 }), /entry point 0x9000000 is not inside an executable segment/));
test('entry in a non-executable segment', () =>
  refuses(makeElf({ segments: [{ vaddr: 0x8048000, filesz: 0x100, memsz: 0x100, flags: 6 }] }), /not inside an executable segment/));
test('filesz larger than memsz', () =>
  refuses(makeElf({ segments: [{ vaddr: 0x8048000, filesz: 0x100, memsz: 0x10, flags: 5 }] }), /filesz larger than memsz/));
test('segment into the kernel half', () =>
  refuses(makeElf({ segments: [{ vaddr: 0xbffff000, filesz: 0x100, memsz: 0x2000, flags: 5 }], entry: 0xbffff080 }), /kernel half/));
test('zero page', () =>
  refuses(makeElf({ segments: [{ vaddr: 0, filesz: 0x100, memsz: 0x100, flags: 5 }], entry: 0x80 }), /zero page/));

test.run();

const stack = suite('the initial stack (i386 System V)');

stack('argc, argv, envp and auxv, with the strings they point to', async () => {
  const { ArrayMemory } = await import('../kernel-model/memory.js');
  const { loadProgram } = await import('../emulator/loader.js');
  const { SeededRandom } = await import('../kernel-model/random.js');
  const mem = new ArrayMemory();
  const { image, esp } = loadProgram(mem, makeElf(), 'x', { argv: ['prog', 'one', 'two'], envp: ['HOME=/'], random: new SeededRandom(7) });
  assert.is(esp % 16, 0);
  const word = (i: number) => mem.readU32(esp + 4 * i)!;
  const str = (a: number) => mem.readCString(a, 100);
  assert.is(word(0), 3);
  assert.equal([1, 2, 3].map((i) => str(word(i))), ['prog', 'one', 'two']);
  assert.is(word(4), 0);
  assert.is(str(word(5)), 'HOME=/');
  assert.is(word(6), 0);
  const auxv = new Map<number, number>();
  for (let i = 7; word(i) !== 0; i += 2) auxv.set(word(i), word(i + 1));
  assert.is(auxv.get(3), image.phdrAddress, 'AT_PHDR');
  assert.is(auxv.get(4), 32, 'AT_PHENT');
  assert.is(auxv.get(5), 1, 'AT_PHNUM');
  assert.is(auxv.get(6), 4096, 'AT_PAGESZ');
  assert.is(auxv.get(9), image.entry, 'AT_ENTRY');
  assert.is(mem.read(auxv.get(25)!, 16)!.length, 16, 'AT_RANDOM points at 16 bytes');
  assert.is(str(auxv.get(31)!), 'prog', 'AT_EXECFN');
  // The segment: text mapped read+exec, not writable; its bytes in place.
  assert.ok(mem.isMapped(0x8048000, 0x100, 1 | 4));
  assert.not.ok(mem.isMapped(0x8048000, 1, 2));
  assert.equal([...mem.read(0x8048080, 2)!], [0xb8, 1]);
});

stack('bss is mapped and zeroed past the file\'s bytes', async () => {
  const { ArrayMemory } = await import('../kernel-model/memory.js');
  const { loadProgram } = await import('../emulator/loader.js');
  const { SeededRandom } = await import('../kernel-model/random.js');
  const mem = new ArrayMemory();
  loadProgram(mem, makeElf({ segments: [
    { vaddr: 0x8048000, filesz: 0x100, memsz: 0x100, flags: 5 },
    { vaddr: 0x804a000, offset: 0, filesz: 0x10, memsz: 0x3000, flags: 6 },
  ] }), 'x', { argv: ['p'], envp: [], random: new SeededRandom() });
  assert.ok(mem.isMapped(0x804a000, 0x3000, 2));
  assert.ok(mem.read(0x804a010, 0x2ff0)!.every((b) => b === 0));
});

stack.run();
