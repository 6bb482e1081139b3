// One pipeline over many workers (spec parallelism): 4 shards on two workers, exact rows, no
// doubled row, counters that reconcile per shard and in total — with copies of one event sent
// under different Kafka keys to different partitions, which one shard must judge — and a sharded
// join (purchases ⋈ payments on event_id).
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scalar } from '../../loadtest/clickhouse';
import { stackDir } from '../../loadtest/localWorker';
import { settings } from '../../runtime/settings';
import type { PipelineSpecInput } from '../../core/spec/schema';
import type { PipelineState } from '../../workflows/signals';
import { DB, createRunning, newTopic, openHarness, purchase, purchaseSpec, rows, tableOf, uniqueName, untilRead, untilRows, type Harness } from './harness';

let h: Harness;
// at most 5 stages per worker: the 8 of these pipelines (4 ingest members, 4 shards) cannot all sit on one
before(async () => {
  h = await openHarness({ SLUICE_WORKER_MAX_ACTIVITIES: '5' });
  h.startWorker();
});
after(async () => { await h?.close(); });

/** The pids whose sink shards started for a pipeline, per shard (from the "sink recovered" log lines). */
function shardPids(name: string): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const l of readFileSync(join(stackDir, 'logs', 'test-worker.log'), 'utf8').split('\n')) {
    if (!l.includes('"sink recovered"') || !l.includes(`"pipeline":"${name}"`)) continue;
    const { shard, pid } = JSON.parse(l) as { shard: number; pid: number };
    out.set(shard, (out.get(shard) ?? new Set()).add(pid));
  }
  return out;
}

/** Each shard's counters and their sum reconcile: read = inserted + duplicates + dlq. */
function assertShardsReconcile(s: PipelineState, shards: number) {
  assert.equal(s.shards?.length, shards, 'a counter set per shard');
  for (const [i, c] of s.shards!.entries()) {
    assert.ok(c.read > 0, `shard ${i} read events`);
    assert.equal(c.read, c.inserted + c.duplicates + c.dlq, `shard ${i}: read = inserted + duplicates + dlq (${JSON.stringify(c)})`);
  }
  for (const k of ['read', 'inserted', 'duplicates', 'dlq']) assert.equal(s.sink[k], s.shards!.reduce((n, c) => n + c[k], 0), `sink.${k} is the shards' sum`);
}

test('parallelism 4 on two workers: exact rows, copies under other Kafka keys on other partitions judged by one shard, counters per shard and in total', async () => {
  const name = uniqueName('it-shards');
  await newTopic(h, name, 4);
  const spec = { ...purchaseSpec(name, name, { batch: { maxRows: 500, maxDelay: '100ms' } }), parallelism: 4 };
  await createRunning(h, spec);
  const unique = 4000;
  const messages: Array<{ key: string; value: string; partition: number }> = [];
  let copies = 0;
  for (let i = 0; i < unique; i++) {
    const e = purchase(`e${i}`, 'frontend-web', { user_id: `u${i % 97}`, amount: i / 10 });
    messages.push({ key: `web-${i}`, value: JSON.stringify(e), partition: i % 4 });
    // a second copy from another producer: another Kafka key, another partition, the ignored field differs
    if (i % 3 === 0) { messages.push({ key: `backend-${i}`, value: JSON.stringify({ ...e, _event_source_: 'payment-backend' }), partition: (i + 1) % 4 }); copies++; }
    // a retry of the first copy, on a third partition
    if (i % 10 === 0) { messages.push({ key: `retry-${i}`, value: JSON.stringify(e), partition: (i + 2) % 4 }); copies++; }
  }
  const malformed = 40;
  for (let i = 0; i < malformed; i++) messages.push({ key: `bad-${i}`, value: i % 2 ? '{"event_id": ' : JSON.stringify({ user_id: 'no event id' }), partition: i % 4 });
  // copies come after their first (spread through the run), the order within the stream is shuffled deterministically
  const order = messages.map((m, i) => ({ m, k: (i * 7919) % messages.length })).sort((a, b) => a.k - b.k).map((x) => x.m);
  const producer = h.kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < order.length; i += 500) {
      await producer.send({ topic: name, acks: -1, messages: order.slice(i, i + 500) });
      await sleep(100);
    }
  } finally {
    await producer.disconnect();
  }
  const s = await untilRead(h, name, order.length, 180_000);
  await untilRows(h, name, unique);
  await sleep(1000);
  assert.equal(await rows(h, name), unique, 'one row per unique purchase');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), unique, 'no purchase twice');
  const final = await h.svc.waitFor(name, (x) => (x.shards ?? []).filter(Boolean).length === 4 && x.sink.read === order.length, 30_000).catch(() => s);
  assert.equal(final.sink.read, order.length);
  assert.equal(final.sink.duplicates, copies);
  assert.equal(final.sink.dlq, malformed);
  assertShardsReconcile(final, 4);
  // the rows of each shard carry its own incarnation: four disjoint batch-id ranges
  assert.equal(await scalar(h.ch, `SELECT uniqExact(intDiv(_sluice_batch, 4294967296)) FROM ${tableOf(name)}`), 4, 'four incarnations, one per shard');
  // the stages spread over both workers (at most 5 a worker)
  const pids = shardPids(name);
  assert.equal(pids.size, 4, 'every shard started');
  const stages = await h.svc.describeStages(name);
  const workers = new Set(stages.map((x) => x.worker));
  assert.equal(stages.length, 8, `4 ingest members and 4 shards run (${stages.map((x) => x.type).join(', ')})`);
  assert.equal(workers.size, 2, `the stages run on both workers (${[...workers].join(', ')})`);
  console.log(`shards on pids: ${[...pids].map(([k, p]) => `${k}:${[...p].join('/')}`).join(' ')}; per shard read ${final.shards!.map((c) => c.read).join(' / ')}`);
  await h.svc.delete(name);
  // delete removes every shard's journal
  const jsm = await h.nc.jetstreamManager();
  const left: string[] = [];
  for await (const n of jsm.streams.names()) if (n.startsWith(`SLUICE_${name.toUpperCase().replace(/-/g, '_')}_`)) left.push(n);
  assert.deepEqual(left, [], 'no stream of the pipeline is left');
});

test('a sharded join (purchases ⋈ payments on event_id, parallelism 3): every payment meets its purchase', async () => {
  const name = uniqueName('it-shjoin');
  const topics = { purchases: `${name}-purchases`, payments: `${name}-payments` };
  await newTopic(h, topics.purchases, 3);
  await newTopic(h, topics.payments, 2);
  const kafka = (topic: string) => ({ brokers: settings.kafkaBrokers, topic, startFrom: 'earliest' as const });
  const spec: PipelineSpecInput = {
    version: 1, name, parallelism: 3,
    sources: [
      { name: 'purchases', kafka: kafka(topics.purchases), schema: { fields: { event_id: 'string', user_id: 'string', amount: 'float64', _event_source_: 'string' } },
        dedup: { key: { ignore: ['_event_source_'] }, window: '1h' } },
      { name: 'payments', kafka: kafka(topics.payments), schema: { fields: { payment_id: 'string', event_id: 'string', status: 'string' } } },
    ],
    join: { time: 'arrival', left: { source: 'purchases', window: '1h' }, right: [{ source: 'payments', key: 'event_id', window: '1h' }],
      output: ['purchases.event_id', 'purchases.amount', 'payments.payment_id', { field: 'payments.status', as: 'payment_status' }] },
    sink: { clickhouse: { url: settings.clickhouseUrl, database: DB, table: name.replace(/-/g, '_') }, createTable: { engine: 'MergeTree', orderBy: ['event_id'] }, batch: { maxRows: 500, maxDelay: '100ms' } },
  };
  await createRunning(h, spec);
  const n = 1500;
  const purchases: Array<{ key: string; value: string; partition: number }> = [];
  const payments: Array<{ key: string; value: string; partition: number }> = [];
  for (let i = 0; i < n; i++) {
    const p = { event_id: `o${i}`, user_id: `u${i % 50}`, amount: i, _event_source_: 'web' };
    purchases.push({ key: `a${i}`, value: JSON.stringify(p), partition: i % 3 });
    if (i % 4 === 0) purchases.push({ key: `b${i}`, value: JSON.stringify({ ...p, _event_source_: 'backend' }), partition: (i + 1) % 3 });
    // two of three purchases are paid; the payment comes first for every fifth
    if (i % 3 !== 2) payments.push({ key: `pay${i}`, value: JSON.stringify({ payment_id: `pay${i}`, event_id: `o${i}`, status: 'ok' }), partition: i % 2 });
  }
  const producer = h.kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < n; i += 300) {
      const early = payments.filter((p) => { const k = Number(JSON.parse(p.value).event_id.slice(1)); return k >= i && k < i + 300 && k % 5 === 0; });
      const late = payments.filter((p) => { const k = Number(JSON.parse(p.value).event_id.slice(1)); return k >= i && k < i + 300 && k % 5 !== 0; });
      if (early.length) await producer.send({ topic: topics.payments, acks: -1, messages: early });
      await producer.send({ topic: topics.purchases, acks: -1, messages: purchases.filter((p) => { const k = Number(JSON.parse(p.value).event_id.slice(1)); return k >= i && k < i + 300; }) });
      if (late.length) await producer.send({ topic: topics.payments, acks: -1, messages: late });
      await sleep(100);
    }
  } finally {
    await producer.disconnect();
  }
  const total = purchases.length + payments.length;
  const s = await untilRead(h, name, total, 180_000);
  await untilRows(h, name, payments.length);
  await sleep(1000);
  assert.equal(await rows(h, name), payments.length, 'one row per paid purchase');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), payments.length, 'no purchase twice');
  assert.equal(await scalar(h.ch, `SELECT countIf(payment_id != concat('pay', substring(event_id, 2))) FROM ${tableOf(name)}`), 0, 'every row has its own payment');
  const final = await h.svc.waitFor(name, (x) => (x.shards ?? []).filter(Boolean).length === 3 && x.sink.read === total, 30_000).catch(() => s);
  assert.equal(final.shards?.length, 3);
  for (const [i, c] of final.shards!.entries()) {
    // join counters: read = duplicates + dlq - rejectedRows + matched + unmatched + waiting + side
    assert.equal(c.read, c.duplicates + c.dlq - (c.rejectedRows ?? 0) + c.matched + c.unmatched + c.waiting + c.side, `shard ${i} reconciles (${JSON.stringify(c)})`);
  }
  assert.equal(final.sink.duplicates, purchases.length - n);
  assert.equal(final.sink.side, payments.length);
  assert.equal(final.sink.read, total);
  await h.svc.delete(name);
});
