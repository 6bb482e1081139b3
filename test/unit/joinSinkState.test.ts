import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SinkState, type JournalEntry, type Row } from '../../core/sinkState';
import { validateSpec } from '../../core/spec/validate';
import type { RawBatch } from '../../core/envelope';
import type { JoinSnapshot } from '../../core/join/joinState';
import { prng } from '../../loadtest/seedEvents';
import { joinSpec } from './fixtures';

const specOf = (time: 'event' | 'arrival') => {
  const r = validateSpec(joinSpec({ time }));
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
};
const iso = (ms: number) => new Date(Date.UTC(2026, 10, 29) + ms).toISOString();

/** Raw batches of users (0), purchases (1, with exact duplicates and a malformed one now and then) and payments (2). */
function streams(seed: number, n: number): RawBatch[] {
  const rand = prng(seed);
  const offsets = [0, 0, 0];
  const out: RawBatch[] = [];
  let clock = 0, purchases = 0;
  const paid: string[] = [];
  for (let b = 0; b < n; b++) {
    clock += Math.floor(rand() * 3000);
    const s = rand() < 0.2 ? 0 : rand() < 0.6 ? 1 : 2;
    const values: string[] = [];
    for (let k = 0; k < 1 + Math.floor(rand() * 8); k++) {
      const t = iso(clock + Math.floor(rand() * 2000) - 1000);
      const user = `u${Math.floor(rand() * 5)}`;
      if (s === 0) values.push(JSON.stringify({ user_id: user, country: ['DE', 'FR'][Math.floor(rand() * 2)], tier: 'std', updated_at: t }));
      else if (s === 1) {
        const id = rand() < 0.15 && purchases > 0 ? `p${purchases - 1}` : `p${purchases++}`; // a copy of the last purchase
        values.push(rand() < 0.03 ? '{"broken' : JSON.stringify({ event_id: id, user_id: user, amount: 10, ts: t }));
        if (rand() < 0.7) paid.push(id);
      } else if (paid.length) {
        const id = paid.splice(Math.floor(rand() * paid.length), 1)[0];
        values.push(JSON.stringify({ payment_id: `${id}-pay`, event_id: id, amount: 10, status: 'ok', ts: t }));
      }
    }
    if (!values.length) continue;
    out.push({ s, t: ['users', 'purchases', 'payments'][s], p: 0, o: values.map(() => offsets[s]++), a: 1_000_000 + clock, v: values });
  }
  return out;
}

interface Run { rows: Row[]; journal: JournalEntry[]; snapshots: Map<number, JoinSnapshot>; state: SinkState }

/** Processes raw batches from position `from`, closing a sink batch after every third raw batch; arrival-time runs tick before each. */
function drive(st: SinkState, raw: RawBatch[], from: number, time: 'event' | 'arrival', run: Omit<Run, 'state'>): void {
  raw.forEach((b, i) => {
    if (i + 1 <= from) return;
    if (time === 'arrival') st.tick(b.a - 500);
    st.process(i + 1, b);
    if (i % 3 === 2 || i === raw.length - 1) {
      const out = st.takeBatch(0);
      run.rows.push(...out.rows.objects());
      run.journal.push(out.entry);
      if (out.snapshot) run.snapshots.set(out.entry.batch, JSON.parse(JSON.stringify(out.snapshot)));
    }
  });
}

for (const time of ['event', 'arrival'] as const) {
  test(`join state rebuilt from a snapshot and the journal gives the same rows as no crash (${time} time)`, () => {
    const spec = specOf(time);
    const raw = streams(time === 'event' ? 3 : 4, 400);
    const ref: Run = { rows: [], journal: [], snapshots: new Map(), state: new SinkState(spec, { joinSnapshotMinInputs: 50 }) };
    drive(ref.state, raw, 0, time, ref);
    assert.ok(ref.snapshots.size >= 3, `snapshots taken: ${ref.snapshots.size}`);
    const c = ref.state.counters;
    const j = c.join!;
    assert.ok(j.matched > 100 && j.side > 100 && c.duplicates > 10 && c.dlq > 0, JSON.stringify(c));
    assert.equal(c.read, c.duplicates + c.dlq + j.matched + j.unmatched + j.waiting + j.side, 'every event read is accounted for');
    assert.equal(c.inserted, ref.rows.length);
    assert.ok(ref.rows.some((r) => r.payment_id === null) && ref.rows.some((r) => r.payment_id !== null), 'left join gives both');

    for (let crashAt = 1; crashAt < ref.journal.length; crashAt += 7) {
      const st = new SinkState(spec, { joinSnapshotMinInputs: 50 });
      const snapBatch = Math.max(0, ...[...ref.snapshots.keys()].filter((b) => b <= crashAt));
      if (snapBatch) st.join!.restore(ref.snapshots.get(snapBatch)!);
      for (const e of ref.journal.slice(0, crashAt)) st.apply(JSON.parse(JSON.stringify(e)) as JournalEntry, e.batch > snapBatch);
      st.evictAll();
      const again = { rows: ref.rows.slice(0, ref.journal.slice(0, crashAt).reduce((n, e) => n + e.rows, 0)), journal: [], snapshots: new Map() };
      drive(st, raw, st.rawSeq, time, again);
      assert.deepEqual(again.rows, ref.rows, `crash after batch ${crashAt} (snapshot ${snapBatch})`);
      assert.deepEqual(st.counters, ref.state.counters);
    }
  });
}

test('joined rows carry the latest profile, the payment or nulls, and the left event\'s Kafka coordinates', () => {
  const spec = specOf('event');
  const st = new SinkState(spec);
  const b = (s: number, o: number, v: object): RawBatch => ({ s, t: ['users', 'purchases', 'payments'][s], p: 0, o: [o], a: 1, v: [JSON.stringify(v)] });
  st.process(1, b(0, 0, { user_id: 'u1', country: 'DE', tier: 'gold', updated_at: iso(0) }));
  st.process(2, b(1, 0, { event_id: 'p1', user_id: 'u1', amount: 5, ts: iso(1000) }));
  st.process(3, b(2, 0, { payment_id: 'x', event_id: 'p1', amount: 5, status: 'ok', ts: iso(2000) }));
  st.process(4, b(0, 1, { user_id: 'u1', country: 'FR', tier: 'gold', updated_at: iso(3000) }));
  st.process(5, b(1, 1, { event_id: 'p2', user_id: 'u1', amount: 7, ts: iso(4000) }));
  st.process(6, b(1, 2, { event_id: 'p3', user_id: 'nobody', amount: 7, ts: iso(4000) }));
  st.process(7, b(0, 2, { user_id: 'u1', country: 'XX', tier: 'gold', updated_at: iso(60_000) })); // a profile does not close windows
  assert.equal(st.pendingRows, 1);
  // purchases and payments both a minute on: the windows of p2 and p3 close
  st.process(8, b(1, 3, { event_id: 'p4', user_id: 'u1', amount: 1, ts: iso(60_000) }));
  st.process(9, b(2, 1, { payment_id: 'y', event_id: 'p0', amount: 5, status: 'ok', ts: iso(60_000) }));
  const out = st.takeBatch(0);
  assert.deepEqual(out.rows.objects().map((r) => [r.event_id, r.country, r.payment_id, r.payment_status, r.paid_amount]), [
    ['p1', 'DE', 'x', 'ok', 5],
    ['p2', 'FR', null, null, null],
  ]);
  assert.deepEqual(out.origins.list().map((o) => [o.topic, o.offset]), [['purchases', 0], ['purchases', 1]]);
  assert.deepEqual(out.entry.counters.join, { matched: 2, unmatched: 1, waiting: 1, side: 5, rejectedRows: 0 });
});

test('event time: a partition silent for join.idleAfter (10m here) is declared idle, in the journal, and wakes with its next event', () => {
  const st = new SinkState(specOf('event'));
  st.join!.openLanes([[1, 0], [1, 1], [2, 0]]); // purchases partitions 0 and 1, payments partition 0
  const t0 = 1_000_000;
  assert.equal(st.tick(t0), false, 'the first look starts each partition\'s clock');
  st.process(1, { s: 1, t: 'purchases', p: 0, o: [0], a: t0 + 20_000, v: [JSON.stringify({ event_id: 'p1', user_id: 'u', amount: 1, ts: iso(0) })] });
  const idle = 600_000;
  assert.equal(st.tick(t0 + idle - 1), false);
  assert.equal(st.tick(t0 + idle), true, 'purchases:1 and payments:0 have been silent 10 minutes');
  assert.deepEqual(st.join!.idleCandidates(t0 + idle), []);
  const { entry } = st.takeBatch(0);
  assert.deepEqual(entry.j!.filter((r) => r[0] === -4), [[-4, -1, 1], [-4, 1, 0]]);
  st.process(2, { s: 1, t: 'purchases', p: 1, o: [0], a: t0 + idle + 1, v: [JSON.stringify({ event_id: 'p2', user_id: 'u', amount: 1, ts: iso(1) })] });
  // awake: purchases:1 counts again, so it can go idle again (with purchases:0, silent since +20 s)
  assert.deepEqual(st.join!.idleCandidates(t0 + 20_000 + idle - 1), []);
  assert.deepEqual(st.join!.idleCandidates(t0 + 2 * idle + 1), [[-1, 0], [-1, 1]]);
});

test('a join key of several fields, with leftKey naming the left side\'s fields; an integer key', () => {
  const spec = validateSpec({
    version: 1, name: 'unit-multikey',
    sources: [
      { name: 'orders', kafka: { brokers: ['k:9092'], topic: 'orders' }, schema: { fields: { shop: 'string', order_no: 'int64', total: 'float64' } } },
      { name: 'shipments', kafka: { brokers: ['k:9092'], topic: 'shipments' }, schema: { fields: { shop_id: 'string', order: 'int64', carrier: 'string' } } },
    ],
    join: {
      left: { source: 'orders', window: '1m' },
      right: [{ source: 'shipments', key: ['shop_id', 'order'], leftKey: ['shop', 'order_no'], window: '1m', kind: 'left' }],
      output: ['orders.shop', 'orders.order_no', 'orders.total', 'shipments.carrier'],
    },
    sink: { clickhouse: { url: 'http://127.0.0.1:8123', table: 't' }, createTable: { orderBy: ['shop', 'order_no'] } },
  });
  assert.ok(spec.ok, JSON.stringify(!spec.ok && spec.problems));
  const st = new SinkState(spec.spec);
  const b = (s: number, o: number, a: number, v: object): RawBatch => ({ s, t: ['orders', 'shipments'][s], p: 0, o: [o], a, v: [JSON.stringify(v)] });
  st.process(1, b(0, 0, 1000, { shop: 'a', order_no: 1, total: 5 }));
  st.process(2, b(0, 1, 1000, { shop: 'b', order_no: 1, total: 6 }));
  st.process(3, b(1, 0, 2000, { shop_id: 'b', order: 1, carrier: 'ups' }));
  st.process(4, b(1, 1, 2000, { shop_id: 'a', order: '1', carrier: 'dhl' })); // "1" as text is the integer 1
  st.process(5, b(1, 2, 2000, { shop_id: 'a', order: 2, carrier: 'none' }));
  assert.deepEqual(st.takeBatch(0).rows.objects().map((r) => [r.shop, r.order_no, r.carrier]), [['b', 1, 'ups'], ['a', 1, 'dhl']]);
});
