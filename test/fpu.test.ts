// The FPU image a signal frame carries, read from and written to Unicorn's registers:
// checked against the engine's own FXSAVE instruction for the x87 part, and round trip.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fxrstor, fxsave } from '../emulator/fpu.js';
import { Unicorn } from '../emulator/unicorn.js';

const test = suite('emulator/fpu.ts: FXSAVE images of the engine');
const AT = 0x10000, DATA = 0x18000;

function engineWith(code: number[]): Unicorn {
  const uc = new Unicorn();
  uc.memMap(AT, 0x10000, 7);
  uc.memWrite(AT, Uint8Array.from(code));
  assert.is(uc.emuStart(AT, AT + code.length), 0);
  return uc;
}

// finit; fld1; fldpi; fldl2e; mov eax, 0x12345678; movd xmm1, eax; fxsave [DATA]
const SETUP = [0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0xeb, 0xd9, 0xea, 0xb8, 0x78, 0x56, 0x34, 0x12, 0x66, 0x0f, 0x6e, 0xc8, 0x0f, 0xae, 0x05, 0x00, 0x80, 0x01, 0x00];

test('the x87 part (control, status, abridged tags, ST0..ST7 in stack order) is what FXSAVE writes', () => {
  const uc = engineWith(SETUP);
  try {
    const real = new Uint8Array(512);
    uc.memReadInto(DATA, real);
    const mine = fxsave(uc);
    assert.equal([...mine.subarray(0, 6)], [...real.subarray(0, 6)]);
    assert.equal([...mine.subarray(32, 160)], [...real.subarray(32, 160)]);
    assert.is(mine[4], 0xe0, 'three registers in use');
    assert.equal([...mine.subarray(176, 180)], [0x78, 0x56, 0x34, 0x12], 'xmm1 (the engine\'s FXSAVE leaves XMM out: CR4.OSFXSR is clear)');
  } finally {
    uc.close();
  }
});

test('fxrstor then fxsave gives the image back, across an FNINIT in between', () => {
  const uc = engineWith(SETUP);
  try {
    const saved = fxsave(uc);
    uc.memWrite(AT, Uint8Array.of(0xdb, 0xe3, 0x0f, 0x57, 0xc9)); // finit; xorps xmm1, xmm1
    assert.is(uc.emuStart(AT, AT + 5), 0);
    assert.not.equal([...fxsave(uc)], [...saved]);
    fxrstor(uc, saved);
    assert.equal([...fxsave(uc)], [...saved]);
  } finally {
    uc.close();
  }
});

test.run();
