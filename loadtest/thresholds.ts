// Thresholds as k6 writes them: { e2e_latency: ['p(99)<2000'], rows_missing: ['count==0'] } (pure).
import { AGGREGATES, aggregate, type Metric } from './metrics';

export type ThresholdInput = Record<string, Array<string | { threshold: string }>>;

export interface Threshold {
  metric: string;
  /** the text as written, e.g. "p(99)<2000" */
  source: string;
  aggregate: string;
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  value: number;
}

export interface ThresholdResult extends Threshold {
  actual: number;
  ok: boolean;
}

const EXPR = /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/;

export function parseThreshold(metric: string, source: string): Threshold {
  const m = EXPR.exec(source);
  if (!m) throw new Error(`thresholds.${metric}: cannot read "${source}"; expected an aggregate, a comparison and a number, like "p(99)<2000" or "count==0"`);
  const op = (m[2] === '===' ? '==' : m[2]) as Threshold['op'];
  return { metric, source, aggregate: m[1], op, value: Number(m[3]) };
}

export function parseThresholds(input: ThresholdInput = {}): Threshold[] {
  return Object.entries(input).flatMap(([metric, list]) => {
    if (!Array.isArray(list)) throw new Error(`thresholds.${metric}: expected a list like ['p(99)<2000']`);
    return list.map((t) => parseThreshold(metric, typeof t === 'string' ? t : t.threshold));
  });
}

/** Refuses thresholds on metrics the test does not have, or with an aggregate their type lacks. */
export function checkThresholds(ts: Threshold[], known: Map<string, Metric['value']['type']>): void {
  for (const t of ts) {
    const type = known.get(t.metric);
    if (!type) throw new Error(`thresholds.${t.metric}: no such metric (there are ${[...known.keys()].sort().join(', ')})`);
    const allowed = AGGREGATES[type];
    const agg = t.aggregate.startsWith('p(') ? 'p(N)' : t.aggregate;
    if (!allowed.includes(agg)) throw new Error(`thresholds.${t.metric}: "${t.aggregate}" does not apply to a ${type} metric (use ${allowed.join(', ')})`);
  }
}

const compare: Record<Threshold['op'], (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '==': (a, b) => a === b, '!=': (a, b) => a !== b,
};

/** A threshold on a metric with no values (NaN) fails: nothing measured proves nothing. */
export function evaluateThresholds(ts: Threshold[], metrics: Map<string, Metric>): ThresholdResult[] {
  return ts.map((t) => {
    const m = metrics.get(t.metric);
    const actual = m ? aggregate(m.value, t.aggregate) : NaN;
    return { ...t, actual, ok: !Number.isNaN(actual) && compare[t.op](actual, t.value) };
  });
}
