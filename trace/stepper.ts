// Stepping through crossings, one at a time: the trap in its code, the registers as
// SAVE_ALL saved them, the decoded call, its costs, and the running ledger. Works on a
// dump (no emulator needed) or on a run recorded first. On a terminal it is interactive;
// otherwise it prints every step, so it can be scripted.
import { PT_REGS_ORDER } from '../kernel-model/boundary.js';
import type { CrossingDump, Trace } from './dump.js';
import { callLines, hex8 } from './formats.js';

/** The running ledger after crossing `i` (0-based). */
function ledgerAt(t: Trace, i: number) {
  const sum = { entry: 0, dispatch: 0, handler: 0, exit: 0 };
  for (let j = 0; j <= i; j++) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += t.crossings[j].cost[k];
  const total = t.crossings[i].cycles.exit;
  return { ...sum, user: total - sum.entry - sum.dispatch - sum.handler - sum.exit, total };
}

export function renderStep(t: Trace, i: number): string {
  const x: CrossingDump = t.crossings[i];
  const l = ledgerAt(t, i);
  const regs = PT_REGS_ORDER.map((r) => `${r.padStart(8)}=${hex8(x.pt_regs[r])}`);
  const rows: string[] = [];
  for (let r = 0; r < regs.length; r += 4) rows.push('  ' + regs.slice(r, r + 4).join(' '));
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  return [
    `crossing ${i + 1} of ${t.crossings.length} (seq ${x.seq})   ${t.header.argv.join(' ')} on ${t.header.platform.name}`,
    '',
    'code around the trap:',
    ...x.disasm.map((d) => `  ${d.trap ? '=>' : '  '} ${hex8(d.address)}  ${d.text}`),
    '',
    'pt_regs, as SAVE_ALL left them on the kernel stack:',
    ...rows,
    '',
    'call:',
    ...callLines(x.call).map((s) => `  ${s}`),
    '',
    `cost: entry ${n(x.cost.entry)} + dispatch ${n(x.cost.dispatch)} + handler ${n(x.cost.handler)} + exit ${n(x.cost.exit)} cycles; ${x.user_instructions} user instructions before it`,
    `ledger so far: user ${n(l.user)}, entry ${n(l.entry)}, dispatch ${n(l.dispatch)}, handler ${n(l.handler)}, exit ${n(l.exit)}; total ${n(l.total)} cycles`,
  ].join('\n');
}

/** Every step, for a pipe or a file. */
export function printAll(t: Trace, write: (s: string) => void): void {
  t.crossings.forEach((_, i) => write(renderStep(t, i) + '\n\n'));
  if (t.footer) write(`end: ${JSON.stringify(t.footer.outcome)}\n`);
}

const HELP = 'keys: n/space/enter next, p previous, g first, G last, /NAME enter next call of NAME, NUMBER enter run that many, q quit';

/** The interactive view on a terminal. Resolves when the user quits. */
export function interactive(t: Trace, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<void> {
  let i = 0, typed = '', message = '';
  const draw = () => output.write(`\x1b[2J\x1b[H${renderStep(t, i)}\n\n${message || HELP}\n${typed ? `> ${typed}` : ''}`);
  const go = (to: number) => { i = Math.max(0, Math.min(t.crossings.length - 1, to)); };
  return new Promise((resolve) => {
    const quit = () => { input.setRawMode(false); input.pause(); input.off('data', onKey); output.write('\n'); resolve(); };
    const onKey = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        message = '';
        if (typed) {
          if (ch === '\r' || ch === '\n') {
            if (typed.startsWith('/')) {
              const name = typed.slice(1), j = t.crossings.findIndex((x, k) => k > i && (x.call.name === name || x.call.sub?.some((s) => s.name === name)));
              if (j >= 0) go(j); else message = `no later call of ${name}`;
            } else go(i + Number(typed));
            typed = '';
          } else if (ch === '\x7f') typed = typed.slice(0, -1);
          else if (ch === '\x1b') typed = '';
          else typed += ch;
          continue;
        }
        if (ch === 'q' || ch === '\x03') return quit();
        if (ch === 'n' || ch === ' ' || ch === '\r' || ch === '\n') go(i + 1);
        else if (ch === 'p') go(i - 1);
        else if (ch === 'g') go(0);
        else if (ch === 'G') go(t.crossings.length - 1);
        else if (ch === '/' || /[0-9]/.test(ch)) typed = ch;
      }
      draw();
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onKey);
    draw();
  });
}
