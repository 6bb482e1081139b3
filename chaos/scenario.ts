// What a chaos scenario of chaos/run.ts is: its load, its workers, the fault it injects.
import type { PipelineService } from '../client/pipelines';
import type { PipelineSpec } from '../core/spec/schema';
import type { ChaosEvent } from './badData';
import type { Workers } from './faults';

export interface Ctx { workers: Workers; rand: () => number; faultOver: (at?: number) => void; keysHeld: () => Promise<number>; svc: PipelineService; spec: PipelineSpec;
  /** something the fault checks went wrong (e.g. an update that should be refused was not): the scenario fails */
  problem: (message: string) => void }
export interface Scenario {
  name: string; events: number; rate: number; faultAfterMs: number; workers?: number;
  /** how long the pipeline may take after the last event is sent (default 300 s) */
  settleMs?: number;
  /** run only when named (`npm run chaos -- <name>`), not in the whole suite */
  heavy?: boolean;
  /** environment of the first worker(s), e.g. a crash point */
  workerEnv?: NodeJS.ProcessEnv;
  /** the spec's parallelism (default 1) and the topic's partitions (default 3) */
  parallelism?: number;
  partitions?: number;
  /** bad data: changes the events (and what each must become) and the spec */
  transform?: (events: ChaosEvent[]) => ChaosEvent[];
  spec?: (spec: PipelineSpec) => PipelineSpec;
  fault: (c: Ctx) => Promise<void>;
}

