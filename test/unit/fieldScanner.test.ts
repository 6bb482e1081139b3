import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldScanner } from '../../core/fieldScanner';
import { EventDecoder } from '../../core/event';
import { ByteSpan, plainValue } from '../../core/byteSpan';
import { RowLines } from '../../core/rowLines';
import { CanonicalWriter, canonicalJson } from '../../core/canonicalJson';
import { prng } from '../../loadtest/seedEvents';

const NAMES = ['event_id', 'amount', 'ok', 'note', 'constructor', 'ts'];

/** JSON.parse's reading of the same fields: what the decoder's other path gives. */
function parsed(text: string): unknown[] | undefined {
  let o: unknown;
  try { o = JSON.parse(text); } catch { return undefined; }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return undefined;
  return NAMES.map((n) => (Object.hasOwn(o as object, n) ? (o as Record<string, unknown>)[n] : undefined));
}

/** Random texts near the events the scanner reads: flat objects, with every kind of thing it must give up on or get right. */
function* texts(n: number): Generator<string> {
  const rand = prng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const strings = ['', 'a', 'm-12', 'é ü 中文', '🎉', 'frontend-android', 'with "quote"', 'back\\slash', 'tab\there', '\u2028', '\ud800'];
  const numbers = ['0', '-0', '7', '-12', '105.49', '0.1', '1e3', '1E-7', '2.5e+2', '123456789012345', '1234567890123456789', '0.30000000000000004',
    '9007199254740993', '1.7976931348623157e308', '1e400', '-0.0', '01', '1.', '.5', '-', '+1', '1e', '0x10', 'NaN'];
  const values = () => {
    const r = rand();
    if (r < 0.35) return JSON.stringify(pick(strings));
    if (r < 0.65) return pick(numbers);
    if (r < 0.75) return pick(['true', 'false', 'null', 'tru', 'nul']);
    if (r < 0.8) return pick(['{}', '[]', '{"x":1}', '[1,"a"]']);
    return `"${pick(['raw\u0001control', 'unterminated', 'ok'])}${rand() < 0.5 ? '"' : ''}`;
  };
  const ws = () => pick(['', '', '', ' ', '\n', '\t', '\r\n ', '\u00a0']);
  for (let i = 0; i < n; i++) {
    const keys = Array.from({ length: Math.floor(rand() * 8) }, () => pick([...NAMES, ...NAMES, 'other', 'Event_id', 'event_i', 'event_idx', '', 'not\\u0065']));
    const body = keys.map((k) => `${ws()}"${k}"${ws()}:${ws()}${values()}${ws()}`).join(pick([',', ',', ',', ',,', ';']));
    let t = `${ws()}{${body}}${ws()}`;
    const cut = rand();
    if (cut < 0.05) t = t.slice(0, Math.floor(rand() * t.length));
    else if (cut < 0.08) t += pick(['x', '}', ',', '{}']);
    else if (cut < 0.1) t = pick(['[]', '"s"', '12', 'null', '', ' ']);
    yield t;
  }
}

test('the scanner reads the bytes of a text only when it is a JSON object, and then reads each field as JSON.parse does (-0, rounding, repeats, escapes)', () => {
  const sc = new FieldScanner(NAMES);
  const out: unknown[] = [];
  let accepted = 0;
  let validFlat = 0;
  for (const t of texts(60_000)) {
    const want = parsed(t);
    const nested = /[{[][^"]*[}\]]/.test(t.slice(t.indexOf('{') + 1));
    if (want && !nested && !t.includes('\\')) validFlat++;
    const bytes = Buffer.from(`..${t}..`); // read from within a larger buffer, as a raw batch's values are
    if (!sc.scan(bytes, 2, bytes.length - 2, out)) continue;
    accepted++;
    assert.ok(want, `read a text JSON.parse refuses or that is no object: ${JSON.stringify(t)}`);
    for (let i = 0; i < NAMES.length; i++) assert.ok(Object.is(out[i], want[i]), `${JSON.stringify(t)}: field ${NAMES[i]} ${String(out[i])} vs ${String(want[i])}`);
  }
  // it must also be the fast path it is for: most valid flat objects without escapes are read
  assert.ok(accepted > 0.8 * validFlat, `read ${accepted} of ${validFlat} valid flat objects`);
});

test('the decoder gives the same values and the same errors whichever path reads an event', () => {
  const source = {
    name: 's', kafka: { brokers: ['k:9092'], topic: 't', startFrom: 'earliest' as const },
    schema: { fields: { event_id: 'string', amount: 'float64', ok: 'bool', note: 'string?', ts: 'datetime' }, eventTime: 'ts' },
  };
  const fast = new EventDecoder(source, new Set(['event_id']));
  // a dotted field turns the scanner off: the same schema read through JSON.parse only
  const slow = new EventDecoder({ ...source, schema: { ...source.schema, fields: { ...source.schema.fields, 'never.there': 'string?' } } }, new Set(['event_id']));
  const rand = prng(3);
  const ts = ['"2026-11-29T12:00:00Z"', '"2026-11-29T12:00:00.250Z"', '1764417600', '"2026-11-29 12:00:00"', '"yesterday"', 'null'];
  let same = 0;
  for (let i = 0; i < 20_000; i++) {
    const f = (k: string, v: string) => (rand() < 0.9 ? [`"${k}":${v}`] : []);
    const parts = [
      ...f('event_id', rand() < 0.9 ? `"e${i}"` : '7'), ...f('amount', rand() < 0.8 ? String(Math.round(rand() * 1e4) / 100) : '"12.5"'),
      ...f('ok', rand() < 0.9 ? 'true' : '1'), ...f('note', rand() < 0.5 ? 'null' : '"n"'), ...f('ts', ts[Math.floor(rand() * ts.length)]), ...f('extra', '{"x":[1]}'),
    ];
    const text = rand() < 0.03 ? `{${parts.join(',')}` : `{${parts.join(',')}}`;
    const bytes = Buffer.from(text);
    const run = (d: EventDecoder) => { try { const e = d.decodeAt(bytes, 0, bytes.length); return { values: e.values.slice(0, 5), t: e.eventTimeMs }; } catch (err) { return { error: (err as Error).message, reason: (err as { reason?: string }).reason }; } };
    assert.deepEqual(run(fast), run(slow), text);
    same++;
  }
  assert.equal(same, 20_000);
});

test('a decoder with spans gives what one without gives, a plain string field as the bytes of its value', () => {
  for (const eventTime of ['when', 'ts']) {
    const source = {
      name: 's', kafka: { brokers: ['k:9092'], topic: 't', startFrom: 'earliest' as const },
      schema: { fields: { event_id: 'string', amount: 'float64', note: 'string?', tags: 'string[]?', when: 'string', ts: 'datetime' }, eventTime },
    };
    const plain = new EventDecoder(source, new Set(['event_id']), { reuse: true });
    const spans = new EventDecoder(source, new Set(['event_id']), { reuse: true, spans: true });
    const rand = prng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const strings = ['""', '"e1"', '"a-rather-long-identifier-of-more-than-32-bytes"', '"é"', '"with \\"quote\\""', '"tab\\t"', '7', 'null', 'true'];
    const times = ['"2026-11-29T12:00:00Z"', '"2026-11-29T12:00:00.250Z"', '"2026-11-29T12:00:01.999Z"', '"2026-11-29T24:00:00Z"', '"2026-11-29 12:00:00"',
      '"2026-11-29T12:00:00+01:00"', '"2026-13-29T12:00:00Z"', '"2026-11-29T12:00:0xZ"', '"never"', '"2026-11-29T12:00:00Ä"', '1764417600', 'null'];
    let spansSeen = 0;
    for (let i = 0; i < 5_000; i++) {
      const f = (k: string, v: string) => (rand() < 0.9 ? [`"${k}":${v}`] : []);
      const parts = [...f('event_id', pick(strings)), ...f('amount', '12.5'), ...f('note', pick(strings)), ...(rand() < 0.2 ? [`"tags":${pick(['["a"]', '"a"'])}`] : []),
        ...f('when', pick(times)), ...f('ts', pick(times)), ...(rand() < 0.1 ? [`"event_id":${pick(strings)}`] : [])];
      const bytes = Buffer.from(`{${parts.join(',')}}`);
      const run = (d: EventDecoder) => {
        try {
          const e = d.decodeAt(bytes, 0, bytes.length);
          spansSeen += e.values.filter((v) => v instanceof ByteSpan).length;
          return { values: e.values.map(plainValue), t: e.eventTimeMs };
        } catch (err) { return { error: (err as Error).message, reason: (err as { reason?: string }).reason }; }
      };
      const before = spansSeen;
      const want = run(plain);
      assert.equal(spansSeen, before, 'no span from the decoder without spans');
      assert.deepEqual(run(spans), want, bytes.toString());
    }
    assert.ok(spansSeen > 200, `spans given: ${spansSeen}`);
    // only string fields (not an event-time one, read as text); a datetime field's value is its ClickHouse text
    const one = Buffer.from('{"event_id":"x","amount":1,"note":"n","when":"2026-11-29T12:00:00Z","ts":"2026-11-29T12:00:00Z"}');
    const e = spans.decodeAt(one, 0, one.length);
    assert.deepEqual(e.values.map((v) => v instanceof ByteSpan), [true, false, true, false, eventTime !== 'when', false]);
    assert.equal(e.values[5], '2026-11-29 12:00:00');
  }
});

test('a span is written as JSON.stringify writes its text, in rows and in keys', () => {
  const cases = ['', 'a', 'frontend-web', 'x'.repeat(32), 'y'.repeat(33), 'a rather long value, '.repeat(20)];
  for (const text of cases) {
    const b = Buffer.from(`pad${text}pad`);
    const s = new ByteSpan();
    s.buf = b; s.start = 3; s.end = 3 + text.length;
    assert.equal(s.text(), text);
    assert.equal(JSON.stringify({ v: s }), JSON.stringify({ v: text }));
    const row = new RowLines(4);
    row.begin(); row.json(s); row.end();
    assert.equal(row.text(0), JSON.stringify(text));
    const key = new CanonicalWriter(4);
    key.value(s);
    assert.equal(key.bytes().toString(), canonicalJson(text));
  }
});
