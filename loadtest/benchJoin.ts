// The join scenario (loadtest/joinDataset.ts) run end to end at a paced rate (the benchmark's
// join scenario and `npm run demo -- join`), with event
// time running at the pace of the clock (so the 10 s windows and the payment delays of up to
// 3 s are real seconds). Prints joined rows/s, latency (purchase acknowledged by Kafka -> its
// row visible in ClickHouse, which includes waiting for the payment or for the window to close),
// worker CPU and memory, and the bytes of join state per buffered event.
import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelineService } from '../client/pipelines';
import type { PipelineSpec } from '../core/spec/schema';
import { mustValidateSpec } from '../core/spec/validate';
import { tableRef } from '../core/ddl';
import { joinPlan } from '../core/join/plan';
import { JoinState } from '../core/join/joinState';
import { settings } from '../runtime/settings';
import { JOINED_ROWS_SQL, diffJoined, joinScenario, joinScenarioSpec, type ExpectedRow } from './joinDataset';
import { kafkaClient, kafkaSender, recreateTopic } from './kafka';
import { clickhouse, latencies, watchRows } from './clickhouse';
import { percentile } from './metrics';
import { cpuSeconds, peakRssMiB } from './procstat';
import { removeRun, startPipeline } from './pipelineRun';

export interface JoinBenchResult {
  events: number;
  expectedRows: number;
  rows: number;
  /** rows missing, doubled or with other values than expected */
  wrongRows: number;
  missing: number;
  doubled: number;
  malformedExpected: number;
  /** [time, rows in ClickHouse] from the first purchase on */
  samples: Array<[number, number]>;
  seconds: number;
  rowsPerSecond: number;
  eventsPerSecond: number;
  afterLastEventSeconds: number;
  latencyMs: { p50: number; p95: number; p99: number };
  cpuSecondsPer1000?: number;
  workerPeakRssMiB?: number;
  counters: Record<string, number>;
  ok: boolean;
}

/** The benchmark's pipeline: the scenario's spec on its own topics and table. */
export const benchJoinSpec = (): PipelineSpec => {
  const name = 'bench-join';
  return mustValidateSpec(joinScenarioSpec(name, {
    brokers: settings.kafkaBrokers, topics: { users: `${name}-users`, purchases: `${name}-purchases`, payments: `${name}-payments` },
    clickhouseUrl: settings.clickhouseUrl, database: 'sluice_bench', table: 'bench_join', batch: { maxRows: 10_000, maxDelay: '200ms' },
  }));
};

/** Runs the scenario through `spec` (sources users, purchases, payments with the scenario's join) and checks every row. */
export async function runJoinBench(svc: PipelineService, spec: PipelineSpec, o: {
  rate: number; users: number; purchases: number; workerPid?: number; log: (l: string) => void;
  /** runs while a phase is sent (the chaos suite injects its faults here) */
  during?: (phase: string) => Promise<void>;
}): Promise<JoinBenchResult> {
  const name = spec.name;
  const topicOf = (source: string) => spec.sources.find((s) => s.name === source)!.kafka.topic;
  const topics = { users: topicOf('users'), purchases: topicOf('purchases'), payments: topicOf('payments') };
  const partitions = { purchases: 3, payments: 3 };
  // about 2.1 events per purchase: event time advances as fast as the clock at this rate
  const sc = joinScenario({ runId: name, topics, partitions, users: o.users, purchasesB: o.purchases, purchasesD: Math.round(o.purchases / 10), stepMs: 2100 / o.rate });
  const kafka = kafkaClient(settings.kafkaBrokers);
  const ch = clickhouse(settings.clickhouseUrl);
  const table = tableRef(spec);
  try {
    o.log(`removing the previous run of ${name} (pipeline, topics, table)`);
    await svc.delete(name, spec).catch(() => undefined);
    await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${spec.sink.clickhouse.database}` });
    await ch.command({ query: `DROP TABLE IF EXISTS ${table}` });
    await recreateTopic(kafka, topics.users, 1);
    await recreateTopic(kafka, topics.purchases, partitions.purchases);
    await recreateTopic(kafka, topics.payments, partitions.payments);
    await startPipeline(svc, spec);
    const sender = await kafkaSender(kafka);
    const ackedAt = new Map<string, number>();
    let sent = 0, t0 = 0, lastAck = 0;
    let watching: Promise<Array<[number, number]>> | undefined;
    const cpu0 = o.workerPid ? cpuSeconds(o.workerPid) : 0;
    try {
      for (const phase of sc.phases) {
        if (phase.name === 'B') {
          t0 = Date.now();
          watching = watchRows(ch, table, sc.expected.size, 600_000, 100);
          o.log(`sending ${sc.total - sent} purchases, payments and profile updates at ${o.rate}/s`);
        }
        // its own paced loop, not the load generator's pacer: that one drops iterations it cannot
        // start in time (as k6 does), and every message of this scenario must be sent, in order
        const chunk = Math.max(1, Math.round(o.rate / 50));
        const start = Date.now();
        const fault = o.during?.(phase.name);
        for (let i = 0; i < phase.messages.length; i += chunk) {
          const wait = start + (i / o.rate) * 1000 - Date.now();
          if (wait > 0) await sleep(wait);
          const part = phase.messages.slice(i, i + chunk);
          await sender.send(part);
          lastAck = Date.now();
          for (const m of part) if (m.topic === topics.purchases && m.key && !ackedAt.has(m.key) && sc.expected.has(m.key)) ackedAt.set(m.key, lastAck);
        }
        await fault;
        sent += phase.messages.length;
        if (phase.settle) await svc.waitFor(name, (s) => (s.sink.read ?? 0) >= sent, 300_000);
      }
    } finally {
      await sender.close();
    }
    const samples = await watching!;
    const visibleAt = samples[samples.length - 1][0];
    const cpu = o.workerPid ? cpuSeconds(o.workerPid) - cpu0 : undefined;
    const final = await svc.waitFor(name, (s) => (s.sink.read ?? 0) >= sc.total, 60_000).catch(() => svc.status(name));
    const got = await (await ch.query({ query: JOINED_ROWS_SQL(table), format: 'JSONEachRow' })).json<ExpectedRow>();
    const wrong = diffJoined(got, sc.expected);
    const ids = new Set(got.map((r) => r.event_id));
    // the k-th row to appear against the k-th purchase acknowledged (an estimate: rows do not appear in purchase order)
    const lat = latencies([...ackedAt.values()].sort((a, b) => a - b), samples).sort((a, b) => a - b);
    const seconds = (visibleAt - t0) / 1000;
    const c = final.sink;
    await removeRun(svc, spec);
    return {
      events: sc.total,
      expectedRows: sc.expected.size,
      rows: got.length,
      wrongRows: wrong.length,
      missing: [...sc.expected.keys()].filter((id) => !ids.has(id)).length,
      doubled: got.length - ids.size,
      malformedExpected: sc.malformed,
      samples,
      seconds,
      rowsPerSecond: got.length / seconds,
      eventsPerSecond: (sc.total - sc.phases[0].messages.length) / seconds,
      afterLastEventSeconds: (visibleAt - lastAck) / 1000,
      latencyMs: { p50: Math.round(percentile(lat, 50)), p95: Math.round(percentile(lat, 95)), p99: Math.round(percentile(lat, 99)) },
      cpuSecondsPer1000: cpu === undefined ? undefined : (cpu / sc.total) * 1000,
      workerPeakRssMiB: o.workerPid ? peakRssMiB(o.workerPid) : undefined,
      counters: c,
      ok: wrong.length === 0 && c.read === sc.total && c.matched === sc.expected.size && c.dlq === sc.malformed && joinReconciles(c),
    };
  } finally {
    await ch.close();
  }
}

/** Every event read is accounted for (docs/joins.md). */
export const joinReconciles = (c: Record<string, number>) =>
  c.read === c.duplicates + c.dlq - (c.rejectedRows ?? 0) + c.matched + c.unmatched + c.waiting + c.side;

export function printJoinResult(r: JoinBenchResult, print: (s: string) => void = console.log): void {
  const c = r.counters;
  print(`  events sent          ${r.events}`);
  print(`  joined rows          ${r.rows}   (${r.wrongRows} differ from the expected rows)`);
  print(`  read = duplicates + dlq + matched + unmatched + waiting + side:  ${c.read} = ${c.duplicates} + ${c.dlq} + ${c.matched} + ${c.unmatched} + ${c.waiting} + ${c.side}`);
  print(`  time                 ${r.seconds.toFixed(1)} s; exact ${r.afterLastEventSeconds.toFixed(2)} s after the last event (the last windows close 10 s of event time after it)`);
  print(`  throughput           ${Math.round(r.rowsPerSecond)} joined rows/s, ${Math.round(r.eventsPerSecond)} events/s end to end`);
  print(`  latency (purchase → its row visible, incl. waiting for the payment or the window)  p50 ${r.latencyMs.p50} ms  p95 ${r.latencyMs.p95} ms  p99 ${r.latencyMs.p99} ms`);
  if (r.cpuSecondsPer1000 !== undefined) print(`  worker CPU           ${r.cpuSecondsPer1000.toFixed(3)} s per 1,000 events`);
  if (r.workerPeakRssMiB !== undefined) print(`  worker peak memory   ${r.workerPeakRssMiB.toFixed(0)} MiB RSS`);
  print(r.ok ? '  result               OK: every row as expected, counters reconcile' : '  result               MISMATCH: see the figures above');
}

/** Bytes of V8 heap per event buffered in the join state (open purchases and held payments). */
export function joinStateBytesPerEvent(n = 200_000): { bytesPerEvent: number; buffered: number } {
  const spec = mustValidateSpec(joinScenarioSpec('bench-join-memory', { brokers: ['127.0.0.1:9092'], topics: { users: 'u', purchases: 'p', payments: 'y' }, clickhouseUrl: settings.clickhouseUrl, database: 'd', table: 't' }));
  spec.join!.left.window = '1d';
  spec.join!.right[1].window = '1d';
  const plan = joinPlan(spec)!;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const state = new JoinState(plan, { row: () => undefined, closed: () => undefined });
  const base = Date.UTC(2026, 10, 29);
  for (let i = 0; i < n / 2; i++) {
    // a purchase waiting for its payment, and a payment of another purchase held for it
    state.push(-1, i % 3, base + i, [`u${i % 10_000}`, `p${i}`, Math.round(i % 20000) / 100, '2026-11-29 12:00:00'], [i % 3, i, base]); // the tag as JoinRunner passes it
    state.push(1, i % 3, base + i, [`q${i}`, `q${i}-pay`, 'captured', 12.5], undefined);
  }
  gc?.();
  const bytes = process.memoryUsage().heapUsed - before;
  const { open, held } = state.stats();
  return { bytesPerEvent: bytes / (open + held), buffered: open + held };
}
