// The chaos suite's join scenarios: the join scenario (loadtest/joinDataset.ts: profiles,
// purchases with copies and malformed ones, payments) while a fault hits during the purchases:
// every worker SIGKILLed three times, or NATS (journal, join snapshots), ClickHouse or Temporal
// restarted. Join-state snapshots every 5,000 inputs, so restarts begin from a snapshot plus the
// journal. Every joined row is compared with the expected one.
import { randomBytes } from 'node:crypto';
import { PipelineService } from '../client/pipelines';
import { mustValidateSpec } from '../core/spec/validate';
import { settings } from '../runtime/settings';
import { joinScenarioSpec } from '../loadtest/joinDataset';
import { joinReconciles, runJoinBench } from '../loadtest/benchJoin';
import { waitForPollers } from '../loadtest/localWorker';
import { prng } from '../loadtest/seedEvents';
import { restartService, sleep, worstRecoverySeconds, Workers } from './faults';
import type { ChaosRow } from './report';

interface JoinScenario {
  name: string;
  /** what the chaos table says about the fault */
  fault: string;
  /** injects the fault while the purchases are sent; calls `over` when each one is over */
  inject: (workers: Workers, env: NodeJS.ProcessEnv, rand: () => number, over: () => void) => Promise<void>;
}

export const JOIN_SCENARIOS: JoinScenario[] = [
  {
    name: 'join-sigkill-x3', fault: 'every worker SIGKILLed 3 times, 2–4 s apart',
    inject: async (workers, env, rand, over) => {
      for (let i = 0; i < 3; i++) {
        await sleep(2000 + rand() * 2000);
        await workers.killAll();
        over();
        workers.start(env);
      }
    },
  },
  // Kafka is left out here: this scenario's sender does not retry (a retried batch could land twice in Kafka)
  ...(['nats', 'clickhouse', 'temporal'] as const).map((svc): JoinScenario => ({
    name: `join-restart-${svc}`, fault: `${svc} down for 3 s`,
    inject: async (_workers, _env, _rand, over) => {
      await sleep(3000);
      await restartService(svc, 3000);
      over();
    },
  })),
];

export async function runJoinChaos(sc: JoinScenario, seed: number): Promise<ChaosRow> {
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
      rate: 3000, users: 2000, purchases: 30_000, log: (l) => console.log(`[chaos] ${sc.name}: ${l}`),
      during: (phase) => (phase === 'B' ? sc.inject(workers, env, rand, () => faultEnds.push(Date.now())) : Promise.resolve()),
    });
    await svc.delete(name);
    const stages = await svc.describeStages(name).catch(() => []);
    const c = r.counters;
    const row: ChaosRow = {
      scenario: `${sc.name} (purchases ⋈ latest profile ⋈ payment; ${sc.fault}; rows compared one by one)`,
      events: r.events, expected: r.expectedRows, rows: r.rows, missing: r.missing, doubled: r.doubled,
      dlq: c.dlq ?? 0, dlqExpected: r.malformedExpected, recoveryS: worstRecoverySeconds(r.samples, faultEnds), reconciles: joinReconciles(c), leaks: stages.length, pass: false,
    };
    row.pass = r.ok && row.missing === 0 && row.doubled === 0 && row.leaks === 0;
    return row;
  } finally {
    await workers.stopAll();
    await svc.close();
  }
}
