// A commit that fails without an answer from ClickHouse (a dropped connection) while the sink's
// clock has taken more batches behind it: none of those may be committed, or the failed batch —
// journaled, not inserted — would sit behind a committed one and never be redone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scalar } from '../../loadtest/clickhouse';
import { purchaseEvents } from '../../loadtest/seedEvents';
import { createRunning, newTopic, openHarness, purchaseSpec, rows, send, tableOf, uniqueName, untilRead, untilRows, type Harness } from './harness';

let h: Harness;
// the worker's 3rd commit fails 2 s after its journal entry; every later worker is the same kind, unarmed once restarted
before(async () => { h = await openHarness({ SLUICE_FAULT_POINT: 'after-journal:3:fail' }); });
after(async () => { await h?.close(); });

test('a commit that fails after its journal entry, with batches queued behind it: exact rows', async () => {
  const name = uniqueName('it-failcommit');
  await newTopic(h, name);
  await createRunning(h, purchaseSpec(name, name, { batch: { maxRows: 200, maxDelay: '50ms' } }));
  const events = [...purchaseEvents({ events: 6_000, duplicateRatio: 0.3, malformedRatio: 0.01, seed: 16, maxDuplicateDistance: 500 }, name)];
  const unique = events.filter((e) => e.unique).length;
  // paced, so the sink's clock keeps taking small batches while the third commit hangs
  await send(h, name, events.map((e) => e.value), { chunk: 100, pauseMs: 50 });
  const s = await untilRead(h, name, events.length, 120_000);
  await untilRows(h, name, unique, 60_000);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await rows(h, name), unique, 'one row per unique purchase: no batch lost behind the failed one');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), unique);
  assert.equal(s.sink.read, s.sink.inserted + s.sink.duplicates + s.sink.dlq);
  await h.svc.delete(name);
});
