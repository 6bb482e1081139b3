// GraphiQL at /graphql in a real browser (Debian chromium driven by playwright-core), with every
// request that leaves the loopback refused: the page loads from this server alone, runs a query
// against the real API and shows the result.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createApp } from '../../api/server';
import { PipelineService } from '../../client/pipelines';
import { uniqueName } from './harness';

const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
let svc: PipelineService;
let server: Server;
let base: string;
let browser: Browser;

before(async () => {
  svc = await PipelineService.connect(uniqueName('sluice-test-graphiql'));
  server = createApp(svc, { tokens: new Map(), graphiql: true }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
  await svc?.close();
});

const loopback = (url: string) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
};

test('GraphiQL loads with no network, runs a query and shows the result', async () => {
  const context = await browser.newContext();
  const refused: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (loopback(url)) return route.continue();
    refused.push(url);
    return route.abort('internetdisconnected');
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const query = '{ pipeline(id: "graphiql-none") { id } pipelineJsonSchema }';
  await page.goto(`${base}/graphql?query=${encodeURIComponent(query)}`, { waitUntil: 'load', timeout: 120_000 });
  const run = page.locator('.graphiql-execute-button');
  await run.waitFor({ state: 'visible', timeout: 120_000 });
  // the query from the address is in the editor
  await page.waitForFunction((q) => document.querySelector('.graphiql-query-editor')?.textContent?.replace(/\s+/g, '').includes(q), query.replace(/\s+/g, ''), { timeout: 60_000 });
  await run.click();
  await page.waitForFunction(() => /"pipeline":\s*null/.test(document.querySelector('.result-window')?.textContent ?? ''), undefined, { timeout: 60_000 });
  const shown = (await page.locator('.result-window').textContent()) ?? '';
  assert.match(shown, /"data"/);
  assert.match(shown, /"pipelineJsonSchema"/);
  // the schema loaded too (its introspection query passed the limits): the docs explorer lists the API's types
  await page.locator('.graphiql-sidebar button[aria-label="Show Documentation Explorer"]').click();
  await page.waitForFunction(() => /PipelineStatus/.test(document.querySelector('.graphiql-doc-explorer')?.textContent ?? ''), undefined, { timeout: 30_000 });
  assert.deepEqual(refused, [], 'GraphiQL asked for nothing outside this server');
  assert.deepEqual(errors, []);
  await context.close();
});
