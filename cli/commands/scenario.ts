// syscluster scenario <name>: the paper's experiments, side by side with the paper.
import path from 'node:path';
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { controlScenario } from '../../scenarios/control.js';
import { resultMarkdown, resultText, type ScenarioResult } from '../../scenarios/report.js';
import { platform, writeOutput } from '../common.js';

export const command = 'scenario <name>';
export const describe = 'Run the paper\'s experiments and print them beside the paper\'s numbers';

const SCENARIOS = ['control', 'all'] as const;

export function builder(y: Argv) {
  return y
    .positional('name', { type: 'string', choices: SCENARIOS, demandOption: true, describe: 'which experiment' })
    .options({
      platform: { type: 'string', default: 'p2-266', describe: 'one or more platform profiles, comma-separated (built-in names or JSON files)' },
      json: { type: 'boolean', default: false, describe: 'print JSON for scripts' },
      out: { type: 'string', describe: 'also write tables (Markdown, JSON) and charts (SVG) into this folder' },
    })
    .example('$0 scenario control', 'Tables 1 and 2 on the paper\'s laptop')
    .example('$0 scenario control --platform p2-266,p3-650,modern-x86-pti', 'the same on several platforms')
    .example('$0 scenario all --out results', 'every experiment, with files in results/');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  const profiles = a.platform.split(',').map((p) => platform(p.trim()));
  const results: ScenarioResult[] = [];
  for (const p of profiles) {
    if (a.name === 'control' || a.name === 'all') results.push(await controlScenario(p));
  }
  if (a.json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  else process.stdout.write(results.map(resultText).join('\n\n') + '\n');
  if (a.out) {
    for (const r of results) {
      const base = path.join(a.out, `${r.scenario}-${r.platform}`);
      writeOutput(`${base}.md`, resultMarkdown(r));
      writeOutput(`${base}.json`, JSON.stringify(r, null, 2) + '\n');
      for (const [name, svg] of Object.entries(r.charts ?? {})) writeOutput(path.join(a.out, name), svg);
    }
  }
  if (results.some((r) => r.checks.some((c) => !c.ok))) process.exitCode = 1;
}
