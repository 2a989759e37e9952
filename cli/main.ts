// The syscluster command line: yargs command modules listed in one table and loaded
// lazily (only the one being run), so that --help, step, profile and syscalls never load
// koffi or Unicorn. Every handler is thin. Errors end here, in one place:
//   - a user's mistake (UserError: bad ELF, profile, dump, log, definitions, arguments,
//     a missing native library) is one line on stderr and exit code 2;
//   - a limit the run hit is one line naming it, exit code 152 (see the README);
//   - anything else is an internal error: one line and "please report", exit code 70,
//     with the stack trace only under --debug.
import { createRequire } from 'node:module';
import type { Argv, CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { LIMIT_EXIT, LimitExceeded, UserError } from '../kernel-model/limits.js';
import { writeAllSync } from './output.js';

interface Entry { name: string; command: string; describe: string; load: () => Promise<CommandModule> }
const commands: Entry[] = [
  { name: 'run', command: 'run <guest> [args..]', describe: 'Run an i386 guest with every int 0x80 handled by the kernel model', load: () => import('./commands/run.js') as never },
  { name: 'trace', command: 'trace <guest> [args..]', describe: 'Run a guest and write a dump of every kernel crossing (JSON Lines, text, or Chrome/Perfetto)', load: () => import('./commands/trace.js') as never },
  { name: 'step', command: 'step <guest> [args..]', describe: 'Step through kernel crossings of a guest, or of a saved dump (no emulator needed)', load: () => import('./commands/step.js') as never },
  { name: 'profile', command: 'profile <files..>', describe: 'Build the syscall graph (paper Figure 4) from dumps or strace logs, and rank clusters by savings', load: () => import('./commands/profile.js') as never },
  { name: 'whatif', command: 'whatif <dump>', describe: 'Re-cost a dump as if sequences of calls had been one multi-call, specialized or looped call', load: () => import('./commands/whatif.js') as never },
  { name: 'analyze', command: 'analyze <binary>', describe: 'Find clusterable regions in a binary without running it: the five conditions of section 3.2 and the transformations that would help', load: () => import('./commands/analyze.js') as never },
  { name: 'cluster', command: 'cluster <binary>', describe: 'Rewrite a binary\'s clusterable regions into multi-calls (and prove the result with --check)', load: () => import('./commands/cluster.js') as never },
  { name: 'scenario', command: 'scenario <name>', describe: 'Run the paper\'s experiments and print them beside the paper\'s numbers', load: () => import('./commands/scenario.js') as never },
  { name: 'syscalls', command: 'syscalls', describe: 'List the syscalls the kernel model supports, with their numbers and support level', load: () => import('./commands/syscalls.js') as never },
  { name: 'bench', command: 'bench', describe: 'Measure emulation and syscall throughput against raw Unicorn and qemu-i386', load: () => import('./commands/bench.js') as never },
  { name: 'cc', command: 'cc [sources..]', describe: 'Build C files into an i386 guest with the syscluster runtime (#include "syscluster.h")', load: () => import('./commands/cc.js') as never },
  { name: 'lab', command: 'lab [name]', describe: 'Lab exercises: questions with numbers of your own (--seed), answers computed by the model (-c)', load: () => import('./commands/lab.js') as never },
  { name: 'view', command: 'view <input>', describe: 'Make one self-contained web page (no network) of a trace dump, a strace log or a scenario results folder', load: () => import('./commands/view.js') as never },
];

// yargs' CommonJS build: its cliui wraps help on word boundaries (the ESM build's cuts words).
const yargs = createRequire(import.meta.url)('yargs') as (args: string[]) => Argv;

const argv = hideBin(process.argv);
const debug = argv.includes('--debug');

function fail(message: string, code: number): never {
  try {
    writeAllSync(2, `syscluster: ${message}\n`);
  } catch { /* stderr is gone: the exit code still tells */ }
  process.exit(code);
}

// A closed pipe (`syscluster step dump | head`) ends the command quietly.
/** Help's width: SYSCLUSTER_COLUMNS, else the terminal's columns, else 80. */
function helpWidth(): number {
  const env = process.env.SYSCLUSTER_COLUMNS;
  if (env !== undefined && env !== '') {
    if (!/^\d+$/.test(env) || Number(env) < 20) fail(`SYSCLUSTER_COLUMNS must be a whole number of columns, 20 or more (got "${env}")`, 2);
    return Number(env);
  }
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 80;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err; });

try {
  let cli = yargs(argv)
    .scriptName('syscluster')
    // Everything after `--` is the guest's (`run busybox sh -- -c 'echo hi'`): see guestRun.
    .parserConfiguration({ 'populate--': true })
    .usage('$0 <command> [options]\n\nA kernel boundary simulator: i386 guests on Unicorn, a TypeScript kernel model,\nand the multi-calls of "System Call Clustering" (Rajagopalan et al.).')
    .option('debug', { type: 'boolean', default: false, describe: 'show the stack trace of an internal error', global: true, hidden: true })
    .strictCommands()
    .strictOptions()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .wrap(helpWidth())
    .help()
    .version(false)
    .epilogue('Exit codes: the guest\'s own status; 128 + N when a signal N ended it; 152 when a limit was reached; 2 for bad input; 70 for an internal error (please report).')
    .fail((msg, err) => {
      if (err) throw err;
      fail(msg ?? 'bad usage', 2);
    });
  // Only the command being run is loaded; the others are listed by name for --help.
  const first = argv.find((a) => !a.startsWith('-'));
  for (const c of commands) {
    if (c.name === first) cli = cli.command({ ...(await c.load()), command: c.command, describe: c.describe });
    else cli = cli.command(c.command, c.describe, () => {}, () => {});
  }
  await cli.parseAsync();
} catch (err) {
  if (err instanceof UserError) fail(err.message, 2);
  if (err instanceof LimitExceeded) fail(err.message, LIMIT_EXIT);
  const e = err as Error;
  if (debug) fail(`internal error: ${e?.stack ?? e}`, 70);
  fail(`internal error: ${(e?.message ?? String(e)).split('\n')[0]} (please report this, with the command; --debug shows where)`, 70);
}
