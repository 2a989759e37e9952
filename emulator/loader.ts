// Loading an ELF image into guest memory: segments with their permissions (bss zeroed),
// and the initial stack as the i386 System V ABI lays it out.
import { PROT, type PagedMemory } from '../kernel-model/memory.js';
import { BadInput, PAGE_SIZE, PF_R, PF_W, PF_X, USER_TOP, pageDown, pageUp, parseElf, type ElfImage } from './elf.js';

export const STACK_TOP = USER_TOP;
export const STACK_BYTES = 8 * 1024 * 1024;

/** Parses, validates and maps `file`; returns the image and the initial stack pointer. */
export function loadImage(mem: PagedMemory, file: Uint8Array, name: string, argv: string[], envp: string[]): { image: ElfImage; esp: number } {
  const image = parseElf(file, name);
  for (const s of image.segments) {
    const start = pageDown(s.vaddr), end = pageUp(s.vaddr + s.memsz);
    if (!mem.map(start, end - start, PROT.READ | PROT.WRITE)) {
      throw new BadInput(`${name}: segment at 0x${s.vaddr.toString(16)} cannot be mapped`);
    }
    mem.poke(s.vaddr, file.subarray(s.offset, s.offset + s.filesz)); // the rest stays zero (bss)
    const prot = (s.flags & PF_R ? PROT.READ : 0) | (s.flags & PF_W ? PROT.WRITE : 0) | (s.flags & PF_X ? PROT.EXEC : 0);
    mem.protect(start, end - start, prot);
  }
  return { image, esp: buildStack(mem, image, argv, envp) };
}

/** The i386 System V initial stack: argc, argv, envp, auxv, then the strings. */
function buildStack(mem: PagedMemory, image: ElfImage, argv: string[], envp: string[]): number {
  mem.map(STACK_TOP - STACK_BYTES, STACK_BYTES, PROT.READ | PROT.WRITE);
  let sp = STACK_TOP - 16;
  const push = (bytes: Uint8Array) => { sp -= bytes.length; mem.poke(sp, bytes); return sp; };
  const pushString = (s: string) => push(Buffer.from(s + '\0', 'latin1'));
  const execfn = pushString(argv[0] ?? '');
  const argvPtrs = argv.map(pushString);
  const envPtrs = envp.map(pushString);
  const platform = pushString('i686');
  // AT_RANDOM: fixed bytes, so that runs are reproducible.
  const random = push(Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff));
  const auxv: [number, number][] = [
    [3, image.phdrAddress], [4, image.phentsize], [5, image.phnum], [6, PAGE_SIZE], [7, 0], [8, 0], [9, image.entry],
    [11, 0], [12, 0], [13, 0], [14, 0], [15, platform], [16, 0], [17, 100], [23, 0], [25, random],
    [31, execfn], [0, 0],
  ];
  const words = [argv.length, ...argvPtrs, 0, ...envPtrs, 0, ...auxv.flat()];
  sp = Math.floor((sp - words.length * 4) / 16) * 16;
  const vec = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => vec.writeUInt32LE(w >>> 0, i * 4));
  mem.poke(sp, vec);
  return sp;
}
