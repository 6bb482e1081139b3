// Changing a running pipeline's parallelism (docs/scaling.md "Changing N while running"). The
// workflow has stopped ingest and drained every old shard; this reads each old shard's state as
// its own recovery would (which also drops its fences: no old writer can insert any more), splits
// it by the new routing (core/repartition.ts), stages the new shards' first state in the
// pipeline's object store, and only then replaces the old shards' journals, snapshots and fences
// with the new shards'. A retried attempt goes on from the stage: until the stage is complete the
// old state is untouched (and read again); once it is, the stage is what gets written.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { JetStreamClient, JetStreamManager, ObjectStore } from 'nats';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PipelineSpec } from '../core/spec/schema';
import { shardsOf, streamsOf } from '../core/names';
import { SinkState, type JournalEntry } from '../core/sinkState';
import { JournalCompactor } from '../core/journalCompactor';
import { repartition as split, FIRST_BATCH, type DrainedShard } from '../core/repartition';
import { decodeDedupSnapshot, encodeDedupSnapshot } from '../core/dedupSnapshot';
import type { JoinSnapshot } from '../core/join/joinState';
import { joinPlan } from '../core/join/plan';
import { chooseIncarnation, earlierIncarnationsFromMetadata, incarnationFromMetadata, EARLIER_INCARNATIONS_METADATA, INCARNATION_METADATA } from '../core/incarnation';
import { clickhouseFor, natsConnection } from '../runtime/connections';
import { recover } from './sink/recovery';
import { lastRawSeq } from './sink/rawStream';
import { StateSnapshots } from './stateSnapshots';
import { DedupSnapshots, DEDUP_SNAPSHOTS } from './dedupSnapshots';
import { JoinSnapshots, JOIN_SNAPSHOTS } from './joinSnapshots';
import { incarnationsInTable } from './tableOwnership';
import { takeOver } from './writerFence';
import { journalStreamConfig } from './provision';

export interface RepartitionInput {
  from: PipelineSpec;
  to: PipelineSpec;
  /** the spec version the change makes: names its stage */
  change: number;
}

export interface RepartitionResult {
  from: number;
  to: number;
  /** dedup keys and join events (open left, held right) moved */
  keys: number;
  joinEvents: number;
  /** the raw stream's sequence the new shards read after */
  rawSeq: number;
}

interface Marker { done: boolean; earlier: number[]; result: RepartitionResult }
interface Staged { incarnation: number; entry: JournalEntry; join?: JoinSnapshot }

const enc = new TextEncoder();
const dec = new TextDecoder();
const stageOf = (change: number) => `repartition-${change}`;
const putJson = (os: ObjectStore, name: string, v: unknown) => os.putBlob({ name }, enc.encode(JSON.stringify(v)));
async function getJson<T>(os: ObjectStore, name: string): Promise<T | undefined> {
  const data = await os.getBlob(name);
  return data ? JSON.parse(dec.decode(data)) as T : undefined;
}
const ignoreNotFound = (e: Error) => { if (!/not found/i.test(e.message)) throw e; };

export async function repartition({ from, to, change }: RepartitionInput): Promise<RepartitionResult> {
  const nc = await natsConnection();
  const js = nc.jetstream();
  const jsm = await nc.jetstreamManager();
  const os = await StateSnapshots.bucket(js, to);
  const ch = clickhouseFor(to);
  try {
    const stage = stageOf(change);
    let marker = await getJson<Marker>(os, `${stage}-marker`);
    if (marker?.done) return marker.result;
    marker ??= await stageNewShards(from, to, change, js, jsm, ch, os);
    await replaceShards(from, to, change, marker, js, jsm, ch, os);
    await putJson(os, `${stage}-marker`, { ...marker, done: true });
    for (let k = 0; k < to.parallelism; k++) for (const part of ['dedup', 'state']) await os.delete(`${stage}-s${k}-${part}`).catch(ignoreNotFound);
    Context.current().log.info('parallelism changed', { pipeline: to.name, ...marker.result });
    return marker.result;
  } catch (e) {
    Context.current().log.warn('parallelism change failed; Temporal retries it', { pipeline: to.name, error: (e as Error).stack ?? String(e) });
    throw e;
  } finally {
    await ch.close();
  }
}

/** Reads every old shard, splits its state, and stages each new shard's first state; nothing old is changed but the fences. */
async function stageNewShards(from: PipelineSpec, to: PipelineSpec, change: number, js: JetStreamClient, jsm: JetStreamManager, ch: ClickHouseClient, os: ObjectStore): Promise<Marker> {
  const ctx = Context.current();
  // what an earlier change left (its marker, or a stage it did not complete)
  for (const o of await os.list()) if (!o.deleted && o.name.startsWith('repartition-')) await os.delete(o.name);
  const drained: DrainedShard[] = [];
  const incarnations = new Set<number>();
  for (const sh of shardsOf(from.name, from.parallelism)) {
    const info = await jsm.streams.info(sh.journal).catch((e: Error) => { ignoreNotFound(e); return undefined; });
    if (!info) continue; // never provisioned: holds nothing
    const state = new SinkState(from, { incarnation: incarnationFromMetadata(info.config.metadata) });
    const snapshots = { join: state.join ? await JoinSnapshots.open(js, from, sh.snapshotPrefix) : undefined, dedup: await DedupSnapshots.open(js, from, sh.snapshotPrefix) };
    await recover(state, new JournalCompactor(state.windowsMs()), from, sh, jsm, js, ch, snapshots, info, () => ctx.heartbeat());
    const last = await lastRawSeq(jsm, streamsOf(from.name).raw, sh);
    if (last > state.rawSeq) {
      throw ApplicationFailure.nonRetryable(`shard ${sh.shard} of ${from.parallelism} is not drained (raw messages up to ${last}, committed up to ${state.rawSeq})`, 'RepartitionNotDrained');
    }
    drained.push({ dedup: state.dedupSnapshot(), counters: state.counters, hw: state.hw, join: state.join?.snapshot() });
    incarnations.add(state.incarnation);
    for (const i of earlierIncarnationsFromMetadata(info.config.metadata)) incarnations.add(i);
  }
  const rawSeq = drained.length ? (await jsm.streams.info(streamsOf(from.name).raw)).state.last_seq : 0;
  const next = drained.length ? split(drained, to.parallelism, rawSeq, Date.now(), joinPlan(to)) : [];
  // each new shard's incarnation: one no row of the table, no earlier shard and no other new shard has
  const used = new Set([...await incarnationsInTable(ch, to), ...incarnations]);
  const stage = stageOf(change);
  for (const [k, n] of next.entries()) {
    const incarnation = chooseIncarnation(used, Math.random);
    used.add(incarnation);
    await os.putBlob({ name: `${stage}-s${k}-dedup` }, encodeDedupSnapshot(n.dedup));
    await putJson(os, `${stage}-s${k}-state`, { incarnation, entry: n.entry, join: n.join } satisfies Staged);
    ctx.heartbeat();
  }
  const result: RepartitionResult = {
    from: from.parallelism, to: to.parallelism, rawSeq,
    keys: drained.reduce((a, d) => a + d.dedup.sources.reduce((b, s) => b + s.window.store.timeLo.length, 0), 0),
    joinEvents: drained.reduce((a, d) => a + (d.join ? d.join.l.length + d.join.r.length : 0), 0),
  };
  const marker: Marker = { done: false, earlier: [...incarnations], result };
  await putJson(os, `${stage}-marker`, marker);
  return marker;
}

/** Removes the old shards' journals and snapshots (and whatever of the new shards an earlier attempt wrote), then writes the new shards' first state. */
async function replaceShards(from: PipelineSpec, to: PipelineSpec, change: number, marker: Marker, js: JetStreamClient, jsm: JetStreamManager, ch: ClickHouseClient, os: ObjectStore): Promise<void> {
  const ctx = Context.current();
  const news = shardsOf(to.name, to.parallelism);
  // the old and the new names overlap when both are sharded (shard 0 of 4 and of 2 are one name)
  for (const sh of [...shardsOf(from.name, from.parallelism), ...news]) {
    await jsm.streams.delete(sh.journal).catch(ignoreNotFound);
    for (const kind of [DEDUP_SNAPSHOTS, JOIN_SNAPSHOTS]) await (await StateSnapshots.open(js, to, `${sh.snapshotPrefix}${kind}`)).clear();
    ctx.heartbeat();
  }
  const stage = stageOf(change);
  const earlier: Record<string, string> = marker.earlier.length ? { [EARLIER_INCARNATIONS_METADATA]: marker.earlier.join(',') } : {};
  for (const sh of news) {
    const staged = await getJson<Staged>(os, `${stage}-s${sh.shard}-state`);
    const dedupBlob = await os.getBlob(`${stage}-s${sh.shard}-dedup`);
    // a pipeline that never ran has nothing staged: provisioning makes its journals
    if (!staged || !dedupBlob) continue;
    await jsm.streams.add(journalStreamConfig(sh, { [INCARNATION_METADATA]: String(staged.incarnation), ...earlier }));
    await js.publish(sh.journalSubject, enc.encode(JSON.stringify(staged.entry)), { expect: { lastSequence: 0 } });
    const dedup = decodeDedupSnapshot(dedupBlob);
    if (dedup.sources.length) await (await DedupSnapshots.open(js, to, sh.snapshotPrefix))?.write(dedup);
    if (staged.join) await (await JoinSnapshots.open(js, to, sh.snapshotPrefix)).write(FIRST_BATCH, staged.join);
    ctx.heartbeat();
  }
  // every fence of the pipeline (the old shards' recoveries opened one each); everything up to rawSeq is committed
  await takeOver(ch, to, 'all');
  if (marker.result.rawSeq > 0) await jsm.streams.purge(streamsOf(to.name).raw, { seq: marker.result.rawSeq + 1 });
}
