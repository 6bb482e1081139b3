import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonBytes } from '../../core/jsonBytes';
import { RowLines } from '../../core/rowLines';
import { SinkState } from '../../core/sinkState';
import { validateSpec } from '../../core/spec/validate';
import { purchaseSpec } from './fixtures';

class Probe extends JsonBytes {
  text(): string {
    return this.buf.toString('utf8', 0, this.pos);
  }
}

test('a value is written as JSON.stringify writes it (escapes, non-ASCII, lone surrogates, numbers, nested values)', () => {
  const values: unknown[] = [
    '', 'plain', 'with "quotes" and \\ backslash', 'line\nbreak\ttab\u0001', 'é ü 中文 🎉', '\ud800 lone', 'x\u2028y', '\u007f del',
    0, -0, 1.5, -12.25, 1e21, 1e-7, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY,
    true, false, null, undefined, [1, 'a', null, [2]], { b: 1, a: ['x'], c: { d: 'é' } }, [], {},
  ];
  for (const v of values) {
    const w = new Probe(4); // grows while writing
    w.json(v);
    assert.equal(w.text(), JSON.stringify(v) ?? 'null', `value ${String(v)}`);
  }
});

test('numbers repeated, alternated and written by two writers in turn (the last number text is shared) are JSON.stringify text', () => {
  const seq = [1.5, 1.5, -0, 0, -0, 2, 1.5, Number.NaN, 1.5, Number.POSITIVE_INFINITY, 1e21, 1e21, 0.1 + 0.2, 0.30000000000000004, 5e-324, 0];
  const a = new Probe(4);
  const b = new Probe(4);
  for (const [i, v] of seq.entries()) {
    const w = i % 3 === 0 ? a : b;
    const before = w.text().length;
    w.json(v);
    assert.equal(w.text().slice(before), JSON.stringify(v), `number ${i}: ${v}`);
  }
});

test('rows are lines: a begun row can be aborted, the last one dropped; lines are copied into another batch as they are', () => {
  const r = new RowLines(8);
  const row = (text: string) => { r.begin(); r.raw(Buffer.from(text)); r.end(); };
  row('{"a":1}');
  r.begin(); r.raw(Buffer.from('{"a":')); r.abort(); // a value that did not fit its column
  row('{"a":"é"}');
  row('{"a":3}');
  r.dropLast(); // a duplicate
  assert.equal(r.count, 2);
  assert.equal(r.bytes().toString(), '{"a":1}\n{"a":"é"}\n');
  assert.equal(r.text(1), '{"a":"é"}');
  assert.deepEqual(r.objects(), [{ a: 1 }, { a: 'é' }]);
  const copy = RowLines.from([r.line(1), r.line(0)]);
  assert.equal(copy.bytes().toString(), '{"a":"é"}\n{"a":1}\n');
  assert.equal(RowLines.from([]).count, 0);
  r.dropLast(); r.dropLast();
  assert.equal(r.bytes().length, 0);
});

test("the sink's rows are the JSONEachRow text of the row objects of before: one line per row, JSON.stringify's bytes", () => {
  const base = purchaseSpec();
  const v = validateSpec({
    ...base,
    sources: [{ ...base.sources[0], schema: { fields: { event_id: 'string', tags: 'string[]', attrs: 'int32{}', price: 'float64', note: 'string?', ok: 'bool', ts: 'datetime', _event_source_: 'string' } } }],
    sink: {
      ...base.sink,
      columns: [
        { name: 'event_id', type: 'String' }, { name: 'tags', type: 'Array(String)' }, { name: 'attrs', type: 'Map(String, Int32)' },
        { name: 'price', type: 'Decimal(10, 2)' }, { name: 'note', type: 'Nullable(String)' }, { name: 'ok', type: 'UInt8' },
        { name: 'ts', type: 'DateTime' }, { name: 'src', field: '_event_source_', type: 'String' },
      ],
    },
  });
  if (!v.ok) throw new Error(JSON.stringify(v.problems));
  const st = new SinkState(v.spec, { incarnation: 3 });
  const events = [
    { event_id: 'a "quoted"\n', tags: ['x', 'é'], attrs: { k: 1 }, price: '12.5', note: null, ok: true, ts: '2026-11-29T12:00:00Z', _event_source_: 'web' },
    { event_id: '🎉', tags: [], attrs: {}, price: 3, ok: false, ts: 1764417600, _event_source_: 'ios' },
    { event_id: 'bad', tags: 'not an array', attrs: {}, price: 1, ok: true, ts: '2026-11-29T12:00:00Z', _event_source_: 'web' },
  ];
  st.process(1, { s: 0, t: 'purchases', p: 0, o: [0, 1, 2], a: 1000, v: events.map((e) => JSON.stringify(e)) });
  const { rows, dlq } = st.takeBatch(2000);
  assert.equal(dlq.length, 1, 'the event whose value does not fit is not a row');
  assert.equal(rows.count, 2);
  const text = rows.bytes().toString('utf8');
  assert.equal(text.split('\n').length, 3, 'one line per row, each ending in a newline');
  for (let i = 0; i < rows.count; i++) assert.equal(rows.text(i), JSON.stringify(JSON.parse(rows.text(i))), `row ${i} is JSON.stringify's text`);
  const [a, b] = rows.objects();
  assert.deepEqual(a, { event_id: 'a "quoted"\n', tags: ['x', 'é'], attrs: { k: 1 }, price: a.price, note: null, ok: 1, ts: '2026-11-29 12:00:00', src: 'web', _sluice_batch: a._sluice_batch });
  assert.equal(b.event_id, '🎉');
  assert.equal(b.note, null, 'a missing nullable field is null');
  assert.equal(b.ts, '2025-11-29 12:00:00');
  assert.equal(a._sluice_batch, b._sluice_batch);
  assert.ok(Number(a._sluice_batch) > 2 ** 32, 'the batch id holds the incarnation');
});
