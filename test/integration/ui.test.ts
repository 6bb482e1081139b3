// The web UI against the real API and stack: the page and its script as the server serves them,
// run in a DOM (linkedom stands in for the browser, nothing stands in for the API): it lists the
// pipeline with its counters, shows its detail, pauses it, and shows a bad spec's problems by path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { createApp } from '../../api/server';
import { closeNats } from '../../runtime/connections';
import { createRunning, newTopic, openHarness, purchase, purchaseSpec, send, uniqueName, until, untilRead, type Harness } from './harness';

let h: Harness;
let server: Server;
let base: string;
const TOKEN = 'ui-admin';

before(async () => {
  h = await openHarness();
  server = createApp(h.svc, { tokens: new Map([[TOKEN, 'admin']]), graphiql: false }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server?.closeAllConnections();
  server?.close();
  await closeNats();
  await h?.close();
});

test('the web UI lists a pipeline with its counters, shows its detail, pauses it, and lists a bad spec\'s problems by path', async () => {
  const name = uniqueName('ui');
  await newTopic(h, name);
  await createRunning(h, purchaseSpec(name, name));
  await send(h, name, [purchase('a'), purchase('a', 'backend'), purchase('b')]);
  await untilRead(h, name, 3);

  const html = await (await fetch(`${base}/ui/`)).text();
  // the page's scripts in its order: the GraphQL helper, then the pipelines page
  const script = (await Promise.all(['gql.js', 'app.js'].map(async (f) => (await fetch(`${base}/ui/${f}`)).text()))).join('\n');
  const { parseHTML } = await import('linkedom'); // an ES module
  const { window, document } = parseHTML(html);
  const store = new Map<string, string>([['sluice-token', TOKEN]]);
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<Response>>(); // the page's requests: the test ends only after they are answered
  runInNewContext(script, {
    window, document, console,
    localStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v) },
    fetch: (path: string, init?: RequestInit) => {
      const r = fetch(new URL(path, base), init);
      inFlight.add(r);
      void r.finally(() => inFlight.delete(r)).catch(() => undefined);
      return r;
    },
    confirm: () => true,
    setInterval: (fn: () => void, ms: number) => { const t = setInterval(fn, ms); timers.push(t); return t; },
  });
  try {
    const cells = () => [...document.querySelectorAll('#pipelines tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    // the stack holds everyone's pipelines, 20 a page: find ours by name, as a user would
    (document.querySelector('#filter-name') as unknown as { value: string }).value = name;
    document.querySelector('#filter-name')!.dispatchEvent(new window.Event('input'));
    // a refresh begun before the filter was typed may still land first: wait until the filtered one is shown
    const mine = await until('only our pipeline in the table, with its counters', () => {
      const rows = cells();
      return rows.length === 1 && rows[0][0] === name && rows[0][2] === '3' ? rows[0] : undefined;
    });
    assert.deepEqual(cells().map((c) => c[0]), [name], 'only the pipelines whose name matches');
    assert.deepEqual(mine.slice(0, 6), [name, 'RUNNING', '3', '2', '1', '0']);

    const tr = [...document.querySelectorAll('#pipelines tbody tr')].find((r) => r.querySelector('td')?.textContent === name)!;
    tr.dispatchEvent(new window.Event('click'));
    await until('the detail panel', () => document.querySelector('#detail-name')?.textContent === name || undefined);
    const counters = () => Object.fromEntries([...document.querySelectorAll('#counters dt')].map((dt) => [dt.textContent, dt.nextElementSibling?.textContent]));
    await until('the counters', () => counters().read === '3' || undefined);
    assert.equal(counters().duplicates, '1');
    assert.ok(document.querySelectorAll('#stages tbody tr').length >= 2, 'ingest and sink stages listed');

    document.querySelector('[data-action="pause"]')!.dispatchEvent(new window.Event('click'));
    await h.svc.waitFor(name, (s) => s.status === 'PAUSED', 30_000);

    (document.querySelector('#spec') as unknown as { value: string }).value = 'version: 1\nname: ui-bad\nsources: []\nsink: {}';
    document.querySelector('#validate')!.dispatchEvent(new window.Event('click'));
    const problems = await until('the problems', () => {
      const items = [...document.querySelectorAll('#problems li')].map((li) => li.textContent);
      return items.length ? items : undefined;
    });
    assert.ok(problems.some((p) => p?.startsWith('sources: ')), problems.join('\n'));
    assert.ok(problems.some((p) => p?.startsWith('sink.clickhouse: ')), problems.join('\n'));
    assert.equal(document.querySelector('#error')?.hasAttribute('hidden'), true, 'no error shown');
  } finally {
    for (const t of timers) clearInterval(t);
    await Promise.allSettled([...inFlight]);
    await h.svc.delete(name);
  }
});
