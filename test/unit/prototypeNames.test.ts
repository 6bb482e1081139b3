// Field names that are also members of every JavaScript object: "constructor", "toString" and the
// like are accepted and read as own members only; "__proto__" is refused, in JSON and in YAML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { EventDecoder, EventError, valueOf } from '../../core/event';
import { SinkState } from '../../core/sinkState';
import { validateSpec, validateSpecText } from '../../core/spec/validate';
import { formatProblem } from '../../core/spec/problem';
import { purchaseSpec } from './fixtures';

const withFields = (extra: Record<string, string>, over: (s: any) => void = () => undefined) => {
  const spec: any = purchaseSpec();
  spec.sources[0].schema.fields = { ...spec.sources[0].schema.fields, ...extra };
  over(spec);
  return spec;
};
const good = { event_id: 'e1', user_id: 'u1', amount: 12.5, ts: '2026-11-29T12:00:00Z', _event_source_: 'web' };

test('fields named constructor, toString, hasOwnProperty: an event without them lacks them (no inherited member is read)', () => {
  const r = validateSpec(withFields({ constructor: 'string?', toString: 'int64?', 'meta.valueOf': 'string?', hasOwnProperty: 'bool?' }));
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const d = new EventDecoder(r.spec.sources[0], new Set(['event_id']));
  const e = d.decode(JSON.stringify(good));
  assert.deepEqual([valueOf(e, 'constructor'), valueOf(e, 'toString'), valueOf(e, 'meta.valueOf'), valueOf(e, 'hasOwnProperty')], [null, null, null, null]);
  const withThem = d.decode(JSON.stringify({ ...good, constructor: 'c', toString: 7, meta: { valueOf: 'v' }, hasOwnProperty: true }));
  assert.deepEqual([valueOf(withThem, 'constructor'), valueOf(withThem, 'toString'), valueOf(withThem, 'meta.valueOf'), valueOf(withThem, 'hasOwnProperty')], ['c', 7, 'v', 1]);
  // and a row: the columns are there with the values
  const state = new SinkState(r.spec);
  state.process(1, { s: 0, t: 'purchases', p: 0, o: [0, 1], a: 1, v: [JSON.stringify(good), JSON.stringify({ ...good, event_id: 'e2', constructor: 'c' })] });
  const { rows: taken, dlq } = state.takeBatch(2);
  const rows = taken.objects();
  assert.deepEqual(dlq, [], 'no event is dead-lettered for lacking "constructor"');
  assert.deepEqual(rows.map((row) => [row.constructor, row.toString]), [[null, null], ['c', null]]);
});

test('a required field named constructor that is missing is missing_field, not type_mismatch', () => {
  const r = validateSpec(withFields({ constructor: 'string' }));
  assert.ok(r.ok);
  const d = new EventDecoder(r.spec.sources[0], new Set(['event_id']));
  assert.throws(() => d.decode(JSON.stringify(good)), (e: EventError) => e.reason === 'missing_field' && /"constructor"/.test(e.message));
});

test('eventTime and key fields must be declared fields: "toString" is not one unless declared', () => {
  const r = validateSpec(withFields({}, (s) => { s.sources[0].schema.eventTime = 'toString'; s.sources[0].dedup = { key: 'constructor', window: '1h' }; }));
  assert.deepEqual(r.ok ? [] : r.problems.map(formatProblem).sort(), [
    'sources[0].dedup.key: unknown field "constructor" (declare it in schema.fields)',
    'sources[0].schema.eventTime: unknown field "toString"',
  ]);
});

test('"__proto__" as a field name is refused, in a JSON spec and in a YAML spec, with its path', () => {
  const json = JSON.stringify(purchaseSpec()).replace('"event_id":"string"', '"event_id":"string","__proto__":"string"');
  assert.ok(json.includes('"__proto__"'));
  const yaml = stringify(purchaseSpec()).replace('event_id: string', 'event_id: string\n        __proto__: string');
  assert.ok(yaml.includes('__proto__: string'), yaml);
  for (const [form, text] of [['JSON', json], ['YAML', yaml]]) {
    const r = validateSpecText(text);
    assert.equal(r.ok, false, `${form}: a __proto__ field must not disappear without a word`);
    assert.deepEqual(r.ok ? [] : r.problems.map(formatProblem), ['sources[0].schema.fields.__proto__: "__proto__" cannot be used as a name (it is the prototype of a JavaScript object)'], form);
  }
  // as a step of a path, and as a column name
  const nested = validateSpec(withFields({ 'a.__proto__': 'string' }));
  assert.match(nested.ok ? '' : nested.problems.map(formatProblem).join(), /"__proto__" cannot be a field name/);
  const column = validateSpec({ ...purchaseSpec(), sink: { ...purchaseSpec().sink, columns: [{ name: '__proto__', field: 'event_id' }] } });
  assert.match(column.ok ? '' : column.problems.map(formatProblem).join(), /sink\.columns\[0\]\.name: "__proto__" cannot be a column name/);
});
