// One workflow per pipeline owns its lifecycle: provision -> run stages -> pause/resume/update
// -> stop (drain) / delete. Deterministic: all I/O is in activities.
import {
  ActivityCancellationType, CancellationScope, condition, continueAsNew, isCancellation,
  proxyActivities, setHandler, workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities';
import type { PipelineSpec } from '../core/spec/schema';
import {
  pauseSignal, progressSignal, purgeDlqUpdate, replayDlqUpdate, resumeSignal, specQuery, statusQuery, stopSignal, updateSignal,
  type PipelineInput, type PipelineState, type StopOptions,
} from './signals';

const setup = proxyActivities<typeof activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 10 },
});
// Long-lived loops: retried forever (a dead worker's stage restarts elsewhere after the heartbeat timeout).
const stages = proxyActivities<typeof activities>({
  startToCloseTimeout: '3650 days',
  // workers heartbeat every second (worker/main.ts), so 5 s of silence means the worker is gone
  heartbeatTimeout: '5s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '1s', maximumInterval: '20s', backoffCoefficient: 2 },
});
const drainer = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

const failureMessage = (e: unknown): string => {
  let err = e as { message?: string; cause?: unknown };
  while (err?.cause) err = err.cause as typeof err;
  return err?.message ?? String(e);
};

export async function pipelineWorkflow(input: PipelineInput): Promise<PipelineState> {
  let spec: PipelineSpec = input.spec;
  const state: PipelineState = input.carried?.state ?? {
    name: spec.name, status: 'PROVISIONING', specVersion: 1, ingest: {}, sink: {}, updatedAt: Date.now(),
  };
  let paused = input.carried?.paused ?? false;
  let pendingSpec: PipelineSpec | undefined;
  let stop: StopOptions | undefined;
  const set = (status: PipelineState['status'], error?: string) => {
    state.status = status;
    state.error = error;
    state.updatedAt = Date.now();
  };

  setHandler(statusQuery, () => state);
  setHandler(specQuery, () => spec);
  setHandler(pauseSignal, () => { paused = true; });
  setHandler(resumeSignal, () => { paused = false; });
  setHandler(updateSignal, (next) => { pendingSpec = next; });
  setHandler(stopSignal, (opts) => { stop = opts ?? {}; });
  setHandler(replayDlqUpdate, (ids) => setup.replayDlq(spec, ids));
  setHandler(purgeDlqUpdate, () => setup.purgeDlq(spec));
  setHandler(progressSignal, (p) => {
    if (p.stage === 'ingest' && p.source) state.ingest[p.source] = p.counters;
    if (p.stage === 'sink') state.sink = p.counters;
  });

  let provisioned = false;
  const interrupted = () => paused || stop !== undefined || pendingSpec !== undefined || workflowInfo().continueAsNewSuggested;

  for (;;) {
    if (pendingSpec) {
      spec = pendingSpec;
      pendingSpec = undefined;
      state.specVersion++;
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
      try {
        await setup.provisionStreams(spec);
        await setup.provisionTable(spec);
        provisioned = true;
      } catch (e) {
        set('FAILED', `provisioning failed: ${failureMessage(e)}`);
        await condition(() => stop !== undefined || pendingSpec !== undefined);
        continue;
      }
    }
    set('RUNNING');
    const ingestScope = new CancellationScope();
    const sinkScope = new CancellationScope();
    let failed: string | undefined;
    const fail = (e: unknown) => { if (!isCancellation(e)) failed ??= failureMessage(e); };
    const running = Promise.all([
      ...spec.sources.map((_, source) => ingestScope.run(() => stages.ingest({ spec, source })).catch(fail)),
      sinkScope.run(() => stages.dedupSink({ spec })).catch(fail),
    ]);
    await condition(() => interrupted() || failed !== undefined);
    // ingest first, so the sink's last flush sees everything ingest acknowledged
    ingestScope.cancel();
    sinkScope.cancel();
    await running;
    if (failed !== undefined) {
      set('FAILED', failed);
      await condition(() => stop !== undefined || pendingSpec !== undefined);
      continue;
    }
    if (!stop && !pendingSpec && !paused && workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof pipelineWorkflow>({ spec, carried: { state, paused } });
    }
  }

  set('STOPPING');
  if (provisioned) {
    // drain: commit whatever ingest already put into JetStream
    await drainer.dedupSink({ spec, drain: true }).catch((e) => { state.error = `drain failed: ${failureMessage(e)}`; });
  }
  if (stop?.delete) await setup.teardown(spec);
  set('STOPPED', state.error);
  return state;
}
