// One rule per type: how a JSON value becomes a field's value (VALUE_RULES), the same for rows
// and for keys in every mode, and written in the JSON Schema and the README.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../loadtest/seedEvents';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventDecoder, EventError, checkValue } from '../../core/event';
import { keyFunction } from '../../core/dedupKey';
import { SinkState } from '../../core/sinkState';
import { parseFieldType, VALUE_RULES } from '../../core/spec/fieldTypes';
import { pipelineJsonSchema } from '../../core/spec/schema';
import { validateSpec } from '../../core/spec/validate';
import { formatProblem } from '../../core/spec/problem';
import { joinSpec, purchaseSpec } from './fixtures';

const read = (type: string, v: unknown) => {
  try {
    return checkValue(parseFieldType(type), v, 'f');
  } catch (e) {
    assert.ok(e instanceof EventError);
    return `refused: ${e.reason}`;
  }
};
const MISMATCH = 'refused: type_mismatch';

test('rule string: text only', () => {
  assert.equal(read('string', 'a b'), 'a b');
  assert.equal(read('string', ''), '');
  for (const v of [123, 1.5, true, {}, ['a']]) assert.equal(read('string', v), MISMATCH, JSON.stringify(v));
});

test('rule bool: true and false only, written 1 and 0', () => {
  assert.equal(read('bool', true), 1);
  assert.equal(read('bool', false), 0);
  for (const v of [0, 1, 'true', 'false', '']) assert.equal(read('bool', v), MISMATCH, JSON.stringify(v));
});

test('rule integers: whole numbers in range, or plain decimal text', () => {
  assert.equal(read('int64', 123), 123);
  assert.equal(read('int64', '123'), 123);
  assert.equal(read('int64', '-5'), -5);
  assert.equal(read('int64', '0'), 0);
  assert.equal(read('int64', 1e3), 1000, 'a JSON number is read by its value');
  for (const v of ['0123', '+1', '1e3', ' 1', '1 ', '1.0', '', '0x10', 1.5, '9007199254740992', 9007199254740992, true])
    assert.equal(read('int64', v), MISMATCH, JSON.stringify(v));
  assert.equal(read('uint8', 255), 255);
  assert.equal(read('uint8', '256'), MISMATCH);
  assert.equal(read('uint8', -1), MISMATCH);
  assert.equal(read('int8', '-128'), -128);
  assert.equal(read('int8', -129), MISMATCH);
});

test('rule floats: finite numbers, or text in JSON number syntax', () => {
  assert.equal(read('float64', 12.5), 12.5);
  assert.equal(read('float64', '12.5'), 12.5);
  assert.equal(read('float64', '-1e3'), -1000);
  assert.equal(read('float32', '7'), 7);
  for (const v of ['NaN', 'Infinity', '1e999', '12.5 ', '.5', '5.', '', 'twelve', true, []])
    assert.equal(read('float64', v), MISMATCH, JSON.stringify(v));
});

test('rule datetime: ISO-8601 text or epoch seconds / milliseconds, written to the second in UTC', () => {
  assert.equal(read('datetime', '2026-11-29T12:00:00.789Z'), '2026-11-29 12:00:00');
  assert.equal(read('datetime', '2026-11-29 12:00:00'), '2026-11-29 12:00:00', 'no zone: UTC');
  assert.equal(read('datetime', 1_795_953_600), '2026-11-29 12:00:00');
  assert.equal(read('datetime', 1_795_953_600_000), '2026-11-29 12:00:00');
  for (const v of ['yesterday', true, {}]) assert.equal(read('datetime', v), MISMATCH, JSON.stringify(v));
});

test('rule nullable and arrays: null and missing are one value; array elements follow the type', () => {
  assert.equal(read('string?', null), null);
  assert.equal(read('string?', undefined), null);
  assert.equal(read('string', null), 'refused: missing_field');
  assert.deepEqual(read('int32[]', ['1', 2]), [1, 2]);
  assert.equal(read('int32[]', [1, null]), MISMATCH);
  assert.equal(read('int32[]', 1), MISMATCH);
});

// events that become the same row are duplicates of each other, in every key mode
const spec = (() => {
  const s: any = purchaseSpec();
  s.sources[0].schema.fields = { id: 'string', n: 'int64', x: 'float64', s: 'string?', flag: 'bool', ts: 'datetime', 'meta.source': 'string' };
  s.sources[0].schema.eventTime = 'ts';
  s.sources[0].dedup = { key: { ignore: ['meta.source'] }, window: '1h' };
  s.sink.createTable = { engine: 'MergeTree', orderBy: ['id'] };
  const r = validateSpec(s);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.spec;
})();

test('keys are made of the decoded values: {"n": 123} and {"n": "123"}, null and missing give one key and one row', () => {
  const decoder = new EventDecoder(spec.sources[0], new Set());
  const whole = keyFunction(spec.sources[0].dedup!);
  const byN = keyFunction({ key: 'n', window: '1h', time: 'arrival' });
  const byBoth = keyFunction({ key: ['id', 'n'], window: '1h', time: 'arrival' });
  const base = { id: 'a', n: 123, x: 1.5, s: null, flag: true, ts: '2026-11-29T12:00:00Z', meta: { source: 'web' } };
  const twin = { meta: { source: 'backend' }, ts: 1_795_953_600, flag: true, x: '1.5', n: '123', id: 'a' }; // s missing
  const [a, b] = [base, twin].map((e) => decoder.decode(JSON.stringify(e)));
  for (const k of [whole, byN, byBoth]) assert.equal(k(a), k(b));
  const state = new SinkState(spec);
  state.process(1, { s: 0, t: 't', p: 0, o: [0, 1], a: 1, v: [JSON.stringify(base), JSON.stringify(twin)] });
  const taken = state.takeBatch(2);
  assert.equal(taken.rows.objects().length, 1, 'the second is a duplicate');
  assert.equal(state.counters.duplicates, 1);
  assert.notEqual(whole(a), whole(decoder.decode(JSON.stringify({ ...base, s: '' }))), 'an empty string is not null');
});

test('property: two events give the same row exactly when they give the same whole-event key (fixed seed)', () => {
  const decoder = new EventDecoder(spec.sources[0], new Set());
  const whole = keyFunction(spec.sources[0].dedup!);
  // rows from a pipeline without dedup: every event gives its row
  const rowsOnly = new SinkState({ ...spec, sources: [{ ...spec.sources[0], dedup: undefined }] });
  let offset = 0;
  const rowOf = (text: string) => {
    rowsOnly.process(offset, { s: 0, t: 't', p: 0, o: [offset++], a: 1, v: [text] });
    const { rows: taken } = rowsOnly.takeBatch(0);
  const rows = taken.objects();
    const { _sluice_batch, meta_source, ...row } = rows[0] ?? {};
    return JSON.stringify(row);
  };
  const random = prng(7);
  const rand = (n: number) => Math.floor(random() * n);
  const pick = <T>(xs: T[]): T => xs[rand(xs.length)];
  const event = () => {
    const n = pick([1, 2]);
    const e: Record<string, unknown> = {
      id: pick(['a', 'b']), n: pick([n, String(n)]), x: pick([0.5, '0.5', 5e-1]), flag: pick([true, false]),
      ts: pick(['2026-11-29T12:00:00Z', 1_795_953_600, 1_795_953_600_000, '2026-11-29T12:00:00.500Z']), meta: { source: pick(['web', 'app']) },
    };
    const s = pick([undefined, null, 'x']);
    if (s !== undefined) e.s = s;
    return JSON.stringify(e);
  };
  let same = 0;
  for (let i = 0; i < 400; i++) {
    const [p, q] = [event(), event()];
    const sameRow = rowOf(p) === rowOf(q);
    assert.equal(whole(decoder.decode(p)) === whole(decoder.decode(q)), sameRow, `${p}\n${q}`);
    if (sameRow) same++;
  }
  assert.ok(same > 10, `some pairs are the same row (${same})`);
});

test('a whole-event key ignores declared fields only', () => {
  const s: any = purchaseSpec();
  s.sources[0].dedup = { key: { ignore: ['_event_source_', 'meta', 'received_at'] }, window: '1h' };
  const r = validateSpec(s);
  assert.deepEqual(r.ok ? [] : r.problems.map(formatProblem), [
    'sources[0].dedup.key.ignore[2]: unknown field "received_at": the whole-event key is made of the declared fields (schema.fields), so only those can be ignored',
  ]);
});

test('a nullable key field is refused in the spec, for dedup and join keys', () => {
  const s: any = purchaseSpec();
  s.sources[0].dedup = { key: ['event_id', 'meta.country'], window: '1h' };
  const r = validateSpec(s);
  assert.deepEqual(r.ok ? [] : r.problems.map(formatProblem), [
    'sources[0].dedup.key[1]: field "meta.country" is nullable (string?): a key field must not be nullable (an event without it goes to the DLQ as missing_key_field); declare it string',
  ]);
  const j: any = joinSpec();
  j.sources[0].schema.fields.user_id = 'string?';
  const jr = validateSpec(j);
  assert.match(jr.ok ? '' : jr.problems.map(formatProblem).join('\n'), /join\.right\[0\]\.key: field "users\.user_id" is nullable \(string\?\)/);
});

test('the rules are written in the JSON Schema of the spec and in the README, word for word', () => {
  const schema = JSON.stringify(pipelineJsonSchema());
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  for (const rule of Object.values(VALUE_RULES)) {
    assert.ok(schema.includes(JSON.stringify(rule).slice(1, -1)), `JSON Schema lacks: ${rule}`);
    const [type, text] = [rule.slice(0, rule.indexOf(': ')), rule.slice(rule.indexOf(': ') + 2)];
    assert.ok(readme.includes(`| \`${type}\` | ${text} |`), `README lacks the row: | \`${type}\` | ${text} |`);
  }
});
