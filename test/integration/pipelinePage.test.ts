// The pipeline page in a real browser (Debian chromium, playwright-core) against the real API,
// worker and services: the live charts over the last 15 minutes drawn from the workflow's samples,
// and the DLQ browser: filter by reason, replay (each replayed entry ends once more as exactly one
// row, duplicate or DLQ entry; two replays of one entry at once send it once), purge after a confirmation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeNats } from '../../runtime/connections';
import type { PipelineSpecInput } from '../../core/spec/schema';
import { createRunning, newTopic, openHarness, purchaseSpec, send, uniqueName, until, untilRead, type Harness } from './harness';
import { openBrowserRig, openPipeline, shot, type BrowserRig } from './browser';

let h: Harness;
let rig: BrowserRig;
const name = uniqueName('page');

before(async () => {
  h = await openHarness();
  rig = await openBrowserRig(h);
});
after(async () => {
  await rig?.close();
  await h.svc.delete(name).catch(() => undefined);
  await closeNats();
  await h?.close();
});

const specOf = (amount: string): PipelineSpecInput => {
  const spec = purchaseSpec(name, name, { dedup: { key: 'event_id', window: '1h', time: 'arrival' } });
  spec.sources[0].schema = { fields: { event_id: 'string', amount } };
  spec.sink.columns = [{ name: 'event_id', type: 'String' }];
  return spec;
};
const events = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ event_id: `e${from + i}`, amount: i }));
async function gql(query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${rig.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}
const sinkOf = async () => (await h.svc.status(name)).sink;

test('the pipeline page: live charts, and the DLQ browser filters, replays without doubling, and purges', async () => {
  await newTopic(h, name);
  await createRunning(h, specOf('float64'));
  // 20 events, one without amount (missing_field), a copy of e0 without amount (missing_field: its key already has a row), one not JSON
  await send(h, name, [...events(0, 20), { event_id: 'm' }, { event_id: 'e0' }, 'not json']);
  await untilRead(h, name, 23);
  await new Promise((r) => setTimeout(r, 11_000)); // the next report is a new 10 s sample
  await send(h, name, events(20, 20));
  await untilRead(h, name, 43);

  const page = await rig.open();
  await openPipeline(page, name);
  // the charts: six, drawn by uPlot, from the API's points
  await page.locator('#charts figure canvas').nth(5).waitFor({ timeout: 30_000 });
  const points = (await gql('query($id: ID!) { pipeline(id: $id) { metrics { readPerSec rowsPerSec dlqPerSec lag latencyMs } } }', { id: name })).data!.pipeline.metrics;
  assert.ok(points.length >= 1, 'points over the last 15 minutes');
  assert.ok(points.some((p: { rowsPerSec: number }) => p.rowsPerSec > 0) && points.some((p: { readPerSec: number }) => p.readPerSec > 0), JSON.stringify(points));
  const captions = await page.locator('#charts figcaption').allTextContents();
  assert.deepEqual(captions.map((c) => c.replace(/:.*/, '')), ['events read/s', 'rows/s', 'duplicates/s', 'DLQ entries/s', 'Kafka lag (records)', 'end-to-end latency (ms) (estimated)']);
  assert.match(await page.locator('#charts figure').first().getAttribute('aria-label') ?? '', /events read\/s.*over the last 15 minutes/);

  // the DLQ: three entries; filtered by reason, the two without amount
  await page.locator('#dlq-total').filter({ hasText: '(3 entries' }).waitFor({ timeout: 30_000 });
  await shot(page, '10-pipeline-charts');
  await page.getByLabel('Reason', { exact: true }).selectOption('missing_field');
  await page.locator('#dlq-total').filter({ hasText: '2 shown with reason missing_field' }).waitFor();
  assert.deepEqual(await page.locator('#dlq tbody td:nth-child(4)').allTextContents(), ['missing_field', 'missing_field']);
  await shot(page, '11-dlq-filtered');

  // amount becomes nullable (a non-key field: the update is allowed), then both are replayed, chosen with the keyboard
  await h.svc.update(name, specOf('float64?'));
  await h.svc.waitFor(name, (s) => s.specVersion === 2 && s.status === 'RUNNING', 60_000);
  for (const box of await page.locator('#dlq tbody input[type=checkbox]').all()) {
    await box.focus();
    await page.keyboard.press('Space');
  }
  await page.getByRole('button', { name: 'Replay selected (2)' }).click();
  await page.locator('#dlq-done').filter({ hasText: 'replayed 2 entries' }).waitFor({ timeout: 60_000 });
  // m becomes a row, the copy of e0 a duplicate: read 45 = 41 rows + 1 duplicate + 3 (the DLQ counter keeps the first entries)
  const s = await until('the replayed entries are processed', async () => { const c = await sinkOf(); return c.read === 45 && c.inserted === 41 ? c : undefined; }, 60_000);
  assert.equal(s.duplicates, 1);
  await shot(page, '12-dlq-replayed');

  // the not-JSON entry replayed twice at once: sent once (the other answer: NOT_FOUND), and it is one DLQ entry again
  await page.getByLabel('Reason', { exact: true }).selectOption('');
  const [left] = (await gql('query($id: ID!) { dlq(pipelineId: $id) { items { id reason } } }', { id: name })).data!.dlq.items;
  assert.equal(left.reason, 'malformed_json');
  const replay = () => gql('mutation($id: ID!, $ids: [ID!]!) { replayDlq(pipelineId: $id, ids: $ids) }', { id: name, ids: [left.id] });
  const answers = await Promise.all([replay(), replay()]);
  assert.deepEqual(answers.map((a) => a.data?.replayDlq ?? a.errors?.[0]?.extensions?.code).sort(), [1, 'NOT_FOUND'].sort());
  await until('the replayed entry is read', async () => ((await sinkOf()).read >= 46 ? true : undefined), 60_000).catch(async (e) => { throw new Error(`${e.message}: ${JSON.stringify(await sinkOf())}`); });
  await new Promise((r) => setTimeout(r, 3000)); // no second copy follows
  assert.deepEqual({ read: (await sinkOf()).read, dlq: (await sinkOf()).dlq }, { read: 46, dlq: 4 });

  // purge, confirmed in the dialog
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.locator('#dlq-total').filter({ hasText: '(1 entry;' }).waitFor({ timeout: 30_000 });
  page.once('dialog', (d) => { assert.match(d.message(), new RegExp(`Purge every DLQ entry of pipeline ${name}`)); void d.accept(); });
  await page.getByRole('button', { name: 'Purge the DLQ' }).click();
  await page.locator('#dlq-done').filter({ hasText: 'purged 1 entry' }).waitFor({ timeout: 30_000 });
  await page.locator('#dlq-total').filter({ hasText: '(0 entries' }).waitFor();
  // readable on a narrow window: the charts stack, nothing wider than the page
  await page.setViewportSize({ width: 420, height: 800 });
  await page.evaluate(() => window.dispatchEvent(new Event('resize')));
  const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll'))
    .slice(0, 5).map((e) => `${e.tagName}#${e.id}.${e.className}`));
  assert.deepEqual(wide, [], 'nothing wider than a 420 px window');
  await shot(page, '15-pipeline-narrow');
  await page.close();
});

test('edit: the spec as the user wrote it, the wizard reopened on it, the diff before updating, a refused change shown at its step', async () => {
  const edited = uniqueName('page-edit');
  await newTopic(h, edited);
  await send(h, edited, [{ event_id: 'a', user_id: 'u1', amount: 1 }, { event_id: 'b', user_id: 'u2', amount: 2 }]);
  const yaml = `# purchases, one row per event_id (written by hand)
version: 1
name: ${edited}
sources:
  - name: purchases
    kafka: { brokers: ["127.0.0.1:9092"], topic: ${edited} }
    schema:
      fields: { event_id: string, user_id: string, amount: float64 }
    dedup:
      key: event_id   # the id the shop gives
      window: 1h
sink:
  clickhouse: { url: "http://127.0.0.1:8123", database: sluice_test, table: ${edited.replace(/-/g, '_')} }
  createTable: { engine: MergeTree, orderBy: [event_id] }
  batch: { maxRows: 5000, maxDelay: 200ms }
`;
  const page = await rig.open();
  try {
    await page.locator('#spec').fill(yaml);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#applied').filter({ hasText: `applied ${edited}` }).waitFor({ timeout: 60_000 });
    await h.svc.waitFor(edited, (s) => s.status === 'RUNNING', 60_000);
    await openPipeline(page, edited);
    // "Edit spec": the YAML as written, comments and all
    await page.getByRole('button', { name: 'Edit spec', exact: true }).click();
    assert.equal(await page.locator('#spec').inputValue(), yaml);

    // "Edit in the wizard": prefilled from the running spec; sample, change the window, review the diff, update
    await page.getByRole('button', { name: 'Edit in the wizard' }).click();
    await page.locator('#wiz-editing').filter({ hasText: `Editing ${edited}` }).waitFor();
    await page.getByRole('button', { name: 'Sample', exact: true }).click();
    await page.locator('#wiz-dedup').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.getByLabel('Window (1s..30d)').inputValue(), '1h');
    assert.equal(await page.locator('#wiz-mode-key').isChecked(), true);
    assert.deepEqual(await page.locator('#wiz-dedup-fields input:checked').evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value)), ['event_id']);
    await page.getByLabel('Window (1s..30d)').fill('2h');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#wiz-sink').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Review', exact: true }).click();
    await page.locator('#wiz-diff-box').waitFor({ state: 'visible', timeout: 30_000 });
    assert.deepEqual((await page.locator('#wiz-diff div').allTextContents()).map((l) => l.trim()), ['-       window: 1h', '+       window: 2h'].map((l) => l.trim()));
    await shot(page, '13-edit-diff');
    await page.getByRole('button', { name: 'Update' }).click();
    await page.locator('#wiz-deployed:not(:empty), .wiz-error:not([hidden])').first().waitFor({ timeout: 30_000 });
    assert.deepEqual(await page.locator('.wiz-error:not([hidden])').allTextContents(), [], 'no error at update');
    assert.match((await page.locator('#wiz-deployed').textContent())!, new RegExp(`^updated ${edited}`));
    await h.svc.waitFor(edited, (s) => s.specVersion === 2 && s.status === 'RUNNING', 60_000);
    const kept = (await h.svc.specText(edited))!;
    assert.match(kept, /window: 2h/);
    assert.doesNotMatch(kept, /^\{/, 'kept as YAML, not one-line JSON');

    // a change the update rules refuse (the dedup key): shown at the dedup step, and no update possible
    await openPipeline(page, edited);
    await page.locator('#detail-status').filter({ hasText: 'spec v2' }).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Edit in the wizard' }).click();
    await page.getByRole('button', { name: 'Sample', exact: true }).click();
    await page.locator('#wiz-dedup').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await page.getByLabel('Window (1s..30d)').inputValue(), '2h', 'the wizard starts from the updated spec');
    await page.locator('#wiz-dedup-fields').getByLabel('user_id', { exact: true }).check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('#wiz-sink').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Review', exact: true }).click();
    await page.locator('#wiz-dedup-error').filter({ hasText: 'sources[0].dedup.key: a running pipeline cannot change its dedup key' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('button', { name: 'Update' }).isDisabled(), true);
    await shot(page, '14-edit-refused');
  } finally {
    await page.close();
    await h.svc.delete(edited).catch(() => undefined);
  }
});
