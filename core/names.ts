// Names derived from a pipeline's name: one place, so every component agrees on them.
const token = (name: string) => name.toUpperCase().replace(/-/g, '_');

export const TASK_QUEUE_DEFAULT = 'sluice';
export const workflowIdOf = (pipeline: string) => `sluice-pipeline-${pipeline}`;
export const pipelineOfWorkflowId = (id: string) => (id.startsWith('sluice-pipeline-') ? id.slice('sluice-pipeline-'.length) : undefined);

export const streamsOf = (pipeline: string) => ({
  /** raw Kafka records, batched by ingest */
  raw: `SLUICE_${token(pipeline)}_RAW`,
  rawSubject: (source: number) => `sluice.${pipeline}.raw.${source}`,
  rawSubjects: `sluice.${pipeline}.raw.>`,
  /** the sink's state journal: one entry per committed batch */
  journal: `SLUICE_${token(pipeline)}_STATE`,
  journalSubject: `sluice.${pipeline}.state`,
  /** dead-lettered events with their reasons */
  dlq: `SLUICE_${token(pipeline)}_DLQ`,
  dlqSubject: `sluice.${pipeline}.dlq`,
  /** join pipelines: snapshots of the join state (a JetStream object store; its stream is OBJ_<bucket>) */
  joinBucket: `SLUICE_${token(pipeline)}_JOIN`,
  joinBucketStream: `OBJ_SLUICE_${token(pipeline)}_JOIN`,
});

export const consumerGroupOf = (pipeline: string, source: string, configured?: string) => configured ?? `sluice-${pipeline}-${source}`;

/**
 * The names of one shard of a pipeline with `count` shards (spec `parallelism`). With one shard
 * they are the pipeline's names of before sharding (so existing pipelines keep their streams); with
 * more, shard k has its own raw subjects in the one raw stream, its own journal stream, snapshot
 * names and fences (core/fence.ts).
 *
 * A sharded raw subject names the parallelism too (`raw.<source>.<k>.<count>`), and each shard
 * reads only the subjects of its own count: a record routed under another parallelism — published
 * by an ingest member frozen before a change of parallelism and thawed after it — lands where no
 * shard reads it (its member's Kafka commit is refused, so the record is read again and routed by
 * the current parallelism). Sharded pipelines made before the count was in the name published to
 * `raw.<source>.<k>`: shard k still reads those too.
 */
export const shardOf = (pipeline: string, shard: number, count: number) => {
  const s = streamsOf(pipeline);
  if (count === 1) {
    // one token after "raw": the unsharded subjects only, not a sharded one a frozen member of another parallelism may publish
    return { shard, count, rawSubject: s.rawSubject, rawFilters: [`sluice.${pipeline}.raw.*`], journal: s.journal, journalSubject: s.journalSubject, snapshotPrefix: '', fence: undefined };
  }
  return {
    shard, count,
    rawSubject: (source: number) => `sluice.${pipeline}.raw.${source}.${shard}.${count}`,
    rawFilters: [`sluice.${pipeline}.raw.*.${shard}.${count}`, `sluice.${pipeline}.raw.*.${shard}`],
    journal: `${s.journal}_S${shard}`,
    journalSubject: `${s.journalSubject}.${shard}`,
    /** before the snapshot kinds ("batch-", "dedup-") in the object store */
    snapshotPrefix: `s${shard}-`,
    /** the shard's mark in its fence names */
    fence: shard,
  };
};
export type ShardNames = ReturnType<typeof shardOf>;

/** Every shard of a pipeline with `count` shards. */
export const shardsOf = (pipeline: string, count: number): ShardNames[] => Array.from({ length: count }, (_, k) => shardOf(pipeline, k, count));

/** The journal streams of a pipeline's shards, whatever the parallelism was (for teardown). */
export const isShardJournalOf = (pipeline: string, stream: string) => new RegExp(`^${streamsOf(pipeline).journal}_S\\d+$`).test(stream);
