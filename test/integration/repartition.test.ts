// Changing a running pipeline's parallelism (docs/scaling.md "Changing N while running"): the
// update drains the old shards and moves their state — dedup keys, open join windows, held and
// `latest` right events, counters, Kafka high-water marks — to the new shards. Copies of events
// read before a change, sent after it under other Kafka keys to other partitions, are still
// duplicates; payments for purchases whose window was open at the change still meet them; rows are
// exact and the counters reconcile per shard and in total.
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scalar } from '../../loadtest/clickhouse';
import { settings } from '../../runtime/settings';
import { shardOf, streamsOf } from '../../core/names';
import { shardRouter } from '../../core/shards';
import { encodeRawRecords } from '../../core/envelope';
import { specFrom } from '../../client/pipelines';
import type { PipelineSpecInput } from '../../core/spec/schema';
import type { PipelineState } from '../../workflows/signals';
import { DB, createRunning, newTopic, openHarness, purchase, purchaseSpec, rows, tableOf, uniqueName, untilRead, untilRows, type Harness } from './harness';

let h: Harness;
before(async () => {
  h = await openHarness();
  h.startWorker();
});
after(async () => { await h?.close(); });

type Message = { key: string; value: string; partition: number };

async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = h.kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
  } finally {
    await producer.disconnect();
  }
}

/** Asks for another parallelism and waits until the new shards run; returns the state then. */
async function changeTo(name: string, spec: PipelineSpecInput, parallelism: number): Promise<PipelineState> {
  const version = (await h.svc.status(name)).specVersion;
  await h.svc.update(name, { ...spec, parallelism });
  const s = await h.svc.waitFor(name, (x) => x.specVersion === version + 1 && x.status === 'RUNNING' && x.parallelismChange?.to === parallelism && x.parallelismChange.stoppedMs > 0, 120_000);
  const c = s.parallelismChange!;
  assert.equal(c.refused, undefined, `the change was made (${c.refused})`);
  console.log(`parallelism ${c.from} -> ${c.to}: stopped ${c.stoppedMs} ms (drain ${c.drainMs} ms, move ${c.moveMs} ms), ${c.keys} keys and ${c.joinEvents} join events moved`);
  return s;
}

function assertReconciles(s: PipelineState, join = false) {
  const parts = s.shards?.length ? s.shards : [s.sink];
  for (const [i, c] of parts.entries()) {
    const rest = join ? c.matched + c.unmatched + c.waiting + c.side - (c.rejectedRows ?? 0) : c.inserted;
    assert.equal(c.read, rest + c.duplicates + c.dlq, `shard ${i} reconciles (${JSON.stringify(c)})`);
  }
  for (const k of ['read', 'inserted', 'duplicates', 'dlq']) assert.equal(s.sink[k], parts.reduce((n, c) => n + (c[k] ?? 0), 0), `sink.${k} is the shards' sum`);
}

test('parallelism 2 -> 4 -> 1 while running: copies of earlier events under other Kafka keys stay duplicates, rows exact, counters carried', async () => {
  const name = uniqueName('it-repart');
  await newTopic(h, name, 4);
  const spec = { ...purchaseSpec(name, name, { batch: { maxRows: 500, maxDelay: '100ms' } }), parallelism: 2 };
  await createRunning(h, spec);
  const event = (i: number) => purchase(`e${i}`, 'frontend-web', { user_id: `u${i % 97}`, amount: i / 10 });
  const firsts = (from: number, to: number): Message[] => Array.from({ length: to - from }, (_, j) => ({ key: `web-${from + j}`, value: JSON.stringify(event(from + j)), partition: (from + j) % 4 }));
  // a copy from another producer: another Kafka key, another partition, the ignored field differs
  const copies = (from: number, to: number, step: number): Message[] => Array.from({ length: Math.ceil((to - from) / step) }, (_, j) => {
    const i = from + j * step;
    return { key: `backend-${i}-${step}`, value: JSON.stringify({ ...event(i), _event_source_: 'payment-backend' }), partition: (i + 1 + step) % 4 };
  });
  let sent = 0, dups = 0;
  const phase = async (m: Message[], copiesIn: number) => { await produce(name, m); sent += m.length; dups += copiesIn; };

  const a = [...firsts(0, 2000), ...copies(0, 2000, 5)];
  await phase(a, 400);
  await untilRead(h, name, sent, 120_000);
  // the change, with the next events sent while it runs: new ones, and copies of the first phase's
  const changed = changeTo(name, spec, 4);
  const b = [...copies(0, 2000, 3), ...firsts(2000, 4000), ...copies(2000, 4000, 4)];
  await phase(b, 667 + 500);
  let s = await changed;
  assert.equal(s.parallelismChange!.from, 2);
  assert.ok(s.parallelismChange!.keys >= 2000, `the held keys moved (${s.parallelismChange!.keys})`);
  s = await untilRead(h, name, sent, 120_000);
  await untilRows(h, name, 4000);
  s = await h.svc.waitFor(name, (x) => (x.shards ?? []).filter(Boolean).length === 4 && x.sink.read === sent, 30_000).catch(() => s);
  assert.equal(s.shards?.length, 4);
  assertReconciles(s);
  assert.equal(s.sink.duplicates, dups);

  // an ingest member frozen before the change and thawed after it publishes a record it read then,
  // routed by parallelism 2, while the current members read it from Kafka and route it by 4: one row
  const oldRouter = shardRouter(specFrom({ ...spec, parallelism: 2 }), settings.maxEventBytes);
  const newRouter = shardRouter(specFrom({ ...spec, parallelism: 4 }), settings.maxEventBytes);
  let z = 100_000;
  const value = (i: number) => Buffer.from(JSON.stringify(event(i)));
  while (oldRouter.route(0, value(z), 1) === newRouter.route(0, value(z), 1)) z++;
  const producer = h.kafka.producer();
  await producer.connect();
  const [{ baseOffset }] = await producer.send({ topic: name, acks: -1, messages: [{ key: `web-${z}`, value: value(z), partition: 1 }] });
  await producer.disconnect();
  const zombie = encodeRawRecords(0, name, 1, Date.now(), [{ offset: baseOffset!, value: value(z) }], settings.maxEventBytes);
  const oldShard = oldRouter.route(0, value(z), 1);
  await h.nc.jetstream().publish(shardOf(name, oldShard, 2).rawSubject(0), zombie.data, { msgID: `${oldShard}/2/${zombie.msgId}` });
  sent += 1;
  await untilRead(h, name, sent, 60_000);
  await sleep(1500);
  assert.equal(await scalar(h.ch, `SELECT count() FROM ${tableOf(name)} WHERE event_id = 'e${z}'`), 1, 'the record routed under the old parallelism is not read again');

  // and back to one shard: the unsharded journal again, the shards' journals gone
  const changedBack = changeTo(name, spec, 1);
  await phase([...copies(0, 4000, 7), ...firsts(4000, 4500)], 572);
  const unique = 4501;
  s = await changedBack;
  s = await untilRead(h, name, sent, 120_000);
  await untilRows(h, name, unique);
  await sleep(1000);
  assert.equal(await rows(h, name), unique, 'one row per unique purchase');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), unique, 'no purchase twice');
  s = await h.svc.waitFor(name, (x) => x.sink.read === sent, 30_000).catch(() => s);
  assert.equal(s.shards, undefined, 'one shard: no per-shard counters');
  assert.equal(s.sink.read, sent, 'every record read once (none read again after a change)');
  assert.equal(s.sink.duplicates, dups);
  assert.equal(s.sink.inserted, unique);
  assertReconciles(s);
  const jsm = await h.nc.jetstreamManager();
  const journals: string[] = [];
  for await (const n of jsm.streams.names()) if (n.startsWith(streamsOf(name).journal)) journals.push(n);
  assert.deepEqual(journals, [streamsOf(name).journal], 'only the unsharded journal is left');
  await h.svc.delete(name);
});

test('a join, parallelism 1 -> 3 while running: open windows and latest states move with their key; every purchase meets its payment and status', async () => {
  const name = uniqueName('it-repjoin');
  const topics = { purchases: `${name}-purchases`, payments: `${name}-payments`, statuses: `${name}-statuses` };
  await newTopic(h, topics.purchases, 3);
  await newTopic(h, topics.payments, 2);
  await newTopic(h, topics.statuses, 2);
  const kafka = (topic: string) => ({ brokers: settings.kafkaBrokers, topic, startFrom: 'earliest' as const });
  const spec: PipelineSpecInput = {
    version: 1, name, parallelism: 1,
    sources: [
      { name: 'purchases', kafka: kafka(topics.purchases), schema: { fields: { event_id: 'string', amount: 'float64', _event_source_: 'string' } },
        dedup: { key: { ignore: ['_event_source_'] }, window: '1h' } },
      { name: 'payments', kafka: kafka(topics.payments), schema: { fields: { payment_id: 'string', event_id: 'string' } } },
      { name: 'statuses', kafka: kafka(topics.statuses), schema: { fields: { event_id: 'string', state: 'string' } } },
    ],
    join: {
      time: 'arrival', left: { source: 'purchases', window: '1h' },
      right: [{ source: 'payments', key: 'event_id', window: '1h' }, { source: 'statuses', key: 'event_id', window: '1h', latest: true, kind: 'left' }],
      output: ['purchases.event_id', 'purchases.amount', 'payments.payment_id', 'statuses.state'],
    },
    sink: { clickhouse: { url: settings.clickhouseUrl, database: DB, table: name.replace(/-/g, '_') }, createTable: { engine: 'MergeTree', orderBy: ['event_id'] }, batch: { maxRows: 500, maxDelay: '100ms' } },
  };
  await createRunning(h, spec);
  const n = 1200;
  const msg = (key: string, v: unknown, partition: number): Message => ({ key, value: JSON.stringify(v), partition });
  const purchaseOf = (i: number, src = 'web') => msg(`${src}${i}`, { event_id: `o${i}`, amount: i, _event_source_: src }, i % 3);
  const paymentOf = (i: number) => msg(`pay${i}`, { payment_id: `pay${i}`, event_id: `o${i}` }, i % 2);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, j) => from + j);
  // before the change: every status, the first half's purchases, payments for every other one of them
  await produce(topics.statuses, range(0, n).map((i) => msg(`st${i}`, { event_id: `o${i}`, state: 'placed' }, i % 2)));
  await produce(topics.purchases, range(0, n / 2).map((i) => purchaseOf(i)));
  await produce(topics.payments, range(0, n / 2).filter((i) => i % 2 === 0).map(paymentOf));
  let read = n + n / 2 + n / 4;
  await untilRead(h, name, read, 120_000);
  await untilRows(h, name, n / 4);
  const s1 = await changeTo(name, spec, 3);
  assert.ok(s1.parallelismChange!.joinEvents >= n / 4 + n, `open purchases and held statuses moved (${s1.parallelismChange!.joinEvents})`);
  // after it: the open purchases' payments, copies of early purchases from another producer, the second half with payments
  await produce(topics.payments, range(0, n / 2).filter((i) => i % 2 === 1).map(paymentOf));
  await produce(topics.purchases, [...range(0, 100).map((i) => purchaseOf(i, 'backend')), ...range(n / 2, n).map((i) => purchaseOf(i))]);
  await produce(topics.payments, range(n / 2, n).map(paymentOf));
  read += n / 4 + 100 + n / 2 + n / 2;
  let s = await untilRead(h, name, read, 120_000);
  await untilRows(h, name, n);
  await sleep(1000);
  assert.equal(await rows(h, name), n, 'one row per purchase');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), n, 'no purchase twice');
  assert.equal(await scalar(h.ch, `SELECT countIf(payment_id != concat('pay', substring(event_id, 2))) FROM ${tableOf(name)}`), 0, 'every row has its own payment');
  assert.equal(await scalar(h.ch, `SELECT countIf(state != 'placed') FROM ${tableOf(name)}`), 0, 'every row has its status, also when the status came before the change and the purchase after');
  s = await h.svc.waitFor(name, (x) => (x.shards ?? []).filter(Boolean).length === 3 && x.sink.read === read, 30_000).catch(() => s);
  assert.equal(s.shards?.length, 3);
  assert.equal(s.sink.duplicates, 100);
  assert.equal(s.sink.read, read);
  assertReconciles(s, true);
  await h.svc.delete(name);
});
