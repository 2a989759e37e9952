// syscluster view INPUT --out page.html: a trace dump, a strace log or a scenario results
// folder as one self-contained web page.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { ViewInputError, viewPage } from '../../view/input.js';
import { BadInput, writeOutput } from '../common.js';

export const command = 'view <input>';
export const describe = 'Make one self-contained web page (no network) of a trace dump, a strace log or a scenario results folder';

export function builder(y: Argv) {
  return y
    .positional('input', { type: 'string', demandOption: true, describe: 'a trace dump (.jsonl), a strace log, or a folder written by scenario --out' })
    .options({ out: { type: 'string', demandOption: true, describe: 'the HTML file to write' } })
    .example('$0 view copy.jsonl --out copy.html', 'timeline, stepper (keys n, p, /) and syscall graph of a dump')
    .example('$0 view tar.strace --out tar.html', 'the syscall graph and the calls of a real program')
    .example('$0 view results --out results.html', 'every table and chart of `scenario all --out results`');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  let page;
  try {
    page = await viewPage(String(a.input));
  } catch (err) {
    if (err instanceof ViewInputError) throw new BadInput(err.message);
    throw err;
  }
  writeOutput(a.out, page.html);
  process.stderr.write(`syscluster: ${page.kind} view written to ${a.out} (${Math.ceil(page.html.length / 1024).toLocaleString('en-US')} KB)\n`);
}
