// syscluster cc prog.c [more.c ...] -o prog: build a guest with the project's runtime.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { BadInput, writeOutput } from '../common.js';
import { CompileFailed, buildGuest, headerFor } from '../guestkit.js';

export const command = 'cc [sources..]';
export const describe = 'Build C files into an i386 guest with the syscluster runtime (#include "syscluster.h")';

export function builder(y: Argv) {
  return y
    .positional('sources', { type: 'string', array: true, default: [], describe: 'C or assembly files (.c, .S)' })
    .options({
      o: { type: 'string', describe: 'the guest file to write (default: the first source without .c)' },
      specialized: { type: 'string', describe: 'a JSON file of specialized calls: generates specialized.h with their numbers and functions' },
      header: { type: 'string', describe: 'write the specialized.h for --specialized to this file instead of building' },
      D: { type: 'string', describe: 'define a macro for the compiler (-D NAME=VALUE; repeat for more)' },
      O: { type: 'string', describe: 'optimisation level for the compiler (default 2)' },
      g: { type: 'boolean', default: false, describe: 'keep debugging information' },
      verbose: { type: 'boolean', default: false, describe: 'print the compiler command' },
    })
    .example('$0 cc show.c -o show', 'build show.c (docs/writing-guests.md); then: syscluster run ./show numbers.txt')
    .example('$0 cc show_fast.c -o show_fast --specialized defs.json', 'with your specialized calls, called by name')
    .example('$0 cc --specialized defs.json --header specialized.h', 'only write the header of call numbers');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export function handler(a: Args): void {
  const sources = (a.sources ?? []).map(String);
  if (a.header !== undefined) {
    if (!a.specialized) throw new BadInput('--header needs --specialized FILE');
    writeOutput(a.header, headerFor(a.specialized));
    return;
  }
  if (sources.length === 0) throw new BadInput('name at least one source file (syscluster cc prog.c -o prog)');
  const output = a.o ?? sources[0].replace(/\.[cSs]$/, '');
  if (output === sources[0]) throw new BadInput('give the output file with -o');
  const defines = a.D === undefined ? [] : ([] as unknown[]).concat(a.D).map(String);
  const extra = [...defines.map((d) => `-D${d}`), ...(a.O !== undefined ? [`-O${a.O}`] : []), ...(a.g ? ['-g'] : [])];
  try {
    const cmd = buildGuest({ sources, output, specialized: a.specialized, extra });
    if (a.verbose) process.stderr.write(cmd.join(' ') + '\n');
  } catch (err) {
    if (err instanceof CompileFailed) {
      process.stderr.write(`syscluster: ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
}
