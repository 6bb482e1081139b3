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
