// Process settings from the environment, with the local stack's defaults.
import { DEFAULT_SNAPSHOT_MIN_INPUTS } from '../core/join/joinRunner';
import { DEDUP_SNAPSHOT_EVERY_KEYS } from '../core/dedupSnapshot';

export const settings = {
  natsUrl: process.env.SLUICE_NATS_URL ?? 'nats://127.0.0.1:4222',
  temporalAddress: process.env.SLUICE_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  temporalNamespace: process.env.SLUICE_TEMPORAL_NAMESPACE ?? 'default',
  taskQueue: process.env.SLUICE_TASK_QUEUE ?? 'sluice',
  kafkaBrokers: (process.env.SLUICE_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  clickhouseUrl: process.env.SLUICE_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123',
  /** replicated sink tables: the insert_quorum of Sluice's INSERTs (e.g. 2, or auto: a majority); unset: none */
  clickhouseInsertQuorum: process.env.SLUICE_CLICKHOUSE_INSERT_QUORUM || undefined,
  apiPort: Number(process.env.SLUICE_API_PORT ?? 4000),
  apiHost: process.env.SLUICE_API_HOST ?? '127.0.0.1',
  workerMetricsPort: Number(process.env.SLUICE_WORKER_METRICS_PORT ?? 9464),
  workerMetricsHost: process.env.SLUICE_WORKER_METRICS_HOST ?? '127.0.0.1',
  /** activities one worker runs at once (Temporal's maxConcurrentActivityTaskExecutions): a limit that spreads a pipeline's shards over workers */
  workerMaxActivities: Number(process.env.SLUICE_WORKER_MAX_ACTIVITIES ?? 200),
  /** JetStream replicas of each pipeline stream (1, 3 or 5; 3 on a 3-node NATS cluster) */
  jetstreamReplicas: Number(process.env.SLUICE_JETSTREAM_REPLICAS ?? 1),
  /** a Kafka value larger than this goes to the DLQ as "oversized" */
  maxEventBytes: Number(process.env.SLUICE_MAX_EVENT_BYTES ?? 512 * 1024),
  /** Kafka fetch size per partition (bytes): what one fetch decodes into records at once, all alive until that batch is published */
  kafkaFetchBytesPerPartition: Number(process.env.SLUICE_KAFKA_FETCH_BYTES_PER_PARTITION ?? 2 ** 20),
  /** bytes of raw events JetStream may hold per pipeline before ingest is held back */
  rawStreamMaxBytes: Number(process.env.SLUICE_RAW_STREAM_MAX_BYTES ?? 2 ** 30),
  /** join pipelines: a join-state snapshot once at least this many inputs were journaled since the last one */
  /** a stage whose loop has not turned for this long stops heartbeating, so Temporal moves it (longer than a Kafka rebalance and an INSERT's timeout) */
  stageStallMs: Number(process.env.SLUICE_STAGE_STALL_MS ?? 90_000),
  joinSnapshotMinInputs: Number(process.env.SLUICE_JOIN_SNAPSHOT_MIN_INPUTS ?? DEFAULT_SNAPSHOT_MIN_INPUTS),
  /** dedup: MiB of keys in memory per source of a sink; past it keys go to LMDB on local disk (unset: no cap) */
  dedupMemoryMaxMiB: process.env.SLUICE_DEDUP_MEMORY_MAX_MB === undefined ? undefined : Number(process.env.SLUICE_DEDUP_MEMORY_MAX_MB),
  /** dedup: a dedup-state snapshot once at least this many new keys were admitted since the last one */
  dedupSnapshotEveryKeys: Number(process.env.SLUICE_DEDUP_SNAPSHOT_EVERY_KEYS ?? DEDUP_SNAPSHOT_EVERY_KEYS),
  /** dedup: where keys past the memory cap go (default: <tmpdir>/sluice-state) */
  stateDir: process.env.SLUICE_STATE_DIR,
};
