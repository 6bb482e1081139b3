// The service layer: what the GraphQL resolvers, the CLI and the demo call. It talks to
// Temporal only (start, signal, query); the workflow owns all pipeline logic.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { stringify as stringifyYaml } from 'yaml';
import { settings } from '../runtime/settings';
import { dataConverter } from '../runtime/payloadCodec';
import { workflowIdOf } from '../core/names';
import { validateSpec, validateSpecText } from '../core/spec/validate';
import { formatProblem } from '../core/spec/problem';
import { updateProblems } from '../core/spec/updateRules';
import type { PipelineSpec } from '../core/spec/schema';
import type { SpecProblem } from '../core/spec/problem';
import { SluiceError } from './errors';
import {
  metricsQuery, pauseUpdate, purgeDlqUpdate, replayDlqUpdate, resumeUpdate, specQuery, statusQuery, stopSignal, stopUpdate, updateSignal,
  type MetricsSample, type PipelineInput, type PipelineMemo, type PipelineState,
} from '../workflows/signals';
import { sourceLag } from './sourceLag';
import { blankState as blank, latestRuns, noWorkerError, pageOf, type ListFilter } from './pipelineList';

const WORKFLOW_TYPE = 'pipelineWorkflow';
const QUERY_TIMEOUT_MS = 5000;
/** pause/resume/stop: the workflow answers within 15 s (PAUSING/STOPPING if it takes longer); more than that means no worker */
const UPDATE_TIMEOUT_MS = 25_000;
const DELETE_TIMEOUT_MS = 30_000;
/** Kafka lag is measured at most this often per pipeline */
const LAG_TTL_MS = 1000;
/** whether a task queue has a worker is asked at most this often per queue */
const POLLERS_TTL_MS = 2000;
/** a worker's long poll lasts up to ~70 s: one that polled within this long is taken as there */
const POLLER_SEEN_MS = 75_000;

/**
 * The text kept for "edit": YAML text as the user wrote it (comments and order too); JSON text and
 * a typed document as YAML of that document (no defaults filled in).
 */
export function specTextOf(input: unknown): string {
  if (typeof input !== 'string') return stringifyYaml(input);
  if (!input.trimStart().startsWith('{')) return input;
  try {
    return stringifyYaml(JSON.parse(input));
  } catch {
    return input;
  }
}

/** A spec from YAML/JSON text or an object; bad input -> BAD_SPEC listing every problem by path. */
export function specFrom(input: unknown): PipelineSpec {
  const r = typeof input === 'string' ? validateSpecText(input) : validateSpec(input);
  if (!r.ok) throw new SluiceError('BAD_SPEC', `invalid pipeline spec: ${r.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`, r.problems);
  return r.spec;
}

const memoOf = (m: Record<string, unknown> | undefined) => (m ?? {}) as PipelineMemo;
/** A gRPC DEADLINE_EXCEEDED anywhere in the error's causes: nobody answered in time. */
/**
 * No worker answered the query: the deadline passed (no poller; gRPC says DEADLINE_EXCEEDED, or
 * CANCELLED when the client's own deadline ends the call), or Temporal gave up on the
 * worker that holds the pipeline (its sticky queue was not served within 5 s: a busy or frozen
 * worker), which it reports as "Failed to query Workflow".
 */
function isDeadline(e: unknown): boolean {
  for (let c = e as { code?: unknown; message?: string; cause?: unknown } | undefined; c; c = c.cause as typeof c) {
    if (c.code === 1 || c.code === 4 || c.code === 14 || /deadline exceeded|failed to query workflow|sticky/i.test(c.message ?? '')) return true;
  }
  return false;
}

export class PipelineService {
  /** True once the run finished, false if it had not within `ms` (the wait is a deadline, so no poll is left running). */
  private finishedWithin(h: WorkflowHandle, ms: number): Promise<boolean> {
    return this.client.withDeadline(Date.now() + ms, () => h.result()).then(() => true, (e) => {
      if (isDeadline(e)) return false;
      throw e;
    });
  }

  /** the last state each pipeline's worker answered with: what NO_WORKER reports */
  private readonly lastKnown = new Map<string, PipelineState>();
  private readonly lag = new Map<string, { at: number; lag: Promise<Record<string, number | undefined>> }>();
  private readonly pollers = new Map<string, { at: number; has: Promise<boolean> }>();

  constructor(private readonly client: Client, private readonly taskQueue = settings.taskQueue) {}

  static async connect(taskQueue = settings.taskQueue): Promise<PipelineService> {
    const connection = await Connection.connect({ address: settings.temporalAddress });
    return new PipelineService(new Client({ connection, namespace: settings.temporalNamespace, dataConverter: dataConverter() }), taskQueue);
  }

  async close(): Promise<void> {
    await this.client.connection.close();
  }

  private handle(name: string) {
    return this.client.workflow.getHandle(workflowIdOf(name));
  }

  /** The pipeline's latest run; NOT_FOUND if there is none or it was deleted. */
  private async describe(name: string): Promise<WorkflowExecutionDescription> {
    try {
      const d = await this.handle(name).describe();
      if (memoOf(d.memo).deleted) throw new WorkflowNotFoundError('deleted', workflowIdOf(name), undefined);
      return d;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) throw new SluiceError('NOT_FOUND', `no pipeline named "${name}"`);
      throw e;
    }
  }

  /** The running workflow's handle and description; BAD_STATE if it finished. */
  private async runningRun(name: string): Promise<[WorkflowHandle, WorkflowExecutionDescription]> {
    const d = await this.describe(name);
    if (d.status.name !== 'RUNNING') throw new SluiceError('BAD_STATE', `pipeline "${name}" is ${d.status.name.toLowerCase()}`);
    return [this.handle(name), d];
  }

  private async running(name: string): Promise<WorkflowHandle> {
    return (await this.runningRun(name))[0];
  }

  async create(input: unknown): Promise<PipelineState> {
    const spec = specFrom(input);
    try {
      await this.client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: this.taskQueue,
        workflowId: workflowIdOf(spec.name),
        args: [{ spec } satisfies PipelineInput],
        memo: { spec, specText: specTextOf(input) } satisfies PipelineMemo,
      });
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) throw new SluiceError('ALREADY_EXISTS', `pipeline "${spec.name}" already exists; use update`);
      throw e;
    }
    this.lastKnown.delete(spec.name);
    return this.status(spec.name);
  }

  /**
   * Status and counters; for a finished pipeline, the state it ended with. Without a worker to
   * answer: NO_WORKER with the last known figures. Ingest lag is measured in Kafka.
   */
  async status(name: string): Promise<PipelineState> {
    const d = await this.describe(name);
    const memo = memoOf(d.memo);
    const h = this.handle(name);
    let s: PipelineState;
    if (d.status.name === 'RUNNING' && !(await this.hasWorker(d.taskQueue))) {
      // nobody polls its task queue: no query could be answered, so none is sent (the list says the same)
      s = { ...(this.lastKnown.get(name) ?? memo.state ?? blank(name)), status: 'NO_WORKER', error: noWorkerError(d.taskQueue, 'no worker polls its task queue') };
    } else if (d.status.name === 'RUNNING') {
      // answered by a worker: without one polling the pipeline's task queue there is no answer
      s = await this.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => h.query(statusQuery)).then((fresh) => {
        this.lastKnown.set(name, fresh);
        return fresh;
      }, (e): PipelineState => {
        if (!isDeadline(e)) throw e;
        return {
          ...(this.lastKnown.get(name) ?? memo.state ?? blank(name)),
          status: 'NO_WORKER',
          error: noWorkerError(d.taskQueue, `no worker answered within ${QUERY_TIMEOUT_MS / 1000}s`),
        };
      });
    } else if (d.status.name === 'COMPLETED') {
      s = (await h.result()) as PipelineState;
    } else {
      s = { ...(memo.state ?? blank(name)), status: 'FAILED', error: `workflow ${d.status.name.toLowerCase()}`, updatedAt: d.closeTime?.getTime() ?? Date.now() };
    }
    return this.withLag(s, memo.spec);
  }

  /** Ingest lag from Kafka's offsets where it can be read; otherwise ingest's own figure only while it runs fine. */
  private async withLag(s: PipelineState, spec: PipelineSpec | undefined): Promise<PipelineState> {
    if (!spec) return s;
    let measured = this.lag.get(s.name);
    if (!measured || Date.now() - measured.at > LAG_TTL_MS) {
      measured = { at: Date.now(), lag: sourceLag(spec) };
      this.lag.set(s.name, measured);
    }
    const lag = await measured.lag;
    const ingest = { ...s.ingest };
    for (const { name } of spec.sources) {
      const counters = { ...ingest[name] };
      const kafka = lag[name];
      if (kafka !== undefined) counters.lag = kafka;
      else if (s.status !== 'RUNNING' || s.sourceErrors?.[name]) delete counters.lag; // what ingest last saw is stale
      ingest[name] = counters;
    }
    return { ...s, ingest };
  }

  /** The counter samples of the last 15 minutes the workflow keeps (none from a workflow that predates them, or when no worker answers within 5 s). */
  async metrics(name: string): Promise<MetricsSample[]> {
    const h = await this.running(name);
    return this.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => h.query(metricsQuery)).catch(() => []);
  }

  async spec(name: string): Promise<PipelineSpec> {
    return (await this.running(name)).query(specQuery);
  }

  /** Whether a worker polls the task queue (its workflow tasks, which answer queries): one call per queue at most every 2 s. */
  private hasWorker(taskQueue: string): Promise<boolean> {
    let known = this.pollers.get(taskQueue);
    if (!known || Date.now() - known.at > POLLERS_TTL_MS) {
      const has = this.client.workflowService.describeTaskQueue({ namespace: settings.temporalNamespace, taskQueue: { name: taskQueue }, taskQueueType: 1 })
        .then((r) => (r.pollers ?? []).some((p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_SEEN_MS), () => true); // cannot tell: let the query decide
      known = { at: Date.now(), has };
      this.pollers.set(taskQueue, known);
    }
    return known.has;
  }

  /**
   * Pipelines by name, but the deleted ones, filtered and paged (client/pipelineList.ts): one
   * visibility call per 1,000 runs and one task-queue check per queue, no query to any workflow.
   * Status as the workflow recorded it at its last change (NO_WORKER when no worker polls its
   * queue), counters at most 10 s old, Kafka lag as ingest last measured it. A pipeline whose
   * state this API cannot read (e.g. encrypted with another SLUICE_CODEC_KEY) is FAILED with the reason.
   */
  async list(filter: ListFilter = {}): Promise<PipelineState[]> {
    const runs = await latestRuns(this.client, settings.temporalNamespace, WORKFLOW_TYPE);
    return pageOf(runs, filter, (q) => this.hasWorker(q));
  }

  /** Pause, resume and stop answer with the state they caused (PAUSING/STOPPING while the stages still wind down). */
  pause(name: string) { return this.lifecycle(name, (h) => h.executeUpdate(pauseUpdate)); }
  resume(name: string) { return this.lifecycle(name, (h) => h.executeUpdate(resumeUpdate)); }
  stop(name: string) { return this.lifecycle(name, (h) => h.executeUpdate(stopUpdate, { args: [{}] })); }

  private async lifecycle(name: string, update: (h: WorkflowHandle) => Promise<PipelineState>): Promise<PipelineState> {
    const [h, d] = await this.runningRun(name);
    const s = await this.client.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () => update(h)).catch((e) => {
      throw new SluiceError('UNAVAILABLE', `pipeline "${name}" did not answer within ${UPDATE_TIMEOUT_MS / 1000}s (${(e as Error).message}): is a Sluice worker running on task queue "${d.taskQueue}"?`);
    });
    this.lastKnown.set(name, s);
    return this.withLag(s, memoOf(d.memo).spec);
  }

  /** The running spec and what an update to `input` would meet: its problems (the update rules, core/spec/updateRules.ts), none if it may be applied. */
  async checkUpdate(name: string, input: unknown): Promise<{ current: PipelineSpec; next: PipelineSpec; problems: SpecProblem[] }> {
    const next = specFrom(input);
    const current = await this.spec(name);
    const problems = next.name === name ? updateProblems(current, next) : [{ path: 'name', message: `must stay "${name}" (the spec names "${next.name}")` }];
    return { current, next, problems };
  }

  async update(name: string, input: unknown): Promise<void> {
    const { next, problems } = await this.checkUpdate(name, input);
    if (problems.length) throw new SluiceError('BAD_SPEC', `invalid update: ${problems.map(formatProblem).join('; ')}`, problems);
    await (await this.running(name)).signal(updateSignal, next, specTextOf(input));
  }

  /** The spec's text as the user gave it (specTextOf), from the memo; undefined for a pipeline created before it was kept. */
  async specText(name: string): Promise<string | undefined> {
    return memoOf((await this.describe(name)).memo).specText;
  }

  async replayDlq(name: string, ids: number[]): Promise<number> {
    if (ids.length === 0 || ids.some((i) => !Number.isInteger(i) || i < 1)) throw new SluiceError('BAD_INPUT', 'ids: expected DLQ entry ids (positive integers)');
    return this.dlqUpdate(() => this.running(name).then((h) => h.executeUpdate(replayDlqUpdate, { args: [ids] })));
  }

  async purgeDlq(name: string): Promise<number> {
    return this.dlqUpdate(() => this.running(name).then((h) => h.executeUpdate(purgeDlqUpdate)));
  }

  private async dlqUpdate(run: () => Promise<number>): Promise<number> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof SluiceError) throw e;
      let cause = e as { message?: string; cause?: unknown; type?: string };
      while (cause.cause) cause = cause.cause as typeof cause;
      throw new SluiceError(cause.type === 'NotFound' ? 'NOT_FOUND' : 'UNAVAILABLE', cause.message ?? String(e));
    }
  }

  /**
   * Stops (draining) and removes the pipeline's streams and consumer groups; the ClickHouse table is
   * kept. Works in every state the list shows: a finished (stopped, failed, terminated) pipeline is
   * started once more just to tear down, with the spec its workflow recorded in its memo.
   */
  async delete(name: string, spec?: PipelineSpec): Promise<void> {
    const h = this.handle(name);
    const d = await this.describe(name).catch((e) => { if (spec && e instanceof SluiceError && e.code === 'NOT_FOUND') return undefined; throw e; });
    const last = memoOf(d?.memo).spec ?? spec;
    // a finished pipeline is torn down by this service's workers: the queue it ran on may have none any more
    const taskQueue = this.taskQueue;
    this.lastKnown.delete(name);
    if (d?.status.name === 'RUNNING') {
      await h.signal(stopSignal, { delete: true });
      if (await this.finishedWithin(h, DELETE_TIMEOUT_MS)) return;
      // no worker is running the pipeline (its task queue has no poller): end it here and tear down below
      await h.terminate(`delete: no worker stopped the pipeline within ${DELETE_TIMEOUT_MS / 1000}s`);
    }
    if (!last) throw new SluiceError('NOT_FOUND', `pipeline "${name}" has no recorded spec (an older Sluice started it): pass its spec to delete its streams`);
    // a finished pipeline: start it just to tear down (it stops before provisioning anything)
    const started = await this.client.workflow.signalWithStart(WORKFLOW_TYPE, {
      taskQueue, workflowId: workflowIdOf(name), args: [{ spec: last } satisfies PipelineInput], memo: { spec: last } satisfies PipelineMemo,
      signal: stopSignal, signalArgs: [{ delete: true }],
    });
    if (!(await this.finishedWithin(started, DELETE_TIMEOUT_MS))) {
      throw new SluiceError('UNAVAILABLE', `pipeline "${name}" is being deleted: its streams go once a Sluice worker polls task queue "${taskQueue}"`);
    }
  }

  /** The pipeline's running stage activities: type, attempt, last failure (from Temporal). */
  async describeStages(name: string): Promise<Array<{ type: string; attempt: number; lastFailure?: string; worker?: string }>> {
    const d = await this.handle(name).describe();
    return (d.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name ?? '',
      attempt: a.attempt ?? 1,
      lastFailure: a.lastFailure?.message ?? undefined,
      /** the identity of the worker running (or that last ran) the attempt: pid@host */
      worker: a.lastWorkerIdentity ?? undefined,
    }));
  }

  /** Polls the status until `done` holds or the time runs out (for the CLI, the demo and tests). */
  async waitFor(name: string, done: (s: PipelineState) => boolean, timeoutMs = 60_000): Promise<PipelineState> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      // not found yet, or Temporal briefly unreachable (restarting): keep polling until the deadline
      const s = await this.status(name).catch(() => undefined);
      if (s && done(s)) return s;
      if (Date.now() > until) throw new SluiceError('UNAVAILABLE', `timed out waiting for pipeline "${name}" (last status ${s?.status ?? 'none'})`);
      await sleep(250);
    }
  }
}
