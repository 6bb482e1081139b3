// The chaos suite's sharded join: purchases (a quarter sent twice by another producer, under
// another Kafka key to another partition; some malformed) ⋈ payments on event_id, parallelism 4
// on two workers, events at 3,000/s while the worker running the most shards is SIGKILLed, the
// parallelism changes to 3, and the worker holding the most shards is SIGKILLed again. Every paid
// purchase must become exactly one row with its own payment, and every shard's join counters must
// reconcile on their own.
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { mustValidateSpec } from '../core/spec/validate';
import { PipelineService, specFrom } from '../client/pipelines';
import { settings } from '../runtime/settings';
import { clickhouse, sampleRows, scalar } from '../loadtest/clickhouse';
import { waitForPollers } from '../loadtest/localWorker';
import { joinReconciles } from '../loadtest/benchJoin';
import { prng } from '../loadtest/seedEvents';
import { sleep, worstRecoverySeconds, Workers } from './faults';
import { workerHoldingShards } from './shards';
import type { ChaosRow } from './report';

export const SHARDED_JOIN_SCENARIO = 'shards-join-sigkill-and-change';
const PURCHASES = 40_000;
const RATE = 3000;

interface Msg { topic: string; key: string; value: string; partition: number }

/** The purchases and payments in send order, and what they must become. */
function dataset(name: string, rand: () => number): { messages: Msg[]; paid: number; copies: number; malformed: number } {
  const out: Array<Msg & { at: number }> = [];
  let paid = 0, copies = 0, malformed = 0;
  for (let i = 0; i < PURCHASES; i++) {
    const purchase = { event_id: `o${i}`, amount: i % 500, _event_source_: 'web' };
    const at = i + rand() * 5;
    if (rand() < 0.005) { out.push({ topic: `${name}-purchases`, key: `bad${i}`, value: '{"event_id": ', partition: i % 4, at }); malformed++; continue; }
    out.push({ topic: `${name}-purchases`, key: `web${i}`, value: JSON.stringify(purchase), partition: i % 4, at });
    if (rand() < 0.25) {
      out.push({ topic: `${name}-purchases`, key: `app${i}`, value: JSON.stringify({ ...purchase, _event_source_: 'app' }), partition: (i + 1) % 4, at: at + rand() * 3000 });
      copies++;
    }
    // 70% paid: the payment up to 1 s before (a fifth of them) or up to 2 s after its purchase
    if (rand() < 0.7) {
      out.push({ topic: `${name}-payments`, key: `pay${i}`, value: JSON.stringify({ payment_id: `pay${i}`, event_id: `o${i}` }), partition: i % 4, at: at + (rand() < 0.2 ? -rand() * 3000 : rand() * 6000) });
      paid++;
    }
  }
  return { messages: out.sort((a, b) => a.at - b.at), paid, copies, malformed };
}

export async function runShardedJoinChaos(seed: number): Promise<ChaosRow> {
  const taskQueue = `sluice-chaos-${randomBytes(3).toString('hex')}`;
  const svc = await PipelineService.connect(taskQueue);
  const workers = new Workers(taskQueue);
  const name = 'chaos-shjoin';
  const kafkaOf = (topic: string) => ({ brokers: settings.kafkaBrokers, topic: `${name}-${topic}`, startFrom: 'earliest' as const });
  const spec = mustValidateSpec({
    version: 1, name, parallelism: 4,
    sources: [
      { name: 'purchases', kafka: kafkaOf('purchases'), schema: { fields: { event_id: 'string', amount: 'float64', _event_source_: 'string' } }, dedup: { key: { ignore: ['_event_source_'] }, window: '1h' } },
      { name: 'payments', kafka: kafkaOf('payments'), schema: { fields: { payment_id: 'string', event_id: 'string' } } },
    ],
    join: { time: 'arrival', left: { source: 'purchases', window: '1h' }, right: [{ source: 'payments', key: 'event_id', window: '1h' }], output: ['purchases.event_id', 'purchases.amount', 'payments.payment_id'] },
    sink: { clickhouse: { url: settings.clickhouseUrl, database: 'sluice_chaos', table: 'chaos_shjoin' }, createTable: { engine: 'MergeTree', orderBy: ['event_id'] }, batch: { maxRows: 2000, maxDelay: '200ms' } },
  });
  const table = 'sluice_chaos.chaos_shjoin';
  const ch = clickhouse(settings.clickhouseUrl);
  const kafka = new Kafka({ clientId: 'sluice-chaos', brokers: settings.kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const rand = prng(seed);
  const faultEnds: number[] = [];
  try {
    for (let i = 0; i < 2; i++) workers.start();
    await waitForPollers(taskQueue);
    await svc.delete(name, spec).catch(() => undefined);
    await ch.command({ query: 'CREATE DATABASE IF NOT EXISTS sluice_chaos' });
    await ch.command({ query: `DROP TABLE IF EXISTS ${table}` });
    await admin.connect();
    const topics = [`${name}-purchases`, `${name}-payments`];
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await sleep(1000);
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 4 })), waitForLeaders: true });
    await svc.create(spec);
    await svc.waitFor(name, (s) => s.status === 'RUNNING' && s.sink.read !== undefined, 60_000);

    const d = dataset(name, rand);
    let sampling = true;
    const sampler = sampleRows(ch, table, { target: () => Infinity, deadline: () => (sampling ? Infinity : 0), everyMs: 100 });
    await producer.connect();
    const sending = (async () => {
      for (let i = 0, t0 = Date.now(); i < d.messages.length; i += RATE / 10) {
        const chunk = d.messages.slice(i, i + RATE / 10);
        for (const topic of topics) {
          const messages = chunk.filter((m) => m.topic === topic).map(({ key, value, partition }) => ({ key, value, partition }));
          if (messages.length) await producer.send({ topic, acks: -1, messages });
        }
        await sleep(Math.max(0, t0 + ((i + RATE / 10) / RATE) * 1000 - Date.now()));
      }
    })();
    const killHolder = async () => {
      const { w, shards } = await workerHoldingShards({ svc, spec: await svc.spec(name), workers });
      console.log(`[chaos] ${SHARDED_JOIN_SCENARIO}: SIGKILL of worker ${w.pid}, which runs ${shards} shards`);
      await workers.kill(w);
      faultEnds.push(Date.now());
      workers.start();
    };
    await sleep(3000);
    await killHolder();
    await sleep(2000);
    const before = await svc.status(name);
    await svc.update(name, specFrom({ ...spec, parallelism: 3 }));
    const changed = await svc.waitFor(name, (s) => s.specVersion === before.specVersion + 1 && s.status === 'RUNNING' && (s.parallelismChange?.stoppedMs ?? 0) > 0, 180_000);
    const c = changed.parallelismChange!;
    console.log(`[chaos] ${SHARDED_JOIN_SCENARIO}: parallelism ${c.from} -> ${c.to}: stopped ${(c.stoppedMs / 1000).toFixed(1)} s, ${c.keys} keys and ${c.joinEvents} join events moved${c.refused ? `; REFUSED: ${c.refused}` : ''}`);
    faultEnds.push(Date.now());
    await sleep(3000);
    await killHolder();
    await sending;

    const total = d.messages.length;
    const done = await svc.waitFor(name, (s) => (s.sink.read ?? 0) >= total, 300_000).catch(() => svc.status(name));
    await sleep(1500);
    sampling = false;
    const samples = await sampler;
    const final = await svc.status(name);
    const rows = await scalar(ch, `SELECT count() FROM ${table}`);
    const distinct = await scalar(ch, `SELECT uniqExact(event_id) FROM ${table}`);
    const wrong = await scalar(ch, `SELECT countIf(payment_id != concat('pay', substring(event_id, 2))) FROM ${table}`);
    const shards = final.shards ?? [];
    console.log(`[chaos] ${SHARDED_JOIN_SCENARIO}: per shard read/matched/waiting/side/duplicates/dlq ${shards.map((x) => `${x.read}/${x.matched}/${x.waiting}/${x.side}/${x.duplicates}/${x.dlq}`).join('  ')}; rows with another's payment: ${wrong}`);
    await svc.delete(name);
    const stages = await svc.describeStages(name).catch(() => []);
    const row: ChaosRow = {
      scenario: `${SHARDED_JOIN_SCENARIO} (purchases ⋈ payments, parallelism 4 → 3 on 2 workers; the worker with the most shards SIGKILLed before and after the change)`,
      events: total, expected: d.paid, rows, missing: Math.max(0, d.paid - distinct), doubled: rows - distinct,
      dlq: done.sink.dlq ?? 0, dlqExpected: d.malformed, recoveryS: worstRecoverySeconds(samples, faultEnds),
      reconciles: final.sink.read === total && final.sink.duplicates === d.copies && shards.length === 3 && shards.every(joinReconciles) && wrong === 0 && !c.refused,
      leaks: stages.length, pass: false,
    };
    row.pass = rows === d.paid && row.missing === 0 && row.doubled === 0 && row.dlq === d.malformed && row.reconciles && row.leaks === 0;
    return row;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await workers.stopAll();
    await ch.close();
    await svc.close();
  }
}
