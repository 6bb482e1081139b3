import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SinkState, type JournalEntry, type Row } from '../../core/sinkState';
import { validateSpec } from '../../core/spec/validate';
import { decodeRawBatch, encodeRawRecords, type RawBatch } from '../../core/envelope';
import { prng } from '../../loadtest/seedEvents';
import { purchaseSpec } from './fixtures';
import { JournalCompactor } from '../../core/journalCompactor';
import { decodeDedupSnapshot, encodeDedupSnapshot } from '../../core/dedupSnapshot';
import { keyFunction, legacyHashKey } from '../../core/dedupKey';
import { EventDecoder } from '../../core/event';
import { specFile } from '../../loadtest/specs';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { LmdbSpill } from '../../activities/dedupSpill';

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
  const { entry, rows: taken, dlq } = st.takeBatch(5);
  const rows = taken.objects();
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
  const { entry, rows: taken } = st.takeBatch(0);
  const rows = taken.objects();
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
      refRows.push(...out.rows.objects());
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
    if (i % 4 === 3) rows.push(...recovered.takeBatch(0).rows.objects());
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
  const { rows: taken, entry } = st.takeBatch(0);
  const rows = taken.objects();
  assert.equal(rows.length, 2, 'the copy 9 s later is a duplicate, the one 10 s later passes');
  assert.equal(entry.counters.duplicates, 1);
});

test('rows ClickHouse rejects become DLQ entries; counters and keys follow, also after a replay', () => {
  const st = new SinkState(spec);
  st.process(1, batch(0, [0, 1, 2], [purchase('a'), purchase('b'), purchase('c')]));
  const taken = st.takeBatch(0);
  st.process(2, batch(0, [3], [purchase('d')])); // the next batch fills meanwhile
  const amended = st.rejectRows(taken, new Map([[1, 'Cannot parse input']]), 1);
  assert.deepEqual(amended.rows.objects().map((r) => r.event_id), ['a', 'c']);
  assert.deepEqual(amended.dlq.map((d) => [d.offset, d.reason, d.error]), [[1, 'rejected_by_clickhouse', 'Cannot parse input']]);
  assert.deepEqual(amended.entry.counters, { read: 3, duplicates: 0, dlq: 1, inserted: 2, late: 0 });
  assert.equal(amended.entry.batch, taken.entry.batch);
  // a later copy of the rejected event is not a duplicate: its key was forgotten
  st.process(3, batch(0, [4], [purchase('b', 'backend-payments')]));
  const next = st.takeBatch(0);
  assert.deepEqual(next.rows.objects().map((r) => r.event_id), ['d', 'b']);
  assert.deepEqual(next.entry.counters, { read: 5, duplicates: 0, dlq: 1, inserted: 4, late: 0 });
  // replaying the journal (entry, amendment) gives the same decisions
  const replayed = new SinkState(spec);
  replayed.apply(taken.entry);
  replayed.apply(amended.entry);
  replayed.process(2, batch(0, [3], [purchase('d')]));
  replayed.process(3, batch(0, [4], [purchase('b', 'backend-payments')]));
  assert.deepEqual(replayed.takeBatch(0).rows.objects().map((r) => r.event_id), ['d', 'b']);
});

test('a rejected row of a binary raw message goes to the DLQ with its Kafka value and coordinates, its key forgotten', () => {
  const st = new SinkState(spec);
  const values = [purchase('a'), null, purchase('b'), purchase('a', 'backend-payments'), purchase('c é')];
  const records = values.map((v, i) => ({ offset: String(10 + i), value: v === null ? null : Buffer.from(v) }));
  st.process(1, decodeRawBatch(encodeRawRecords(0, 'purchases', 2, 1_000, records, 1 << 20).data));
  const taken = st.takeBatch(0);
  assert.deepEqual(taken.rows.objects().map((r) => r.event_id), ['a', 'b', 'c é']);
  assert.deepEqual(taken.origins.list().map((o) => [o.topic, o.partition, o.offset, o.value, o.at]), [
    ['purchases', 2, 10, values[0], 1_000], ['purchases', 2, 12, values[2], 1_000], ['purchases', 2, 14, values[4], 1_000],
  ]);
  const amended = st.rejectRows(taken, new Map([[2, 'Cannot parse input']]), 1);
  assert.deepEqual(amended.dlq.map((d) => [d.source, d.topic, d.partition, d.offset, d.value, d.at]), [['purchases', 'purchases', 2, 14, values[4], 1_000]]);
  assert.deepEqual(amended.origins.list().map((o) => o.offset), [10, 12]);
  assert.equal(amended.entry.forget?.length, 1);
  st.process(2, batch(2, [15], [purchase('c é', 'backend-payments')]));
  assert.deepEqual(st.takeBatch(0).rows.objects().map((r) => r.event_id), ['c é'], 'its key was forgotten');
});

test('values that are not UTF-8 or too large are dead-lettered with their reason', () => {
  const st = new SinkState(spec);
  st.process(1, { ...batch(0, [0, 1, 2], ['/w==', 'xxxx', purchase('a')]), e: [[0, 'invalid_utf8'], [1, 'oversized']] });
  const { dlq, rows: taken, entry } = st.takeBatch(0);
  const rows = taken.objects();
  assert.deepEqual(dlq.map((d) => d.reason), ['invalid_utf8', 'oversized']);
  assert.equal(rows.length, 1);
  assert.equal(entry.counters.read, 3);
});

for (const spilled of [false, true]) test(`state rebuilt from a dedup snapshot and the journal after it decides as before the crash (snapshots mid-window, rows rejected, journal purged${spilled ? ', keys past a memory cap on disk' : ''})`, () => {
  const r = validateSpec(purchaseSpec({ sources: [{ ...purchaseSpec().sources[0], dedup: { key: 'event_id', window: '10s', time: 'arrival' } }] }));
  assert.ok(r.ok);
  const windowSpec = r.spec;
  const rand = prng(11);
  const raw: RawBatch[] = [];
  let offset = 0;
  for (let b = 0; b < 80; b++) {
    const vals = Array.from({ length: 15 }, () => purchase(`e${Math.floor(rand() * 200)}`));
    raw.push(batch(0, vals.map(() => offset++), vals, b * 700)); // a 10 s window spans ~14 raw batches
  }
  interface Store { journal: Array<{ seq: number; entry: JournalEntry }>; snapshot?: Uint8Array; snapBatch: number; rows: Row[]; seq: number }
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sink-spill-'));
  const stores: LmdbSpill[] = [];
  const spill = () => {
    const store = new LmdbSpill(join(dir, String(stores.length)));
    stores.push(store);
    return { store, maxKeysInMemory: 40 };
  };
  const opts = { dedupSnapshotEveryKeys: 25, ...(spilled ? { dedupSpill: spill } : {}) };
  // the sink: a batch every 3 raw batches, written one batch late (the next one is taken first),
  // row 0 of every 4th batch rejected by "ClickHouse", the journal purged after every write
  const run = (st: SinkState, store: Store, from: number, crashAt = raw.length) => {
    const compactor = new JournalCompactor(st.windowsMs());
    for (const { seq, entry } of store.journal) compactor.add(seq, entry);
    let pending: ReturnType<SinkState['takeBatch']> | undefined;
    const write = (t: ReturnType<SinkState['takeBatch']>) => {
      let done = t;
      store.journal.push({ seq: ++store.seq, entry: JSON.parse(JSON.stringify(st.entryToPublish(t.entry))) as JournalEntry });
      compactor.add(store.seq, t.entry);
      if (t.entry.batch % 4 === 0 && t.rows.length) {
        done = st.rejectRows(t, new Map([[0, 'Cannot parse input']]), 0);
        store.journal.push({ seq: ++store.seq, entry: JSON.parse(JSON.stringify(done.entry)) as JournalEntry });
        compactor.add(store.seq, done.entry);
      }
      store.rows.push(...done.rows.objects());
      const snap = st.dedupSnapshotToWrite(t);
      if (snap) { store.snapshot = encodeDedupSnapshot(snap); store.snapBatch = snap.batch; }
      const keep = compactor.purgeBelow(st.watermarks(), undefined, store.snapBatch);
      if (keep !== undefined) store.journal = store.journal.filter((j) => j.seq >= keep);
    };
    for (let i = from; i < crashAt; i++) {
      st.process(i + 1, raw[i]);
      if (i % 3 === 2 || i === raw.length - 1) {
        const taken = st.takeBatch(0);
        if (pending) write(pending);
        pending = taken;
      }
    }
    if (pending && crashAt === raw.length) write(pending);
  };
  const ref = new SinkState(windowSpec, opts);
  const refStore: Store = { journal: [], snapBatch: 0, rows: [], seq: 0 };
  run(ref, refStore, 0);
  assert.ok(refStore.snapBatch > 10, 'snapshots were written along the way');
  assert.ok(ref.counters.duplicates > 50 && ref.counters.dlq > 3, `duplicates and rejections happen (${JSON.stringify(ref.counters)})`);
  for (const crashAt of [5, 20, 31, 47, 62, 77]) {
    const store: Store = { journal: [], snapBatch: 0, rows: [], seq: 0 };
    run(new SinkState(windowSpec, opts), store, 0, crashAt);
    assert.ok((store.journal[0]?.entry.batch ?? 0) > 1 || crashAt < 20, `the journal was purged (crash at ${crashAt})`);
    const recovered = new SinkState(windowSpec, opts);
    if (store.snapshot) recovered.restoreDedup(decodeDedupSnapshot(store.snapshot));
    for (const { entry } of store.journal) recovered.apply(entry, true, entry.batch > store.snapBatch);
    recovered.evictAll();
    run(recovered, store, recovered.rawSeq);
    assert.deepEqual(store.rows.map((x) => x.event_id), refStore.rows.map((x) => x.event_id), `crash at raw batch ${crashAt}`);
    assert.deepEqual(recovered.counters, ref.counters, `crash at raw batch ${crashAt}`);
  }
  for (const st of stores) st.close();
  rmSync(dir, { recursive: true, force: true });
});

test('after an upgrade, a journal of MD5 keys (version 1) still catches repeats until its keys expire', () => {
  const r = validateSpec(purchaseSpec({ sources: [{ ...purchaseSpec().sources[0], dedup: { key: 'event_id', window: '10s', time: 'arrival' } }] }));
  assert.ok(r.ok);
  const old: JournalEntry = {
    v: 1, batch: 1, rawSeq: 1, at: 0, rows: 2, counters: { read: 2, duplicates: 0, dlq: 0, inserted: 2, late: 0 }, hw: { '0:0': 1 },
    keys: [{ s: 0, k: legacyHashKey('"a"') + legacyHashKey('"b"'), t: [1_000, 2_000] }],
  };
  const st = new SinkState(r.spec);
  st.apply(old);
  st.process(2, batch(0, [2, 3, 4], [purchase('a'), purchase('c'), purchase('b')], 5_000));
  assert.deepEqual(st.takeBatch(0).rows.objects().map((x) => x.event_id), ['c'], 'a and b were seen before the upgrade');
  // MD5 keys survive a dedup snapshot too
  const snap = decodeDedupSnapshot(encodeDedupSnapshot(st.dedupSnapshot()));
  const again = new SinkState(r.spec);
  again.restoreDedup(snap);
  again.process(3, batch(0, [5, 6], [purchase('b'), purchase('c')], 11_500));
  assert.deepEqual(again.takeBatch(0).rows.objects().map((x) => x.event_id), [], 'b (MD5, seen at 2 s) and c (xxHash64, 5 s) are repeats at 11.5 s');
  again.process(4, batch(0, [7, 8], [purchase('a'), purchase('b')], 12_500));
  assert.deepEqual(again.takeBatch(0).rows.objects().map((x) => x.event_id), ['a', 'b'], 'their windows are over at 12.5 s');
});

test('a batch taken while an earlier one is written gets that one\'s rejected rows in its counters when published', () => {
  const st = new SinkState(spec);
  st.process(1, batch(0, [0, 1], [purchase('a'), purchase('b')]));
  const first = st.takeBatch(0);
  st.process(2, batch(0, [2], [purchase('c')]));
  const second = st.takeBatch(0); // taken before the first batch's insert failed
  st.rejectRows(first, new Map([[0, 'Cannot parse input']]), 0);
  assert.deepEqual(st.entryToPublish(second.entry).counters, { read: 3, duplicates: 0, dlq: 1, inserted: 2, late: 0 });
  assert.deepEqual(st.entryToPublish(second.entry).counters, st.counters, 'published twice (a retry): counted once');
});

test('a flat source (its strings read as byte spans) gives the rows and journal keys of its events as JSON.parse reads them', () => {
  const flat = specFile('pipelines/checkout-purchases.yaml')!.spec;
  const plain = new EventDecoder(flat.sources[0], new Set());
  const key = keyFunction(flat.sources[0].dedup!);
  const rand = prng(5);
  const texts = Array.from({ length: 400 }, (_, i) => JSON.stringify({
    event_id: `e${Math.floor(rand() * 250)}`, user_id: rand() < 0.1 ? `ü-${i}` : `user-${Math.floor(rand() * 40)}`, amount: Math.round(rand() * 1e4) / 100,
    currency: rand() < 0.05 ? 'a "quoted" one' : 'EUR', ts: '2026-11-29T12:00:00.250Z', _event_source_: rand() < 0.5 ? 'frontend-web' : 'x'.repeat(40),
  }));
  const st = new SinkState(flat);
  const records = texts.map((v, i) => ({ offset: String(i), value: Buffer.from(v) }));
  st.process(1, decodeRawBatch(encodeRawRecords(0, flat.sources[0].kafka.topic, 0, 1_000, records, 1 << 20).data));
  const taken = st.takeBatch(0);
  const seen = new Set<string>();
  const rows: Row[] = [];
  let keys = '';
  for (const t of texts) {
    const k = key(plain.decode(t));
    if (seen.has(k)) continue;
    seen.add(k);
    keys += k;
    const o = JSON.parse(t) as Record<string, unknown>;
    rows.push({ event_id: o.event_id, user_id: o.user_id, amount: o.amount, currency: o.currency, ts: '2026-11-29 12:00:00', source: o._event_source_, _sluice_batch: 1 });
  }
  assert.deepEqual(taken.rows.objects(), rows);
  assert.deepEqual(taken.entry.keys.map((k) => k.k), [keys]);
  assert.equal(taken.entry.counters.duplicates, texts.length - rows.length);
  // a rejected row's origin names its key as text: forgetting it lets a later copy through
  const amended = st.rejectRows(taken, new Map([[0, 'Cannot parse input']]), 1);
  assert.deepEqual(amended.entry.forget, [{ s: 0, k: keys.slice(0, 16) }]);
  st.process(2, decodeRawBatch(encodeRawRecords(0, flat.sources[0].kafka.topic, 0, 1_000, [{ offset: '400', value: Buffer.from(texts[0]) }], 1 << 20).data));
  assert.equal(st.takeBatch(0).rows.count, 1);
});
