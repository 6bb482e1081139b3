// A writer that stops without dying (GC pause, VM stall, SIGSTOP) between its journal entry and
// its INSERT: a live worker takes the sink over meanwhile, and when the frozen one thaws its
// INSERT must not land. Exact rows, no event twice, counters reconcile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { scalar } from '../../loadtest/clickhouse';
import { purchaseEvents } from '../../loadtest/seedEvents';
import { startWorker } from '../../loadtest/localWorker';
import { isStopped } from '../../chaos/faults';
import { createRunning, newTopic, openHarness, purchaseSpec, rows, send, sinkStarts, tableOf, uniqueName, until, untilRead, untilRows, type Harness } from './harness';

const HOLD_MS = 20_000;
let h: Harness;
// the harness's worker freezes itself (SIGSTOP) right after its 3rd journal entry, once
before(async () => { h = await openHarness({ SLUICE_FAULT_POINT: 'after-journal:3:freeze:1' }); });
after(async () => {
  for (const w of h?.workers ?? []) if (w.pid && w.exitCode === null) process.kill(w.pid, 'SIGCONT');
  await h?.close();
});

test('a writer frozen between journal entry and INSERT for 20 s: its INSERT never lands after the takeover', async (t) => {
  const name = uniqueName('it-freeze');
  await newTopic(h, name, 2);
  await createRunning(h, purchaseSpec(name, name, { batch: { maxRows: 500, maxDelay: '100ms' } }));
  const frozen = h.workers[0];
  // a live worker beside it, which does not freeze
  const live = startWorker('test-worker', { SLUICE_TASK_QUEUE: h.taskQueue });
  h.workers.push(live);
  const events = [...purchaseEvents({ events: 12_000, duplicateRatio: 0.3, malformedRatio: 0.01, seed: 12, maxDuplicateDistance: 1000 }, name)];
  const unique = events.filter((e) => e.unique).length;
  const malformed = events.filter((e) => e.malformed).length;
  const sending = send(h, name, events.map((e) => e.value), { chunk: 400, pauseMs: 300 });

  await until('the sink worker to freeze after a journal entry', () => isStopped(frozen), 60_000);
  const frozenAt = Date.now();
  const rowsAtFreeze = await rows(h, name);
  // the live worker takes the sink over and goes on inserting while the first one is still frozen
  await until('the sink to start on the live worker', () => sinkStarts(name).length >= 2, HOLD_MS + 60_000);
  await until('rows from the live worker', async () => (await rows(h, name)) > rowsAtFreeze, 60_000);
  const takeoverSeconds = (Date.now() - frozenAt) / 1000;
  t.diagnostic(`the live worker inserted again ${takeoverSeconds.toFixed(1)} s after the freeze`);
  await sleep(Math.max(0, HOLD_MS - (Date.now() - frozenAt)));
  assert.ok(isStopped(frozen), 'the writer was still frozen when the takeover was done');
  process.kill(frozen.pid!, 'SIGCONT');

  await sending;
  const s = await untilRead(h, name, events.length, 180_000);
  await untilRows(h, name, unique);
  await sleep(3000); // a late INSERT of the thawed writer would land by now
  assert.equal(await rows(h, name), unique, `one row per unique purchase (takeover after ${takeoverSeconds.toFixed(1)} s)`);
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), unique, 'no purchase twice');
  const c = s.sink;
  assert.equal(c.read, events.length);
  assert.equal(c.dlq, malformed);
  assert.equal(c.read, c.inserted + c.duplicates + c.dlq);
  await h.svc.delete(name);
});
