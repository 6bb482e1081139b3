import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventDecoder, EventError, valueOf, clickhouseDateTime, toEpochMs } from '../../core/event';
import { validateSpec } from '../../core/spec/validate';
import { purchaseSpec } from './fixtures';

const r = validateSpec(purchaseSpec());
if (!r.ok) throw new Error('fixture invalid');
const decoder = new EventDecoder(r.spec.sources[0], new Set(['event_id']));
const good = { event_id: 'e1', user_id: 'u1', amount: 12.5, ts: '2026-11-29T12:00:00Z', _event_source_: 'frontend-web', meta: { country: 'DE' } };

const reasonOf = (text: string | null) => {
  try {
    decoder.decode(text);
  } catch (e) {
    assert.ok(e instanceof EventError);
    return e.reason;
  }
  return 'decoded';
};

test('decodes a good event and converts datetime for ClickHouse', () => {
  const e = decoder.decode(JSON.stringify(good));
  assert.equal(valueOf(e, 'ts'), '2026-11-29 12:00:00');
  assert.equal(valueOf(e, 'meta.country'), 'DE');
  assert.equal(e.eventTimeMs, Date.UTC(2026, 10, 29, 12));
});

test('each kind of bad event gets its reason', () => {
  assert.equal(reasonOf('{"event_id": '), 'malformed_json');
  assert.equal(reasonOf('[1,2]'), 'not_an_object');
  assert.equal(reasonOf(null), 'empty_message');
  assert.equal(reasonOf(JSON.stringify({ ...good, event_id: undefined })), 'missing_key_field');
  assert.equal(reasonOf(JSON.stringify({ ...good, user_id: undefined })), 'missing_field');
  assert.equal(reasonOf(JSON.stringify({ ...good, amount: 'twelve' })), 'type_mismatch');
  assert.equal(reasonOf(JSON.stringify({ ...good, ts: 'yesterday' })), 'type_mismatch');
});

test('nullable fields may be missing', () => {
  const e = decoder.decode(JSON.stringify({ ...good, meta: undefined }));
  assert.equal(valueOf(e, 'meta.country'), null);
});

test('event times: ISO text, epoch seconds, epoch milliseconds', () => {
  assert.equal(toEpochMs('2026-11-29T12:00:00Z'), Date.UTC(2026, 10, 29, 12));
  assert.equal(toEpochMs('2026-11-29 12:00:00'), Date.UTC(2026, 10, 29, 12));
  assert.equal(toEpochMs(1_764_417_600), 1_764_417_600_000);
  assert.equal(toEpochMs(1_764_417_600_000), 1_764_417_600_000);
  assert.equal(toEpochMs('soon'), undefined);
});

test('ingest marks invalid UTF-8 and oversized values instead of mangling them', async () => {
  const { decodeRawBatch, encodeRawRecords, rawValue } = await import('../../core/envelope.js');
  const b = decodeRawBatch(encodeRawRecords(0, 't', 0, 5, [
    { offset: '7', value: Buffer.from([0xff, 0xfe, 0x7b]) },
    { offset: '8', value: Buffer.from('x'.repeat(2000)) },
    { offset: '9', value: Buffer.from('{"ok":true}') },
    { offset: '10', value: null },
  ], 1000).data);
  assert.deepEqual(b.e, [[0, 'invalid_utf8'], [1, 'oversized']]);
  assert.equal(Buffer.from(rawValue(b, 0)!, 'base64').toString('hex'), 'fffe7b');
  assert.equal(rawValue(b, 1)!.length, 1024);
  assert.deepEqual([rawValue(b, 2), rawValue(b, 3)], ['{"ok":true}', null]);
  assert.deepEqual(b.o, [7, 8, 9, 10]);
});

test('datetime fields: the per-second memo gives exactly what Date.parse and toISOString give', () => {
  const base = purchaseSpec();
  const dt = validateSpec({
    ...base,
    sources: [{ ...base.sources[0], schema: { fields: { ts: 'datetime', at: 'datetime?' }, eventTime: 'ts' }, dedup: undefined }],
    sink: { ...base.sink, createTable: { engine: 'MergeTree', orderBy: ['ts'] } },
  });
  if (!dt.ok) throw new Error(`fixture invalid: ${JSON.stringify(dt)}`);
  const d = new EventDecoder(dt.spec.sources[0], new Set());
  const inputs: unknown[] = [
    '2026-11-29T12:00:00Z', '2026-11-29T12:00:00.001Z', '2026-11-29T12:00:00.999Z', '2026-11-29T12:00:01.000Z',
    '2026-11-29T12:00:00.5Z', '2026-11-29T12:00:00.123456Z', '2026-11-29T12:00:00.12Z', '2026-11-29T12:00:00z',
    '2026-11-29T12:00:00+02:00', '2026-11-29 12:00:00', '2026-11-29T12:00:00', '2026-11-29', '2026-11-29T24:00:00Z',
    '2026-11-29T24:00:00.500Z', '2026-02-30T00:00:00Z', '2026-02-30T00:00:00.250Z', '2026-13-01T00:00:00Z', '2026-13-01T00:00:00.250Z',
    '0001-01-01T00:00:00Z', '0001-01-01T00:00:00.007Z', '1969-12-31T23:59:59.999Z', '1969-12-31T23:59:59Z', '9999-12-31T23:59:59.999Z',
    '2026-11-29T12:00:0aZ', '2026-11-29T12:00:00.1a3Z', '2026-11-29X12:00:00.123Z', 1_764_417_600, 1_764_417_600_123, 'soon', true,
  ];
  // each after itself, after a value of the same second, and after every other one
  for (const prev of inputs) {
    for (const v of inputs) {
      for (const x of [prev, v]) {
        const ms = toEpochMs(x);
        const text = JSON.stringify({ ts: x, at: x });
        if (ms === undefined) {
          assert.throws(() => d.decode(text), (e: unknown) => e instanceof EventError && e.reason === 'type_mismatch' && e.message.includes('"ts"'), `${x}`);
          continue;
        }
        const e = d.decode(text);
        assert.equal(e.eventTimeMs, ms, `${x} after ${prev}`);
        assert.equal(valueOf(e, 'ts'), clickhouseDateTime(ms), `${x} after ${prev}`);
        assert.equal(valueOf(e, 'at'), clickhouseDateTime(ms), `${x} after ${prev}`);
      }
    }
  }
  assert.equal(valueOf(d.decode('{"ts": "2026-11-29T12:00:00Z", "at": null}'), 'at'), null);
});

test('the datetime memo gives toEpochMs and clickhouseDateTime\'s results for seconds in any order (some sharing a slot)', () => {
  const d = new EventDecoder({ name: 's', kafka: {} as never, schema: { fields: { ts: 'datetime' }, eventTime: 'ts' } } as never, new Set());
  let seed = 5;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 3000; i++) {
    const ms = Date.UTC(2026, 10, 29, 12) + Math.floor(rand() * 4000) * 1000 + (rand() < 0.5 ? Math.floor(rand() * 1000) : 0);
    const iso = new Date(ms).toISOString();
    const text = rand() < 0.3 ? iso.replace(/\.\d{3}Z$/, 'Z') : iso;
    const e = d.decode(JSON.stringify({ ts: text }));
    assert.equal(e.eventTimeMs, toEpochMs(text), text);
    assert.equal(valueOf(e, 'ts'), clickhouseDateTime(toEpochMs(text)!), text);
  }
});

test('a reusing decoder returns one object overwritten per event, with the values a fresh decoder gives', () => {
  const reusing = new EventDecoder(r.spec.sources[0], new Set(['event_id']), { reuse: true });
  const events = [
    good,
    { ...good, event_id: 'e2', amount: 3, meta: undefined, _event_source_: undefined },
    { ...good, event_id: 'e3', ts: 1795953600 },
    { event_id: 'e4' }, // a bad one (no event time) between good ones
    { ...good, event_id: 'e5', user_id: 'ü', ts: '2026-11-30T00:00:00.5Z' },
  ].map((e) => JSON.stringify(e));
  let first: unknown;
  for (const text of events) {
    let want: { values: unknown[]; eventTimeMs?: number } | string;
    try { want = decoder.decode(text); } catch (e) { want = (e as EventError).reason; }
    let got: { values: unknown[]; eventTimeMs?: number } | string;
    try { got = reusing.decode(text); } catch (e) { got = (e as EventError).reason; }
    if (typeof want === 'string') { assert.equal(got, want, text); continue; }
    assert.ok(typeof got !== 'string');
    first ??= got;
    assert.equal(got, first, 'the same object every time');
    assert.deepEqual([...got.values], want.values, text);
    assert.equal(got.eventTimeMs, want.eventTimeMs, text);
  }
});
