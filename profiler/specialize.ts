// From a profile to specialized-call definitions (paper section 3.4), emitted only when
// they are safe. Each argument is a constant when the value profile says it always has one
// value, a reference to an earlier step's result when that result feeds it (the paper's
// argument-safety condition: from the binary's data flow when the dump names its binary,
// from the trace otherwise), or a parameter. A loop is emitted once, in the rotation that
// starts with the call whose result ends it, and stops on that same test (result 0 or
// less). A call returns the result its caller goes on to use. Then every definition is
// replayed on the kernel model against the trace it came from: it must make the same
// calls with the same results and stop where the program stopped, or it is not emitted.
import type { PlatformProfile } from '../kernel-model/cost.js';
import { Kernel } from '../kernel-model/kernel.js';
import { ArrayMemory, PROT } from '../kernel-model/memory.js';
import { PLAIN_ARGS, PLAIN_ARITY, builtinSpecialized, personality } from '../kernel-model/table.js';
import { validateSpecialized, type ArgSource, type SpecializedDef, type StepDef } from '../kernel-model/specialized.js';
import type { UserRegs } from '../kernel-model/boundary.js';
import type { ArgKind } from '../kernel-model/syscall.js';
import { CapturedStdio, MemoryFileSystem, O } from '../kernel-model/vfs.js';
import type { Region } from '../analysis/regions.js';
import type { CallEvent, EventLog } from './events.js';
import { occurrences, type Sequence } from './graph.js';

const NUMBER = /^-?\d+$/;

export interface Rejected { calls: string[]; why: string }

export interface SpecializeOptions {
  limit?: number;
  /** The platform the replay check runs on. */
  profile: PlatformProfile;
  /** Regions of the binary the logs came from, when it is at hand. */
  regions?: Region[];
}

const KINDS = new Map(personality('paper').table.size ? [...personality('paper').table.values()].map((s) => [s.name, s.args]) : []);
const argKind = (call: string, j: number): ArgKind | undefined => KINDS.get(call)?.[j]?.kind;

/** May a result feed this argument? A descriptor, a plain number, or the length of bytes handed in (write's count). */
function resultMayFeed(call: string, j: number): boolean {
  const kind = argKind(call, j);
  if (kind === 'fd' || kind === 'int' || kind === 'uint') return true;
  if (kind === 'size') return (KINDS.get(call) ?? []).some((a) => a.kind === 'buf_in' && a.len === j);
  return false;
}

/** Definitions for the given sequences (by call name) that our table can run and that pass the replay check. */
export function specializedFromProfile(logs: EventLog[], seqs: Sequence[], o: SpecializeOptions): { defs: SpecializedDef[]; rejected: Rejected[] } {
  const limit = o.limit ?? 3;
  const byPid = new Map<string, CallEvent[]>();
  logs.forEach((l, li) => l.events.forEach((e) => {
    const k = `${li}/${e.pid}`;
    const list = byPid.get(k);
    if (list) list.push(e); else byPid.set(k, [e]);
  }));
  const defs: SpecializedDef[] = [];
  const rejected: Rejected[] = [];
  const taken = new Set([...PLAIN_ARITY.keys(), 'multi_call', ...builtinSpecialized().map((d) => d.name)]);
  const loops = new Set<string>();
  const producers = feedingCalls(byPid);
  for (const s of seqs) {
    if (defs.length >= limit) break;
    const calls = s.calls.map((c) => c.split(' ')[0]);
    if (!calls.every((c) => PLAIN_ARITY.has(c)) || new Set(calls).size === 1) continue;
    const occ: CallEvent[][] = [];
    const spans: CallEvent[][] = [];
    for (const events of byPid.values()) {
      const names = events.map((e) => e.name);
      for (const st of occurrences(names, calls).starts) { occ.push(events.slice(st, st + calls.length)); spans.push(events.slice(st)); }
    }
    if (occ.length < 2) continue;
    // A loop: listed once, in the rotation whose first call's result ends it.
    let looped = false;
    if (s.longestRun >= 3) {
      const key = [...calls].sort().join();
      if (loops.has(key)) continue;
      const exit = loopExit(byPid, calls);
      if (exit === 'other-rotation') continue;
      if (exit === 'ends') { looped = true; loops.add(key); }
    }
    // What the binary says about each consecutive pair.
    const pairRegion = (i: number) => o.regions?.find((r) => r.kind !== 'loop' && r.calls[0] === calls[i - 1] && r.calls[1] === calls[i]);
    const never = calls.slice(1).map((_, k) => pairRegion(k + 1)).find((r) => r?.never);
    if (never) { rejected.push({ calls, why: `never clusterable: ${never.never}` }); continue; }
    if (o.regions && calls.slice(1).some((_, k) => !pairRegion(k + 1))) { rejected.push({ calls, why: 'no such pair of consecutive calls in the binary' }); continue; }
    const params: string[] = [];
    const chosen: ArgSource[][] = [];
    const feeds = new Set<number>();
    let unsafe: string | undefined;
    const steps: StepDef[] = calls.map((call, i) => {
      const region = i > 0 ? pairRegion(i) : undefined;
      chosen[i] = Array.from({ length: PLAIN_ARITY.get(call)! }, (_, j): ArgSource => {
        const texts = occ.map((x) => x[i].args[j] ?? '');
        const src = region?.arguments.find((a) => a.arg === j)?.kind;
        if (src === 'expression-of-result') unsafe = `${call}'s argument ${j + 1} is an expression of a result`;
        const fromResult = (k: number) => occ.every((x) => x[k].result !== null && String(x[k].result) === x[i].args[j]);
        if (src === 'result' && fromResult(i - 1)) { feeds.add(i - 1); return { result: i - 1 }; }
        if (src === undefined) {
          // The nearest earlier step that produces such values (read's count for write's), as the program's data flows.
          for (let k = i - 1; k >= 0; k--) if (resultMayFeed(call, j) && producers.has(calls[k]) && fromResult(k)) { feeds.add(k); return { result: k }; }
        }
        // A length the caller computes from data (write's count) stays the caller's unless the binary shows a constant.
        const dataLength = argKind(call, j) === 'size' && resultMayFeed(call, j) && src !== 'constant';
        if (!dataLength && texts.every((t) => t === texts[0] && NUMBER.test(t))) return { const: Number(texts[0]) };
        // The same raw word as an earlier step's argument in every occurrence: the same source.
        for (let k = 0; k < i; k++) for (let l = 0; l < chosen[k].length; l++) {
          if ('result' in chosen[k][l]) continue;
          if (occ.every((x) => x[i].raw !== undefined && x[i].raw![j] === x[k].raw?.[l])) return chosen[k][l];
        }
        const base = PLAIN_ARGS.get(call)![j];
        const name = params.includes(base) ? `${base}${i}` : base;
        params.push(name);
        return { param: name };
      });
      return { call, stop_on_error: true, args: chosen[i] };
    });
    if (unsafe) { rejected.push({ calls, why: unsafe }); continue; }
    if (params.length > 6) { rejected.push({ calls, why: 'more than six parameters' }); continue; }
    let name = `${calls.join('_')}${looped ? '_loop' : ''}`.slice(0, 40);
    for (let n = 2; taken.has(name); n++) name = `${calls.join('_')}_${n}`;
    // A call returns what its caller goes on to use: the last step whose kind of result the program feeds on (read's byte count), else the last step.
    const used = Math.max(...calls.map((c, i) => (producers.has(c) ? i : -1)), feeds.size ? -1 : calls.length - 1, 0);
    const def: SpecializedDef = {
      name, description: `from a profile: ${calls.join(', ')} seen ${s.count} times${looped ? `, up to ${s.longestRun} in a row; loops while ${calls[0]} returns more than 0` : ''}`,
      params, steps, ...(looped ? { loop: { while_positive: 0 } } : {}),
      returns: looped ? { total: used } : { result: used },
    };
    const why = replayCheck(def, occ[0], spans[0], looped, o.profile);
    if (why) { rejected.push({ calls, why: `replay check: ${why}` }); continue; }
    taken.add(name);
    defs.push(def);
  }
  // What is emitted must be what --specialized accepts.
  validateSpecialized({ calls: defs }, 'emitted definitions', PLAIN_ARITY, new Set([...PLAIN_ARITY.keys(), 'multi_call', ...builtinSpecialized().map((d) => d.name)]));
  return { defs, rejected };
}

/** Calls whose results the program passes on: in the trace, the next call's argument equals the result, where a result may feed it. */
function feedingCalls(byPid: Map<string, CallEvent[]>): Set<string> {
  const seen = new Map<string, { fed: number; of: number }>();
  for (const events of byPid.values()) {
    events.forEach((e, n) => {
      const next = events[n + 1];
      if (!next || e.result === null || e.result <= 0) return;
      const rec = seen.get(e.name) ?? { fed: 0, of: 0 };
      rec.of++;
      if (next.args.some((a, j) => resultMayFeed(next.name, j) && a === String(e.result))) rec.fed++;
      seen.set(e.name, rec);
    });
  }
  // Most of its results fed on (a write's result equal to the next read's count by chance stays rare).
  return new Set([...seen].filter(([, r]) => r.fed > r.of / 2).map(([name]) => name));
}

/**
 * How a repeated sequence ends in the trace: 'ends' when the call after its longest run
 * is its first call again with a result of 0 or less (the loop's test), 'other-rotation'
 * when that is so for another rotation of it, 'none' when no run ends on a test.
 */
function loopExit(byPid: Map<string, CallEvent[]>, calls: string[]): 'ends' | 'other-rotation' | 'none' {
  const endsOn = (rot: string[]) => {
    for (const events of byPid.values()) {
      const names = events.map((e) => e.name);
      const { starts } = occurrences(names, rot);
      if (starts.length < 2) continue;
      const after = events[starts[starts.length - 1] + rot.length];
      if (after && after.name === rot[0] && after.result !== null && after.result <= 0) return true;
    }
    return false;
  };
  if (endsOn(calls)) return 'ends';
  for (let r = 1; r < calls.length; r++) if (endsOn([...calls.slice(r), ...calls.slice(0, r)])) return 'other-rotation';
  return 'none';
}

const RW_LIMIT = 1 << 20;

/**
 * Runs the definition on the kernel model from the state the trace shows at its first
 * occurrence (the descriptors it used, files as long as the trace read, its buffers
 * mapped) and compares the calls it makes with the trace: same calls, same results, and
 * for a loop, the same number of iterations and the stop where the program stopped.
 */
function replayCheck(def: SpecializedDef, first: CallEvent[], span: CallEvent[], looped: boolean, profile: PlatformProfile): string | undefined {
  if (first.some((e) => !e.raw)) return 'the log has no raw argument words (a strace log), so the definition cannot be replayed';
  // The program's own span: one occurrence, or the whole loop up to the call that ended it.
  let expected = first;
  if (looped) {
    let n = 0;
    while (n + def.steps.length <= span.length && def.steps.every((s, i) => span[n + i].name === s.call)) n += def.steps.length;
    if (n < span.length && span[n].name === def.steps[0].call) n++;
    expected = span.slice(0, n);
  }
  const mem = new ArrayMemory();
  const mapped = new Set<number>();
  for (const e of expected) for (const w of e.raw ?? []) {
    if (w < 0x10000 || w >= 0xc0000000) continue;
    const page = Math.floor(w / 0x1000) * 0x1000;
    for (let p = page; p < page + 0x11000 && p < 0xc0000000; p += 0x1000) if (!mapped.has(p)) { mem.map(p, 0x1000, PROT.READ | PROT.WRITE); mapped.add(p); }
  }
  // Descriptors: every file the span reads is as long as what the trace read from it from here on.
  const fds = new Map<number, 'in' | 'out'>();
  for (const e of expected) {
    const specs = KINDS.get(e.name) ?? [];
    specs.forEach((a, j) => { if (a.kind === 'fd' && e.raw) fds.set(e.raw[j], e.name === 'read' || fds.get(e.raw[j]) === 'in' ? 'in' : 'out'); });
  }
  const readFrom = (fd: number) => span.filter((e) => e.name === 'read' && e.raw?.[0] === fd && (e.result ?? 0) > 0).reduce((t, e) => t + e.result!, 0);
  const files: Record<string, Uint8Array> = {};
  const maxFd = Math.max(2, ...fds.keys());
  if (maxFd > 64) return `descriptor ${maxFd} is out of the replay's range`;
  for (let fd = 3; fd <= maxFd; fd++) files[`/fd${fd}`] = Uint8Array.from({ length: fds.get(fd) === 'in' ? readFrom(fd) : 0 }, (_, i) => (i * 31 + fd) & 0xff);
  const fsys = new MemoryFileSystem(files);
  mem.map(0x8000, 0x1000, PROT.READ | PROT.WRITE);
  const pers = personality('paper', [{ ...def, ...(def.loop ? { loop: { ...def.loop, max_iterations: Math.min(RW_LIMIT, expected.length + 2) } } : {}) }]);
  const k = new Kernel({ profile, personality: pers, memory: mem, fs: fsys, stdio: new CapturedStdio(), brk: 0x9000000, warn: () => {} });
  const made: { name: string; result: number }[] = [];
  const regs = (eax: number, a: number[]): UserRegs => ({ eax, ebx: a[0] ?? 0, ecx: a[1] ?? 0, edx: a[2] ?? 0, esi: a[3] ?? 0, edi: a[4] ?? 0, ebp: a[5] ?? 0,
    esp: 0xbfff0000, eip: 0x8048000, eflags: 0x202, cs: 0x73, ds: 0x7b, es: 0x7b, ss: 0x7b });
  const nrOf = (name: string) => [...pers.table.values()].find((s) => s.name === name)!.nr;
  for (let fd = 3; fd <= maxFd; fd++) {
    mem.write(0x8000, Buffer.from(`/fd${fd}\0`));
    const got = k.crossing(regs(nrOf('open'), [0x8000, fds.get(fd) === 'in' ? O.RDONLY : O.WRONLY | O.CREAT | O.TRUNC, 0o644]), 0) | 0;
    if (got !== fd) return `could not set up descriptor ${fd}`;
  }
  k.tracers.push({ syscall: (rec) => { if (rec.depth === 1) made.push({ name: rec.name, result: rec.result | 0 }); } });
  const params = def.params.map((p) => {
    for (const [i, s] of def.steps.entries()) { const j = s.args.findIndex((a) => 'param' in a && a.param === p); if (j >= 0) return first[i].raw![j]; }
    return 0;
  });
  k.crossing(regs(nrOf(def.name), params), 0);
  const want = expected.map((e) => ({ name: e.name, result: e.result ?? 0 }));
  for (let i = 0; i < Math.max(want.length, made.length); i++) {
    const a = made[i], b = want[i];
    if (!a) return `it stops after ${made.length} calls where the program made ${want.length}`;
    if (!b) return `it goes on past where the program stopped (${made.length} calls or more against ${want.length})`;
    if (a.name !== b.name || a.result !== b.result) return `call ${i + 1}: ${a.name} returned ${a.result} where the program's ${b.name} returned ${b.result}`;
  }
  return undefined;
}
