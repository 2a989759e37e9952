// From a profile to specialized-call definitions (paper section 3.4): for a frequent
// sequence, each argument becomes a constant when the value profile says it always has
// one value, a reference to an earlier step's result when it always equals it (the
// paper's argument-safety condition, found in the data), or a parameter otherwise.
import { PLAIN_ARGS, PLAIN_ARITY, builtinSpecialized } from '../kernel-model/table.js';
import { validateSpecialized, type ArgSource, type SpecializedDef, type StepDef } from '../kernel-model/specialized.js';
import type { CallEvent, EventLog } from './events.js';
import { occurrences, type Sequence } from './graph.js';

const NUMBER = /^-?\d+$/;

/** Definitions for the given sequences (by call name), those our table can run. */
export function specializedFromProfile(logs: EventLog[], seqs: Sequence[], limit = 3): SpecializedDef[] {
  const byPid = new Map<string, CallEvent[]>();
  logs.forEach((l, li) => l.events.forEach((e) => { const k = `${li}/${e.pid}`; byPid.set(k, [...(byPid.get(k) ?? []), e]); }));
  const defs: SpecializedDef[] = [];
  const taken = new Set([...PLAIN_ARITY.keys(), 'multi_call', ...builtinSpecialized().map((d) => d.name)]);
  for (const s of seqs) {
    const calls = s.calls.map((c) => c.split(' ')[0]);
    if (!calls.every((c) => PLAIN_ARITY.has(c)) || new Set(calls).size === 1) continue;
    const occ: CallEvent[][] = [];
    for (const events of byPid.values()) {
      const names = events.map((e) => e.name);
      for (const st of occurrences(names, calls).starts) occ.push(events.slice(st, st + calls.length));
    }
    if (occ.length < 2) continue;
    const params: string[] = [];
    const chosen: ArgSource[][] = [];
    const steps: StepDef[] = calls.map((call, i) => {
      chosen[i] = Array.from({ length: PLAIN_ARITY.get(call)! }, (_, j): ArgSource => {
        // An earlier result first (it holds whatever the values), then a constant.
        for (let k = 0; k < i; k++) if (occ.every((o) => o[k].result !== null && String(o[k].result) === o[i].args[j])) return { result: k };
        const texts = occ.map((o) => o[i].args[j] ?? '');
        if (texts.every((t) => t === texts[0] && NUMBER.test(t))) return { const: Number(texts[0]) };
        // The same raw word as an earlier step's argument in every occurrence: the same source.
        for (let k = 0; k < i; k++) for (let l = 0; l < chosen[k].length; l++) {
          if (occ.every((o) => o[i].raw !== undefined && o[i].raw![j] === o[k].raw?.[l])) return chosen[k][l];
        }
        const base = PLAIN_ARGS.get(call)![j];
        const name = params.includes(base) ? `${base}${i}` : base;
        params.push(name);
        return { param: name };
      });
      return { call, stop_on_error: true, args: chosen[i] };
    });
    if (params.length > 6) continue;
    const looped = s.longestRun >= 3;
    let name = `${calls.join('_')}${looped ? '_loop' : ''}`.slice(0, 40);
    for (let n = 2; taken.has(name); n++) name = `${calls.join('_')}_${n}`;
    taken.add(name);
    defs.push({
      name, description: `from a profile: ${calls.join(', ')} seen ${s.count} times${looped ? `, up to ${s.longestRun} in a row` : ''}`,
      params, steps, ...(looped ? { loop: { while_positive: 0 } } : {}),
      returns: looped ? { total: calls.length - 1 } : { result: calls.length - 1 },
    });
    if (defs.length >= limit) break;
  }
  // What is emitted must be what --specialized accepts.
  validateSpecialized({ calls: defs }, 'emitted definitions', PLAIN_ARITY, new Set([...PLAIN_ARITY.keys(), 'multi_call', ...builtinSpecialized().map((d) => d.name)]));
  return defs;
}
