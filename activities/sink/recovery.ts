// The sink's start: rebuild the state from the journal (and a join's newest snapshot), take the
// table over from every earlier writer, and settle the one batch that may lack its rows.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type StreamInfo } from 'nats';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PipelineSpec } from '../../core/spec/schema';
import type { ShardNames } from '../../core/names';
import type { SinkState, JournalEntry } from '../../core/sinkState';
import type { JournalCompactor } from '../../core/journalCompactor';
import { batchIdOf } from '../../core/incarnation';
import { takeOver, openFence } from '../writerFence';
import type { JoinSnapshots } from '../joinSnapshots';
import type { DedupSnapshots } from '../dedupSnapshots';
import { rowsOfBatch } from './clickhouseWriter';

const dec = new TextDecoder();

export interface Recovered {
  /** the journal's last sequence in the snapshot replayed: the expected last sequence of the next append */
  journalSeq: number;
  /** the batch the join snapshot restored covers (0: none) */
  snapshotBatch: number;
  /** this writer's fence input: the only table it inserts into */
  insertInto: string;
}

/**
 * Journal entries up to `lastSeq`, in order, with their sequences. A fetch that brings nothing is
 * not the end: it also happens when this process's event loop was blocked while the fetch was
 * out (its timer fires before the answer is read), and ending the replay there would lose the
 * entries after it. A fresh consumer from the next sequence says how many messages are left.
 */
export async function* entriesUpTo(js: JetStreamClient, journal: string, info: StreamInfo): AsyncGenerator<{ seq: number; entry: JournalEntry }> {
  const lastSeq = info.state.last_seq;
  if (info.state.messages === 0) return;
  for (let from = info.state.first_seq; from <= lastSeq;) {
    const consumer = await js.consumers.get(journal, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
    try {
      if ((await consumer.info()).num_pending === 0) return; // the entries up to lastSeq that are left were deleted
      for (let got = 1; got > 0;) {
        got = 0;
        for await (const m of await consumer.fetch({ max_messages: 256, expires: 2000 })) {
          if (m.seq > lastSeq) return; // appended after the snapshot this recovery works from
          got++;
          from = m.seq + 1;
          yield { seq: m.seq, entry: JSON.parse(dec.decode(m.data)) as JournalEntry };
          if (m.seq >= lastSeq) return;
        }
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }
}

/**
 * Replays the journal as it was in `info` (from the newest join and dedup snapshots on: entries
 * up to a snapshot's batch replay only what it does not cover), drops every fence of the pipeline's shard (from
 * then on no earlier writer of the shard can insert), then keeps or deletes the last entry by the rows ClickHouse holds
 * of it, and opens this writer's own fence.
 */
export async function recover(state: SinkState, compactor: JournalCompactor, spec: PipelineSpec, sh: ShardNames, jsm: JetStreamManager, js: JetStreamClient,
  ch: ClickHouseClient, snapshots: { join?: JoinSnapshots; dedup?: DedupSnapshots }, info: StreamInfo, turned: () => void): Promise<Recovered> {
  const snap = await snapshots.join?.latest();
  if (snap) state.join!.restore(snap.snapshot);
  const snapshotBatch = snap?.batch ?? 0;
  // the newest dedup snapshot: entries up to its batch replay no keys
  const keysFrom = (await snapshots.dedup?.restore(state)) ?? 0;
  turned();
  const apply = (entry: JournalEntry) => state.apply(entry, entry.batch > snapshotBatch, entry.batch > keysFrom);
  let previous: { seq: number; entry: JournalEntry } | undefined;
  for await (const e of entriesUpTo(js, sh.journal, info)) {
    if (previous) { apply(previous.entry); compactor.add(previous.seq, previous.entry); }
    previous = e;
    turned(); // a long replay is work, not a stall
  }
  const dropped = await takeOver(ch, spec, sh.fence);
  turned();
  if (previous) {
    const last = previous.entry;
    const have = last.rows === 0 ? 0 : await rowsOfBatch(ch, spec, batchIdOf(state.incarnation, last.batch));
    if (have === last.rows) {
      apply(last);
      compactor.add(previous.seq, last);
    } else if (have === 0) {
      Context.current().log.warn('last sink batch was not inserted; processing it again', { pipeline: spec.name, shard: sh.shard, batch: last.batch });
      await jsm.streams.deleteMessage(sh.journal, previous.seq, false);
    } else {
      throw ApplicationFailure.nonRetryable(
        `sink: batch ${last.batch} has ${have} rows in ClickHouse but the journal says ${last.rows}; refusing to guess`, 'SinkInconsistent');
    }
  }
  state.evictAll();
  const insertInto = await openFence(ch, spec, sh.fence);
  Context.current().log.info('sink took over the table', { pipeline: spec.name, shard: sh.shard, fencesDropped: dropped.length });
  return { journalSeq: info.state.last_seq, snapshotBatch, insertInto };
}
