// Delete a pipeline, create it again under the same name into the same (kept) table: the new
// incarnation's batch ids are its own, so recovery never takes the old rows for new ones — also
// when the worker dies between journal entry and INSERT, or between INSERT and acknowledgement.
// A table that already holds rows is refused unless the spec says to append.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker, waitForPollers } from '../../loadtest/localWorker';
import { PipelineService } from '../../client/pipelines';
import { BATCH_SPAN } from '../../core/incarnation';
import type { PipelineSpecInput } from '../../core/spec/schema';
import { createRunning, killWorkers, newTopic, openHarness, purchase, purchaseSpec, rows, send, tableOf, uniqueName, until, untilRead, untilRows, type Harness } from './harness';

let h: Harness;
before(async () => { h = await openHarness(); });
after(async () => { await h?.close(); });

const EVENTS = 100;

/** rows per incarnation, as [incarnation, rows, distinct event_id] */
async function byIncarnation(name: string): Promise<Array<[number, number, number]>> {
  const rs = await h.ch.query({ query: `SELECT intDiv(_sluice_batch, ${BATCH_SPAN}) AS i, count() AS n, uniqExact(event_id) AS u FROM ${tableOf(name)} GROUP BY i ORDER BY i`, format: 'JSONEachRow' });
  return (await rs.json<{ i: string; n: string; u: string }>()).map((r) => [Number(r.i), Number(r.n), Number(r.u)]);
}

test('create, delete, create again into the kept table, crashing at each fault point: exact rows per incarnation', async () => {
  const name = uniqueName('it-recreate');
  await newTopic(h, name);
  await send(h, name, Array.from({ length: EVENTS }, (_, i) => purchase(`p${i}`)));
  const spec = purchaseSpec(name, name, { batch: { maxRows: 30, maxDelay: '50ms' } });
  await createRunning(h, spec);
  await untilRows(h, name, EVENTS);
  await h.svc.delete(name);

  // the default: a table holding rows of an earlier pipeline is refused, with the way out named
  await h.svc.create(spec);
  const refused = await h.svc.waitFor(name, (s) => s.status === 'FAILED');
  assert.match(refused.error ?? '', new RegExp(`already holds ${EVENTS} rows.*onExistingRows: append`));
  await h.svc.delete(name);

  const append: PipelineSpecInput = { ...spec, sink: { ...spec.sink, onExistingRows: 'append' } as PipelineSpecInput['sink'] };
  let incarnations = 1;
  for (const point of ['after-journal:1', 'after-insert:1']) {
    await killWorkers(h, 'SIGTERM');
    const dying = startWorker('test-worker', { SLUICE_TASK_QUEUE: h.taskQueue, SLUICE_FAULT_POINT: point });
    h.workers.push(dying);
    await h.svc.create(append);
    await until(`the worker to die at ${point}`, () => dying.signalCode === 'SIGKILL', 60_000);
    h.startWorker();
    incarnations++;
    // the topic is read again from earliest: the new incarnation writes every event once more
    await untilRows(h, name, EVENTS * incarnations, 120_000);
    const s = await untilRead(h, name, EVENTS);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await rows(h, name), EVENTS * incarnations, `after the crash at ${point}`);
    const per = await byIncarnation(name);
    assert.equal(per.length, incarnations, `one incarnation per creation: ${JSON.stringify(per)}`);
    for (const [i, n, u] of per) assert.deepEqual([n, u], [EVENTS, EVENTS], `incarnation ${i} holds each event once`);
    assert.equal(s.sink.inserted, EVENTS, 'the new pipeline counts its own rows only');
    assert.equal(s.sink.read, s.sink.inserted + s.sink.duplicates + s.sink.dlq);
    await h.svc.delete(name);
  }
});

test("a stopped pipeline whose task queue has no worker any more is deleted by the deleting service's workers", async () => {
  const name = uniqueName('it-requeue');
  await newTopic(h, name);
  const spec = purchaseSpec(name, name);
  await createRunning(h, spec);
  await h.svc.stop(name);
  await h.svc.waitFor(name, (s) => s.status === 'STOPPED');
  await killWorkers(h, 'SIGTERM'); // nothing polls the queue it ran on now
  const otherQueue = uniqueName('sluice-test-other');
  const other = startWorker('test-worker', { SLUICE_TASK_QUEUE: otherQueue });
  h.workers.push(other);
  await waitForPollers(otherQueue);
  const svc = await PipelineService.connect(otherQueue);
  try {
    await svc.delete(name);
    await svc.create({ ...spec, sink: { ...spec.sink, onExistingRows: 'append' } as PipelineSpecInput['sink'] });
    await svc.waitFor(name, (s) => s.status === 'RUNNING');
    await svc.delete(name);
  } finally {
    await svc.close();
  }
});
