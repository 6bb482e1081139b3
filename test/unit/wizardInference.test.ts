// The wizard's pure parts: schema inference from a sample, the "identical but for one field"
// dedup suggestion, the column compatibility rule and the dedup preview run by SinkState.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferSchema } from '../../core/inference/schema';
import { suggestDedup } from '../../core/inference/dedupSuggest';
import { columnProblem } from '../../core/inference/compatibility';
import { previewDedup, previewJoin } from '../../core/preview';
import { mustValidateSpec } from '../../core/spec/validate';

const purchase = (id: string, source: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ event_id: id, user_id: `u${id}`, amount: 12.5, qty: 2, ts: '2026-12-02T10:00:00Z', _event_source_: source, ...extra });

test('field types are inferred per dot path: widths, floats, bools, datetimes, nullable, arrays', () => {
  const s = inferSchema([
    JSON.stringify({ id: 1, neg: -5, big: 2 ** 40, f: 1, ok: true, at: '2026-12-02 10:00:00', tags: ['a'], user: { city: 'Oslo' }, note: null, word: '2026' }),
    JSON.stringify({ id: 2, neg: 3, big: 1, f: 1.5, ok: false, at: '2026-12-02T10:00:00Z', tags: [], user: { city: 'Rome', zip: 123 }, note: 'x', word: 'x' }),
  ]);
  const types = Object.fromEntries(s.fields.map((f) => [f.name, f.type]));
  assert.deepEqual(types, {
    id: 'uint32', neg: 'int32', big: 'uint64', f: 'float64', ok: 'bool', at: 'datetime', tags: 'string[]',
    'user.city': 'string', 'user.zip': 'uint32?', note: 'string?', word: 'string',
  });
  assert.deepEqual(s.eventTimeCandidates, ['at']);
  assert.equal(s.objects.length, 2);
});

test('values that are not JSON objects are set apart with the decoder\'s DLQ reason', () => {
  const s = inferSchema(['{"a":1}', 'not json', '[1,2]', null, '42']);
  assert.deepEqual(s.rejected.map((r) => [r.index, r.reason]), [[1, 'malformed_json'], [2, 'not_an_object'], [3, 'empty_message'], [4, 'not_an_object']]);
  assert.deepEqual(s.fields.map((f) => f.name), ['a']);
});

test('the suggestion: the field whose ignoring pairs identical events, with the pair count', () => {
  const objects = [
    purchase('1', 'frontend'), purchase('1', 'backend'),
    purchase('2', 'frontend'), purchase('2', 'backend'),
    purchase('3', 'frontend'),
  ].map((t) => JSON.parse(t) as Record<string, unknown>);
  const [best] = suggestDedup(objects);
  assert.deepEqual(best, { ignore: '_event_source_', pairs: 2 });
  // identical copies are not pairs "but for one field"
  assert.deepEqual(suggestDedup([objects[0], objects[0]]), []);
});

test('a column takes a field only with the type the field maps to', () => {
  assert.equal(columnProblem('float64', 'Float64'), null);
  assert.match(columnProblem('string', 'UInt32')!, /column is UInt32; a string field needs String/);
  assert.match(columnProblem('int32?', 'Int32')!, /needs Nullable\(Int32\)/);
  assert.equal(columnProblem('string', undefined), 'the table has no such column');
});

test('the preview counts rows, duplicates and DLQ entries as SinkState does, with duplicate groups', () => {
  const spec = mustValidateSpec({
    version: 1, name: 'preview',
    sources: [{
      name: 'purchases', kafka: { brokers: ['k:9092'], topic: 'purchases' },
      schema: { fields: { event_id: 'string', user_id: 'string', amount: 'float64', qty: 'uint32', ts: 'datetime', _event_source_: 'string' } },
      dedup: { key: { ignore: ['_event_source_'] }, window: '1h' },
    }],
    sink: { clickhouse: { url: 'http://c:8123', table: 't' } },
  });
  const values = [purchase('1', 'frontend'), purchase('1', 'backend'), purchase('2', 'frontend'), 'oops', purchase('3', 'frontend', { qty: -1 })];
  const p = previewDedup(spec, values.map((value, i) => ({ partition: i % 2, offset: i, value })), Date.now());
  assert.deepEqual([p.read, p.rows, p.duplicates, p.dlq], [5, 2, 1, 2]);
  assert.deepEqual(p.dlqReasons.map((r) => [r.reason, r.count]).sort(), [['malformed_json', 1], ['type_mismatch', 1]]);
  assert.deepEqual(p.groups, [[values[0], values[1]]]);
});

test('the join preview runs the samples through the worker\'s join: matched, unmatched (window closed by now), waiting, rows', () => {
  const spec = mustValidateSpec({
    version: 1, name: 'preview',
    sources: [
      { name: 'purchases', kafka: { brokers: ['k:9092'], topic: 'purchases' }, schema: { fields: { event_id: 'string', user_id: 'string' } }, dedup: { key: 'event_id', window: '1h' } },
      { name: 'payments', kafka: { brokers: ['k:9092'], topic: 'payments' }, schema: { fields: { event_id: 'string', status: 'string' } } },
    ],
    join: { left: { source: 'purchases', window: '10s' }, right: [{ source: 'payments', key: 'event_id', window: '10s' }], output: ['purchases.event_id', 'purchases.user_id', 'payments.status'] },
    sink: { clickhouse: { url: 'http://c:8123', table: 't' } },
  });
  const t0 = 1_800_000_000_000;
  const now = t0 + 30_000;
  const at = (offset: number, value: unknown, ms: number) => ({ partition: 0, offset, value: JSON.stringify(value), timestamp: ms });
  const purchases = [
    at(0, { event_id: 'a', user_id: 'u1' }, t0), // paid: matched once its window closed
    at(1, { event_id: 'b', user_id: 'u2' }, t0), // never paid: unmatched (inner side)
    at(2, { event_id: 'a', user_id: 'u1' }, t0 + 1), // a duplicate
    at(3, { event_id: 'c', user_id: 'u3' }, now - 2_000), // paid, its window still open: waiting
  ];
  const payments = [at(0, { event_id: 'a', status: 'paid' }, t0 + 500), at(1, { event_id: 'c', status: 'paid' }, now - 1_000), at(2, 'oops', t0)];
  const p = previewJoin(spec, [purchases, payments], now);
  assert.deepEqual([p.read, p.duplicates, p.dlq, p.matched, p.unmatched, p.waiting, p.side], [7, 1, 1, 1, 1, 1, 2]);
  assert.equal(p.rows, 2);
  assert.deepEqual(p.examples.map((e) => JSON.parse(e)), [{ event_id: 'a', user_id: 'u1', status: 'paid' }, { event_id: 'c', user_id: 'u3', status: 'paid' }]);
});
