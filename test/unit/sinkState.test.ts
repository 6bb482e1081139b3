import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SinkState, type JournalEntry, type Row } from '../../core/sinkState';
import { validateSpec } from '../../core/spec/validate';
import type { RawBatch } from '../../core/envelope';
import { prng } from '../../loadtest/seedEvents';
import { purchaseSpec } from './fixtures';

const spec = (() => {
  const r = validateSpec(purchaseSpec());
  if (!r.ok) throw new Error('fixture invalid');
  return r.spec;
})();

const purchase = (id: string, source = 'frontend-web') =>
  JSON.stringify({ event_id: id, user_id: 'u', amount: 1, ts: '2026-11-29T12:00:00Z', _event_source_: source });

const batch = (p: number, offsets: number[], values: Array<string | null>, a = 1_000): RawBatch => ({ s: 0, t: 'purchases', p, o: offsets, a, v: values });

test('duplicates are dropped, bad events dead-lettered, and the counters reconcile', () => {
  const st = new SinkState(spec);
  st.process(1, batch(0, [0, 1, 2, 3], [purchase('a'), purchase('a', 'backend-payments'), '{oops', purchase('b')]));
  const { entry, rows, dlq } = st.takeBatch(5);
  assert.deepEqual(rows.map((r) => r.event_id), ['a', 'b']);
  assert.deepEqual(dlq.map((d) => [d.offset, d.reason]), [[2, 'malformed_json']]);
  assert.deepEqual(entry.counters, { read: 4, duplicates: 1, dlq: 1, inserted: 2, late: 0 });
  assert.equal(rows[0]._sluice_batch, 1);
  assert.equal(entry.rawSeq, 1);
});

test('records republished by ingest (same Kafka offsets) are not counted or inserted twice', () => {
  const st = new SinkState(spec);
  st.process(1, batch(0, [0, 1], [purchase('a'), purchase('b')]));
  st.process(2, batch(0, [1, 2], [purchase('b'), purchase('c')]));
  st.process(3, batch(1, [0], [purchase('d')]));
  const { entry, rows } = st.takeBatch(0);
  assert.deepEqual(rows.map((r) => r.event_id), ['a', 'b', 'c', 'd']);
  assert.equal(entry.counters.read, 4);
  assert.deepEqual(entry.hw, { '0:0': 2, '0:1': 0 });
});

test('state rebuilt from the journal makes the same decisions as the state that wrote it', () => {
  const rand = prng(7);
  const ids = Array.from({ length: 300 }, (_, i) => `e${i}`);
  const batches: RawBatch[] = [];
  let offset = 0;
  for (let b = 0; b < 40; b++) {
    const vals = Array.from({ length: 20 }, () => (rand() < 0.05 ? '{bad' : purchase(ids[Math.floor(rand() * ids.length)], rand() < 0.5 ? 'frontend-web' : 'backend-payments')));
    batches.push(batch(0, vals.map(() => offset++), vals, 1_000 + b));
  }
  // the reference: one state through all batches
  const ref = new SinkState(spec);
  const refRows: Row[] = [];
  const journal: JournalEntry[] = [];
  batches.forEach((b, i) => {
    ref.process(i + 1, b);
    if (i % 4 === 3) {
      const out = ref.takeBatch(0);
      refRows.push(...out.rows);
      journal.push(out.entry);
    }
  });
  // a crash after 5 committed batches: rebuild from the journal, redo from the raw position
  const recovered = new SinkState(spec);
  for (const e of journal.slice(0, 5)) recovered.apply(e);
  recovered.evictAll();
  const rows: Row[] = [...refRows.slice(0, journal.slice(0, 5).reduce((n, e) => n + e.rows, 0))];
  batches.forEach((b, i) => {
    if (i + 1 <= recovered.rawSeq) return;
    recovered.process(i + 1, b);
    if (i % 4 === 3) rows.push(...recovered.takeBatch(0).rows);
  });
  assert.deepEqual(rows.map((r) => r.event_id), refRows.map((r) => r.event_id));
  assert.deepEqual(recovered.counters, ref.counters);
  const c = ref.counters;
  assert.equal(c.read, c.inserted + c.duplicates + c.dlq);
  assert.equal(new Set(refRows.map((r) => r.event_id)).size, refRows.length, 'no event_id twice');
});

test('event-time windows use the event time, not arrival', () => {
  const r = validateSpec(purchaseSpec({
    sources: [{ ...purchaseSpec().sources[0], dedup: { key: 'event_id', window: '10s', time: 'event' } }],
  }));
  assert.ok(r.ok);
  const st = new SinkState(r.spec);
  const at = (id: string, iso: string) => JSON.stringify({ event_id: id, user_id: 'u', amount: 1, ts: iso, _event_source_: 'x' });
  st.process(1, batch(0, [0, 1, 2], [at('a', '2026-11-29T12:00:00Z'), at('a', '2026-11-29T12:00:09Z'), at('a', '2026-11-29T12:00:10Z')], 0));
  const { rows, entry } = st.takeBatch(0);
  assert.equal(rows.length, 2, 'the copy 9 s later is a duplicate, the one 10 s later passes');
  assert.equal(entry.counters.duplicates, 1);
});

test('rows ClickHouse rejects become DLQ entries; counters and keys follow, also after a replay', () => {
  const st = new SinkState(spec);
  st.process(1, batch(0, [0, 1, 2], [purchase('a'), purchase('b'), purchase('c')]));
  const taken = st.takeBatch(0);
  st.process(2, batch(0, [3], [purchase('d')])); // the next batch fills meanwhile
  const amended = st.rejectRows(taken, new Map([[1, 'Cannot parse input']]), 1);
  assert.deepEqual(amended.rows.map((r) => r.event_id), ['a', 'c']);
  assert.deepEqual(amended.dlq.map((d) => [d.offset, d.reason, d.error]), [[1, 'rejected_by_clickhouse', 'Cannot parse input']]);
  assert.deepEqual(amended.entry.counters, { read: 3, duplicates: 0, dlq: 1, inserted: 2, late: 0 });
  assert.equal(amended.entry.batch, taken.entry.batch);
  // a later copy of the rejected event is not a duplicate: its key was forgotten
  st.process(3, batch(0, [4], [purchase('b', 'backend-payments')]));
  const next = st.takeBatch(0);
  assert.deepEqual(next.rows.map((r) => r.event_id), ['d', 'b']);
  assert.deepEqual(next.entry.counters, { read: 5, duplicates: 0, dlq: 1, inserted: 4, late: 0 });
  // replaying the journal (entry, amendment) gives the same decisions
  const replayed = new SinkState(spec);
  replayed.apply(taken.entry);
  replayed.apply(amended.entry);
  replayed.process(2, batch(0, [3], [purchase('d')]));
  replayed.process(3, batch(0, [4], [purchase('b', 'backend-payments')]));
  assert.deepEqual(replayed.takeBatch(0).rows.map((r) => r.event_id), ['d', 'b']);
});

test('values that are not UTF-8 or too large are dead-lettered with their reason', () => {
  const st = new SinkState(spec);
  st.process(1, { ...batch(0, [0, 1, 2], ['/w==', 'xxxx', purchase('a')]), e: [[0, 'invalid_utf8'], [1, 'oversized']] });
  const { dlq, rows, entry } = st.takeBatch(0);
  assert.deepEqual(dlq.map((d) => d.reason), ['invalid_utf8', 'oversized']);
  assert.equal(rows.length, 1);
  assert.equal(entry.counters.read, 3);
});
