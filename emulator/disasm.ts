// Capstone (the WebAssembly build) for i386: used to count the instructions of each
// translated block once, and to show the instruction at a trap or a fault.
import { createRequire } from 'node:module';

export interface Instruction {
  address: number;
  size: number;
  mnemonic: string;
  opStr: string;
  bytes: number[];
}

interface CapstoneModule {
  Capstone: new (arch: number, mode: number) => {
    disasm(code: Uint8Array | number[], address: number, count?: number): {
      address: bigint | number; size: number; mnemonic: string; op_str: string; bytes: number[];
    }[];
  };
  ARCH_X86: number;
  MODE_32: number;
}

const require = createRequire(import.meta.url);

export class Disassembler {
  private constructor(private readonly cs: InstanceType<CapstoneModule['Capstone']>) {}

  static async create(): Promise<Disassembler> {
    const mod = require('@alexaltea/capstone-js') as { default?: unknown };
    const factory = (mod.default ?? mod) as (() => Promise<CapstoneModule>) | Promise<CapstoneModule>;
    const cs = await (typeof factory === 'function' ? factory() : factory);
    return new Disassembler(new cs.Capstone(cs.ARCH_X86, cs.MODE_32));
  }

  disasm(code: Uint8Array, address: number, count = 0): Instruction[] {
    if (code.length === 0) return [];
    try {
      return this.cs.disasm(code, address, count).map((i) => ({
        address: Number(i.address), size: i.size, mnemonic: i.mnemonic, opStr: i.op_str, bytes: [...i.bytes],
      }));
    } catch {
      return []; // Capstone throws when the first bytes do not decode
    }
  }
}

export const formatInstruction = (i: Instruction) => `${i.mnemonic}${i.opStr ? ' ' + i.opStr : ''}`;
