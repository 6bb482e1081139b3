// Dead-letter operations run by the pipeline workflow (so the API never writes to Kafka itself).
import { ApplicationFailure } from '@temporalio/common';
import type { PipelineSpec } from '../core/spec/schema';
import type { DlqEntry } from '../core/sinkState';
import { streamsOf } from '../core/names';
import { kafkaFor, natsConnection } from '../runtime/connections';

/** Sends the chosen DLQ entries' original values back to their source topic and removes them from the DLQ. */
export async function replayDlq(spec: PipelineSpec, ids: number[]): Promise<number> {
  const jsm = await (await natsConnection()).jetstreamManager();
  const stream = streamsOf(spec.name).dlq;
  const entries: Array<{ seq: number; entry: DlqEntry }> = [];
  for (const seq of ids) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    if (!m) throw ApplicationFailure.nonRetryable(`ids: no DLQ entry ${seq} in pipeline "${spec.name}"`, 'NotFound');
    entries.push({ seq, entry: m.json<DlqEntry>() });
  }
  const bySource = new Map<number, typeof entries>();
  for (const e of entries) {
    const i = spec.sources.findIndex((s) => s.name === e.entry.source);
    if (i < 0) throw ApplicationFailure.nonRetryable(`ids: DLQ entry ${e.seq} comes from source "${e.entry.source}", which the spec no longer has`, 'NotFound');
    bySource.set(i, [...(bySource.get(i) ?? []), e]);
  }
  for (const [i, list] of bySource) {
    const producer = kafkaFor(spec, i).producer();
    await producer.connect();
    try {
      await producer.send({ topic: spec.sources[i].kafka.topic, acks: -1, messages: list.map((e) => ({ value: e.entry.value })) });
    } finally {
      await producer.disconnect();
    }
  }
  // removed only after Kafka has the values again: a crash in between replays an entry twice at worst,
  // and the replayed copy then meets the dedup window like any other repeat
  for (const e of entries) await jsm.streams.deleteMessage(stream, e.seq, false);
  return entries.length;
}

export async function purgeDlq(spec: PipelineSpec): Promise<number> {
  const jsm = await (await natsConnection()).jetstreamManager();
  const r = await jsm.streams.purge(streamsOf(spec.name).dlq);
  return r.purged;
}
