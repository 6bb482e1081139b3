// Specs shared by the unit tests.
import type { PipelineSpecInput } from '../../core/spec/schema';

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

/** Purchases enriched with user profiles (latest value, inner) and payments (one-to-one, left join). */
export function joinSpec(over: { time?: 'event' | 'arrival' } = {}): PipelineSpecInput {
  const kafka = (topic: string) => ({ brokers: ['127.0.0.1:9092'], topic });
  return {
    version: 1,
    name: 'unit-enriched',
    sources: [
      { name: 'users', kafka: kafka('users'), schema: { fields: { user_id: 'string', country: 'string', tier: 'string', updated_at: 'datetime' }, eventTime: 'updated_at' } },
      {
        name: 'purchases', kafka: kafka('purchases'),
        schema: { fields: { event_id: 'string', user_id: 'string', amount: 'float64', ts: 'datetime' }, eventTime: 'ts' },
        dedup: { key: 'event_id', window: '1h' },
      },
      { name: 'payments', kafka: kafka('payments'), schema: { fields: { payment_id: 'string', event_id: 'string', amount: 'float64', status: 'string', ts: 'datetime' }, eventTime: 'ts' } },
    ],
    join: {
      time: over.time ?? 'event',
      left: { source: 'purchases', window: '10s' },
      right: [
        { source: 'users', key: 'user_id', window: '30d', latest: true },
        { source: 'payments', key: 'event_id', window: '10s', kind: 'left' },
      ],
      output: [
        'purchases.event_id', 'purchases.user_id', 'purchases.amount', 'purchases.ts', 'users.country', 'users.tier',
        'payments.payment_id', { field: 'payments.status', as: 'payment_status' }, { field: 'payments.amount', as: 'paid_amount' },
      ],
    },
    sink: {
      clickhouse: { url: 'http://127.0.0.1:8123', table: 'enriched' },
      createTable: { engine: 'MergeTree', orderBy: ['event_id'] },
    },
  };
}
