// The Sluice patch of kafkajs (patches/kafkajs+2.2.4.patch, applied by patch-package on install):
// offsets and timestamps are computed as doubles where that is exact, and the results must be
// those of kafkajs's own Long arithmetic for every value, including past 2^53.
import { test } from 'node:test';
import assert from 'node:assert/strict';

/* eslint-disable @typescript-eslint/no-require-imports */
const Decoder = require('kafkajs/src/protocol/decoder');
const Encoder = require('kafkajs/src/protocol/encoder');
const Long = require('kafkajs/src/utils/long');
const Batch = require('kafkajs/src/consumer/batch');
const RecordEncoder = require('kafkajs/src/protocol/recordBatch/record/v0');
const RecordDecoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder');

/** A deterministic generator of 64-bit signed integers spread over every varint length. */
function* signed64(n: number): Generator<bigint> {
  let x = 0x9e3779b97f4a7c15n;
  const edges = [0n, 1n, -1n, 63n, -64n, 64n, (1n << 48n) - 1n, -(1n << 48n), 1n << 48n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, -(1n << 63n)];
  yield* edges;
  for (let i = 0; i < n; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    // a random length of 1..64 bits, either sign
    const bits = BigInt(1 + (i % 64));
    const v = x & ((1n << bits) - 1n);
    yield BigInt.asIntN(64, i % 2 ? -v : v);
  }
}

const encodedVarLong = (v: bigint): Buffer => new Encoder().writeVarLong(Long.fromValue(v)).buffer;

test('kafkajs patch: readVarLongNumber reads what readVarLong reads, for varints of every length', () => {
  assert.equal(typeof new Decoder(Buffer.alloc(1)).readVarLongNumber, 'function', 'the kafkajs patch is not applied (npm ci runs patch-package)');
  for (const v of signed64(20_000)) {
    const bytes = Buffer.concat([encodedVarLong(v), Buffer.from([0x2a])]);
    const fast = new Decoder(bytes);
    const slow = new Decoder(bytes);
    const got = fast.readVarLongNumber();
    const want = slow.readVarLong();
    assert.equal(BigInt(got.toString()), BigInt(want.toString()), `varlong ${v}`);
    assert.equal(fast.offset, slow.offset, `bytes read for ${v}`);
    // a number only where it is exact
    if (typeof got === 'number') assert.ok(Number.isSafeInteger(got), `${v} read as the unsafe number ${got}`);
  }
});

test('kafkajs patch: record offsets and timestamps are the Long sums, also past 2^53', () => {
  const bases = ['0', '41', '1764417600000', '9007199254740000', '9007199254740990', '9223372036854775000', '-1'];
  let checked = 0;
  for (const firstOffset of bases) {
    for (const firstTimestamp of bases) {
      for (const d of signed64(40)) {
        // offset deltas are int32 varints; timestamp deltas varlongs
        const offsetDelta = Number(BigInt.asIntN(31, d < 0n ? -d : d));
        const timestampDelta = BigInt.asIntN(48, d);
        const bytes = RecordEncoder({ offsetDelta, timestampDelta: Long.fromValue(timestampDelta), key: Buffer.from('k'), value: Buffer.from('v'), headers: { h: Buffer.from('x') } }).buffer;
        const body = new Decoder(bytes);
        body.readVarInt(); // the record's length
        const r = RecordDecoder(body, { firstOffset, firstTimestamp, magicByte: 2, timestampType: 0 });
        // what kafkajs computed before the patch
        assert.equal(r.offset, Long.fromValue(firstOffset).add(offsetDelta).toString(), `offset ${firstOffset} + ${offsetDelta}`);
        assert.equal(r.timestamp, Long.fromValue(firstTimestamp).add(Long.fromValue(timestampDelta)).toString(), `timestamp ${firstTimestamp} + ${timestampDelta}`);
        assert.equal(r.offset, (BigInt(firstOffset) + BigInt(offsetDelta)).toString());
        assert.equal(r.value.toString(), 'v');
        assert.equal(r.headers.h.toString(), 'x');
        checked++;
      }
    }
  }
  assert.ok(checked > 2000);
});

test('kafkajs patch: a batch keeps the messages at or after the fetched offset, also past 2^53', () => {
  for (const fetched of ['0', '5', '9007199254740993', '9223372036854775806']) {
    const base = BigInt(fetched);
    const offsets = [-3n, -1n, 0n, 1n, 2n].map((d) => base + d).filter((o) => o >= 0n && o < 1n << 63n);
    const messages = offsets.map((o) => ({ offset: o.toString(), isControlRecord: false }));
    const b = new Batch('t', fetched, { partition: 0, highWatermark: '0', messages, abortedTransactions: [] });
    assert.deepEqual(b.messages.map((m: { offset: string }) => m.offset), offsets.filter((o) => o >= base).map(String), `fetched ${fetched}`);
  }
});

const { RecordBatch: RecordBatchEncoder } = require('kafkajs/src/protocol/recordBatch/v0');
const decodeMessages = require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages');
const { Types: Compression } = require('kafkajs/src/protocol/message/compression');

interface Rec { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> }

/** A fetch response's record set of batches (each: [first offset, compression, records]), as decodeMessages reads it. */
async function recordSet(batches: Array<[number, number, Array<Rec | Buffer>]>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const [firstOffset, compression, records] of batches) {
    const encoded = records.map((r, i) => Buffer.isBuffer(r) ? new Encoder().writeBuffer(r) : RecordEncoder({ offsetDelta: i, timestampDelta: Long.fromValue(i * 7), ...r }));
    const batch = await RecordBatchEncoder({ firstOffset: Long.fromValue(firstOffset), firstTimestamp: 1764417600000, maxTimestamp: 1764417600000, lastOffsetDelta: records.length - 1, compression, records: encoded });
    parts.push(batch.buffer);
  }
  const body = Buffer.concat(parts);
  return new Encoder().writeInt32(body.length).writeBuffer(body).buffer;
}

const sample = (i: number): Rec => ({
  key: i % 5 === 0 ? null : Buffer.from(`k${i}`),
  value: i % 7 === 0 ? null : Buffer.from(JSON.stringify({ n: i, s: 'é'.repeat(i % 3) })),
  // most without headers (the patched path), some with one, one with a key given twice
  headers: i % 4 === 1 ? { h: Buffer.from(`v${i}`) } : i % 9 === 2 ? { a: [Buffer.from('1'), Buffer.from('2')], b: Buffer.from('3') } : {},
});

test('kafkajs patch: records of plain and compressed batches decode to what was encoded, in order', async () => {
  const batches: Array<[number, number, Rec[]]> = [
    [0, Compression.None, Array.from({ length: 40 }, (_, i) => sample(i))],
    [40, Compression.GZIP, Array.from({ length: 25 }, (_, i) => sample(40 + i))],
    [65, Compression.None, Array.from({ length: 3 }, (_, i) => sample(65 + i))],
  ];
  const decoded = await decodeMessages(new Decoder(await recordSet(batches)));
  const want = batches.flatMap(([first, , recs]) => recs.map((r, i) => ({ offset: String(first + i), timestamp: String(1764417600000 + i * 7), ...r })));
  assert.equal(decoded.length, want.length);
  decoded.forEach((d: Rec & { offset: string; timestamp: string }, i: number) => {
    assert.equal(d.offset, want[i].offset);
    assert.equal(d.timestamp, want[i].timestamp);
    assert.deepEqual(d.key, want[i].key, `key of record ${i}`);
    assert.deepEqual(d.value, want[i].value, `value of record ${i}`);
    assert.deepEqual(d.headers, want[i].headers, `headers of record ${i}`);
  });
});

test('kafkajs patch: a record whose length says more than its fields hold is read as before (the rest skipped)', async () => {
  const body = RecordEncoder({ offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('v'), headers: {} }).buffer as Buffer;
  const len = new Decoder(body);
  const n = len.readVarInt();
  // the same fields, declared one byte longer, and a junk byte after them
  const padded = Buffer.concat([new Encoder().writeVarInt(n + 1).buffer, body.subarray(len.offset), Buffer.from([0x7f])]);
  const after = RecordEncoder({ offsetDelta: 1, key: null, value: Buffer.from('next'), headers: {} }).buffer as Buffer;
  const decoded = await decodeMessages(new Decoder(await recordSet([[10, Compression.None, [padded, after]]])));
  assert.deepEqual(decoded.map((d: Rec & { offset: string }) => [d.offset, d.key?.toString() ?? null, d.value?.toString()]), [['10', 'k', 'v'], ['11', null, 'next']]);
});

test('kafkajs patch: a batch drops control records and earlier offsets, and shares the array when it drops nothing', () => {
  const m = (o: number, control = false) => ({ offset: String(o), isControlRecord: control, batchContext: {} });
  const all = [m(3), m(4), m(5)];
  const kept = new Batch('t', '3', { partition: 0, highWatermark: '6', messages: all, abortedTransactions: [] });
  assert.equal(kept.messages, all, 'nothing dropped: no copy');
  assert.deepEqual(kept.messages.map((x: { offset: string }) => x.offset), ['3', '4', '5']);
  const mixed = new Batch('t', '4', { partition: 0, highWatermark: '7', messages: [m(3), m(4), m(5, true), m(6)], abortedTransactions: [] });
  assert.deepEqual(mixed.messages.map((x: { offset: string }) => x.offset), ['4', '6']);
  assert.deepEqual(mixed.messagesWithinOffset.map((x: { offset: string }) => x.offset), ['4', '5', '6']);
  assert.equal(mixed.lastOffset(), '6');
});
