// Thresholds as k6 writes them, and the aggregates they compare.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate, percentile, pacing, type Metric } from '../../loadtest/metrics';
import { checkThresholds, evaluateThresholds, parseThreshold, parseThresholds } from '../../loadtest/thresholds';

const trend = (name: string, values: number[]): Metric => ({ name, group: 'G', contains: 'time', value: { type: 'trend', values } });
const counter = (name: string, count: number): Metric => ({ name, group: 'G', contains: 'default', value: { type: 'counter', count, rate: count / 10 } });

test('parses aggregates, comparisons and numbers, with or without spaces', () => {
  assert.deepEqual(parseThreshold('e2e_latency', 'p(99)<2000'), { metric: 'e2e_latency', source: 'p(99)<2000', aggregate: 'p(99)', op: '<', value: 2000 });
  assert.equal(parseThreshold('m', 'p(99.9) <= 1.5').aggregate, 'p(99.9)');
  assert.equal(parseThreshold('m', 'count == 0').op, '==');
  assert.equal(parseThreshold('m', 'rate===1').op, '==');
  assert.equal(parseThreshold('m', 'avg>=-3').value, -3);
  assert.deepEqual(parseThresholds({ a: ['count==0', { threshold: 'rate<1' }] }).map((t) => t.source), ['count==0', 'rate<1']);
  for (const bad of ['p99<2000', 'p(99)<', 'count = 0', 'sum<3', 'count==zero', '']) assert.throws(() => parseThreshold('m', bad), /cannot read/, bad);
  assert.throws(() => parseThresholds({ m: 'count==0' as never }), /expected a list/);
});

test('refuses unknown metrics and aggregates the metric type lacks', () => {
  const known = new Map([['e2e_latency', 'trend'], ['rows_missing', 'counter'], ['checks', 'rate']] as const);
  checkThresholds(parseThresholds({ e2e_latency: ['p(95)<1', 'med<1', 'max<1'], rows_missing: ['count==0', 'rate<1'], checks: ['rate==1'] }), new Map(known));
  assert.throws(() => checkThresholds(parseThresholds({ e2e_latncy: ['p(99)<1'] }), new Map(known)), /e2e_latncy: no such metric/);
  assert.throws(() => checkThresholds(parseThresholds({ rows_missing: ['p(99)<1'] }), new Map(known)), /does not apply to a counter/);
  assert.throws(() => checkThresholds(parseThresholds({ e2e_latency: ['count<1'] }), new Map(known)), /does not apply to a trend/);
});

test('evaluates each threshold against its metric; a metric without values fails', () => {
  const metrics = new Map([trend('lat', [100, 200, 300, 400, 5000]), counter('missing', 0), trend('empty', [])].map((m) => [m.name, m]));
  const r = evaluateThresholds(parseThresholds({ lat: ['p(50)<301', 'max<1000', 'avg>=1200'], missing: ['count==0', 'count!=0'], empty: ['p(99)<1'] }), metrics);
  assert.deepEqual(r.map((t) => [t.source, t.ok, t.actual]), [
    ['p(50)<301', true, 300], ['max<1000', false, 5000], ['avg>=1200', true, 1200], ['count==0', true, 0], ['count!=0', false, 0], ['p(99)<1', false, NaN],
  ]);
});

test('percentiles interpolate between ranks, as k6 computes them', () => {
  const s = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentile(s, 50), 50.5);
  assert.ok(Math.abs(percentile(s, 90) - 90.1) < 1e-9);
  assert.equal(percentile(s, 100), 100);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  const v = { type: 'trend' as const, values: [5, 1, 3] };
  assert.deepEqual(['min', 'med', 'max', 'avg'].map((a) => aggregate(v, a)), [1, 3, 5, 3]);
  assert.equal(aggregate({ type: 'rate', passes: 3, fails: 1 }, 'rate'), 0.75);
  assert.throws(() => aggregate({ type: 'gauge', value: 1 }, 'count'), /gauge metrics have no "count"/);
});

test('pacing: achieved rate between first and last start, and the worst whole second', () => {
  const due = Array.from({ length: 3001 }, (_, i) => 1000 + i); // 1000/s for 3 s
  assert.deepEqual(pacing(due, due), { achievedRate: 1000, targetRate: 1000, worstSecond: 0, perSecond: [1000, 1000, 1000, 1] });
  const late = due.map((t, i) => (i < 1000 ? t : t + 30)); // everything after the first second 30 ms late
  const p = pacing(late, due);
  assert.ok(Math.abs(p.achievedRate - 3000 / 3.03) < 1e-6);
  assert.ok(Math.abs(p.worstSecond - 0.03) < 1e-9, `${p.worstSecond}`);
});
