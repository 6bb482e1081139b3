// The pipelines list from Temporal's visibility store: one listWorkflowExecutions call per 1,000
// runs gives every pipeline's latest run with its memo (the state the workflow recorded at its
// last status change, and its counters at most 10 s old), so a page of the list asks no worker
// anything and waits for no timeout. Custom search attributes are not used: a server where they
// are not registered (the dev server as the stack starts it) fails every workflow task that
// upserts one, while a memo is always there.
import type { Client } from '@temporalio/client';
import { decodeMapFromPayloads } from '@temporalio/common/lib/internal-non-workflow/codec-helpers';
import type { PipelineMemo, PipelineState } from '../workflows/signals';

/** The latest run of one pipeline as visibility lists it. */
export interface ListedRun {
  name: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, ... */
  runStatus: string;
  taskQueue: string;
  startTime: number;
  closeTime?: number;
  memo: PipelineMemo;
  /** why the memo could not be read (e.g. written with another SLUICE_CODEC_KEY) */
  memoError?: string;
}

const RUN_STATUS = ['UNSPECIFIED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'CONTINUED_AS_NEW', 'TIMED_OUT'];
const PREFIX = 'sluice-pipeline-';

/** Every pipeline's latest run (a pipeline that continued as new or was created again has older runs too), by name. */
export async function latestRuns(client: Client, namespace: string, workflowType: string): Promise<Map<string, ListedRun>> {
  const runs = new Map<string, ListedRun>();
  let nextPageToken: Uint8Array | undefined;
  do {
    // the raw listing: the client's iterator decodes every memo and stops at the first it cannot decode
    const page = await client.workflowService.listWorkflowExecutions({ namespace, query: `WorkflowType = '${workflowType}'`, pageSize: 1000, nextPageToken });
    for (const e of page.executions ?? []) {
      const name = (e.execution?.workflowId ?? '').replace(PREFIX, '');
      const startTime = Number(e.startTime?.seconds ?? 0) * 1000 + Math.floor((e.startTime?.nanos ?? 0) / 1e6);
      const seen = runs.get(name);
      if (seen && seen.startTime >= startTime) continue;
      const run: ListedRun = {
        name, startTime, runStatus: RUN_STATUS[e.status ?? 0] ?? 'UNSPECIFIED', taskQueue: e.taskQueue ?? '', memo: {},
        closeTime: e.closeTime?.seconds ? Number(e.closeTime.seconds) * 1000 : undefined,
      };
      try {
        run.memo = ((await decodeMapFromPayloads(client.options.loadedDataConverter, e.memo?.fields)) ?? {}) as PipelineMemo;
      } catch (err) {
        run.memoError = (err as Error).message;
      }
      runs.set(name, run);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return runs;
}

export const blankState = (name: string): PipelineState => ({ name, status: 'PROVISIONING', specVersion: 0, ingest: {}, sink: {}, updatedAt: Date.now() });

export const noWorkerError = (taskQueue: string, why: string) =>
  `${why}: is a Sluice worker running on task queue "${taskQueue}"? (figures as last known)`;

/**
 * A listed run's state, by the same rules as a pipeline's detail: a finished run ended with the
 * state in its memo (STOPPED) or FAILED; a running one has the status its workflow recorded last,
 * or NO_WORKER when no worker polls its task queue (`hasWorker`).
 */
export function listedState(run: ListedRun, hasWorker: boolean): PipelineState {
  const last = run.memo.state ?? blankState(run.name);
  if (run.memoError) return { ...blankState(run.name), status: 'FAILED', error: `cannot read its state: ${run.memoError}` };
  // a pipeline's workflow completes only once STOPPED (its result; the memo may predate the last change)
  if (run.runStatus === 'COMPLETED') return { ...last, status: 'STOPPED' };
  if (run.runStatus !== 'RUNNING') return { ...last, status: 'FAILED', error: `workflow ${run.runStatus.toLowerCase()}`, updatedAt: run.closeTime ?? last.updatedAt };
  if (!hasWorker) return { ...last, status: 'NO_WORKER', error: noWorkerError(run.taskQueue, 'no worker polls its task queue') };
  return last;
}

export interface ListFilter {
  /** one status (NO_WORKER included) */
  status?: string | null;
  /** part of the name */
  search?: string | null;
  /** names after this one */
  after?: string | null;
  /** at most this many (default: all) */
  first?: number;
}

/**
 * One page: runs by name, filtered, each state made by listedState. `hasWorker` is asked only for
 * running pipelines the page needs (callers cache it per task queue: one call per queue, not per pipeline).
 */
export async function pageOf(runs: Map<string, ListedRun>, filter: ListFilter, hasWorker: (taskQueue: string) => Promise<boolean>): Promise<PipelineState[]> {
  const out: PipelineState[] = [];
  const names = [...runs.keys()].sort();
  for (const name of names) {
    if (out.length >= (filter.first ?? Infinity)) break;
    const run = runs.get(name)!;
    if (run.memo.deleted || (filter.after && name <= filter.after) || (filter.search && !name.includes(filter.search))) continue;
    const s = listedState(run, run.runStatus === 'RUNNING' ? await hasWorker(run.taskQueue) : true);
    if (!filter.status || s.status === filter.status) out.push(s);
  }
  return out;
}
