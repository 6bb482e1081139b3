// The writer fence: the only way a sink writer puts rows into the sink table is through its own
// pair of objects in ClickHouse, a Null-engine input table and a materialized view from it TO
// the sink table. A sink taking over drops every such pair of its pipeline before it counts what
// the last journaled batch inserted. ClickHouse's DROP waits for INSERTs that are running into
// the table, and an INSERT that arrives later finds no table, so after the DROP no older writer
// (frozen, partitioned, paused by GC) can add a row: the count is final. See README "Delivery
// guarantees". Pure: names and SQL only; activities/writerFence.ts runs them.
import type { PipelineSpec } from './spec/schema';
import { quoteIdent, quoteString, tableRef } from './ddl';

const INPUT = '_sluice_w_';
const VIEW = '_sluice_v_';

/** The pipeline part of a fence's names (pipeline names are DNS-safe: a-z, 0-9 and "-"). */
const pipelineToken = (spec: PipelineSpec) => spec.name.replace(/-/g, '_');

export interface Fence {
  /** where the writer inserts: a Null-engine table with the sink table's columns */
  input: string;
  /** the materialized view that carries every inserted block into the sink table */
  view: string;
}

/**
 * The name prefixes of a shard's fences: `_sluice_w_` / `_sluice_v_` for an unsharded pipeline
 * (the names of before sharding), `_sluice_w<k>_` / `_sluice_v<k>_` for shard k of a sharded one,
 * so one shard's takeover drops only its own fences (no pipeline name can make one look like another's).
 */
const prefixesOf = (shard: number | undefined) => (shard === undefined ? [INPUT, VIEW] : [`_sluice_w${shard}_`, `_sluice_v${shard}_`]);

/** A new fence of this pipeline (of one shard of it); `epoch` is unique per writer (letters and digits). */
export function fenceOf(spec: PipelineSpec, epoch: string, shard?: number): Fence {
  if (!/^[a-z0-9]+$/.test(epoch)) throw new Error(`fence epoch must be lowercase letters and digits, got ${JSON.stringify(epoch)}`);
  const p = pipelineToken(spec);
  const [input, view] = prefixesOf(shard);
  return { input: `${input}${p}_${epoch}`, view: `${view}${p}_${epoch}` };
}

/** True for the names of this pipeline's fences (inputs and views) of this shard (undefined: unsharded), whoever made them. */
export function isFenceOf(spec: PipelineSpec, table: string, shard?: number): boolean {
  const p = `${pipelineToken(spec)}_`;
  for (const prefix of prefixesOf(shard)) {
    if (table.startsWith(prefix + p) && /^[a-z0-9]+$/.test(table.slice(prefix.length + p.length))) return true;
  }
  return false;
}

/** True for the fences of any shard of this pipeline, or of it unsharded (teardown drops them all). */
export function isAnyFenceOf(spec: PipelineSpec, table: string): boolean {
  const shard = /^_sluice_[wv](\d+)_/.exec(table)?.[1];
  return isFenceOf(spec, table, shard === undefined ? undefined : Number(shard));
}

const ref = (spec: PipelineSpec, name: string) => `${quoteIdent(spec.sink.clickhouse.database)}.${quoteIdent(name)}`;

/** The fence's input table as a table reference for INSERT. */
export const fenceInputRef = (spec: PipelineSpec, f: Fence) => ref(spec, f.input);

/** The statements that create a fence, in order (the input first: the view reads from it). */
export function createFenceSql(spec: PipelineSpec, f: Fence): string[] {
  return [
    `CREATE TABLE ${ref(spec, f.input)} AS ${tableRef(spec)} ENGINE = Null`,
    `CREATE MATERIALIZED VIEW ${ref(spec, f.view)} TO ${tableRef(spec)} AS SELECT * FROM ${ref(spec, f.input)}`,
  ];
}

/**
 * Drops one fence object. `sync` (servers from 20.x on, where DROP of an Atomic database's table
 * returns at once) makes the DROP wait until no query uses the table; 18.x's DROP always waits.
 */
export const dropFenceSql = (spec: PipelineSpec, name: string, sync: boolean) => `DROP TABLE IF EXISTS ${ref(spec, name)}${sync ? ' SYNC' : ''}`;

/** The query listing candidate fence names in the sink database (filtered exactly by isFenceOf). */
export const listFencesSql = (spec: PipelineSpec) =>
  // LIKE's "_" matches any character, so these also list the shards' `_sluice_w<k>_` fences
  `SELECT name FROM system.tables WHERE database = ${quoteString(spec.sink.clickhouse.database)} AND (name LIKE '${INPUT}%' OR name LIKE '${VIEW}%')`;

/** Inputs before views: dropping the input first makes any INSERT still on its way fail, and waits for those running. */
export function dropOrder(names: string[]): string[] {
  const isInput = (n: string) => /^_sluice_w\d*_/.test(n);
  return [...names].sort((a, b) => Number(isInput(b)) - Number(isInput(a)) || a.localeCompare(b));
}
