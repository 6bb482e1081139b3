// One load test against the real services: reset the pipeline's copy, run the script's scenarios
// into Kafka on schedule, wait for ClickHouse, and measure everything the summary reports.
import type { PipelineService } from '../client/pipelines';
import { tableRef } from '../core/ddl';
import { parseDuration } from '../core/duration';
import type { PipelineSpec } from '../core/spec/schema';
import { clickhouseFor, kafkaFor } from '../runtime/connections';
import { countDistinct, countRows, sampleRows } from './clickhouse';
import type { LoadEvent } from './iteration';
import { scheduleOf, startDelayMs } from './executors';
import { kafkaSender, recordsHeld, type OutMessage } from './kafka';
import type { Resolved, SetupContext } from './options';
import { PacedRun, realClock, type Clock, type PacedScenario } from './pacer';
import { cpuSeconds, peakRssMiB } from './procstat';
import { progressLine, type ProgressState } from './progress';
import { buildResults, EXPECT_CODES, expectations, scenarioPacing, type Observed } from './results';
import { resetPipeline, startPipeline } from './pipelineRun';
import type { Script } from './script';
import type { SummaryData } from './summary';
import { evaluateThresholds, type Threshold } from './thresholds';

export interface LoadTest {
  script: Script;
  options: Resolved;
  thresholds: Threshold[];
  /** the load test's own copy of the pipeline */
  spec: PipelineSpec;
  /** where the spec came from, for the summary */
  specFrom: string;
  /** the worker process to measure, when it is ours */
  workerPid?: number;
  /** gets the progress line about once a second */
  progress?: (line: string) => void;
  log?: (line: string) => void;
  clock?: Clock;
}

function dedupOf(spec: PipelineSpec): SetupContext['dedup'] {
  const d = spec.sources[0].dedup;
  return d && { windowMs: parseDuration(d.window)!, time: d.time };
}

export async function runLoadTest(svc: PipelineService, t: LoadTest): Promise<SummaryData> {
  const { spec, options: o } = t;
  const log = t.log ?? (() => undefined);
  const clock = t.clock ?? realClock;
  const table = tableRef(spec);
  const kafka = kafkaFor(spec, 0);
  const ch = clickhouseFor(spec);
  const sender = await kafkaSender(kafka);
  let deadline = Infinity;
  try {
    log(`resetting ${spec.name}: pipeline, topic${spec.sources.length > 1 ? 's' : ''} (${o.partitions} partitions), table ${spec.sink.clickhouse.database}.${spec.sink.clickhouse.table}`);
    await resetPipeline(svc, spec, kafka, ch, o.partitions);
    await startPipeline(svc, spec);
    const params = o.params;
    const data = await t.script.setup?.({ params, spec, dedup: dedupOf(spec), runId: `s${params.seed}` });

    const topics = new Map(spec.sources.map((s) => [s.name, s.kafka.topic]));
    const topicOf = (source = spec.sources[0].name) => {
      const topic = topics.get(source);
      if (!topic) throw new Error(`an event names source "${source}", which the pipeline lacks (it has ${[...topics.keys()].join(', ')})`);
      return topic;
    };
    const schedules = Object.entries(o.scenarios).map(([name, c]) => ({ name, c, schedule: scheduleOf(name, c) }));
    const expect = new Uint8Array(schedules.reduce((n, s) => n + s.schedule.total, 0));
    let bytesSent = 0;
    let run: PacedRun<OutMessage> | undefined;
    const scenarios: Array<PacedScenario<OutMessage>> = schedules.map(({ name, c, schedule }) => {
      const fn = t.script.functions[c.exec ?? 'default'];
      if (!fn) throw new Error(`scenarios.${name}.exec: the script exports no function "${c.exec}"`);
      const startMs = startDelayMs(name, c);
      return {
        name, schedule, startMs,
        build(i, seq) {
          const timeMs = schedule.dropsWhenBusy ? schedule.timeOf(i) : clock.now() - run!.result.startedAt - startMs;
          const ev: LoadEvent | undefined = fn(data, { scenario: name, iteration: i, iterations: schedule.total, timeMs });
          if (!ev) return undefined;
          const code = EXPECT_CODES.indexOf(ev.expect ?? 'row');
          if (code < 0) throw new Error(`scenario ${name}: an event expects "${ev.expect}"; expected one of ${EXPECT_CODES.join(', ')}`);
          expect[seq] = code;
          const value = ev.value === null ? null : typeof ev.value === 'string' ? ev.value : JSON.stringify(ev.value);
          bytesSent += Buffer.byteLength(value ?? '') + Buffer.byteLength(ev.key ?? '');
          return { topic: topicOf(ev.source), key: ev.key ?? null, value };
        },
      };
    });
    // many messages per request and several requests in flight: one request per event could not reach 10k/s
    run = new PacedRun(scenarios, { clock, send: sender.send, maxBatch: 2000, maxInFlight: 8, lingerMs: 5, tickMs: 2 });

    let rows = 0, rowsExpected: number | undefined, last = clock.now(), lastStarted = 0;
    const sampling = sampleRows(ch, table, { target: () => rowsExpected ?? Infinity, deadline: () => deadline, everyMs: 100, onSample: (n) => { rows = n; } });
    const cpu0 = t.workerPid ? cpuSeconds(t.workerPid) : 0;
    const progress = setInterval(() => {
      const r = run!.result;
      const started = run!.pacers.reduce((n, p) => n + p.started, 0);
      const state: ProgressState = {
        phase: rowsExpected === undefined ? 'sending' : 'verifying', elapsedMs: clock.now() - r.startedAt,
        started, dropped: run!.pacers.reduce((n, p) => n + p.dropped, 0), total: expect.length,
        lastSecond: Math.round(((started - lastStarted) * 1000) / Math.max(1, clock.now() - last)), inFlight: run!.pending, rows, rowsExpected,
      };
      last = clock.now();
      lastStarted = started;
      t.progress?.(progressLine(state));
    }, 1000);
    try {
      log(`sending: ${schedules.map((s) => `${s.name}: ${s.schedule.describe}`).join('; ')}`);
      const paced = await run.run();
      const e = expectations(paced, expect);
      rowsExpected = e.row + e['repeat-row'];
      deadline = Date.now() + o.verifyTimeoutMs;
      const rowSamples = await sampling;
      let held = 0;
      for (const topic of new Set(topics.values())) held += await recordsHeld(kafka, topic);
      if (held !== e.sent) log(`Kafka holds ${held} records for ${e.sent} events sent (the producer wrote ${held - e.sent} twice, or a failed send did reach Kafka)`);
      const state = await svc.waitFor(spec.name, (s) => (s.sink.read ?? 0) >= held, Math.max(10_000, deadline - Date.now())).catch(() => svc.status(spec.name));
      const observed: Observed = {
        paced, expect, rateBased: schedules.map((s) => s.schedule.dropsWhenBusy), bytesSent, rowSamples,
        rows: await countRows(ch, table), distinctKeys: await countDistinct(ch, table, o.keyColumn), keyColumn: o.keyColumn,
        counters: state.sink, held, endedAt: clock.now(),
        worker: t.workerPid ? { cpuSeconds: cpuSeconds(t.workerPid) - cpu0, peakRssMiB: peakRssMiB(t.workerPid) } : undefined,
      };
      const { metrics, checks } = buildResults(observed);
      return {
        script: t.script.name,
        pipeline: { name: spec.name, from: t.specFrom, topics: [...topics.values()], table: `${spec.sink.clickhouse.database}.${spec.sink.clickhouse.table}` },
        scenarios: schedules.map((s, k) => ({ ...paced.scenarios[k], describe: s.schedule.describe, maxVUs: s.schedule.maxVUs, pacing: scenarioPacing(observed, k) })),
        durationMs: observed.endedAt - paced.startedAt,
        checks, metrics, thresholds: evaluateThresholds(t.thresholds, new Map(metrics.map((m) => [m.name, m]))),
      };
    } finally {
      clearInterval(progress);
    }
  } finally {
    deadline = 0; // ends the row sampling if sending failed
    await sender.close();
    await ch.close();
  }
}
