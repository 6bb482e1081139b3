// Spec `parallelism` and the routing of records to shards (core/shards.ts), the shards' names
// (core/names.ts) and fences (core/fence.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../../core/spec/validate';
import type { PipelineSpec, PipelineSpecInput } from '../../core/spec/schema';
import { updateProblems } from '../../core/spec/updateRules';
import { shardRouter, shardOfHash, parallelismProblems, ingestMembersOf, progressEveryMs } from '../../core/shards';
import { sumCounters } from '../../core/sumCounters';
import { shardOf, shardsOf, streamsOf, isShardJournalOf } from '../../core/names';
import { fenceOf, isFenceOf, isAnyFenceOf, dropOrder } from '../../core/fence';
import { purchaseSpec, joinSpec } from './fixtures';

const MAX = 512 * 1024;
const valid = (input: PipelineSpecInput): PipelineSpec => {
  const r = validateSpec(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.spec;
};
const problemsOf = (input: unknown) => {
  const r = validateSpec(input);
  return r.ok ? [] : r.problems;
};
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

test('parallelism: default 1, 1..64, whole numbers; a bad value is refused naming the field', () => {
  assert.equal(valid(purchaseSpec()).parallelism, 1);
  assert.equal(valid({ ...purchaseSpec(), parallelism: 64 }).parallelism, 64);
  for (const bad of [0, 65, 2.5, -1, '4']) {
    const p = problemsOf({ ...purchaseSpec(), parallelism: bad });
    assert.equal(p.length, 1, String(bad));
    assert.equal(p[0].path, 'parallelism');
    assert.match(p[0].message, /whole number of shards from 1 to 64/);
  }
});

test('one shard: every record to shard 0, the names of before sharding', () => {
  const spec = valid(purchaseSpec());
  const r = shardRouter(spec, MAX);
  assert.equal(r.count, 1);
  assert.equal(r.route(0, buf({ event_id: 'x' }), 7), 0);
  const sh = shardOf(spec.name, 0, 1);
  const s = streamsOf(spec.name);
  assert.equal(sh.journal, s.journal);
  assert.equal(sh.journalSubject, s.journalSubject);
  assert.equal(sh.rawSubject(0), s.rawSubject(0));
  assert.deepEqual(sh.rawFilters, ['sluice.unit-purchases.raw.*']);
  assert.equal(sh.snapshotPrefix, '');
  assert.equal(sh.fence, undefined);
});

test('copies of one event go to one shard whatever their partition, key order, ignored field or number text', () => {
  const spec = valid({ ...purchaseSpec(), parallelism: 8 });
  const r = shardRouter(spec, MAX);
  const base = { event_id: 'e1', user_id: 'u1', amount: 12.5, ts: '2026-12-01T10:00:00Z', _event_source_: 'app' };
  const copies = [
    buf(base),
    buf({ ...base, _event_source_: 'backend' }), // the ignored field differs
    buf({ ts: base.ts, amount: '12.5', user_id: 'u1', _event_source_: 'x', event_id: 'e1' }), // other key order, number as text
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf(base)]), // with a byte order mark (the sink drops it)
  ];
  const shards = new Set(copies.flatMap((c) => [0, 1, 2, 5].map((partition) => r.route(0, c, partition))));
  assert.equal(shards.size, 1);
});

test('keys spread over the shards (within 20% of even), deterministically', () => {
  const spec = valid({ ...purchaseSpec(), parallelism: 4 });
  const r = shardRouter(spec, MAX);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 8000; i++) counts[r.route(0, buf({ event_id: `e${i}`, user_id: 'u', amount: 1, ts: '2026-12-01T10:00:00Z', _event_source_: 'a' }), 0)]++;
  for (const c of counts) assert.ok(c > 1600 && c < 2400, `shard counts ${counts}`);
  const again = shardRouter(spec, MAX);
  assert.equal(again.route(0, buf({ event_id: 'e5', user_id: 'u', amount: 1, ts: '2026-12-01T10:00:00Z', _event_source_: 'a' }), 3),
    r.route(0, buf({ event_id: 'e5', user_id: 'u', amount: 1, ts: '2026-12-01T10:00:00Z', _event_source_: 'a' }), 9));
  // a value with a byte order mark is the same event (text decoding drops the mark), so the same shard; so is one with escapes or spaces
  for (let i = 0; i < 200; i++) {
    const ev = { event_id: `e${i}`, user_id: 'u', amount: 1, ts: '2026-12-01T10:00:00Z', _event_source_: 'a' };
    const shard = r.route(0, buf(ev), 0);
    assert.equal(r.route(0, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf(ev)]), 0), shard);
    assert.equal(r.route(0, Buffer.from(JSON.stringify(ev, null, 2).replace('"u"', '"\\u0075"')), 0), shard);
  }
});

test('records that cannot be keyed go to shard 0 (its sink dead-letters them); sources without dedup or join go by partition', () => {
  const spec = valid({ ...purchaseSpec(), parallelism: 4 });
  const r = shardRouter(spec, MAX);
  for (const v of [null, buf('not json'), buf('[1]'), buf({ user_id: 'u' }), Buffer.from([0xff, 0xfe]), Buffer.alloc(MAX + 1, 0x20)]) assert.equal(r.route(0, v, 3), 0);
  const plain = valid({ ...purchaseSpec(), parallelism: 4, sources: [{ ...purchaseSpec().sources[0], dedup: undefined }] });
  const p = shardRouter(plain, MAX);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((partition) => p.route(0, buf({ event_id: 'x' }), partition)), [0, 1, 2, 3, 0, 1]);
});

/** The join fixture with only one right side (and parallelism). */
function joinWith(right: string, parallelism: number, purchasesKey?: string | string[]): PipelineSpecInput {
  const input = joinSpec();
  const j = input.join!;
  const keep = (name: string) => name === right || name === j.left.source;
  const output = j.output.filter((o) => keep((typeof o === 'string' ? o : o.field).split('.')[0]));
  return {
    ...input, parallelism, join: { ...j, right: j.right.filter((x) => x.source === right), output },
    sources: input.sources.filter((s) => keep(s.name)).map((s) => (s.name === 'purchases' && purchasesKey ? { ...s, dedup: { ...s.dedup!, key: purchasesKey } } : s)),
  };
}

test('a sharded join routes both sides by the join key, so a match meets in one shard', () => {
  // one right side: purchases ⋈ payments on event_id
  const spec = valid(joinWith('payments', 4));
  const r = shardRouter(spec, MAX);
  const left = spec.sources.findIndex((s) => s.name === spec.join!.left.source);
  const right = spec.sources.findIndex((s) => s.name === 'payments');
  const lf = spec.sources[left].schema.fields, rf = spec.sources[right].schema.fields;
  const sample = (fields: Record<string, string>, id: string) => Object.fromEntries(Object.entries(fields).map(([f, t]) =>
    [f, f === 'event_id' ? id : t.startsWith('datetime') ? '2026-12-01T10:00:00Z' : t.startsWith('string') ? 'x' : t.startsWith('bool') ? true : 1]));
  let differs = 0;
  for (let i = 0; i < 200; i++) {
    const a = r.route(left, buf(sample(lf, `p${i}`)), 0);
    assert.equal(a, r.route(right, buf(sample(rf, `p${i}`)), 2), `event p${i}`);
    if (a !== r.route(left, buf(sample(lf, `p${i + 1}`)), 0)) differs++;
  }
  assert.ok(differs > 50, 'the join keys spread over shards');
});

test('a sharded join needs every right side on the same left fields, and dedup keys that contain the join key', () => {
  const input = joinSpec();
  const twoKeys = parallelismProblems(valid({ ...input, parallelism: 1 }));
  assert.deepEqual(twoKeys, []);
  const p = problemsOf({ ...input, parallelism: 2 });
  assert.ok(p.length >= 1);
  assert.ok(p.every((x) => x.path === 'parallelism'), JSON.stringify(p));
  assert.match(p.map((x) => x.message).join('\n'), /every join.right must match the same left field/);
  // purchases deduplicated by event_id only, joined on user_id: copies could carry two join keys
  assert.deepEqual(problemsOf(joinWith('users', 2, ['event_id', 'user_id'])), []);
  assert.deepEqual(problemsOf(joinWith('payments', 2)), []);
  const q = problemsOf(joinWith('users', 2));
  assert.equal(q.length, 1, JSON.stringify(q));
  assert.match(q[0].message, /dedup key of source "purchases" must contain its join key \(user_id/);
});

test('a running pipeline may change its parallelism (the workflow moves the state); other rules still hold with it', () => {
  const a = valid({ ...purchaseSpec(), parallelism: 2 });
  assert.deepEqual(updateProblems(a, valid({ ...purchaseSpec(), parallelism: 4 })), []);
  assert.deepEqual(updateProblems(a, valid({ ...purchaseSpec(), parallelism: 1 })), []);
  const rekeyed = valid({ ...purchaseSpec(), parallelism: 4, sources: [{ ...purchaseSpec().sources[0], dedup: { key: 'event_id', window: '1h', time: 'arrival' } }] });
  assert.deepEqual(updateProblems(a, rekeyed).map((p) => p.path), ['sources[0].dedup.key']);
});

test('shard names: own raw subjects, journal, snapshots and fences; shard k never matches another shard or pipeline', () => {
  const spec = valid({ ...purchaseSpec({ name: 'shop' }), parallelism: 12 });
  const [s0, s1] = shardsOf('shop', 12);
  assert.equal(s1.rawSubject(0), 'sluice.shop.raw.0.1.12');
  assert.deepEqual(s1.rawFilters, ['sluice.shop.raw.*.1.12', 'sluice.shop.raw.*.1']);
  assert.equal(s0.journal, 'SLUICE_SHOP_STATE_S0');
  assert.equal(s1.journalSubject, 'sluice.shop.state.1');
  assert.ok(isShardJournalOf('shop', 'SLUICE_SHOP_STATE_S11'));
  assert.ok(!isShardJournalOf('shop', 'SLUICE_SHOP_STATE') && !isShardJournalOf('shop', 'SLUICE_SHOP_X_STATE_S1'));
  assert.equal(new Set(shardsOf('shop', 12).map((s) => s.journal)).size, 12);
  const f1 = fenceOf(spec, 'abc', 1);
  assert.deepEqual(f1, { input: '_sluice_w1_shop_abc', view: '_sluice_v1_shop_abc' });
  const names = [f1.input, f1.view, fenceOf(spec, 'x', 11).input, fenceOf(spec, 'y').input, '_sluice_w1_shop_orders_z', '_sluice_w_shop_1_q'];
  assert.deepEqual(names.filter((n) => isFenceOf(spec, n, 1)), ['_sluice_w1_shop_abc', '_sluice_v1_shop_abc']);
  assert.deepEqual(names.filter((n) => isFenceOf(spec, n)), ['_sluice_w_shop_y']);
  assert.deepEqual(names.filter((n) => isAnyFenceOf(spec, n)), ['_sluice_w1_shop_abc', '_sluice_v1_shop_abc', '_sluice_w11_shop_x', '_sluice_w_shop_y']);
  assert.deepEqual(dropOrder([f1.view, f1.input]), [f1.input, f1.view]);
});

test('counters of shards and ingest members add up; members are at most the partitions', () => {
  assert.deepEqual(sumCounters([{ read: 3, dlq: 1 }, undefined, { read: 4, inserted: 2 }]), { read: 7, dlq: 1, inserted: 2 });
  assert.equal(ingestMembersOf(4, 3), 3);
  assert.equal(ingestMembersOf(2, 6), 2);
  assert.equal(ingestMembersOf(4, undefined), 4);
  assert.equal(shardOfHash('00000000ffffffff', 7), 0xffffffff % 7);
});

test('progress signals: every 2 s up to 4 shards, then less often (about 4 a second per workflow, ingest and sink each)', () => {
  assert.equal(progressEveryMs(1), 2000);
  assert.equal(progressEveryMs(4), 2000);
  assert.equal(progressEveryMs(5), 4000);
  assert.equal(progressEveryMs(64), 32_000);
  for (const n of [1, 4, 8, 16, 64]) assert.ok(n / (progressEveryMs(n) / 1000) <= 2, `${n} shards`);
});

/** NATS subject matching: `*` is one token, `>` the rest. */
const matches = (filter: string, subject: string): boolean => {
  const f = filter.split('.'), t = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return t.length > i;
    if (i >= t.length || (f[i] !== '*' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
};

test('a record routed under another parallelism (a frozen ingest member thawing after a change) is read by no shard; under the current one by its own shard only', () => {
  for (const now of [1, 2, 3, 4, 8]) {
    const readers = shardsOf('shop', now);
    for (const then of [1, 2, 3, 4, 8]) {
      for (const publisher of shardsOf('shop', then)) {
        for (const source of [0, 2]) {
          const subject = publisher.rawSubject(source);
          const by = readers.filter((r) => r.rawFilters.some((f) => matches(f, subject))).map((r) => r.shard);
          assert.deepEqual(by, then === now ? [publisher.shard] : [], `${subject} under parallelism ${now}`);
        }
      }
    }
  }
  // a sharded pipeline made before the parallelism was in the subject: shard k still reads raw.<source>.<k>
  assert.deepEqual(shardsOf('shop', 4).filter((r) => r.rawFilters.some((f) => matches(f, 'sluice.shop.raw.0.2'))).map((r) => r.shard), [2]);
  assert.ok(!shardOf('shop', 0, 1).rawFilters.some((f) => matches(f, 'sluice.shop.raw.0.2')), 'one shard does not read them');
  assert.ok(matches('sluice.shop.raw.>', shardOf('shop', 3, 4).rawSubject(1)), 'every subject is in the raw stream');
});
