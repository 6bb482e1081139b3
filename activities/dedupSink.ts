// The dedup + sink stage, fused: JetStream raw batches -> SinkState -> ClickHouse.
//
// Commit protocol for batch b (see README "Delivery guarantees"):
//   1. DLQ entries of the batch are published (JetStream msg ids make a repeat a no-op);
//   2. the journal entry of b (new keys, counters, Kafka high-water marks, last raw sequence)
//      is published with an expected last sequence, so a second writer is fenced out;
//   3. the rows are inserted in one INSERT, each carrying _sluice_batch = b.
// Recovery replays the journal. Only its last entry can lack rows in ClickHouse; the sink
// counts `_sluice_batch = b`: all rows there -> b is kept; none -> the entry is deleted and
// the raw batches after the previous entry are processed again. So a batch inserted just
// before a crash is never inserted again, and one that was not is never lost.
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type StreamInfo } from 'nats';
import { ClickHouseError, type ClickHouseClient } from '@clickhouse/client';
import type { PipelineSpec } from '../core/spec/schema';
import { streamsOf } from '../core/names';
import { parseDuration } from '../core/duration';
import { decodeRawBatch } from '../core/envelope';
import { SinkState, type JournalEntry, type TakenBatch } from '../core/sinkState';
import { findRejected } from '../core/bisect';
import { JournalCompactor } from '../core/journalCompactor';
import { BATCH_COLUMN } from '../core/spec/columns';
import { tableRef, probeTableSql, probeTableRef } from '../core/ddl';
import { clickhouseFor, kafkaFor, natsConnection } from './connections';
import { ProgressReporter } from './progress';
import { faultPoint, faultRows } from './faultPoints';
import { takeOver, openFence } from './writerFence';
import { insertSettings } from './clickhouseServer';
import { batchIdOf, incarnationFromMetadata } from '../core/incarnation';
import { settings } from '../core/settings';
import { JoinSnapshots } from './joinSnapshots';
import { DedupSnapshots } from './dedupSnapshots'; // issue 18
import { spillFor } from './dedupSpill'; // issue 18
import { batchRows, dlqEvents, endToEndSeconds, insertSeconds, rawPending } from './metrics';

/** how long a starting sink waits for its first heartbeat's answer before it takes the table over */
const STALE_ATTEMPT_CHECK_MS = 1_000;
/** raw messages (of up to 500 events each) buffered ahead of processing */
const FETCH_MESSAGES = 64;
const PURGE_EVERY_BATCHES = 20;
/** join inputs per journal entry at most (an entry must stay well under NATS max_payload, 8 MB in our config) */
const JOIN_RECORDS_PER_BATCH = 10_000;
/** arrival-time join windows close by the clock this long after they are due, once the sink has caught up with ingest */
const ARRIVAL_TICK_SLACK_MS = 2_000;

export interface SinkInput {
  spec: PipelineSpec;
  /** stop once everything in the raw stream is committed (used by stop) */
  drain?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

async function rowsOfBatch(ch: ClickHouseClient, spec: PipelineSpec, batch: number): Promise<number> {
  const rs = await ch.query({ query: `SELECT count() AS n FROM ${tableRef(spec)} WHERE ${BATCH_COLUMN} = ${batch}`, format: 'JSONEachRow' });
  const [row] = await rs.json<{ n: string | number }>();
  return Number(row?.n ?? 0);
}

/**
 * Rebuilds state from the journal (and, for a join, from the newest join snapshot: entries up
 * to its batch replay only their dedup keys), takes the table over from every earlier writer
 * and opens this writer's fence. Returns the journal's last sequence of the snapshot it replayed
 * (so an entry another writer appended since makes the next fenced publish fail), the batch the
 * join snapshot covers, and the table reference to insert into.
 */
async function recover(state: SinkState, compactor: JournalCompactor, spec: PipelineSpec, jsm: JetStreamManager, js: JetStreamClient, ch: ClickHouseClient,
  snapshots: JoinSnapshots | undefined, info: StreamInfo, dedupSnapshots: DedupSnapshots | undefined): Promise<{ journalSeq: number; snapshotBatch: number; insertInto: string }> {
  const s = streamsOf(spec.name);
  const snap = await snapshots?.latest();
  if (snap) state.join!.restore(snap.snapshot);
  const snapshotBatch = snap?.batch ?? 0;
  // issue 18: the newest dedup snapshot; entries up to its batch replay no keys
  const keysFrom = (await dedupSnapshots?.restore(state)) ?? 0;
  const apply = (entry: JournalEntry) => state.apply(entry, entry.batch > snapshotBatch, entry.batch > keysFrom);
  const journalSeq = info.state.last_seq;
  let previous: { seq: number; entry: JournalEntry } | undefined;
  if (info.state.messages > 0) {
    const consumer = await js.consumers.get(s.journal, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: info.state.first_seq });
    while (!previous || previous.seq < journalSeq) {
      const batch = await consumer.fetch({ max_messages: 256, expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        if (m.seq > journalSeq) break; // appended after the snapshot this recovery works from
        got++;
        if (previous) { apply(previous.entry); compactor.add(previous.seq, previous.entry); }
        previous = { seq: m.seq, entry: JSON.parse(dec.decode(m.data)) as JournalEntry };
        if (m.seq >= journalSeq) break;
      }
      if (got === 0) break;
    }
    await consumer.delete().catch(() => undefined);
  }
  // From here on no earlier writer can insert: what ClickHouse holds of the last batch is final.
  const dropped = await takeOver(ch, spec);
  if (previous) {
    const last = previous.entry;
    const have = last.rows === 0 ? 0 : await rowsOfBatch(ch, spec, batchIdOf(state.incarnation, last.batch));
    if (have === last.rows) {
      apply(last);
      compactor.add(previous.seq, last);
    } else if (have === 0) {
      Context.current().log.warn('last sink batch was not inserted; processing it again', { pipeline: spec.name, batch: last.batch });
      await jsm.streams.deleteMessage(s.journal, previous.seq, false);
    } else {
      throw ApplicationFailure.nonRetryable(
        `sink: batch ${last.batch} has ${have} rows in ClickHouse but the journal says ${last.rows}; refusing to guess`, 'SinkInconsistent');
    }
  }
  state.evictAll();
  const insertInto = await openFence(ch, spec);
  Context.current().log.info('sink took over the table', { pipeline: spec.name, fencesDropped: dropped.length });
  return { journalSeq, snapshotBatch, insertInto };
}

/** Every (source index, partition) of the joined topics, so join windows wait for each partition; best effort (a partition also counts from its first event). */
async function partitionsOf(spec: PipelineSpec): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < spec.sources.length; i++) {
    const admin = kafkaFor(spec, i).admin();
    try {
      const meta = await Promise.race([
        admin.connect().then(() => admin.fetchTopicMetadata({ topics: [spec.sources[i].kafka.topic] })),
        sleep(5_000).then(() => { throw new Error('timed out'); }),
      ]);
      for (const p of meta.topics[0]?.partitions ?? []) out.push([i, p.partitionId]);
    } catch (e) {
      Context.current().log.warn('could not list the partitions of a joined topic; each counts from its first event', { source: spec.sources[i].name, error: (e as Error).message });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  return out;
}

/** This writer was fenced out: a newer sink attempt dropped its fence. Retried like any failure (the attempt is stale). */
class FencedOut extends Error {}

/** An error ClickHouse itself answered with (as opposed to no answer at all); old servers' messages are not parsed into ClickHouseError. */
const isServerError = (e: unknown) => e instanceof ClickHouseError || (e instanceof Error && /^Code: \d+/.test(e.message));

/** ClickHouse's UNKNOWN_TABLE (code 60), as current servers (a parsed ClickHouseError) and 18.16 (a message) say it. */
const isUnknownTable = (e: unknown) => (e instanceof ClickHouseError && e.code === '60') || (e instanceof Error && /^Code: 60\b/.test(e.message));

/** Tries rows against a Null-engine copy of the sink table: ClickHouse parses and converts them, then discards them. */
function probeInsert(ch: ClickHouseClient, spec: PipelineSpec) {
  let created = false;
  return async (rows: unknown[]): Promise<string | undefined> => {
    if (!created) { await ch.command({ query: probeTableSql(spec) }); created = true; }
    try {
      await ch.insert({ table: probeTableRef(spec), values: rows, format: 'JSONEachRow' });
      return undefined;
    } catch (e) {
      if (isServerError(e)) return (e as Error).message;
      throw e;
    }
  };
}

export async function dedupSink({ spec, drain = false }: SinkInput): Promise<void> {
  const ctx = Context.current();
  const nc = await natsConnection();
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const s = streamsOf(spec.name);
  const ch = clickhouseFor(spec);
  const journalInfo = await jsm.streams.info(s.journal);
  const spill = spillFor(spec); // issue 18: keys past the worker's memory cap go to LMDB
  const state = new SinkState(spec, { joinSnapshotMinInputs: settings.joinSnapshotMinInputs, incarnation: incarnationFromMetadata(journalInfo.config.metadata), dedupSpill: spill.options, dedupSnapshotEveryKeys: settings.dedupSnapshotEveryKeys });
  const compactor = new JournalCompactor(state.windowsMs());
  const { maxRows } = spec.sink.batch;
  const maxDelay = parseDuration(spec.sink.batch.maxDelay)!;
  const progress = new ProgressReporter(spec.name, 'sink', undefined);
  const report = () => {
    const { join, ...counters } = state.counters;
    progress.update({ ...counters, ...join, ...(state.join ? { joinHeld: state.join.stats().held } : {}), batches: state.batch, keysHeld: state.heldKeys() });
  };

  try {
    // A task handed to this worker while it was frozen may be one Temporal has already timed out:
    // its first heartbeat is answered with a cancellation. Such an attempt must not take the table
    // over from the live writer (it would only cost that writer a restart).
    ctx.heartbeat();
    await Promise.race([sleep(STALE_ATTEMPT_CHECK_MS), ctx.cancelled.catch(() => undefined)]);
    if (ctx.cancellationSignal.aborted) return;
    const snapshots = state.join ? await JoinSnapshots.open(js, spec) : undefined;
    const dedupSnapshots = await DedupSnapshots.open(js, spec); // issue 18
    let { journalSeq, snapshotBatch, insertInto } = await recover(state, compactor, spec, jsm, js, ch, snapshots, journalInfo, dedupSnapshots);
    const insertSettingsOfServer = await insertSettings(ch);
    report();
    ctx.log.info('sink recovered', { pipeline: spec.name, batch: state.batch, rawSeq: state.rawSeq, keys: state.heldKeys(), join: state.join?.stats(), snapshotBatch, dedupSnapshotBatch: dedupSnapshots?.batch ?? 0 }); // issue 18: dedupSnapshotBatch

    // Batches are written one after another (journal order), while the next one fills.
    let writes: Promise<void> = Promise.resolve();
    let writeError: unknown;
    const publishBatch = async ({ entry, dlq }: TakenBatch) => {
      await Promise.all(dlq.map((d) => js.publish(s.dlqSubject, enc.encode(JSON.stringify(d)), { msgID: `${d.topic}:${d.partition}:${d.offset}` })));
      for (const d of dlq) dlqEvents.inc({ pipeline: spec.name, source: d.source, reason: d.reason });
      // issue 18: entryToPublish adds rows rejected in an earlier batch after this one was taken
      const ack = await js.publish(s.journalSubject, enc.encode(JSON.stringify(state.entryToPublish(entry))), { expect: { lastSequence: journalSeq } });
      journalSeq = ack.seq;
      compactor.add(ack.seq, entry);
    };
    const labels = { pipeline: spec.name };
    const insert = async (b: TakenBatch) => {
      if (!b.rows.length) return;
      const end = insertSeconds.startTimer(labels);
      try {
        // through this writer's fence only (core/fence.ts); a mid-insert fault point streams the rows to freeze halfway
        await ch.insert({ table: insertInto, values: faultRows('mid-insert', b.rows), format: 'JSONEachRow', clickhouse_settings: insertSettingsOfServer });
      } catch (e) {
        if (isUnknownTable(e)) {
          throw new FencedOut(`sink: this writer's fence ${insertInto} is gone: another sink attempt took the table over (${(e as Error).message})`);
        }
        throw e;
      }
      end();
      batchRows.observe(labels, b.rows.length);
      endToEndSeconds.observe(labels, (Date.now() - b.origins[0].at) / 1000); // the batch's first row arrived first
    };
    const write = async (b: TakenBatch) => {
      await publishBatch(b);
      faultPoint('after-journal'); // crash window: journal says batch b, ClickHouse has none of it
      const { entry } = b;
      try {
        await insert(b);
      } catch (e) {
        // rows ClickHouse refuses go to the DLQ with its message; anything else (server down, fenced out) is retried
        if (!isServerError(e)) throw e;
        const rejected = await findRejected(b.rows, probeInsert(ch, spec));
        if (rejected.size === 0) throw e;
        ctx.log.warn('ClickHouse rejected rows; sending them to the DLQ', { pipeline: spec.name, batch: entry.batch, rows: rejected.size, error: (e as Error).message });
        const amended = state.rejectRows(b, rejected, Date.now());
        await publishBatch(amended);
        await insert(amended);
      }
      faultPoint('after-insert'); // crash window: rows in ClickHouse, nothing acknowledged or reported
      if (b.snapshot && snapshots) {
        await snapshots.write(entry.batch, b.snapshot);
        snapshotBatch = entry.batch;
      }
      // issue 18: the dedup state after this batch, when one was taken and is still valid
      const dedupSnap = state.dedupSnapshotToWrite(b);
      if (dedupSnap && dedupSnapshots) await dedupSnapshots.write(dedupSnap);
      report();
      void jsm.streams.info(s.raw).then((i) => rawPending.set(labels, Math.max(0, i.state.last_seq - entry.rawSeq)), () => undefined);
      if (entry.batch % PURGE_EVERY_BATCHES === 0) {
        // raw batches up to the committed position, and journal entries whose keys have all expired
        try {
          await jsm.streams.purge(s.raw, { seq: entry.rawSeq + 1 });
          const keepFrom = compactor.purgeBelow(state.watermarks(), state.join ? snapshotBatch : undefined, dedupSnapshots?.batch); // issue 18: keys before the dedup snapshot
          if (keepFrom !== undefined) await jsm.streams.purge(s.journal, { seq: keepFrom });
        } catch (e) {
          ctx.log.warn('purging committed raw batches / expired journal entries failed; will retry', { error: (e as Error).message });
        }
      }
    };
    const flush = (): Promise<void> => {
      if (state.hasPending) {
        const b = state.takeBatch(Date.now());
        writes = writes.then(() => write(b)).catch((e) => { writeError ??= e; messages.stop(); });
      }
      return writes;
    };

    const consumer = await js.consumers.get(s.raw, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: state.rawSeq + 1,
    });
    const messages = await consumer.consume({ max_messages: FETCH_MESSAGES });
    let firstPendingAt = 0;
    const stopReading = () => messages.stop();
    ctx.cancellationSignal.addEventListener('abort', stopReading);
    // joins: close arrival-time windows due by the clock, or declare silent event-time partitions
    // idle, but only when every raw batch ingest published has been processed (a backlog after a
    // restart must not see its windows closed early)
    if (state.join) state.join.openLanes(await partitionsOf(spec));
    let tickCheck = false;
    const clockWork = (): number | undefined => {
      const j = state.join;
      if (!j) return undefined;
      if (j.plan.time === 'event') return j.idleCandidates(Date.now()).length ? Date.now() : undefined;
      const due = j.tickDueAt();
      const now = Date.now() - ARRIVAL_TICK_SLACK_MS;
      return due !== undefined && due <= now ? now : undefined;
    };
    const maybeTick = () => {
      const now = tickCheck ? undefined : clockWork();
      if (now === undefined) return;
      tickCheck = true;
      void jsm.streams.info(s.raw).then((info) => {
        if (state.processedSeq < info.state.last_seq) return;
        if (!state.hasPending) firstPendingAt = Date.now();
        state.tick(now);
      }, () => undefined).finally(() => { tickCheck = false; });
    };
    const timer = setInterval(() => {
      maybeTick();
      if (state.hasPending && Date.now() - firstPendingAt >= maxDelay) void flush();
      else if (drain && !state.hasPending) {
        void writes.then(() => jsm.streams.info(s.raw)).then((info) => { if (state.rawSeq >= info.state.last_seq && !state.hasPending) messages.stop(); });
      }
    }, Math.max(10, Math.min(100, maxDelay / 4)));
    try {
      for await (const m of messages) {
        if (!state.hasPending) firstPendingAt = Date.now();
        state.process(m.seq, decodeRawBatch(m.data));
        if (state.pendingRows >= maxRows || (state.join?.pendingRecords ?? 0) >= JOIN_RECORDS_PER_BATCH) await flush();
        if (writeError) break;
      }
    } finally {
      clearInterval(timer);
      ctx.cancellationSignal.removeEventListener('abort', stopReading);
    }
    if (!writeError) await flush();
    if (writeError) throw writeError;
  } finally {
    await progress.stop();
    await ch.close();
    spill.close(); // issue 18
  }
  if (ctx.cancellationSignal.aborted) await ctx.cancelled;
}
