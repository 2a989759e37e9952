// Guest memory backed by the Unicorn engine. The page bookkeeping and every check live
// in PagedMemory (kernel-model/memory.ts); this class only moves bytes.
import { PagedMemory } from '../kernel-model/memory.js';
import { UC_PROT, type Unicorn } from './unicorn.js';

const toUcProt = (prot: number) => (prot & 1 ? UC_PROT.READ : 0) | (prot & 2 ? UC_PROT.WRITE : 0) | (prot & 4 ? UC_PROT.EXEC : 0);

export class UnicornMemory extends PagedMemory {
  constructor(private readonly uc: Unicorn, maxBytes?: number) {
    super(maxBytes);
  }

  protected rawRead(addr: number, into: Uint8Array): void {
    const err = this.uc.memReadInto(addr, into);
    if (err !== 0) throw new Error(`uc_mem_read at 0x${addr.toString(16)} failed (${err}) on a page the kernel model believes mapped`);
  }

  protected rawWrite(addr: number, bytes: Uint8Array): void {
    const err = this.uc.memWrite(addr, bytes);
    if (err !== 0) throw new Error(`uc_mem_write at 0x${addr.toString(16)} failed (${err}) on a page the kernel model believes mapped`);
  }

  protected rawMap(addr: number, len: number, prot: number): void {
    this.uc.memMap(addr, len, toUcProt(prot));
  }

  protected rawUnmap(addr: number, len: number): void {
    this.uc.memUnmap(addr, len);
  }

  protected rawProtect(addr: number, len: number, prot: number): void {
    this.uc.memProtect(addr, len, toUcProt(prot));
  }
}
