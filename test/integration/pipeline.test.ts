// Dedup pipelines end to end on the real stack: Kafka -> ingest -> JetStream -> dedup+sink -> ClickHouse,
// owned by the pipeline workflow on a real worker process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { streamsOf } from '../../core/names';
import { specFrom } from '../../client/pipelines';
import type { SluiceError } from '../../client/errors';
import { scalar } from '../../loadtest/clickhouse';
import {
  createRunning, newTopic, openHarness, purchase, purchaseSpec, rows, send, tableOf, uniqueName, untilRead,
  type Harness,
} from './harness';

let h: Harness;
before(async () => { h = await openHarness(); });
after(async () => { await h?.close(); });

const reconcile = (c: Record<string, number>) => assert.equal(c.read, c.inserted + c.duplicates + c.dlq, JSON.stringify(c));

async function dlqReasons(name: string): Promise<string[]> {
  const js = h.nc.jetstream();
  const c = await js.consumers.get(streamsOf(name).dlq);
  const out: string[] = [];
  for (;;) {
    const m = await c.next({ expires: 1000 });
    if (!m) return out.sort();
    out.push((m.json() as { reason: string }).reason);
  }
}

describe('dedup pipeline', () => {
  test('purchase tracked twice (ignore _event_source_) gives one row; bad events go to the DLQ with reasons', async () => {
    const name = uniqueName('it-ignore');
    await newTopic(h, name, 2);
    const spec = purchaseSpec(name, name);
    await createRunning(h, spec);
    const events: Array<string | Record<string, unknown>> = [];
    for (let i = 0; i < 200; i++) {
      events.push(purchase(`p${i}`, 'frontend-web'));
      if (i % 2 === 0) events.push(purchase(`p${i}`, 'backend-payments'));
    }
    events.push('{"event_id": "broken"', purchase('no-amount', 'x', { amount: 'ten' }), { user_id: 'u', amount: 1, ts: '2026-11-29T12:00:00Z', _event_source_: 'x' });
    await send(h, name, events);
    const s = await untilRead(h, name, events.length);
    assert.equal(await rows(h, name), 200);
    assert.equal(await scalar(h.ch, `SELECT uniqExact(event_id) FROM ${tableOf(name)}`), 200);
    assert.deepEqual({ read: s.sink.read, duplicates: s.sink.duplicates, dlq: s.sink.dlq, inserted: s.sink.inserted }, { read: 303, duplicates: 100, dlq: 3, inserted: 200 });
    reconcile(s.sink);
    assert.deepEqual(await dlqReasons(name), ['malformed_json', 'missing_field', 'type_mismatch']);
    await h.svc.delete(name);
  });

  test('composite key: events equal in every key field are duplicates, whatever else differs', async () => {
    const name = uniqueName('it-composite');
    await newTopic(h, name);
    await createRunning(h, purchaseSpec(name, name, { dedup: { key: ['user_id', 'event_id'], window: '1h' } }));
    await send(h, name, [
      purchase('a', 'web', { user_id: 'u1', amount: 1 }),
      purchase('a', 'app', { user_id: 'u1', amount: 2 }), // same key -> duplicate
      purchase('a', 'web', { user_id: 'u2' }),            // other user -> new
      purchase('b', 'web', { user_id: 'u1' }),            // other event -> new
    ]);
    const s = await untilRead(h, name, 4);
    assert.equal(await rows(h, name), 3);
    assert.equal(s.sink.duplicates, 1);
    await h.svc.delete(name);
  });

  test('arrival-time window: a repeat inside the window is dropped, after it the key passes again', async () => {
    const name = uniqueName('it-window');
    await newTopic(h, name);
    await createRunning(h, purchaseSpec(name, name, { dedup: { key: 'event_id', window: '2s', time: 'arrival' } }));
    await send(h, name, [purchase('k'), purchase('k')]);
    await untilRead(h, name, 2);
    await new Promise((r) => setTimeout(r, 2500));
    await send(h, name, [purchase('k')]);
    const s = await untilRead(h, name, 3);
    assert.equal(await rows(h, name), 2);
    assert.equal(s.sink.duplicates, 1);
    await h.svc.delete(name);
  });

  test('event-time window: measured between the events\' own timestamps', async () => {
    const name = uniqueName('it-evtime');
    await newTopic(h, name);
    await createRunning(h, purchaseSpec(name, name, { dedup: { key: 'event_id', window: '1m', time: 'event' } }));
    await send(h, name, [
      purchase('k', 'a', { ts: '2026-11-29T12:00:00Z' }),
      purchase('k', 'b', { ts: '2026-11-29T12:00:59Z' }), // 59 s later: duplicate
      purchase('k', 'c', { ts: '2026-11-29T12:01:00Z' }), // 60 s later: passes, opens a new window
      purchase('k', 'd', { ts: '2026-11-29T12:01:30Z' }), // inside the new window: duplicate
    ]);
    const s = await untilRead(h, name, 4);
    assert.equal(await rows(h, name), 2);
    assert.equal(s.sink.duplicates, 2);
    await h.svc.delete(name);
  });

  test('pause holds events back, resume delivers them; update applies a new spec version', async () => {
    const name = uniqueName('it-lifecycle');
    await newTopic(h, name);
    const spec = purchaseSpec(name, name);
    await createRunning(h, spec);
    await h.svc.pause(name);
    await h.svc.waitFor(name, (s) => s.status === 'PAUSED');
    await send(h, name, [purchase('x1'), purchase('x2')]);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(await rows(h, name), 0, 'nothing is written while paused');
    await h.svc.resume(name);
    await untilRead(h, name, 2);
    assert.equal(await rows(h, name), 2);

    // a new dedup key would leave the held keys meaning nothing: refused, naming the field
    const newKey = purchaseSpec(name, name, { dedup: { key: 'event_id', window: '1h', time: 'arrival' } });
    await assert.rejects(h.svc.update(name, newKey), (e: SluiceError) =>
      e.code === 'BAD_SPEC' && (e.problems ?? []).some((p) => p.path === 'sources[0].dedup.key') && /cannot change its dedup key/.test(e.message));
    const next = purchaseSpec(name, name, { batch: { maxRows: 100, maxDelay: '100ms' } });
    await h.svc.update(name, next);
    const s = await h.svc.waitFor(name, (st) => st.specVersion === 2 && st.status === 'RUNNING');
    assert.equal(s.specVersion, 2);
    assert.equal((await h.svc.spec(name)).sink.batch.maxRows, 100);
    await send(h, name, [purchase('x3'), purchase('x1', 'backend')]);
    const after = await untilRead(h, name, 4);
    assert.equal(await rows(h, name), 3, 'dedup state survived the update');
    assert.equal(after.sink.duplicates, 1);
    await h.svc.delete(name);
  });

  test('stop drains what was read, then delete removes the streams but keeps the table', async () => {
    const name = uniqueName('it-stop');
    await newTopic(h, name);
    await createRunning(h, purchaseSpec(name, name, { batch: { maxRows: 50_000, maxDelay: '10s' } }));
    await send(h, name, Array.from({ length: 500 }, (_, i) => purchase(`s${i}`)));
    // ingest has read them (and published them to JetStream); the sink's batch (10 s) is still open
    await h.svc.waitFor(name, (st) => (st.ingest.purchases?.read ?? 0) >= 500, 60_000);
    await h.svc.stop(name);
    const s = await h.svc.waitFor(name, (st) => st.status === 'STOPPED', 60_000);
    assert.equal(s.sink.read, 500);
    assert.equal(await rows(h, name), 500);
    await h.svc.delete(name, specFrom(purchaseSpec(name, name)));
    const jsm = await h.nc.jetstreamManager();
    await assert.rejects(jsm.streams.info(streamsOf(name).raw), /stream not found/);
    assert.equal(await rows(h, name), 500, 'the ClickHouse table is the user\'s: kept');
  });

  test('bad specs are refused with the path of each problem', async () => {
    const spec = purchaseSpec('it-bad', 'it-bad', { dedup: { key: 'nope', window: 'forever' } });
    await assert.rejects(h.svc.create(spec), (e: Error & { problems?: Array<{ path: string }> }) => {
      assert.deepEqual(e.problems?.map((p) => p.path), ['sources[0].dedup.window']);
      return true;
    });
  });
});
