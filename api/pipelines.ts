// The service layer: what the GraphQL resolvers, the CLI and the demo call. It talks to
// Temporal only (start, signal, query); the workflow owns all pipeline logic.
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { settings } from '../core/settings';
import { dataConverter } from '../core/payloadCodec';
import { workflowIdOf } from '../core/names';
import { formatProblem, validateSpec, validateSpecText } from '../core/spec/validate';
import { updateProblems } from '../core/spec/updateRules';
import type { PipelineSpec } from '../core/spec/schema';
import { SluiceError } from './errors';
import {
  pauseSignal, purgeDlqUpdate, replayDlqUpdate, resumeSignal, specQuery, statusQuery, stopSignal, updateSignal,
  type PipelineInput, type PipelineState,
} from '../workflows/signals';

const WORKFLOW_TYPE = 'pipelineWorkflow';
const QUERY_TIMEOUT_MS = 5000;
const DELETE_TIMEOUT_MS = 30_000;

/** A spec from YAML/JSON text or an object; bad input -> BAD_SPEC listing every problem by path. */
export function specFrom(input: unknown): PipelineSpec {
  const r = typeof input === 'string' ? validateSpecText(input) : validateSpec(input);
  if (!r.ok) throw new SluiceError('BAD_SPEC', `invalid pipeline spec: ${r.problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}`, r.problems);
  return r.spec;
}

export class PipelineService {
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

  private async running(name: string) {
    const h = this.handle(name);
    try {
      const d = await h.describe();
      if (d.status.name !== 'RUNNING') throw new SluiceError('BAD_STATE', `pipeline "${name}" is ${d.status.name.toLowerCase()}`);
      return h;
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) throw new SluiceError('NOT_FOUND', `no pipeline named "${name}"`);
      throw e;
    }
  }

  async create(input: unknown): Promise<PipelineState> {
    const spec = specFrom(input);
    try {
      await this.client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: this.taskQueue,
        workflowId: workflowIdOf(spec.name),
        args: [{ spec } satisfies PipelineInput],
      });
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) throw new SluiceError('ALREADY_EXISTS', `pipeline "${spec.name}" already exists; use update`);
      throw e;
    }
    return this.status(spec.name);
  }

  /** Status and counters; for a finished pipeline, the state it ended with. */
  async status(name: string): Promise<PipelineState> {
    const h = this.handle(name);
    try {
      const d = await h.describe();
      if (d.status.name === 'RUNNING') {
        // answered by a worker: without one polling the pipeline's task queue there is no answer
        return await this.client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => h.query(statusQuery)).catch((): PipelineState => ({
          name, status: 'FAILED', specVersion: 0, ingest: {}, sink: {}, updatedAt: Date.now(),
          error: `no worker answered within ${QUERY_TIMEOUT_MS / 1000}s: is a Sluice worker running on task queue "${d.taskQueue}"?`,
        }));
      }
      if (d.status.name === 'COMPLETED') return (await h.result()) as PipelineState;
      return { name, status: 'FAILED', specVersion: 0, error: `workflow ${d.status.name.toLowerCase()}`, ingest: {}, sink: {}, updatedAt: d.closeTime?.getTime() ?? Date.now() };
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) throw new SluiceError('NOT_FOUND', `no pipeline named "${name}"`);
      throw e;
    }
  }

  async spec(name: string): Promise<PipelineSpec> {
    return (await this.running(name)).query(specQuery);
  }

  async list(): Promise<PipelineState[]> {
    const names = new Set<string>();
    for await (const w of this.client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'` })) {
      const name = w.workflowId.replace(/^sluice-pipeline-/, '');
      names.add(name);
    }
    return Promise.all([...names].sort().map((n) => this.status(n)));
  }

  async pause(name: string) { await (await this.running(name)).signal(pauseSignal); }
  async resume(name: string) { await (await this.running(name)).signal(resumeSignal); }
  async stop(name: string) { await (await this.running(name)).signal(stopSignal, {}); }

  async update(name: string, input: unknown): Promise<void> {
    const spec = specFrom(input);
    if (spec.name !== name) throw new SluiceError('BAD_SPEC', `name: the spec names "${spec.name}", not "${name}"`, [{ path: 'name', message: `must stay "${name}"` }]);
    const handle = await this.running(name);
    const current = await handle.query(specQuery);
    const problems = updateProblems(current, spec);
    if (problems.length) throw new SluiceError('BAD_SPEC', `invalid update: ${problems.map(formatProblem).join('; ')}`, problems);
    await handle.signal(updateSignal, spec);
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

  /** Stops (draining) and removes the pipeline's streams and consumer groups; the ClickHouse table is kept. */
  async delete(name: string, spec?: PipelineSpec): Promise<void> {
    const h = this.handle(name);
    let last: PipelineSpec | undefined = spec;
    try {
      const d = await h.describe();
      if (d.status.name === 'RUNNING') {
        await h.signal(stopSignal, { delete: true });
        const finished = await Promise.race([h.result().then(() => true), sleep(DELETE_TIMEOUT_MS).then(() => false)]);
        if (finished) return;
        // no worker is running the pipeline (its task queue has no poller): end it here and tear down below
        await h.terminate(`delete: no worker stopped the pipeline within ${DELETE_TIMEOUT_MS / 1000}s`);
        if (!last) throw new SluiceError('UNAVAILABLE', `pipeline "${name}" had no worker to stop it; it was terminated, but its streams stay until deleted with its spec`);
      }
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
      if (!last) throw new SluiceError('NOT_FOUND', `no pipeline named "${name}"`);
    }
    if (!last) throw new SluiceError('NOT_FOUND', `pipeline "${name}" is not running; pass its spec to delete its streams`);
    // a finished pipeline: start it just to tear down (it stops before provisioning anything)
    const started = await this.client.workflow.signalWithStart(WORKFLOW_TYPE, {
      taskQueue: this.taskQueue, workflowId: workflowIdOf(name), args: [{ spec: last }],
      signal: stopSignal, signalArgs: [{ delete: true }],
    });
    await started.result();
  }

  /** The pipeline's running stage activities: type, attempt, last failure (from Temporal). */
  async describeStages(name: string): Promise<Array<{ type: string; attempt: number; lastFailure?: string }>> {
    const d = await this.handle(name).describe();
    return (d.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name ?? '',
      attempt: a.attempt ?? 1,
      lastFailure: a.lastFailure?.message ?? undefined,
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
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
