// Kafka helpers of the load generator: a fresh topic, and a producer that holds a target rate.
import { Kafka, logLevel, CompressionTypes, type Producer } from 'kafkajs';
import type { GeneratedEvent } from './purchases';

export const kafkaClient = (brokers: string[]) => new Kafka({ clientId: 'sluice-loadtest', brokers, logLevel: logLevel.NOTHING });

export async function recreateTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) {
      await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
      for (let i = 0; i < 50 && (await admin.listTopics()).includes(topic); i++) await new Promise((r) => setTimeout(r, 200));
    }
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

export interface ProduceResult {
  sent: number;
  /** ms timestamp at which each event was acknowledged, in send order */
  ackedAt: Float64Array;
  seconds: number;
}

/** Sends events at `rate` per second (Infinity: as fast as possible), in ticks of 20 ms. */
export async function produceAtRate(kafka: Kafka, topic: string, events: GeneratedEvent[], rate: number, onTick?: (sent: number) => void): Promise<ProduceResult> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const ackedAt = new Float64Array(events.length);
  const start = Date.now();
  let sent = 0;
  const inFlight: Promise<unknown>[] = [];
  try {
    while (sent < events.length) {
      const due = Number.isFinite(rate) ? Math.min(events.length, Math.floor(((Date.now() - start) / 1000) * rate) + 1) : events.length;
      const n = Math.min(due - sent, 5000);
      if (n <= 0) { await new Promise((r) => setTimeout(r, 20)); continue; }
      const from = sent;
      const part = events.slice(from, from + n);
      sent += n;
      inFlight.push(producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages: part.map((e) => ({ key: e.key, value: e.value })) })
        .then(() => { const t = Date.now(); for (let i = from; i < from + n; i++) ackedAt[i] = t; }));
      if (inFlight.length >= 16) await inFlight.shift();
      onTick?.(sent);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return { sent, ackedAt, seconds: (Date.now() - start) / 1000 };
}
