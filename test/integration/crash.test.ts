// Nothing lost, nothing doubled: SIGKILL the worker mid-run (twice), start another, and the
// counts in ClickHouse are exact and the counters reconcile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scalar } from '../../loadtest/clickhouse';
import { purchaseEvents } from '../../loadtest/seedEvents';
import { createRunning, killWorkers, sinkStarts, until, untilRows, newTopic, openHarness, purchaseSpec, rows, send, tableOf, uniqueName, untilRead, type Harness } from './harness';

let h: Harness;
before(async () => { h = await openHarness(); });
after(async () => { await h?.close(); });

test('every worker killed with SIGKILL mid-batch, twice: exact rows, no duplicates, counters reconcile', async () => {
  const name = uniqueName('it-crash');
  await newTopic(h, name, 3);
  await createRunning(h, purchaseSpec(name, name, { batch: { maxRows: 1000, maxDelay: '100ms' } }));
  const events = [...purchaseEvents({ events: 30_000, duplicateRatio: 0.3, malformedRatio: 0.01, seed: 3, maxDuplicateDistance: 2000 }, name)];
  const unique = events.filter((e) => e.unique).length;
  const malformed = events.filter((e) => e.malformed).length;
  // paced (about 25 s at 1,200 events/s) so both kills land while events are still arriving
  let sent = false;
  const sending = send(h, name, events.map((e) => e.value), { chunk: 400, pauseMs: 300 }).then(() => { sent = true; });

  // round 1: the only worker dies once 15% of the rows are in; two take over (the stages spread over them);
  // round 2: once the sink runs again (a second start in the log) and 55% are in, both die, one takes over
  for (const [round, at, replacements] of [[1, 0.15, 2], [2, 0.55, 1]]) {
    if (round === 2) await until('the sink to start again after the first kill', () => sinkStarts(name).length >= 2, 120_000);
    const seen = await untilRows(h, name, Math.floor(unique * at));
    assert.ok(!sent && seen < unique, `kill ${round} came before the end (${seen} of ${unique} rows, all sent: ${sent})`);
    await killWorkers(h);
    for (let i = 0; i < replacements; i++) h.startWorker();
  }
  await sending;
  const s = await untilRead(h, name, events.length, 180_000);
  await untilRows(h, name, unique);
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(await rows(h, name), unique, 'one row per unique purchase');
  assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), unique, 'no purchase twice');
  const c = s.sink;
  assert.equal(c.read, events.length);
  assert.equal(c.dlq, malformed);
  assert.equal(c.duplicates, events.length - unique - malformed);
  assert.equal(c.read, c.inserted + c.duplicates + c.dlq);
  // each kill hit a running sink: it started three times (once, and again after each kill)
  const starts = sinkStarts(name);
  assert.ok(starts.length >= 3, `sink started ${starts.length} times (batches at start: ${starts.map((x) => x.batch).join(', ')})`);
  await h.svc.delete(name);
});
