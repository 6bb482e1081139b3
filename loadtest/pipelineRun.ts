// One load scenario end to end: a fresh topic and table, the pipeline, the events, and exact
// verification in ClickHouse. Used by the demo and `npm run bench`; `npm run loadtest` (run.ts)
// shares its reset and start.
import type { Kafka } from 'kafkajs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { PipelineService } from '../client/pipelines';
import type { PipelineSpec } from '../core/spec/schema';
import { tableRef } from '../core/ddl';
import { purchaseEvents, type ScenarioOptions } from './seedEvents';
import { deleteTopics, kafkaClient, produceAtRate, recordsHeld, recreateTopic } from './kafka';
import { copiesOf, runIsExact, type RunCounts } from './verdict';
import { clickhouse, countDistinct, countRows, latencies, watchRows } from './clickhouse';
import { percentile } from './metrics';
import { cpuSeconds, peakRssMiB } from './procstat';

export interface ScenarioRun {
  spec: PipelineSpec;
  events: ScenarioOptions;
  /** events per second; Infinity = as fast as the producer can */
  rate: number;
  partitions: number;
  /** put every event in Kafka before the pipeline starts (measures catch-up throughput) */
  preload?: boolean;
  /** the worker process to measure */
  workerPid?: number;
  /** more processes to measure (name -> pid): CPU per 1,000 events and peak RSS of each */
  processes?: Record<string, number>;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** The run's counts (what its verdict reads: loadtest/verdict.ts) and its measurements. */
export interface ScenarioResult extends RunCounts {
  sendSeconds: number;
  /** from the first event sent (or the pipeline start, with preload) until every row is visible */
  totalSeconds: number;
  /** from the last event acknowledged by Kafka until every row is visible */
  afterLastEventSeconds: number;
  eventsPerSecond: number;
  latencyMs?: { p50: number; p95: number; p99: number };
  cpuSecondsPer1000?: number;
  workerPeakRssMiB?: number;
  /** per process of `processes`: CPU seconds per 1,000 events, peak RSS (MiB, since the process started) */
  byProcess?: Record<string, { cpuSecondsPer1000: number; peakRssMiB: number }>;
  /** monotonic µs (process.hrtime) from the start (the pipeline's, with preload) to the end of the measurement: the window of a worker CPU profile */
  measuredUs: [number, number];
  ok: boolean;
}

/** Removes a previous run: the pipeline (its streams and consumer groups), the table, and every source topic, made anew. */
export async function resetPipeline(svc: PipelineService, spec: PipelineSpec, kafka: Kafka, ch: ClickHouseClient, partitions: number): Promise<void> {
  await svc.delete(spec.name, spec).catch(() => undefined);
  await ch.command({ query: `DROP TABLE IF EXISTS ${tableRef(spec)}` });
  for (const s of spec.sources) await recreateTopic(kafka, s.kafka.topic, partitions);
}

/**
 * After a bench run: the pipeline (its streams, which reserve JetStream's store, and consumer
 * groups) and its source topics are removed; the table stays to be looked at. A run with a new
 * --tag each time would otherwise leave all of them behind.
 */
export async function removeRun(svc: PipelineService, spec: PipelineSpec): Promise<void> {
  await svc.delete(spec.name, spec).catch(() => undefined);
  await deleteTopics(kafkaClient(spec.sources[0].kafka.brokers), spec.sources.map((s) => s.kafka.topic));
}

export async function startPipeline(svc: PipelineService, spec: PipelineSpec): Promise<void> {
  await svc.create(spec);
  const s = await svc.waitFor(spec.name, (x) => x.status === 'RUNNING' || x.status === 'FAILED', 60_000);
  if (s.status === 'FAILED') throw new Error(`pipeline ${spec.name} failed to start: ${s.error ?? 'see the worker log'}`);
}

export async function runScenario(svc: PipelineService, run: ScenarioRun): Promise<ScenarioResult> {
  const { spec } = run;
  const log = run.log ?? (() => undefined);
  const src = spec.sources[0].kafka;
  const table = tableRef(spec);
  const ch = clickhouse(spec.sink.clickhouse.url);
  const kafka = kafkaClient(src.brokers);
  try {
    log(`removing the previous run of ${spec.name} (pipeline, topic, table)`);
    await resetPipeline(svc, spec, kafka, ch, run.partitions);
    const events = [...purchaseEvents(run.events, spec.name)];
    const unique = events.filter((e) => e.unique).length;
    const malformedExpected = events.filter((e) => e.malformed).length;
    const uniqueIndex = events.flatMap((e, i) => (e.unique ? [i] : []));

    const start = () => startPipeline(svc, spec);
    if (!run.preload) await start();
    const rateText = Number.isFinite(run.rate) ? `${run.rate}/s` : 'full speed';
    log(`sending ${events.length} events (${unique} unique) at ${rateText} to ${src.topic} (${run.partitions} partitions)`);
    const cpu0 = run.workerPid ? cpuSeconds(run.workerPid) : 0;
    const procs = Object.entries(run.processes ?? {});
    const procCpu0 = procs.map(([, pid]) => cpuSeconds(pid));
    const t0 = Date.now();
    const nowUs = () => Number(process.hrtime.bigint() / 1000n);
    let fromUs = nowUs();
    const watching = run.preload ? undefined : watchRows(ch, table, unique, run.timeoutMs ?? 600_000, 100);
    const sent = await produceAtRate(kafka, src.topic, events, run.rate);
    const held = await recordsHeld(kafka, src.topic);
    if (held !== sent.sent) log(`Kafka holds ${held} records for ${sent.sent} events sent: the producer wrote ${held - sent.sent} of them twice (retries)`);
    let begin = t0;
    let samples: Array<[number, number]>;
    if (run.preload) {
      log(`preloaded in ${sent.seconds.toFixed(1)} s; starting the pipeline`);
      begin = Date.now();
      fromUs = nowUs();
      await start();
      samples = await watchRows(ch, table, unique, run.timeoutMs ?? 600_000, 100);
    } else {
      samples = await watching!;
    }
    const visibleAt = samples[samples.length - 1][0];
    const final = await svc.waitFor(spec.name, (s) => (s.sink.read ?? 0) >= held, 30_000).catch(() => svc.status(spec.name));
    const cpu = run.workerPid ? cpuSeconds(run.workerPid) - cpu0 : undefined;
    const byProcess = Object.fromEntries(procs.map(([name, pid], i) => [name, { cpuSecondsPer1000: ((cpuSeconds(pid) - procCpu0[i]) / held) * 1000, peakRssMiB: peakRssMiB(pid) }]));
    const measuredUs: [number, number] = [fromUs, nowUs()];
    const rows = await countRows(ch, table);
    const distinct = await countDistinct(ch, table, 'event_id');
    const c = final.sink;
    const lat = run.preload ? undefined : latencies(uniqueIndex.map((i) => sent.ackedAt[i]), samples).sort((a, b) => a - b);
    const lastAck = sent.ackedAt.reduce((a, b) => Math.max(a, b), 0);
    return {
      sent: sent.sent,
      held,
      unique,
      malformedExpected,
      rows,
      distinct,
      counters: c,
      sendSeconds: sent.seconds,
      totalSeconds: (visibleAt - begin) / 1000,
      afterLastEventSeconds: (visibleAt - lastAck) / 1000,
      eventsPerSecond: held / ((visibleAt - begin) / 1000),
      latencyMs: lat && { p50: Math.round(percentile(lat, 50)), p95: Math.round(percentile(lat, 95)), p99: Math.round(percentile(lat, 99)) },
      cpuSecondsPer1000: cpu === undefined ? undefined : (cpu / held) * 1000,
      workerPeakRssMiB: run.workerPid ? peakRssMiB(run.workerPid) : undefined,
      ...(procs.length ? { byProcess } : {}),
      measuredUs,
      ok: runIsExact({ sent: sent.sent, held, unique, malformedExpected, rows, distinct, counters: c }),
    };
  } finally {
    await ch.close();
  }
}

export function printResult(r: ScenarioResult, print: (s: string) => void = console.log): void {
  const c = r.counters;
  print(`  events sent          ${r.sent}`);
  if (r.held !== r.sent) print(`  records in Kafka     ${r.held}   (the producer wrote ${r.held - r.sent} sends twice: each copy must be a duplicate or, of a malformed event, a DLQ entry)`);
  print(`  unique expected      ${r.unique}`);
  print(`  rows in ClickHouse   ${r.rows}   (distinct event_id: ${r.distinct})`);
  const extra = copiesOf(r.sent, r.held);
  print(`  duplicates dropped   ${c.duplicates ?? 0}   (expected ${r.sent - r.unique - r.malformedExpected}${extra > 0 ? ` plus up to ${extra} copies` : ''})`);
  print(`  dlq                  ${c.dlq ?? 0}   (expected ${r.malformedExpected}${extra > 0 ? ` plus up to ${extra} copies` : ''})`);
  print(`  read = inserted + duplicates + dlq:  ${c.read} = ${c.inserted} + ${c.duplicates} + ${c.dlq}`);
  print(`  time                 ${r.totalSeconds.toFixed(1)} s (sending took ${r.sendSeconds.toFixed(1)} s; exact ${r.afterLastEventSeconds.toFixed(2)} s after the last event)`);
  print(`  throughput           ${Math.round(r.eventsPerSecond)} events/s end to end`);
  if (r.latencyMs) print(`  latency (produce → visible in ClickHouse)  p50 ${r.latencyMs.p50} ms  p95 ${r.latencyMs.p95} ms  p99 ${r.latencyMs.p99} ms`);
  if (r.cpuSecondsPer1000 !== undefined) print(`  worker CPU           ${r.cpuSecondsPer1000.toFixed(3)} s per 1,000 events (${(r.cpuSecondsPer1000 * 1000).toFixed(1)} µs per event)`);
  if (r.workerPeakRssMiB !== undefined) print(`  worker peak memory   ${r.workerPeakRssMiB.toFixed(0)} MiB RSS`);
  print(r.ok ? '  result               OK: one row per unique event, counters reconcile' : '  result               MISMATCH: see the figures above');
}
