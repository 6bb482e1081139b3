// `npm run bench -- scale`: the same workload through one pipeline with parallelism N = 1, 2, 4
// on W = 1 and 2 workers (each combination on its own task queue, its own workers, a fresh topic
// of 4 partitions and table): events sent as fast as the producer can while the pipeline runs;
// events/s end to end, p99 latency, CPU per 1,000 events of every process (each worker, NATS,
// Kafka, ClickHouse) and each worker's peak RSS. The figures feed docs/scaling.md's model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { PipelineService, specFrom } from '../client/pipelines';
import type { PipelineSpec } from '../core/spec/schema';
import { printResult, removeRun, runScenario, type ScenarioResult } from './pipelineRun';
import { stackDir, startWorker, waitForPollers } from './localWorker';

export interface ScaleOptions {
  events: number;
  shards: number[];
  workers: number[];
  tag?: string;
  log: (line: string) => void;
}

export interface ScaleRow { shards: number; workers: number; r: ScenarioResult }

const PARTITIONS = 4;

/** The local stack's service processes, from their pid files (absent ones are left out). */
function servicePids(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const svc of ['nats', 'kafka', 'clickhouse']) {
    try {
      out[svc] = Number(readFileSync(join(stackDir, 'run', `${svc}.pid`), 'utf8').trim());
    } catch { /* not started by stack.sh here */ }
  }
  return out;
}

export async function runScaleBench(specOf: (name: string) => PipelineSpec, o: ScaleOptions): Promise<ScaleRow[]> {
  const rows: ScaleRow[] = [];
  for (const workers of o.workers) {
    for (const shards of o.shards) {
      const id = `n${shards}-w${workers}`;
      const taskQueue = `sluice-bench-scale-${id}${o.tag ? `-${o.tag}` : ''}`;
      const svc = await PipelineService.connect(taskQueue);
      // the stages (a sink per shard, an ingest member per shard up to the partitions) spread evenly: each worker runs at most its share
      const stages = shards + Math.min(shards, PARTITIONS);
      const env = { SLUICE_TASK_QUEUE: taskQueue, SLUICE_WORKER_MAX_ACTIVITIES: String(Math.max(2, Math.ceil(stages / workers))) };
      const procs = Array.from({ length: workers }, () => startWorker('bench-worker', env));
      try {
        await waitForPollers(taskQueue);
        const spec = specFrom({ ...specOf(`bench-scale-${id}`), parallelism: shards });
        const processes = { ...Object.fromEntries(procs.map((w, i) => [`worker${i + 1}`, w.pid!])), ...servicePids() };
        o.log(`scale: parallelism ${shards} on ${workers} worker(s), ${o.events.toLocaleString('en')} events`);
        const r = await runScenario(svc, {
          spec, rate: Infinity, partitions: PARTITIONS, processes, log: o.log,
          events: { events: o.events, duplicateRatio: 0.3, malformedRatio: 0.001, seed: 21, maxDuplicateDistance: 5000 },
        });
        rows.push({ shards, workers, r });
        if (!r.ok) printResult(r, (l) => o.log(`MISMATCH ${id}: ${l}`));
        const st = await svc.status(spec.name).catch(() => undefined);
        if (st?.shards) o.log(`per shard read/inserted/duplicates/dlq: ${st.shards.map((c) => `${c?.read}/${c?.inserted}/${c?.duplicates}/${c?.dlq}`).join('  ')}`);
        await removeRun(svc, spec);
      } finally {
        await svc.close();
        await Promise.all(procs.map(async (w) => { const exited = once(w, 'exit'); w.kill('SIGTERM'); await exited; }));
      }
    }
  }
  return rows;
}

export function printScaleTable(rows: ScaleRow[]): void {
  console.log('\n| parallelism | workers | events/s end to end | p99 ms | CPU s per 1k events: workers (each) / NATS / Kafka / ClickHouse | worker peak RSS MiB (each) | counts |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { shards, workers, r } of rows) {
    const p = r.byProcess ?? {};
    const ws = Object.entries(p).filter(([k]) => k.startsWith('worker'));
    const sum = ws.reduce((n, [, v]) => n + v.cpuSecondsPer1000, 0);
    const cpu = `${sum.toFixed(3)} (${ws.map(([, v]) => v.cpuSecondsPer1000.toFixed(3)).join(' + ')}) / ${p.nats?.cpuSecondsPer1000.toFixed(3) ?? '—'} / ${p.kafka?.cpuSecondsPer1000.toFixed(3) ?? '—'} / ${p.clickhouse?.cpuSecondsPer1000.toFixed(3) ?? '—'}`;
    console.log(`| ${shards} | ${workers} | ${Math.round(r.eventsPerSecond)} | ${r.latencyMs?.p99 ?? '—'} | ${cpu} | ${ws.map(([, v]) => v.peakRssMiB.toFixed(0)).join(' / ')} | ${r.ok ? 'exact' : 'MISMATCH'} |`);
  }
}
