// The short fault scenarios of the reliability suite (the rest run in `npm run chaos`):
// bad input of every kind, rows ClickHouse refuses, and a ClickHouse restart mid-run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { streamsOf } from '../../core/names';
import { scalar } from '../../loadtest/clickhouse';
import { repoRoot } from '../../loadtest/localWorker';
import { createRunning, newTopic, openHarness, purchase, purchaseSpec, rows, send, tableOf, uniqueName, untilRead, type Harness, type Value } from './harness';

const MAX_EVENT_BYTES = 4096;
let h: Harness;
before(async () => { h = await openHarness({ SLUICE_MAX_EVENT_BYTES: String(MAX_EVENT_BYTES) }); });
after(async () => { await h?.close(); });

async function dlq(name: string): Promise<Array<{ reason: string; error: string; value: string | null }>> {
  const c = await h.nc.jetstream().consumers.get(streamsOf(name).dlq);
  const out = [];
  for (let m = await c.next({ expires: 1000 }); m; m = await c.next({ expires: 1000 })) out.push(m.json<{ reason: string; error: string; value: string | null }>());
  return out.sort((a, b) => a.reason.localeCompare(b.reason));
}

test('bad input: each kind goes to the DLQ with its reason, good events keep flowing', async () => {
  const name = uniqueName('it-badinput');
  await newTopic(h, name);
  await createRunning(h, purchaseSpec(name, name));
  const bad: Value[] = [
    '{"event_id": "x", ',                                  // malformed_json
    JSON.stringify([1, 2]),                                // not_an_object
    { user_id: 'u', amount: 1, ts: '2026-11-29T12:00:00Z', _event_source_: 'x' }, // missing_field (event_id)
    purchase('t', 'x', { amount: 'ten' }),                 // type_mismatch
    purchase('big', 'x', { pad: 'p'.repeat(MAX_EVENT_BYTES) }), // oversized
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),     // invalid_utf8
    null,                                                  // empty_message
  ];
  await send(h, name, [purchase('g1'), ...bad, purchase('g2')]);
  const s = await untilRead(h, name, 9);
  assert.equal(await rows(h, name), 2);
  assert.equal(s.sink.dlq, 7);
  assert.equal(s.sink.read, s.sink.inserted + s.sink.duplicates + s.sink.dlq);
  const entries = await dlq(name);
  assert.deepEqual(entries.map((e) => e.reason), ['empty_message', 'invalid_utf8', 'malformed_json', 'missing_field', 'not_an_object', 'oversized', 'type_mismatch']);
  assert.equal(Buffer.from(entries[1].value!, 'base64').toString('hex'), '7b22fffe227d', 'the raw bytes are kept');
  await h.svc.delete(name);
});

test('rows ClickHouse refuses go to the DLQ with the server\'s message; the rest are inserted', async () => {
  const name = uniqueName('it-chreject');
  await newTopic(h, name);
  const spec = purchaseSpec(name, name, { fields: { event_id: 'string', note: 'string', ts: 'datetime', _event_source_: 'string', user_id: 'string', amount: 'float64' } });
  spec.sink.columns = [{ name: 'event_id' }, { name: 'ref', field: 'note', type: 'UUID' }];
  await createRunning(h, spec);
  const events = Array.from({ length: 50 }, (_, i) => purchase(`r${i}`, 'web', { note: i % 10 === 3 ? 'not a uuid' : '6f1b1c8e-0f5e-4d3a-9d2b-1c2d3e4f5a6b' }));
  await send(h, name, events);
  await untilRead(h, name, 50);
  await h.svc.waitFor(name, (st) => st.sink.inserted + st.sink.dlq === 50);
  assert.equal(await rows(h, name), 45);
  const final = await h.svc.status(name);
  assert.deepEqual({ dlq: final.sink.dlq, inserted: final.sink.inserted }, { dlq: 5, inserted: 45 });
  const entries = await dlq(name);
  assert.equal(entries.length, 5);
  assert.ok(entries.every((e) => e.reason === 'rejected_by_clickhouse' && /UUID|parse/i.test(e.error)), entries[0]?.error);
  // a later, valid copy of a rejected event is inserted (its key was not kept)
  await send(h, name, [purchase('r3', 'web', { note: '6f1b1c8e-0f5e-4d3a-9d2b-1c2d3e4f5a6b' })]);
  await untilRead(h, name, 51);
  assert.equal(await scalar(h.ch, `SELECT count() FROM ${tableOf(name)} WHERE event_id = 'r3'`), 1);
  await h.svc.delete(name);
});

test('a pipeline created again on a table with other columns still finds the rows ClickHouse refuses (no probe table of the old columns)', async () => {
  const name = uniqueName('it-chrecreate');
  const fields = { event_id: 'string', note: 'string', ts: 'datetime', _event_source_: 'string', user_id: 'string', amount: 'float64' };
  const run = async (column: string, from: number) => {
    await newTopic(h, name);
    const spec = purchaseSpec(name, name, { fields });
    spec.sink.columns = [{ name: 'event_id' }, { name: column, field: 'note', type: 'UUID' }];
    await createRunning(h, spec);
    await send(h, name, Array.from({ length: 10 }, (_, i) => purchase(`r${from + i}`, 'web', { note: i === 4 ? 'not a uuid' : '6f1b1c8e-0f5e-4d3a-9d2b-1c2d3e4f5a6b' })));
    return h.svc.waitFor(name, (st) => st.sink.inserted + st.sink.dlq === 10, 60_000);
  };
  assert.deepEqual(((s) => ({ inserted: s.sink.inserted, dlq: s.sink.dlq }))(await run('ref', 0)), { inserted: 9, dlq: 1 });
  await h.svc.delete(name);
  await h.ch.command({ query: `DROP TABLE ${tableOf(name)}` });
  // the same pipeline and table names, the column renamed: a probe table made for the first table would take every row
  const again = await run('payment_ref', 100);
  assert.deepEqual({ inserted: again.sink.inserted, dlq: again.sink.dlq }, { inserted: 9, dlq: 1 });
  assert.equal(await scalar(h.ch, `SELECT count() FROM ${tableOf(name)}`), 9);
  await h.svc.delete(name);
});

test('ClickHouse restarted mid-run: inserts wait and resume, counts exact', async () => {
  const name = uniqueName('it-chrestart');
  await newTopic(h, name);
  await createRunning(h, purchaseSpec(name, name, { batch: { maxRows: 500, maxDelay: '100ms' } }));
  const stack = (...args: string[]) => execFileSync('bash', [join(repoRoot, 'stack', 'stack.sh'), ...args], { stdio: 'pipe' });
  const first = Array.from({ length: 2000 }, (_, i) => purchase(`c${i}`));
  await send(h, name, first);
  stack('down', 'clickhouse');
  await send(h, name, Array.from({ length: 2000 }, (_, i) => purchase(`d${i}`)));
  await new Promise((r) => setTimeout(r, 2000));
  stack('up', 'clickhouse');
  const s = await untilRead(h, name, 4000, 120_000);
  await h.svc.waitFor(name, (st) => st.sink.inserted === 4000, 120_000);
  assert.equal(await rows(h, name), 4000);
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), 4000);
  assert.equal(s.sink.read, 4000);
  await h.svc.delete(name);
});
