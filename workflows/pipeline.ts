// One workflow per pipeline owns its lifecycle: provision -> run stages -> pause/resume/update
// -> stop (drain) / delete. Deterministic: all I/O is in activities.
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation,
  makeContinueAsNewFunc, proxyActivities, setHandler, sleep, upsertMemo, workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import type { PipelineSpec } from '../core/spec/schema';
import { sumCounters } from '../core/sumCounters';
import {
  metricsQuery, pauseUpdate, progressSignal, purgeDlqUpdate, replayDlqUpdate, resumeUpdate, specQuery, statusQuery, stopSignal, stopUpdate, updateSignal,
  type PipelineInput, type PipelineMemo, type PipelineState, type StageProgress, type StopOptions,
} from './signals';
import { MetricsHistory } from './metricsHistory';

const setup = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 10 },
});
// Provisioning: one attempt per call. The workflow retries what may pass later (server down) itself,
// with the last failure in the status; an error ClickHouse answered (bad DDL) fails for good.
const provisioner = proxyActivities<typeof activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });
const PROVISION_RETRY_MS = { first: 2_000, max: 30_000 };
// Long-lived loops: retried forever (a dead worker's stage restarts elsewhere after the heartbeat timeout).
const stages = proxyActivities<typeof activities>({
  startToCloseTimeout: '3650 days',
  // workers heartbeat every second (worker/main.ts), so 5 s of silence means the worker is gone
  heartbeatTimeout: '5s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // at most 5 s between attempts: after a takeover or a service restart the stage runs again soon
  retry: { initialInterval: '1s', maximumInterval: '5s', backoffCoefficient: 2 },
});
const drainer = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});
// A change of parallelism: its retries go on (an outage of NATS or ClickHouse only delays it); it
// fails for good only before it changed anything (activities/repartition.ts)
const repartitioner = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});
/** drains before a change of parallelism is given up when a shard is still found undrained */
const DRAIN_ROUNDS = 3;
/** pause/resume/stop answer once their effect shows, or after this long with PAUSING/STOPPING */
const ANSWER_WITHIN_MS = 15_000;
/** the memo's copy of the state (what the pipelines list shows) follows every status change, and the counters at most this often */
const MEMO_EVERY_MS = 10_000;

const failureMessage = (e: unknown): string => {
  let err = e as { message?: string; cause?: unknown };
  while (err?.cause) err = err.cause as typeof err;
  return err?.message ?? String(e);
};
const failedForGood = (e: unknown) => e instanceof ActivityFailure && e.cause instanceof ApplicationFailure && e.cause.nonRetryable;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A report behind what is shown: fewer sink batches committed, or fewer records ingested. */
function isOlder(p: StageProgress, shown: Record<string, number> | undefined): boolean {
  const mark = p.stage === 'sink' ? 'batches' : 'read';
  return shown?.[mark] !== undefined && (p.counters[mark] ?? 0) < shown[mark];
}

export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineState> {
  let spec: PipelineSpec = input.spec;
  const state: PipelineState = input.carried?.state ?? {
    name: spec.name, status: 'PROVISIONING', specVersion: 1, ingest: {}, sink: {}, updatedAt: Date.now(),
  };
  let paused = input.carried?.paused ?? false;
  let pendingSpec: PipelineSpec | undefined;
  let pendingText: string | undefined;
  let stop: StopOptions | undefined;
  let memoAt = 0;
  const history = new MetricsHistory(input.carried?.history);
  const remember = (more: PipelineMemo = {}) => {
    memoAt = Date.now();
    upsertMemo({ state: { ...state }, ...more } satisfies PipelineMemo);
  };
  const set = (status: PipelineState['status'], error?: string) => {
    const changed = status !== state.status || error !== state.error;
    state.status = status;
    state.error = error;
    state.updatedAt = Date.now();
    if (changed) remember();
  };
  // counters reach the memo at most every 10 s, and the last report of a burst too (a timer, not the next report)
  let memoDue = false;
  const rememberSoon = () => {
    const wait = MEMO_EVERY_MS - (Date.now() - memoAt);
    if (wait <= 0) return remember();
    if (memoDue) return;
    memoDue = true;
    sleep(wait).then(() => { memoDue = false; remember(); }, () => undefined);
  };
  const asked = () => paused || stop !== undefined || pendingSpec !== undefined;
  const answerOnce = async (done: () => boolean) => { await condition(done, ANSWER_WITHIN_MS); return state; };
  const askStop = (opts: StopOptions | undefined) => {
    stop = { ...stop, ...opts };
    if (state.status !== 'STOPPED') set('STOPPING');
  };

  setHandler(statusQuery, () => state);
  setHandler(specQuery, () => spec);
  setHandler(metricsQuery, () => history.samples);
  setHandler(pauseUpdate, () => {
    paused = true;
    if (state.status === 'RUNNING' || state.status === 'PROVISIONING') set('PAUSING');
    return answerOnce(() => state.status !== 'PAUSING');
  });
  setHandler(resumeUpdate, () => {
    paused = false;
    return answerOnce(() => state.status !== 'PAUSED' && state.status !== 'PAUSING');
  });
  setHandler(stopUpdate, (opts) => {
    askStop(opts);
    return answerOnce(() => state.status === 'STOPPED');
  });
  setHandler(stopSignal, askStop);
  setHandler(updateSignal, (next, text) => { pendingSpec = next; pendingText = text; });
  // DLQ operations one at a time: two replays of one entry at once both read it before either removed it, and sent it twice
  let dlqQueue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(op: () => Promise<T>): Promise<T> => {
    const run = dlqQueue.then(op);
    dlqQueue = run.catch(() => undefined);
    return run;
  };
  setHandler(replayDlqUpdate, (ids) => oneAtATime(() => setup.replayDlq(spec, ids)));
  setHandler(purgeDlqUpdate, () => oneAtATime(() => setup.purgeDlq(spec)));
  const memberKey = (source: string, member: number) => `${source}#${member}`;
  setHandler(progressSignal, (p) => {
    const shown = p.stage === 'sink'
      ? (p.shard === undefined ? state.sink : state.shards?.[p.shard])
      : (p.member === undefined ? state.ingest[p.source ?? ''] : state.ingestMembers?.[memberKey(p.source ?? '', p.member)]);
    // a stale attempt (a frozen worker thawing after its stage moved on) reports older figures: keep the newer ones
    if (isOlder(p, shown)) return;
    if (p.stage === 'ingest' && p.source) {
      if (p.member !== undefined) {
        // several members of one consumer group: the source's figures are their sum
        state.ingestMembers = { ...state.ingestMembers, [memberKey(p.source, p.member)]: p.counters };
        state.ingest[p.source] = sumCounters(Object.entries(state.ingestMembers).filter(([k]) => k.startsWith(`${p.source}#`)).map(([, c]) => c));
      } else {
        state.ingest[p.source] = p.counters;
      }
      const errors = { ...state.sourceErrors };
      if (p.error) errors[p.source] = p.error;
      else delete errors[p.source];
      state.sourceErrors = errors;
      if (state.status === 'RUNNING') {
        const failing = Object.entries(errors).map(([source, error]) => `source "${source}" is failing: ${error}`);
        set('RUNNING', failing.length ? failing.join('; ') : undefined);
      }
    }
    if (p.stage === 'sink' && p.shard === undefined) state.sink = p.counters;
    if (p.stage === 'sink' && p.shard !== undefined) {
      const shards = state.shards ?? [];
      shards[p.shard] = p.counters;
      state.shards = shards;
      state.sink = sumCounters(shards);
    }
    history.add(state, Date.now());
    rememberSoon();
  });
  const continueAsNew = (next: PipelineInput) =>
    makeContinueAsNewFunc<typeof pipelineWorkflow>({ memo: workflowInfo().memo })({ ...next, carried: next.carried && { ...next.carried, history: history.samples } });

  /** ingest members per source in its consumer group (parallelism > 1: up to one per shard and partition) */
  let members: number[] = spec.sources.map(() => 1);
  /** True once streams and table exist; false if asked to do something else, or FAILED for good. */
  const provision = async (): Promise<boolean> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await provisioner.provisionStreams(spec);
        await provisioner.provisionTable(spec);
        members = await provisioner.ingestMembers(spec);
        return true;
      } catch (e) {
        if (asked()) return false;
        if (failedForGood(e)) {
          set('FAILED', `provisioning failed: ${failureMessage(e)}`);
          return false;
        }
        set('PROVISIONING', `provisioning failed, retrying: ${failureMessage(e)}`);
        if (await condition(asked, Math.min(PROVISION_RETRY_MS.first * 2 ** attempt, PROVISION_RETRY_MS.max))) return false;
        if (workflowInfo().continueAsNewSuggested) await continueAsNew({ spec, carried: { state, paused } });
      }
    }
  };

  /** Drains every shard of `of` (commits whatever ingest put into JetStream); the first failure, if any. */
  const drainShards = async (of: PipelineSpec): Promise<string | undefined> => {
    let failure: string | undefined;
    await Promise.all(range(of.parallelism).map((shard) => drainer.dedupSink(of.parallelism === 1 ? { spec: of, drain: true } : { spec: of, drain: true, shard })
      .catch((e) => { failure ??= failureMessage(e); })));
    return failure;
  };

  /**
   * An update with another parallelism (docs/scaling.md): the stages are stopped already; drain
   * every old shard, move the state to the new shards. False when it was refused before anything
   * changed (the pipeline goes on with its old parallelism, the reason in parallelismChange.refused).
   */
  const changeParallelism = async (next: PipelineSpec): Promise<boolean> => {
    set('REPARTITIONING');
    const at = Date.now();
    let drainMs = 0;
    for (let round = 1; ; round++) {
      const drainFrom = Date.now();
      const failure = await drainShards(spec);
      drainMs += Date.now() - drainFrom;
      const refuse = (why: string) => {
        state.parallelismChange = { from: spec.parallelism, to: next.parallelism, at, stoppedMs: Date.now() - stoppedAt, drainMs, moveMs: 0, keys: 0, joinEvents: 0, refused: why };
        return false;
      };
      if (failure) return refuse(`draining the shards failed: ${failure}`);
      const moveFrom = Date.now();
      try {
        const r = await repartitioner.repartition({ from: spec, to: next, change: state.specVersion + 1 });
        state.parallelismChange = { from: r.from, to: r.to, at, stoppedMs: 0, drainMs, moveMs: Date.now() - moveFrom, keys: r.keys, joinEvents: r.joinEvents };
        break;
      } catch (e) {
        const notDrained = e instanceof ActivityFailure && e.cause instanceof ApplicationFailure && e.cause.type === 'RepartitionNotDrained';
        if (notDrained && round < DRAIN_ROUNDS) continue;
        return refuse(failureMessage(e));
      }
    }
    // the new shards start their counters from the carried ones (shard 0 has the old sum), and their batches from 1
    const { batches: _batches, ...sink } = state.sink;
    state.sink = sink;
    state.shards = undefined;
    state.ingestMembers = next.parallelism === 1 ? undefined : Object.fromEntries(next.sources.flatMap((src) => (state.ingest[src.name] ? [[memberKey(src.name, 0), state.ingest[src.name]]] : [])));
    return true; // stoppedMs: once the new stages start
  };

  let provisioned = false;
  /** when the stages last stopped (a change of parallelism measures the pause from it) */
  let stoppedAt = Date.now();
  const interrupted = () => asked() || workflowInfo().continueAsNewSuggested;

  for (;;) {
    if (pendingSpec) {
      const next = pendingSpec, text = pendingText;
      // another parallelism: the state moves to the new shards first (stopping instead: the old shards drain as they are)
      const take = next.parallelism === spec.parallelism || (!stop && await changeParallelism(next));
      if (pendingSpec === next) pendingSpec = undefined; // a newer update that came meanwhile is the next one
      if (take) {
        spec = next;
        state.specVersion++;
        upsertMemo({ spec, specText: text } satisfies PipelineMemo); // no text (an older client): none kept
      }
      provisioned = false;
    }
    if (stop) break;
    if (paused) {
      set('PAUSED');
      await condition(() => !paused || stop !== undefined || pendingSpec !== undefined);
      continue;
    }
    if (!provisioned) {
      set('PROVISIONING');
      provisioned = await provision();
      if (!provisioned && state.status === 'FAILED') await condition(() => stop !== undefined || pendingSpec !== undefined);
      if (!provisioned || asked()) continue;
    }
    state.sourceErrors = {};
    if (state.parallelismChange && state.parallelismChange.stoppedMs === 0) state.parallelismChange.stoppedMs = Date.now() - stoppedAt;
    set('RUNNING');
    const ingestScope = new CancellationScope();
    const sinkScope = new CancellationScope();
    let failed: string | undefined;
    const fail = (e: unknown) => { if (!isCancellation(e)) failed ??= failureMessage(e); };
    const running = Promise.all([
      // counters carry on from the last progress the stage reported (a restarted stage continues them)
      ...spec.sources.flatMap((src, source) => range(members[source]).map((member) => ingestScope.run(() => stages.ingest(members[source] === 1
        ? { spec, source, counters: state.ingest[src.name] }
        : { spec, source, member, counters: state.ingestMembers?.[memberKey(src.name, member)] })).catch(fail))),
      // one long-lived activity per shard: Temporal retries each on its own, on any worker polling the queue
      ...range(spec.parallelism).map((shard) => sinkScope.run(() => stages.dedupSink(spec.parallelism === 1 ? { spec } : { spec, shard })).catch(fail)),
    ]);
    await condition(() => interrupted() || failed !== undefined);
    // ingest first, so the sink's last flush sees everything ingest acknowledged
    ingestScope.cancel();
    sinkScope.cancel();
    await running;
    stoppedAt = Date.now();
    if (failed !== undefined) {
      set('FAILED', failed);
      await condition(() => stop !== undefined || pendingSpec !== undefined);
      continue;
    }
    if (!asked() && workflowInfo().continueAsNewSuggested) await continueAsNew({ spec, carried: { state, paused } });
  }

  set('STOPPING');
  if (provisioned) {
    // drain: commit whatever ingest already put into JetStream, every shard at once
    const failure = await drainShards(spec);
    if (failure) state.error = `drain failed: ${failure}`;
  }
  if (stop?.delete) {
    await setup.teardown(spec);
    remember({ deleted: true });
  }
  set('STOPPED', state.error);
  await condition(allHandlersFinished);
  return state;
}
