// Specialized calls (paper section 3.4) declared as data: a name, parameters, and steps
// that each name a syscall and take arguments from the parameters, constants, or
// earlier steps' results. A call can loop while a chosen step returns more than zero:
// the paper's looped multi-call, a whole loop for one crossing. The built-ins are in
// specialized/builtin.json; users add theirs with --specialized FILE.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SYSCALL_ARG_REGS } from './boundary.js';
import { LIMITS, UserError } from './limits.js';

export type ArgSource = { param: string } | { const: number } | { result: number };

export interface StepDef {
  call: string;
  args: ArgSource[];
  stop_on_error?: boolean;
}

export interface SpecializedDef {
  name: string;
  description?: string;
  params: string[];
  steps: StepDef[];
  loop?: { while_positive: number; max_iterations?: number };
  /** Each step's handler inlined: the profile's specialized.inlined_step_saving_cycles per step. */
  inlined?: boolean;
  returns: { result: number } | { total: number };
}

export class SpecializedError extends UserError {}

/** A looped call returns early, with what it has done, after this many iterations. */
export const MAX_LOOP_ITERATIONS = LIMITS.loopIterations.default;

const here = path.dirname(fileURLToPath(import.meta.url));
export const BUILTIN_SPECIALIZED = path.resolve(here, '../../specialized/builtin.json');

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Checks definitions against the syscall table (`arity` maps each plain call's name to
 * its argument count). Errors name the field: `defs.json: calls[1].steps[0].call: ...`.
 */
export function validateSpecialized(raw: unknown, where: string, arity: Map<string, number>, taken: Set<string>): SpecializedDef[] {
  const fail = (field: string, why: string): never => { throw new SpecializedError(`${where}: ${field}: ${why}`); };
  const calls = (raw as { calls?: unknown })?.calls;
  if (!Array.isArray(calls)) fail('calls', 'must be an array of definitions');
  const seen = new Set(taken);
  return (calls as unknown[]).map((c, ci) => {
    const at = `calls[${ci}]`;
    const d = c as Record<string, unknown>;
    if (!d || typeof d !== 'object') fail(at, 'must be an object');
    if (typeof d.name !== 'string' || !IDENT.test(d.name)) fail(`${at}.name`, 'must be a lower-case identifier');
    const name = d.name as string;
    if (seen.has(name)) fail(`${at}.name`, `"${name}" is already a syscall or specialized call`);
    seen.add(name);
    if (!Array.isArray(d.params) || d.params.some((p) => typeof p !== 'string' || !IDENT.test(p))) fail(`${at}.params`, 'must be an array of identifiers');
    const params = d.params as string[];
    if (params.length > SYSCALL_ARG_REGS.length) fail(`${at}.params`, `at most ${SYSCALL_ARG_REGS.length} (they travel in registers)`);
    if (new Set(params).size !== params.length) fail(`${at}.params`, 'names a parameter twice');
    if (!Array.isArray(d.steps) || d.steps.length === 0) fail(`${at}.steps`, 'must be a non-empty array');
    const steps = (d.steps as unknown[]).map((st, si) => {
      const sat = `${at}.steps[${si}]`;
      const s = st as Record<string, unknown>;
      if (!s || typeof s !== 'object') fail(sat, 'must be an object');
      if (typeof s.call !== 'string' || !arity.has(s.call)) fail(`${sat}.call`, `${JSON.stringify(s.call)} names no plain syscall (batches cannot nest)`);
      const n = arity.get(s.call as string)!;
      if (!Array.isArray(s.args) || s.args.length !== n) fail(`${sat}.args`, `${s.call} takes ${n} arguments`);
      (s.args as unknown[]).forEach((a, ai) => {
        const aat = `${sat}.args[${ai}]`;
        const src = a as Record<string, unknown>;
        const keys = src && typeof src === 'object' ? Object.keys(src) : [];
        if (keys.length !== 1 || !['param', 'const', 'result'].includes(keys[0])) fail(aat, 'must be one of {"param": NAME}, {"const": N}, {"result": STEP}');
        if ('param' in src && !params.includes(src.param as string)) fail(`${aat}.param`, `${JSON.stringify(src.param)} is not a parameter of ${name}`);
        if ('const' in src && (!Number.isInteger(src.const) || (src.const as number) < -(2 ** 31) || (src.const as number) >= 2 ** 32)) fail(`${aat}.const`, 'must be a 32-bit integer');
        if ('result' in src && (!Number.isInteger(src.result) || (src.result as number) < 0 || (src.result as number) >= si)) fail(`${aat}.result`, 'must be the index of an earlier step');
      });
      if (s.stop_on_error !== undefined && typeof s.stop_on_error !== 'boolean') fail(`${sat}.stop_on_error`, 'must be true or false');
      return s as unknown as StepDef;
    });
    const stepIndex = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < steps.length;
    if (d.loop !== undefined) {
      const l = d.loop as Record<string, unknown>;
      if (!l || typeof l !== 'object' || !stepIndex(l.while_positive)) fail(`${at}.loop.while_positive`, 'must be the index of a step');
      if (l.max_iterations !== undefined && (!Number.isInteger(l.max_iterations) || (l.max_iterations as number) < 1 || (l.max_iterations as number) > MAX_LOOP_ITERATIONS)) {
        fail(`${at}.loop.max_iterations`, `must be a whole number from 1 to ${MAX_LOOP_ITERATIONS}`);
      }
    }
    if (d.inlined !== undefined && typeof d.inlined !== 'boolean') fail(`${at}.inlined`, 'must be true or false');
    const r = d.returns as Record<string, unknown>;
    const rkeys = r && typeof r === 'object' ? Object.keys(r) : [];
    if (rkeys.length !== 1 || !['result', 'total'].includes(rkeys[0]) || !stepIndex(r[rkeys[0]])) {
      fail(`${at}.returns`, 'must be {"result": STEP} or {"total": STEP}');
    }
    return d as unknown as SpecializedDef;
  });
}

export function readDefinitions(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SpecializedError(`cannot read ${file}: ${(err as { code?: string }).code ?? err}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SpecializedError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}
