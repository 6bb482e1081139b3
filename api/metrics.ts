// The pipeline page's charts: the workflow's counter samples of the last 15 minutes
// (workflows/metricsHistory.ts) turned into rates per interval. Pure.
import type { MetricsSample } from '../workflows/signals';

export const CHART_WINDOW_MS = 15 * 60_000;

export interface MetricsPoint {
  at: string;
  seconds: number;
  readPerSec: number;
  rowsPerSec: number;
  duplicatesPerSec: number;
  dlqPerSec: number;
  lag: number;
  latencyMs: number | null;
  latencyMeasured: boolean;
}

/** a counter that went back (a stage that restarted before its carry-over) gives no negative rate */
const rate = (a: number, b: number, s: number) => Math.max(0, b - a) / s;

/**
 * One point per interval between consecutive samples (the last one ending at `now`, the current
 * state) that ends within the last 15 minutes. Latency: the sink's own figure when it reports one,
 * else an estimate, backlog ÷ throughput (Kafka lag plus what ingest read and the sink has not
 * processed yet, over the sink's rate in that interval; null when nothing moved through).
 */
export function metricsPoints(samples: readonly MetricsSample[], current: MetricsSample | undefined, now = Date.now()): MetricsPoint[] {
  const all = current && (!samples.length || current.at > samples[samples.length - 1].at) ? [...samples, current] : [...samples];
  const out: MetricsPoint[] = [];
  for (let i = 1; i < all.length; i++) {
    const [a, b] = [all[i - 1], all[i]];
    if (b.at < now - CHART_WINDOW_MS) continue;
    const s = (b.at - a.at) / 1000;
    if (s <= 0) continue;
    const through = rate(a.sinkRead, b.sinkRead, s);
    const backlog = b.lag + Math.max(0, b.read - b.sinkRead);
    const measured = b.latencyMs !== undefined;
    const latencyMs = measured ? b.latencyMs! : backlog === 0 ? 0 : through > 0 ? Math.round((backlog / through) * 1000) : null;
    out.push({
      at: new Date(b.at).toISOString(), seconds: s,
      readPerSec: rate(a.read, b.read, s), rowsPerSec: rate(a.inserted, b.inserted, s),
      duplicatesPerSec: rate(a.duplicates, b.duplicates, s), dlqPerSec: rate(a.dlq, b.dlq, s),
      lag: b.lag, latencyMs, latencyMeasured: measured,
    });
  }
  return out;
}
