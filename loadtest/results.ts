// From what was sent and what ClickHouse and the pipeline's counters hold, to metrics and checks (pure).
import type { Expect } from './iteration';
import { latencies } from './clickhouse';
import { pacing, type Metric, type MetricValue, type Contains, type Pacing } from './metrics';
import type { PacedResult } from './pacer';
import type { Check } from './summary';
import { copiesOf, withinCopies } from './verdict';

export const EXPECT_CODES: Expect[] = ['row', 'repeat-row', 'duplicate', 'dlq'];

/** Sent events by what the pipeline must make of them (send failures left out: their fate is unknown). */
export function expectations(paced: PacedResult, expect: Uint8Array): Record<Expect, number> & { sent: number } {
  const out = { row: 0, 'repeat-row': 0, duplicate: 0, dlq: 0, sent: 0 };
  for (let i = 0; i < paced.count; i++) {
    if (Number.isNaN(paced.ackedAt[i])) continue;
    out[EXPECT_CODES[expect[i]]]++;
    out.sent++;
  }
  return out;
}

export interface Observed {
  paced: PacedResult;
  /** per event (by sequence number), an index into EXPECT_CODES */
  expect: Uint8Array;
  /** which scenarios follow a rate (their lag and pacing mean something) */
  rateBased: boolean[];
  bytesSent: number;
  /** [time, row count] sampled from ClickHouse while the test ran */
  rowSamples: Array<[number, number]>;
  rows: number;
  distinctKeys: number;
  keyColumn: string;
  /** the pipeline's sink counters: read, inserted, duplicates, dlq */
  counters: Record<string, number>;
  /**
   * records the source topics hold after sending (undefined: as many as events sent). More when
   * kafkajs retried a send Kafka had written but acknowledged late: each such copy must be a
   * counted duplicate or, of a malformed event, a DLQ entry (as in loadtest/verdict.ts)
   */
  held?: number;
  /** the end of verification (ms) */
  endedAt: number;
  worker?: { cpuSeconds: number; peakRssMiB: number };
}

const counter = (count: number, seconds: number): MetricValue => ({ type: 'counter', count, rate: seconds > 0 ? count / seconds : 0 });

export function scenarioPacing(o: Observed, k: number): Pacing | undefined {
  if (!o.rateBased[k]) return undefined;
  const built: number[] = [], due: number[] = [];
  for (let i = 0; i < o.paced.count; i++) if (o.paced.scenarioOf[i] === k) { built.push(o.paced.builtAt[i]); due.push(o.paced.dueAt[i]); }
  return pacing(built, due);
}

export function buildResults(o: Observed): { metrics: Metric[]; checks: Check[] } {
  const p = o.paced;
  const e = expectations(p, o.expect);
  const c = (name: string) => o.counters[name] ?? 0;
  const rowsExpected = e.row + e['repeat-row'];
  const lag: number[] = [], ack: number[] = [], rowAcks: number[] = [];
  let lastBuilt = p.startedAt;
  for (let i = 0; i < p.count; i++) {
    lastBuilt = Math.max(lastBuilt, p.builtAt[i]);
    if (o.rateBased[p.scenarioOf[i]]) lag.push(Math.max(0, p.builtAt[i] - p.dueAt[i]));
    if (Number.isNaN(p.ackedAt[i])) continue;
    ack.push(p.ackedAt[i] - p.builtAt[i]);
    const x = EXPECT_CODES[o.expect[i]];
    if (x === 'row' || x === 'repeat-row') rowAcks.push(p.ackedAt[i]);
  }
  rowAcks.sort((a, b) => a - b);
  const sendingS = Math.max(0.001, (lastBuilt - p.startedAt) / 1000);
  const testS = (o.endedAt - p.startedAt) / 1000;
  const started = p.scenarios.reduce((n, s) => n + s.started, 0);
  const dropped = p.scenarios.reduce((n, s) => n + s.dropped, 0);
  const extraKeys = Math.max(0, o.rows - o.distinctKeys - e['repeat-row']);

  const held = o.held ?? e.sent;
  const copies = copiesOf(e.sent, held);
  const ofCopies = copies ? ` (+ up to ${copies} copies the producer wrote twice)` : '';
  const checks: Check[] = [
    { name: 'every expected row is in ClickHouse', ok: o.rows === rowsExpected, detail: `${o.rows} of ${rowsExpected}` },
    { name: `no ${o.keyColumn} twice in ClickHouse`, ok: extraKeys === 0, detail: `${o.distinctKeys} distinct in ${o.rows} rows, ${e['repeat-row']} sent again after the window` },
    { name: 'duplicates dropped as expected', ok: withinCopies(c('duplicates'), e.duplicate, copies), detail: `${c('duplicates')} of ${e.duplicate}${ofCopies}` },
    { name: 'DLQ holds every malformed event', ok: withinCopies(c('dlq'), e.dlq, copies), detail: `${c('dlq')} of ${e.dlq}${ofCopies}` },
    { name: 'the pipeline read every record in Kafka', ok: held >= e.sent && c('read') === held, detail: `${c('read')} of ${held}${held !== e.sent ? ` (${e.sent} events sent)` : ''}` },
    { name: 'read = inserted + duplicates + dlq', ok: c('read') === c('inserted') + c('duplicates') + c('dlq'), detail: `${c('read')} = ${c('inserted')} + ${c('duplicates')} + ${c('dlq')}` },
    { name: 'Kafka acknowledged every event', ok: p.errors === 0, detail: `${p.errors} failed${p.lastError ? `: ${p.lastError}` : ''}` },
  ];
  const passes = checks.filter((x) => x.ok).length;

  const m = (group: string, name: string, value: MetricValue, contains: Contains = 'default'): Metric => ({ group, name, value, contains });
  const metrics: Metric[] = [
    m('EXECUTION', 'iterations', counter(started, sendingS)),
    m('EXECUTION', 'dropped_iterations', counter(dropped, sendingS)),
    m('EXECUTION', 'iteration_lag', { type: 'trend', values: lag }, 'time'),
    m('EXECUTION', 'checks', { type: 'rate', passes, fails: checks.length - passes }),
    m('KAFKA', 'events_sent', counter(e.sent, sendingS)),
    m('KAFKA', 'data_sent', counter(o.bytesSent, sendingS), 'data'),
    m('KAFKA', 'kafka_errors', counter(p.errors, sendingS)),
    m('KAFKA', 'kafka_ack_latency', { type: 'trend', values: ack }, 'time'),
    m('PIPELINE', 'e2e_latency', { type: 'trend', values: latencies(rowAcks, o.rowSamples) }, 'time'),
    m('PIPELINE', 'rows_expected', counter(rowsExpected, testS)),
    m('PIPELINE', 'rows_in_sink', counter(o.rows, testS)),
    m('PIPELINE', 'rows_missing', counter(Math.max(0, rowsExpected - o.rows), testS)),
    m('PIPELINE', 'rows_extra', counter(Math.max(0, o.rows - rowsExpected), testS)),
    m('PIPELINE', 'duplicates_in_sink', counter(extraKeys, testS)),
    m('PIPELINE', 'duplicates_dropped', counter(c('duplicates'), testS)),
    m('PIPELINE', 'dlq_events', counter(c('dlq'), testS)),
    m('PIPELINE', 'dlq_mismatch', counter(Math.abs(c('dlq') - e.dlq), testS)),
    m('PIPELINE', 'events_read', counter(c('read'), testS)),
  ];
  if (o.worker) {
    metrics.push(m('WORKER', 'worker_cpu_per_1k_events', { type: 'gauge', value: e.sent ? (o.worker.cpuSeconds / e.sent) * 1_000_000 : NaN }, 'time'));
    metrics.push(m('WORKER', 'worker_peak_rss', { type: 'gauge', value: o.worker.peakRssMiB * 2 ** 20 }, 'data'));
  }
  return { metrics, checks };
}

/** Metric names and types, known before the run, so thresholds are checked before anything is sent. */
export function metricTypes(): Map<string, MetricValue['type']> {
  const paced: PacedResult = { startedAt: 0, count: 0, scenarioOf: new Uint16Array(0), dueAt: new Float64Array(0), builtAt: new Float64Array(0), ackedAt: new Float64Array(0), scenarios: [], errors: 0 };
  const none: Observed = { paced, expect: new Uint8Array(0), rateBased: [], bytesSent: 0, rowSamples: [], rows: 0, distinctKeys: 0, keyColumn: '', counters: {}, endedAt: 0, worker: { cpuSeconds: 0, peakRssMiB: 0 } };
  return new Map(buildResults(none).metrics.map((x) => [x.name, x.value.type]));
}
