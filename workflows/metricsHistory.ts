// The pipeline page's charts over the last 15 minutes: the workflow keeps a bounded ring of counter
// samples, one at most every 10 s, taken when stage reports arrive (no timer, no activity), answered
// by its metrics query and carried over continue-as-new. So the history survives API and worker
// restarts and needs no store of its own; 91 samples of 8 numbers each. Deterministic (workflow code).
import type { MetricsSample, PipelineState } from './signals';

export const SAMPLE_EVERY_MS = 10_000;
/** 15 minutes of samples, and the one before them (a rate needs two) */
export const MAX_SAMPLES = 91;

const sum = (xs: Iterable<number | undefined>) => { let n = 0; for (const x of xs) n += x ?? 0; return n; };

export function sampleOf(state: PipelineState, at: number): MetricsSample {
  const sources = Object.values(state.ingest);
  const s: MetricsSample = {
    at, read: sum(sources.map((c) => c.read)), sinkRead: state.sink.read ?? 0, inserted: state.sink.inserted ?? 0,
    duplicates: state.sink.duplicates ?? 0, dlq: state.sink.dlq ?? 0, lag: sum(sources.map((c) => c.lag)),
  };
  if (state.sink.latencyMs !== undefined) s.latencyMs = state.sink.latencyMs;
  return s;
}

export class MetricsHistory {
  readonly samples: MetricsSample[];

  constructor(carried: readonly MetricsSample[] = []) {
    this.samples = carried.slice(-MAX_SAMPLES);
  }

  /** Takes a sample of `state` if the last one is 10 s old or more. */
  add(state: PipelineState, now: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && now - last.at < SAMPLE_EVERY_MS) return;
    this.samples.push(sampleOf(state, now));
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
  }
}
