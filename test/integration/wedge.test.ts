// A stage whose loop wedges (a commit that never returns, the process alive and well otherwise)
// must stop heartbeating, so Temporal moves it to another worker: the heartbeat follows the
// loop, not a timer beside it. Exact rows once the stage has moved.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scalar } from '../../loadtest/clickhouse';
import { purchaseEvents } from '../../loadtest/seedEvents';
import { startWorker } from '../../loadtest/localWorker';
import { createRunning, newTopic, openHarness, purchaseSpec, rows, send, sinkStarts, tableOf, uniqueName, until, untilRead, untilRows, type Harness } from './harness';

const STALL_MS = 3000;
let h: Harness;
// the harness's worker wedges its sink's 3rd commit forever, right after the journal entry
before(async () => { h = await openHarness({ SLUICE_FAULT_POINT: 'after-journal:3:wedge', SLUICE_STAGE_STALL_MS: String(STALL_MS) }); });
after(async () => { await h?.close(); });

test('a sink wedged in its commit stops heartbeating and resumes on another worker: exact rows', async () => {
  const name = uniqueName('it-wedge');
  await newTopic(h, name);
  await createRunning(h, purchaseSpec(name, name, { batch: { maxRows: 300, maxDelay: '100ms' } }));
  const wedged = h.workers[0];
  h.workers.push(startWorker('test-worker', { SLUICE_TASK_QUEUE: h.taskQueue }));
  const events = [...purchaseEvents({ events: 6_000, duplicateRatio: 0.3, malformedRatio: 0.01, seed: 14, maxDuplicateDistance: 500 }, name)];
  const unique = events.filter((e) => e.unique).length;
  const sending = send(h, name, events.map((e) => e.value), { chunk: 300, pauseMs: 200 });
  // the stage moved: a second start, while the wedged worker still runs
  await until('the sink to start on the other worker', () => sinkStarts(name).length >= 2, 60_000);
  assert.equal(wedged.exitCode, null, 'the wedged worker is alive: the stage moved because its heartbeat stopped');
  await sending;
  const s = await untilRead(h, name, events.length, 120_000);
  await untilRows(h, name, unique);
  assert.equal(await rows(h, name), unique, 'one row per unique purchase');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), unique, 'no purchase twice');
  assert.equal(s.sink.read, s.sink.inserted + s.sink.duplicates + s.sink.dlq);
  await h.svc.delete(name);
});
