// Event sets for the bad-data scenarios: what each event must become is decided here, up front.
import type { PipelineSpec } from '../core/spec/schema';
import { specFrom } from '../client/pipelines';
import type { GeneratedEvent } from '../loadtest/seedEvents';

export interface ChaosEvent {
  key: string;
  value: string | Buffer | null;
  expect: 'row' | 'duplicate' | 'dlq';
}

export const MAX_EVENT_BYTES = 4096;

export const fromGenerated = (events: GeneratedEvent[]): ChaosEvent[] =>
  events.map((e) => ({ key: e.key, value: e.value, expect: e.unique ? 'row' : e.malformed ? 'dlq' : 'duplicate' }));

/** Every 100th event is replaced by one kind of bad input, in turn: each must reach the DLQ. */
export function withBadInput(events: ChaosEvent[]): ChaosEvent[] {
  const bad: Array<string | Buffer | null> = [
    '{"event_id": "cut', '[1,2,3]', JSON.stringify({ user_id: 'u', amount: 1, currency: 'EUR', ts: '2026-11-29T12:00:00Z', _event_source_: 'x' }),
    JSON.stringify({ event_id: 'wrong-type', user_id: 'u', amount: 'ten', currency: 'EUR', ts: '2026-11-29T12:00:00Z', _event_source_: 'x' }),
    JSON.stringify({ event_id: 'big', pad: 'p'.repeat(MAX_EVENT_BYTES) }), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), null,
  ];
  // only events nothing else refers to are replaced (no copy of them follows), so the counts stay exact
  const copies = new Set(events.filter((e) => e.expect === 'duplicate').map((e) => e.key));
  let k = 0;
  return events.map((e, i) => (i % 100 === 50 && e.expect === 'row' && !copies.has(e.key) ? { key: `bad-${i}`, value: bad[k++ % bad.length], expect: 'dlq' } : e));
}

/** The pipeline maps a text field into a UUID column; 1% of purchases (never copied ones) carry text ClickHouse cannot parse. */
export function withRejectedDates(events: ChaosEvent[]): ChaosEvent[] {
  const copies = new Set(events.filter((e) => e.expect === 'duplicate').map((e) => e.key));
  return events.map((e, i) => {
    if (e.expect === 'dlq' || typeof e.value !== 'string') return e;
    const ev = JSON.parse(e.value) as Record<string, unknown>;
    const reject = e.expect === 'row' && !copies.has(e.key) && i % 100 === 7;
    return { ...e, value: JSON.stringify({ ...ev, note: reject ? 'not a uuid' : '6f1b1c8e-0f5e-4d3a-9d2b-1c2d3e4f5a6b' }), expect: reject ? 'dlq' : e.expect };
  });
}

export function rejectingSpec(spec: PipelineSpec): PipelineSpec {
  return specFrom({
    ...spec,
    sources: spec.sources.map((s) => ({ ...s, schema: { ...s.schema, fields: { ...s.schema.fields, note: 'string' } } })),
    sink: { ...spec.sink, columns: [...(spec.sink.columns ?? []), { name: 'ref', field: 'note', type: 'UUID' }] },
  });
}
