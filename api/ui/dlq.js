// The DLQ browser of the pipeline page: entries with their reason, filtered by reason, 50 a page;
// replay the chosen ones (sent back to their topic, removed from the DLQ) or purge them all after a
// confirmation. Loaded when a pipeline is opened and after each action, not on the page's 2 s
// refresh (which would undo the choice and move the focus).
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  const gql = window.sluiceGql; // gql.js
  const el = (tag, props = {}, ...children) => { const e = Object.assign(document.createElement(tag), props); e.append(...children); return e; };
  let id = null;
  let nextAfter = null;
  const chosen = new Set();
  const say = (ok, err) => {
    $('#dlq-done').textContent = ok ?? '';
    $('#dlq-error').textContent = err ?? '';
    $('#dlq-error').hidden = !err;
  };
  const syncButtons = () => { $('#dlq-replay').disabled = chosen.size === 0; $('#dlq-replay').textContent = chosen.size ? `Replay selected (${chosen.size})` : 'Replay selected'; };

  function entryRow(d) {
    const box = el('input', { type: 'checkbox', id: `dlq-pick-${d.id}`, checked: chosen.has(d.id) });
    box.addEventListener('change', () => { if (box.checked) chosen.add(d.id); else chosen.delete(d.id); syncButtons(); });
    return el('tr', {},
      el('td', {}, box, el('label', { htmlFor: box.id, className: 'sr-only', textContent: `replay entry ${d.id}` })),
      el('td', { textContent: d.id }), el('td', { textContent: d.source }), el('td', { textContent: d.reason }),
      el('td', { textContent: d.error }), el('td', { className: 'value', textContent: d.value ?? '' }));
  }

  async function load(more = false) {
    if (!id) return;
    try {
      const { dlq } = await gql('dlq', { id, reason: $('#dlq-reason').value || null, after: more ? nextAfter : null });
      const rows = dlq.items.map(entryRow);
      if (more) $('#dlq tbody').append(...rows);
      else $('#dlq tbody').replaceChildren(...rows);
      nextAfter = dlq.nextAfter;
      $('#dlq-more').hidden = !nextAfter;
      const shown = $('#dlq tbody').children.length;
      $('#dlq-total').textContent = `(${dlq.total} entr${dlq.total === 1 ? 'y' : 'ies'}${$('#dlq-reason').value ? `; ${shown} shown with reason ${$('#dlq-reason').value}` : `; ${shown} shown`})`;
      $('#dlq-purge').disabled = dlq.total === 0;
    } catch (e) {
      say(null, e.message);
    }
  }

  $('#dlq-reason').addEventListener('change', () => { chosen.clear(); syncButtons(); load(); });
  $('#dlq-refresh').addEventListener('click', () => load());
  $('#dlq-more').addEventListener('click', () => load(true));
  $('#dlq-replay').addEventListener('click', async () => {
    const ids = [...chosen];
    $('#dlq-replay').disabled = true;
    try {
      const { replayDlq: n } = await gql('replayDlq', { id, ids });
      chosen.clear();
      say(`replayed ${n} entr${n === 1 ? 'y' : 'ies'}: the pipeline reads ${n === 1 ? 'it' : 'them'} again`, null);
    } catch (e) {
      say(null, e.message);
    }
    syncButtons();
    await load();
  });
  $('#dlq-purge').addEventListener('click', async () => {
    if (!confirm(`Purge every DLQ entry of pipeline ${id}? They cannot be replayed afterwards.`)) return;
    try {
      const { purgeDlq: n } = await gql('purgeDlq', { id });
      chosen.clear();
      say(`purged ${n} entr${n === 1 ? 'y' : 'ies'}`, null);
    } catch (e) {
      say(null, e.message);
    }
    syncButtons();
    await load();
  });

  // app.js tells which pipeline is open
  window.addEventListener('sluice:detail', (e) => {
    if (e.detail === id) return;
    id = e.detail;
    chosen.clear();
    syncButtons();
    say(null, null);
    load();
  });
})();
