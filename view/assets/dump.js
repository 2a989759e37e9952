// The dump view: a timeline of user time and crossings on a canvas (entry, dispatch and
// handler, exit as separate spans; batch entries nested below), a stepper over the
// crossings, and the syscall graph. Columns come as one gzip blob; the records come in
// gzip chunks opened when the stepper reaches them, so a million crossings load quickly.
'use strict';
(async function () {
  const meta = JSON.parse(document.getElementById('meta').textContent);
  const $ = (id) => document.getElementById(id);
  const N = meta.crossings;
  const fmt = (v) => Math.round(v).toLocaleString('en-US');
  const hex8 = (v) => (v >>> 0).toString(16).padStart(8, '0');
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

  async function gunzip(id) {
    const b64 = document.getElementById(id).textContent.trim();
    const res = await fetch('data:application/octet-stream;base64,' + b64);
    return new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  }

  // Columns (see view/dump-data.ts for the layout).
  const buf = await gunzip('columns');
  const M = (buf.byteLength - 36 * N) / 6;
  let off = 0;
  const take = (T, n) => { const a = new T(buf, off, n); off += n * T.BYTES_PER_ELEMENT; return a; };
  const entryAt = take(Float64Array, N), exitAt = take(Float64Array, N);
  const cEntry = take(Float32Array, N), cDispatch = take(Float32Array, N), cHandler = take(Float32Array, N), cExit = take(Float32Array, N);
  const subCost = take(Float32Array, M);
  const nameIx = take(Uint16Array, N), subCount = take(Uint16Array, N), subName = take(Uint16Array, M);
  const subOff = new Uint32Array(N + 1);
  const cum = { entry: new Float64Array(N), dispatch: new Float64Array(N), handler: new Float64Array(N), exit: new Float64Array(N) };
  { let e = 0, d = 0, h = 0, x = 0;
    for (let i = 0; i < N; i++) {
      cum.entry[i] = e += cEntry[i]; cum.dispatch[i] = d += cDispatch[i]; cum.handler[i] = h += cHandler[i]; cum.exit[i] = x += cExit[i];
      subOff[i + 1] = subOff[i] + subCount[i];
    } }
  const endCycles = N ? exitAt[N - 1] : 1;

  // Records, by chunk, opened on demand.
  const chunks = new Map();
  function chunk(c) {
    if (!chunks.has(c)) chunks.set(c, gunzip('chunk-' + c).then((b) => JSON.parse(new TextDecoder().decode(b))));
    return chunks.get(c);
  }
  const record = async (i) => (await chunk(Math.floor(i / meta.chunk)))[i % meta.chunk];

  // ---- the timeline ----
  const canvas = $('timeline'), ctx = canvas.getContext('2d');
  const LABEL = 120, LANES = [{ y: 28, h: 34, name: 'user' }, { y: 70, h: 34, name: 'kernel' }, { y: 112, h: 24, name: 'batch entries' }];
  const OVER = { y: 152, h: 22 };
  let t0 = 0, t1 = endCycles, cur = 0;
  const css = getComputedStyle(document.documentElement);
  const color = (v) => css.getPropertyValue('--' + v).trim();
  const COLORS = { user: color('user'), entry: color('entry'), dispatch: color('dispatch'), handler: color('handler'), exit: color('exit') };
  function firstEndingAfter(t) { let lo = 0, hi = N; while (lo < hi) { const m = (lo + hi) >> 1; if (exitAt[m] < t) lo = m + 1; else hi = m; } return lo; }
  function lastStartingBefore(t) { let lo = 0, hi = N; while (lo < hi) { const m = (lo + hi) >> 1; if (entryAt[m] <= t) lo = m + 1; else hi = m; } return lo - 1; }

  function draw() {
    const dpr = window.devicePixelRatio || 1, W = canvas.clientWidth, H = canvas.clientHeight;
    if (canvas.width !== W * dpr) { canvas.width = W * dpr; canvas.height = H * dpr; }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const PW = W - LABEL - 10, span = t1 - t0, px = (t) => LABEL + ((t - t0) / span) * PW;
    ctx.font = '14px DejaVu Sans, Arial, sans-serif'; ctx.textBaseline = 'middle'; ctx.fillStyle = '#111';
    for (const l of LANES) ctx.fillText(l.name, 8, l.y + l.h / 2);
    ctx.fillText('whole run', 8, OVER.y + OVER.h / 2);
    ctx.fillStyle = '#555'; ctx.textBaseline = 'top';
    ctx.fillText(`cycles ${fmt(t0)} to ${fmt(t1)}`, LABEL, 4);
    const a = firstEndingAfter(t0), b = lastStartingBefore(t1), visible = Math.max(0, b - a + 1);
    ctx.textAlign = 'right'; ctx.fillText(`${visible.toLocaleString('en-US')} crossings in view`, W - 10, 4); ctx.textAlign = 'left';
    ctx.save(); ctx.beginPath(); ctx.rect(LABEL, 0, PW, OVER.y - 4); ctx.clip();
    const [U, K, B] = LANES;
    if (visible > PW * 2) {
      // Too many to draw one by one: per pixel, the share of each part of the kernel's time.
      const parts = ['entry', 'dispatch', 'handler', 'exit'], cols = [cEntry, cDispatch, cHandler, cExit];
      const acc = parts.map(() => new Float64Array(PW + 1));
      const per = span / PW;
      for (let i = a; i <= b; i++) {
        const p = Math.max(0, Math.min(PW, Math.floor((entryAt[i] - t0) / per)));
        for (let k = 0; k < 4; k++) acc[k][p] += cols[k][i];
      }
      for (let p = 0; p <= PW; p++) {
        let y = K.y + K.h, total = 0;
        for (let k = 0; k < 4; k++) {
          const h = Math.min(K.h, (acc[k][p] / per) * K.h);
          total += acc[k][p];
          ctx.fillStyle = COLORS[parts[k]]; ctx.fillRect(LABEL + p, y - h, 1, h); y -= h;
        }
        const share = Math.min(1, total / per);
        ctx.fillStyle = COLORS.user; ctx.fillRect(LABEL + p, U.y + share * U.h, 1, (1 - share) * U.h);
      }
    } else {
      ctx.fillStyle = COLORS.user;
      for (let i = a; i <= b + 1 && i <= N; i++) {
        const from = i === 0 ? 0 : exitAt[i - 1], to = i === N ? endCycles : entryAt[i];
        if (to > from) ctx.fillRect(px(from), U.y, Math.max(1, px(to) - px(from)), U.h);
      }
      for (let i = a; i <= b; i++) {
        let t = entryAt[i];
        for (const [k, c] of [['entry', cEntry], ['dispatch', cDispatch], ['handler', cHandler], ['exit', cExit]]) {
          const w = c[i];
          if (w > 0) { ctx.fillStyle = COLORS[k]; ctx.fillRect(px(t), K.y, Math.max(1, px(t + w) - px(t)), K.h); }
          t += w;
        }
        if (subCount[i]) {
          let s = entryAt[i] + cEntry[i];
          for (let j = subOff[i]; j < subOff[i + 1]; j++) {
            const x0 = px(s), x1 = px(s + subCost[j]);
            ctx.fillStyle = j % 2 ? '#6baed6' : '#2171b5'; ctx.fillRect(x0, B.y, Math.max(1, x1 - x0), B.h);
            if (x1 - x0 > 40) { ctx.fillStyle = '#fff'; ctx.textBaseline = 'middle'; ctx.fillText(meta.names[subName[j]], x0 + 3, B.y + B.h / 2, x1 - x0 - 6); }
            s += subCost[j];
          }
        }
        const x0 = px(entryAt[i]), x1 = px(exitAt[i]);
        if (x1 - x0 > 50) { ctx.fillStyle = '#fff'; ctx.textBaseline = 'middle'; ctx.fillText(meta.names[nameIx[i]], x0 + 3, K.y + K.h / 2, x1 - x0 - 6); }
      }
    }
    // The current crossing.
    if (N) {
      const x0 = px(entryAt[cur]), x1 = Math.max(x0 + 2, px(exitAt[cur]));
      ctx.strokeStyle = '#111'; ctx.lineWidth = 2; ctx.strokeRect(x0 - 2, K.y - 4, x1 - x0 + 4, K.h + 8);
      ctx.fillStyle = 'rgba(230,85,13,.18)'; ctx.fillRect(x0 - 2, U.y, x1 - x0 + 4, B.y + B.h - U.y);
    }
    ctx.restore();
    // The whole run, and where the view is in it.
    ctx.fillStyle = '#e9edf2'; ctx.fillRect(LABEL, OVER.y, PW, OVER.h);
    const o = (t) => LABEL + (t / endCycles) * PW;
    ctx.fillStyle = 'rgba(8,81,156,.35)'; ctx.fillRect(o(t0), OVER.y, Math.max(2, o(t1) - o(t0)), OVER.h);
    if (N) { ctx.fillStyle = '#e6550d'; ctx.fillRect(o(entryAt[cur]) - 1, OVER.y, 3, OVER.h); }
  }
  let frame = 0;
  const redraw = () => { if (!frame) frame = requestAnimationFrame(() => { frame = 0; draw(); }); };
  function setView(a, b) {
    const minSpan = 20;
    if (b - a < minSpan) { const m = (a + b) / 2; a = m - minSpan / 2; b = m + minSpan / 2; }
    if (b - a > endCycles) { a = 0; b = endCycles; }
    if (a < 0) { b -= a; a = 0; }
    if (b > endCycles) { a -= b - endCycles; b = endCycles; }
    t0 = Math.max(0, a); t1 = b; window.timelineSpan = [t0, t1]; redraw();
  }
  const timeAt = (x) => t0 + ((x - LABEL) / (canvas.clientWidth - LABEL - 10)) * (t1 - t0);
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect(), t = timeAt(e.clientX - r.left), f = e.deltaY > 0 ? 1.25 : 0.8;
    setView(t - (t - t0) * f, t + (t1 - t) * f);
  }, { passive: false });
  let drag = null;
  canvas.addEventListener('mousedown', (e) => { drag = { x: e.clientX, t0, t1, moved: false }; canvas.classList.add('dragging'); });
  window.addEventListener('mouseup', (e) => {
    if (!drag) return;
    canvas.classList.remove('dragging');
    if (!drag.moved) {
      const r = canvas.getBoundingClientRect(), y = e.clientY - r.top, x = e.clientX - r.left;
      if (y >= OVER.y) { const t = ((x - LABEL) / (canvas.clientWidth - LABEL - 10)) * endCycles, s = t1 - t0; setView(t - s / 2, t + s / 2); }
      else if (N) go(Math.max(0, lastStartingBefore(timeAt(x))));
    }
    drag = null;
  });
  const tip = $('tip');
  canvas.addEventListener('mousemove', (e) => {
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    if (drag) {
      const dx = e.clientX - drag.x; if (Math.abs(dx) > 3) drag.moved = true;
      const dt = (dx / (canvas.clientWidth - LABEL - 10)) * (drag.t1 - drag.t0);
      setView(drag.t0 - dt, drag.t1 - dt); tip.style.display = 'none'; return;
    }
    const t = timeAt(x), i = lastStartingBefore(t);
    if (x < LABEL || y > OVER.y || i < 0) { tip.style.display = 'none'; return; }
    const inKernel = t <= exitAt[i];
    tip.textContent = inKernel
      ? `crossing ${i + 1}: ${meta.names[nameIx[i]]}${subCount[i] ? ` (${subCount[i]} entries)` : ''}\nentry ${fmt(cEntry[i])} + dispatch ${fmt(cDispatch[i])} + handler ${fmt(cHandler[i])} + exit ${fmt(cExit[i])} cycles\nat cycle ${fmt(entryAt[i])}`
      : `user time after crossing ${i + 1}\n${fmt((i + 1 < N ? entryAt[i + 1] : endCycles) - exitAt[i])} cycles`;
    tip.style.display = 'block'; tip.style.left = e.clientX + 14 + 'px'; tip.style.top = e.clientY + 14 + 'px';
  });
  canvas.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
  $('fit').onclick = () => setView(0, endCycles);
  $('zoom').onclick = () => { const s = Math.max(60, 12 * (exitAt[cur] - entryAt[cur])); setView(entryAt[cur] - s / 2, entryAt[cur] + s / 2); };
  window.addEventListener('resize', redraw);

  // ---- the stepper ----
  const callLine = (c, depth) => `${'  '.repeat(depth)}${c.name}(${c.decoded.join(', ')}) = ${c.errno ? `-1 ${c.errno}` : c.name === 'exit' || c.name === 'exit_group' ? '?' : c.result}`;
  const callLines = (c, depth = 0) => [callLine(c, depth), ...(c.sub || []).flatMap((s) => callLines(s, depth + 1))];
  // struct pt_regs from the top of the kernel stack down: what the CPU pushed at the trap,
  // then orig_eax (pushed by system_call), then SAVE_ALL's registers.
  const PUSHED_BY = { xss: 'the CPU (int)', esp: 'the CPU (int)', eflags: 'the CPU (int)', xcs: 'the CPU (int)', eip: 'the CPU (int)', orig_eax: 'system_call' };
  const SHOWN = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags'];
  let shown = -1;
  async function show(i) {
    const x = await record(i);
    if (i !== cur) return; // the user moved on while the chunk opened
    shown = i;
    const regs = Object.fromEntries(meta.regsOrder.map((r, k) => [r, x.regs[k]]));
    $('position').textContent = `crossing ${(i + 1).toLocaleString('en-US')} of ${N.toLocaleString('en-US')} (seq ${x.seq})`;
    $('call').textContent = callLines(x.call).join('\n');
    $('costs').innerHTML = ['entry', 'dispatch', 'handler', 'exit'].map((k) => `<span class="legend"><i class="swatch-${k}"></i>${k} ${fmt([cEntry, cDispatch, cHandler, cExit][['entry', 'dispatch', 'handler', 'exit'].indexOf(k)][i])}</span>`).join('')
      + `<span class="muted">cycles; ${x.ui.toLocaleString('en-US')} user instructions before it</span>`;
    $('disasm').innerHTML = meta.disasm[x.d].map((d) => `<div class="${d.trap ? 'trap' : ''}">${d.trap ? '=&gt;' : '&nbsp;&nbsp;'} ${hex8(d.address)}  ${esc(d.text)}</div>`).join('');
    const atEntry = { ...regs, eax: regs.orig_eax };
    $('regs').innerHTML = '<tr><th>register</th><th>at entry</th><th>at exit</th></tr>' + SHOWN.map((r) =>
      `<tr><td>${r}</td><td class="mono">${hex8(atEntry[r])}</td><td class="mono${atEntry[r] !== regs[r] ? ' changed' : ''}">${hex8(regs[r])}</td></tr>`).join('');
    $('frame').innerHTML = '<tr><th>offset</th><th>field</th><th>value</th><th>saved by</th></tr>' + meta.regsOrder.map((r, k) => ({ r, k })).reverse().map(({ r, k }) =>
      `<tr><td class="mono">+0x${(4 * k).toString(16).padStart(2, '0')}</td><td>${r}</td><td class="mono">${hex8(regs[r])}</td><td class="by">${PUSHED_BY[r] || 'SAVE_ALL'}</td></tr>`).join('');
    const l = { entry: cum.entry[i], dispatch: cum.dispatch[i], handler: cum.handler[i], exit: cum.exit[i] };
    const total = exitAt[i], user = total - l.entry - l.dispatch - l.handler - l.exit;
    const parts = [['user', user], ['entry', l.entry], ['dispatch', l.dispatch], ['handler', l.handler], ['exit', l.exit]];
    $('ledger').innerHTML = `<div class="costbar">${parts.map(([k, v]) => `<div class="swatch-${k}" style="width:${(100 * v) / (total || 1)}%"></div>`).join('')}</div>`
      + '<table><tr>' + parts.map(([k]) => `<th>${k}</th>`).join('') + '<th>total</th></tr><tr>' + parts.map(([, v]) => `<td>${fmt(v)}</td>`).join('') + `<td>${fmt(total)}</td></tr></table>`;
    document.querySelectorAll('.graph .node.current').forEach((n) => n.classList.remove('current'));
    for (const n of document.querySelectorAll('.graph .node')) if (n.querySelector('title')?.textContent === x.call.name) n.classList.add('current');
    document.body.dataset.shown = String(i);
  }
  function go(i) {
    if (!N) return;
    cur = Math.max(0, Math.min(N - 1, i));
    $('message').textContent = '';
    if (entryAt[cur] < t0 || exitAt[cur] > t1) { const s = t1 - t0; setView(entryAt[cur] - s / 2, entryAt[cur] + s / 2); }
    redraw();
    show(cur).catch((e) => { $('message').textContent = `cannot open crossing ${cur + 1}: ${e.message}`; });
  }
  function find(name, from) {
    const k = meta.names.indexOf(name);
    if (k < 0) return -1;
    for (let i = from; i < N; i++) {
      if (nameIx[i] === k) return i;
      for (let j = subOff[i]; j < subOff[i + 1]; j++) if (subName[j] === k) return i;
    }
    return -1;
  }
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.target.blur(); return; }
    if (e.key !== 'Enter') return;
    const name = e.target.value.trim();
    let j = find(name, cur + 1), wrapped = false;
    if (j < 0) { j = find(name, 0); wrapped = j >= 0; }
    if (j < 0) { $('message').textContent = meta.names.includes(name) ? '' : `no call named ${name}`; return; }
    e.target.blur();
    go(j);
    if (wrapped) $('message').textContent = `no later call of ${name}: back to the first`;
  });
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'n' || e.key === 'ArrowRight') go(cur + 1);
    else if (e.key === 'p' || e.key === 'ArrowLeft') go(cur - 1);
    else if (e.key === 'g' || e.key === 'Home') go(0);
    else if (e.key === 'G' || e.key === 'End') go(N - 1);
    else if (e.key === '/') { e.preventDefault(); $('search').focus(); $('search').select(); }
    else return;
    e.preventDefault();
  });
  window.timelineSpan = [t0, t1];
  draw();
  if (N) await show(0); else $('position').textContent = 'no crossings in this dump';
  // Click the graph: its natural size (scroll to move), click again: fit to the panel.
  document.querySelector('.graph svg')?.addEventListener('click', () => document.querySelector('.graph').classList.toggle('natural'));
  document.body.dataset.ready = 'yes';
})().catch((e) => { document.body.dataset.ready = 'failed'; console.error(e); const m = document.getElementById('message'); if (m) m.textContent = `cannot open the dump: ${e.message}`; });
