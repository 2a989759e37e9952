// A trace dump, read for the web view: one pass over the records, streamed line by line
// so that a dump of a million crossings never has to be one string. Out come columns
// (typed arrays, for the timeline and the running ledger), the records themselves in
// gzip-compressed chunks (the stepper opens a chunk when it gets there), and the
// syscall graph laid out by Graphviz.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { PT_REGS_ORDER } from '../kernel-model/boundary.js';
import { SyscallGraph, ValueCounter, profileSink } from '../profiler/graph.js';
import { TraceError, callCost, scanDump, type CallRecord, type CrossingDump, type TraceFooter, type TraceHeader } from '../trace/dump.js';
import { graphDot } from './graph-draw.js';
import { renderDot } from './graphviz.js';

/** Crossings per detail chunk: small enough to open at once, large enough to compress well. */
export const CHUNK = 2000;

/**
 * The one place the view reads a dump: each crossing in order through the trace reader
 * (trace/dump.ts), which checks every record and reads one line at a time.
 */
export async function readDumpRecords(file: string, onCrossing: (x: CrossingDump) => void): Promise<{ header: TraceHeader; footer: TraceFooter }> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new TraceError(`${file}: cannot read (${(err as { code?: string }).code ?? err})`);
  }
  try {
    const scan = scanDump(fd, file, (x) => { onCrossing(x); })!;
    return { header: scan.header, footer: scan.footer };
  } finally {
    fs.closeSync(fd);
  }
}

export interface DumpPage {
  meta: {
    title: string; platform: string; clockMhz: number; personality: string; crossings: number; chunk: number;
    outcome: unknown; exitCode: number; ledger: TraceFooter['ledger']; names: string[]; disasm: CrossingDump['disasm'][];
    regsOrder: string[]; graph: { nodes: [string, number][]; omittedEdges: number; drawnEdges: number };
  };
  /**
   * Gzip-compressed: the column arrays one after the other, widest first so each is aligned:
   * cycles at entry and at exit (f64), entry, dispatch, handler and exit cost (f32), batch entry cost (f32),
   * call name (u16), batch entry count (u16), batch entry name (u16).
   */
  columns: Buffer;
  /** Gzip-compressed JSON arrays of compact records, CHUNK crossings each. */
  chunks: Buffer[];
  graphSvg: string;
}


class Grow<T extends Float64Array | Float32Array | Uint16Array | Uint32Array> {
  arr: T; n = 0;
  constructor(private make: (n: number) => T) { this.arr = make(1024); }
  push(v: number) {
    if (this.n === this.arr.length) { const a = this.make(this.arr.length * 2); a.set(this.arr); this.arr = a; }
    this.arr[this.n++] = v;
  }
  bytes(): Buffer { return Buffer.from(this.arr.buffer, 0, this.n * this.arr.BYTES_PER_ELEMENT); }
}

export async function dumpPage(file: string): Promise<DumpPage> {
  const names: string[] = [], nameIndex = new Map<string, number>();
  const nameOf = (s: string) => { let i = nameIndex.get(s); if (i === undefined) { i = names.length; names.push(s); nameIndex.set(s, i); } return i; };
  const disasm: CrossingDump['disasm'][] = [], disasmIndex = new Map<string, number>();
  const entry = new Grow((n) => new Float64Array(n)), exit = new Grow((n) => new Float64Array(n));
  const cost = [0, 1, 2, 3].map(() => new Grow((n) => new Float32Array(n)));
  const name = new Grow((n) => new Uint16Array(n)), subCount = new Grow((n) => new Uint16Array(n));
  const subName = new Grow((n) => new Uint16Array(n)), subCost = new Grow((n) => new Float32Array(n));
  // The syscall graph is built as the records stream by; no list of calls is kept.
  const g = new SyscallGraph(4);
  const toGraph = profileSink(g, new ValueCounter(), new Map(), 0);
  const chunks: Buffer[] = [];
  let pending: unknown[] = [];
  const flush = () => { if (pending.length) chunks.push(zlib.gzipSync(JSON.stringify(pending), { level: 6 })); pending = []; };
  const { header, footer } = await readDumpRecords(file, (x) => {
    entry.push(x.cycles.entry); exit.push(x.cycles.exit);
    cost[0].push(x.cost.entry); cost[1].push(x.cost.dispatch); cost[2].push(x.cost.handler); cost[3].push(x.cost.exit);
    name.push(nameOf(x.call.name));
    const subs: CallRecord[] = x.call.sub ?? [];
    subCount.push(subs.length);
    for (const s of subs) { const c = callCost(s); subName.push(nameOf(s.name)); subCost.push(c.dispatch + c.handler); }
    const key = JSON.stringify(x.disasm);
    let d = disasmIndex.get(key);
    if (d === undefined) { d = disasm.length; disasm.push(x.disasm); disasmIndex.set(key, d); }
    pending.push({ seq: x.seq, time: x.time_us, ui: x.user_instructions, eip: x.eip, d,
      regs: PT_REGS_ORDER.map((r) => x.pt_regs[r]), call: x.call });
    if (pending.length === CHUNK) flush();
    toGraph({ pid: 1, name: x.call.name, args: [], result: x.call.result, line: x.seq });
  });
  flush();
  const n = entry.n;
  if (names.length > 65535) throw new TraceError(`${file}: more than 65535 distinct call names`);
  const title = `${header.argv.join(' ')} on ${header.platform.name}`;
  const drawing = graphDot(g, { title: `syscall graph: ${title}` });
  const columns = zlib.gzipSync(Buffer.concat([entry.bytes(), exit.bytes(), ...cost.map((c) => c.bytes()), subCost.bytes(),
    name.bytes(), subCount.bytes(), subName.bytes()]), { level: 6 });
  return {
    meta: { title, platform: header.platform.name, clockMhz: header.platform.clock_mhz, personality: header.personality, crossings: n, chunk: CHUNK,
      outcome: footer.outcome, exitCode: footer.exit_code, ledger: footer.ledger, names, disasm, regsOrder: PT_REGS_ORDER as string[],
      graph: { nodes: [...g.nodes], omittedEdges: drawing.omitted, drawnEdges: drawing.drawn } },
    columns, chunks, graphSvg: await renderDot(drawing.dot),
  };
}
