// The dry run's second half: does the Kafka topic exist, and would the ClickHouse table take the rows?
// Read-only: metadata and DESCRIBE, nothing is created.
import type { PipelineSpec, Secret } from '../core/spec/schema';
import type { SpecProblem } from '../core/spec/problem';
import { columnMismatches, tableRef } from '../core/ddl';
import type { Admin } from 'kafkajs';
import { clickhouseFor, kafkaFor } from '../runtime/connections';
import { withTimeout } from '../runtime/withTimeout';


/**
 * Secrets given as { env: NAME } that this process lacks: the worker resolves them, where they
 * must be set; the API needs them too only to try the connection here. A problem, not an error.
 */
function missingSecrets(spec: PipelineSpec, which: 'sink' | number): SpecProblem[] {
  const refs: Array<[string, Secret | undefined]> = [];
  if (which === 'sink') refs.push(['sink.clickhouse.password', spec.sink.clickhouse.password]);
  else {
    const k = spec.sources[which].kafka;
    if (k.sasl) refs.push([`sources[${which}].kafka.sasl.password`, k.sasl.password]);
    if (k.tls?.enabled) refs.push([`sources[${which}].kafka.tls.key`, k.tls.key]);
  }
  return refs.flatMap(([path, s]) => (s !== undefined && typeof s !== 'string' && process.env[s.env] === undefined
    ? [{ path, message: `environment variable ${s.env} is not set in the API process, so this connection was not checked; the secret is resolved where the worker runs: set ${s.env} there (and here too, to check the connection)` }]
    : []));
}

async function checkSource(spec: PipelineSpec, i: number): Promise<SpecProblem[]> {
  const k = spec.sources[i].kafka;
  const missing = missingSecrets(spec, i);
  if (missing.length) return missing;
  let admin: Admin;
  try {
    admin = kafkaFor(spec, i).admin();
  } catch (e) {
    // e.g. a TLS file that cannot be read
    return [{ path: `sources[${i}].kafka.tls`, message: (e as Error).message }];
  }
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
  const missing = missingSecrets(spec, 'sink');
  if (missing.length) return missing;
  const ch = clickhouseFor(spec);
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
