// Which rows of the sink table belong to this incarnation of the pipeline (core/incarnation.ts),
// decided once when the pipeline is provisioned: each new shard draws an incarnation no row of
// the table has and keeps it in its journal stream's metadata; `sink.onExistingRows` says whether
// rows of earlier incarnations (or other writers) in the table are an error.
import type { ClickHouseClient } from '@clickhouse/client';
import { ApplicationFailure } from '@temporalio/common';
import type { JetStreamManager, StreamInfo } from 'nats';
import type { PipelineSpec } from '../core/spec/schema';
import { shardsOf } from '../core/names';
import { tableRef } from '../core/ddl';
import { BATCH_COLUMN } from '../core/spec/columns';
import { chooseIncarnation, earlierIncarnationsFromMetadata, INCARNATION_METADATA, INCARNATION_SQL, incarnationFromMetadata } from '../core/incarnation';

/**
 * The incarnations whose rows are this pipeline's own: each shard's (ensureIncarnations) and
 * the earlier shards' a change of parallelism replaced (named in the new journals' metadata).
 */
export async function ownIncarnations(jsm: JetStreamManager, ch: ClickHouseClient, spec: PipelineSpec): Promise<number[]> {
  const infos = await Promise.all(shardsOf(spec.name, spec.parallelism).map((sh) => jsm.streams.info(sh.journal)));
  const current = await ensureIncarnations(jsm, ch, spec, infos);
  return [...new Set([...current, ...infos.flatMap((i) => earlierIncarnationsFromMetadata(i.config.metadata))])];
}

/**
 * Each shard's incarnation (`infos`: its journal streams): the one its journal stream holds, or a new one for a shard that never
 * journaled a batch — drawn so that no row of the table and no other shard has it (each shard's
 * batch ids are then its own: recovery of one shard never counts another's rows).
 */
async function ensureIncarnations(jsm: JetStreamManager, ch: ClickHouseClient, spec: PipelineSpec, infos: StreamInfo[]): Promise<number[]> {
  const have = infos.map((info) => {
    if (info.config.metadata?.[INCARNATION_METADATA] !== undefined) return incarnationFromMetadata(info.config.metadata);
    // a journal that already has entries was written before incarnations existed: its batch ids are its batch numbers
    return info.state.last_seq > 0 ? 0 : undefined;
  });
  if (have.every((i) => i !== undefined)) return have as number[];
  const used = await incarnationsInTable(ch, spec);
  for (const i of have) if (i !== undefined) used.add(i);
  const out: number[] = [];
  for (const [k, info] of infos.entries()) {
    let incarnation = have[k];
    if (incarnation === undefined) {
      incarnation = chooseIncarnation(used, Math.random);
      await jsm.streams.update(info.config.name, { ...info.config, metadata: { ...info.config.metadata, [INCARNATION_METADATA]: String(incarnation) } });
    }
    used.add(incarnation);
    out.push(incarnation);
  }
  return out;
}

/** The incarnations the rows of the sink table have. */
export async function incarnationsInTable(ch: ClickHouseClient, spec: PipelineSpec): Promise<Set<number>> {
  const rs = await ch.query({ query: `SELECT DISTINCT ${INCARNATION_SQL(BATCH_COLUMN)} AS i FROM ${tableRef(spec)}`, format: 'JSONEachRow' });
  return new Set((await rs.json<{ i: string | number }>()).map((r) => Number(r.i)));
}

/** Refuses a table that holds rows of other incarnations, unless the spec says to append to them. */
export async function checkExistingRows(ch: ClickHouseClient, spec: PipelineSpec, incarnations: number[]): Promise<void> {
  if (spec.sink.onExistingRows === 'append') return;
  const rs = await ch.query({ query: `SELECT count() AS n FROM ${tableRef(spec)} WHERE ${INCARNATION_SQL(BATCH_COLUMN)} NOT IN (${incarnations.join(', ')})`, format: 'JSONEachRow' });
  const n = Number((await rs.json<{ n: string | number }>())[0]?.n ?? 0);
  if (n === 0) return;
  const { database, table } = spec.sink.clickhouse;
  throw ApplicationFailure.nonRetryable(
    `sink: table ${database}.${table} already holds ${n} rows written before this pipeline was created (an earlier pipeline of this name, or another one); ` +
    'set sink.onExistingRows: append to add to them (the sources are then read again from their startFrom, so events already in the table arrive again), ' +
    'or point the pipeline at a new table', 'SinkTableHasRows');
}
