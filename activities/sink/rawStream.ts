// A shard's part of the pipeline's raw stream: the messages of its subjects (core/names.ts
// shardOf).
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from 'nats';
import type { ShardNames } from '../../core/names';

/**
 * Raw messages (of up to 500 events each) a sink holds ahead of processing. The consumer pulls
 * more only as the sink's loop takes them: nats's ordered consumer pulled as soon as messages
 * arrived, so a sink behind a backlog held all of it in memory (1,730 messages, 214 MB, in the
 * bench of a million preloaded events) until patches/nats+2.29.3.patch.
 */
export const RAW_AHEAD_MESSAGES = 64;

/**
 * The shard's raw messages from stream sequence `fromSeq` on, in order: an ordered consumer (it
 * starts again after the last message it delivered when NATS restarts or it loses its consumer).
 */
export async function readRaw(js: JetStreamClient, stream: string, sh: ShardNames, fromSeq: number,
  { expiresMs = 30_000 }: { expiresMs?: number } = {}): Promise<ConsumerMessages> {
  const consumer = await js.consumers.get(stream, { filterSubjects: sh.rawFilters, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: fromSeq });
  // a pull lasts expiresMs (nats's default) and the server's heartbeats come every half of it
  return consumer.consume({ max_messages: RAW_AHEAD_MESSAGES, expires: expiresMs });
}

/** The stream sequence of the shard's newest raw message (0: none is left). */
export async function lastRawSeq(jsm: JetStreamManager, stream: string, sh: ShardNames): Promise<number> {
  let last = 0;
  for (const filter of sh.rawFilters) {
    try {
      last = Math.max(last, (await jsm.streams.getMessage(stream, { last_by_subj: filter })).seq);
    } catch (e) {
      if (!/no message found/i.test((e as Error).message)) throw e;
    }
  }
  return last;
}

/** Removes the shard's raw messages up to `rawSeq` (committed), and no other shard's. */
export async function purgeRaw(jsm: JetStreamManager, stream: string, sh: ShardNames, rawSeq: number): Promise<void> {
  // unsharded: the whole stream (also what a frozen member of another parallelism left on subjects nobody reads)
  if (sh.count === 1) await jsm.streams.purge(stream, { seq: rawSeq + 1 });
  else for (const filter of sh.rawFilters) await jsm.streams.purge(stream, { filter, seq: rawSeq + 1 });
}
