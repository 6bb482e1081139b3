// What the ClickHouse server behind a client is, asked once per client: its version decides
// which settings and syntax Sluice may use (18.16 knows neither SYNC nor async_insert).
import type { ClickHouseClient } from '@clickhouse/client';
import { parseServerVersion, type ServerVersion } from '../core/serverVersion';

const known = new WeakMap<ClickHouseClient, Promise<ServerVersion>>();

export function serverOf(ch: ClickHouseClient): Promise<ServerVersion> {
  let s = known.get(ch);
  if (!s) {
    s = ch.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })
      .then((rs) => rs.json<{ v: string }>())
      .then(([row]) => parseServerVersion(row.v));
    s.catch(() => known.delete(ch));
    known.set(ch, s);
  }
  return s;
}

/** Settings for Sluice's own INSERTs: synchronous where the server could buffer them (async_insert, from 21.11). */
export async function insertSettings(ch: ClickHouseClient): Promise<Record<string, 0 | 1>> {
  return (await serverOf(ch)).atLeast(21, 11) ? { async_insert: 0 } : {};
}
