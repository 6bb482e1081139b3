// The pipelines list against the real Temporal: many pipelines whose task queue has no worker
// (each used to cost a 5 s query timeout in the list) next to a running and a paused one; the list
// answers from visibility at once, pages and filters by name and status, and says what the detail says.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/server';
import { closeNats } from '../../runtime/connections';
import { createRunning, newTopic, openHarness, purchase, purchaseSpec, send, uniqueName, until, untilRead, type Harness } from './harness';
import { startWorkerless, type Workerless } from '../../loadtest/workerlessPipelines';

const N = 30;
let h: Harness;
let server: Server;
let url: string;
let idle: Workerless;
const prefix = uniqueName('ls');

before(async () => {
  h = await openHarness();
  server = createApp(h.svc, { tokens: new Map(), graphiql: false }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  idle = await startWorkerless(`${prefix}-idle`, N);
});
after(async () => {
  await idle?.remove();
  await idle?.close();
  for (const n of [`${prefix}-run`, `${prefix}-paused`]) await h.svc.delete(n).catch(() => undefined);
  server?.closeAllConnections();
  server?.close();
  await closeNats();
  await h?.close();
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data!;
}
const LIST = 'query($status: PipelineStatus, $first: Int, $after: ID, $search: String) { pipelines(status: $status, first: $first, after: $after, search: $search) { id status error sink { read inserted } } }';
const DETAIL = 'query($id: ID!) { pipeline(id: $id) { id status sink { read inserted } } }';

test('the list pages and filters many pipelines without asking any worker, and agrees with the detail', async () => {
  const run = `${prefix}-run`;
  const paused = `${prefix}-paused`;
  for (const n of [run, paused]) {
    await newTopic(h, n);
    await createRunning(h, purchaseSpec(n, n));
  }
  await h.svc.pause(paused);
  await send(h, run, [purchase('a'), purchase('a', 'backend'), purchase('b')]);
  await untilRead(h, run, 3);

  // every page of 10, by name: 30 worker-less pipelines, then the paused one and the running one
  const seen: Array<{ id: string; status: string }> = [];
  let afterId: string | null = null;
  const started = Date.now();
  for (;;) {
    const page: Array<{ id: string; status: string }> = (await gql(LIST, { search: prefix, first: 10, after: afterId })).pipelines;
    seen.push(...page);
    if (page.length < 10) break;
    afterId = page[page.length - 1].id;
  }
  const ms = Date.now() - started;
  assert.deepEqual(seen.map((p) => p.id), [...idle.names, paused, run]);
  assert.ok(seen.slice(0, N).every((p) => p.status === 'NO_WORKER'), 'pipelines nobody runs are NO_WORKER');
  assert.deepEqual(seen.slice(N).map((p) => p.status), ['PAUSED', 'RUNNING']);
  // each of the 30 used to wait 5 s for its query: four pages now take well under one such timeout
  assert.ok(ms < 5000, `four pages of the list took ${ms} ms`);
  console.log(`# ${seen.length} pipelines listed in 4 pages in ${ms} ms`);

  // filters: by status, and by part of the name
  assert.deepEqual((await gql(LIST, { search: prefix, status: 'NO_WORKER', first: 100 })).pipelines.length, N);
  assert.deepEqual((await gql(LIST, { search: prefix, status: 'RUNNING' })).pipelines.map((p: { id: string }) => p.id), [run]);
  assert.deepEqual((await gql(LIST, { search: `${prefix}-idle-001` })).pipelines.map((p: { id: string }) => p.id), idle.names.slice(10, 20));

  // list and detail agree: the status for every one, and the running pipeline's counters once its memo caught up (at most 10 s)
  for (const id of [idle.names[0], idle.names[N - 1], paused, run]) {
    const listed = (await gql(LIST, { search: id })).pipelines[0];
    const detail = (await gql(DETAIL, { id })).pipeline;
    assert.equal(listed.status, detail.status, id);
  }
  const listedRun = await until('the list shows the counters', async () => {
    const p = (await gql(LIST, { search: run })).pipelines[0];
    return p.sink?.read === 3 ? p : undefined;
  }, 30_000);
  assert.deepEqual(listedRun.sink, (await gql(DETAIL, { id: run })).pipeline.sink);
});
