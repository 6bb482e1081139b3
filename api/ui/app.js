// The web UI's pipelines page: a page over the GraphQL API (the same API the CLI uses). No build
// step, no dependencies. The GraphQL documents are in queries.json, checked against the schema by a test.
'use strict';
(async () => {
  const $ = (sel) => document.querySelector(sel);
  const tokenInput = $('#token');
  tokenInput.value = localStorage.getItem('sluice-token') ?? '';
  tokenInput.addEventListener('change', () => { localStorage.setItem('sluice-token', tokenInput.value); refresh(); });
  let selected = null;
  const PAGE = 20;
  let pages = [null]; // the "after" of each page shown so far
  let lastOnPage = null;
  const firstPage = () => { pages = [null]; refresh(); };
  $('#filter-name').addEventListener('input', firstPage);
  $('#filter-status').addEventListener('change', firstPage);
  $('#page-next').addEventListener('click', () => { pages.push(lastOnPage); refresh(); });
  $('#page-prev').addEventListener('click', () => { if (pages.length > 1) pages.pop(); refresh(); });

  const gql = window.sluiceGql; // gql.js

  const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text ?? ''; if (cls) td.className = cls; return td; };
  const row = (cells) => { const tr = document.createElement('tr'); for (const c of cells) tr.append(c); return tr; };
  const fill = (sel, rows) => { const tb = $(`${sel} tbody`); tb.replaceChildren(...rows); };
  const num = (n) => cell(n === undefined || n === null ? '' : Number(n).toLocaleString('en'), 'num');
  const showError = (e) => { const p = $('#error'); p.hidden = !e; p.textContent = e ? String(e.message ?? e) : ''; };

  let busy = false;
  async function refresh() {
    if (busy) return; // the previous refresh is still waiting for the API
    busy = true;
    try {
      // one page, filtered by name and status; pages start after the last name of the previous one
      const { pipelines: fetched } = await gql('pipelines', { first: PAGE + 1, after: pages[pages.length - 1], status: $('#filter-status').value || null, search: $('#filter-name').value.trim() || null });
      const pipelines = fetched.slice(0, PAGE);
      $('#page-next').disabled = fetched.length <= PAGE;
      $('#page-prev').disabled = pages.length === 1;
      $('#page-info').textContent = `page ${pages.length}`;
      lastOnPage = pipelines.at(-1)?.id ?? null;
      fill('#pipelines', pipelines.map((p) => {
        const s = p.sink ?? {};
        const j = s.join ?? {};
        const tr = row([cell(p.id), cell(p.status), num(s.read), num(s.inserted), num(s.duplicates), num(s.dlq), num(j.matched), num(j.unmatched), num(j.waiting)]);
        tr.className = `pick${p.id === selected ? ' selected' : ''}`;
        tr.addEventListener('click', () => { selected = p.id; refresh(); });
        return tr;
      }));
      if (selected) await showDetail(selected);
      showError(null);
    } catch (e) {
      showError(e);
    } finally {
      busy = false;
    }
  }

  async function showDetail(id) {
    let data;
    try {
      data = await gql('pipeline', { id });
    } catch {
      data = { pipeline: null }; // gone (deleted elsewhere)
    }
    const { pipeline: p } = data;
    $('#detail').hidden = !p;
    window.dispatchEvent(new window.CustomEvent('sluice:detail', { detail: p?.id ?? null })); // dlq.js
    if (!p) { selected = null; return; }
    // the list was read a moment earlier: show the detail's (newer) status there too, so the two never disagree
    const listed = [...document.querySelectorAll('#pipelines tbody tr')].find((tr) => tr.firstChild?.textContent === p.id);
    if (listed) listed.children[1].textContent = p.status;
    $('#detail-name').textContent = p.id;
    $('#detail-status').textContent = `${p.status} · spec v${p.specVersion}`;
    $('#detail-error').textContent = p.error ?? '';
    const counters = { ...(p.sink ?? {}) };
    const join = counters.join;
    delete counters.join;
    const entries = [...Object.entries(counters), ...Object.entries(join ?? {}).map(([k, v]) => [`join ${k}`, v])];
    $('#counters').replaceChildren(...entries.flatMap(([k, v]) => {
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = Number(v).toLocaleString('en');
      return [dt, dd];
    }));
    window.sluiceCharts?.render($('#charts'), p.id, p.metrics);
    fill('#ingest', p.ingest.map((i) => row([cell(i.source), num(i.read), num(i.published), num(i.lag), cell(i.error)])));
    fill('#stages', p.stages.map((s) => row([cell(s.type), num(s.attempt), cell(s.lastFailure)])));
    // the spec as the user gave it (YAML), not the filled-in JSON
    $('#edit').onclick = () => { $('#spec').value = p.specText ?? p.spec ?? ''; $('#spec').focus(); };
    $('#edit-wizard').disabled = !p.specDocument;
    $('#edit-wizard').onclick = () => window.dispatchEvent(new window.CustomEvent('sluice:edit', { detail: { id: p.id, doc: JSON.parse(p.specDocument) } })); // wizard.js
  }

  for (const b of document.querySelectorAll('[data-action]')) {
    b.addEventListener('click', async () => {
      const action = b.dataset.action;
      if (!selected || (action === 'delete' && !confirm(`Delete pipeline ${selected}? Its streams go; the ClickHouse table stays.`))) return;
      try {
        await gql(action, { id: selected });
        if (action === 'delete') { selected = null; $('#detail').hidden = true; }
        await refresh();
      } catch (e) {
        showError(e);
      }
    });
  }

  const listProblems = (problems) => $('#problems').replaceChildren(...problems.map((p) => {
    const li = document.createElement('li');
    li.textContent = p.path ? `${p.path}: ${p.message}` : p.message;
    return li;
  }));

  $('#validate').addEventListener('click', async () => {
    try {
      const { validatePipeline: v } = await gql('validate', { spec: $('#spec').value });
      listProblems(v.valid ? [{ path: '', message: 'valid' }] : v.problems);
      showError(null);
    } catch (e) {
      showError(e);
    }
  });

  $('#apply').addEventListener('click', async () => {
    const spec = $('#spec').value;
    if (/"\*\*\*"|:\s*\*\*\*\s*$/m.test(spec)) {
      listProblems([{ path: '', message: 'the spec holds redacted secrets (***): give them again, or better { env: NAME }, before applying' }]);
      return;
    }
    const name = /^name:\s*([a-z0-9-]+)/m.exec(spec)?.[1] ?? (() => { try { return JSON.parse(spec).name; } catch { return undefined; } })();
    try {
      const { pipelines } = await gql('pipelineNames', { search: name ?? null });
      if (name && pipelines.some((p) => p.id === name)) await gql('update', { id: name, spec });
      else await gql('create', { spec });
      listProblems([]);
      $('#applied').textContent = `applied ${name ?? ''}`;
      selected = name ?? selected;
      showError(null);
      await refresh();
    } catch (e) {
      listProblems(e.problems?.length ? e.problems : [{ path: '', message: e.message }]);
    }
  });

  // the wizard deployed a pipeline: show it
  window.addEventListener('sluice:select', (e) => { selected = e.detail; refresh(); });

  await refresh();
  setInterval(refresh, 2000);
})();
