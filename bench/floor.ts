// The floor no kernel model can beat: the guest on Unicorn with one interrupt hook that
// calls an empty JavaScript function, so each int 0x80 costs only reaching JavaScript
// and coming back. The guest's calls then do nothing (eax keeps the call number); after
// the expected number of calls the run is stopped, at what would be its exit.
import fs from 'node:fs';
import koffi from 'koffi';
import { loadProgram } from '../emulator/loader.js';
import { SeededRandom } from '../kernel-model/random.js';
import { UnicornMemory } from '../emulator/memory.js';
import { UC_HOOK, Unicorn, X86_REG } from '../emulator/unicorn.js';
import { GUEST_DIR } from '../cli/common.js';
import type { Measurement } from './workloads.js';

const lib = koffi.load('libunicorn.so.2');
const IntrHook = koffi.proto('void sc_floor_intr_hook(void *uc, uint32_t intno, void *user)');
const hookAddIntr = lib.func('int uc_hook_add(void *uc, _Out_ size_t *hh, int type, sc_floor_intr_hook *cb, void *user, uint64_t begin, uint64_t end)');

/** One interrupt hook on the whole address space, calling `fn` and nothing else. */
export function hookInterrupts(uc: Unicorn, fn: () => void): void {
  const cb = koffi.register((_uc: unknown, _intno: number) => fn(), koffi.pointer(IntrHook));
  uc.own(cb);
  const out = [0];
  const code = hookAddIntr(uc.handle, out, UC_HOOK.INTR, cb, null, 1, 0) as number;
  if (code !== 0) throw new Error(`uc_hook_add (interrupt): error ${code}`);
}

/** `calls` crossings of `name` with an empty callback each; the last (exit) stops the run. */
export function emptyCallbackFloor(name: string, args: string[], calls: number): Measurement {
  const uc = new Unicorn();
  const { entry, esp } = loadProgram(new UnicornMemory(uc), fs.readFileSync(`${GUEST_DIR}/${name}`), name, { argv: [name, ...args], envp: [], random: new SeededRandom() });
  uc.regWrite(X86_REG.ESP, esp);
  let n = 0;
  const empty = (): void => {};
  hookInterrupts(uc, () => { empty(); if (++n > calls) uc.emuStop(); });
  const start = process.hrtime.bigint();
  uc.emuStart(entry, 0xffffffff);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  uc.close();
  if (n <= calls) throw new Error(`the floor run ended after ${n} of ${calls + 1} crossings`);
  return { workload: `empty-callback floor, ${name}`, seconds, work: n, unit: 'syscalls' };
}
