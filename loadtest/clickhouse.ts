// ClickHouse checks of the load generator: exact counts, and when rows became visible.
import { createClient, type ClickHouseClient } from '@clickhouse/client';

export const clickhouse = (url: string) => createClient({ url, request_timeout: 60_000 });

export async function scalar(ch: ClickHouseClient, query: string): Promise<number> {
  const rs = await ch.query({ query, format: 'JSONEachRow' });
  const [row] = await rs.json<Record<string, string | number>>();
  return Number(Object.values(row ?? { n: 0 })[0]);
}

export const countRows = (ch: ClickHouseClient, table: string) => scalar(ch, `SELECT count() FROM ${table}`);
export const countDistinct = (ch: ClickHouseClient, table: string, column: string) => scalar(ch, `SELECT uniqExact(${column}) FROM ${table}`);

/** Samples the row count every `everyMs` until it reaches `target` or `timeoutMs` passes. */
export async function watchRows(ch: ClickHouseClient, table: string, target: number, timeoutMs: number, everyMs = 100): Promise<Array<[number, number]>> {
  const samples: Array<[number, number]> = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const n = await countRows(ch, table).catch(() => 0);
    samples.push([Date.now(), n]);
    if (n >= target || Date.now() > until) return samples;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * End-to-end latency per unique row: the time the row count first reached k, minus the time
 * the k-th unique event was acknowledged by Kafka. Exact for one partition, an estimate for several.
 */
export function latencies(uniqueAckedAt: number[], samples: Array<[number, number]>): number[] {
  const out: number[] = [];
  let s = 0;
  for (let k = 0; k < uniqueAckedAt.length; k++) {
    while (s < samples.length && samples[s][1] < k + 1) s++;
    if (s >= samples.length) break;
    out.push(Math.max(0, samples[s][0] - uniqueAckedAt[k]));
  }
  return out;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
