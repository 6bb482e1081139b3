// The dry run's second half: does the Kafka topic exist, and would the ClickHouse table take the rows?
// Read-only: metadata and DESCRIBE, nothing is created.
import type { PipelineSpec } from '../core/spec/schema';
import type { SpecProblem } from '../core/spec/validate';
import { columnMismatches, tableRef } from '../core/ddl';
import { clickhouseFor, kafkaFor } from '../activities/connections';

export const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${what}: no answer within ${ms / 1000}s`)), ms))]);

async function checkSource(spec: PipelineSpec, i: number): Promise<SpecProblem[]> {
  const k = spec.sources[i].kafka;
  const admin = kafkaFor(spec, i).admin();
  try {
    await withTimeout(admin.connect(), 5000, 'connect');
    const topics = await withTimeout(admin.listTopics(), 5000, 'list topics');
    return topics.includes(k.topic) ? [] : [{ path: `sources[${i}].kafka.topic`, message: `topic "${k.topic}" does not exist on ${k.brokers.join(',')}` }];
  } catch (e) {
    return [{ path: `sources[${i}].kafka.brokers`, message: `cannot reach Kafka at ${k.brokers.join(',')}: ${(e as Error).message}` }];
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function checkSink(spec: PipelineSpec): Promise<SpecProblem[]> {
  const c = spec.sink.clickhouse;
  let ch;
  try {
    ch = clickhouseFor(spec);
  } catch (e) {
    return [{ path: 'sink.clickhouse.password', message: (e as Error).message }];
  }
  try {
    const exists = await withTimeout(ch.query({ query: `EXISTS TABLE ${tableRef(spec)}`, format: 'JSONEachRow' }).then((r) => r.json<Record<string, number | string>>()), 5000, 'EXISTS TABLE');
    if (Number(Object.values(exists[0] ?? {})[0] ?? 0) !== 1) {
      return spec.sink.createTable ? [] : [{ path: 'sink.clickhouse.table', message: `table ${c.database}.${c.table} does not exist; set sink.createTable to create it` }];
    }
    const rs = await ch.query({ query: `DESCRIBE TABLE ${tableRef(spec)}`, format: 'JSONEachRow' });
    const have = new Map((await rs.json<{ name: string; type: string }>()).map((r) => [r.name, r.type]));
    return columnMismatches(spec, have).map((m) => ({ path: 'sink.columns', message: `table ${c.database}.${c.table} does not take the mapping: ${m}` }));
  } catch (e) {
    return [{ path: 'sink.clickhouse.url', message: `cannot query ClickHouse at ${c.url}: ${(e as Error).message}` }];
  } finally {
    await ch.close();
  }
}

export async function checkConnections(spec: PipelineSpec): Promise<SpecProblem[]> {
  const all = await Promise.all([...spec.sources.map((_, i) => checkSource(spec, i)), checkSink(spec)]);
  return all.flat();
}
