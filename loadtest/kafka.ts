// Kafka helpers of the load generator: a fresh topic, and a producer that holds a target rate.
import { Kafka, logLevel, CompressionTypes, Partitioners, type Admin, type Producer } from 'kafkajs';
import type { GeneratedEvent } from './seedEvents';
import { scheduleOf, type ExecutorConfig } from './executors';
import { PacedRun, realClock } from './pacer';

export const kafkaClient = (brokers: string[]) => new Kafka({ clientId: 'sluice-loadtest', brokers, logLevel: logLevel.NOTHING });

/** Deletes those of `topics` that exist, and waits (up to 10 s) until the broker no longer lists them. */
async function deleteExisting(admin: Admin, topics: string[]): Promise<void> {
  const listed = async () => { const have = new Set(await admin.listTopics()); return topics.filter((t) => have.has(t)); };
  const existing = await listed();
  if (!existing.length) return;
  await admin.deleteTopics({ topics: existing, timeout: 30_000 });
  for (let i = 0; i < 50 && (await listed()).length; i++) await new Promise((r) => setTimeout(r, 200));
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await deleteExisting(admin, topics);
  } finally {
    await admin.disconnect();
  }
}

export async function recreateTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await deleteExisting(admin, [topic]);
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
        break;
      } catch (e) {
        if (attempt > 20) throw e; // deletion still in progress on the broker
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** How many records a topic holds (high minus low watermark, summed over its partitions). */
export async function recordsHeld(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

export interface OutMessage {
  topic: string;
  key: string | null;
  value: string | null;
  /** default: chosen from the key */
  partition?: number;
}

/** One producer; each call is one request to Kafka (acks from all replicas), whatever the topics. */
export async function kafkaSender(kafka: Kafka): Promise<{ send(batch: OutMessage[]): Promise<void>; close(): Promise<void> }> {
  // the default partitioner, named so kafkajs does not warn about its v2 change
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return {
    async send(batch) {
      const byTopic = new Map<string, Array<{ key: string | null; value: string | null; partition?: number }>>();
      for (const m of batch) {
        let list = byTopic.get(m.topic);
        if (!list) byTopic.set(m.topic, (list = []));
        list.push({ key: m.key, value: m.value, partition: m.partition });
      }
      await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    },
    close: () => producer.disconnect(),
  };
}

export interface ProduceResult {
  sent: number;
  /** ms timestamp at which each event was acknowledged, in send order */
  ackedAt: Float64Array;
  seconds: number;
}

/** Sends events at `rate` per second (Infinity: as fast as possible), on the load test's pacer. */
export async function produceAtRate(kafka: Kafka, topic: string, events: GeneratedEvent[], rate: number): Promise<ProduceResult> {
  const sender = await kafkaSender(kafka);
  const iterations = events.length;
  const executor: ExecutorConfig = Number.isFinite(rate)
    ? { executor: 'constant-arrival-rate', rate, iterations, maxVUs: Math.max(10_000, rate) }
    : { executor: 'shared-iterations', iterations, vus: 80_000 };
  const run = new PacedRun([{ name: 'produce', schedule: scheduleOf('produce', executor), startMs: 0, build: (i) => ({ topic, key: events[i].key, value: events[i].value }) }],
    { clock: realClock, send: sender.send, maxBatch: 5000, maxInFlight: 16, lingerMs: 5, tickMs: 2 });
  try {
    const r = await run.run();
    if (r.errors > 0) throw new Error(`Kafka refused ${r.errors} events: ${r.lastError}`);
    return { sent: r.count, ackedAt: r.ackedAt.subarray(0, r.count), seconds: (Date.now() - r.startedAt) / 1000 };
  } finally {
    await sender.close();
  }
}
