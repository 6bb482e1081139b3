// A shard's part of the pipeline's raw stream: the messages of its subjects (core/names.ts
// shardOf).
import type { JetStreamManager } from 'nats';
import type { ShardNames } from '../../core/names';

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
