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
    for (const r of states[k].takeBatch(e.a).rows) inserted.push([String(r.event_id), e.a]);
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

test('keys of an MD5 journal (before xxHash64) cannot be routed: refused', () => {
  const st = new SinkState(specOf(2));
  const snap = st.dedupSnapshot();
  snap.sources[0].legacyUntil = 5;
  assert.throws(() => repartition([{ dedup: snap, counters: st.counters, hw: {} }], 3, 0, 0), /MD5 keys/);
});
