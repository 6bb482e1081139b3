// Joins end to end on the real services: purchases enriched with the latest user profile and
// their payment (left join), 50,000 events, a SIGKILL of the worker in the middle; ClickHouse
// must hold exactly the rows the documented rules give (loadtest/joinDataset.ts computes them).
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/server';
import { settings } from '../../runtime/settings';
import { kafkaSender } from '../../loadtest/kafka';
import { JOINED_ROWS_SQL, diffJoined, joinScenario, joinScenarioSpec, type ExpectedRow } from '../../loadtest/joinDataset';
import { DB, createRunning, sinkStarts, newTopic, openHarness, send, untilRows, tableOf, uniqueName, untilRead, type Harness } from './harness';

let h: Harness;
// snapshots of the join state every 5,000 inputs: the kill below comes after some, so recovery restores one and replays the journal after it
before(async () => { h = await openHarness({ SLUICE_JOIN_SNAPSHOT_MIN_INPUTS: '5000' }); });
after(async () => { await h?.close(); });

test('purchases ⋈ latest profile ⋈ payment (left): 50,000 events, SIGKILL mid-run, exactly the expected rows', async () => {
  const name = uniqueName('it-join');
  const topics = { users: `${name}-users`, purchases: `${name}-purchases`, payments: `${name}-payments` };
  const partitions = { purchases: 2, payments: 2 };
  await newTopic(h, topics.users, 1);
  await newTopic(h, topics.purchases, partitions.purchases);
  await newTopic(h, topics.payments, partitions.payments);
  const sc = joinScenario({ runId: name, topics, partitions });
  assert.ok(sc.total >= 50_000, `${sc.total} events`);
  await createRunning(h, joinScenarioSpec(name, { brokers: settings.kafkaBrokers, topics, clickhouseUrl: settings.clickhouseUrl, database: DB, table: name.replace(/-/g, '_'), batch: { maxRows: 2000, maxDelay: '100ms' } }));

  const sender = await kafkaSender(h.kafka);
  try {
    let sent = 0;
    for (const phase of sc.phases) {
      const sending = (async () => { for (let i = 0; i < phase.messages.length; i += 1000) await sender.send(phase.messages.slice(i, i + 1000)); })();
      if (phase.name === 'B') {
        // kill the only worker once a third of phase B is in ClickHouse; a new one takes over
        const seen = await untilRows(h, name, 6_000);
        const [w] = h.workers;
        w.kill('SIGKILL');
        await new Promise((r) => w.once('exit', r));
        h.startWorker();
        assert.ok(seen < sc.expected.size, `killed mid-run (${seen} rows)`);
      }
      await sending;
      sent += phase.messages.length;
      // the phase's order matters (profiles before the purchases that should see them): let the sink read all of it
      if (phase.settle) await untilRead(h, name, sent, 180_000);
    }
  } finally {
    await sender.close();
  }

  const s = await untilRead(h, name, sc.total, 180_000);
  await untilRows(h, name, sc.expected.size);
  await sleep(1000);
  const got = await (await h.ch.query({ query: JOINED_ROWS_SQL(tableOf(name)), format: 'JSONEachRow' })).json<ExpectedRow>();
  assert.equal(got.length, sc.expected.size, 'one row per distinct purchase');
  const wrong = diffJoined(got, sc.expected);
  assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} rows differ from the expected ones (missing, doubled or other values)`);
  const unpaid = [...sc.expected.values()].filter((r) => r.payment_id === null).length;
  assert.ok(unpaid > 1000 && unpaid < sc.expected.size / 5, `${unpaid} purchases without payment get nulls`);

  const c = s.sink;
  assert.equal(c.read, sc.total);
  assert.equal(c.duplicates, sc.copies);
  assert.equal(c.dlq, sc.malformed);
  assert.equal(c.matched, sc.expected.size);
  assert.equal(c.unmatched, 0);
  assert.equal(c.waiting, sc.waiting);
  assert.equal(c.side, sc.side);
  assert.equal(c.read, c.duplicates + c.dlq + c.matched + c.unmatched + c.waiting + c.side, 'every event is accounted for');
  // the restarted sink began from a snapshot of the join state (its log says which batch it covered)
  const recovered = sinkStarts(name);
  assert.ok(recovered.some((r) => r.snapshotBatch > 0), `recovered from a snapshot: ${JSON.stringify(recovered.map((r) => r.snapshotBatch))}`);
  assert.ok(recovered.length >= 2, `the sink started again after the kill (${recovered.length} starts)`);
  await h.svc.delete(name);
});

test('arrival-time left join: unmatched purchases are emitted with nulls when their window closes by the clock', async () => {
  const name = uniqueName('it-join-arr');
  const topics = { users: `${name}-users`, purchases: `${name}-purchases`, payments: `${name}-payments` };
  for (const t of Object.values(topics)) await newTopic(h, t, 1);
  const spec = joinScenarioSpec(name, { brokers: settings.kafkaBrokers, topics, clickhouseUrl: settings.clickhouseUrl, database: DB, table: name.replace(/-/g, '_') });
  spec.join!.time = 'arrival';
  spec.join!.left.window = '2s';
  spec.join!.right[1].window = '2s';
  await createRunning(h, spec);
  const ts = new Date().toISOString();
  await send(h, topics.users, [{ user_id: 'u1', country: 'DE', tier: 'gold', updated_at: ts }]);
  await untilRead(h, name, 1);
  await send(h, topics.purchases, Array.from({ length: 100 }, (_, i) => ({ event_id: `p${i}`, user_id: 'u1', amount: i, ts })));
  await send(h, topics.payments, Array.from({ length: 50 }, (_, i) => ({ payment_id: `x${i}`, event_id: `p${i * 2}`, amount: i * 2, status: 'ok', ts })));
  const started = Date.now();
  const paid = await untilRows(h, name, 50, 30_000);
  assert.ok(paid >= 50);
  assert.equal(await untilRows(h, name, 100, 30_000), 100);
  const waited = Date.now() - started;
  assert.equal(await h.ch.query({ query: `SELECT count() AS n FROM ${tableOf(name)} WHERE payment_id IS NULL AND event_id IN (${Array.from({ length: 50 }, (_, i) => `'p${i * 2 + 1}'`).join(',')})`, format: 'JSONEachRow' }).then((r) => r.json<{ n: string }>()).then(([r]) => Number(r.n)), 50);
  assert.ok(waited >= 1000, `the null rows waited for the window (${waited} ms)`);
  const s = await h.svc.waitFor(name, (x) => x.sink.matched === 100, 30_000);
  assert.equal(s.sink.waiting, 0);
  // the same counters over the GraphQL API
  const server = createApp(h.svc, { tokens: new Map(), graphiql: false }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const gql = async (query: string, variables: object) =>
      (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })).json()) as { data: any };
    const { data } = await gql('query($id: ID!) { pipeline(id: $id) { sink { read inserted join { matched unmatched waiting side held rejectedRows } } } }', { id: name });
    assert.deepEqual(data.pipeline.sink, { read: 151, inserted: 100, join: { matched: 100, unmatched: 0, waiting: 0, side: 51, held: data.pipeline.sink.join.held, rejectedRows: 0 } });
    const bad = { ...spec, join: { ...spec.join!, output: [...spec.join!.output, 'users.email'] } };
    const v = await gql('query($s: String!) { validatePipeline(spec: $s, checkConnections: false) { valid problems { path message } } }', { s: JSON.stringify(bad) });
    assert.deepEqual(v.data.validatePipeline, { valid: false, problems: [{ path: 'join.output[9]', message: 'unknown field "email" of source "users"' }] });
  } finally {
    server.close();
  }
  // the join of a running pipeline cannot change: its buffered state is shaped by it
  const changed = { ...spec, join: { ...spec.join!, left: { ...spec.join!.left, window: '5s' } } };
  await assert.rejects(h.svc.update(name, changed), (e: { code?: string; problems?: Array<{ path: string }> }) => e.code === 'BAD_SPEC' && e.problems?.[0]?.path === 'join');
  await h.svc.delete(name);
});
