// Batches: the multi-call (paper section 2.2, Figure 2) and specialized calls (section
// 3.4). Both run their entries through the same table, handlers and tracers as
// ordinary calls, under one crossing.
//
// Multi-call semantics for bad input, in the order checked:
// - called from inside a batch: -EINVAL (no recursion);
// - count < 1 or > MAX_MULTICALL_ENTRIES: -EINVAL, nothing runs;
// - an entry that cannot be read (args array unmapped): -EFAULT; the entries before it ran
//   and their results were stored;
// - an entry whose params array or an argument pointer is bad: that entry does not run,
//   its result is -EFAULT (stored, and checked like any other failure);
// - an entry naming the multi-call or a specialized call: its result is -EINVAL;
// - a result pointer that is not writable: the entry ran, its result cannot be given
//   back, and the multi-call returns -EFAULT at once;
// - exit or exit_group as an entry ends the guest there.
// Limits (kernel-model/limits.ts): a run may dispatch at most LIMITS.kernelSteps batch
// steps in all (--max-kernel-steps) and one crossing at most LIMITS.crossingSteps; past
// either the run ends (exit code 152). A looped call returns early, with what it has
// done, after its iterations or once its total reaches LIMITS.crossingBytes, so that
// its total always fits the guest's int.
import { E, KernelError, isError } from '../errno.js';
import type { Kernel } from '../kernel.js';
import { LIMITS, LimitExceeded } from '../limits.js';
import { MAX_LOOP_ITERATIONS, type SpecializedDef } from '../specialized.js';
import { arg, type SyscallSpec } from '../syscall.js';

export const MAX_MULTICALL_ENTRIES = LIMITS.multicallEntries.default;

interface StepBudget { limit: number; steps: number; crossing: number; crossingAt: number }
const budgets = new WeakMap<Kernel, StepBudget>();

/** Sets a kernel's budget of batch steps for the whole run (--max-kernel-steps). */
export function setKernelStepLimit(k: Kernel, limit: number): void {
  budgets.set(k, { limit, steps: 0, crossing: 0, crossingAt: -1 });
}

/** Charges one step of a batch against the run's and the crossing's budgets. */
function step(k: Kernel): void {
  let b = budgets.get(k);
  if (!b) budgets.set(k, (b = { limit: LIMITS.kernelSteps.default, steps: 0, crossing: 0, crossingAt: -1 }));
  const at = k.ledger.crossings;
  if (b.crossingAt !== at) { b.crossingAt = at; b.crossing = 0; }
  if (++b.steps > b.limit) throw new LimitExceeded(LIMITS.kernelSteps, b.limit);
  if (++b.crossing > LIMITS.crossingSteps.default) throw new LimitExceeded(LIMITS.crossingSteps, LIMITS.crossingSteps.default);
}
const ENTRY_BYTES = 16;

function refuseNesting(k: Kernel): void {
  if (k.running.depth > 0) throw new KernelError(E.EINVAL);
}

export function multicallSpec(nr: number): SyscallSpec<Kernel> {
  return {
    nr, name: 'multi_call', family: 'batch', support: 'full',
    note: `count 1..${MAX_MULTICALL_ENTRIES} entries of struct sys_params; returns the 1-based index of the first checked failure, or count + 1`,
    args: [arg('count', 'int'), arg('args', 'mcall', 0)],
    handler(k, [count, entries]) {
      refuseNesting(k);
      const n = count | 0;
      if (n < 1 || n > MAX_MULTICALL_ENTRIES) throw new KernelError(E.EINVAL);
      k.work(k.profile.multicall.base_cycles);
      for (let i = 0; i < n; i++) {
        step(k);
        k.work(k.profile.multicall.per_entry_cycles);
        const e = k.copyIn(entries + i * ENTRY_BYTES, ENTRY_BYTES);
        const dv = new DataView(e.buffer, e.byteOffset, ENTRY_BYTES);
        const sub = dv.getInt32(0, true), params = dv.getUint32(4, true), resultPtr = dv.getUint32(8, true), check = dv.getInt32(12, true);
        const spec = k.personality.table.get(sub);
        let result: number;
        if (spec?.family === 'batch') {
          result = -E.EINVAL;
        } else {
          // Arguments are passed by reference and read now, so an earlier entry's result can be one.
          let args: number[] | undefined;
          try {
            args = (spec?.args ?? []).map((_, j) => k.getU32(k.getU32(params + 4 * j)));
          } catch (err) {
            if (!(err instanceof KernelError)) throw err;
          }
          result = args ? k.dispatch(sub, args, i > 0 ? k.profile.batch.warm_step_saving_cycles : 0).result : -E.EFAULT;
        }
        if (k.exited) return 0;
        k.putU32(resultPtr, result);
        if (isError(result) && check !== 0) return i + 1;
      }
      return n + 1;
    },
  };
}

export function specializedSpec(nr: number, def: SpecializedDef, numberOf: (call: string) => number): SyscallSpec<Kernel> {
  const steps = def.steps.map((s) => ({ ...s, nr: numberOf(s.call) }));
  const limit = def.loop?.max_iterations ?? MAX_LOOP_ITERATIONS;
  const returns = def.returns as { result?: number; total?: number };
  return {
    nr, name: def.name, family: 'batch', support: 'full', note: def.description,
    args: def.params.map((p) => arg(p, 'uint')),
    handler(k, regs) {
      refuseNesting(k);
      k.work(k.profile.specialized.base_cycles);
      const inlined = def.inlined ? k.profile.specialized.inlined_step_saving_cycles : 0;
      const warm = k.profile.batch.warm_step_saving_cycles;
      let total = 0, results: number[] = [], first = true;
      for (let iteration = 0; iteration < (def.loop ? limit : 1); iteration++) {
        results = [];
        for (const [i, s] of steps.entries()) {
          const args = s.args.map((a) =>
            'param' in a ? regs[def.params.indexOf(a.param)] : 'const' in a ? a.const >>> 0 : results[a.result] >>> 0);
          step(k);
          const r = k.dispatch(s.nr, args, inlined + (first ? 0 : warm)).result;
          first = false;
          results[i] = r;
          if (k.exited) return 0;
          if (isError(r) && s.stop_on_error) return r;
          if (def.loop && i === def.loop.while_positive && r <= 0) {
            return returns.total !== undefined ? total : results[returns.result!] ?? r;
          }
        }
        if (returns.total !== undefined) {
          total += results[returns.total];
          if (total >= LIMITS.crossingBytes.default) return total; // what fits the guest's int: returns early
        }
      }
      return returns.total !== undefined ? total : results[returns.result!];
    },
  };
}
