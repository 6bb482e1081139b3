// The CLI's arguments, options resolution, results and the k6-style summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from '../../loadtest/args';
import { resolveOptions } from '../../loadtest/options';
import { buildResults, expectations, metricTypes, type Observed } from '../../loadtest/results';
import { formatSummary, formatValue, summaryJson, thresholdsPassed, type SummaryData } from '../../loadtest/summary';
import { evaluateThresholds, parseThresholds } from '../../loadtest/thresholds';
import { resolveScriptPath } from '../../loadtest/script';
import { repoRoot } from '../../loadtest/localWorker';
import type { PacedResult } from '../../loadtest/pacer';

test('arguments: the seed experiment flags, k6 names, and clear errors', () => {
  const a = parseArgs(['loadtest/scenarios/seed.ts', '--events', '300000', '--rps=3000', '--duplication-rate', '0.2', '--malformed-rate', '0.01', '--seed', '7', '--pipeline', 'p.yaml', '--summary-export', 'out.json', '--worker', 'none']);
  assert.equal(a.script, 'loadtest/scenarios/seed.ts');
  assert.deepEqual(a.overrides, { events: 300000, rps: 3000, duplicationRate: 0.2, malformedRate: 0.01, seed: 7, pipeline: 'p.yaml' });
  assert.equal(a.summaryExport, 'out.json');
  assert.equal(a.worker, 'none');
  assert.equal(parseArgs(['--rps', 'max']).overrides.rps, Infinity);
  assert.throws(() => parseArgs(['--events', '-5']), /--events: expected a number/);
  assert.throws(() => parseArgs(['--duplication-rate', '1.5']), /expected a number/);
  assert.throws(() => parseArgs(['--summary-export']), /missing value/);
  assert.throws(() => parseArgs(['--vus', '3']), /unknown flag --vus/);
  assert.throws(() => parseArgs(['a', 'b']), /one script only/);
});

test('options: --events/--rps replace the scenarios; CLI params win over the script', () => {
  const script = { scenarios: { buy: { executor: 'constant-arrival-rate' as const, rate: 50, timeUnit: '100ms', duration: '10s', exec: 'buy' } }, params: { seed: 1, duplicationRate: 0.1 } };
  assert.deepEqual(resolveOptions(script).scenarios, script.scenarios);
  const r = resolveOptions(script, { events: 300_000, rps: 3000, seed: 9 });
  assert.deepEqual(r.scenarios, { buy: { executor: 'constant-arrival-rate', rate: 3000, timeUnit: '1s', iterations: 300_000, exec: 'buy' } });
  assert.deepEqual(r.params, { duplicationRate: 0.1, malformedRate: 0.005, seed: 9 });
  assert.equal(resolveOptions(script, { events: 100 }).scenarios.buy.executor, 'constant-arrival-rate');
  assert.equal((resolveOptions(script, { events: 100 }).scenarios.buy as { rate: number }).rate, 500, 'the script rate, per second');
  assert.equal(resolveOptions(script, { rps: Infinity }).scenarios.buy.executor, 'shared-iterations');
  assert.equal(resolveOptions({}).pipeline, 'pipelines/checkout-purchases.yaml');
  assert.equal(resolveOptions({}).verifyTimeoutMs, 120_000);
  assert.throws(() => resolveOptions({}, { timeout: 'soon' }), /expected a duration/);
});

test('script names map to the compiled scenarios', () => {
  assert.equal(resolveScriptPath('seed'), `${repoRoot}/dist/loadtest/scenarios/seed.js`);
  assert.equal(resolveScriptPath('loadtest/scenarios/ramp.ts', repoRoot), `${repoRoot}/dist/loadtest/scenarios/ramp.js`);
  assert.equal(resolveScriptPath('/tmp/x.js'), '/tmp/x.js');
  assert.throws(() => resolveScriptPath('/tmp/x.ts'), /inside the repository/);
});

function observed(over: Partial<Observed> = {}): Observed {
  // 6 events: 3 rows, 1 duplicate, 1 dlq, 1 failed send; acknowledged 50 ms after start
  const n = 6;
  const paced: PacedResult = {
    startedAt: 0, count: n, errors: 1, lastError: 'timeout',
    scenarioOf: new Uint16Array(n), dueAt: Float64Array.from([0, 1, 2, 3, 4, 5]), builtAt: Float64Array.from([0, 1, 2, 3, 6, 5]),
    ackedAt: Float64Array.from([50, 51, 52, 53, 54, NaN]), scenarios: [{ name: 's', started: 7, dropped: 2, skipped: 1 }],
  };
  return {
    paced, expect: Uint8Array.from([0, 0, 0, 2, 3, 0]), rateBased: [true], bytesSent: 1234,
    rowSamples: [[0, 0], [150, 2], [250, 3]], rows: 3, distinctKeys: 3, keyColumn: 'event_id',
    counters: { read: 5, inserted: 3, duplicates: 1, dlq: 1 }, endedAt: 10_000, ...over,
  };
}

test('results: expectations leave failed sends out; metrics and checks from the figures', () => {
  const o = observed();
  assert.deepEqual(expectations(o.paced, o.expect), { row: 3, 'repeat-row': 0, duplicate: 1, dlq: 1, sent: 5 });
  const { metrics, checks } = buildResults(o);
  const m = new Map(metrics.map((x) => [x.name, x.value]));
  assert.deepEqual(m.get('rows_missing'), { type: 'counter', count: 0, rate: 0 });
  assert.deepEqual(m.get('dropped_iterations'), { type: 'counter', count: 2, rate: 2 / 0.006 });
  assert.deepEqual(Array.from((m.get('e2e_latency') as { values: ArrayLike<number> }).values), [100, 99, 198]);
  assert.deepEqual(Array.from((m.get('iteration_lag') as { values: ArrayLike<number> }).values), [0, 0, 0, 0, 2, 0]);
  assert.deepEqual(checks.filter((c) => !c.ok).map((c) => c.name), ['Kafka acknowledged every event']);
  const bad = buildResults(observed({ rows: 4, distinctKeys: 3, counters: { read: 5, inserted: 4, duplicates: 0, dlq: 1 } }));
  const b = new Map(bad.metrics.map((x) => [x.name, x.value]));
  assert.equal((b.get('duplicates_in_sink') as { count: number }).count, 1);
  assert.equal((b.get('rows_extra') as { count: number }).count, 1);
  assert.deepEqual(bad.checks.filter((c) => !c.ok).map((c) => c.name).slice(0, 3), ['every expected row is in ClickHouse', 'no event_id twice in ClickHouse', 'duplicates dropped as expected']);
  assert.deepEqual([...metricTypes().keys()].sort(), metrics.map((x) => x.name).concat('worker_cpu_per_1k_events', 'worker_peak_rss').sort());
});

test('results: copies the producer wrote twice must each be a duplicate or a DLQ entry, and be read', () => {
  // the 5 acknowledged events are 7 records in Kafka: a copy of a duplicate-to-be and of the malformed one
  const retried = { held: 7, counters: { read: 7, inserted: 3, duplicates: 2, dlq: 2 } };
  const failing = (over: Partial<Observed>) => buildResults(observed(over)).checks.filter((c) => !c.ok).map((c) => c.name);
  assert.deepEqual(failing(retried), ['Kafka acknowledged every event']);
  assert.deepEqual(failing({ ...retried, counters: { read: 5, inserted: 3, duplicates: 1, dlq: 1 } }), ['the pipeline read every record in Kafka', 'Kafka acknowledged every event']);
  assert.deepEqual(failing({ held: 7, counters: { read: 7, inserted: 3, duplicates: 4, dlq: 0 } }), ['duplicates dropped as expected', 'DLQ holds every malformed event', 'Kafka acknowledged every event']);
  assert.deepEqual(failing({ held: 4, counters: { read: 4, inserted: 3, duplicates: 0, dlq: 1 } }), ['duplicates dropped as expected', 'the pipeline read every record in Kafka', 'Kafka acknowledged every event']);
});

function summary(thresholds: Record<string, string[]>): SummaryData {
  const o = observed();
  const { metrics, checks } = buildResults(o);
  return {
    script: 'seed', pipeline: { name: 'loadtest-x', from: 'x.yaml', topics: ['loadtest-x'], table: 'db.t' },
    scenarios: [{ name: 's', describe: '10 iterations at 1000/s over 10ms', maxVUs: 100, started: 7, dropped: 2, skipped: 1, pacing: { achievedRate: 999.5, targetRate: 1000, worstSecond: 0.004, perSecond: [] } }],
    durationMs: 10_000, checks, metrics, thresholds: evaluateThresholds(parseThresholds(thresholds), new Map(metrics.map((m) => [m.name, m]))),
  };
}

test('summary: k6 layout with thresholds ✓/✗, checks, grouped metrics, and the crossed ones named', () => {
  const d = summary({ e2e_latency: ['p(99)<2000'], dropped_iterations: ['count==0'] });
  const text = formatSummary(d);
  assert.match(text, /█ THRESHOLDS/);
  assert.match(text, /e2e_latency\n {4}✓ 'p\(99\)<2000' p\(99\)=196\.04ms/);
  assert.match(text, /dropped_iterations\n {4}✗ 'count==0' count=2/);
  assert.match(text, /✗ Kafka acknowledged every event \(1 failed: timeout\)/);
  assert.match(text, /✓ every expected row is in ClickHouse \(3 of 3\)/);
  assert.match(text, /checks\.+: 85\.71% 6 out of 7/);
  assert.match(text, /e2e_latency\.+: avg=132\.33ms min=99ms med=100ms max=198ms/);
  assert.match(text, /achieved 999\.5\/s of 1000\/s \(99\.95%\), worst whole second 0\.40% off the schedule, 2 dropped, 1 without an event/);
  assert.match(text, /running \(10s\), 7 complete and 2 dropped iterations\nERROR: thresholds on metrics 'dropped_iterations' have been crossed$/);
  assert.equal(thresholdsPassed(d), false);
  const json = summaryJson(d) as { ok: boolean; metrics: Record<string, { values: Record<string, number>; thresholds: Record<string, { ok: boolean }> }> };
  assert.equal(json.ok, false);
  assert.deepEqual(json.metrics.dropped_iterations.thresholds, { 'count==0': { ok: false } });
  assert.equal(json.metrics.e2e_latency.values.max, 198);
  assert.equal(thresholdsPassed(summary({ rows_missing: ['count==0'] })), true);
});

test('values print as k6 prints them', () => {
  assert.deepEqual([0.5, 412.345, 1520, 100_000].map((v) => formatValue(v, 'time')), ['0.5ms', '412.35ms', '1.52s', '1m40s']);
  assert.deepEqual([999, 45_600_000].map((v) => formatValue(v, 'data')), ['999 B', '45.6 MB']);
  assert.equal(formatValue(NaN, 'time'), 'n/a');
});
