// syscluster run <guest> [args...]: run one guest with its own exit code.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { describeOutcome, runGuest } from '../../emulator/machine.js';
import { hostStdio } from '../../host/stdio.js';
import { StraceTracer } from '../../trace/strace.js';
import { formatLedger, formatProcessLedgers } from '../../trace/summary.js';
import { Xv6Tracer } from '../../trace/xv6.js';
import { parseListen } from '../../gdb/server.js';
import { BadInput, guestPositionals, guestRun, openOutput, writeOutput } from '../common.js';
import { writeAllSync } from '../output.js';
import { entryPathOf } from '../../kernel-model/vvar.js';
import type { EntryPath } from '../../kernel-model/cost.js';
import type { CrossingRecord, Tracer } from '../../kernel-model/kernel.js';

export const command = 'run <guest> [args..]';
export const describe = 'Run an i386 guest with every int 0x80 handled by the kernel model';

export function builder(y: Argv) {
  return guestPositionals(y)
    .options({
      strace: { type: 'boolean', default: false, describe: 'print each call on stderr as strace would' },
      'strace-out': { type: 'string', describe: 'write the strace lines to this file instead (like strace -o)' },
      'strace-format': { type: 'string', default: 'strace', choices: ['strace', 'xv6'], describe: 'strace lines, or xv6\'s trace lab lines (`1000: syscall read -> 1023`)' },
      summary: { type: 'boolean', default: false, describe: 'print the cycle ledger on stderr at the end' },
      'json-summary': { type: 'string', describe: 'write the ledger as JSON to this file' },
      gdb: { type: 'string', describe: 'wait for gdb on [HOST:]PORT (loopback unless a host is given) before the first instruction; in gdb: target remote HOST:PORT' },
    })
    .example('$0 run hello', 'run the built-in hello guest')
    .example('$0 run copy in.txt out.txt 512 --strace --root work', 'copy work/in.txt to work/out.txt (the guest sees work/ as /), showing each call')
    .example('$0 run /path/to/i386/busybox --env TZ=UTC0 -- head -n 3 README.md', 'everything after -- goes to the guest, options included')
    .example('$0 run hello --strace --strace-format xv6', 'each call as xv6\'s trace lab prints it')
    .example('$0 run hello --gdb 1234', 'then in another terminal: gdb guest/build/hello -ex "target remote :1234" -ex "catch syscall write" -ex continue')
    .example('$0 run ./a.out --summary --platform modern-x86-pti', 'run your own static i386 binary and show where the cycles went')
    .example('$0 run procs pipe --strace --summary', 'a child writes through a pipe: strace lines carry [pid N], the ledger one row per process');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  const listen = a.gdb === undefined ? undefined : parseListen(a.gdb);
  if (listen === null) throw new BadInput(`--gdb ${a.gdb}: expected [HOST:]PORT, e.g. 1234 or 127.0.0.1:1234`);
  const { guest, options, personalityWhy } = await guestRun(a, hostStdio);
  const { profile, personality: pers } = options;
  const err = (line: string) => process.stderr.write(line + '\n');
  const traceTo = a.straceOut ? openOutput(a.straceOut) : a.strace ? 2 : undefined;
  const trace = (line: string) => writeAllSync(traceTo!, line + '\n');
  const xv6 = a.straceFormat === 'xv6';
  const vdso = options.vdso ?? pers.name === 'modern';
  const vdsoNote = vdso ? `, vDSO (__kernel_vsyscall by ${entryPathOf(profile) === 'sysenter' ? 'sysenter' : 'int 0x80'})` : '';
  if (traceTo !== undefined && !xv6) trace(`syscluster: ${guest.name}: ${pers.name} personality (${personalityWhy}), platform ${profile.name}${vdsoNote}`);
  const tracer = traceTo === undefined ? undefined : xv6 ? new Xv6Tracer(trace) : new StraceTracer(trace);
  const tracers: Tracer[] = tracer ? [tracer] : [];
  // With a vDSO, --summary counts the crossings by the entry path each took.
  const byPath: Record<EntryPath, number> = { int80: 0, sysenter: 0 };
  if (a.summary && vdso) tracers.push({ crossing: (rec: CrossingRecord) => { if (rec.path) byPath[rec.path]++; } });
  let r;
  if (listen) {
    const { runUnderGdb } = await import('../../gdb/session.js');
    const end = await runUnderGdb(guest.bytes, guest.name, { ...options, tracers }, listen, err);
    if ('killed' in end) {
      err(`syscluster: ${guest.name}: ${end.killed === 'killed' ? 'killed by gdb' : 'gdb disconnected: the guest was killed'}`);
      process.exitCode = 128 + 9;
      return;
    }
    r = end.result;
  } else {
    r = await runGuest(guest.bytes, guest.name, { ...options, tracers });
  }
  if (r.outcome.kind !== 'exited') err(`syscluster: ${guest.name}: ${describeOutcome(r.outcome)}`);
  if (a.summary) err(formatLedger(r.kernel.ledger, profile, pers.name));
  if (a.summary && vdso) err(`  entry paths (vDSO): ${byPath.int80} by int 0x80, ${byPath.sysenter} by sysenter`);
  if (a.summary && r.kernel.multiprocess) err(formatProcessLedgers(r.kernel));
  if (a.jsonSummary) {
    writeOutput(a.jsonSummary, JSON.stringify({ guest: guest.name, platform: profile.name, personality: pers.name,
      outcome: r.outcome, exit_code: r.exitCode, ledger: r.kernel.ledger.toJSON(),
      ...(r.kernel.multiprocess ? { processes: [...r.kernel.reaped, ...r.kernel.processes.values()].sort((x, y) => x.pid - y.pid)
        .map((p) => ({ pid: p.pid, ppid: p.parent?.pid ?? p.task.ppid, program: p.task.comm, wstatus: p.wstatus, ledger: p.ledger.toJSON() })) } : {}) }, null, 2) + '\n');
  }
  process.exitCode = r.exitCode;
}
