// Kafka records waiting for each source's ingest: the topic's end offsets minus the consumer
// group's committed offsets, read with Kafka's admin API (read-only). Unlike the figure ingest
// reports, it stays true while the pipeline is paused, its ingest fails, or no worker runs it.
import type { Admin } from 'kafkajs';
import type { PipelineSpec } from '../core/spec/schema';
import { consumerGroupOf } from '../core/names';
import { kafkaFor } from '../runtime/connections';
import { withTimeout } from '../runtime/withTimeout';

const ANSWER_WITHIN_MS = 3000;

async function lagOf(spec: PipelineSpec, i: number): Promise<number | undefined> {
  const src = spec.sources[i];
  let admin: Admin | undefined;
  // what the admin client is doing: it is disconnected only after that settles (a connect that
  // outlived the timeout would otherwise leave its connection open)
  let busy: Promise<unknown> = Promise.resolve();
  const step = <T extends unknown[]>(calls: { [K in keyof T]: Promise<T[K]> }, what: string): Promise<T> => {
    busy = Promise.allSettled(calls);
    return withTimeout(Promise.all(calls) as Promise<T>, ANSWER_WITHIN_MS, what);
  };
  try {
    admin = kafkaFor(spec, i).admin();
    await step([admin.connect()], 'connect');
    const [ends, committed] = await step([
      admin.fetchTopicOffsets(src.kafka.topic),
      admin.fetchOffsets({ groupId: consumerGroupOf(spec.name, src.name, src.kafka.groupId), topics: [src.kafka.topic] }),
    ], 'offsets');
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    let lag = 0;
    for (const p of ends) {
      const at = done.get(p.partition) ?? -1;
      // nothing committed yet: from the start of the topic (earliest), or from the records that come after (latest)
      const from = at >= 0 ? at : src.kafka.startFrom === 'earliest' ? Number(p.low) : Number(p.high);
      lag += Math.max(0, Number(p.high) - from);
    }
    return lag;
  } catch {
    return undefined; // Kafka unreachable from here, or refusing these credentials: not known
  } finally {
    const a = admin;
    void busy.catch(() => undefined).then(() => a?.disconnect()).catch(() => undefined);
  }
}

/** Lag per source name; undefined where it cannot be measured. */
export async function sourceLag(spec: PipelineSpec): Promise<Record<string, number | undefined>> {
  const lags = await Promise.all(spec.sources.map((_, i) => lagOf(spec, i)));
  return Object.fromEntries(spec.sources.map((s, i) => [s.name, lags[i]]));
}
