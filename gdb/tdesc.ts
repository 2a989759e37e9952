// The register layout the stub offers gdb, as a target description (qXfer:features):
// the i386 core registers (general, segment, x87), SSE, and Linux's orig_eax, in the
// order of the `g` packet. With osabi GNU/Linux gdb knows the syscall names for
// `catch syscall` from its own i386-linux table.

export interface RegisterDef {
  name: string;
  bits: number;
  type: string;
  group?: string;
}

const gpr = (name: string, type = 'int32'): RegisterDef => ({ name, bits: 32, type, group: 'general' });

export const REGISTERS: RegisterDef[] = [
  gpr('eax'), gpr('ecx'), gpr('edx'), gpr('ebx'), gpr('esp', 'data_ptr'), gpr('ebp', 'data_ptr'), gpr('esi'), gpr('edi'),
  gpr('eip', 'code_ptr'), gpr('eflags'),
  gpr('cs'), gpr('ss'), gpr('ds'), gpr('es'), gpr('fs'), gpr('gs'),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `st${i}`, bits: 80, type: 'i387_ext', group: 'float' })),
  ...['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'].map((name) => ({ name, bits: 32, type: 'int', group: 'float' })),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `xmm${i}`, bits: 128, type: 'uint128', group: 'vector' })),
  { name: 'mxcsr', bits: 32, type: 'int', group: 'vector' },
  { name: 'orig_eax', bits: 32, type: 'int', group: 'system' },
];

/** Index of a register in the `g` packet and for `p`/`P`. */
export const REG = Object.fromEntries(REGISTERS.map((r, i) => [r.name, i])) as Record<string, number>;

/** The general registers the target reads and writes, in `g` order (eax .. gs). */
export const GENERAL = REGISTERS.slice(0, 16).map((r) => r.name);

function feature(name: string, regs: RegisterDef[], first: number): string {
  const lines = regs.map((r, i) =>
    `    <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${first + i}"${r.group ? ` group="${r.group}"` : ''}/>`);
  return `  <feature name="${name}">\n${lines.join('\n')}\n  </feature>`;
}

export const TARGET_XML = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
  '<target version="1.0">',
  '  <architecture>i386</architecture>',
  '  <osabi>GNU/Linux</osabi>',
  feature('org.gnu.gdb.i386.core', REGISTERS.slice(0, 32), 0),
  feature('org.gnu.gdb.i386.sse', REGISTERS.slice(32, 41), 32),
  feature('org.gnu.gdb.i386.linux', REGISTERS.slice(41), 41),
  '</target>',
].join('\n');
