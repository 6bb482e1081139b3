// The dedup preview of the wizard: a sample run through the same SinkState the worker runs
// (decoder, dedup key, window), so its rows / duplicates / DLQ counts are the worker's. Pure.
import type { PipelineSpec } from './spec/schema';
import { SinkState, type DlqEntry } from './sinkState';
import { EventDecoder, EventError } from './event';
import { keyFieldsOf, keyFunction } from './dedupKey';
import type { DlqReason } from './event';

/** a sampled Kafka record; timestamp: its Kafka timestamp (ms), the arrival a join preview orders by */
export interface SampledMessage { partition: number; offset: number; value: string | null; timestamp?: number | null }
export interface DedupPreview {
  read: number;
  rows: number;
  duplicates: number;
  dlq: number;
  /** DLQ entries by reason */
  dlqReasons: Array<{ reason: DlqReason; count: number; example: string }>;
  /** up to `maxGroups` groups of sampled values sharing a dedup key (kept first, then dropped) */
  groups: string[][];
}

/**
 * Previews source `source` of a validated spec on sampled messages, all arriving at `now` (with
 * an arrival-time rule every copy within the sample falls in the window; with event time, the
 * events' own times decide).
 */
export function previewDedup(spec: PipelineSpec, messages: readonly SampledMessage[], now: number, source = 0, maxGroups = 5): DedupPreview {
  const state = new SinkState(spec);
  const byPartition = new Map<number, SampledMessage[]>();
  for (const m of [...messages].sort((a, b) => a.offset - b.offset)) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
  let seq = 0;
  const topic = spec.sources[source].kafka.topic;
  for (const [p, ms] of byPartition) state.process(++seq, { s: source, t: topic, p, a: now, o: ms.map((m) => m.offset), v: ms.map((m) => m.value) });
  const taken = state.takeBatch(now);
  const groups: string[][] = [];
  const dedup = spec.sources[source].dedup;
  if (dedup) {
    const decoder = new EventDecoder(spec.sources[source], new Set(keyFieldsOf(dedup)));
    const key = keyFunction(dedup);
    const byKey = new Map<string, string[]>();
    for (const m of messages) {
      try {
        const k = key(decoder.decode(m.value));
        byKey.set(k, [...(byKey.get(k) ?? []), m.value!]);
      } catch (e) {
        if (!(e instanceof EventError)) throw e;
      }
    }
    for (const g of byKey.values()) if (g.length > 1 && groups.length < maxGroups) groups.push(g);
  }
  const c = state.counters;
  return {
    read: c.read, rows: taken.rows.count, duplicates: c.duplicates, dlq: c.dlq,
    dlqReasons: reasonsOf(taken.dlq), groups,
  };
}

export interface JoinPreview {
  read: number;
  /** joined rows emitted */
  rows: number;
  duplicates: number;
  dlq: number;
  dlqReasons: Array<{ reason: DlqReason; count: number; example: string }>;
  /** left events whose window closed with a match / without one (an inner side missing) / still open at `now` */
  matched: number;
  unmatched: number;
  waiting: number;
  /** right-side events taken into the join state */
  side: number;
  /** the first joined rows, as JSON objects of output name -> value */
  examples: string[];
}

/**
 * A join spec's run on the samples of its sources (samples[i]: source i's messages), by the
 * worker's own SinkState and join engine: messages in order of their Kafka timestamps (their
 * arrival; `now` without one), windows closed as the worker's clock would close them by `now`
 * (arrival time) or by the sampled events' own times (event time).
 */
export function previewJoin(spec: PipelineSpec, samples: ReadonlyArray<readonly SampledMessage[]>, now: number, maxExamples = 5): JoinPreview {
  const state = new SinkState(spec);
  // each partition in offset order (as ingest reads it), arriving no earlier than the record before it
  const all: Array<{ s: number; m: SampledMessage; a: number }> = [];
  samples.forEach((ms, s) => {
    const byPartition = new Map<number, SampledMessage[]>();
    for (const m of ms) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
    for (const list of byPartition.values()) {
      let a = -Infinity;
      for (const m of list.sort((x, y) => x.offset - y.offset)) all.push({ s, m, a: (a = Math.max(a, m.timestamp ?? now)) });
    }
  });
  all.sort((x, y) => x.a - y.a || x.s - y.s || x.m.partition - y.m.partition || x.m.offset - y.m.offset);
  let seq = 0;
  for (const { s, m, a } of all) {
    state.tick(a);
    state.process(++seq, { s, t: spec.sources[s].kafka.topic, p: m.partition, a, o: [m.offset], v: [m.value] });
  }
  state.tick(now);
  const taken = state.takeBatch(now);
  const c = state.counters;
  const j = c.join!;
  const columns = new Set(state.columns.map((col) => col.name));
  return {
    read: c.read, rows: taken.rows.count, duplicates: c.duplicates, dlq: c.dlq, dlqReasons: reasonsOf(taken.dlq),
    matched: j.matched, unmatched: j.unmatched, waiting: j.waiting, side: j.side,
    examples: taken.rows.objects().slice(0, maxExamples).map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => columns.has(k))))),
  };
}

function reasonsOf(dlq: readonly DlqEntry[]): DedupPreview['dlqReasons'] {
  const reasons = new Map<DlqReason, { count: number; example: string }>();
  for (const d of dlq) {
    const r = reasons.get(d.reason) ?? { count: 0, example: d.error };
    r.count++;
    reasons.set(d.reason, r);
  }
  return [...reasons].map(([reason, r]) => ({ reason, ...r }));
}
