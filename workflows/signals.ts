// The pipeline workflow's public surface: signals, queries and the state it reports.
// Imported by the workflow, the API and the activities, so it must stay free of I/O.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PipelineSpec } from '../core/spec/schema';

export type PipelineStatus = 'PROVISIONING' | 'RUNNING' | 'PAUSED' | 'STOPPING' | 'STOPPED' | 'FAILED';

export interface StageProgress {
  stage: 'ingest' | 'sink';
  source?: string;
  counters: Record<string, number>;
  at: number;
}

export interface PipelineState {
  name: string;
  status: PipelineStatus;
  specVersion: number;
  error?: string;
  /** ingest counters per source, and the sink's */
  ingest: Record<string, Record<string, number>>;
  sink: Record<string, number>;
  updatedAt: number;
}

export interface PipelineInput {
  spec: PipelineSpec;
  /** carried over by continue-as-new */
  carried?: { state: PipelineState; paused: boolean };
}

export interface StopOptions {
  /** also remove the pipeline's JetStream streams and Kafka consumer groups */
  delete?: boolean;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const updateSignal = defineSignal<[PipelineSpec]>('update');
export const stopSignal = defineSignal<[StopOptions]>('stop');
export const progressSignal = defineSignal<[StageProgress]>('progress');
export const statusQuery = defineQuery<PipelineState>('status');
export const specQuery = defineQuery<PipelineSpec>('spec');
/** Sends DLQ entries (by id) back to their source topic; returns how many. */
export const replayDlqUpdate = defineUpdate<number, [number[]]>('replayDlq');
/** Empties the DLQ; returns how many entries were removed. */
export const purgeDlqUpdate = defineUpdate<number, []>('purgeDlq');
