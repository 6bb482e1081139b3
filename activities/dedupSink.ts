// The dedup + sink stage, fused: JetStream raw batches -> SinkState -> ClickHouse. In order:
//   1. a task Temporal already timed out (handed to a frozen worker) exits at once;
//   2. recovery: the state from the journal, the table taken over from every earlier writer (sink/recovery.ts);
//   3. the loop: raw batches into the pending batch, taken by the batch policy (core/batchPolicy.ts)
//      and committed one after another, in journal order, while the next one fills (sink/commit.ts);
//   4. drain (stop): once everything in the raw stream is committed, the stage ends.
// Its heartbeat follows the loop: when a commit hangs for longer than the stall limit, the
// heartbeat stops and Temporal moves the stage to another worker.
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import type { PipelineSpec } from '../core/spec/schema';
import { streamsOf, shardOf } from '../core/names';
import { progressEveryMs } from '../core/shards';
import { parseDuration } from '../core/duration';
import { decodeRawBatch } from '../core/envelope';
import { SinkState } from '../core/sinkState';
import { JournalCompactor } from '../core/journalCompactor';
import { BatchPolicy } from '../core/batchPolicy';
import { incarnationFromMetadata } from '../core/incarnation';
import { clickhouseFor, natsConnection } from '../runtime/connections';
import { settings } from '../runtime/settings';
import { ProgressReporter } from './progress';
import { JoinSnapshots } from './joinSnapshots';
import { DedupSnapshots } from './dedupSnapshots';
import { spillFor } from './dedupSpill';
import { recover } from './sink/recovery';
import { ClickHouseWriter } from './sink/clickhouseWriter';
import { BatchCommitter } from './sink/commit';
import { JoinClock, partitionsOf } from './sink/joinClock';
import { lastRawSeq, readRaw } from './sink/rawStream';

/** how long a starting sink waits for its first heartbeat's answer before it takes the table over */
const STALE_ATTEMPT_CHECK_MS = 1_000;
/** join inputs per journal entry at most (an entry must stay well under NATS max_payload, 8 MB in our config) */
const JOIN_RECORDS_PER_BATCH = 10_000;

export interface SinkInput {
  spec: PipelineSpec;
  /** stop once everything in the raw stream is committed (used by stop) */
  drain?: boolean;
  /** which of the spec's `parallelism` shards this is (default 0) */
  shard?: number;
}

export async function dedupSink({ spec, drain = false, shard = 0 }: SinkInput): Promise<void> {
  const ctx = Context.current();
  const nc = await natsConnection();
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const s = streamsOf(spec.name);
  const sh = shardOf(spec.name, shard, spec.parallelism);
  const ch = clickhouseFor(spec);
  const journalInfo = await jsm.streams.info(sh.journal).catch((e: Error) => {
    // a drain of a shard that was never provisioned (its pipeline failed before): nothing to commit
    if (drain && /stream not found/i.test(e.message)) return undefined;
    throw e;
  });
  if (!journalInfo) return;
  const spill = spillFor(spec, sh.count > 1 ? shard : undefined); // keys past the worker's memory cap go to LMDB (docs/state.md)
  const state = new SinkState(spec, {
    joinSnapshotMinInputs: settings.joinSnapshotMinInputs, incarnation: incarnationFromMetadata(journalInfo.config.metadata),
    dedupSpill: spill.options, dedupSnapshotEveryKeys: settings.dedupSnapshotEveryKeys,
  });
  const compactor = new JournalCompactor(state.windowsMs());
  const policy = new BatchPolicy({ maxRows: spec.sink.batch.maxRows, maxDelayMs: parseDuration(spec.sink.batch.maxDelay)!, maxJoinRecords: JOIN_RECORDS_PER_BATCH });
  const progress = new ProgressReporter(spec.name, 'sink', undefined, sh.count > 1 ? { shard } : {}, progressEveryMs(spec.parallelism));
  const report = () => {
    const { join, ...counters } = state.counters;
    progress.update({ ...counters, ...join, ...(state.join ? { joinHeld: state.join.stats().held } : {}), batches: state.batch, keysHeld: state.heldKeys() });
  };

  try {
    // 1. its first heartbeat is answered with a cancellation: such an attempt must not take the
    // table over from the live writer (it would only cost that writer a restart)
    ctx.heartbeat();
    await Promise.race([sleep(STALE_ATTEMPT_CHECK_MS), ctx.cancelled.catch(() => undefined)]);
    if (ctx.cancellationSignal.aborted) return;

    // 2.
    const snapshots = state.join ? await JoinSnapshots.open(js, spec, sh.snapshotPrefix) : undefined;
    const dedupSnapshots = await DedupSnapshots.open(js, spec, sh.snapshotPrefix);
    const { journalSeq, snapshotBatch, insertInto } = await recover(state, compactor, spec, sh, jsm, js, ch, { join: snapshots, dedup: dedupSnapshots }, journalInfo, () => progress.turned());
    const writer = await ClickHouseWriter.open(ch, spec, insertInto);
    const committer = new BatchCommitter(spec, sh, state, compactor, js, jsm, writer, { join: snapshots, dedup: dedupSnapshots }, journalSeq, snapshotBatch, report);
    report();
    ctx.log.info('sink recovered', { pipeline: spec.name, shard, pid: process.pid, batch: state.batch, rawSeq: state.rawSeq, keys: state.heldKeys(), join: state.join?.stats(), snapshotBatch, dedupSnapshotBatch: dedupSnapshots?.batch ?? 0 });

    // 3.
    let writes: Promise<void> = Promise.resolve();
    let writeError: unknown;
    /** when the commit now running began (undefined: none runs) */
    let committingSince: number | undefined;
    const flush = (): Promise<void> => {
      if (state.hasPending && !writeError) {
        const b = state.takeBatch(Date.now());
        writes = writes.then(async () => {
          // once a commit failed, no later batch may commit: the failed one may be journaled without
          // its rows, and recovery redoes only the journal's last entry
          if (writeError) return;
          committingSince = Date.now();
          await committer.commit(b);
          committingSince = undefined;
        }).catch((e) => { writeError ??= e; messages.stop(); });
      }
      return writes;
    };

    const messages = await readRaw(js, s.raw, sh, state.rawSeq + 1);
    const stopReading = () => messages.stop();
    ctx.cancellationSignal.addEventListener('abort', stopReading);
    if (state.join) state.join.openLanes(await partitionsOf(spec));
    const clock = new JoinClock(spec, state, jsm, () => policy.beforeInput(state.hasPending, Date.now()));
    // the loop's clock: join time, batches due by maxDelay, the end of a drain, and liveness
    const timer = setInterval(() => {
      if (committingSince === undefined || Date.now() - committingSince < settings.stageStallMs) progress.turned();
      clock.turn();
      if (policy.due(state.hasPending, Date.now())) void flush();
      else if (drain && !state.hasPending) {
        void writes.then(() => lastRawSeq(jsm, s.raw, sh)).then((last) => { if (state.rawSeq >= last && !state.hasPending) messages.stop(); });
      }
    }, policy.clockMs);
    try {
      for await (const m of messages) {
        policy.beforeInput(state.hasPending, Date.now());
        state.process(m.seq, decodeRawBatch(m.data));
        if (policy.full(state.pendingRows, state.join?.pendingRecords ?? 0)) await flush();
        if (writeError) break;
      }
    } finally {
      clearInterval(timer);
      ctx.cancellationSignal.removeEventListener('abort', stopReading);
    }
    // 4.
    if (!writeError) await flush();
    if (writeError) throw writeError;
  } finally {
    await progress.stop();
    await ch.close();
    spill.close();
  }
  if (ctx.cancellationSignal.aborted) await ctx.cancelled;
}
