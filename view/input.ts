// What `syscluster view` was given, by its content: a folder of scenario results, a
// trace dump (a JSON header line), or a strace log.
import fs from 'node:fs';
import { InputError } from '../profiler/events.js';
import { TraceError } from '../trace/dump.js';
import { dumpPage } from './dump-data.js';
import { ViewInputError, dumpHtml } from './page.js';

export { ViewInputError };
import { resultsHtml } from './results-page.js';
import { straceHtml } from './strace-page.js';

export async function viewPage(input: string): Promise<{ kind: 'dump' | 'strace' | 'results'; html: string }> {
  let st: fs.Stats;
  try {
    st = fs.statSync(input);
  } catch (err) {
    throw new ViewInputError(`${input}: cannot read (${(err as { code?: string }).code ?? err})`);
  }
  if (st.isDirectory()) return { kind: 'results', html: resultsHtml(input) };
  const fd = fs.openSync(input, 'r');
  const head = Buffer.alloc(1);
  const got = fs.readSync(fd, head, 0, 1, 0);
  fs.closeSync(fd);
  if (got === 1 && head.toString() === '{') {
    try {
      return { kind: 'dump', html: dumpHtml(await dumpPage(input)) };
    } catch (err) {
      if (err instanceof TraceError) throw new ViewInputError(err.message);
      throw err;
    }
  }
  try {
    return { kind: 'strace', html: await straceHtml(input, fs.readFileSync(input, 'utf8')) };
  } catch (err) {
    if (err instanceof InputError) throw new ViewInputError(err.message);
    throw err;
  }
}
