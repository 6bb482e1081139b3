// The commit of one batch — the product's promise, in three steps (README "Delivery"):
//   1. its DLQ entries are published (JetStream msg ids from Kafka coordinates make a repeat a no-op);
//   2. its journal entry (new keys, counters, Kafka high-water marks, last raw sequence) is appended
//      with an expected last sequence, so a second writer is refused;
//   3. its rows are inserted in one INSERT through this writer's fence, each carrying its batch id.
// Rows ClickHouse refuses go to the DLQ with the server's message (the entry is amended first).
// Then, now and then, what is committed is purged from the raw stream and the journal.
import { Context } from '@temporalio/activity';
import type { JetStreamClient, JetStreamManager } from 'nats';
import type { PipelineSpec } from '../../core/spec/schema';
import { streamsOf, type ShardNames } from '../../core/names';
import type { SinkState, TakenBatch } from '../../core/sinkState';
import type { JournalCompactor } from '../../core/journalCompactor';
import { batchIdOf } from '../../core/incarnation';
import { batchRows, dlqEvents, endToEndSeconds, insertSeconds, rawPending } from '../../runtime/metrics';
import { faultPoint } from '../faultPoints';
import type { JoinSnapshots } from '../joinSnapshots';
import type { DedupSnapshots } from '../dedupSnapshots';
import { isServerError, type ClickHouseWriter } from './clickhouseWriter';
import { purgeRaw } from './rawStream';

const PURGE_EVERY_BATCHES = 20;
const enc = new TextEncoder();

export class BatchCommitter {
  private readonly streams: ReturnType<typeof streamsOf>;
  private readonly labels: { pipeline: string };

  constructor(private readonly spec: PipelineSpec, private readonly shard: ShardNames, private readonly state: SinkState, private readonly compactor: JournalCompactor,
    private readonly js: JetStreamClient, private readonly jsm: JetStreamManager, private readonly writer: ClickHouseWriter,
    private readonly snapshots: { join?: JoinSnapshots; dedup?: DedupSnapshots },
    /** the journal's last sequence: the expected last sequence of the next append */
    private journalSeq: number,
    /** the batch the newest join snapshot covers */
    private snapshotBatch: number,
    private readonly committed: () => void) {
    this.streams = streamsOf(spec.name);
    this.labels = { pipeline: spec.name };
  }

  async commit(b: TakenBatch): Promise<void> {
    await this.journal(b);
    await faultPoint('after-journal'); // crash window: journal says batch b, ClickHouse has none of it
    await this.insertOrDeadLetter(b);
    await faultPoint('after-insert'); // crash window: rows in ClickHouse, nothing acknowledged or reported
    if (b.snapshot && this.snapshots.join) {
      await this.snapshots.join.write(b.entry.batch, b.snapshot);
      this.snapshotBatch = b.entry.batch;
    }
    // the dedup state after this batch, when one was taken and is still valid (the batch as taken, after any rejection)
    const dedupSnap = this.state.dedupSnapshotToWrite(b);
    if (dedupSnap && this.snapshots.dedup) await this.snapshots.dedup.write(dedupSnap);
    this.committed();
    // per pipeline: with shards, each would overwrite the others' figure
    if (this.shard.count === 1) void this.jsm.streams.info(this.streams.raw).then((i) => rawPending.set(this.labels, Math.max(0, i.state.last_seq - b.entry.rawSeq)), () => undefined);
    if (b.entry.batch % PURGE_EVERY_BATCHES === 0) await this.purge(b.entry.rawSeq);
  }

  /** Steps 1 and 2: DLQ entries, then the fenced journal append. */
  private async journal({ entry, dlq }: TakenBatch): Promise<void> {
    const s = this.streams;
    await Promise.all(dlq.map((d) => this.js.publish(s.dlqSubject, enc.encode(JSON.stringify(d)), { msgID: `${d.topic}:${d.partition}:${d.offset}` })));
    for (const d of dlq) dlqEvents.inc({ pipeline: this.spec.name, source: d.source, reason: d.reason });
    // entryToPublish adds the rows rejected in an earlier batch after this one was taken
    const ack = await this.js.publish(this.shard.journalSubject, enc.encode(JSON.stringify(this.state.entryToPublish(entry))), { expect: { lastSequence: this.journalSeq } });
    this.journalSeq = ack.seq;
    this.compactor.add(ack.seq, entry);
  }

  /** Step 3; rows ClickHouse refuses become DLQ entries of an amended batch; anything else (server down, fenced out) is retried by the caller. */
  private async insertOrDeadLetter(b: TakenBatch): Promise<void> {
    try {
      await this.insert(b);
    } catch (e) {
      if (!isServerError(e)) throw e;
      const rejected = await this.writer.rejected(b.rows);
      if (rejected.size === 0) throw e;
      Context.current().log.warn('ClickHouse rejected rows; sending them to the DLQ', { pipeline: this.spec.name, batch: b.entry.batch, rows: rejected.size, error: (e as Error).message });
      const amended = this.state.rejectRows(b, rejected, Date.now());
      await this.journal(amended);
      await this.insert(amended);
    }
  }

  private async insert(b: TakenBatch): Promise<void> {
    if (!b.rows.count) return;
    const end = insertSeconds.startTimer(this.labels);
    await this.writer.insert(b.rows, batchIdOf(this.state.incarnation, b.entry.batch));
    end();
    batchRows.observe(this.labels, b.rows.count);
    endToEndSeconds.observe(this.labels, (Date.now() - b.origins.arrivalOf(0)) / 1000); // the batch's first row arrived first
  }

  /** Raw batches up to the committed position, and journal entries whose keys have all expired. */
  private async purge(rawSeq: number): Promise<void> {
    try {
      await purgeRaw(this.jsm, this.streams.raw, this.shard, rawSeq);
      const keepFrom = this.compactor.purgeBelow(this.state.watermarks(), this.state.join ? this.snapshotBatch : undefined, this.snapshots.dedup?.batch);
      if (keepFrom !== undefined) await this.jsm.streams.purge(this.shard.journal, { seq: keepFrom });
    } catch (e) {
      Context.current().log.warn('purging committed raw batches / expired journal entries failed; will retry', { error: (e as Error).message });
    }
  }
}
