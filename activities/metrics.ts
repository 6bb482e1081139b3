// Prometheus metrics of the stages running in this process (served by the worker on /metrics).
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'sluice_worker_' });

export const stageCounter = new Gauge({
  name: 'sluice_stage_events',
  help: 'Per-stage event counters since the pipeline was created (read, duplicates, dlq, inserted, ...)',
  labelNames: ['pipeline', 'stage', 'source', 'counter'] as const,
  registers: [registry],
});
