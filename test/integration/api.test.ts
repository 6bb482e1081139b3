// The GraphQL API over the real stack: a pipeline's whole life driven through HTTP only, and every error path.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import { createApp, MAX_REQUEST_BYTES } from '../../api/server';
import { closeNats } from '../../runtime/connections';
import { newTopic, openHarness, purchase, purchaseSpec, rows, send, uniqueName, type Harness } from './harness';

let h: Harness;
let server: Server;
let url: string;
const ADMIN = 'admin-token';
const READER = 'read-token';

before(async () => {
  h = await openHarness();
  server = createApp(h.svc, { tokens: new Map([[ADMIN, 'admin'], [READER, 'read']]), graphiql: false }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
after(async () => {
  server?.close();
  await closeNats();
  await h?.close();
});

interface GqlResponse { status: number; data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string; problems?: Array<{ path: string }> } }> }

async function gql(query: string, variables: Record<string, unknown> = {}, token: string | undefined = ADMIN, body?: string): Promise<GqlResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: body ?? JSON.stringify({ query, variables }) });
  return { status: res.status, ...((await res.json()) as object) };
}
const ok = (r: GqlResponse) => {
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data!;
};
const code = (r: GqlResponse) => r.errors?.[0]?.extensions?.code;
const P = 'id status error specVersion sink { read inserted duplicates dlq }';

async function until(id: string, pred: (p: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = ok(await gql(`query($id: ID!) { pipeline(id: $id) { ${P} } }`, { id })).pipeline;
    if (p && pred(p)) return p;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('GraphQL API', () => {
  test('a pipeline\'s whole life through the API: create, rows, pause, resume, update, stop, delete', async () => {
    const name = uniqueName('api-life');
    await newTopic(h, name);
    const yaml = stringify(purchaseSpec(name, name));
    const created = ok(await gql(`mutation($s: String!) { createPipeline(spec: $s) { ${P} } }`, { s: yaml })).createPipeline;
    assert.equal(created.id, name);
    assert.ok(['PROVISIONING', 'RUNNING'].includes(created.status));
    await until(name, (p) => p.status === 'RUNNING' && p.sink);

    await send(h, name, [purchase('a'), purchase('a', 'backend'), purchase('b')]);
    let p = await until(name, (x) => x.sink.read === 3);
    assert.deepEqual(p.sink, { read: 3, inserted: 2, duplicates: 1, dlq: 0 });
    assert.equal(await rows(h, name), 2);

    ok(await gql(`mutation($id: ID!) { pausePipeline(id: $id) { id } }`, { id: name }));
    await until(name, (x) => x.status === 'PAUSED');
    await send(h, name, [purchase('c')]);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await rows(h, name), 2, 'no new rows while paused');

    ok(await gql(`mutation($id: ID!) { resumePipeline(id: $id) { id } }`, { id: name }));
    p = await until(name, (x) => x.status === 'RUNNING' && x.sink.read === 4);
    assert.equal(await rows(h, name), 3);

    const next = stringify(purchaseSpec(name, name, { batch: { maxRows: 100, maxDelay: '100ms' } }));
    ok(await gql(`mutation($id: ID!, $s: String!) { updatePipeline(id: $id, spec: $s) { id } }`, { id: name, s: next }));
    p = await until(name, (x) => x.specVersion === 2 && x.status === 'RUNNING');
    const spec = JSON.parse(ok(await gql(`query($id: ID!) { pipeline(id: $id) { spec } }`, { id: name })).pipeline.spec);
    assert.equal(spec.sink.batch.maxRows, 100);

    ok(await gql(`mutation($id: ID!) { stopPipeline(id: $id) { id } }`, { id: name }));
    p = await until(name, (x) => x.status === 'STOPPED');
    assert.deepEqual(p.sink, { read: 4, inserted: 3, duplicates: 1, dlq: 0 });
    const listed = ok(await gql('{ pipelines(status: STOPPED, first: 1000) { id } }')).pipelines.map((x: { id: string }) => x.id);
    assert.ok(listed.includes(name));
  });

  test('a spec given as typed input creates the same pipeline', async () => {
    const name = uniqueName('api-typed');
    await newTopic(h, name);
    const doc = purchaseSpec(name, name) as any;
    const input = {
      ...doc,
      sources: doc.sources.map((s: any) => ({
        ...s,
        schema: { ...s.schema, fields: Object.entries(s.schema.fields).map(([n, t]) => ({ name: n, type: t })) },
        dedup: { window: s.dedup.window, time: s.dedup.time, ignore: s.dedup.key.ignore },
      })),
    };
    const created = ok(await gql(`mutation($i: PipelineSpecInput!) { createPipeline(input: $i) { id } }`, { i: input })).createPipeline;
    assert.equal(created.id, name);
    await until(name, (p) => p.status === 'RUNNING' && p.sink);
    await send(h, name, [purchase('t1'), purchase('t1', 'backend')]);
    const p = await until(name, (x) => x.sink.read === 2);
    assert.deepEqual(p.sink, { read: 2, inserted: 1, duplicates: 1, dlq: 0 });
    assert.equal(code(await gql(`mutation($i: PipelineSpecInput!, $s: String!) { createPipeline(input: $i, spec: $s) { id } }`, { i: input, s: 'x' })), 'BAD_INPUT');
    ok(await gql(`mutation($id: ID!) { deletePipeline(id: $id) }`, { id: name }));
  });

  test('DLQ: browse entries with reasons, replay one, purge the rest', async () => {
    const name = uniqueName('api-dlq');
    await newTopic(h, name);
    ok(await gql(`mutation($s: String!) { createPipeline(spec: $s) { id } }`, { s: stringify(purchaseSpec(name, name)) }));
    await until(name, (p) => p.status === 'RUNNING' && p.sink);
    await send(h, name, ['{not json', purchase('x', 'web', { amount: 'ten' }), purchase('ok')]);
    await until(name, (p) => p.sink.read === 3);
    const page = ok(await gql(`query($id: ID!) { dlq(pipelineId: $id, limit: 1) { total nextAfter items { id reason error value offset } } }`, { id: name })).dlq;
    assert.equal(page.total, 2);
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0].reason, 'malformed_json');
    assert.equal(page.items[0].value, '{not json');
    const rest = ok(await gql(`query($id: ID!, $a: ID) { dlq(pipelineId: $id, after: $a) { items { id reason } nextAfter } }`, { id: name, a: page.nextAfter })).dlq;
    assert.deepEqual(rest.items.map((i: { reason: string }) => i.reason), ['type_mismatch']);
    assert.equal(rest.nextAfter, null);

    // replay sends the value back to the topic: read once more, and (still malformed) dead-lettered again
    assert.equal(ok(await gql(`mutation($id: ID!, $ids: [ID!]!) { replayDlq(pipelineId: $id, ids: $ids) }`, { id: name, ids: [page.items[0].id] })).replayDlq, 1);
    const p = await until(name, (x) => x.sink.read === 4);
    assert.equal(p.sink.dlq, 3);
    assert.equal(p.sink.read, p.sink.inserted + p.sink.duplicates + p.sink.dlq);
    assert.equal(ok(await gql(`mutation($id: ID!) { purgeDlq(pipelineId: $id) }`, { id: name })).purgeDlq, 2);
    assert.equal(ok(await gql(`query($id: ID!) { dlq(pipelineId: $id) { total } }`, { id: name })).dlq.total, 0);
    assert.equal(code(await gql(`mutation($id: ID!) { replayDlq(pipelineId: $id, ids: ["999"]) }`, { id: name })), 'NOT_FOUND');
    ok(await gql(`mutation($id: ID!) { deletePipeline(id: $id) }`, { id: name }));
  });

  test('error paths: bad spec, unknown id, tokens, read-only role, duplicate name, oversize request, deep query', async () => {
    const bad = await gql(`mutation($s: String!) { createPipeline(spec: $s) { id } }`, { s: stringify(purchaseSpec('api-bad', 'api-bad', { dedup: { key: 'event_id', window: 'forever' } })) });
    assert.equal(code(bad), 'BAD_SPEC');
    assert.deepEqual(bad.errors![0].extensions!.problems!.map((p) => p.path), ['sources[0].dedup.window']);

    assert.equal(ok(await gql('{ pipeline(id: "no-such-pipeline") { id } }')).pipeline, null);
    assert.equal(code(await gql('mutation { pausePipeline(id: "no-such-pipeline") { id } }')), 'NOT_FOUND');

    const anonymous = await gql('{ pipelines { id } }', {}, '');
    assert.equal(anonymous.status, 401);
    assert.equal(code(anonymous), 'UNAUTHENTICATED');
    assert.equal((await gql('{ pipelines { id } }', {}, 'wrong')).status, 401);

    assert.ok(ok(await gql('{ pipelines { id } }', {}, READER)).pipelines);
    assert.equal(code(await gql('mutation { pausePipeline(id: "x") { id } }', {}, READER)), 'FORBIDDEN');

    const name = uniqueName('api-dup');
    await newTopic(h, name);
    const s = stringify(purchaseSpec(name, name));
    ok(await gql(`mutation($s: String!) { createPipeline(spec: $s) { id } }`, { s }));
    assert.equal(code(await gql(`mutation($s: String!) { createPipeline(spec: $s) { id } }`, { s })), 'ALREADY_EXISTS');
    ok(await gql(`mutation($id: ID!) { deletePipeline(id: $id) }`, { id: name }));

    // the dry run also asks Kafka and ClickHouse
    const ghost = purchaseSpec(uniqueName('api-ghost'), 'no-such-topic-anywhere');
    const v = ok(await gql('query($s: String!) { validatePipeline(spec: $s) { valid problems { path message } } }', { s: stringify(ghost) })).validatePipeline;
    assert.equal(v.valid, false);
    assert.deepEqual(v.problems.map((p: { path: string }) => p.path), ['sources[0].kafka.topic']);
    const clash = purchaseSpec(name, name);
    clash.sink.columns = [{ name: 'event_id', type: 'UUID' }]; // a type the field fits, but not the table's
    const v2 = ok(await gql('query($s: String!) { validatePipeline(spec: $s) { valid problems { path message } } }', { s: stringify(clash) })).validatePipeline;
    assert.deepEqual(v2.problems.map((p: { path: string }) => p.path), ['sink.columns']);
    assert.match(v2.problems[0].message, /event_id UUID \(table has String\)/);

    const huge = await gql('', {}, ADMIN, JSON.stringify({ query: `{ health { ok } } # ${'x'.repeat(MAX_REQUEST_BYTES)}` }));
    assert.equal(huge.status, 413);
    assert.equal(code(huge), 'REQUEST_TOO_LARGE');

    // introspection has limits of its own (getIntrospectionQuery passes: test/integration/apiEdges.test.ts)
    const deep = await gql(`{ pipelines { sink { read } ingest { source } } a: pipelines { id } __schema { types { fields { type { ${'ofType { '.repeat(20)}name${' }'.repeat(20)} } } } } }`);
    assert.equal(code(deep), 'QUERY_TOO_COMPLEX');
    const wide = await gql(`{ ${Array.from({ length: 201 }, (_, i) => `h${i}: health { ok }`).join(' ')} }`);
    assert.equal(code(wide), 'QUERY_TOO_COMPLEX');
  });

  test('the web UI is served beside the API: the page, its script and its GraphQL documents, locked to this origin', async () => {
    const base = url.replace(/\/graphql$/, '');
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/ui/');
    const page = await fetch(`${base}/ui/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<title>Sluice<\/title>[\s\S]*<script src="\/ui\/app.js">/);
    assert.equal((await fetch(`${base}/ui/app.js`)).status, 200);
    const queries = (await (await fetch(`${base}/ui/queries.json`)).json()) as Record<string, string>;
    // the page's own pipelines query, sent as the page sends it, answers
    const r = ok(await gql(queries.pipelines));
    assert.ok(Array.isArray(r.pipelines));
  });
});
