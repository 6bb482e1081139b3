// `npm run chaos [-- scenario ...]`: fault injection during a running load, then exact checks.
// Every scenario: a fresh topic, table and pipeline on its own task queue; events (30% duplicated,
// 0.5% malformed) sent at a steady rate; one fault (or several); then ClickHouse must hold exactly
// one row per unique event, the DLQ exactly the malformed ones, and read = inserted + duplicates + dlq.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { PipelineService, specFrom } from '../client/pipelines';
import type { PipelineSpec } from '../core/spec/schema';
import { tableRef } from '../core/ddl';
import { settings } from '../runtime/settings';
import { purchaseEvents, prng } from '../loadtest/seedEvents';
import { fromGenerated, MAX_EVENT_BYTES, rejectingSpec, withBadInput, withRejectedDates, type ChaosEvent } from './badData';
import { recreateTopic } from '../loadtest/kafka';
import { isolatedSpec, onStack } from '../loadtest/specs';
import { clickhouse, sampleRows, scalar } from '../loadtest/clickhouse';
import { repoRoot, waitForPollers } from '../loadtest/localWorker';
import type { ChildProcess } from 'node:child_process';
import { restartService, sleep, worstRecoverySeconds, Workers } from './faults';
import { JOIN_SCENARIOS, runJoinChaos } from './join';
import { failedRow, printTable, type ChaosRow } from './report';
import { shardScenarios } from './shards';
import { runShardedJoinChaos, SHARDED_JOIN_SCENARIO } from './shardsJoin';
import type { Scenario } from './scenario';
import type { PipelineState } from '../workflows/signals';

/**
 * The worker was told to SIGKILL itself at a point of the commit protocol: wait for that, then
 * replace it. A worker that never gets there (the events ran out first) fails the scenario
 * instead of hanging it.
 */
const selfKill = (times: number): Scenario['fault'] => async ({ workers, faultOver }) => {
  for (let i = 0; i < times; i++) {
    const w = workers.alive()[0];
    const exited = await Promise.race([
      new Promise<boolean>((r) => (w.exitCode !== null || w.signalCode !== null ? r(true) : w.once('exit', () => r(true)))),
      sleep(120_000).then(() => false),
    ]);
    if (!exited) throw new Error(`worker ${i + 1} of ${times} did not reach its fault point ${workers.faultPoint} within 120 s`);
    faultOver();
    // the next one dies at the same point again, until the last
    workers.start(i < times - 1 ? { SLUICE_FAULT_POINT: workers.faultPoint } : {});
  }
};

/** How many times each freeze scenario freezes a sink writer. */
const FREEZES = 5;
const FREEZE_RATE = 1000;

/**
 * Both workers freeze themselves (SIGSTOP) at every 25th time their sink reaches `point`; each
 * freeze is held `holdMs`, then thawed, FREEZES times; later freezes are thawed at once. The
 * recovery figure is from the freeze's start to the next new row (the live worker's, when it
 * took the sink over before the thaw).
 */
const freezes = (holdMs: number): Scenario['fault'] => async ({ workers, faultOver }) => {
  for (let i = 0; i < FREEZES; i++) {
    const frozenAt = Date.now();
    let w: ChildProcess | undefined;
    while (!(w = workers.frozen()[0])) {
      if (Date.now() - frozenAt > 180_000) throw new Error(`freeze ${i + 1} of ${FREEZES}: no worker froze at its fault point within 180 s`);
      await sleep(50);
    }
    faultOver(Date.now());
    await sleep(holdMs);
    w.kill('SIGCONT');
  }
  workers.thawFromNowOn();
};

const freezeScenarios = (point: 'after-journal' | 'mid-insert', label: string): Scenario[] => [5, 10, 20, 30, 60].map((holdS) => ({
  name: `freeze-${label}-${holdS}s`, workers: 2, rate: FREEZE_RATE, faultAfterMs: 0,
  // enough events to last through every freeze, its takeover and the way to the next one
  events: FREEZE_RATE * (FREEZES * (holdS + 20) + 10),
  workerEnv: { SLUICE_FAULT_POINT: `${point}:25:freeze:${FREEZES}` },
  fault: freezes(holdS * 1000),
}));

/**
 * A big dedup state (issue 18): SIGKILL every worker once the sink holds `keys` keys, and once
 * more 10 s after the first new row; the restarted sinks recover from a dedup snapshot + the
 * journal after it. `env`: the workers' environment (e.g. a memory cap, so keys spill to LMDB).
 * Heavy (about 7 million events): run it on its own.
 */
const bigStateKill = (name: string, keys: number, env: NodeJS.ProcessEnv = {}): Scenario => ({
  // 30% of the events are repeats: enough unique ones to hold `keys`, plus a margin to go on after the kills
  name, events: Math.ceil((keys * 1.15) / 0.7), rate: 40_000, faultAfterMs: 0, settleMs: 900_000, workerEnv: env, heavy: true,
  spec: (spec) => specFrom({ ...spec, sink: { ...spec.sink, batch: { maxRows: 10_000, maxDelay: '200ms' } } }),
  fault: async ({ workers, faultOver, keysHeld }) => {
    const started = Date.now();
    while ((await keysHeld()) < keys) {
      if (Date.now() - started > 900_000) throw new Error(`the sink did not hold ${keys} keys within 900 s`);
      await sleep(1000);
    }
    for (let i = 0; i < 2; i++) {
      console.log(`[chaos] ${name}: SIGKILL with ${await keysHeld()} keys held`);
      await workers.killAll();
      faultOver();
      workers.start(env);
      await sleep(10_000);
    }
  },
});

const SHARD_SCENARIOS: Scenario[] = shardScenarios();

const SCENARIOS: Scenario[] = [
  {
    name: 'sigkill-worker-x5', events: 60_000, rate: 3000, faultAfterMs: 2000,
    fault: async ({ workers, rand, faultOver }) => {
      for (let i = 0; i < 5; i++) {
        await workers.killAll();
        faultOver();
        workers.start();
        await sleep(1000 + rand() * 2500);
      }
    },
  },
  {
    name: 'two-workers-one-killed', events: 30_000, rate: 3000, faultAfterMs: 3000, workers: 2,
    fault: async ({ workers, faultOver }) => { await workers.kill(workers.alive()[0]); faultOver(); },
  },
  {
    name: 'kill-between-journal-and-insert', events: 30_000, rate: 3000, faultAfterMs: 0,
    workerEnv: { SLUICE_FAULT_POINT: 'after-journal:2' }, fault: selfKill(3),
  },
  {
    name: 'kill-after-insert-before-ack', events: 30_000, rate: 3000, faultAfterMs: 0,
    workerEnv: { SLUICE_FAULT_POINT: 'after-insert:2' }, fault: selfKill(3),
  },
  {
    name: 'bad-input', events: 30_000, rate: 3000, faultAfterMs: 0,
    workerEnv: { SLUICE_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) }, transform: withBadInput,
    fault: async () => undefined, // nothing goes down: no recovery time
  },
  {
    name: 'clickhouse-rejects-rows', events: 30_000, rate: 3000, faultAfterMs: 0,
    transform: withRejectedDates, spec: rejectingSpec,
    fault: async () => undefined, // nothing goes down: no recovery time
  },
  ...freezeScenarios('after-journal', 'between-journal-and-insert'),
  ...freezeScenarios('mid-insert', 'mid-insert'),
  ...(['nats', 'clickhouse', 'kafka', 'temporal'] as const).map((svc): Scenario => ({
    name: `restart-${svc}`, events: 30_000, rate: 3000, faultAfterMs: 3000,
    fault: async ({ faultOver }) => { await restartService(svc, 3000); faultOver(); },
  })),
  ...SHARD_SCENARIOS,
  bigStateKill('sigkill-5m-keys-held', 5_000_000),
  // a 32 MiB cap holds 1.7 million keys: the rest goes to LMDB, and recovery spills again
  bigStateKill('sigkill-5m-keys-held-spilled', 5_000_000, { SLUICE_DEDUP_MEMORY_MAX_MB: '32' }),
];

/** Sends events at `rate`/s in 100 ms slices; a failed send (broker restarting) is retried. */
async function produce(kafka: Kafka, topic: string, events: ChaosEvent[], rate: number): Promise<void> {
  const producer = kafka.producer({ retry: { retries: 60, maxRetryTime: 2000 } });
  await producer.connect();
  const start = Date.now();
  let sent = 0;
  while (sent < events.length) {
    // at most 1,000 events per request (Kafka refuses requests over 1 MB); catch up over several
    const due = Math.min(events.length, Math.ceil(((Date.now() - start) / 1000) * rate), sent + 1000);
    if (due > sent) {
      const part = events.slice(sent, due);
      for (;;) {
        try {
          await producer.send({ topic, acks: -1, messages: part.map((e) => ({ key: e.key, value: e.value })) });
          break;
        } catch {
          await sleep(500);
        }
      }
      sent = due;
      continue;
    }
    await sleep(100);
  }
  await producer.disconnect();
}

/** The demo pipeline, isolated under this scenario's name, with small batches so crashes land mid-stream. */
function chaosSpec(name: string): PipelineSpec {
  const base = specFrom(readFileSync(join(repoRoot, 'pipelines', 'checkout-purchases.yaml'), 'utf8'));
  const spec = isolatedSpec(onStack(base), name, 'sluice_chaos');
  return specFrom({ ...spec, sink: { ...spec.sink, batch: { maxRows: 2000, maxDelay: '200ms' } } });
}

/**
 * The sink's counters run ahead of ClickHouse: a batch counts as inserted once it is taken, while
 * earlier ones still commit (and rows ClickHouse refuses move to the DLQ only once it refused
 * them), so the counters add up before the last batches are in. Waits until the counters and the
 * table's row count have stayed the same for `quietMs` (or until `deadline`).
 */
async function settled(svc: PipelineService, name: string, rows: () => Promise<number>, quietMs: number, deadline: number): Promise<PipelineState> {
  let s = await svc.status(name);
  let last = '';
  let since = Date.now();
  while (Date.now() < deadline) {
    s = await svc.status(name);
    const now = JSON.stringify([s.sink.read, s.sink.inserted, s.sink.duplicates, s.sink.dlq, await rows()]);
    if (now !== last) { last = now; since = Date.now(); } else if (Date.now() - since >= quietMs) break;
    await sleep(250);
  }
  return s;
}

async function runOne(sc: Scenario, seed: number): Promise<ChaosRow> {
  const taskQueue = `sluice-chaos-${randomBytes(3).toString('hex')}`;
  const svc = await PipelineService.connect(taskQueue);
  const workers = new Workers(taskQueue);
  const base = chaosSpec(`chaos-${sc.name}`);
  const spec = (sc.spec ?? ((x: PipelineSpec) => x))(sc.parallelism ? specFrom({ ...base, parallelism: sc.parallelism }) : base);
  const table = tableRef(spec);
  const ch = clickhouse(settings.clickhouseUrl);
  const kafka = new Kafka({ clientId: 'sluice-chaos', brokers: settings.kafkaBrokers, logLevel: logLevel.NOTHING });
  try {
    workers.faultPoint = sc.workerEnv?.SLUICE_FAULT_POINT;
    for (let i = 0; i < (sc.workers ?? 1); i++) workers.start(sc.workerEnv);
    await waitForPollers(taskQueue);
    await svc.delete(spec.name, spec).catch(() => undefined);
    await ch.command({ query: 'CREATE DATABASE IF NOT EXISTS sluice_chaos' });
    await ch.command({ query: `DROP TABLE IF EXISTS ${table}` });
    await recreateTopic(kafka, spec.sources[0].kafka.topic, sc.partitions ?? 3);
    await svc.create(spec);
    await svc.waitFor(spec.name, (s) => s.status === 'RUNNING' && s.sink.read !== undefined, 60_000);

    const generated = fromGenerated([...purchaseEvents({ events: sc.events, duplicateRatio: 0.3, malformedRatio: 0.005, seed, maxDuplicateDistance: 3000 }, sc.name)]);
    const events = sc.transform ? sc.transform(generated) : generated;
    const expected = events.filter((e) => e.expect === 'row').length;
    const dlqExpected = events.filter((e) => e.expect === 'dlq').length;
    let sampling = true;
    const sampler = sampleRows(ch, table, { target: () => Infinity, deadline: () => (sampling ? Infinity : 0), everyMs: 100 });
    const faultEnds: number[] = [];
    const problems: string[] = [];
    const producing = produce(kafka, spec.sources[0].kafka.topic, events, sc.rate);
    await sleep(sc.faultAfterMs);
    console.log(`[chaos] ${sc.name}: injecting the fault`);
    const keysHeld = async () => (await svc.status(spec.name)).sink.keysHeld ?? 0;
    await sc.fault({ workers, rand: prng(seed), faultOver: (at = Date.now()) => faultEnds.push(at), keysHeld, svc, spec, problem: (m) => problems.push(m) });
    await producing;
    const settleUntil = Date.now() + (sc.settleMs ?? 300_000);
    await svc.waitFor(spec.name, (s) => (s.sink.read ?? 0) >= events.length && s.sink.inserted + s.sink.duplicates + s.sink.dlq === s.sink.read, sc.settleMs ?? 300_000)
      .catch(() => undefined);
    const done = await settled(svc, spec.name, () => scalar(ch, `SELECT count() FROM ${table}`), 3000, Math.max(settleUntil, Date.now() + 5000));
    await sleep(500);
    sampling = false;
    const samples = await sampler;

    const rows = await scalar(ch, `SELECT count() FROM ${table}`);
    const distinct = await scalar(ch, `SELECT uniqExact(event_id) FROM ${table}`);
    const c = done.sink;
    // a sharded pipeline: every shard reports, and each reconciles on its own
    const shards = done.shards ?? [];
    // the parallelism it runs with at the end (a scenario may change it)
    const parallelism = (await svc.spec(spec.name).catch(() => spec)).parallelism;
    const shardsReconcile = parallelism === 1 || (shards.length === parallelism && shards.every((x) => x && x.read === x.inserted + x.duplicates + x.dlq));
    if (shards.length) console.log(`[chaos] ${sc.name}: per shard read/inserted/duplicates/dlq ${shards.map((x) => `${x?.read}/${x?.inserted}/${x?.duplicates}/${x?.dlq}`).join('  ')}`);
    for (const p of problems) console.error(`[chaos] ${sc.name}: ${p}`);
    await svc.delete(spec.name);
    const stages = await svc.describeStages(spec.name).catch(() => []);
    const row: ChaosRow = {
      scenario: sc.name, events: events.length, expected, rows, missing: Math.max(0, expected - distinct), doubled: rows - distinct,
      dlq: c.dlq ?? 0, dlqExpected, recoveryS: worstRecoverySeconds(samples, faultEnds), reconciles: c.read === c.inserted + c.duplicates + c.dlq && shardsReconcile && problems.length === 0,
      leaks: stages.length, pass: false,
    };
    row.pass = row.rows === expected && row.missing === 0 && row.doubled === 0 && row.dlq === dlqExpected && row.reconciles && row.leaks === 0;
    return row;
  } finally {
    await workers.stopAll();
    await ch.close();
    await svc.close();
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const known = [...SCENARIOS, ...JOIN_SCENARIOS].map((s) => s.name).concat(SHARDED_JOIN_SCENARIO);
  const unknown = wanted.filter((w) => !known.includes(w));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  const rows: ChaosRow[] = [];
  for (const [i, sc] of SCENARIOS.entries()) {
    if (wanted.length ? !wanted.includes(sc.name) : sc.heavy) continue;
    console.log(`[chaos] ${sc.name}: ${sc.events} events at ${sc.rate}/s`);
    rows.push(await runOne(sc, 100 + i).catch((e) => failedRow(sc.name, e)));
    console.log(`[chaos] ${sc.name}: ${rows[rows.length - 1].pass ? 'PASS' : 'FAIL'}`);
  }
  for (const [i, sc] of JOIN_SCENARIOS.entries()) {
    if (wanted.length && !wanted.includes(sc.name)) continue;
    console.log(`[chaos] ${sc.name}`);
    rows.push(await runJoinChaos(sc, 100 + SCENARIOS.length + i).catch((e) => failedRow(sc.name, e)));
    console.log(`[chaos] ${sc.name}: ${rows[rows.length - 1].pass ? 'PASS' : 'FAIL'}`);
  }
  if (!wanted.length || wanted.includes(SHARDED_JOIN_SCENARIO)) {
    console.log(`[chaos] ${SHARDED_JOIN_SCENARIO}`);
    rows.push(await runShardedJoinChaos(300).catch((e) => failedRow(SHARDED_JOIN_SCENARIO, e)));
    console.log(`[chaos] ${SHARDED_JOIN_SCENARIO}: ${rows[rows.length - 1].pass ? 'PASS' : 'FAIL'}`);
  }
  printTable(rows);
  const passed = rows.filter((r) => r.pass).length;
  console.log(`\nchaos: ${passed} passed, ${rows.length - passed} failed`);
  if (passed !== rows.length) process.exitCode = 1;
}

main().catch((e) => {
  console.error('[chaos] failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
