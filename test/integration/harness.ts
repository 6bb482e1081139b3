// What the integration tests share: the real services from `npm run stack -- up`, a worker
// process, and helpers to build a pipeline, send events and read the results.
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { connect, type NatsConnection } from 'nats';
import type { Kafka } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import { PipelineService } from '../../client/pipelines';
import { settings } from '../../runtime/settings';
import type { PipelineSpecInput } from '../../core/spec/schema';
import type { PipelineState } from '../../workflows/signals';
import { kafkaClient, recreateTopic } from '../../loadtest/kafka';
import { clickhouse, scalar } from '../../loadtest/clickhouse';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackDir, startWorker, waitForPollers } from '../../loadtest/localWorker';

export const DB = 'sluice_test';
export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

export interface Harness {
  svc: PipelineService;
  taskQueue: string;
  kafka: Kafka;
  ch: ClickHouseClient;
  nc: NatsConnection;
  workers: ChildProcess[];
  startWorker(): ChildProcess;
  close(): Promise<void>;
}

/** Each test file gets its own task queue, so no other worker on the machine runs its stages. */
export async function openHarness(workerEnv: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const taskQueue = uniqueName('sluice-test');
  const ch = clickhouse(settings.clickhouseUrl);
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
  const workers: ChildProcess[] = [];
  const h: Harness = {
    svc: await PipelineService.connect(taskQueue),
    taskQueue,
    kafka: kafkaClient(settings.kafkaBrokers),
    ch,
    nc: await connect({ servers: settings.natsUrl }),
    workers,
    startWorker() {
      const w = startWorker('test-worker', { ...workerEnv, SLUICE_TASK_QUEUE: taskQueue });
      workers.push(w);
      return w;
    },
    async close() {
      await killWorkers(h, 'SIGTERM');
      await h.svc.close();
      await ch.close();
      await h.nc.drain();
    },
  };
  h.startWorker();
  await waitForPollers(taskQueue);
  return h;
}

/** A purchase pipeline reading `topic` into sluice_test.<table>; `over` replaces parts of it. */
export function purchaseSpec(name: string, topic: string, over: { dedup?: unknown; batch?: unknown; fields?: Record<string, string> } = {}): PipelineSpecInput {
  return {
    version: 1,
    name,
    sources: [{
      name: 'purchases',
      kafka: { brokers: settings.kafkaBrokers, topic, startFrom: 'earliest' },
      schema: {
        fields: over.fields ?? { event_id: 'string', user_id: 'string', amount: 'float64', ts: 'datetime', _event_source_: 'string' },
        eventTime: 'ts',
      },
      dedup: (over.dedup ?? { key: { ignore: ['_event_source_'] }, window: '1h', time: 'arrival' }) as never,
    }],
    sink: {
      clickhouse: { url: settings.clickhouseUrl, database: DB, table: name.replace(/-/g, '_') },
      createTable: { engine: 'MergeTree', orderBy: ['event_id'] },
      batch: (over.batch ?? { maxRows: 5000, maxDelay: '200ms' }) as never,
    },
  };
}

/** Each start of a pipeline's sink stage, as its "sink recovered" log line in the test worker's log says (batch, snapshotBatch, ...). */
export function sinkStarts(name: string): Array<{ batch: number; snapshotBatch: number; attempt: number }> {
  return readFileSync(join(stackDir, 'logs', 'test-worker.log'), 'utf8').split('\n')
    .filter((l) => l.includes('"sink recovered"') && l.includes(`"pipeline":"${name}"`))
    .map((l) => JSON.parse(l) as { batch: number; snapshotBatch: number; attempt: number });
}

/** Sends every live worker of the harness `signal` (SIGKILL: a crash; SIGTERM: a shutdown) and waits until each has exited. */
export async function killWorkers(h: Harness, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  const alive = h.workers.filter((w) => w.exitCode === null && w.signalCode === null);
  for (const w of alive) w.kill(signal);
  await Promise.all(alive.map((w) => new Promise((r) => w.once('exit', r))));
}

export const tableOf = (name: string) => `${DB}.${name.replace(/-/g, '_')}`;

export type Value = string | Buffer | null | Record<string, unknown>;
const encodeValue = (v: Value) => (v === null || typeof v === 'string' || Buffer.isBuffer(v) ? v : JSON.stringify(v));

/** Sends `values` to `topic` in chunks (acks from all replicas); `pauseMs` between chunks paces a long run. */
export async function send(h: Harness, topic: string, values: Value[], { partition, chunk = 5000, pauseMs = 0 }: { partition?: number; chunk?: number; pauseMs?: number } = {}): Promise<void> {
  const p = h.kafka.producer();
  await p.connect();
  try {
    for (let i = 0; i < values.length; i += chunk) {
      if (i > 0 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      await p.send({ topic, acks: -1, messages: values.slice(i, i + chunk).map((v) => ({ value: encodeValue(v), partition })) });
    }
  } finally {
    await p.disconnect();
  }
}

export const purchase = (id: string, source = 'frontend-web', extra: Record<string, unknown> = {}) =>
  ({ event_id: id, user_id: 'u1', amount: 9.99, ts: '2026-11-29T12:00:00Z', _event_source_: source, ...extra });

export async function newTopic(h: Harness, topic: string, partitions = 1): Promise<void> {
  await recreateTopic(h.kafka, topic, partitions);
}

export const rows = (h: Harness, name: string) => scalar(h.ch, `SELECT count() FROM ${tableOf(name)}`);

/** Waits until the pipeline's table holds at least `atLeast` rows; returns the count (lower if `timeoutMs` passed first). */
/** Polls `fn` until it returns something truthy, and returns that. */
export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function untilRows(h: Harness, name: string, atLeast: number, timeoutMs = 180_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await rows(h, name).catch(() => 0);
    if (n >= atLeast || Date.now() > end) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until the sink has read `read` events, and returns the state. */
export function untilRead(h: Harness, name: string, read: number, timeoutMs = 60_000): Promise<PipelineState> {
  return h.svc.waitFor(name, (s) => (s.sink.read ?? 0) >= read && s.sink.inserted !== undefined, timeoutMs);
}

export async function createRunning(h: Harness, spec: PipelineSpecInput): Promise<void> {
  await h.svc.create(spec);
  await h.svc.waitFor(spec.name, (s) => s.status === 'RUNNING' && s.sink.read !== undefined, 60_000);
}

export async function removePipeline(h: Harness, spec: PipelineSpecInput): Promise<void> {
  await h.svc.delete(spec.name).catch(() => undefined);
}
