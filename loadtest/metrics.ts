// The test's metrics, k6's four kinds, and their aggregates (pure).
export type MetricValue =
  | { type: 'counter'; count: number; rate: number }
  | { type: 'gauge'; value: number }
  | { type: 'rate'; passes: number; fails: number }
  | { type: 'trend'; values: ArrayLike<number> };

/** What a metric's numbers are, for formatting: ms, bytes or plain numbers. */
export type Contains = 'time' | 'data' | 'default';

export interface Metric {
  name: string;
  group: string;
  contains: Contains;
  value: MetricValue;
}

/** The aggregates a threshold can name, by metric type (as in k6). */
export const AGGREGATES: Record<MetricValue['type'], string[]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'med', 'max', 'p(N)'],
};

/** Linear interpolation between closest ranks, as k6 computes p(N). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (p / 100) * (n - 1);
  const lo = Math.floor(pos);
  return lo + 1 < n ? sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - lo) : sorted[n - 1];
}

const sortedCache = new WeakMap<object, Float64Array>();
function sortedOf(values: ArrayLike<number>): Float64Array {
  let s = sortedCache.get(values as object);
  if (!s) {
    s = Float64Array.from(values).sort();
    sortedCache.set(values as object, s);
  }
  return s;
}

/** One aggregate of a metric: "count", "rate", "value", "avg", "med", "min", "max" or "p(99)". */
export function aggregate(v: MetricValue, agg: string): number {
  switch (v.type) {
    case 'counter':
      if (agg === 'count') return v.count;
      if (agg === 'rate') return v.rate;
      break;
    case 'gauge':
      if (agg === 'value') return v.value;
      break;
    case 'rate':
      if (agg === 'rate') return v.passes + v.fails === 0 ? 0 : v.passes / (v.passes + v.fails);
      break;
    case 'trend': {
      const s = sortedOf(v.values);
      if (agg === 'avg') return s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
      if (agg === 'min') return s.length ? s[0] : NaN;
      if (agg === 'max') return s.length ? s[s.length - 1] : NaN;
      if (agg === 'med') return percentile(s, 50);
      const m = /^p\((\d+(?:\.\d+)?)\)$/.exec(agg);
      if (m) return percentile(s, Number(m[1]));
      break;
    }
  }
  throw new Error(`${v.type} metrics have no "${agg}" (they have ${AGGREGATES[v.type].join(', ')})`);
}

/** The aggregates shown in the summary and the JSON export. */
export function summaryValues(v: MetricValue): Record<string, number> {
  switch (v.type) {
    case 'counter': return { count: v.count, rate: v.rate };
    case 'gauge': return { value: v.value };
    case 'rate': return { rate: aggregate(v, 'rate'), passes: v.passes, fails: v.fails };
    case 'trend': return Object.fromEntries(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'].map((a) => [a, aggregate(v, a)]));
  }
}

export interface Pacing {
  /** events per second between the first and the last start */
  achievedRate: number;
  /** the same for the schedule */
  targetRate: number;
  /** largest gap between the events started in one whole second and the schedule's, as a share of the schedule's */
  worstSecond: number;
  /** events started in each second from the first due time (for plotting; the last may be partial) */
  perSecond: number[];
}

/**
 * How closely starts followed the schedule. `startedAt` and `dueAt` are absolute ms of the same
 * iterations, in start order; rates ignore the last, partial second.
 */
export function pacing(startedAt: ArrayLike<number>, dueAt: ArrayLike<number>): Pacing {
  const n = startedAt.length;
  if (n < 2) return { achievedRate: NaN, targetRate: NaN, worstSecond: 0, perSecond: [n] };
  const rate = (t: ArrayLike<number>) => ((n - 1) * 1000) / Math.max(1, t[n - 1] - t[0]);
  const t0 = dueAt[0];
  const perSecond = (t: ArrayLike<number>) => {
    const counts: number[] = [];
    for (let i = 0; i < n; i++) { const w = Math.floor((t[i] - t0) / 1000); counts[w] = (counts[w] ?? 0) + 1; }
    return counts;
  };
  const want = perSecond(dueAt), got = Array.from(perSecond(startedAt), (c) => c ?? 0);
  let worst = 0;
  for (let w = 0; w < want.length - 1; w++) if (want[w]) worst = Math.max(worst, Math.abs((got[w] ?? 0) - want[w]) / want[w]);
  return { achievedRate: rate(startedAt), targetRate: rate(dueAt), worstSecond: worst, perSecond: got };
}
