// A shard's part of the pipeline's raw stream: the messages of its subjects (core/names.ts
// shardOf). An unsharded pipeline's part is the whole stream, read as it always was.
import type { JetStreamManager } from 'nats';
import type { ShardNames } from '../../core/names';

/** The stream sequence of the shard's newest raw message (0: none is left). */
export async function lastRawSeq(jsm: JetStreamManager, stream: string, sh: ShardNames): Promise<number> {
  if (sh.count === 1) return (await jsm.streams.info(stream)).state.last_seq;
  try {
    return (await jsm.streams.getMessage(stream, { last_by_subj: sh.rawFilter })).seq;
  } catch (e) {
    if (/no message found/i.test((e as Error).message)) return 0;
    throw e;
  }
}

/** Removes the shard's raw messages up to `rawSeq` (committed), and no other shard's. */
export async function purgeRaw(jsm: JetStreamManager, stream: string, sh: ShardNames, rawSeq: number): Promise<void> {
  await jsm.streams.purge(stream, sh.count === 1 ? { seq: rawSeq + 1 } : { filter: sh.rawFilter, seq: rawSeq + 1 });
}
