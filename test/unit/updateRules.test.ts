import { test } from 'node:test';
import assert from 'node:assert/strict';
import { updateProblems } from '../../core/spec/updateRules';
import { validateSpec } from '../../core/spec/validate';
import { SinkState } from '../../core/sinkState';
import type { PipelineSpec, PipelineSpecInput } from '../../core/spec/schema';
import { joinSpec, purchaseSpec } from './fixtures';

const valid = (input: PipelineSpecInput): PipelineSpec => {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
};
const base = purchaseSpec();
const withDedup = (dedup: unknown, fields?: Record<string, string>) => valid({
  ...base,
  sources: [{ ...base.sources[0], dedup: dedup as never, schema: { ...base.sources[0].schema, fields: fields ?? base.sources[0].schema.fields } }],
});
const paths = (a: PipelineSpec, b: PipelineSpec) => updateProblems(a, b).map((p) => p.path);

test('an update may change the window, the batch and the columns, not the dedup key, its time or the fields it is made of', () => {
  const current = valid(base);
  assert.deepEqual(paths(current, withDedup({ key: { ignore: ['_event_source_'] }, window: '10m', time: 'arrival' })), []);
  assert.deepEqual(paths(current, valid({ ...base, sink: { ...base.sink, batch: { maxRows: 10, maxDelay: '50ms' } } })), []);
  assert.deepEqual(paths(current, withDedup({ key: 'event_id', window: '1h', time: 'arrival' })), ['sources[0].dedup.key']);
  assert.deepEqual(paths(current, withDedup({ key: { ignore: [] }, window: '1h', time: 'arrival' })), ['sources[0].dedup.key']);
  assert.deepEqual(paths(current, withDedup({ key: { ignore: ['_event_source_'] }, window: '1h', time: 'event' })), ['sources[0].dedup.time']);
  const retyped = { ...base.sources[0].schema.fields, amount: 'float32' };
  assert.deepEqual(paths(current, withDedup({ key: { ignore: ['_event_source_'] }, window: '1h', time: 'arrival' }, retyped)), ['sources[0].schema.fields.amount']);
  // an ignored field may change; a field outside a field key may change
  assert.deepEqual(paths(current, withDedup({ key: { ignore: ['_event_source_'] }, window: '1h', time: 'arrival' }, { ...base.sources[0].schema.fields, _event_source_: 'string?' })), []);
  const byId = withDedup({ key: 'event_id', window: '1h', time: 'arrival' });
  assert.deepEqual(paths(byId, withDedup({ key: 'event_id', window: '1h', time: 'arrival' }, retyped)), []);
  const message = updateProblems(current, withDedup({ key: 'event_id', window: '1h', time: 'arrival' }))[0].message;
  assert.match(message, /cannot change its dedup key .*create a new pipeline instead/);
});

test('an update keeps the sources and the join', () => {
  const current = valid(base);
  assert.deepEqual(paths(current, valid({ ...base, sources: [{ ...base.sources[0], name: 'orders' }] })), ['sources']);
  const join = valid(joinSpec());
  const other = valid(joinSpec({ time: 'arrival' }));
  assert.ok(paths(join, other).includes('join'));
});

test('a window change applies to the keys still held, measured from their first occurrence', () => {
  const hour = valid(base);
  const second = withDedup({ key: { ignore: ['_event_source_'] }, window: '1s', time: 'arrival' });
  const value = (id: string) => JSON.stringify({ event_id: id, user_id: 'u', amount: 1, ts: '2026-11-29T12:00:00Z', _event_source_: 'web' });
  const before = new SinkState(hour);
  before.process(1, { s: 0, t: 'purchases', p: 0, o: [0, 1], a: 10_000, v: [value('a'), value('b')] });
  const { entry } = before.takeBatch(10_000);
  // the pipeline restarts under the new spec: the journal's keys are held with their first-seen times
  const after = new SinkState(second);
  after.apply(entry);
  after.process(2, { s: 0, t: 'purchases', p: 0, o: [2], a: 10_500, v: [value('a')] }); // 0.5 s after: within 1 s
  after.process(3, { s: 0, t: 'purchases', p: 0, o: [3], a: 11_000, v: [value('b')] }); // 1 s after: the new window has closed
  const { rows: taken, entry: next } = after.takeBatch(11_000);
  const rows = taken.objects();
  assert.deepEqual(rows.map((r) => r.event_id), ['b']);
  assert.equal(next.counters.duplicates, 1);
  // under the old window both were duplicates
  before.process(2, { s: 0, t: 'purchases', p: 0, o: [2, 3], a: 11_000, v: [value('a'), value('b')] });
  assert.equal(before.takeBatch(11_000).rows.objects().length, 0);
});
