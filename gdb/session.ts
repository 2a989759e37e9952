// `syscluster run --gdb`: load the guest, wait for gdb before its first instruction, and
// serve it until the guest ends or gdb kills it, detaches or goes away.
import { Machine, sharedDisassembler, type RunOptions, type RunResult } from '../emulator/machine.js';
import { serveGdb, type Listen } from './server.js';
import type { SessionEnd } from './stub.js';
import { MachineTarget } from './target.js';

export type GdbEnd = { result: RunResult } | { killed: 'killed' | 'disconnected' };

export async function runUnderGdb(bytes: Uint8Array, name: string, o: RunOptions, where: Listen, say: (line: string) => void): Promise<GdbEnd> {
  const m = new Machine(bytes, name, await sharedDisassembler(), o);
  const target = new MachineTarget(m, o.argv);
  let how: SessionEnd;
  try {
    how = await serveGdb(target, where, (address) => say(`syscluster: ${name}: waiting for gdb on ${address} (in gdb: target remote ${address})`));
  } catch (err) {
    m.debugKill();
    throw err;
  }
  if (target.result) return { result: target.result };
  m.debugKill();
  return { killed: how === 'disconnected' ? 'disconnected' : 'killed' };
}
