// syscluster scenario <name>: the paper's experiments, side by side with the paper.
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { SCENARIO_NAMES, type ScenarioName } from '../../scenarios/names.js';
import { BadInput, outputFolder, platform, writeOutput } from '../common.js';

export const command = 'scenario <name>';
export const describe = 'Run the paper\'s experiments and print them beside the paper\'s numbers';

export function builder(y: Argv) {
  return y
    .positional('name', { type: 'string', choices: [...SCENARIO_NAMES, 'all'], demandOption: true, describe: 'which experiment (all: every one)' })
    .options({
      platform: { type: 'string', default: 'p2-266', describe: 'one or more platform profiles, comma-separated (built-in names or JSON files)' },
      json: { type: 'boolean', default: false, describe: 'print JSON for scripts' },
      out: { type: 'string', describe: 'also write tables (Markdown, JSON) and charts (SVG) into this folder' },
      threads: { type: 'number', describe: 'worker threads for the guest runs (default: one per core)' },
    })
    .example('$0 scenario control', 'Tables 1 and 2 on the paper\'s laptop')
    .example('$0 scenario copy --platform p2-266,modern-x86-pti', 'Table 3 and Figure 8, then and now')
    .example('$0 scenario all --out results', 'every experiment, with Markdown, JSON and SVG files in results/');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  const profiles = a.platform.split(',').map((p) => platform(p.trim()));
  if (a.threads !== undefined && !(Number.isInteger(a.threads) && a.threads >= 1)) throw new BadInput('--threads must be a whole number from 1');
  const names = (a.name === 'all' ? [...SCENARIO_NAMES] : [a.name]) as ScenarioName[];
  if (a.out) outputFolder(a.out); // before the runs: a folder that cannot be made fails at once
  const tty = process.stderr.isTTY === true && !a.json;
  const started = Date.now();
  const progress = tty ? (done: number, total: number, last: string) => {
    const width = 30, filled = Math.round((width * done) / total);
    process.stderr.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} guest runs, ${((Date.now() - started) / 1000).toFixed(0)} s (${last})`);
  } : undefined;
  // The scenarios run guests: the engine is loaded here, not when the command is listed.
  const { acrossPlatforms, runScenarios } = await import('../../scenarios/all.js');
  const { resultMarkdown, resultText } = await import('../../scenarios/report.js');
  const { describeSchedule } = await import('../../scenarios/pool.js');
  let schedule = '';
  const results = await runScenarios(names, profiles, progress, a.threads, (s) => { schedule = describeSchedule(s); });
  const compared = acrossPlatforms(results, profiles);
  if (compared) results.push(compared);
  if (tty) process.stderr.write('\r\x1b[K');
  if (a.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  else process.stdout.write(results.map(resultText).join('\n\n') + '\n');
  if (a.out) {
    for (const r of results) {
      const base = path.join(a.out, r.tables[0].id === 'platforms' ? 'platforms' : `${r.scenario}-${r.platform}`);
      writeOutput(`${base}.md`, resultMarkdown(r));
      writeOutput(`${base}.json`, JSON.stringify(r, null, 2) + '\n');
      for (const [name, svg] of Object.entries(r.charts ?? {})) writeOutput(path.join(a.out, name), svg);
    }
    if (!a.json) process.stdout.write(`\nwritten to ${a.out}/: Markdown, JSON and SVG files, one set per scenario and platform\n`);
  }
  // The schedule goes to stderr: stdout stays the tables (and JSON) alone.
  if (schedule) process.stderr.write(`syscluster: ${schedule}\n`);
  const failed = results.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `${r.scenario}/${r.platform}: ${c.name}`));
  if (failed.length) {
    process.stderr.write(`syscluster: clustering changed behaviour: ${failed.join('; ')}\n`);
    process.exitCode = 1;
  }
}
