// Lifecycle truth on the real stack: what the status says is what happens. Provisioning errors
// end as FAILED or keep retrying with the error shown; delete works on every listed pipeline;
// a failing source and its lag are visible; pause/stop answer with the status they caused;
// counters survive stage restarts; a worker told to stop exits within its grace time; with no
// worker, the status says so and keeps the last figures.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/server';
import { PipelineService } from '../../client/pipelines';
import { closeNats } from '../../runtime/connections';
import { streamsOf, workflowIdOf } from '../../core/names';
import { settings } from '../../runtime/settings';
import { dataConverter } from '../../runtime/payloadCodec';
import type { PipelineSpecInput } from '../../core/spec/schema';
import type { PipelineState } from '../../workflows/signals';
import { shutdownGraceMs } from '../../worker/shutdown';
import { createRunning, newTopic, openHarness, purchase, purchaseSpec, send, uniqueName, type Harness } from './harness';

let h: Harness;
let server: Server;
let url: string;
let temporal: Client;
// a short grace time, so the test of it is short too
const WORKER_ENV = { SLUICE_WORKER_SHUTDOWN_GRACE: '8s' };

before(async () => {
  h = await openHarness(WORKER_ENV);
  server = createApp(h.svc, { tokens: new Map(), graphiql: false }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  temporal = new Client({ connection: await Connection.connect({ address: settings.temporalAddress }), namespace: settings.temporalNamespace, dataConverter: dataConverter() });
});
after(async () => {
  server?.closeAllConnections();
  server?.close();
  await temporal?.connection.close();
  await closeNats();
  await h?.close();
});

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data!;
}

const status = (s: PipelineState) => s.status as string;
const listed = async () => (await h.svc.list()).map((p) => p.name);
const streamExists = async (name: string) => (await h.nc.jetstreamManager()).streams.info(streamsOf(name).raw).then(() => true, () => false);

describe('lifecycle', () => {
  test('a deterministic provisioning error ends as FAILED with ClickHouse\'s message; a transient one keeps retrying with the error shown', async () => {
    // the spec validator refuses bad DDL itself now (a syntax error, a nullable sorting key: test/unit/identifiers.test.ts);
    // what it cannot know is the server's setup: a replicated table on a server without Keeper/ZooKeeper
    const replicated = uniqueName('lc-replicated');
    const spec = purchaseSpec(replicated, replicated);
    spec.sink.createTable = { engine: `ReplicatedMergeTree('/clickhouse/tables/${replicated}', 'r1')`, orderBy: ['event_id'] };
    await h.svc.create(spec);
    let s = await h.svc.waitFor(replicated, (x) => x.status === 'FAILED', 60_000);
    assert.match(s.error ?? '', /ZooKeeper|Keeper/i, String(s.error));

    const down = uniqueName('lc-chdown');
    const dspec = purchaseSpec(down, down);
    dspec.sink.clickhouse.url = 'http://127.0.0.1:1'; // nothing listens: connection refused, as when the server is down
    await h.svc.create(dspec);
    s = await h.svc.waitFor(down, (x) => x.status === 'PROVISIONING' && !!x.error, 30_000);
    assert.match(s.error ?? '', /ECONNREFUSED|connect/i, String(s.error));
    await new Promise((r) => setTimeout(r, 8000));
    s = await h.svc.status(down);
    assert.equal(s.status, 'PROVISIONING', 'a transient error is retried, not failed');
    assert.match(s.error ?? '', /ECONNREFUSED|connect/i);
    for (const n of [replicated, down]) await h.svc.delete(n);
  });

  test('delete works on a stopped and on a terminated pipeline (no spec given), and the list no longer shows them', async () => {
    const stopped = uniqueName('lc-stopped');
    const terminated = uniqueName('lc-term');
    for (const n of [stopped, terminated]) {
      await newTopic(h, n);
      await createRunning(h, purchaseSpec(n, n));
    }
    await h.svc.stop(stopped);
    await h.svc.waitFor(stopped, (x) => x.status === 'STOPPED');
    await temporal.workflow.getHandle(workflowIdOf(terminated)).terminate('test: an operator terminated it');
    await h.svc.waitFor(terminated, (x) => x.status === 'FAILED');
    const before = await listed();
    assert.ok(before.includes(stopped) && before.includes(terminated), 'both are listed');

    for (const n of [stopped, terminated]) {
      await h.svc.delete(n);
      assert.equal(await streamExists(n), false, `${n}: its streams are removed`);
    }
    const now = await listed();
    assert.ok(!now.includes(stopped) && !now.includes(terminated), 'deleted pipelines are not listed');
    await assert.rejects(h.svc.status(stopped), (e: { code?: string }) => e.code === 'NOT_FOUND');
    const gone = await gql('query($id: ID!) { pipeline(id: $id) { id } }', { id: terminated });
    assert.equal(gone.pipeline, null);
  });

  test('a source Kafka refuses is shown as failing with the reason; lag counts what waits while paused', async () => {
    const bad = uniqueName('lc-sasl');
    await newTopic(h, bad);
    const spec: PipelineSpecInput = purchaseSpec(bad, bad);
    spec.sources[0].kafka.sasl = { mechanism: 'scram-sha-512', username: 'app', password: 'wrong' };
    await h.svc.create(spec);
    const s = await h.svc.waitFor(bad, (x) => x.status === 'RUNNING' && !!x.error, 60_000);
    assert.match(s.error ?? '', /purchases/, String(s.error));
    assert.match(s.error ?? '', /SASL/i, String(s.error));
    const p = (await gql('query($id: ID!) { pipeline(id: $id) { status error ingest { source error } } }', { id: bad })).pipeline;
    assert.equal(p.ingest[0].source, 'purchases');
    assert.match(p.ingest[0].error ?? '', /SASL/i);
    await h.svc.delete(bad);

    const paused = uniqueName('lc-lag');
    await newTopic(h, paused);
    await createRunning(h, purchaseSpec(paused, paused));
    await h.svc.pause(paused);
    await h.svc.waitFor(paused, (x) => x.status === 'PAUSED');
    await send(h, paused, Array.from({ length: 5000 }, (_, i) => purchase(`l${i}`)));
    const lagged = await h.svc.waitFor(paused, (x) => x.ingest.purchases?.lag === 5000, 20_000).catch(async () => h.svc.status(paused));
    assert.equal(lagged.ingest.purchases?.lag, 5000, JSON.stringify(lagged.ingest));
    const viaApi = (await gql('query($id: ID!) { pipeline(id: $id) { ingest { source lag } } }', { id: paused })).pipeline;
    assert.equal(viaApi.ingest[0].lag, 5000);
    await h.svc.resume(paused);
    await h.svc.waitFor(paused, (x) => x.sink.read === 5000 && x.ingest.purchases?.lag === 0, 60_000);
    await h.svc.delete(paused);
  });

  test('pausePipeline and stopPipeline answer with the status they caused (or PAUSING/STOPPING)', async () => {
    const name = uniqueName('lc-answer');
    await newTopic(h, name);
    await createRunning(h, purchaseSpec(name, name));
    const paused = (await gql('mutation($id: ID!) { pausePipeline(id: $id) { status } }', { id: name })).pausePipeline;
    assert.ok(['PAUSING', 'PAUSED'].includes(paused.status), paused.status);
    assert.notEqual(status(await h.svc.status(name)), 'RUNNING');
    const resumed = (await gql('mutation($id: ID!) { resumePipeline(id: $id) { status } }', { id: name })).resumePipeline;
    assert.ok(['PROVISIONING', 'RUNNING'].includes(resumed.status), resumed.status);
    await h.svc.waitFor(name, (x) => x.status === 'RUNNING');
    const stopped = (await gql('mutation($id: ID!) { stopPipeline(id: $id) { status } }', { id: name })).stopPipeline;
    assert.ok(['STOPPING', 'STOPPED'].includes(stopped.status), stopped.status);
    await h.svc.delete(name);
  });

  test('ingest counters survive stage restarts', async () => {
    const name = uniqueName('lc-counters');
    await newTopic(h, name);
    await createRunning(h, purchaseSpec(name, name));
    await send(h, name, Array.from({ length: 100 }, (_, i) => purchase(`c${i}`)));
    await h.svc.waitFor(name, (x) => x.ingest.purchases?.read === 100 && x.sink.read === 100);
    await h.svc.pause(name);
    await h.svc.waitFor(name, (x) => x.status === 'PAUSED');
    await h.svc.resume(name);
    await h.svc.waitFor(name, (x) => x.status === 'RUNNING');
    await send(h, name, Array.from({ length: 50 }, (_, i) => purchase(`d${i}`)));
    const s = await h.svc.waitFor(name, (x) => x.sink.read === 150 && (x.ingest.purchases?.read ?? 0) >= 50, 60_000);
    await h.svc.waitFor(name, (x) => x.ingest.purchases?.read === 150, 10_000).catch(() => undefined);
    assert.equal((await h.svc.status(name)).ingest.purchases?.read, 150, JSON.stringify(s.ingest));
    await h.svc.delete(name);
  });

  test('a worker told to stop (SIGTERM) exits within its grace time; then the status says NO_WORKER and keeps the last figures', async (t) => {
    const name = uniqueName('lc-sigterm');
    await newTopic(h, name);
    await createRunning(h, purchaseSpec(name, name));
    await send(h, name, Array.from({ length: 200 }, (_, i) => purchase(`t${i}`)));
    const running = await h.svc.waitFor(name, (x) => x.sink.read === 200 && x.ingest.purchases?.read === 200);
    const [worker] = h.workers;
    const t0 = Date.now();
    const exited = new Promise<number>((r) => worker.once('exit', () => r(Date.now() - t0)));
    worker.kill('SIGTERM');
    const graceMs = shutdownGraceMs(WORKER_ENV);
    const took = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(Infinity), graceMs + 30_000))]);
    t.diagnostic(`the worker exited ${took} ms after SIGTERM (grace ${graceMs} ms)`);
    assert.ok(took <= graceMs + 3000, `the worker exited after ${took} ms (grace ${graceMs} ms)`);

    // no worker polls the task queue now
    for (const svc of [h.svc, new PipelineService(temporal, h.taskQueue)]) {
      const s = await svc.status(name);
      assert.equal(status(s), 'NO_WORKER', JSON.stringify(s));
      assert.equal(s.specVersion, running.specVersion);
      assert.match(s.error ?? '', /no worker/i);
    }
    const cached = await h.svc.status(name);
    assert.equal(cached.sink.read, 200, 'the last known figures are kept');
    assert.equal(cached.ingest.purchases?.read, 200);

    h.startWorker();
    await h.svc.waitFor(name, (x) => x.status === 'RUNNING', 60_000);
    await h.svc.delete(name);
  });
});
