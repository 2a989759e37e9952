import type { Kernel } from '../kernel-model/kernel.js';
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
    ...(l.switches > 0 ? [row(`context switches (${l.switches})`, l.switchCycles)] : []),
    `  ${'total cycles'.padEnd(22)}${total.toLocaleString('en-US').padStart(16)}`,
    `  ${'simulated time'.padEnd(22)}${(cyclesToMicros(p, total) + l.blockedMicros).toFixed(1).padStart(16)} us (${l.blockedMicros.toFixed(1)} us blocked)`,
    `  instructions ${l.instructions.toLocaleString('en-US')}, crossings ${l.crossings}, syscalls ${l.syscalls}`,
    // Calls run by io_uring's SQPOLL thread or the exception-less worker: another core's
    // cycles, not part of this core's total above.
    ...(l.sqpollCycles ? [`  ${'second core'.padEnd(22)}${l.sqpollCycles.toLocaleString('en-US').padStart(16)}  (SQPOLL thread, exception-less worker; not in the total)`] : []),
  ].join('\n');
}

/** One row per process (every process the run had, in pid order), then the total: `--summary` with more than one process. */
export function formatProcessLedgers(k: Kernel): string {
  const all = [...k.reaped, ...k.processes.values()].sort((a, b) => a.pid - b.pid);
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const head = ['pid', 'ppid', 'program', 'ended', 'instructions', 'crossings', 'switches', 'user cycles', 'kernel cycles', 'total cycles'];
  const rows = all.map((p) => [String(p.pid), String(p.parent?.pid ?? p.task.ppid), p.task.comm, endedAs(p.wstatus, p.alive),
    n(p.ledger.instructions), n(p.ledger.crossings), n(p.ledger.switches), n(p.ledger.userCycles), n(p.ledger.kernelCycles), n(p.ledger.totalCycles)]);
  const l = k.ledger;
  rows.push(['total', '', '', '', n(l.instructions), n(l.crossings), n(l.switches), n(l.userCycles), n(l.kernelCycles), n(l.totalCycles)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => '  ' + r.map((c, i) => (i <= 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [`processes (${all.length}; kernel cycles include context switches)`, line(head), ...rows.map(line)].join('\n');
}

function endedAs(w: number, alive: boolean): string {
  if (alive) return 'running';
  if ((w & 0x7f) === 0) return `exit ${(w >> 8) & 0xff}`;
  return `signal ${w & 0x7f}`;
}
