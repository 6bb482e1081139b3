// The API at its edges, over HTTP against the real services: standard tools' introspection, a
// secret the API process lacks, an unknown pipeline, and a port that is already taken.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { stringify } from 'yaml';
import { createApp } from '../../api/server';
import { PipelineService } from '../../client/pipelines';
import { purchaseSpec, uniqueName } from './harness';

let svc: PipelineService;
let server: HttpServer;
let url: string;

before(async () => {
  // no worker: nothing here runs a pipeline
  svc = await PipelineService.connect(uniqueName('sluice-test-edges'));
  server = createApp(svc, { tokens: new Map(), graphiql: false }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
after(async () => {
  server?.close();
  await svc?.close();
});

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as never;
}

describe('the API at its edges', () => {
  test("graphql-js's getIntrospectionQuery() is answered (Apollo, codegen, Postman load the schema)", async () => {
    const r = await gql(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, oneOf: true }));
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.ok(r.data.__schema.types.some((t: { name: string }) => t.name === 'Pipeline'));
    assert.equal((await gql('{ pipeline(id: "edges-none") { id sink { join { held } } stages { type } } }')).errors, undefined, 'ordinary queries pass');
  });

  test('validatePipeline with an { env } secret the API process lacks: a problem with its path, saying where the secret is resolved', async () => {
    const env = 'SLUICE_TEST_SECRET_THAT_IS_NOT_SET';
    assert.equal(process.env[env], undefined);
    const spec: any = purchaseSpec('edges-secret', 'edges-secret');
    spec.sources[0].kafka.sasl = { mechanism: 'plain', username: 'u', password: { env } };
    spec.sink.clickhouse.password = { env };
    const r = await gql('query($s: String!) { validatePipeline(spec: $s) { valid problems { path message } } }', { s: stringify(spec) });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data.validatePipeline.valid, false);
    const problems = r.data.validatePipeline.problems as Array<{ path: string; message: string }>;
    assert.deepEqual(problems.map((p) => p.path).sort(), ['sink.clickhouse.password', 'sources[0].kafka.sasl.password']);
    for (const p of problems) assert.match(p.message, new RegExp(`^environment variable ${env} is not set in the API process, so this connection was not checked; the secret is resolved where the worker runs`));
  });

  test('deleting an unknown id says there is no such pipeline', async () => {
    const r = await gql('mutation($id: ID!) { deletePipeline(id: $id) }', { id: uniqueName('never-created') });
    assert.equal(r.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.match(r.errors![0].message, /^no pipeline named "never-created-[0-9a-f]+"$/);
  });

  test('the API on a port already taken fails with a clear message and a non-zero exit', async () => {
    const taken: Server = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const api = spawn(process.execPath, [join(__dirname, '..', '..', 'api', 'main.js')], {
        env: { ...process.env, SLUICE_API_PORT: String(port), SLUICE_API_HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      api.stdout.on('data', (d) => { out += d; });
      api.stderr.on('data', (d) => { out += d; });
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => { api.kill('SIGKILL'); resolve(null); }, 30_000);
        api.once('exit', (c) => { clearTimeout(timer); resolve(c); });
      });
      assert.notEqual(code, null, `the API kept running on a taken port:\n${out}`);
      assert.notEqual(code, 0, out);
      assert.match(out, new RegExp(`\\[api\\] fatal: 127\\.0\\.0\\.1:${port} is already in use`));
      assert.doesNotMatch(out, /GraphQL on http/, 'it does not claim to serve');
    } finally {
      taken.close();
    }
  });
});
