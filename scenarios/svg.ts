// A small line chart as SVG, for plots where a picture says more than a table. Each point
// carries its value: a <title> (a tooltip in any SVG viewer) and data-tip (the web view's).

/** One line; a null value is a point where the series does not apply (no point drawn there). */
export interface Series { label: string; ys: (number | null)[] }

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** x values on a log2 axis (block sizes), one line per series. */
export function lineChart(o: { title: string; xLabel: string; yLabel: string; xs: number[]; series: Series[] }): string {
  // The legend's width follows its longest label (about 7 pixels a character at 12 px).
  const R = Math.max(190, 50 + 7 * Math.max(0, ...o.series.map((x) => x.label.length)));
  const W = 450 + R, H = 400, L = 70, T = 40, B = 55;
  const pw = W - L - R, ph = H - T - B;
  const lx = o.xs.map(Math.log2);
  const x0 = Math.min(...lx), x1 = Math.max(...lx);
  const all = o.series.flatMap((s) => s.ys.filter((y): y is number => y !== null));
  const y0 = Math.min(0, ...all), y1 = Math.max(...all) * 1.1 || 1;
  const px = (x: number) => L + ((Math.log2(x) - x0) / (x1 - x0 || 1)) * pw;
  const py = (y: number) => T + ph - ((y - y0) / (y1 - y0)) * ph;
  const ticks = Array.from({ length: 6 }, (_, i) => y0 + ((y1 - y0) * i) / 5);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L + pw / 2}" y="22" text-anchor="middle" font-size="14">${esc(o.title)}</text>`,
    `<line x1="${L}" y1="${T + ph}" x2="${L + pw}" y2="${T + ph}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${T + ph}" stroke="black"/>`,
    ...ticks.map((t) => `<line x1="${L - 4}" y1="${py(t)}" x2="${L + pw}" y2="${py(t)}" stroke="#ddd"/><text x="${L - 8}" y="${py(t) + 4}" text-anchor="end">${t.toFixed(1)}</text>`),
    ...o.xs.map((x) => `<text x="${px(x)}" y="${T + ph + 18}" text-anchor="middle">${x}</text>`),
    `<text x="${L + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text transform="translate(18 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  ];
  o.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    const at = s.ys.flatMap((y, j) => (y === null ? [] : [[o.xs[j], y] as const]));
    const pts = at.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.join(' ')}"/>`);
    parts.push(...s.ys.flatMap((y, j) => {
      if (y === null) return [];
      const tip = esc(`${s.label}\n${o.xLabel}: ${o.xs[j]}\n${o.yLabel}: ${y.toFixed(2)}`);
      return `<circle cx="${px(o.xs[j]).toFixed(1)}" cy="${py(y).toFixed(1)}" r="4.5" fill="${c}" data-tip="${tip}"><title>${tip}</title></circle>`;
    }));
    parts.push(`<line x1="${L + pw + 15}" y1="${T + 10 + 20 * i}" x2="${L + pw + 35}" y2="${T + 10 + 20 * i}" stroke="${c}" stroke-width="2"/>`);
    parts.push(`<text x="${L + pw + 40}" y="${T + 14 + 20 * i}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Horizontal bars, one a label (a null value: the label with `missing` written in place of a bar). */
export function barChart(o: { title: string; xLabel: string; bars: { label: string; value: number | null; missing?: string }[] }): string {
  const L = Math.max(120, 20 + 7 * Math.max(0, ...o.bars.map((b) => b.label.length))), R = 90, T = 40, B = 50, row = 24;
  const W = L + 490, H = T + B + row * o.bars.length, pw = W - L - R;
  const max = Math.max(1e-9, ...o.bars.map((b) => b.value ?? 0));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(o.title)}</text>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${L + pw / 2}" y="${H - 14}" text-anchor="middle">${esc(o.xLabel)}</text>`,
  ];
  o.bars.forEach((b, i) => {
    const y = T + row * i;
    parts.push(`<text x="${L - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>`);
    if (b.value === null) {
      parts.push(`<text x="${L + 6}" y="${y + 16}" fill="#777">${esc(b.missing ?? 'n/a')}</text>`);
      return;
    }
    const w = (b.value / max) * pw, tip = esc(`${b.label}: ${b.value.toLocaleString('en-US')}`);
    parts.push(`<rect x="${L}" y="${y + 4}" width="${w.toFixed(1)}" height="${row - 8}" fill="${COLORS[i % COLORS.length]}" data-tip="${tip}"><title>${tip}</title></rect>`);
    parts.push(`<text x="${(L + w + 6).toFixed(1)}" y="${y + 16}">${esc(b.value.toLocaleString('en-US'))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
