// The pipeline wizard: connect to Kafka, sample a topic, say what a duplicate is (or accept the
// suggestion), preview on the sample, choose the ClickHouse table, review the YAML, deploy.
// Every figure comes from the API (inference, suggestion and preview run in core/ on the server).
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  const gql = window.sluiceGql; // gql.js
  const el = (tag, props = {}, ...children) => { const e = Object.assign(document.createElement(tag), props); e.append(...children); return e; };
  // edit: { id, doc } while the wizard edits a running pipeline (doc: its spec as the user gave it)
  const w = { topic: null, sample: null, fields: [], suggestion: null, tables: [], edit: null };

  // each spec path belongs to a step: a problem is shown at its step
  const STEP_OF = [[/^join/, 'join'], [/^sources\[[1-9]\d*\]/, 'join'], [/^sources\[\d+\]\.kafka\.topic/, 'sample'], [/^sources\[\d+\]\.kafka/, 'connect'], [/^sources\[\d+\]\.schema/, 'sample'], [/^sources\[\d+\]\.dedup/, 'dedup'], [/^sink/, 'sink'], [/.*/, 'review']];
  const stepOf = (path) => STEP_OF.find(([re]) => re.test(path ?? ''))[1];
  const clearErrors = () => { for (const p of document.querySelectorAll('.wiz-error')) { p.textContent = ''; p.hidden = true; } };
  function showAt(step, message) {
    const p = $(`#wiz-${step}-error`);
    p.textContent = p.textContent ? `${p.textContent}\n${message}` : message;
    p.hidden = false;
  }
  const showProblems = (e, fallback) => {
    if (e.problems?.length) for (const p of e.problems) showAt(stepOf(p.path), `${p.path}: ${p.message}`);
    else showAt(fallback, e.message);
  };
  const open = (step, focus = true) => { const s = $(`#wiz-${step}`); s.hidden = false; if (focus) s.querySelector('input, select, button')?.focus(); };
  async function busy(button, fn) {
    button.disabled = true;
    const label = button.textContent;
    button.textContent = `${label}…`;
    try { await fn(); } finally { button.disabled = false; button.textContent = label; }
  }

  function kafkaInput() {
    const k = { brokers: $('#wiz-brokers').value.split(',').map((b) => b.trim()).filter(Boolean) };
    const mech = $('#wiz-sasl').value;
    if (mech) {
      const secret = $('#wiz-sasl-password').value;
      k.sasl = { mechanism: mech, username: $('#wiz-sasl-user').value, password: $('#wiz-sasl-env').checked ? { env: secret } : { value: secret } };
    }
    if ($('#wiz-tls').checked) k.tls = { enabled: true };
    return k;
  }
  const specKafka = () => {
    const k = kafkaInput();
    const out = { brokers: k.brokers, topic: w.topic, startFrom: 'earliest' };
    if (k.sasl) out.sasl = { mechanism: k.sasl.mechanism.replace(/_/g, '-'), username: k.sasl.username, password: k.sasl.password.env ? { env: k.sasl.password.env } : k.sasl.password.value };
    if (k.tls) out.tls = k.tls;
    return out;
  };

  // 1. connect: list the topics
  async function listTopics() {
    clearErrors();
    try {
      const { kafkaTopics } = await gql('kafkaTopics', { kafka: kafkaInput(), search: $('#wiz-search').value || null });
      w.topics = kafkaTopics.map((t) => t.name);
      const tb = $('#wiz-topics tbody');
      tb.replaceChildren(...kafkaTopics.map((t, i) => {
        const radio = el('input', { type: 'radio', name: 'wiz-topic', value: t.name, id: `wiz-topic-${i}` });
        radio.addEventListener('change', () => { w.topic = t.name; open('sample'); });
        return el('tr', {}, el('td', {}, radio, ' ', el('label', { htmlFor: radio.id, textContent: t.name })), el('td', { className: 'num', textContent: String(t.partitions) }), el('td', { className: 'num', textContent: Number(t.messages).toLocaleString('en') }));
      }));
      $('#wiz-topics').hidden = false;
      if (!kafkaTopics.length) showAt('connect', 'no topics match');
    } catch (e) { showProblems(e, 'connect'); }
  }

  // 2. sample: the last messages, the inferred types (editable), the rejected ones
  async function sample() {
    clearErrors();
    try {
      const { sampleTopic: s } = await gql('sampleTopic', { kafka: kafkaInput(), topic: w.topic, limit: Number($('#wiz-limit').value) });
      w.sample = s;
      w.fields = s.fields.map((f) => ({ ...f }));
      if (w.edit) {
        // the running spec's fields and types (a new field would change a whole-event key); examples from the sample
        const inferred = new Map(w.fields.map((f) => [f.name, f]));
        w.fields = Object.entries(w.edit.doc.sources[0].schema.fields).map(([name, type]) => ({ name, type, present: inferred.get(name)?.present ?? 0, examples: inferred.get(name)?.examples ?? [] }));
      }
      w.suggestion = s.suggestions[0] ?? null;
      $('#wiz-sample-summary').textContent = `${s.messages.length} messages from ${s.topic}${s.truncated ? ' (stopped at the size or time limit)' : ''}; ${s.rejected.length} not JSON objects`;
      renderFields();
      $('#wiz-rejected').replaceChildren(...s.rejected.map((r) => el('li', {}, el('strong', { textContent: r.reason }), ` message ${r.index + 1}: ${r.error} — `, el('code', { textContent: String(r.value).slice(0, 120) }))));
      const cols = w.fields.slice(0, 8).map((f) => f.name);
      $('#wiz-messages').replaceChildren(
        el('thead', {}, el('tr', {}, ...['partition', 'offset', ...cols].map((c) => el('th', { textContent: c })))),
        el('tbody', {}, ...s.messages.slice(-20).map((m) => {
          let o = {};
          try { o = JSON.parse(m.value) ?? {}; } catch { /* shown under "not JSON objects" */ }
          const at = (path) => path.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), o);
          return el('tr', {}, el('td', { textContent: String(m.partition) }), el('td', { textContent: String(m.offset) }), ...cols.map((c) => el('td', { className: 'value', textContent: JSON.stringify(at(c)) ?? '' })));
        })));
      if (!s.messages.length) { showAt('sample', `topic ${s.topic} is empty: nothing to sample (send some events, then sample again)`); return; }
      if (!w.fields.length) { showAt('sample', 'no message of the sample is a JSON object: the pipeline would send every one to the DLQ'); return; }
      const et = $('#wiz-event-time');
      et.replaceChildren(el('option', { value: '', textContent: 'none (arrival time only)' }), ...s.eventTimeCandidates.map((f) => el('option', { value: f, textContent: f })));
      renderDedup();
      if (w.edit) prefillDedup(w.edit.doc.sources[0]);
      open('dedup');
    } catch (e) { showProblems(e, 'sample'); }
  }

  function renderFields() {
    $('#wiz-fields tbody').replaceChildren(...w.fields.map((f, i) => {
      const input = el('input', { id: `wiz-type-${i}`, value: f.type, size: 10 });
      input.addEventListener('change', () => { f.type = input.value.trim(); });
      return el('tr', {}, el('td', {}, el('label', { htmlFor: input.id, textContent: f.name })), el('td', {}, input), el('td', { className: 'value', textContent: f.examples.join(', ') }));
    }));
  }

  // 3. dedup: key fields or "the whole event except", the suggestion, window and time
  function renderDedup() {
    const s = w.suggestion;
    $('#wiz-suggestion').textContent = s ? `${s.pairs} pairs of sampled events are identical but for "${s.ignore}": ignore it, so those copies count once.` : 'No pair of sampled events is identical but for one field: choose the fields yourself.';
    $('#wiz-accept').hidden = !s;
    $('#wiz-dedup-fields').replaceChildren(...w.fields.map((f, i) => {
      const id = `wiz-dedup-field-${i}`;
      return el('span', { className: 'check' }, el('input', { type: 'checkbox', id, value: f.name }), el('label', { htmlFor: id, textContent: f.name }));
    }));
  }
  function acceptSuggestion() {
    $('#wiz-mode-ignore').checked = true;
    for (const c of document.querySelectorAll('#wiz-dedup-fields input')) c.checked = c.value === w.suggestion.ignore;
    $('#wiz-accepted').textContent = `accepted: the whole event except ${w.suggestion.ignore}`;
    open('join', false);
    open('preview');
  }

  const columnName = (field) => field.replace(/\./g, '_');
  /** what the sink's columns take: the event's fields, or with a join its output fields */
  const sinkFields = () => (J.active ? J.outputs(w.fields) : w.fields);
  function specDocument() {
    const fields = Object.fromEntries(w.fields.map((f) => [f.name, f.type]));
    const chosen = [...document.querySelectorAll('#wiz-dedup-fields input:checked')].map((c) => c.value);
    const dedup = { key: $('#wiz-mode-ignore').checked ? { ignore: chosen } : chosen.length === 1 ? chosen[0] : chosen, window: $('#wiz-window').value.trim(), time: $('#wiz-time').value };
    const eventTime = $('#wiz-event-time').value;
    const newTable = $('#wiz-table-new').checked;
    const sink = {
      clickhouse: { url: $('#wiz-ch-url').value.trim(), database: $('#wiz-ch-db').value.trim(), table: newTable ? $('#wiz-new-table').value.trim() : $('#wiz-existing-table').value },
      // an existing column of another type than the field's own (DateTime64 for a datetime, ...) is named in the spec
      columns: [...document.querySelectorAll('#wiz-columns tbody tr')].map((tr) => {
        const type = newTable ? undefined : w.columnTypes?.get(tr.dataset.field);
        return { name: tr.querySelector('input').value.trim(), field: tr.dataset.field, ...(type ? { type } : {}) };
      }),
    };
    if (newTable) sink.createTable = { engine: $('#wiz-engine').value.trim(), orderBy: $('#wiz-order-by').value.split(',').map((s) => s.trim()).filter(Boolean) };
    const doc = {
      version: 1,
      name: $('#wiz-name').value.trim(),
      sources: [{ name: J.LEFT, kafka: specKafka(), schema: eventTime ? { fields, eventTime } : { fields }, dedup }],
      sink,
    };
    if (J.active) {
      const { topic: _, ...kafka } = doc.sources[0].kafka;
      doc.sources.push(...J.sources(kafka));
      doc.join = J.join(w.fields);
    }
    return w.edit ? onto(w.edit.doc, doc) : doc;
  }
  // an edit changes what the wizard shows and keeps the rest of the user's document (batch, description, column types, ...)
  function onto(base, doc) {
    const [b, d] = [base.sources[0], doc.sources[0]];
    const types = new Map((base.sink.columns ?? []).map((c) => [c.field ?? c.name, c.type]));
    // a password the page does not show stays *** (and the review asks for it) unless typed again
    if (d.kafka.sasl && !d.kafka.sasl.password && b.kafka.sasl) d.kafka.sasl.password = b.kafka.sasl.password;
    return {
      ...base,
      sources: [{ ...b, kafka: { ...b.kafka, ...d.kafka, startFrom: b.kafka.startFrom ?? d.kafka.startFrom }, schema: d.schema, dedup: { ...b.dedup, ...d.dedup } }, ...base.sources.slice(1)],
      sink: {
        ...base.sink, ...doc.sink, clickhouse: { ...base.sink.clickhouse, ...doc.sink.clickhouse },
        // no columns in the user's spec and none renamed: still none (the default, one column per field)
        columns: !base.sink.columns && doc.sink.columns.every((c) => c.name === columnName(c.field)) ? undefined
          : doc.sink.columns.map((c) => (types.get(c.field) ? { ...c, type: types.get(c.field) } : c)),
        ...(doc.sink.createTable ? { createTable: { ...base.sink.createTable, ...doc.sink.createTable } } : {}),
      },
    };
  }

  // 4. preview on the sample, by the worker's own code
  async function preview() {
    clearErrors();
    const doc = specDocument();
    // the preview needs no sink yet: a placeholder one lets the spec validate
    doc.name ||= 'preview';
    doc.sink = { clickhouse: { url: 'http://preview:8123', table: 'preview' } };
    if (J.active) return previewJoined(doc);
    try {
      $('#wiz-preview-join').hidden = true;
      const { previewDedup: p } = await gql('previewDedup', { spec: JSON.stringify(doc), messages: w.sample.messages });
      $('#wiz-preview-counts').replaceChildren(...[['read', p.read], ['rows', p.rows], ['duplicates', p.duplicates], ['DLQ', p.dlq]].flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: String(v) })]));
      $('#wiz-preview-dlq').replaceChildren(...p.dlqReasons.map((r) => el('li', { textContent: `${r.reason}: ${r.count} (e.g. ${r.example})` })));
      $('#wiz-groups').replaceChildren(...p.groups.map((g) => el('div', { className: 'group' }, ...g.map((v, i) => el('pre', { textContent: `${i === 0 ? 'kept' : 'duplicate'}\n${v}` })))));
      proposeColumns();
      open('sink');
    } catch (e) { showProblems(e, 'preview'); }
  }

  // with a join: the samples of every topic through the worker's join (previewJoin)
  async function previewJoined(doc) {
    try {
      const samples = [{ source: J.LEFT, messages: w.sample.messages }, ...J.samples()];
      const { previewJoin: p } = await gql('previewJoin', { spec: JSON.stringify(doc), samples });
      const dl = (sel, pairs) => $(sel).replaceChildren(...pairs.flatMap(([k, v]) => [el('dt', { textContent: k }), el('dd', { textContent: String(v) })]));
      dl('#wiz-preview-counts', [['read', p.read], ['joined rows', p.rows], ['duplicates', p.duplicates], ['DLQ', p.dlq]]);
      dl('#wiz-preview-join', [['matched', p.matched], ['unmatched', p.unmatched], ['waiting', p.waiting], ['side events held', p.side]]);
      $('#wiz-preview-join').hidden = false;
      $('#wiz-preview-dlq').replaceChildren(...p.dlqReasons.map((r) => el('li', { textContent: `${r.reason}: ${r.count} (e.g. ${r.example})` })));
      $('#wiz-groups').replaceChildren(...(p.examples.length ? [el('div', { className: 'group' }, ...p.examples.map((v) => el('pre', { textContent: `joined row\n${v}` })))] : []));
      proposeColumns();
      open('sink');
    } catch (e) { showProblems(e, 'preview'); }
  }

  // 5. sink: ClickHouse, an existing table (checked per mapping) or a new one
  function proposeColumns(problems = new Map()) {
    const given = w.edit?.doc.sink.columns && new Map(w.edit.doc.sink.columns.map((c) => [c.field ?? c.name, c.name]));
    $('#wiz-columns tbody').replaceChildren(...sinkFields().filter((f) => !given || given.has(f.name)).map((f, i) => {
      const input = el('input', { id: `wiz-col-${i}`, value: given?.get(f.name) ?? columnName(f.name), size: 14 });
      const problem = problems.get(f.name);
      const tr = el('tr', {}, el('td', {}, el('label', { htmlFor: input.id, textContent: `${f.name} (${f.type})` })), el('td', {}, input), el('td', { className: 'error', textContent: problem ?? '' }));
      tr.dataset.field = f.name;
      if (problem) input.setAttribute('aria-invalid', 'true');
      return tr;
    }));
    const et = $('#wiz-event-time').value;
    $('#wiz-order-by').value ||= [et, w.fields.find((f) => f.type === 'string')?.name].filter(Boolean).map(columnName).join(', ') || columnName(w.fields[0]?.name ?? '');
    $('#wiz-new-table').value ||= (w.topic ?? 'events').replace(/[^A-Za-z0-9_]/g, '_');
    $('#wiz-name').value ||= (w.topic ?? 'events').toLowerCase().replace(/[^a-z0-9-]/g, '-');
  }
  const chInput = () => ({ url: $('#wiz-ch-url').value.trim(), database: $('#wiz-ch-db').value.trim() || null });
  async function listTables() {
    clearErrors();
    try {
      const { clickhouseTables } = await gql('clickhouseTables', { clickhouse: chInput() });
      $('#wiz-existing-table').replaceChildren(el('option', { value: '', textContent: clickhouseTables.length ? 'choose a table' : 'no tables in this database' }), ...clickhouseTables.map((t) => el('option', { value: t, textContent: t })));
    } catch (e) { showProblems(e, 'sink'); }
  }
  async function checkTable() {
    clearErrors();
    const table = $('#wiz-existing-table').value;
    if (!table) return;
    const mapping = [...document.querySelectorAll('#wiz-columns tbody tr')].map((tr) => ({ column: tr.querySelector('input').value.trim(), field: tr.dataset.field, fieldType: sinkFields().find((f) => f.name === tr.dataset.field).type }));
    try {
      const { clickhouseTable: t } = await gql('clickhouseTable', { clickhouse: chInput(), table, mapping });
      const problems = new Map(t.mapping.filter((m) => m.problem).map((m) => [m.field, `${m.column}: ${m.problem}`]));
      w.columnTypes = new Map(t.mapping.filter((m) => m.columnType).map((m) => [m.field, m.columnType]));
      proposeColumns(problems);
      for (const tr of document.querySelectorAll('#wiz-columns tbody tr')) tr.querySelector('input').value = mapping.find((m) => m.field === tr.dataset.field).column;
      if (problems.size) showAt('sink', `table ${table} does not take ${problems.size} field(s): see the fields marked below`);
    } catch (e) { showProblems(e, 'sink'); }
  }

  // 6. review: the YAML sluice export gives; 7. deploy
  async function review() {
    clearErrors();
    try {
      const doc = specDocument();
      const { exportSpec } = await gql('exportSpec', { spec: JSON.stringify(doc) });
      $('#wiz-yaml').textContent = exportSpec;
      if (w.edit) await showUpdate(doc);
      $('#wiz-download').href = `data:text/yaml;charset=utf-8,${encodeURIComponent(exportSpec)}`;
      $('#wiz-download').download = `${doc.name}.yaml`;
      open('review');
      $('#wiz-deploy').focus();
    } catch (e) { showProblems(e, 'review'); }
  }
  // an edit: the diff against the running spec, and what the update rules refuse, each at its step
  async function showUpdate(doc) {
    const { checkUpdate: c } = await gql('checkUpdate', { id: w.edit.id, spec: JSON.stringify(doc) });
    $('#wiz-diff').replaceChildren(...(c.diff.length ? c.diff : ['(no change)']).map((l) => el('div', { className: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '', textContent: l })));
    $('#wiz-diff-box').hidden = false;
    for (const p of c.problems) showAt(stepOf(p.path), `${p.path}: ${p.message}`);
    if (JSON.stringify(doc).includes('"***"')) showAt('connect', 'sources[0].kafka: a password or key is not shown again: type it once more (or give an environment variable\'s name) before updating');
    $('#wiz-deploy').disabled = c.problems.length > 0 || c.diff.length === 0 || JSON.stringify(doc).includes('"***"');
  }
  async function deploy() {
    clearErrors();
    if (w.edit) {
      try {
        const { updatePipeline: u } = await gql('update', { id: w.edit.id, spec: JSON.stringify(specDocument()) });
        $('#wiz-deployed').textContent = `updated ${u.id} (${u.status}): the pipeline applies the new spec`;
        window.dispatchEvent(new CustomEvent('sluice:select', { detail: u.id }));
      } catch (e) { showProblems(e, 'review'); }
      return;
    }
    try {
      const { createPipeline: create } = await gql('create', { spec: JSON.stringify(specDocument()) });
      $('#wiz-deployed').textContent = `deployed ${create.id} (${create.status})`;
      window.dispatchEvent(new CustomEvent('sluice:select', { detail: create.id }));
    } catch (e) { showProblems(e, 'review'); }
  }

  function prefillDedup(src) {
    const key = src.dedup?.key;
    const ignore = key && typeof key === 'object' && !Array.isArray(key) ? key.ignore : null;
    const chosen = new Set(ignore ?? (Array.isArray(key) ? key : key ? [key] : []));
    $(ignore ? '#wiz-mode-ignore' : '#wiz-mode-key').checked = true;
    for (const c of document.querySelectorAll('#wiz-dedup-fields input')) c.checked = chosen.has(c.value);
    $('#wiz-window').value = src.dedup?.window ?? '1h';
    $('#wiz-time').value = src.dedup?.time ?? 'arrival';
    $('#wiz-event-time').value = src.schema.eventTime ?? '';
    open('preview');
  }

  // "Edit in the wizard" on the pipeline page: the wizard on the running spec (app.js)
  window.addEventListener('sluice:edit', (e) => {
    const { id, doc } = e.detail;
    const src = doc.sources[0];
    clearErrors();
    $('#wiz-deployed').textContent = '';
    $('#wiz-diff-box').hidden = true;
    for (const step of ['dedup', 'preview', 'sink', 'review']) $(`#wiz-${step}`).hidden = true;
    w.edit = { id, doc };
    w.topic = src.kafka.topic;
    $('#wiz-title').textContent = `Edit pipeline ${id}`;
    $('#wiz-editing').hidden = false;
    $('#wiz-editing').textContent = `Editing ${id} (topic ${w.topic}): sample the topic again, change what you need, then review the diff and update.`;
    $('#wiz-brokers').value = src.kafka.brokers.join(', ');
    const sasl = src.kafka.sasl;
    $('#wiz-sasl').value = sasl ? sasl.mechanism.replace(/-/g, '_') : '';
    $('#wiz-sasl-user').value = sasl?.username ?? '';
    $('#wiz-sasl-env').checked = !!sasl?.password?.env;
    $('#wiz-sasl-password').value = sasl?.password?.env ?? '';
    $('#wiz-tls').checked = !!src.kafka.tls;
    const ch = doc.sink.clickhouse;
    $('#wiz-ch-url').value = ch.url;
    $('#wiz-ch-db').value = ch.database ?? 'default';
    $('#wiz-table-new').checked = true;
    $('#wiz-new-table').value = ch.table;
    $('#wiz-engine').value = doc.sink.createTable?.engine ?? 'MergeTree';
    $('#wiz-order-by').value = (doc.sink.createTable?.orderBy ?? []).join(', ');
    $('#wiz-name').value = id;
    $('#wiz-name').readOnly = true;
    $('#wiz-deploy').textContent = 'Update';
    $('#wizard').scrollIntoView();
    open('sample');
  });

  const J = window.sluiceJoin; // wizardJoin.js
  J.init({ gql, kafkaInput, topics: () => w.topics ?? [], leftFields: () => w.fields, showAt, clearErrors });

  const on = (sel, fn) => $(sel).addEventListener('click', (ev) => busy(ev.currentTarget, fn));
  on('#wiz-list-topics', listTopics);
  on('#wiz-sample-go', sample);
  $('#wiz-accept').addEventListener('click', acceptSuggestion);
  $('#wiz-dedup-next').addEventListener('click', () => { open('join', false); open('preview'); });
  on('#wiz-preview-go', preview);
  on('#wiz-list-tables', listTables);
  $('#wiz-existing-table').addEventListener('change', () => { $('#wiz-table-existing').checked = true; checkTable(); });
  on('#wiz-review-go', review);
  on('#wiz-deploy', deploy);
  $('#wiz-copy').addEventListener('click', () => navigator.clipboard?.writeText($('#wiz-yaml').textContent));
})();
