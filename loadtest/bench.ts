// `npm run bench [-- steady|max|join|memory|recovery ...]`: the benchmark scenarios, printing figures (no
// pass/fail on timing). Runs on its own task queue with its own worker, whose CPU and memory are measured.
//   steady  300,000 events at 3,000 events/s: exact counts, seconds after the last event, latency
//   max     500,000 events preloaded into Kafka, then the pipeline started: end-to-end events/s
//   join    purchases ⋈ profiles ⋈ payments (loadtest/joinDataset.ts), ~230,000 events at 5,000/s
//           (--join-rate=N): joined rows/s, latency, every row checked
//   memory  bytes of dedup state per key (10 million keys, heap + typed arrays), and of join state per buffered event
//   recovery  process start -> first new row inserted, with 1 and 10 million keys held (loadtest/benchState.ts)
//   sink    the sink's pure path alone, in the bench's process (loadtest/benchSink.ts): µs of CPU per event;
//           --sink-builds=DIR,DIR other builds' dist/ folders passed in turn with this one (an A/B in one process)
//   insert  the sink's insert path alone (loadtest/benchInsert.ts; run only when named): rows/s and CPU per row
//           of client and server, with and without the deduplication token; --insert-url (default the
//           stack's ClickHouse), --insert-pid (its process, for the server's CPU), --insert-rows (200,000)
//   scale   one pipeline with parallelism 1, 2, 4 on 1 and 2 workers (loadtest/benchScale.ts; run only when named):
//           events/s, p99, CPU per 1k events per process, peak RSS per worker; --scale-events=N (default
//           300,000), --scale-shards=1,2,4, --scale-workers=1,2
// Flags: --events=N (max: events preloaded, default 500,000); --cpu-prof=DIR (the worker runs under
// `node --cpu-prof`, its profile goes to DIR and its top self-time functions while measured are
// printed); --worker-node-args="--trace-gc ..." (more node flags for the bench worker); --tag=T (task queue and pipeline names get "-T", so benches in several checkouts on one
// stack do not share a worker).
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PipelineService } from '../client/pipelines';
import type { PipelineSpec } from '../core/spec/schema';
import { closeNats, dedupBytesPerKey, recoveryBench, spillCost } from './benchState';
import { printResult, removeRun, runScenario, type ScenarioResult } from './pipelineRun';
import type { ScenarioOptions } from './seedEvents';
import { startWorker, waitForPollers } from './localWorker';
import { isolatedSpec, onStack, specFile } from './specs';
import { benchJoinSpec, joinStateBytesPerEvent, printJoinResult, runJoinBench } from './benchJoin';
import { newestProfile, printTopSelfTime } from './benchProfile';
import { printScaleTable, runScaleBench } from './benchScale';
import { settings } from '../runtime/settings';
import { formatInsertBench, runInsertBench, stackClickhousePid } from './benchInsert';
import { printSinkBench, runSinkBench } from './benchSink';

const flag = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const TAG = flag('tag');
const TASK_QUEUE = TAG ? `sluice-bench-${TAG}` : 'sluice-bench';
const MAX_EVENTS = Number(flag('events') ?? 500_000);
const CPU_PROF_DIR = flag('cpu-prof') && resolve(flag('cpu-prof')!);
const WORKER_NODE_ARGS = (flag('worker-node-args') ?? '').split(' ').filter(Boolean);
if (!Number.isInteger(MAX_EVENTS) || MAX_EVENTS <= 0) throw new Error(`--events: expected a positive integer, got "${flag('events')}"`);

/** The max scenario's events (also what `sink` runs through the sink's pure path). */
const maxScenarioEvents = (events: number): ScenarioOptions => ({ events, duplicateRatio: 0.3, malformedRatio: 0.001, seed: 12, maxDuplicateDistance: 5000 });

function benchSpec(name: string): PipelineSpec {
  return isolatedSpec(onStack(specFile('pipelines/checkout-purchases.yaml')!.spec), TAG ? `${name}-${TAG}` : name, 'sluice_bench');
}

async function main(): Promise<void> {
  const which = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const want = (s: string) => which.length === 0 || which.includes(s);
  const results: Array<[string, ScenarioResult]> = [];
  if (which.includes('insert')) {
    const url = flag('insert-url') ?? settings.clickhouseUrl;
    const pid = flag('insert-pid') !== undefined ? Number(flag('insert-pid')) : url === settings.clickhouseUrl ? stackClickhousePid() : undefined;
    for (const token of [false, true]) {
      console.log(formatInsertBench(await runInsertBench(benchSpec('bench-insert'), { url, rows: Number(flag('insert-rows') ?? 200_000), pid, token })));
    }
  }
  if (which.includes('scale')) {
    const list = (name: string, dflt: string) => (flag(name) ?? dflt).split(',').map(Number);
    const rows = await runScaleBench(benchSpec, {
      events: Number(flag('scale-events') ?? 300_000), shards: list('scale-shards', '1,2,4'), workers: list('scale-workers', '1,2'), tag: TAG,
      log: (l) => console.log(`[bench] ${l}`),
    });
    printScaleTable(rows);
    if (rows.some((r) => !r.r.ok)) process.exitCode = 1;
  }
  if (want('sink')) {
    const events = Number(flag('sink-events') ?? 221_676);
    const builds = flag('sink-builds')?.split(',').filter(Boolean) ?? [];
    printSinkBench(runSinkBench(benchSpec('bench-sink'), { events: maxScenarioEvents(events), passes: Number(flag('sink-passes') ?? 8), builds, dist: resolve(__dirname, '..') }), events);
  }
  if (want('memory')) {
    const m = dedupBytesPerKey();
    console.log(`[bench] memory: dedup state ${m.bytesPerKey.toFixed(1)} bytes per key held, 10,000,000 keys (V8 heap + typed arrays; the key store's own arrays: ${m.storeBytesPerKey.toFixed(1)}); ${m.nsPerAdmit.toFixed(0)} ns per new key (hash + admit)`);
    const sp = spillCost();
    console.log(`[bench] memory: at a cap of 1,000,000 keys in memory with 5,000,000 held (${sp.gens} generations in LMDB): a new key (amortized: a spill of 1,000,000 keys to LMDB per 1,000,000 new keys) ${(sp.newNs / 1000).toFixed(2)} µs ` +
      `(${sp.diskReadsPerNew.toFixed(3)} disk reads), a repeat of a key on disk ${(sp.repeatNs / 1000).toFixed(2)} µs (${sp.diskReadsPerRepeat.toFixed(2)} disk reads), vs ${(sp.inMemoryNs / 1000).toFixed(2)} µs a new key all in memory; ` +
      `${sp.memoryBytesPerKey.toFixed(1)} bytes in memory per key held`);
    const j = joinStateBytesPerEvent();
    console.log(`[bench] memory: join state ${j.bytesPerEvent.toFixed(0)} bytes per buffered event (${j.buffered} purchases and payments buffered; V8 heap)`);
  }
  if (want('recovery')) {
    for (const n of [1_000_000, 10_000_000]) {
      const r = await recoveryBench(benchSpec(`bench-recovery-${n / 1_000_000}m`), n);
      const c = r.child;
      console.log(`[bench] recovery: ${n.toLocaleString('en')} keys held + 100,000 in the journal after the snapshot: first new row inserted ${(c.firstRowInsertedMs / 1000).toFixed(2)} s after process start ` +
        `(connected ${(c.connectedMs / 1000).toFixed(2)} s, snapshot of ${r.snapshotMiB.toFixed(0)} MiB loaded ${(c.snapshotLoadedMs / 1000).toFixed(2)} s, journal replayed ${(c.journalReplayedMs / 1000).toFixed(2)} s); the snapshot took ${r.writeSeconds.toFixed(2)} s to write`);
    }
    await closeNats();
  }
  if (!want('steady') && !want('max') && !want('join')) return;
  const svc = await PipelineService.connect(TASK_QUEUE);
  if (CPU_PROF_DIR) mkdirSync(CPU_PROF_DIR, { recursive: true });
  const worker = startWorker('bench-worker', { SLUICE_TASK_QUEUE: TASK_QUEUE }, [...WORKER_NODE_ARGS, ...(CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [])]);
  const exited = once(worker, 'exit');
  try {
    await waitForPollers(TASK_QUEUE);
    const log = (l: string) => console.log(`[bench] ${l}`);
    if (want('steady')) {
      const spec = benchSpec('bench-steady');
      const r = await runScenario(svc, {
        spec, rate: 3000, partitions: 3, workerPid: worker.pid, log,
        events: { events: 300_000, duplicateRatio: 0.3, malformedRatio: 0.001, seed: 11, maxDuplicateDistance: 5000 },
      });
      console.log('\n[bench] steady: 300,000 events at 3,000 events/s');
      printResult(r);
      results.push(['steady 300k @ 3k/s', r]);
      await removeRun(svc, spec);
    }
    if (want('max')) {
      const spec = benchSpec('bench-max');
      const r = await runScenario(svc, {
        spec, rate: Infinity, partitions: 3, preload: true, workerPid: worker.pid, log,
        events: maxScenarioEvents(MAX_EVENTS),
      });
      console.log(`\n[bench] max: ${MAX_EVENTS.toLocaleString('en')} events preloaded, then the pipeline started`);
      printResult(r);
      results.push([`max rate (${MAX_EVENTS / 1000}k preloaded)`, r]);
      await removeRun(svc, spec);
    }
    if (want('join')) {
      const rate = Number(/^--join-rate=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--join-rate=')) ?? '')?.[1] ?? 5000);
      const r = await runJoinBench(svc, benchJoinSpec(), { rate, users: 10_000, purchases: 100_000, workerPid: worker.pid, log });
      console.log(`\n[bench] join: ${r.events} events at ${rate} events/s (purchases ⋈ latest profile ⋈ payment)`);
      printJoinResult(r);
      if (!r.ok) process.exitCode = 1;
    }
    if (!results.length) return;
    console.log('\n| scenario | events | events/s end to end | exact after last event | p50 / p95 / p99 ms | worker CPU s per 1k | worker peak RSS MiB | counts |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const [name, r] of results) {
      const lat = r.latencyMs ? `${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99}` : 'n/a (preloaded)';
      console.log(`| ${name} | ${r.sent} | ${Math.round(r.eventsPerSecond)} | ${r.afterLastEventSeconds.toFixed(2)} s | ${lat} | ${r.cpuSecondsPer1000?.toFixed(3)} | ${r.workerPeakRssMiB?.toFixed(0)} | ${r.ok ? 'exact' : 'MISMATCH'} |`);
    }
    if (results.some(([, r]) => !r.ok)) process.exitCode = 1;
  } finally {
    await svc.close();
    worker.kill('SIGTERM');
  }
  if (CPU_PROF_DIR) {
    await exited; // the profile is written when the worker exits
    const profile = newestProfile(CPU_PROF_DIR);
    const measured = results.map(([, r]) => r.measuredUs);
    if (profile && measured.length) printTopSelfTime(profile, Math.min(...measured.map((m) => m[0])), Math.max(...measured.map((m) => m[1])));
  }
}

main().catch((e) => {
  console.error('[bench] failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
