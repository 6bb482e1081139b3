// The pipeline workflow's public surface: signals, queries and the state it reports.
// Imported by the workflow, the API and the activities, so it must stay free of I/O.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PipelineSpec } from '../core/spec/schema';

/**
 * PAUSING / STOPPING: asked to, the stages are winding down. REPARTITIONING: an update changed
 * `parallelism`: ingest is stopped and the shards' state moves to the new shards. NO_WORKER is never the workflow's own
 * status: the API reports it when no worker answers for the pipeline (with the last known figures).
 */
export type PipelineStatus = 'PROVISIONING' | 'RUNNING' | 'PAUSING' | 'PAUSED' | 'REPARTITIONING' | 'STOPPING' | 'STOPPED' | 'FAILED' | 'NO_WORKER';

/** The last change of `parallelism` of a running pipeline: what moved and how long the pipeline stood still. */
export interface ParallelismChange {
  from: number;
  to: number;
  /** when it was asked for, and when ingest ran again */
  at: number;
  /** from the stages' stop to the new stages' start; of it, draining the old shards and moving their state */
  stoppedMs: number;
  drainMs: number;
  moveMs: number;
  /** dedup keys and join events (open left, held right) moved */
  keys: number;
  joinEvents: number;
  /** why it was refused, before anything changed (the pipeline went on with `from` shards) */
  refused?: string;
}

export interface StageProgress {
  stage: 'ingest' | 'sink';
  source?: string;
  /** a sharded sink (spec parallelism > 1): which shard */
  shard?: number;
  /** ingest of a source read by several members of one consumer group: which one (absent: member 0) */
  member?: number;
  counters: Record<string, number>;
  /** set while the stage fails (e.g. Kafka refuses the credentials), cleared once it works again */
  error?: string;
  at: number;
}

export interface PipelineState {
  name: string;
  status: PipelineStatus;
  specVersion: number;
  error?: string;
  /** ingest counters per source, and the sink's */
  ingest: Record<string, Record<string, number>>;
  /** per source: why its ingest fails right now (absent when it works) */
  sourceErrors?: Record<string, string>;
  /** the sink's counters: with parallelism > 1, the sum over its shards */
  sink: Record<string, number>;
  /** parallelism > 1: each shard's counters (absent for one shard) */
  shards?: Array<Record<string, number>>;
  /** ingest counters per member of a source's consumer group ("source#member"), when a source has more than one */
  ingestMembers?: Record<string, Record<string, number>>;
  /** the last change of parallelism (absent: none) */
  parallelismChange?: ParallelismChange;
  updatedAt: number;
}

/**
 * The workflow's memo (encrypted like every payload): what the API reads without asking a
 * worker — the spec it runs (for delete and lag), the last state it reported, and whether it was deleted.
 */
export interface PipelineMemo {
  spec?: PipelineSpec;
  /** the spec as the user gave it (YAML text; JSON and typed input kept as YAML), for "edit" */
  specText?: string;
  state?: PipelineState;
  deleted?: boolean;
}

/** One sample of the counters, for the pipeline page's charts (workflows/metricsHistory.ts). */
export interface MetricsSample {
  at: number;
  /** records read from Kafka, summed over sources */
  read: number;
  /** what the sink has processed (read = inserted + duplicates + dlq without a join) */
  sinkRead: number;
  inserted: number;
  duplicates: number;
  dlq: number;
  /** Kafka records not yet read, summed over sources (as ingest measured it) */
  lag: number;
  /** end-to-end latency, when the sink reports one (counter latencyMs) */
  latencyMs?: number;
}

export interface PipelineInput {
  spec: PipelineSpec;
  /** carried over by continue-as-new */
  carried?: { state: PipelineState; paused: boolean; history?: MetricsSample[] };
}

export interface StopOptions {
  /** also remove the pipeline's JetStream streams and Kafka consumer groups */
  delete?: boolean;
}

/** Pause, resume and stop answer with the state once it took effect (or PAUSING/STOPPING if that takes longer). */
export const pauseUpdate = defineUpdate<PipelineState, []>('pausePipeline');
export const resumeUpdate = defineUpdate<PipelineState, []>('resumePipeline');
export const stopUpdate = defineUpdate<PipelineState, [StopOptions]>('stopPipeline');
/** the new spec, and its text as the user gave it (kept in the memo) */
export const updateSignal = defineSignal<[PipelineSpec, string?]>('update');
/** For signal-with-start: delete starts a finished pipeline again just to tear it down. */
export const stopSignal = defineSignal<[StopOptions]>('stop');
export const progressSignal = defineSignal<[StageProgress]>('progress');
export const statusQuery = defineQuery<PipelineState>('status');
export const specQuery = defineQuery<PipelineSpec>('spec');
/** The counter samples of the last 15 minutes (workflows/metricsHistory.ts), oldest first. */
export const metricsQuery = defineQuery<MetricsSample[]>('metrics');
/** Sends DLQ entries (by id) back to their source topic; returns how many. */
export const replayDlqUpdate = defineUpdate<number, [number[]]>('replayDlq');
/** Empties the DLQ; returns how many entries were removed. */
export const purgeDlqUpdate = defineUpdate<number, []>('purgeDlq');
