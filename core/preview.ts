// The dedup preview of the wizard: a sample run through the same SinkState the worker runs
// (decoder, dedup key, window), so its rows / duplicates / DLQ counts are the worker's. Pure.
import type { PipelineSpec } from './spec/schema';
import { SinkState } from './sinkState';
import { EventDecoder, EventError } from './event';
import { keyFieldsOf, keyFunction } from './dedupKey';
import type { DlqReason } from './event';

export interface SampledMessage { partition: number; offset: number; value: string | null }
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
  const reasons = new Map<DlqReason, { count: number; example: string }>();
  for (const d of taken.dlq) {
    const r = reasons.get(d.reason) ?? { count: 0, example: d.error };
    r.count++;
    reasons.set(d.reason, r);
  }
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
    read: c.read, rows: taken.rows.length, duplicates: c.duplicates, dlq: c.dlq,
    dlqReasons: [...reasons].map(([reason, r]) => ({ reason, ...r })), groups,
  };
}
