// Changing a pipeline's parallelism (core/repartition.ts): the old shards' state split by the new
// routing decides exactly as one unsharded state that saw every event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SinkState } from '../../core/sinkState';
import { validateSpec } from '../../core/spec/validate';
import type { PipelineSpec } from '../../core/spec/schema';
import type { RawBatch } from '../../core/envelope';
import { shardRouter } from '../../core/shards';
import { repartition } from '../../core/repartition';
import { decodeDedupSnapshot, encodeDedupSnapshot } from '../../core/dedupSnapshot';
import { prng } from '../../loadtest/seedEvents';
import { purchaseSpec } from './fixtures';
import { joinPlan } from '../../core/join/plan';
import type { JoinSnapshot } from '../../core/join/joinState';

const specOf = (parallelism: number): PipelineSpec => {
  const r = validateSpec({ ...purchaseSpec(), parallelism });
  if (!r.ok) throw new Error('fixture invalid');
  return r.spec;
};

interface Ev { p: number; o: number; v: string; a: number }

/** Events of `n` purchases (ids 0..keys-1, so later ones repeat earlier ones) on 3 partitions; arrival time `a0 + i`. */
function events(n: number, keys: number, a0: number, firstOffset: number[], rand: () => number): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    const p = Math.floor(rand() * 3);
    const id = Math.floor(rand() * keys);
    out.push({ p, o: firstOffset[p]++, a: a0 + i, v: JSON.stringify({ event_id: `e${id}`, user_id: 'u', amount: id, ts: '2026-11-29T12:00:00Z', _event_source_: rand() < 0.5 ? 'web' : 'app' }) });
  }
  return out;
}

/** Runs events through N shards (routed as ingest routes them), one raw batch per event. */
function run(states: SinkState[], spec: PipelineSpec, evs: Ev[], seq: { n: number }): Array<[string, number]> {
  const router = shardRouter(spec, 1 << 20);
  const inserted: Array<[string, number]> = [];
  for (const e of evs) {
    const k = router.route(0, Buffer.from(e.v), e.p);
    const b: RawBatch = { s: 0, t: 'purchases', p: e.p, o: [e.o], a: e.a, v: [e.v] };
    states[k].process(++seq.n, b);
    for (const r of states[k].takeBatch(e.a).rows.objects()) inserted.push([String(r.event_id), e.a]);
  }
  return inserted;
}

for (const [from, to] of [[2, 4], [4, 1], [1, 3], [3, 2]]) {
  test(`parallelism ${from} -> ${to}: the split state decides every event as one unsharded state does, counters and high-water marks carried`, () => {
    const rand = prng(from * 10 + to);
    const offsets = [0, 0, 0];
    const before = events(3000, 1500, 1_000_000, offsets, rand);
    // some records published again after the change (an ingest cancelled before its Kafka commit)
    const again = before.slice(-40);
    const after = [...again, ...events(3000, 2500, 2_000_000, offsets, rand)];

    const reference = new SinkState(specOf(1));
    const refSeq = { n: 0 };
    const want = [...run([reference], specOf(1), before, refSeq), ...run([reference], specOf(1), after, refSeq)];

    const oldSpec = specOf(from);
    const old = Array.from({ length: from }, () => new SinkState(oldSpec));
    const seq = { n: 0 };
    const got = run(old, oldSpec, before, seq);
    // the drained state through the snapshot encoding, as the activity stores it
    const drained = old.map((s) => ({ dedup: decodeDedupSnapshot(encodeDedupSnapshot(s.dedupSnapshot())), counters: s.counters, hw: s.hw }));
    const next = repartition(drained, to, seq.n, 1_500_000);
    assert.equal(next.length, to);
    const newSpec = specOf(to);
    const fresh = next.map((n) => {
      const st = new SinkState(newSpec);
      st.restoreDedup(decodeDedupSnapshot(encodeDedupSnapshot(n.dedup)));
      st.apply(n.entry, true, false);
      return st;
    });
    assert.equal(fresh.reduce((a, s) => a + s.heldKeys(), 0), old.reduce((a, s) => a + s.heldKeys(), 0), 'every held key is in exactly one new shard');
    got.push(...run(fresh, newSpec, after, seq));
    assert.deepEqual(got.map(([id]) => id), want.map(([id]) => id), 'the same rows, in the same order');
    const sum = (k: 'read' | 'inserted' | 'duplicates' | 'dlq') => fresh.reduce((a, s) => a + s.counters[k], 0);
    for (const k of ['read', 'inserted', 'duplicates', 'dlq'] as const) assert.equal(sum(k), reference.counters[k], k);
    assert.equal(sum('read'), before.length + after.length - again.length, 'records published again are not read twice');
  });
}

test('keys of an MD5 journal (before xxHash64), which were never routed: every new shard gets every key', () => {
  const spec = specOf(2);
  const old = [new SinkState(spec), new SinkState(spec)];
  const seq = { n: 0 };
  run(old, spec, events(200, 200, 1_000_000, [0, 0, 0], prng(7)), seq);
  const drained = old.map((s) => ({ dedup: s.dedupSnapshot(), counters: s.counters, hw: s.hw }));
  drained[0].dedup.sources[0].legacyUntil = 5;
  const next = repartition(drained, 3, seq.n, 0);
  const held = old.reduce((a, s) => a + s.heldKeys(), 0);
  for (const n of next) {
    assert.equal(n.dedup.sources[0].window.store.timeLo.length, held);
    assert.equal(n.dedup.sources[0].legacyUntil, 5, 'the MD5 keys are still checked');
  }
  // copied twice (2 -> 3 -> 2): each key once per shard, not once per copy
  const again = repartition(next.map((n) => ({ dedup: n.dedup, counters: n.entry.counters, hw: n.entry.hw })), 2, seq.n, 0);
  for (const n of again) assert.equal(n.dedup.sources[0].window.store.timeLo.length, held);
});

// A join with one join key (so it may be sharded): purchases (deduplicated) ⋈ payments (1:1, left
// join) ⋈ the order's latest state (a `latest` side), all on event_id, by arrival time.
const joinSpecOf = (parallelism: number): PipelineSpec => {
  const kafka = (topic: string) => ({ brokers: ['127.0.0.1:9092'], topic });
  const r = validateSpec({
    version: 1, name: 'unit-shjoin', parallelism,
    sources: [
      { name: 'purchases', kafka: kafka('purchases'), schema: { fields: { event_id: 'string', amount: 'int64', _event_source_: 'string' } }, dedup: { key: { ignore: ['_event_source_'] }, window: '1h' } },
      { name: 'payments', kafka: kafka('payments'), schema: { fields: { payment_id: 'string', event_id: 'string' } } },
      { name: 'orders', kafka: kafka('orders'), schema: { fields: { event_id: 'string', state: 'string' } } },
    ],
    join: {
      time: 'arrival', left: { source: 'purchases', window: '10s' },
      right: [{ source: 'payments', key: 'event_id', window: '10s', kind: 'left' }, { source: 'orders', key: 'event_id', window: '1h', latest: true, kind: 'left' }],
      output: ['purchases.event_id', 'purchases.amount', 'payments.payment_id', 'orders.state'],
    },
    sink: { clickhouse: { url: 'http://127.0.0.1:8123', table: 'enriched' }, createTable: { engine: 'MergeTree', orderBy: ['event_id'] } },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
};

interface JoinEv { s: number; p: number; o: number; a: number; v: string }

/** Orders' states (one before each purchase, updates after), purchases (15% sent twice, 1% malformed), payments 0.1-1 s later for 80%; 10 ms apart, 3 partitions each. */
function joinEvents(n: number, rand: () => number): JoinEv[] {
  const out: Array<Omit<JoinEv, 'o'>> = [];
  const at = (i: number) => 5_000_000 + i * 10;
  for (let i = 0; i < n; i++) {
    const id = `o${i}`;
    const part = () => Math.floor(rand() * 3);
    out.push({ s: 2, p: part(), a: at(3 * i), v: JSON.stringify({ event_id: id, state: 'placed' }) });
    out.push({ s: 0, p: part(), a: at(3 * i + 1), v: rand() < 0.01 ? '{"broken' : JSON.stringify({ event_id: id, amount: i, _event_source_: 'web' }) });
    if (rand() < 0.15) out.push({ s: 0, p: part(), a: at(3 * i + 1 + Math.floor(rand() * 300)), v: JSON.stringify({ event_id: id, amount: i, _event_source_: 'app' }) });
    if (rand() < 0.8) out.push({ s: 1, p: part(), a: at(3 * i + 10 + Math.floor(rand() * 90)), v: JSON.stringify({ payment_id: `pay${i}`, event_id: id }) });
    if (rand() < 0.3) out.push({ s: 2, p: part(), a: at(3 * i + 200), v: JSON.stringify({ event_id: id, state: 'shipped' }) });
  }
  const offsets = new Map<string, number>();
  return out.sort((x, y) => x.a - y.a).map((e) => {
    const k = `${e.s}:${e.p}`;
    const o = offsets.get(k) ?? 0;
    offsets.set(k, o + 1);
    return { ...e, o };
  });
}

const TOPICS = ['purchases', 'payments', 'orders'];

/** Runs events through the shards (routed as ingest routes them), a batch per event; the rows as text. */
function runJoin(states: SinkState[], spec: PipelineSpec, evs: JoinEv[], seq: { n: number }): string[] {
  const router = shardRouter(spec, 1 << 20);
  const rows: string[] = [];
  const take = (st: SinkState, at: number) => { for (const r of st.takeBatch(at).rows.objects()) rows.push(JSON.stringify([r.event_id, r.amount, r.payment_id, r.state])); };
  for (const e of evs) {
    const k = router.route(e.s, Buffer.from(e.v), e.p);
    states[k].tick(e.a - 1);
    states[k].process(++seq.n, { s: e.s, t: TOPICS[e.s], p: e.p, o: [e.o], a: e.a, v: [e.v] });
    take(states[k], e.a);
  }
  return rows;
}

const closeAll = (states: SinkState[]): string[] => states.flatMap((st) => {
  st.tick(Number.MAX_SAFE_INTEGER / 2);
  return st.takeBatch(0).rows.objects().map((r) => JSON.stringify([r.event_id, r.amount, r.payment_id, r.state]));
});

const reconciles = (c: SinkState['counters']) => c.read === c.duplicates + c.dlq - c.join!.rejectedRows + c.join!.matched + c.join!.unmatched + c.join!.waiting + c.join!.side;

for (const [from, to] of [[1, 3], [3, 2], [2, 4], [4, 1]]) {
  test(`join, parallelism ${from} -> ${to}: open windows, held payments, latest states and dedup keys move with their key; rows as unsharded`, () => {
    const evs = joinEvents(1500, prng(100 + from * 10 + to));
    const cut = Math.floor(evs.length / 2);
    const reference = [new SinkState(joinSpecOf(1))];
    const refSeq = { n: 0 };
    const want = [...runJoin(reference, joinSpecOf(1), evs, refSeq), ...closeAll(reference)].sort();

    const oldSpec = joinSpecOf(from);
    const old = Array.from({ length: from }, () => new SinkState(oldSpec));
    const seq = { n: 0 };
    const got = runJoin(old, oldSpec, evs.slice(0, cut), seq);
    // through the encodings the activity stores them in
    const drained = old.map((s) => ({
      dedup: decodeDedupSnapshot(encodeDedupSnapshot(s.dedupSnapshot())), counters: s.counters, hw: s.hw,
      join: JSON.parse(JSON.stringify(s.join!.snapshot())) as JoinSnapshot,
    }));
    const open = old.reduce((a, s) => a + s.join!.stats().open, 0);
    assert.ok(open > 10, `windows are open at the change (${open})`);
    const next = repartition(drained, to, seq.n, 0, joinPlan(oldSpec));
    const newSpec = joinSpecOf(to);
    const fresh = next.map((n) => {
      const st = new SinkState(newSpec);
      st.join!.restore(JSON.parse(JSON.stringify(n.join)) as JoinSnapshot);
      st.restoreDedup(decodeDedupSnapshot(encodeDedupSnapshot(n.dedup)));
      st.apply(n.entry, false, false);
      return st;
    });
    assert.equal(fresh.reduce((a, s) => a + s.join!.stats().open, 0), open, 'every open window moved');
    for (const st of fresh) assert.ok(reconciles(st.counters), `each new shard's counters reconcile: ${JSON.stringify(st.counters)}`);
    got.push(...runJoin(fresh, newSpec, evs.slice(cut), seq), ...closeAll(fresh));
    assert.deepEqual(got.sort(), want, 'the same rows');
    const sum = (f: (c: SinkState['counters']) => number) => fresh.reduce((a, s) => a + f(s.counters), 0);
    for (const f of [(c: SinkState['counters']) => c.read, (c: SinkState['counters']) => c.duplicates, (c: SinkState['counters']) => c.dlq, (c: SinkState['counters']) => c.inserted,
      (c: SinkState['counters']) => c.join!.matched, (c: SinkState['counters']) => c.join!.unmatched, (c: SinkState['counters']) => c.join!.side]) {
      assert.equal(sum(f), f(reference[0].counters));
    }
    for (const st of fresh) assert.ok(reconciles(st.counters), `each shard reconciles at the end: ${JSON.stringify(st.counters)}`);
  });
}
