// What the ClickHouse server behind a client is, asked once per client: its version and the
// optional settings it has decide which settings and syntax Sluice may use (18.16 knows neither
// SYNC, async_insert nor insert_deduplication_token), and what engine a sink table has.
import type { ClickHouseClient } from '@clickhouse/client';
import type { PipelineSpec } from '../core/spec/schema';
import { quoteString, tableRef } from '../core/ddl';
import { insertSettingsFor, isReplicatedEngine, optionalSettingsQuery, parseServerVersion, typeFamiliesQuery, type ServerVersion } from '../core/serverVersion';
import { settings } from '../runtime/settings';

const known = new WeakMap<ClickHouseClient, Promise<ServerVersion>>();

async function ask(ch: ClickHouseClient): Promise<ServerVersion> {
  const [{ v }] = await (await ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json<{ v: string }>();
  const names = await (await ch.query({ query: optionalSettingsQuery(), format: 'JSONEachRow' })).json<{ name: string }>();
  const types = await (await ch.query({ query: typeFamiliesQuery(), format: 'JSONEachRow' })).json<{ name: string }>();
  return parseServerVersion(v, names.map((r) => r.name), types.map((r) => r.name));
}

export function serverOf(ch: ClickHouseClient): Promise<ServerVersion> {
  let s = known.get(ch);
  if (!s) {
    s = ask(ch);
    s.catch(() => known.delete(ch));
    known.set(ch, s);
  }
  return s;
}

/** The sink table's engine ('' when the table does not exist). */
/** The sink table's columns as DESCRIBE TABLE gives them (names and types, in table order). */
export async function describeTable(ch: ClickHouseClient, spec: PipelineSpec): Promise<Array<{ name: string; type: string }>> {
  const rs = await ch.query({ query: `DESCRIBE TABLE ${tableRef(spec)}`, format: 'JSONEachRow' });
  return rs.json<{ name: string; type: string }>();
}

export async function tableEngine(ch: ClickHouseClient, spec: PipelineSpec): Promise<string> {
  const { database, table } = spec.sink.clickhouse;
  const rs = await ch.query({ query: `SELECT engine FROM system.tables WHERE database = ${quoteString(database)} AND name = ${quoteString(table)}`, format: 'JSONEachRow' });
  return (await rs.json<{ engine: string }>())[0]?.engine ?? '';
}

/** Settings for Sluice's INSERTs into the sink table (core/serverVersion.ts insertSettingsFor): a function of the batch id. */
export async function insertSettings(ch: ClickHouseClient, spec: PipelineSpec): Promise<(batchId?: number) => Record<string, string | number>> {
  const server = await serverOf(ch);
  const replicated = isReplicatedEngine(await tableEngine(ch, spec));
  return (batchId) => insertSettingsFor(server, batchId, replicated, settings.clickhouseInsertQuorum);
}
