// Specs shared by the unit tests.
import type { PipelineSpecInput } from '../../core/spec/schema';
import { joinScenarioSpec } from '../../loadtest/joinDataset';

export function purchaseSpec(over: Partial<PipelineSpecInput> = {}): PipelineSpecInput {
  return {
    version: 1,
    name: 'unit-purchases',
    sources: [{
      name: 'purchases',
      kafka: { brokers: ['127.0.0.1:9092'], topic: 'purchases' },
      schema: {
        fields: { event_id: 'string', user_id: 'string', amount: 'float64', ts: 'datetime', _event_source_: 'string', 'meta.country': 'string?' },
        eventTime: 'ts',
      },
      dedup: { key: { ignore: ['_event_source_'] }, window: '1h', time: 'arrival' },
    }],
    sink: {
      clickhouse: { url: 'http://127.0.0.1:8123', table: 'purchases' },
      createTable: { engine: 'MergeTree', orderBy: ['event_id'] },
    },
    ...over,
  };
}

/** Purchases enriched with user profiles (latest value, inner) and payments (one-to-one, left join): the join scenario's pipeline. */
export function joinSpec(over: { time?: 'event' | 'arrival' } = {}): PipelineSpecInput {
  const spec = joinScenarioSpec('unit-enriched', {
    brokers: ['127.0.0.1:9092'], topics: { users: 'users', purchases: 'purchases', payments: 'payments' },
    clickhouseUrl: 'http://127.0.0.1:8123', database: 'default', table: 'enriched',
  });
  return { ...spec, join: { ...spec.join!, time: over.time ?? 'event' } };
}
