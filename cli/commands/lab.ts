// syscluster lab: exercise sheets (labs/*.md) with seeded numbers and computed answers.
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { BadInput } from '../common.js';
import { LABS, labText } from '../labs.js';

export const command = 'lab [name]';
export const describe = 'Lab exercises: questions with numbers of your own (--seed), answers computed by the model (-c)';

export function builder(y: Argv) {
  return y
    .positional('name', { type: 'string', describe: 'the lab (see --list)' })
    .options({
      list: { type: 'boolean', default: false, describe: 'name the labs and their sheets' },
      seed: { type: 'number', default: 1, describe: 'the student\'s seed: different numbers for each' },
      c: { type: 'boolean', default: false, describe: 'print the answers too, computed by running the model' },
      dir: { type: 'string', default: '.', describe: 'where to write the files a lab needs (crossing-cost\'s platform profile)' },
    })
    .example('$0 lab --list', 'the five labs')
    .example('$0 lab copy-blocks --seed 7', 'the questions for seed 7')
    .example('$0 lab copy-blocks --seed 7 -c', 'and their answers, for grading');
}

type Args = ArgumentsCamelCase<ReturnType<typeof builder> extends Argv<infer T> ? T : never>;

export async function handler(a: Args): Promise<void> {
  if (a.list || !a.name) {
    process.stdout.write(LABS.map((l) => `${l.name.padEnd(18)}${l.title} (labs/${l.sheet})`).join('\n') + '\n');
    return;
  }
  const lab = LABS.find((l) => l.name === a.name);
  if (!lab) throw new BadInput(`no lab named "${a.name}" (${LABS.map((l) => l.name).join(', ')})`);
  if (!Number.isInteger(a.seed) || a.seed < 0 || a.seed >= 2 ** 32) throw new BadInput('--seed must be a whole number from 0 to 4294967295');
  const run = await lab.generate(a.seed, a.dir);
  process.stdout.write(labText(lab, a.seed, run, a.c) + '\n');
}
