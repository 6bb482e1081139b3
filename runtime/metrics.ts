// Prometheus metrics of the stages running in this process (served by the worker on /metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'sluice_worker_' });

export const stageCounter = new Gauge({
  name: 'sluice_stage_events',
  help: 'Per-stage event counters since the pipeline was created (read, duplicates, dlq, inserted, ...)',
  labelNames: ['pipeline', 'stage', 'source', 'counter'] as const,
  registers: [registry],
});

export const batchRows = new Histogram({
  name: 'sluice_sink_batch_rows',
  help: 'Rows per ClickHouse insert',
  labelNames: ['pipeline'] as const,
  buckets: [1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000],
  registers: [registry],
});

export const insertSeconds = new Histogram({
  name: 'sluice_sink_insert_seconds',
  help: 'Duration of one ClickHouse insert',
  labelNames: ['pipeline'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const endToEndSeconds = new Histogram({
  name: 'sluice_end_to_end_seconds',
  help: 'From ingest reading a batch from Kafka to its rows inserted in ClickHouse (oldest event of each insert)',
  labelNames: ['pipeline'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
  registers: [registry],
});

export const kafkaLag = new Gauge({
  name: 'sluice_kafka_consumer_lag',
  help: 'Kafka records not yet read by ingest, per partition (from the last fetch)',
  labelNames: ['pipeline', 'source', 'partition'] as const,
  registers: [registry],
});

export const rawPending = new Gauge({
  name: 'sluice_jetstream_pending_messages',
  help: 'Raw JetStream messages (of up to 500 events) ingested but not yet committed by the sink',
  labelNames: ['pipeline'] as const,
  registers: [registry],
});

export const dlqEvents = new Counter({
  name: 'sluice_dlq_events_total',
  help: 'Events sent to the dead-letter queue, by reason (counted by the process that wrote them)',
  labelNames: ['pipeline', 'source', 'reason'] as const,
  registers: [registry],
});
