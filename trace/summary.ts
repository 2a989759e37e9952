// The ledger of a run as a small table for people. The ledger's parts are whole cycles
// that add up to its total (cost.ts), so what is printed adds up too.
import { cyclesToMicros, type Ledger, type PlatformProfile } from '../kernel-model/cost.js';

export function formatLedger(l: Ledger, p: PlatformProfile, personality: string): string {
  const total = l.totalCycles;
  const row = (name: string, cycles: number) =>
    `  ${name.padEnd(22)}${cycles.toLocaleString('en-US').padStart(16)}  ${total ? ((100 * cycles) / total).toFixed(1).padStart(5) : '  0.0'}%`;
  return [
    `ledger (platform ${p.name}, ${personality} personality)`,
    row('user', l.userCycles),
    ...(p.indirect ? [row('indirect (after exits)', l.indirect)] : []),
    row('entry (trap+SAVE_ALL)', l.entry),
    row('dispatch', l.dispatch),
    row('handlers', l.handler),
    row('exit (RESTORE_ALL+iret)', l.exit),
    `  ${'total cycles'.padEnd(22)}${total.toLocaleString('en-US').padStart(16)}`,
    `  ${'simulated time'.padEnd(22)}${(cyclesToMicros(p, total) + l.blockedMicros).toFixed(1).padStart(16)} us (${l.blockedMicros.toFixed(1)} us blocked)`,
    `  instructions ${l.instructions.toLocaleString('en-US')}, crossings ${l.crossings}, syscalls ${l.syscalls}`,
  ].join('\n');
}
