import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRawBatch, encodeRawRecords, rawBatchMsgId, rawOrigin, rawValue, type KafkaRecord, type RawBatch } from '../../core/envelope';

/** What ingest carried before the binary format: each value decoded as strict UTF-8 (TextDecoder drops one leading BOM). */
function reference(records: KafkaRecord[], max: number): RawBatch {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const b: RawBatch = { s: 1, t: 'topic', p: 2, a: 99, o: [], v: [] };
  records.forEach((m, i) => {
    b.o.push(Number(m.offset));
    if (m.value === null) { b.v.push(null); return; }
    if (m.value.length > max) { (b.e ??= []).push([i, 'oversized']); b.v.push(m.value.subarray(0, 1024).toString('utf8')); return; }
    try {
      b.v.push(strict.decode(m.value));
    } catch {
      (b.e ??= []).push([i, 'invalid_utf8']);
      b.v.push(m.value.toString('base64'));
    }
  });
  return b;
}

const values: Array<Buffer | null> = [
  Buffer.from('{"event_id":"e1","amount":12.5}'),
  null,
  Buffer.alloc(0),
  Buffer.from('{"name":"Zoë ✓ 𝄞 日本","q":"\\"quoted\\"\\n"}'),
  Buffer.from('\ufeff{"bom":1}'),
  Buffer.from('\ufeff\ufeff{"two boms":1}'),
  Buffer.from('\ufeff'),
  Buffer.from([0xff, 0xfe, 0x7b]),
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate: not UTF-8
  Buffer.from([0xc0, 0xaf]), // overlong
  Buffer.from([0x7b, 0xe2, 0x82]), // cut in the middle of a character
  Buffer.from('é'.repeat(1500)), // oversized, cut in the middle of a character at 1 KiB
  Buffer.from('x'.repeat(3000)),
  Buffer.from('{"nul":"\u0000"}'),
];
const records = values.map((value, i) => ({ offset: String(1000 + i), value }));

test('raw batch messages carry every value as strict UTF-8 decoding did (BOM, invalid, oversized, null, empty)', () => {
  const { data, msgId } = encodeRawRecords(1, 'topic', 2, 99, records, 2048);
  const want = reference(records, 2048);
  const b = decodeRawBatch(data);
  const { bytes, ...got } = b;
  assert.deepEqual({ ...got, v: want.o.map((_, i) => rawValue(b, i)) }, want);
  assert.deepEqual(got.v, [], 'the values stay bytes until one is asked for');
  assert.ok(bytes);
  assert.equal(msgId, rawBatchMsgId(want));
  assert.deepEqual(want.e, [[7, 'invalid_utf8'], [8, 'invalid_utf8'], [9, 'invalid_utf8'], [10, 'invalid_utf8'], [11, 'oversized'], [12, 'oversized']]);
});

test('a raw batch\'s values are made again from its bytes for the DLQ (rawOrigin), the same text; also of the first format', () => {
  const want = reference(records, 2048);
  for (const b of [decodeRawBatch(encodeRawRecords(1, 'topic', 2, 99, records, 2048).data), decodeRawBatch(new TextEncoder().encode(JSON.stringify(want)))]) {
    const o = rawOrigin(b);
    assert.deepEqual([o.s, o.t, o.p, o.a, o.o], [1, 'topic', 2, 99, want.o]);
    want.v.forEach((v, i) => assert.equal(o.value(i), v, `value ${i}`));
  }
});

test('raw batch messages: a value at the size limit is carried, one byte over is cut', () => {
  const v = Buffer.from('y'.repeat(1500));
  assert.deepEqual(decodeRawBatch(encodeRawRecords(0, 't', 0, 1, [{ offset: '5', value: v }], 1500).data).e, undefined);
  assert.deepEqual(decodeRawBatch(encodeRawRecords(0, 't', 0, 1, [{ offset: '5', value: v }], 1499).data).e, [[0, 'oversized']]);
});

test('raw batch messages of the first format (one JSON document) are still read', () => {
  const old = reference(records, 2048);
  assert.deepEqual(decodeRawBatch(new TextEncoder().encode(JSON.stringify(old))), old);
});

test('a damaged raw batch message is refused with what is wrong', () => {
  const { data } = encodeRawRecords(0, 't', 0, 1, [{ offset: '1', value: Buffer.from('{"a":1}') }, { offset: '2', value: null }], 100);
  assert.throws(() => decodeRawBatch(data.subarray(0, data.length - 3)), /raw batch message: 2 values announced, 1 present/);
  assert.throws(() => decodeRawBatch(data.subarray(0, data.length - 5)), /raw batch message: value 0 longer than the message/);
  assert.throws(() => decodeRawBatch(Buffer.concat([data, Buffer.from([0])])), /raw batch message: 1 bytes after the last value/);
  assert.throws(() => decodeRawBatch(Buffer.from([7, 0, 0])), /raw batch message: unknown format \(first byte 7\)/);
  assert.throws(() => decodeRawBatch(data.subarray(0, 8)), /raw batch message: header longer than the message/);
});
