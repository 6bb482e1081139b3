// The chaos suite's join scenario: the join scenario (loadtest/joinScenario.ts: profiles,
// purchases with copies and malformed ones, payments) while every worker is SIGKILLed three
// times during the purchases; join-state snapshots every 5,000 inputs, so restarts begin from
// a snapshot plus the journal. Every joined row is compared with the expected one.
import { randomBytes } from 'node:crypto';
import { PipelineService } from '../api/pipelines';
import { mustValidateSpec } from '../core/spec/validate';
import { settings } from '../core/settings';
import { joinScenarioSpec } from '../loadtest/joinScenario';
import { joinReconciles, runJoinBench } from '../loadtest/benchJoin';
import { waitForPollers } from '../loadtest/localWorker';
import { prng } from '../loadtest/purchases';
import { recoverySeconds, sleep, Workers } from './faults';
import type { ChaosRow } from './run';

export const JOIN_SCENARIO = 'join-sigkill-x3';

export async function runJoinChaos(seed: number): Promise<ChaosRow> {
  const taskQueue = `sluice-chaos-${randomBytes(3).toString('hex')}`;
  const svc = await PipelineService.connect(taskQueue);
  const workers = new Workers(taskQueue);
  const env = { SLUICE_JOIN_SNAPSHOT_MIN_INPUTS: '5000' };
  const name = 'chaos-join';
  const spec = mustValidateSpec(joinScenarioSpec(name, {
    brokers: settings.kafkaBrokers, topics: { users: `${name}-users`, purchases: `${name}-purchases`, payments: `${name}-payments` },
    clickhouseUrl: settings.clickhouseUrl, database: 'sluice_chaos', table: 'chaos_join', batch: { maxRows: 2000, maxDelay: '200ms' },
  }));
  const rand = prng(seed);
  const faultEnds: number[] = [];
  try {
    workers.start(env);
    await waitForPollers(taskQueue);
    const r = await runJoinBench(svc, spec, {
      rate: 3000, users: 2000, purchases: 30_000, log: (l) => console.log(`[chaos] ${JOIN_SCENARIO}: ${l}`),
      during: async (phase) => {
        if (phase !== 'B') return;
        for (let i = 0; i < 3; i++) {
          await sleep(2000 + rand() * 2000);
          for (const w of workers.alive()) await workers.kill(w);
          faultEnds.push(Date.now());
          workers.start(env);
        }
      },
    });
    const recoveries = recoverySeconds(r.samples, faultEnds);
    await svc.delete(name);
    const stages = await svc.describeStages(name).catch(() => []);
    const c = r.counters;
    const row: ChaosRow = {
      scenario: `${JOIN_SCENARIO} (purchases ⋈ latest profile ⋈ payment; every worker SIGKILLed 3 times, 2–4 s apart; rows compared one by one)`,
      events: r.events, expected: r.expectedRows, rows: r.rows, missing: r.missing, doubled: r.doubled,
      dlq: c.dlq ?? 0, dlqExpected: r.malformedExpected, recoveryS: Math.max(...recoveries), reconciles: joinReconciles(c), leaks: stages.length, pass: false,
    };
    row.pass = r.ok && row.missing === 0 && row.doubled === 0 && row.leaks === 0;
    return row;
  } finally {
    await workers.stopAll();
    await svc.close();
  }
}
