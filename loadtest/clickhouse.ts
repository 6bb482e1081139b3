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

export interface RowWatch {
  /** stop once the table holds this many rows (it may grow while events are still being sent) */
  target(): number;
  /** ...or at this time (ms) */
  deadline(): number;
  everyMs: number;
  onSample?(rows: number): void;
}

/**
 * Samples the row count until the watch's target or deadline; the samples date each row's arrival.
 * A count of -1 means ClickHouse did not answer (down or restarting), not an empty table.
 */
export async function sampleRows(ch: ClickHouseClient, table: string, w: RowWatch): Promise<Array<[number, number]>> {
  const samples: Array<[number, number]> = [];
  for (;;) {
    const n = await countRows(ch, table).catch(() => -1);
    samples.push([Date.now(), n]);
    if (n >= 0) w.onSample?.(n);
    if (n >= w.target() || Date.now() > w.deadline()) return samples;
    await new Promise((r) => setTimeout(r, w.everyMs));
  }
}

/** Samples the row count every `everyMs` until it reaches `target` or `timeoutMs` passes. */
export function watchRows(ch: ClickHouseClient, table: string, target: number, timeoutMs: number, everyMs = 100): Promise<Array<[number, number]>> {
  const until = Date.now() + timeoutMs;
  return sampleRows(ch, table, { target: () => target, deadline: () => until, everyMs });
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
