// The web view: Graphviz drawings, which figures are marked as fitted, and the three pages
// (dump, strace log, scenario results) loaded in Debian's chromium through playwright-core.
// Every page must load without a console error; what the page shows is checked against
// the dump's records and the profile. Screenshots go to dist/test-output/view/ (and, with
// UPDATE_SCREENSHOTS=1, to docs/screenshots/ for the README).
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PT_REGS_ORDER } from '../kernel-model/boundary.js';
import { readEvents } from '../profiler/events.js';
import { buildGraph } from '../profiler/graph.js';
import type { ScenarioResult } from '../scenarios/report.js';
import { parseTrace } from '../trace/dump.js';
import { callLines, hex8 } from '../trace/formats.js';
import { cellKinds } from '../view/calibration.js';
import { graphDot, graphSvg } from '../view/graph-draw.js';
import { DotError, renderDot } from '../view/graphviz.js';
import { ROOT, cli, tmpdir } from './helpers.js';

const TAR = path.join(ROOT, 'test/fixtures/strace/tar-czf.log');
const OUT = path.join(ROOT, 'dist/test-output/view');
const CHROMIUM = '/usr/bin/chromium';

const drawing = suite('graph drawing');

drawing('every node of a real program is drawn, and the left-out edges are counted on the figure', async () => {
  const log = readEvents(fs.readFileSync(TAR, 'utf8'), TAR);
  const g = buildGraph([log], new Map());
  const d = graphDot(g, { maxEdges: 40 });
  assert.ok(g.nodes.size >= 30, `${g.nodes.size} nodes`);
  assert.is(d.drawn, 40);
  assert.is(d.omitted, g.edges.size - 40);
  const svg = await graphSvg(g, { maxEdges: 40 });
  const titles = [...svg.matchAll(/<g id="node\d+" class="node">\s*<title>([^<]*)<\/title>/g)].map((m) => m[1]);
  assert.equal(titles.sort(), [...g.nodes.keys()].sort());
  assert.is([...svg.matchAll(/class="edge"/g)].length, 40);
  assert.ok(svg.includes(`${d.omitted} of ${g.edges.size} edges left out`));
  // No two node boxes overlap, and every label fits in its box: Graphviz placed them.
  const boxes = [...svg.matchAll(/<g id="node\d+" class="node">\s*<title>([^<]*)<\/title>\s*<path [^>]*d="([^"]+)"/g)].map((m) => {
    const nums = [...m[2].matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((p) => [Number(p[1]), Number(p[2])]);
    const xs = nums.map((p) => p[0]), ys = nums.map((p) => p[1]);
    return { name: m[1], x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
  });
  assert.is(boxes.length, g.nodes.size);
  for (const [i, a] of boxes.entries()) {
    for (const b of boxes.slice(i + 1)) {
      assert.ok(a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0, `${a.name} and ${b.name} overlap`);
    }
  }
});

drawing('profile --svg and --dot on a real program: Graphviz, every call, the left-out edges said', () => {
  const d = tmpdir();
  const r = cli(['profile', TAR, '--svg', path.join(d, 'g.svg'), '--dot', path.join(d, 'g.dot')]);
  assert.is(r.status, 0, r.stderr);
  const g = buildGraph([readEvents(fs.readFileSync(TAR, 'utf8'), TAR)], new Map());
  const svg = fs.readFileSync(path.join(d, 'g.svg'), 'utf8');
  assert.match(svg, /^<svg [^>]*>\s*<g id="graph0" class="graph"/, 'laid out by Graphviz');
  for (const n of g.nodes.keys()) assert.ok(svg.includes(`<title>${n}</title>`), n);
  assert.ok(svg.includes(`${g.edges.size - 80} of ${g.edges.size} edges left out`));
  assert.match(fs.readFileSync(path.join(d, 'g.dot'), 'utf8'), /edges left out/);
});

drawing('renderDot lays out any DOT graph and names a syntax error', async () => {
  const svg = await renderDot('digraph { entry -> loop; loop -> loop; loop -> exit }');
  assert.ok(svg.startsWith('<svg'));
  for (const n of ['entry', 'loop', 'exit']) assert.ok(svg.includes(`<title>${n}</title>`));
  try {
    await renderDot('digraph { a -> }');
    assert.unreachable('a syntax error was accepted');
  } catch (err) {
    assert.instance(err, DotError);
    assert.match((err as Error).message, /syntax error/);
  }
});

drawing.run();

const marks = suite('calibrated cells');

marks('Table 3 on the laptop: the nine fitted cells, the paper\'s columns, the rest predicted', () => {
  const out = cli(['scenario', 'copy', '--json']);
  assert.is(out.status, 0, out.stderr);
  const r: ScenarioResult = JSON.parse(out.stdout)[0];
  const t3 = r.tables.find((t) => t.id === 'table3')!;
  const k = cellKinds(r, t3);
  const fitted = k.flatMap((row, ri) => row.map((c, ci) => (c === 'calibrated' ? `${ri}:${t3.columns[ci]}` : ''))).filter(Boolean);
  assert.is(fitted.length, 9);
  for (const row of k) {
    assert.equal([row[1], row[5], row[8]], ['calibrated', 'calibrated', 'calibrated']);
    assert.equal([row[2], row[6], row[9]], ['paper', 'paper', 'paper']);
    assert.equal([row[4], row[7], row[10], row[11]], ['predicted', 'predicted', 'predicted', 'predicted']);
    assert.is(row[3], '');
  }
  // On another platform nothing was fitted.
  assert.not.ok(cellKinds({ platform: 'modern-x86' }, t3).flat().includes('calibrated'));
  // Figure 8 is a prediction everywhere.
  assert.not.ok(cellKinds(r, r.tables.find((t) => t.id === 'figure8')!).flat().includes('calibrated'));
});

marks.run();

const command = suite('view command');

command('bad input: one line and exit code 2', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\nworld\n');
  // A real dump cut short: its header alone, then its header and first record.
  assert.is(cli(['trace', 'hello', '--out', 'whole.jsonl'], { cwd: dir }).status, 0);
  const lines = fs.readFileSync(path.join(dir, 'whole.jsonl'), 'utf8').split('\n');
  fs.writeFileSync(path.join(dir, 'cut.jsonl'), lines[0] + '\n');
  fs.writeFileSync(path.join(dir, 'cut2.jsonl'), lines[0] + '\n' + lines[1] + '\n');
  fs.writeFileSync(path.join(dir, 'badhead.jsonl'), '{"format":"syscluster-trace","version":1,"guest":"x","argv":["x"],"platform":{},"personality":"paper"}\n');
  fs.mkdirSync(path.join(dir, 'empty'));
  for (const [input, why] of [['missing.jsonl', /cannot read/], ['notes.txt', /neither a syscluster dump nor a strace log/],
    ['cut.jsonl', /truncated dump/], ['cut2.jsonl', /cut2\.jsonl:3: truncated dump/], ['badhead.jsonl', /badhead\.jsonl:1: header/],
    ['empty', /no scenario results/]] as const) {
    const r = cli(['view', input, '--out', 'x.html'], { cwd: dir });
    assert.is(r.status, 2, `${input}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  assert.not.ok(fs.existsSync(path.join(dir, 'x.html')));
});

command.run();

// ---- in the browser ----

async function browser(): Promise<BrowserContext> {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: ./setup.sh installs Debian's chromium`);
  return chromium.launchPersistentContext(tmpdir('syscluster-chromium-'), {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens a page from disk; every console error and uncaught exception is collected. */
async function open(ctx: BrowserContext, file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));
  // No network: any request other than the file itself and its inline data fails the test.
  await page.route(/^(?!file:|data:)/, (route) => { errors.push(`network request: ${route.request().url()}`); return route.abort(); });
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, undefined, { timeout: 20000 });
  assert.is(await page.evaluate(() => document.body.dataset.ready), 'yes', errors.join('\n'));
  return { page, errors };
}

/** The README shows these. */
const README_SHOTS = ['dump', 'strace', 'results', 'results-chart'];

async function screenshot(page: Page, name: string) {
  fs.mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, `${name}.png`) });
  if (process.env.UPDATE_SCREENSHOTS && README_SHOTS.includes(name)) {
    fs.mkdirSync(path.join(ROOT, 'docs/screenshots'), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, 'docs/screenshots', `${name}.png`) });
  }
}

const text = (page: Page, sel: string) => page.locator(sel).innerText();

const pages = suite('pages in chromium');
let ctx: BrowserContext;
const work = tmpdir('syscluster-view-');
pages.before(async () => { ctx = await browser(); });
pages.after(async () => { await ctx?.close(); });

pages('a dump: timeline, stepping with the keyboard, search, registers, frame, code and ledger as the records say', async () => {
  fs.writeFileSync(path.join(work, 'in.txt'), 'a line of text to copy, long enough for a few blocks\n'.repeat(40));
  let r = cli(['trace', 'copy', 'in.txt', 'out.txt', '256', '--out', 'copy.jsonl'], { cwd: work });
  assert.is(r.status, 0, r.stderr);
  r = cli(['view', 'copy.jsonl', '--out', 'copy.html'], { cwd: work });
  assert.is(r.status, 0, r.stderr);
  const t = parseTrace(fs.readFileSync(path.join(work, 'copy.jsonl'), 'utf8'), 'copy.jsonl');
  const html = fs.readFileSync(path.join(work, 'copy.html'), 'utf8');
  assert.not.match(html, /<script[^>]+src=|<link[^>]+href=/);
  const { page, errors } = await open(ctx, path.join(work, 'copy.html'));
  const n = t.crossings.length;
  const check = async (i: number) => {
    const x = t.crossings[i];
    await page.waitForFunction((k) => document.body.dataset.shown === String(k), i);
    assert.is(await text(page, '#position'), `crossing ${i + 1} of ${n} (seq ${x.seq})`);
    assert.is(await text(page, '#call'), callLines(x.call).join('\n'));
    const trap = x.disasm.find((d) => d.trap)!;
    assert.ok((await text(page, '#disasm .trap')).includes(`${hex8(trap.address)}  ${trap.text}`));
    const eax = await page.locator('#regs tr', { hasText: 'eax' }).locator('td').allInnerTexts();
    assert.equal(eax, ['eax', hex8(x.pt_regs.orig_eax), hex8(x.pt_regs.eax)]);
    const frame = await page.locator('#frame tr').allInnerTexts();
    assert.is(frame.length, PT_REGS_ORDER.length + 1);
    for (const [k, reg] of PT_REGS_ORDER.entries()) assert.ok(frame.some((row) => row.includes(reg) && row.includes(hex8(x.pt_regs[reg])) && row.includes(`+0x${(4 * k).toString(16).padStart(2, '0')}`)), reg);
    const total = (await page.locator('#ledger td').allInnerTexts()).at(-1);
    assert.is(total, Math.round(x.cycles.exit).toLocaleString('en-US'));
  };
  await check(0);
  await screenshot(page, 'dump-copy');
  for (let i = 1; i <= 3; i++) { await page.keyboard.press('n'); await check(i); }
  await page.keyboard.press('p');
  await check(2);
  await page.keyboard.press('/');
  await page.keyboard.type('close');
  await page.keyboard.press('Enter');
  await check(t.crossings.findIndex((x) => x.call.name === 'close'));
  await page.keyboard.press('G');
  await check(n - 1);
  // The graph: every call of the profile is a node.
  const nodes = await page.locator('#graph .node title').allTextContents();
  assert.equal(nodes.sort(), [...new Set(t.crossings.map((x) => x.call.name))].sort());
  assert.is(await page.locator('#graph .node.current title').textContent(), t.crossings[n - 1].call.name);
  // The timeline zooms with the wheel and still draws.
  const box = (await page.locator('#timeline').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 80);
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -200);
  await page.waitForTimeout(100);
  await screenshot(page, 'dump-zoomed');
  assert.equal(errors, []);
  await page.close();
});

pages('a multi-call dump: batch entries nested in the call', async () => {
  let r = cli(['trace', 'copy_multicall', 'in.txt', 'out2.txt', '512', '--out', 'mc.jsonl'], { cwd: work });
  assert.is(r.status, 0, r.stderr);
  r = cli(['view', 'mc.jsonl', '--out', 'mc.html'], { cwd: work });
  assert.is(r.status, 0, r.stderr);
  const t = parseTrace(fs.readFileSync(path.join(work, 'mc.jsonl'), 'utf8'), 'mc.jsonl');
  const i = t.crossings.findIndex((x) => (x.call.sub ?? []).length > 1);
  assert.ok(i >= 0, 'the multi-call guest made a batch');
  const { page, errors } = await open(ctx, path.join(work, 'mc.html'));
  for (let k = 0; k < i; k++) await page.keyboard.press('n');
  await page.waitForFunction((k) => document.body.dataset.shown === String(k), i);
  const lines = (await text(page, '#call')).split('\n');
  assert.equal(lines, callLines(t.crossings[i].call));
  assert.ok(lines.slice(1).every((l) => l.startsWith('  ')));
  // Zoomed to the crossing, the timeline names it and its costs under the pointer.
  await page.click('#zoom');
  const box = (await page.locator('#timeline').boundingBox())!;
  const x = t.crossings[i];
  const [from, to] = await page.evaluate(() => (window as any).timelineSpan as [number, number]);
  const at = box.x + 120 + ((x.cycles.entry + (x.cycles.exit - x.cycles.entry) / 2 - from) / (to - from)) * (box.width - 130);
  await page.mouse.move(at, box.y + 87);
  const tip = await text(page, '#tip');
  assert.ok(tip.startsWith(`crossing ${i + 1}: ${x.call.name} (${x.call.sub!.length} entries)`), tip);
  assert.ok(tip.includes(`handler ${Math.round(x.cost.handler).toLocaleString('en-US')}`), tip);
  await screenshot(page, 'dump');
  assert.equal(errors, []);
  await page.close();
});

pages('a strace log: every node of the profile in the graph, stepping and search', async () => {
  const r = cli(['view', TAR, '--out', path.join(work, 'tar.html')]);
  assert.is(r.status, 0, r.stderr);
  const log = readEvents(fs.readFileSync(TAR, 'utf8'), TAR);
  const g = buildGraph([log], new Map());
  const { page, errors } = await open(ctx, path.join(work, 'tar.html'));
  const nodes = await page.locator('#graph .node title').allTextContents();
  assert.equal(nodes.sort(), [...g.nodes.keys()].sort());
  assert.match(await text(page, '#graph'), /edges left out/);
  assert.is(await text(page, '#position'), `call 1 of ${log.events.length}: ${log.events[0].name}`);
  await page.keyboard.press('n'); await page.keyboard.press('n');
  assert.is(await text(page, '#position'), `call 3 of ${log.events.length}: ${log.events[2].name}`);
  await page.keyboard.press('/'); await page.keyboard.type('clone'); await page.keyboard.press('Enter');
  const j = log.events.findIndex((e) => e.name === 'clone');
  assert.is(await text(page, '#position'), `call ${j + 1} of ${log.events.length}: clone`);
  assert.is(await page.locator('#graph .node.current title').textContent(), 'clone');
  await screenshot(page, 'strace');
  assert.equal(errors, []);
  await page.close();
});

pages('a results folder: every table, fitted cells marked, charts with values on hover', async () => {
  const dir = path.join(work, 'results');
  for (const s of ['control', 'copy']) {
    const r = cli(['scenario', s, '--out', dir]);
    assert.is(r.status, 0, r.stderr);
  }
  const r = cli(['view', dir, '--out', path.join(work, 'results.html')]);
  assert.is(r.status, 0, r.stderr);
  const results: ScenarioResult[] = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  const { page, errors } = await open(ctx, path.join(work, 'results.html'));
  await screenshot(page, 'results');
  assert.is(await page.locator('table[data-table]').count(), results.reduce((s, x) => s + x.tables.length, 0));
  // Table 1 and Table 2's laptop row and Table 3's nine cells: 8 + 5 + 9.
  assert.is(await page.locator('td.calibrated').count(), 8 + 5 + 9);
  const t3 = results.find((x) => x.scenario === 'copy')!.tables[0];
  const first = await page.locator('table[data-table="table3"] tr').nth(1).locator('td').allInnerTexts();
  assert.is(first[0], t3.rows[0][0]);
  assert.is(Number(first[2]), t3.rows[0][2]);
  // Hover a point of Figure 8: its value.
  const fig8 = results.find((x) => x.scenario === 'copy')!.tables.find((t) => t.id === 'figure8')!;
  const point = page.locator('.chart circle[data-tip]').first();
  await point.scrollIntoViewIfNeeded();
  await point.hover();
  const tip = await text(page, '#tip');
  assert.ok(tip.includes(String(fig8.rows[0][0])) && tip.includes((fig8.rows[0][1] as number).toFixed(2)), tip);
  await screenshot(page, 'results-chart');
  assert.equal(errors, []);
  await page.close();
});

pages.run();
