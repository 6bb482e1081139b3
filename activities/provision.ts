// Short, idempotent activities: create what a pipeline needs, or remove it.
import { RetentionPolicy, StorageType, DiscardPolicy, nanos, type StreamConfig, type JetStreamManager, type NatsError } from 'nats';
import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { ClickHouseError } from '@clickhouse/client';
import type { PipelineSpec } from '../core/spec/schema';
import { streamsOf, consumerGroupOf, shardsOf, isShardJournalOf, type ShardNames } from '../core/names';
import { createTableSql, columnMismatches, engineNameOf, expectedColumns, quoteIdent } from '../core/ddl';
import { familiesOf } from '../core/spec/clickhouseTypes';
import { createTableSettings, missingTypeProblems } from '../core/serverVersion';
import { describeTable, serverOf } from './clickhouseServer';
import { settings } from '../runtime/settings';
import { clickhouseErrorCode, isDeterministicClickHouseError } from '../core/clickhouseErrors';
import { clickhouseFor, kafkaFor, natsConnection } from '../runtime/connections';
import { checkExistingRows, ownIncarnations } from './tableOwnership';
import { takeOver } from './writerFence';
import { ingestMembersOf } from '../core/shards';
import { NATS_INSUFFICIENT_STORAGE, storageRefusalMessage, type StreamReservation } from '../core/natsStorage';

async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
    await jsm.streams.update(cfg.name, cfg);
  } catch (e) {
    if (!/stream not found/i.test(String((e as Error).message))) throw e;
    await jsm.streams.add(cfg);
  }
}

/**
 * The server's bare "insufficient storage resources available", said with what reserves the store
 * and the ways out. Still retried by the workflow (with this in the status): deleting a pipeline frees room.
 */
async function explainedStorageRefusal(jsm: JetStreamManager, e: unknown, stream: string, wantedBytes: number): Promise<unknown> {
  if ((e as NatsError).api_error?.err_code !== NATS_INSUFFICIENT_STORAGE) return e;
  const others: StreamReservation[] = [];
  try {
    for await (const si of jsm.streams.list()) others.push({ name: si.config.name, maxBytes: si.config.max_bytes });
  } catch {
    return e; // the streams could not be listed: the server's own words, not a listing error in their place
  }
  return new Error(storageRefusalMessage(stream, wantedBytes, others));
}

/** What every stream of a pipeline has. */
const commonStream = () => ({ storage: StorageType.File, retention: RetentionPolicy.Limits, num_replicas: settings.jetstreamReplicas });

/** A shard's journal stream: trimmed by the sink itself once the keys it holds have left their windows. */
export const journalStreamConfig = (sh: ShardNames, metadata?: Record<string, string>) => ({
  ...commonStream(), name: sh.journal, subjects: [sh.journalSubject], discard: DiscardPolicy.New, ...(metadata ? { metadata } : {}),
});

export async function provisionStreams(spec: PipelineSpec): Promise<void> {
  const jsm = await (await natsConnection()).jetstreamManager();
  const s = streamsOf(spec.name);
  const common = commonStream();
  // raw: bounded in bytes; when full, ingest is refused (and retries) rather than dropping events
  await ensureStream(jsm, { ...common, name: s.raw, subjects: [s.rawSubjects], max_bytes: settings.rawStreamMaxBytes, discard: DiscardPolicy.New, duplicate_window: nanos(120_000) })
    .catch(async (e) => { throw await explainedStorageRefusal(jsm, e, s.raw, settings.rawStreamMaxBytes); });
  // journals, one per shard
  for (const sh of shardsOf(spec.name, spec.parallelism)) await ensureStream(jsm, journalStreamConfig(sh));
  await ensureStream(jsm, { ...common, name: s.dlq, subjects: [s.dlqSubject], max_age: nanos(7 * 86_400_000), duplicate_window: nanos(3_600_000) });
}

/**
 * An error ClickHouse answered about the statement (bad DDL, a nullable sorting key, no such table)
 * fails provisioning for good, with the server's message; no answer (server down) is thrown as is,
 * and the workflow retries it with the error in the status.
 */
function refusedForGood(e: unknown, what: string): unknown {
  const message = (e as Error).message ?? String(e);
  const code = e instanceof ClickHouseError ? Number(e.code) : clickhouseErrorCode(message);
  return isDeterministicClickHouseError(code) ? ApplicationFailure.nonRetryable(`${what}: ClickHouse answered: ${message}`, 'ClickHouseRefused') : e;
}

export async function provisionTable(spec: PipelineSpec): Promise<void> {
  const ch = clickhouseFor(spec);
  const db = spec.sink.clickhouse.database;
  const table = `${db}.${spec.sink.clickhouse.table}`;
  try {
    const missing = missingTypeProblems(await serverOf(ch), expectedColumns(spec).map((c) => ({ ...c, families: familiesOf(c.type) })));
    if (missing.length) throw ApplicationFailure.nonRetryable(`sink.columns: ${missing.join('; ')}`, 'SinkTypeUnsupported');
    if (spec.sink.createTable) {
      await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(db)}` }).catch((e) => { throw refusedForGood(e, `sink: creating database ${db}`); });
      const tableSettings = createTableSettings(await serverOf(ch), engineNameOf(spec.sink.createTable.engine));
      await ch.command({ query: createTableSql(spec, tableSettings) }).catch((e) => { throw refusedForGood(e, `sink: creating table ${table}`); });
    }
    const described = await describeTable(ch, spec).catch((e: Error) => {
      throw refusedForGood(e, `sink: table ${table} is not readable${spec.sink.createTable ? '' : ' (set sink.createTable to create it)'}`);
    });
    const have = new Map(described.map((r) => [r.name, r.type]));
    const problems = columnMismatches(spec, have);
    if (problems.length) throw ApplicationFailure.nonRetryable(`sink: table ${table} does not match the spec: ${problems.join('; ')}`, 'SinkTableMismatch');
    const jsm = await (await natsConnection()).jetstreamManager();
    await checkExistingRows(ch, spec, await ownIncarnations(jsm, ch, spec));
  } finally {
    await ch.close();
  }
}

/** Removes the pipeline's JetStream streams, Kafka consumer groups and writer fences. The ClickHouse table is kept: it is the user's data. */
export async function teardown(spec: PipelineSpec): Promise<void> {
  // best effort: a fence left behind is an empty Null table and its view, dropped by the next pipeline of this name
  const ch = clickhouseFor(spec);
  await takeOver(ch, spec, 'all').catch((e: Error) => Context.current().log.warn('could not drop the writer fences', { pipeline: spec.name, error: e.message }))
    .finally(() => ch.close());
  const jsm = await (await natsConnection()).jetstreamManager();
  const s = streamsOf(spec.name);
  const shardJournals: string[] = [];
  for await (const name of jsm.streams.names()) if (isShardJournalOf(spec.name, name)) shardJournals.push(name);
  for (const name of [s.raw, s.journal, ...shardJournals, s.dlq, s.joinBucketStream]) {
    await jsm.streams.delete(name).catch((e: Error) => { if (!/not found/i.test(e.message)) throw e; });
  }
  for (let i = 0; i < spec.sources.length; i++) {
    const group = consumerGroupOf(spec.name, spec.sources[i].name, spec.sources[i].kafka.groupId);
    const admin = kafkaFor(spec, i).admin();
    try {
      await admin.connect();
      await admin.deleteGroups([group]).catch(() => undefined);
    } catch (e) {
      // Kafka refuses this spec's credentials (or is unreachable): the group stays until Kafka expires it (offsets.retention.minutes)
      Context.current().log.warn('could not remove the Kafka consumer group; delete goes on', { pipeline: spec.name, group, error: (e as Error).message });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/** How many ingest members each source runs in its consumer group (core/shards.ts ingestMembersOf), from its topic's partitions. */
export async function ingestMembers(spec: PipelineSpec): Promise<number[]> {
  if (spec.parallelism === 1) return spec.sources.map(() => 1);
  return Promise.all(spec.sources.map(async (src, i) => {
    const admin = kafkaFor(spec, i).admin();
    try {
      await admin.connect();
      const md = await admin.fetchTopicMetadata({ topics: [src.kafka.topic] });
      return ingestMembersOf(spec.parallelism, md.topics[0]?.partitions.length);
    } catch {
      return ingestMembersOf(spec.parallelism, undefined); // no topic yet: a member per shard (idle ones cost a connection)
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }));
}
