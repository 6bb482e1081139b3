// ClickHouse DDL for the sink table. Kept to syntax ClickHouse 18.16 accepts, which current versions accept too.
import { createHash } from 'node:crypto';
import type { PipelineSpec } from './spec/schema';
import { resolveColumns, BATCH_COLUMN } from './spec/columns';
import { parseEngine, parseKeyExpression, type KeyExpression } from './spec/identifiers';
import { canonicalClickhouseType } from './spec/clickhouseTypes';
import { escapeQuoted } from './spec/sqlText';

/**
 * The one way a name reaches SQL: in backticks, with backslash, backtick and control characters
 * escaped, so whatever the text, it stays one identifier. (Names are also checked against
 * NAME_RULE by the validator; this holds without that check.)
 */
export const quoteIdent = (name: string): string => escapeQuoted(name, '`');
/** A string literal, for engine arguments. */
export const quoteString = (text: string): string => escapeQuoted(text, "'");
export const tableRef = (spec: PipelineSpec) => `${quoteIdent(spec.sink.clickhouse.database)}.${quoteIdent(spec.sink.clickhouse.table)}`;

/** The CREATE TABLE of a sink table; `settings`: its SETTINGS clause for the server (core/serverVersion.ts createTableSettings). */
export function createTableSql(spec: PipelineSpec, settings = ''): string {
  const ct = spec.sink.createTable;
  if (!ct) throw new Error('sink.createTable is not set');
  // every type is printed from its parsed form (core/spec/clickhouseTypes.ts), never copied from the spec: no SQL gets in
  const cols = expectedColumns(spec).map((c) => {
    if (canonicalClickhouseType(c.type) !== c.type) throw new Error(`sink.columns: unsupported ClickHouse type "${c.type}"`);
    return `  ${quoteIdent(c.name)} ${c.type}`;
  });
  return [
    `CREATE TABLE IF NOT EXISTS ${tableRef(spec)} (`,
    cols.join(',\n'),
    `) ENGINE = ${engineSql(ct.engine)}`,
    ct.partitionBy !== undefined ? `PARTITION BY ${keySql(ct.partitionBy)}` : '',
    `ORDER BY (${ct.orderBy.map(keySql).join(', ')})`,
    settings,
  ].filter(Boolean).join('\n');
}

const parsed = <T>(v: T | string, what: string): T => {
  if (typeof v === 'string') throw new Error(`${what}: ${v}`);
  return v;
};

/** An orderBy / partitionBy entry, written from its parsed form. */
function keySql(text: string): string {
  const e: KeyExpression = parsed(parseKeyExpression(text), `sink.createTable key "${text}"`);
  return e.fn ? `${e.fn}(${quoteIdent(e.column)})` : quoteIdent(e.column);
}

/** The engine's name ("ReplicatedMergeTree" of "ReplicatedMergeTree('/t', '{replica}')"). */
export const engineNameOf = (text: string): string => parsed(parseEngine(text), 'sink.createTable.engine').name;

function engineSql(text: string): string {
  const e = parsed(parseEngine(text), 'sink.createTable.engine');
  return `${e.name}(${e.args.map((a) => ('text' in a ? quoteString(a.text) : quoteIdent(a.column))).join(', ')})`;
}

/** Columns the sink writes, by name and type (as DESCRIBE TABLE prints it), for checking an existing table. */
export function expectedColumns(spec: PipelineSpec): Array<{ name: string; type: string }> {
  return [...resolveColumns(spec).map((c) => ({ name: c.name, type: canonicalClickhouseType(c.type) ?? c.type })), { name: BATCH_COLUMN, type: 'UInt64' }];
}

/**
 * The Null-engine copy of the sink table that rows are tried against to find the ones the server
 * refuses, named by the table's columns (`structure`: DESCRIBE TABLE's names and types): a probe
 * left by a table of the same name with other columns (a pipeline deleted and created again) would
 * skip the fields it lacks and accept rows the table refuses.
 */
export function probeTable(spec: PipelineSpec, structure: string): { ref: string; createSql: string } {
  const ref = `${quoteIdent(spec.sink.clickhouse.database)}.${quoteIdent(`_sluice_probe_${spec.sink.clickhouse.table}_${createHash('sha256').update(structure).digest('hex').slice(0, 12)}`)}`;
  return { ref, createSql: `CREATE TABLE IF NOT EXISTS ${ref} AS ${tableRef(spec)} ENGINE = Null` };
}

/** What an existing table lacks for the spec's columns ("name Type (table has ...)"), from DESCRIBE TABLE. */
export function columnMismatches(spec: PipelineSpec, have: ReadonlyMap<string, string>): string[] {
  const canonical = (t: string | undefined) => (t === undefined ? undefined : canonicalClickhouseType(t) ?? t);
  return expectedColumns(spec)
    .filter((c) => canonical(have.get(c.name)) !== c.type)
    .map((c) => `${c.name} ${c.type} (table has ${have.get(c.name) ?? 'no such column'})`);
}
