// The ingest stage: Kafka consumers per source (one per shard, at most one per partition, in one
// consumer group), republishing records to JetStream in batches on the raw subject of each
// record's shard (core/shards.ts). Kafka offsets are committed only after JetStream has acknowledged every batch
// (at-least-once into JetStream; the sink drops repeats by Kafka offset, so exactly-once after).
import { Context } from '@temporalio/activity';
import type { PipelineSpec } from '../core/spec/schema';
import { shardsOf, consumerGroupOf } from '../core/names';
import { progressEveryMs, shardRouter } from '../core/shards';
import { chunk, encodeRawRecords, RECORDS_PER_MESSAGE } from '../core/envelope';
import { settings } from '../runtime/settings';
import { kafkaFor, natsConnection } from '../runtime/connections';
import { publishAcked } from '../runtime/jetstreamPublish';
import { ProgressReporter, cancelled } from './progress';
import { kafkaLag } from '../runtime/metrics';

/** A Kafka batch's records per shard, each in offset order (one shard: the batch as it is). */
function byShard<T>(messages: T[], count: number, route: (m: T) => number): T[][] {
  if (count === 1) return [messages];
  const out = Array.from({ length: count }, (): T[] => []);
  for (const m of messages) out[route(m)].push(m);
  return out;
}

export interface IngestInput {
  spec: PipelineSpec;
  source: number;
  /** which member of the source's consumer group this is, when it has several (spec parallelism > 1) */
  member?: number;
  /** the counters the previous run of this stage reported: they continue from there */
  counters?: Record<string, number>;
}

export async function ingest({ spec, source, member, counters }: IngestInput): Promise<void> {
  const ctx = Context.current();
  const src = spec.sources[source];
  const nc = await natsConnection();
  const js = nc.jetstream();
  // each record goes to the raw subject of its shard (core/shards.ts); one shard: the subject of before sharding
  const shards = shardsOf(spec.name, spec.parallelism);
  const router = shardRouter(spec, settings.maxEventBytes);
  const groupId = consumerGroupOf(spec.name, src.name, src.kafka.groupId);
  const consumer = kafkaFor(spec, source).consumer({
    groupId,
    // a killed worker's partitions move to the next consumer after this long
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxBytesPerPartition: settings.kafkaFetchBytesPerPartition,
    maxWaitTimeInMs: 250,
    retry: { retries: 5, restartOnFailure: async () => false },
  });
  const progress = new ProgressReporter(spec.name, 'ingest', src.name, member === undefined ? {} : { member }, progressEveryMs(spec.parallelism));
  const carried = ProgressReporter.carried(counters);
  let read = carried.read ?? 0;
  let published = carried.published ?? 0;
  const lagByPartition = new Map<number, number>();
  progress.update({ read, published, lag: carried.lag ?? 0 });

  const crashed = new Promise<never>((_, reject) => {
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
  });
  // the consumer's fetch loop turns every maxWaitTimeInMs, also on an idle topic: that is this stage's liveness
  consumer.on(consumer.events.FETCH_START, () => progress.turned());
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: src.kafka.topic, fromBeginning: src.kafka.startFrom === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const arrival = Date.now();
        const outgoing = byShard(batch.messages, router.count, (m) => router.route(source, m.value, batch.partition)).flatMap((messages, shard) =>
          chunk(messages, RECORDS_PER_MESSAGE).map((part) => {
            const { data, msgId } = encodeRawRecords(source, batch.topic, batch.partition, arrival, part, settings.maxEventBytes);
            // per Kafka coordinates: a batch published again (after a crash, a rebalance or a NATS reconnect) is dropped by JetStream;
            // sharded, per shard and parallelism: one routed under another parallelism (a frozen member's) must not make JetStream drop this one
            return { subject: shards[shard].rawSubject(source), data, msgID: router.count === 1 ? msgId : `${shard}/${router.count}/${msgId}` };
          }));
        // published again when NATS reconnects meanwhile; the Kafka heartbeat goes on while the acks are awaited.
        // Stopped or rebalanced meanwhile: no commit (the partition's next owner publishes it again, the same msgIDs)
        if (!(await publishAcked(nc, js, outgoing, { timeoutMs: 30_000, whileWaiting: heartbeat, stop: () => !isRunning() || isStale() }))) return;
        const last = batch.messages[batch.messages.length - 1].offset;
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
        resolveOffset(last);
        read += batch.messages.length;
        const lag = Number(batch.offsetLag());
        lagByPartition.set(batch.partition, lag);
        kafkaLag.set({ pipeline: spec.name, source: src.name, partition: String(batch.partition) }, lag);
        published += outgoing.length;
        progress.update({ read, published, lag: [...lagByPartition.values()].reduce((a, b) => a + b, 0) });
        await heartbeat();
      },
    });
    // the group is joined: whatever a previous attempt reported as failing works now
    await progress.failing(undefined);
    await Promise.race([cancelled(), crashed]);
    ctx.log.info('ingest stopping', { pipeline: spec.name, source: src.name, read });
  } catch (e) {
    // e.g. Kafka refuses the credentials or cannot be reached: the pipeline's status says so (Temporal retries the stage)
    if (!ctx.cancellationSignal.aborted) await progress.failing(`Kafka: ${(e as Error).message}`);
    throw e;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await progress.stop();
  }
  // let Temporal see the cancellation as such
  if (ctx.cancellationSignal.aborted) await ctx.cancelled;
}
