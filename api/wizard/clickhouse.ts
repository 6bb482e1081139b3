// The wizard's ClickHouse calls: the tables of a database, and a table's columns with each field
// mapping checked for type compatibility (core/inference/compatibility.ts). Bounded in time: a
// database that does not answer gives UNAVAILABLE naming the URL.
import { createClient } from '@clickhouse/client';
import { withTimeout } from '../../runtime/withTimeout';
import { SluiceError } from '../../client/errors';
import { resolveSecret } from '../../runtime/connections';
import { columnCheck } from '../../core/inference/compatibility';
import { NAME_RULE, NAME_RULE_TEXT } from '../../core/spec/identifiers';
import { quoteString } from '../../core/ddl';
import { parseServerVersion } from '../../core/serverVersion';

type Maybe<T> = T | null | undefined;
export interface ClickHouseConnectionInput { url: string; database?: Maybe<string>; username?: Maybe<string>; password?: Maybe<{ value?: Maybe<string>; env?: Maybe<string> }> }
export interface MappingInput { column: string; field: string; fieldType: string }

const TIMEOUT_MS = 5000;

async function withClient<T>(c: ClickHouseConnectionInput, fn: (q: <R>(sql: string, params?: Record<string, unknown>) => Promise<R[]>) => Promise<T>): Promise<T> {
  let url: URL;
  try { url = new URL(c.url); } catch { throw new SluiceError('BAD_INPUT', 'clickhouse.url: expected a URL like http://127.0.0.1:8123'); }
  let password: string | undefined;
  try {
    password = c.password ? resolveSecret(c.password.value ?? (c.password.env ? { env: c.password.env } : undefined), 'clickhouse.password') : undefined;
  } catch (e) {
    throw new SluiceError('BAD_INPUT', (e as Error).message.replace('on the worker', 'in the API process'));
  }
  const ch = createClient({ url: url.toString(), username: c.username ?? undefined, password: password ?? '', request_timeout: TIMEOUT_MS, compression: { request: false, response: false } });
  try {
    return await fn(async <R>(query: string, query_params?: Record<string, unknown>) =>
      withTimeout(ch.query({ query, query_params, format: 'JSONEachRow' }).then((r) => r.json<R>()), TIMEOUT_MS, query.split(' ')[0]));
  } catch (e) {
    throw e instanceof SluiceError ? e : new SluiceError('UNAVAILABLE', `clickhouse.url: cannot query ClickHouse at ${c.url}: ${(e as Error).message}`);
  } finally {
    await ch.close().catch(() => undefined);
  }
}

const databaseOf = (c: ClickHouseConnectionInput) => {
  const db = c.database ?? 'default';
  if (!NAME_RULE.test(db)) throw new SluiceError('BAD_INPUT', `clickhouse.database: expected ${NAME_RULE_TEXT}`);
  return db;
};

// The queries work on every server Sluice supports: no query parameters ({db:String} came with 19.x;
// the values are quoted literals instead) and system.columns.position only where it exists (from 20.6; ClickHouse PR 11655).
export const tablesQuery = (db: string) => `SELECT name FROM system.tables WHERE database = ${quoteString(db)} ORDER BY name`;
export const columnsQuery = (db: string, table: string, version: string) =>
  `SELECT name, type FROM system.columns WHERE database = ${quoteString(db)} AND table = ${quoteString(table)}${parseServerVersion(version).atLeast(20, 6) ? ' ORDER BY position' : ''}`;

/** Table names of the database (Sluice's own helper tables left out). */
export function listTables(c: ClickHouseConnectionInput): Promise<string[]> {
  const database = databaseOf(c);
  return withClient(c, async (q) => (await q<{ name: string }>(tablesQuery(database)))
    .map((r) => r.name).filter((n) => !n.startsWith('_sluice_')));
}

export interface TableView { exists: boolean; columns: Array<{ name: string; type: string }>; mapping: Array<MappingInput & { problem: string | null; columnType?: string | null }> }

/** A table's columns and, per mapping, what keeps the column from taking the field (null: compatible). */
export function describeTable(c: ClickHouseConnectionInput, table: string, mapping: readonly MappingInput[]): Promise<TableView> {
  const database = databaseOf(c);
  return withClient(c, async (q) => {
    const [{ v }] = await q<{ v: string }>('SELECT version() AS v');
    const columns = await q<{ name: string; type: string }>(columnsQuery(database, table, v));
    if (columns.length === 0) return { exists: false, columns: [], mapping: mapping.map((m) => ({ ...m, problem: null })) };
    const types = new Map(columns.map((col) => [col.name, col.type]));
    return { exists: true, columns, mapping: mapping.map((m) => ({ ...m, ...columnCheck(m.fieldType, types.get(m.column)) })) };
  });
}
