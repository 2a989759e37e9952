// The syscluster command line: yargs command modules listed in one array; every
// handler is thin. Bad input ends with one line on stderr and exit code 2.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BadInput } from './common.js';
import * as analyze from './commands/analyze.js';
import * as bench from './commands/bench.js';
import * as profile from './commands/profile.js';
import * as run from './commands/run.js';
import * as scenario from './commands/scenario.js';
import * as step from './commands/step.js';
import * as syscalls from './commands/syscalls.js';
import * as trace from './commands/trace.js';
import * as view from './commands/view.js';
import * as whatif from './commands/whatif.js';

const commands = [run, trace, step, profile, whatif, analyze, scenario, syscalls, bench, view];

function fail(message: string, code: number): never {
  process.stderr.write(`syscluster: ${message}\n`);
  process.exit(code);
}

// A closed pipe (`syscluster step dump | head`) ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err; });

try {
  let cli = yargs(hideBin(process.argv))
    .scriptName('syscluster')
    // Everything after `--` is the guest's (`run busybox sh -- -c 'echo hi'`): see guestRun.
    .parserConfiguration({ 'populate--': true })
    .usage('$0 <command> [options]\n\nA kernel boundary simulator: i386 guests on Unicorn, a TypeScript kernel model,\nand the multi-calls of "System Call Clustering" (Rajagopalan et al.).')
    .strictCommands()
    .strictOptions()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      fail(msg ?? 'bad usage', 2);
    });
  for (const c of commands) cli = cli.command(c as never);
  await cli.parseAsync();
} catch (err) {
  if (err instanceof BadInput) fail(err.message, 2);
  fail(`internal error: ${(err as Error).stack ?? err}`, 70);
}
