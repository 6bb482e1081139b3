// Chaos scenarios of a sharded pipeline (spec parallelism: 4, a topic of 4 partitions) on two or
// three workers: a worker holding shards SIGKILLed, a worker that kills itself inside one shard's
// commit (after its journal entry; after its INSERT), NATS restarted, and parallelism changed twice
// under load (the state moves to the new shards, docs/scaling.md). Each ends with the usual exact
// checks plus every shard's own counters reconciling (chaos/run.ts).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackDir } from '../loadtest/localWorker';
import { specFrom } from '../client/pipelines';
import { restartService, sleep } from './faults';
import type { Ctx, Scenario } from './scenario';

const SHARDS = 4;

/** Asks for another parallelism and waits until the pipeline runs with it; logs how long it stood still. */
async function changeParallelism(svc: Ctx['svc'], spec: Ctx['spec'], parallelism: number, problem: Ctx['problem']): Promise<void> {
  const before = await svc.status(spec.name);
  await svc.update(spec.name, specFrom({ ...spec, parallelism }));
  const s = await svc.waitFor(spec.name, (x) => x.specVersion === before.specVersion + 1 && x.status === 'RUNNING' && (x.parallelismChange?.stoppedMs ?? 0) > 0, 180_000)
    .catch((e: Error) => { problem(`parallelism ${parallelism} did not take effect: ${e.message}`); return undefined; });
  const c = s?.parallelismChange;
  if (!c || c.to !== parallelism || c.refused) { problem(`parallelism ${parallelism}: ${JSON.stringify(c)}`); return; }
  console.log(`[chaos] parallelism ${c.from} -> ${c.to}: stopped ${(c.stoppedMs / 1000).toFixed(1)} s (drain ${(c.drainMs / 1000).toFixed(1)} s, moving ${c.keys} keys ${(c.moveMs / 1000).toFixed(1)} s)`);
}
const sharded = { parallelism: SHARDS, partitions: SHARDS, rate: 3000 } as const;

/** The live worker running the most sink shards of the pipeline (Temporal's last worker identity of each attempt is pid@host). */
export async function workerHoldingShards({ svc, spec, workers }: Pick<Ctx, 'svc' | 'spec' | 'workers'>): Promise<{ w: ChildProcess; shards: number }> {
  const stages = await svc.describeStages(spec.name);
  const count = new Map<number, number>();
  for (const s of stages) {
    const pid = Number(s.worker?.split('@')[0]);
    if (s.type === 'dedupSink' && pid) count.set(pid, (count.get(pid) ?? 0) + 1);
  }
  const [pid, shards] = [...count].sort((a, b) => b[1] - a[1])[0] ?? [];
  const w = workers.alive().find((x) => x.pid === pid);
  if (!w || !shards) throw new Error(`no live worker of this run holds a shard (stages: ${stages.map((s) => `${s.type}@${s.worker}`).join(', ')})`);
  return { w, shards };
}

/** Each start of a shard of the pipeline, from the workers' "sink recovered" log lines. */
function shardStarts(pipeline: string): Array<{ shard: number; pid: number; at: number }> {
  return readFileSync(join(stackDir, 'logs', 'chaos-worker.log'), 'utf8').split('\n')
    .filter((l) => l.includes('"sink recovered"') && l.includes(`"pipeline":"${pipeline}"`))
    .map((l) => JSON.parse(l) as { shard: number; pid: number; ts: string }).map((x) => ({ shard: x.shard, pid: x.pid, at: Date.parse(x.ts) }));
}

/** Waits until every shard last started by `pid` has started again elsewhere; logs how long that took. */
async function shardsMoved(pipeline: string, pid: number, killedAt: number): Promise<void> {
  const last = new Map<number, { pid: number; at: number }>();
  for (const s of shardStarts(pipeline)) if (s.at <= killedAt) last.set(s.shard, s);
  const held = [...last].filter(([, s]) => s.pid === pid).map(([k]) => k);
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(250)) {
    const again = held.map((k) => shardStarts(pipeline).find((s) => s.shard === k && s.at > killedAt));
    if (again.every(Boolean)) {
      console.log(`[chaos] shards ${held.join(', ')} of the killed worker started again on pid(s) ${[...new Set(again.map((s) => s!.pid))].join(', ')} ` +
        `${again.map((s) => ((s!.at - killedAt) / 1000).toFixed(1)).join(' / ')} s after the kill`);
      return;
    }
  }
  throw new Error(`shards ${held.join(', ')} of the killed worker did not start again within 120 s`);
}

/**
 * Every worker is armed (its sink kills itself at the fault point, once per process, inside
 * whichever of its shards gets there): each one that dies is replaced by an armed one until
 * `times` have died, then by plain ones (also for any still-armed worker that dies later).
 * Armed replacements, because the live workers take the dead one's shards and a fresh worker
 * may get none: only a worker that holds a shard reaches the point.
 */
const armedSelfKill = (times: number): Scenario['fault'] => async ({ workers, faultOver }) => {
  let kills = 0;
  let done!: () => void;
  const allDone = new Promise<void>((r) => { done = r; });
  const watch = (w: ChildProcess) => w.once('exit', (_code, signal) => {
    if (signal !== 'SIGKILL') return; // stopped by the runner at the end
    faultOver();
    kills++;
    console.log(`[chaos] worker ${w.pid} killed itself at ${workers.faultPoint} (${kills} of ${times})`);
    watch(workers.start(kills < times ? { SLUICE_FAULT_POINT: workers.faultPoint } : {}));
    if (kills === times) done();
  });
  for (const w of workers.alive()) watch(w);
  if (!(await Promise.race([allDone.then(() => true), sleep(240_000).then(() => false)]))) {
    throw new Error(`only ${kills} of ${times} workers reached ${workers.faultPoint} within 240 s`);
  }
};

export function shardScenarios(): Scenario[] {
  return [
    {
      // 3 workers; twice: SIGKILL the one holding the most shards, start a fresh one
      name: 'shards-sigkill-worker-holding-shards', ...sharded, events: 60_000, faultAfterMs: 4000, workers: 3,
      fault: async (c) => {
        for (let i = 0; i < 2; i++) {
          const { w, shards } = await workerHoldingShards(c);
          console.log(`[chaos] SIGKILL of worker ${w.pid}, which runs ${shards} of ${SHARDS} shards`);
          const killedAt = Date.now();
          await c.workers.kill(w);
          c.faultOver();
          c.workers.start();
          await shardsMoved(c.spec.name, w.pid!, killedAt);
          await sleep(4000);
        }
      },
    },
    {
      name: 'shards-kill-between-journal-and-insert', ...sharded, events: 40_000, faultAfterMs: 0,
      workers: 2, workerEnv: { SLUICE_FAULT_POINT: 'after-journal:3' }, fault: armedSelfKill(3),
    },
    {
      name: 'shards-kill-after-insert-before-ack', ...sharded, events: 40_000, faultAfterMs: 0,
      workers: 2, workerEnv: { SLUICE_FAULT_POINT: 'after-insert:3' }, fault: armedSelfKill(3),
    },
    {
      // stops this stack's NATS for 3 s (stack/stack.sh down/up nats, on the SLUICE_* ports of the environment) under load
      name: 'shards-restart-nats', ...sharded, events: 40_000, faultAfterMs: 3000, workers: 2,
      fault: async ({ faultOver }) => { await restartService('nats', 3000); faultOver(); },
    },
    {
      // parallelism changed twice under load (4 -> 2 -> 6): drained, state moved, resumed; rows still exact
      name: 'shards-parallelism-change-under-load', ...sharded, events: 90_000, faultAfterMs: 3000, workers: 2,
      fault: async ({ svc, spec, problem, faultOver }) => {
        for (const parallelism of [2, 6]) {
          await changeParallelism(svc, spec, parallelism, problem);
          faultOver();
          await sleep(3000);
        }
      },
    },
  ];
}
