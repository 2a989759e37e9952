// The strace log view: step through the calls (n, p), search by name (/), and see each
// call's node in the graph.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const rows = [...document.querySelectorAll('#calls tr[data-i]')];
  let cur = 0;
  function go(i) {
    if (!rows.length) return;
    rows[cur].classList.remove('current');
    cur = Math.max(0, Math.min(rows.length - 1, i));
    const r = rows[cur];
    r.classList.add('current');
    r.scrollIntoView({ block: 'nearest' });
    $('position').textContent = `call ${(cur + 1).toLocaleString('en-US')} of ${rows.length.toLocaleString('en-US')}: ${r.dataset.name}`;
    document.querySelectorAll('.graph .node.current').forEach((n) => n.classList.remove('current'));
    for (const n of document.querySelectorAll('.graph .node')) if (n.querySelector('title')?.textContent === r.dataset.name) n.classList.add('current');
    $('message').textContent = '';
  }
  $('search').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { e.target.blur(); return; }
    if (e.key !== 'Enter') return;
    const name = e.target.value.trim();
    let j = rows.findIndex((r, k) => k > cur && r.dataset.name === name);
    if (j < 0) j = rows.findIndex((r) => r.dataset.name === name);
    if (j < 0) { $('message').textContent = `no call named ${name}`; return; }
    e.target.blur(); go(j);
  });
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'n' || e.key === 'ArrowDown') go(cur + 1);
    else if (e.key === 'p' || e.key === 'ArrowUp') go(cur - 1);
    else if (e.key === '/') { e.preventDefault(); $('search').focus(); $('search').select(); }
    else return;
    e.preventDefault();
  });
  go(0);
  // Click the graph: its natural size (scroll to move), click again: fit to the panel.
  document.querySelector('.graph svg')?.addEventListener('click', () => document.querySelector('.graph').classList.toggle('natural'));
  document.body.dataset.ready = 'yes';
})();
