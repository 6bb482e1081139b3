// The wizard's optional join step: up to two more topics, each sampled the way the first one was,
// with its key, the left key, window, inner/left and "latest value". wizard.js asks it for the
// join part of the spec, the join's output fields (the sink's columns) and the samples of the
// sides (the preview runs them through the worker's join code on the server: previewJoin).
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, props = {}, ...children) => { const e = Object.assign(document.createElement(tag), props); e.append(...children); return e; };
  const MAX_SIDES = 2;
  const LEFT = 'events';
  const sides = []; // { topic, sample, fields, name }
  let deps = null; // { gql, kafkaInput, topics(), leftFields(), showAt(step, message), clearErrors() }

  const columnName = (field) => field.replace(/\./g, '_');
  const options = (select, values, chosen) => select.replaceChildren(...values.map((v) => el('option', { value: v, textContent: v, selected: v === chosen })));
  /** a source name from the topic: lowercase letters, digits and "-", unique in the spec */
  function sourceName(topic, k) {
    let n = topic.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 56) || 'side';
    const taken = new Set([LEFT, ...sides.slice(0, k).map((s) => s.name)]);
    const base = n;
    for (let i = 2; taken.has(n); i++) n = `${base}-${i}`;
    return n;
  }

  function render() {
    const box = $('#wiz-sides');
    box.replaceChildren(...sides.map((s, k) => {
      const id = (part) => `wiz-side-${k}-${part}`;
      const topic = el('select', { id: id('topic') });
      options(topic, ['', ...deps.topics()], s.topic ?? '');
      topic.firstChild.textContent = 'choose a topic';
      topic.addEventListener('change', () => { s.topic = topic.value || null; s.sample = null; s.fields = []; render(); });
      const sampleBtn = el('button', { type: 'button', textContent: `Sample side ${k + 1}`, disabled: !s.topic });
      sampleBtn.addEventListener('click', () => sampleSide(s, sampleBtn));
      const summary = el('span', { className: 'muted', textContent: s.sample ? `${s.sample.messages.length} messages; fields: ${s.fields.map((f) => `${f.name} (${f.type})`).join(', ')}` : 'not sampled yet' });
      const key = el('select', { id: id('key') });
      options(key, s.fields.map((f) => f.name), s.key);
      key.addEventListener('change', () => { s.key = key.value; });
      const leftKey = el('select', { id: id('left-key') });
      options(leftKey, deps.leftFields().map((f) => f.name), s.leftKey);
      leftKey.addEventListener('change', () => { s.leftKey = leftKey.value; });
      const windowIn = el('input', { id: id('window'), value: s.window, size: 6 });
      windowIn.addEventListener('change', () => { s.window = windowIn.value.trim(); });
      const kind = el('select', { id: id('kind') });
      options(kind, ['inner', 'left'], s.kind);
      kind.addEventListener('change', () => { s.kind = kind.value; });
      const latest = el('input', { type: 'checkbox', id: id('latest'), checked: s.latest });
      latest.addEventListener('change', () => { s.latest = latest.checked; });
      const et = el('select', { id: id('event-time') });
      options(et, ['', ...(s.sample?.eventTimeCandidates ?? [])], s.eventTime ?? '');
      et.firstChild.textContent = 'none';
      et.addEventListener('change', () => { s.eventTime = et.value || null; });
      const remove = el('button', { type: 'button', textContent: `Remove side ${k + 1}` });
      remove.addEventListener('click', () => { sides.splice(k, 1); render(); $('#wiz-add-side').focus(); });
      const label = (forId, text) => el('label', { htmlFor: forId, textContent: text });
      if (s.fields.length) { s.key ??= key.value; s.leftKey ??= leftKey.value; }
      return el('fieldset', { className: 'side' }, el('legend', { textContent: `Side ${k + 1}${s.topic ? `: ${s.topic}` : ''}` }),
        el('div', { className: 'row' }, label(id('topic'), `Side ${k + 1} topic`), topic, sampleBtn, summary),
        el('div', { className: 'row' },
          label(id('key'), `Side ${k + 1} key field`), key, label(id('left-key'), `Side ${k + 1} matches left field`), leftKey,
          label(id('window'), `Side ${k + 1} window`), windowIn, label(id('kind'), `Side ${k + 1} kind`), kind,
          el('span', { className: 'check' }, latest, label(id('latest'), `Side ${k + 1}: latest value only (one version per key, the newest wins)`)),
          label(id('event-time'), `Side ${k + 1} event-time field`), et, remove));
    }));
    $('#wiz-add-side').disabled = sides.length >= MAX_SIDES;
    $('#wiz-join-options').hidden = sides.length === 0;
  }

  async function sampleSide(s, button) {
    deps.clearErrors();
    button.disabled = true;
    try {
      const { sampleTopic: r } = await deps.gql('sampleTopic', { kafka: deps.kafkaInput(), topic: s.topic, limit: Number($('#wiz-limit').value) });
      if (!r.messages.length) { deps.showAt('join', `topic ${s.topic} is empty: nothing to sample for this side`); return; }
      if (!r.fields.length) { deps.showAt('join', `no message of ${s.topic} is a JSON object`); return; }
      s.sample = r;
      s.name = sourceName(s.topic, sides.indexOf(s));
      s.fields = r.fields.map((f) => ({ name: f.name, type: f.type }));
      s.key = s.fields.find((f) => deps.leftFields().some((l) => l.name === f.name))?.name ?? s.fields[0].name;
      s.leftKey = deps.leftFields().some((l) => l.name === s.key) ? s.key : deps.leftFields()[0]?.name;
      s.eventTime = r.eventTimeCandidates[0] ?? null;
      render();
      $(`#wiz-side-${sides.indexOf(s)}-key`).focus();
    } catch (e) {
      deps.showAt('join', e.message);
    } finally {
      button.disabled = false;
    }
  }

  window.sluiceJoin = {
    init(d) {
      deps = d;
      $('#wiz-add-side').addEventListener('click', () => {
        sides.push({ topic: null, sample: null, fields: [], window: '10s', kind: 'inner', latest: false, eventTime: null });
        render();
        $(`#wiz-side-${sides.length - 1}-topic`).focus();
      });
      render();
    },
    get active() { return sides.some((s) => s.sample); },
    /** the sources the sides add, each read like the left one (kafka: the left source's kafka settings) */
    sources(kafka) {
      return sides.filter((s) => s.sample).map((s, k) => {
        s.name = sourceName(s.topic, k);
        const fields = Object.fromEntries(s.fields.map((f) => [f.name, f.type]));
        return { name: s.name, kafka: { ...kafka, topic: s.topic }, schema: s.eventTime ? { fields, eventTime: s.eventTime } : { fields } };
      });
    },
    /** the output fields: the left event's, then each side's but its key; a name taken already gets the side's name before it */
    outputs(leftFields) {
      const taken = new Set();
      const out = [];
      const add = (source, f, prefix) => {
        let name = columnName(f.name);
        if (taken.has(name) && prefix) name = `${prefix.replace(/-/g, '_')}_${name}`;
        if (taken.has(name)) return;
        taken.add(name);
        out.push({ name, type: f.type, field: `${source}.${f.name}` });
      };
      for (const f of leftFields) add(LEFT, f);
      for (const s of sides.filter((x) => x.sample)) for (const f of s.fields) if (f.name !== s.key) add(s.name, f, s.name);
      return out;
    },
    join(leftFields) {
      const outputs = this.outputs(leftFields);
      return {
        time: $('#wiz-join-time').value,
        left: { source: LEFT, window: $('#wiz-join-left-window').value.trim() },
        right: sides.filter((s) => s.sample).map((s) => ({
          source: s.name, key: s.key, ...(s.leftKey && s.leftKey !== s.key ? { leftKey: s.leftKey } : {}), window: s.window, kind: s.kind, latest: s.latest,
        })),
        output: outputs.map((o) => (o.name === o.field.slice(o.field.indexOf('.') + 1) ? o.field : { field: o.field, as: o.name })),
      };
    },
    samples() {
      return sides.filter((s) => s.sample).map((s) => ({ source: s.name, messages: s.sample.messages }));
    },
    LEFT,
  };
})();
