// Times the pipelines list with many pipelines: `node dist/loadtest/listBench.js [count]` (default 500)
// starts that many pipelines on a task queue no worker polls (loadtest/workerlessPipelines.ts: nothing
// is provisioned), then times one page of the list through the GraphQL API (first page, a name
// filter, a status filter, a later page) and the web UI's first paint of the list in Chromium, and
// removes the pipelines again, all in a Temporal namespace of its own (sluice-listbench). Light: no
// stage runs, so it may run on the shared stack.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchNamespace, startWorkerless } from './workerlessPipelines';
import { repoRoot } from './localWorker';

const count = Number(process.argv[2] ?? 500);
const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const PAGE = 'query($status: PipelineStatus, $first: Int, $after: ID, $search: String) { pipelines(status: $status, first: $first, after: $after, search: $search) { id status sink { read inserted duplicates dlq } } }';

async function main() {
  const prefix = `listbench-${Date.now().toString(36)}`;
  let t = Date.now();
  const namespace = await benchNamespace('sluice-listbench');
  const idle = await startWorkerless(prefix, count, 20, namespace);
  console.log(`started ${count} pipelines in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // the API as `npm run api` runs it, on a port of its own
  const port = 4100 + Math.floor(Math.random() * 800);
  const api = spawn(process.execPath, [join(repoRoot, 'dist', 'api', 'main.js')], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SLUICE_TEMPORAL_NAMESPACE: namespace, SLUICE_API_PORT: String(port), SLUICE_API_TOKENS: '', NODE_ENV: 'production' },
  });
  await new Promise<void>((resolve, reject) => {
    api.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('GraphQL on')) resolve(); });
    api.once('exit', (code) => reject(new Error(`the API exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const gql = async (variables: Record<string, unknown>) => {
    const start = Date.now();
    const body = await (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: PAGE, variables }) })).json() as { data?: { pipelines: unknown[] }; errors?: unknown };
    if (!body.data) throw new Error(JSON.stringify(body.errors));
    return { ms: Date.now() - start, rows: body.data.pipelines.length };
  };
  try {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['first page (21 rows)', { first: 21 }],
      ['same page again', { first: 21 }],
      ['name filter (this run, 21 rows)', { first: 21, search: prefix }],
      ['status filter NO_WORKER', { first: 21, status: 'NO_WORKER' }],
      ['page 10 of this run', { first: 21, search: prefix, after: idle.names[Math.min(count - 1, 9 * 20 - 1)] }],
    ];
    for (const [what, v] of cases) {
      const times: number[] = [];
      let rows = 0;
      for (let i = 0; i < 5; i++) ({ ms: times[i], rows } = await gql(v));
      times.sort((a, b) => a - b);
      console.log(`${what.padEnd(34)} ${rows} rows  median ${times[2]} ms  (min ${times[0]}, max ${times[4]})`);
    }
    if (existsSync(CHROMIUM)) {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      t = Date.now();
      await page.goto(`${url}/ui/`);
      await page.locator('#pipelines tbody tr').first().waitFor();
      console.log(`UI page load to the first list rows: ${Date.now() - t} ms`);
      await browser.close();
    }
  } finally {
    api.kill('SIGTERM');
    t = Date.now();
    await idle.remove();
    console.log(`removed them in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    await idle.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
