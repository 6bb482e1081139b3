// The load generator against the real stack: a short seed scenario (5,000 events at 1,000/s,
// 20% duplicates, 1% malformed) whose summary must agree with ClickHouse, the DLQ stream and the
// pipeline's counters read directly; and the CLI's exit code when a threshold fails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamsOf } from '../../core/names';
import type { PipelineSpec } from '../../core/spec/schema';
import { scalar } from '../../loadtest/clickhouse';
import { scheduleOf } from '../../loadtest/executors';
import { repoRoot } from '../../loadtest/localWorker';
import { aggregate, type MetricValue } from '../../loadtest/metrics';
import { resolveOptions } from '../../loadtest/options';
import { runLoadTest } from '../../loadtest/run';
import { loadScript } from '../../loadtest/script';
import { isolatedSpec, onStack, specFile } from '../../loadtest/specs';
import { parseThresholds } from '../../loadtest/thresholds';
import { DB, openHarness, tableOf, uniqueName, type Harness } from './harness';

let h: Harness;
before(async () => { h = await openHarness(); });
after(async () => { await h?.close(); });

/** The demo pipeline, pointed at the services the tests use (the file names the default ports). */
const checkout = (): PipelineSpec => onStack(specFile('pipelines/checkout-purchases.yaml')!.spec);

test('5,000 events at 1,000/s, 20% duplicates, 1% malformed: the summary agrees with ClickHouse, the DLQ and the counters', async () => {
  const name = uniqueName('it-loadtest');
  const spec = isolatedSpec(checkout(), name, DB);
  const script = loadScript('seed');
  const options = resolveOptions(script.options, { events: 5000, rps: 1000, duplicationRate: 0.2, malformedRate: 0.01, seed: 17 });
  const summary = await runLoadTest(h.svc, { script, options, thresholds: parseThresholds(options.thresholds), spec, specFrom: 'checkout-purchases.yaml' });
  const metric = new Map(summary.metrics.map((m) => [m.name, m.value]));
  const value = (m: string, agg = 'count') => aggregate(metric.get(m) as MetricValue, agg);

  // the same seed and schedule make the same events: the rows ClickHouse must hold, by event_id
  const schedule = scheduleOf('purchases', options.scenarios.purchases);
  const next = script.setup!({ params: options.params, spec, dedup: { windowMs: 3_600_000, time: 'arrival' }, runId: `s${options.params.seed}` }) as (it: unknown) => { key: string; expect: string };
  const events = Array.from({ length: schedule.total }, (_, i) => next({ scenario: 'purchases', iteration: i, iterations: schedule.total, timeMs: schedule.timeOf(i) }));
  const expectedKeys = events.filter((e) => e.expect === 'row').map((e) => e.key).sort();

  const table = tableOf(name);
  const rs = await h.ch.query({ query: `SELECT event_id FROM ${table} ORDER BY event_id`, format: 'JSONEachRow' });
  const keys = (await rs.json<{ event_id: string }>()).map((r) => r.event_id);
  assert.deepEqual(keys, expectedKeys, 'exactly the purchases sent, once each');
  assert.equal(value('rows_in_sink'), await scalar(h.ch, `SELECT count() FROM ${table}`));
  assert.equal(value('rows_expected'), expectedKeys.length);
  assert.equal(value('duplicates_in_sink'), keys.length - (await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${table}`)));
  assert.equal(value('rows_missing'), 0);

  const state = await h.svc.status(spec.name);
  const dlqStream = await (await h.nc.jetstreamManager()).streams.info(streamsOf(spec.name).dlq);
  assert.equal(value('dlq_events'), state.sink.dlq);
  assert.equal(value('dlq_events'), dlqStream.state.messages, 'one DLQ entry per malformed event');
  assert.equal(value('dlq_events'), events.filter((e) => e.expect === 'dlq').length);
  assert.equal(value('duplicates_dropped'), state.sink.duplicates);
  assert.equal(value('events_read'), 5000);
  assert.ok(Math.abs(value('duplicates_dropped') / 5000 - 0.2) < 0.02, `${value('duplicates_dropped')} duplicates`);
  assert.ok(value('dlq_events') >= 25 && value('dlq_events') <= 75, `${value('dlq_events')} malformed`);

  assert.equal(value('iterations'), 5000);
  assert.equal(value('dropped_iterations'), 0);
  assert.equal((metric.get('e2e_latency') as { values: ArrayLike<number> }).values.length, keys.length, 'a latency for every row');
  const pace = summary.scenarios[0].pacing!;
  assert.ok(Math.abs(pace.achievedRate / 1000 - 1) < 0.02, `achieved ${pace.achievedRate}/s`);
  assert.deepEqual(summary.checks.filter((c) => !c.ok), []);
  for (const t of summary.thresholds.filter((x) => x.metric !== 'e2e_latency')) assert.ok(t.ok, `${t.metric} ${t.source}: ${t.actual}`);
  await h.svc.delete(spec.name);
});

test('the CLI exits with 99 when a threshold fails and exports the summary as JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-loadtest-'));
  const name = uniqueName('it-ltcli');
  const pipeline = join(dir, 'pipeline.json');
  writeFileSync(pipeline, JSON.stringify({ ...checkout(), name }));
  // a compiled script outside the repository: a failing latency threshold, a passing count one
  writeFileSync(join(dir, 'fail.js'), `
    const { purchases } = require(${JSON.stringify(join(repoRoot, 'dist/loadtest/generators/purchases.js'))});
    exports.options = { pipeline: ${JSON.stringify(pipeline)}, thresholds: { e2e_latency: ['p(99)<1'], rows_missing: ['count==0'] } };
    exports.setup = (ctx) => purchases({ runId: ctx.runId, seed: ctx.params.seed, dedup: ctx.dedup });
    exports.default = (next, it) => next(it);
  `);
  const out = join(dir, 'summary.json');
  const args = [join(repoRoot, 'dist/loadtest/cli.js'), join(dir, 'fail.js'), '--events', '2000', '--rps', '1000', '--worker', 'none', '--task-queue', h.taskQueue, '--summary-export', out, '--no-progress'];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = execFile(process.execPath, args, { cwd: repoRoot }, (_e, so, se) => resolve({ code: p.exitCode, stdout: so, stderr: se }));
  });
  assert.equal(code, 99, `${stdout}\n${stderr}`);
  assert.match(stdout, /✗ 'p\(99\)<1' p\(99\)=/);
  assert.match(stdout, /✓ 'count==0' count=0/);
  assert.match(stdout, /ERROR: thresholds on metrics 'e2e_latency' have been crossed/);
  const json = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(json.ok, false);
  assert.equal(json.metrics.rows_in_sink.values.count, await scalar(h.ch, `SELECT count() FROM sluice_loadtest.loadtest_${name.replace(/-/g, '_')}`));
  assert.deepEqual(json.metrics.e2e_latency.thresholds, { 'p(99)<1': { ok: false } });
});
