// A ClickHouse server (its version, and which of the settings Sluice may use it has) and what
// that allows: the settings of Sluice's INSERTs, of the tables it creates and of recovery's count.
// Settings are detected by name from system.settings / system.merge_tree_settings, not guessed
// from version numbers.

/** Settings whose presence changes what Sluice sends (asked of every server once). */
export const OPTIONAL_SETTINGS = ['async_insert', 'insert_deduplication_token', 'deduplicate_blocks_in_dependent_materialized_views'] as const;
export const OPTIONAL_TABLE_SETTINGS = ['non_replicated_deduplication_window'] as const;
type Optional = (typeof OPTIONAL_SETTINGS)[number] | (typeof OPTIONAL_TABLE_SETTINGS)[number];

/**
 * Type families a server lists but keeps experimental (off by default) behind a setting: where
 * that setting is 0 (18.16's LowCardinality, 24.x's JSON, 21.1's Map), Sluice counts the type as
 * missing rather than create tables the server's own defaults refuse.
 */
export const TYPE_GATES: Record<string, string> = {
  LowCardinality: 'allow_experimental_low_cardinality_type', JSON: 'allow_experimental_json_type', Map: 'allow_experimental_map_type',
};

export interface ServerVersion {
  version: string;
  /** true when the server is at least major.minor */
  atLeast(major: number, minor: number): boolean;
  /** true when the server knows the setting */
  has(setting: Optional): boolean;
  /** true when the server has the type family and it is not behind a gate that is off (undefined type list: assumed) */
  hasType(family: string): boolean;
  /** true when the server lists the type family but keeps it behind a gate that is off */
  gated(family: string): boolean;
}

/** `settings`: what optionalSettingsQuery answered; `types`: system.data_type_families' names (typeFamiliesQuery). */
export function parseServerVersion(version: string, settings: readonly string[] = [], types?: readonly string[]): ServerVersion {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const known = new Set(settings);
  const families = types && new Set(types);
  const gatedOff = (f: string) => f in TYPE_GATES && known.has(`${TYPE_GATES[f]}=0`);
  return {
    version,
    atLeast: (a, b) => major > a || (major === a && minor >= b),
    has: (s) => known.has(s),
    hasType: (f) => (families === undefined || families.has(f)) && !gatedOff(f),
    gated: (f) => (families === undefined || families.has(f)) && gatedOff(f),
  };
}

const names = (list: readonly string[]) => list.map((s) => `'${s}'`).join(', ');
/**
 * The query that lists which optional settings a server has (one column `name`; 18.16 reads it
 * too), and each type gate as "<gate>=<value>" (an alias named like a column would be what WHERE reads).
 */
export const optionalSettingsQuery = (): string =>
  `SELECT name FROM system.settings WHERE name IN (${names(OPTIONAL_SETTINGS)}) ` +
  `UNION ALL SELECT concat(name, '=', value) FROM system.settings WHERE name IN (${names(Object.values(TYPE_GATES))}) ` +
  `UNION ALL SELECT name FROM system.merge_tree_settings WHERE name IN (${names(OPTIONAL_TABLE_SETTINGS)})`;

/** The type families a server has (every version since 18.16 lists them). */
export const typeFamiliesQuery = (): string => 'SELECT name FROM system.data_type_families';

/**
 * The columns whose types this server lacks, each with what it lacks, e.g.
 * 'column "ts" is DateTime64(3): ClickHouse 18.16.1 has no DateTime64 type'.
 */
export function missingTypeProblems(server: ServerVersion, columns: ReadonlyArray<{ name: string; type: string; families: ReadonlySet<string> }>): string[] {
  return columns.flatMap((c) => {
    const lacking = [...c.families].filter((f) => !server.hasType(f));
    if (!lacking.length) return [];
    const gated = lacking.filter((f) => server.gated(f));
    return [`column "${c.name}" is ${c.type}: ClickHouse ${server.version} has no ${lacking.join(' or ')} type${gated.length ? ` (${gated.join(', ')}: experimental there, off by default)` : ''}`];
  });
}

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
