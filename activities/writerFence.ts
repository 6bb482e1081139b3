// Runs the writer fence of core/fence.ts against ClickHouse: take over (drop every fence of the
// pipeline, waiting for INSERTs still running through them), then open this writer's own.
import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PipelineSpec } from '../core/spec/schema';
import { createFenceSql, dropFenceSql, dropOrder, fenceInputRef, fenceOf, isAnyFenceOf, isFenceOf, listFencesSql } from '../core/fence';
import { serverOf } from './clickhouseServer';

/**
 * Drops every fence of the pipeline's shard (`shard` undefined: unsharded; 'all': every shard's, for
 * teardown); when it returns, no earlier writer of that shard can insert a row any more.
 */
export async function takeOver(ch: ClickHouseClient, spec: PipelineSpec, shard?: number | 'all'): Promise<string[]> {
  const { atLeast } = await serverOf(ch);
  const rs = await ch.query({ query: listFencesSql(spec), format: 'JSONEachRow' });
  const mine = (n: string) => (shard === 'all' ? isAnyFenceOf(spec, n) : isFenceOf(spec, n, shard));
  const names = (await rs.json<{ name: string }>()).map((r) => r.name).filter(mine);
  for (const name of dropOrder(names)) await ch.command({ query: dropFenceSql(spec, name, atLeast(20, 1)) });
  return names;
}

/** Opens this writer's fence; returns the table reference its INSERTs go to. */
export async function openFence(ch: ClickHouseClient, spec: PipelineSpec, shard?: number): Promise<string> {
  const fence = fenceOf(spec, `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`, shard);
  for (const query of createFenceSql(spec, fence)) await ch.command({ query });
  return fenceInputRef(spec, fence);
}
