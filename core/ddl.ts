// ClickHouse DDL for the sink table. Kept to syntax ClickHouse 18.16 accepts, which current versions accept too.
import type { PipelineSpec } from './spec/schema';
import { resolveColumns, BATCH_COLUMN } from './spec/columns';

export const quoteIdent = (name: string) => `\`${name.replace(/`/g, '\\`')}\``;
export const tableRef = (spec: PipelineSpec) => `${quoteIdent(spec.sink.clickhouse.database)}.${quoteIdent(spec.sink.clickhouse.table)}`;

export function createTableSql(spec: PipelineSpec): string {
  const ct = spec.sink.createTable;
  if (!ct) throw new Error('sink.createTable is not set');
  const cols = resolveColumns(spec).map((c) => `  ${quoteIdent(c.name)} ${c.type}`);
  cols.push(`  ${quoteIdent(BATCH_COLUMN)} UInt64`);
  const engine = /\(/.test(ct.engine) ? ct.engine : `${ct.engine}()`;
  return [
    `CREATE TABLE IF NOT EXISTS ${tableRef(spec)} (`,
    cols.join(',\n'),
    `) ENGINE = ${engine}`,
    ct.partitionBy ? `PARTITION BY ${ct.partitionBy}` : '',
    `ORDER BY (${ct.orderBy.join(', ')})`,
  ].filter(Boolean).join('\n');
}

/** Columns the sink writes, by name and type, for checking an existing table. */
export function expectedColumns(spec: PipelineSpec): Array<{ name: string; type: string }> {
  return [...resolveColumns(spec).map((c) => ({ name: c.name, type: c.type })), { name: BATCH_COLUMN, type: 'UInt64' }];
}

/** A Null-engine twin of the sink table, used to find which rows ClickHouse would refuse. */
export const probeTableRef = (spec: PipelineSpec) => `${quoteIdent(spec.sink.clickhouse.database)}.${quoteIdent(`_sluice_probe_${spec.sink.clickhouse.table}`)}`;
export const probeTableSql = (spec: PipelineSpec) => `CREATE TABLE IF NOT EXISTS ${probeTableRef(spec)} AS ${tableRef(spec)} ENGINE = Null`;

/** What an existing table lacks for the spec's columns ("name Type (table has ...)"), from DESCRIBE TABLE. */
export function columnMismatches(spec: PipelineSpec, have: ReadonlyMap<string, string>): string[] {
  return expectedColumns(spec)
    .filter((c) => have.get(c.name) !== c.type)
    .map((c) => `${c.name} ${c.type} (table has ${have.get(c.name) ?? 'no such column'})`);
}
