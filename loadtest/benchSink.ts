// `npm run bench -- sink`: the sink's pure path alone, in this process, no service: the max
// scenario's events (loadtest/seedEvents.ts) as raw batches of 500 (core/envelope.ts, as ingest
// publishes them) through SinkState.process, a batch taken every 5,000 rows.
// Printed: µs of this process's CPU per event, median and fastest of the passes (after one not counted). It is what the
// end-to-end worker figure holds of the sink's own code (decode, row, key, window), measured with
// much less noise than a whole run.
//   --sink-events=N (default 221,676)  --sink-passes=N (8)
//   --sink-builds=DIR,DIR  other builds' dist/ folders (a worktree's), passed in turn with this one,
//                          so an A/B comparison runs in the same process at the same time
import { resolve } from 'node:path';
import type { PipelineSpec } from '../core/spec/schema';
import { chunk, RECORDS_PER_MESSAGE, type RawBatch } from '../core/envelope';
import type { ScenarioOptions } from './seedEvents';
import { settings } from '../runtime/settings';

interface SinkBuild {
  label: string;
  SinkState: new (spec: PipelineSpec) => { process(seq: number, b: RawBatch): void; takeBatch(now: number): unknown; readonly pendingRows: number };
  batches: RawBatch[];
}

export interface SinkBenchRow {
  build: string;
  medianUs: number;
  minUs: number;
  passesUs: number[];
}

const ROWS_PER_TAKE = 5_000;

/** The sink's pure path of each build (this one first: dist = this build's dist folder). */
export function runSinkBench(spec: PipelineSpec, o: { events: ScenarioOptions; passes: number; builds: string[]; dist: string }): SinkBenchRow[] {
  const builds = [o.dist, ...o.builds.map((d) => resolve(d))].map((dist): SinkBuild => {
    const envelope = require(`${dist}/core/envelope`) as typeof import('../core/envelope');
    const seed = require(`${dist}/loadtest/seedEvents`) as typeof import('./seedEvents');
    const { SinkState } = require(`${dist}/core/sinkState`) as { SinkState: SinkBuild['SinkState'] };
    const values: Buffer[] = [];
    for (const e of seed.purchaseEvents(o.events)) values.push(Buffer.from(e.value));
    const batches: RawBatch[] = [];
    const records = values.map((value, i) => ({ offset: String(i), value }));
    for (const part of chunk(records, RECORDS_PER_MESSAGE)) {
      batches.push(envelope.decodeRawBatch(envelope.encodeRawRecords(0, spec.sources[0].kafka.topic, 0, Date.now(), part, settings.maxEventBytes).data));
    }
    return { label: dist, SinkState, batches };
  });
  const passes = builds.map(() => [] as number[]);
  // pass -1 warms the JIT up and is not counted
  for (let p = -1; p < o.passes; p++) {
    builds.forEach((b, i) => {
      const state = new b.SinkState(spec);
      const t0 = process.cpuUsage();
      let seq = 0;
      for (const batch of b.batches) {
        state.process(++seq, batch);
        if (state.pendingRows >= ROWS_PER_TAKE) state.takeBatch(Date.now());
      }
      state.takeBatch(Date.now());
      const used = process.cpuUsage(t0);
      if (p >= 0) passes[i].push((used.user + used.system) / o.events.events);
    });
  }
  return builds.map((b, i) => {
    const sorted = [...passes[i]].sort((x, y) => x - y);
    return { build: b.label, medianUs: sorted[sorted.length >> 1], minUs: sorted[0], passesUs: passes[i] };
  });
}

export function printSinkBench(rows: SinkBenchRow[], events: number): void {
  console.log(`\n[bench] sink: the pure path (raw batch -> SinkState.process -> taken batch), ${events.toLocaleString('en')} events per pass, µs of CPU per event`);
  console.log('| build | median | fastest | passes |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.build} | ${r.medianUs.toFixed(2)} | ${r.minUs.toFixed(2)} | ${r.passesUs.map((u) => u.toFixed(2)).join(' ')} |`);
}
