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
test('shared object', () => refuses(makeElf({ type: 3 }), /ET_DYN/));
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
