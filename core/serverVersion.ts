// A ClickHouse server (its version, and which of the settings Sluice may use it has) and what
// that allows: the settings of Sluice's INSERTs, of the tables it creates and of recovery's count.
// Settings are detected by name from system.settings / system.merge_tree_settings, not guessed
// from version numbers.

/** Settings whose presence changes what Sluice sends (asked of every server once). */
export const OPTIONAL_SETTINGS = ['async_insert', 'insert_deduplication_token', 'deduplicate_blocks_in_dependent_materialized_views'] as const;
export const OPTIONAL_TABLE_SETTINGS = ['non_replicated_deduplication_window'] as const;
type Optional = (typeof OPTIONAL_SETTINGS)[number] | (typeof OPTIONAL_TABLE_SETTINGS)[number];

export interface ServerVersion {
  version: string;
  /** true when the server is at least major.minor */
  atLeast(major: number, minor: number): boolean;
  /** true when the server knows the setting */
  has(setting: Optional): boolean;
}

export function parseServerVersion(version: string, settings: readonly string[] = []): ServerVersion {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const known = new Set(settings);
  return { version, atLeast: (a, b) => major > a || (major === a && minor >= b), has: (s) => known.has(s) };
}

/** The query that lists which optional settings a server has (one column `name`; 18.16 reads it too). */
export const optionalSettingsQuery = (): string =>
  `SELECT name FROM system.settings WHERE name IN (${OPTIONAL_SETTINGS.map((s) => `'${s}'`).join(', ')}) ` +
  `UNION ALL SELECT name FROM system.merge_tree_settings WHERE name IN (${OPTIONAL_TABLE_SETTINGS.map((s) => `'${s}'`).join(', ')})`;

/** Replicated tables keep their insert log in Keeper; other MergeTree tables need a window for deduplication. */
export const isReplicatedEngine = (engine: string): boolean => /^Replicated/.test(engine);

/** Blocks a created non-replicated table remembers for insert deduplication (the batch ids of the last this-many INSERTs). */
export const DEDUP_WINDOW = 1000;

/**
 * Settings of one INSERT of batch `batchId`: synchronous (async_insert=0: Sluice's batches are
 * already large) and, where the server has it, the batch id as insert_deduplication_token — a
 * second line of defence beside the journal: the same batch id inserted again is dropped by the
 * server (through the writer fence's materialized view too). Into a replicated table, with
 * `quorum` (SLUICE_CLICKHOUSE_INSERT_QUORUM), the INSERT waits for that many replicas.
 */
export function insertSettingsFor(server: ServerVersion, batchId: number | undefined, replicated: boolean, quorum?: string): Record<string, string | number> {
  const s: Record<string, string | number> = {};
  if (server.has('async_insert')) s.async_insert = 0;
  if (batchId !== undefined && server.has('insert_deduplication_token')) {
    s.insert_deduplication_token = `sluice-${batchId}`;
    if (server.has('deduplicate_blocks_in_dependent_materialized_views')) s.deduplicate_blocks_in_dependent_materialized_views = 1;
  }
  if (replicated && quorum !== undefined) {
    s.insert_quorum = quorum;
    s.insert_quorum_parallel = 0; // what select_sequential_consistency needs
  }
  return s;
}

/** The SETTINGS clause of a table Sluice creates (empty: none). */
export function createTableSettings(server: ServerVersion, engine: string): string {
  if (isReplicatedEngine(engine) || !/MergeTree$/.test(engine) || !server.has('non_replicated_deduplication_window')) return '';
  return `SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW}`;
}

/**
 * Recovery's count of one batch's rows. On a replicated table it reads with
 * select_sequential_consistency=1, so a replica that has not yet fetched a part some other
 * replica took (the INSERT answered, then the writer died) cannot answer "0 rows" and make the
 * batch be written again; with insert_quorum (above) that read sees every quorum INSERT.
 */
export function batchCountQuery(table: string, column: string, batchId: number, replicated: boolean): { query: string; settings: Record<string, number> } {
  if (!Number.isSafeInteger(batchId) || batchId < 0) throw new Error(`batch id ${batchId} is not a whole number`);
  return { query: `SELECT count() AS n FROM ${table} WHERE ${column} = ${batchId}`, settings: replicated ? { select_sequential_consistency: 1 } : {} };
}
