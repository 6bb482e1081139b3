// `npm run bench -- insert`: the sink's insert path alone, on whichever ClickHouse --insert-url
// names (default the stack's): the demo pipeline's rows, made by the worker's SinkState, inserted in
// batches of 10,000 with the settings the sink sends that server (core/serverVersion.ts
// insertSettingsFor: a deduplication token per batch where the server has it), into a table created
// as the sink creates it. Prints rows/s, the client's CPU per row, and the server's CPU per row
// when --insert-pid (or the stack's pid file) names its process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowLines } from '../core/rowLines';
import { insertLines } from '../activities/sink/clickhouseWriter';
import { createTableSettings, insertSettingsFor } from '../core/serverVersion';
import { serverOf } from '../activities/clickhouseServer';
import { cpuSeconds } from './procstat';
import { createTableSql, tableRef } from '../core/ddl';
import { SinkState } from '../core/sinkState';
import type { PipelineSpec } from '../core/spec/schema';
import { clickhouse } from './clickhouse';
import { stackDir } from './localWorker';

export interface InsertBenchResult { version: string; rows: number; seconds: number; clientUsPerRow: number; serverUsPerRow?: number; token: boolean }

/** The process's CPU seconds so far (loadtest/procstat.ts), or undefined when it is gone. */
function cpuOf(pid: number): number | undefined {
  try { return cpuSeconds(pid); } catch { return undefined; }
}

export async function runInsertBench(base: PipelineSpec, opts: { url: string; rows: number; pid?: number; token: boolean }): Promise<InsertBenchResult> {
  const spec: PipelineSpec = { ...base, sink: { ...base.sink, clickhouse: { ...base.sink.clickhouse, url: opts.url, database: 'sluice_bench', table: `insert_${opts.token ? 'token' : 'plain'}` } } };
  const ch = clickhouse(opts.url);
  try {
    const server = await serverOf(ch);
    await ch.command({ query: 'CREATE DATABASE IF NOT EXISTS sluice_bench' });
    await ch.command({ query: `DROP TABLE IF EXISTS ${tableRef(spec)}` });
    await ch.command({ query: createTableSql(spec, createTableSettings(server, 'MergeTree')) });
    // the rows the sink would insert: events through the worker's own state
    const state = new SinkState(spec, { incarnation: 1 });
    const BATCH = 10_000;
    const batches: RowLines[] = [];
    for (let b = 0; b * BATCH < opts.rows; b++) {
      const values = Array.from({ length: BATCH }, (_, i) => JSON.stringify({
        event_id: `e-${b}-${i}`, user_id: `u${i % 997}`, amount: (i % 5000) / 100, currency: 'EUR', ts: '2026-11-29T12:00:00Z', _event_source_: 'web',
      }));
      state.process(b + 1, { s: 0, t: 'bench', p: 0, o: values.map((_, i) => b * BATCH + i), a: Date.now(), v: values });
      batches.push(state.takeBatch(Date.now()).rows);
    }
    const cpu0 = process.cpuUsage();
    const srv0 = opts.pid === undefined ? undefined : cpuOf(opts.pid);
    const t0 = process.hrtime.bigint();
    let id = 0;
    for (const rows of batches) {
      id++;
      await insertLines(ch, tableRef(spec), rows.bytes(), insertSettingsFor(server, opts.token ? id : undefined, false));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const srv1 = opts.pid === undefined ? undefined : cpuOf(opts.pid);
    const rows = batches.length * BATCH;
    await ch.command({ query: `DROP TABLE IF EXISTS ${tableRef(spec)}` });
    return {
      version: server.version, rows, seconds, clientUsPerRow: (cpu.user + cpu.system) / rows, token: opts.token && server.has('insert_deduplication_token'),
      ...(srv0 !== undefined && srv1 !== undefined ? { serverUsPerRow: ((srv1 - srv0) * 1e6) / rows } : {}),
    };
  } finally {
    await ch.close();
  }
}

/** The pid of the stack's ClickHouse (its pid file), when the bench runs on the stack's URL. */
export function stackClickhousePid(): number | undefined {
  try { return Number(readFileSync(join(stackDir, 'run', 'clickhouse.pid'), 'utf8').trim()) || undefined; } catch { return undefined; }
}

export const formatInsertBench = (r: InsertBenchResult): string =>
  `[bench] insert: ClickHouse ${r.version}${r.token ? ' (with insert_deduplication_token)' : ''}: ${r.rows.toLocaleString('en-US')} rows in ${r.seconds.toFixed(2)} s = ` +
  `${Math.round(r.rows / r.seconds).toLocaleString('en-US')} rows/s; client CPU ${r.clientUsPerRow.toFixed(2)} µs/row` +
  (r.serverUsPerRow === undefined ? '' : `; server CPU ${r.serverUsPerRow.toFixed(2)} µs/row`);
