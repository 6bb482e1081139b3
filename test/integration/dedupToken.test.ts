// The server's own insert deduplication as a second line of defence beside the journal (README
// "Guarantees"): through the writer's real path (table created as Sluice creates it, the writer
// fence's Null table and materialized view, ClickHouseWriter), the same batch id inserted twice
// lands once where the server has insert_deduplication_token, and twice on 18.16 (which has not).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSpec } from '../../core/spec/validate';
import { createTableSql, engineNameOf, quoteIdent, tableRef } from '../../core/ddl';
import { createTableSettings } from '../../core/serverVersion';
import { clickhouseFor } from '../../runtime/connections';
import { serverOf } from '../../activities/clickhouseServer';
import { openFence, takeOver } from '../../activities/writerFence';
import { ClickHouseWriter, rowsOfBatch } from '../../activities/sink/clickhouseWriter';
import { purchaseSpec, uniqueName } from './harness';
import { scalar } from '../../loadtest/clickhouse';
import { RowLines } from '../../core/rowLines';

const name = uniqueName('it-token');
const r = validateSpec(purchaseSpec(name, name));
if (!r.ok) throw new Error('spec');
const spec = r.spec;
const ch = clickhouseFor(spec);
after(async () => { await takeOver(ch, spec); await ch.command({ query: `DROP TABLE IF EXISTS ${tableRef(spec)}` }); await ch.close(); });

test('a batch inserted twice with its batch id lands once where the server has insert_deduplication_token (twice on 18.16)', async () => {
  const server = await serverOf(ch);
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(spec.sink.clickhouse.database)}` });
  const ddl = createTableSql(spec, createTableSettings(server, engineNameOf(spec.sink.createTable!.engine)));
  assert.equal(ddl.includes('non_replicated_deduplication_window = 1000'), server.has('non_replicated_deduplication_window'), ddl);
  await ch.command({ query: ddl });
  const writer = await ClickHouseWriter.open(ch, spec, await openFence(ch, spec));
  const batchId = 5 * 2 ** 32 + 1;
  const rows = Array.from({ length: 100 }, (_, i) => ({ event_id: `e${i}`, user_id: 'u', amount: i, ts: '2026-12-02 12:00:00', _event_source_: 'web', _sluice_batch: batchId }));
  const lines = (objects: object[]) => RowLines.from(objects.map((o) => Buffer.from(`${JSON.stringify(o)}\n`)));
  await writer.insert(lines(rows), batchId);
  await writer.insert(lines(rows), batchId); // a retry of the same batch (the journal would not let it happen; the server catches it too)
  const other = rows.map((row) => ({ ...row, _sluice_batch: batchId + 1 }));
  await writer.insert(lines(other), batchId + 1); // the next batch: a token of its own
  const withToken = server.has('insert_deduplication_token');
  assert.equal(await rowsOfBatch(ch, spec, batchId), withToken ? 100 : 200, `server ${server.version}`);
  assert.equal(await rowsOfBatch(ch, spec, batchId + 1), 100);
  assert.equal(await scalar(ch, `SELECT count() FROM ${tableRef(spec)}`), withToken ? 200 : 300);
  if (server.atLeast(22, 2)) assert.ok(withToken, `ClickHouse ${server.version} should have insert_deduplication_token`);
});
