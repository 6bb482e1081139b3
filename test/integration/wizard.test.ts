// The wizard in a real browser (Debian chromium driven by playwright-core) against the real API,
// worker and services: the seed pipeline built by clicks and typing only (frontend and backend
// copies of each purchase differing only in _event_source_), the suggested rule accepted,
// deployed, one row per purchase in ClickHouse; then bad input at every step, each error shown
// at its step. A screenshot of every step goes to SLUICE_SCREENSHOTS (default .stack/screenshots).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { closeNats } from '../../runtime/connections';
import { DB, newTopic, openHarness, purchase, send, tableOf, uniqueName, untilRows, type Harness } from './harness';
import { countDistinct, countRows } from '../../loadtest/clickhouse';
import { openBrowserRig, shot, type BrowserRig } from './browser';

let h: Harness;
let rig: BrowserRig;
const created: string[] = [];

before(async () => {
  h = await openHarness();
  rig = await openBrowserRig(h);
});
after(async () => {
  // the page and the API first, and only once its last requests to Temporal are done the harness
  await rig?.close();
  for (const name of created) await h.svc.delete(name).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 2000));
  await closeNats();
  await h?.close();
});

const openWizard = (width?: number, height?: number) => rig.open(width, height);
const stepError = (page: Page, step: string) => page.locator(`#wiz-${step}-error`);

async function pickTopic(page: Page, topic: string, shotName?: string) {
  await page.getByLabel('Search topics').fill(topic);
  await page.getByRole('button', { name: 'List topics' }).click();
  await page.getByLabel(topic, { exact: true }).check();
  if (shotName) await shot(page, shotName);
  await page.getByRole('button', { name: 'Sample', exact: true }).click();
}

test('the seed pipeline built in the wizard by clicks and typing: suggested rule accepted, one row per purchase', async () => {
  const name = uniqueName('wiz');
  const purchases = 40;
  await newTopic(h, name, 2);
  const values = Array.from({ length: purchases }, (_, i) => [
    purchase(`${name}-p${i}`, 'frontend-web', { user_id: `u${i}`, amount: i + 0.5 }),
    purchase(`${name}-p${i}`, 'payment-backend', { user_id: `u${i}`, amount: i + 0.5 }),
  ]).flat();
  await send(h, name, values);

  const page = await openWizard();
  const started = Date.now();
  await shot(page, '1-connect');
  await pickTopic(page, name, '1-topics');
  await page.locator('#wiz-dedup').waitFor({ state: 'visible', timeout: 30_000 });
  assert.match((await page.locator('#wiz-sample-summary').textContent())!, new RegExp(`^${purchases * 2} messages from ${name}`));
  assert.equal(await page.locator('#wiz-fields').getByLabel('amount', { exact: true }).inputValue(), 'float64');
  assert.equal(await page.locator('#wiz-fields').getByLabel('ts', { exact: true }).inputValue(), 'datetime');
  await shot(page, '2-sample');
  assert.equal(await page.locator('#wiz-suggestion').textContent(), `${purchases} pairs of sampled events are identical but for "_event_source_": ignore it, so those copies count once.`);
  await page.getByRole('button', { name: 'Accept suggestion' }).click();
  await shot(page, '3-dedup');
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('#wiz-sink').waitFor({ state: 'visible' });
  const counts = Object.fromEntries(await page.locator('#wiz-preview-counts dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])));
  assert.deepEqual(counts, { read: String(purchases * 2), rows: String(purchases), duplicates: String(purchases), DLQ: '0' });
  assert.equal(await page.locator('#wiz-groups .group').count(), 5, 'example duplicate groups');
  await shot(page, '4-preview');
  await page.getByLabel('Database').fill(DB);
  await page.getByLabel('Name', { exact: true }).fill(name.replace(/-/g, '_'));
  await page.getByLabel('Pipeline name').fill(name);
  await shot(page, '5-sink');
  await page.getByRole('button', { name: 'Review', exact: true }).click();
  await page.locator('#wiz-review').waitFor({ state: 'visible' });
  const yaml = (await page.locator('#wiz-yaml').textContent())!;
  assert.match(yaml, /key:\n\s+ignore:\n\s+- _event_source_/);
  assert.match(yaml, new RegExp(`topic: ${name}`));
  await shot(page, '6-review');
  // deploy with the keyboard: the Deploy button has the focus after the review
  await page.keyboard.press('Enter');
  created.push(name);
  await page.locator('#wiz-deployed:not(:empty), #wiz-review-error:not([hidden])').first().waitFor({ timeout: 60_000 });
  assert.equal(await stepError(page, 'review').textContent(), '', 'no error at deploy');
  assert.match((await page.locator('#wiz-deployed').textContent())!, new RegExp(`^deployed ${name}`));
  const buildMs = Date.now() - started;
  console.log(`# seed pipeline built through the wizard in ${(buildMs / 1000).toFixed(1)} s`);
  await shot(page, '7-deployed');

  assert.equal(await untilRows(h, name, purchases), purchases);
  await new Promise((r) => setTimeout(r, 2000)); // no late copy arrives after the rows
  assert.equal(await countRows(h.ch, tableOf(name)), purchases);
  assert.equal(await countDistinct(h.ch, tableOf(name), 'event_id'), purchases);
  await page.locator('#detail-name').filter({ hasText: name }).waitFor({ timeout: 30_000 });
  // the pipelines page: filtered by name, one row
  await page.getByLabel('Filter by name').fill(name);
  await page.waitForFunction((n) => [...document.querySelectorAll('#pipelines tbody tr')].map((tr) => tr.firstElementChild?.textContent).join() === n, name, { timeout: 30_000 });
  await shot(page, '8-pipeline');
  await page.setViewportSize({ width: 420, height: 800 });
  await shot(page, '9-narrow');
  await page.close();
});

test('bad input at every step of the wizard shows its error at that step', async () => {
  const page = await openWizard();
  // unreachable broker
  await page.getByLabel('Brokers').fill('127.0.0.1:1');
  await page.getByRole('button', { name: 'List topics' }).click();
  await stepError(page, 'connect').filter({ hasText: 'cannot reach Kafka at 127.0.0.1:1' }).waitFor({ timeout: 30_000 });
  await shot(page, 'bad-1-unreachable');
  await page.getByLabel('Brokers').fill('127.0.0.1:9092');

  // an empty topic
  const empty = uniqueName('wiz-empty');
  await newTopic(h, empty, 1);
  await pickTopic(page, empty);
  await stepError(page, 'sample').filter({ hasText: `topic ${empty} is empty` }).waitFor({ timeout: 30_000 });
  await shot(page, 'bad-2-empty');

  // messages that are not JSON objects: listed with their DLQ reason
  const junk = uniqueName('wiz-junk');
  await newTopic(h, junk, 1);
  await send(h, junk, ['not json', '[1,2]']);
  await pickTopic(page, junk);
  await stepError(page, 'sample').filter({ hasText: 'no message of the sample is a JSON object' }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await page.locator('#wiz-rejected li strong').allTextContents(), ['malformed_json', 'not_an_object']);
  await shot(page, 'bad-3-not-json');

  // a good topic, then an invalid window: the preview's problem is shown at the dedup step
  const good = uniqueName('wiz-bad');
  await newTopic(h, good, 1);
  await send(h, good, [purchase('a', 'frontend-web'), purchase('a', 'payment-backend'), purchase('b', 'frontend-web', { user_id: 'u2' }), 'oops']);
  await pickTopic(page, good);
  await page.locator('#wiz-dedup').waitFor({ state: 'visible', timeout: 30_000 });
  assert.deepEqual(await page.locator('#wiz-rejected li strong').allTextContents(), ['malformed_json']);
  await page.getByRole('button', { name: 'Accept suggestion' }).click();
  await page.getByLabel('Window (1s..30d)').fill('45d');
  await page.getByRole('button', { name: 'Preview' }).click();
  await stepError(page, 'dedup').filter({ hasText: 'sources[0].dedup.window' }).waitFor({ timeout: 30_000 });
  assert.equal(await stepError(page, 'preview').isHidden(), true, 'the problem is at the dedup step, not the preview');
  await shot(page, 'bad-4-window');
  await page.getByLabel('Window (1s..30d)').fill('1h');
  // an invalid join window: shown at the join step
  await page.getByRole('button', { name: 'Add a topic to join' }).click();
  await page.getByLabel('Side 1 topic').selectOption(good);
  await page.getByRole('button', { name: 'Sample side 1' }).click();
  await page.getByLabel('Side 1 key field').waitFor();
  await page.getByLabel('Side 1 window').fill('45d');
  await page.getByRole('button', { name: 'Preview' }).click();
  await stepError(page, 'join').filter({ hasText: 'join.right[0].window' }).waitFor({ timeout: 30_000 });
  assert.equal(await stepError(page, 'dedup').isHidden(), true, 'the problem is at the join step');
  await shot(page, 'bad-5-join-window');
  await page.getByRole('button', { name: 'Remove side 1' }).click();
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('#wiz-sink').waitFor({ state: 'visible' });
  const counts = await page.locator('#wiz-preview-counts dd').allTextContents();
  assert.deepEqual(counts, ['4', '2', '1', '1'], 'read, rows, duplicates, DLQ');

  // an existing table whose amount column cannot take a float64
  const table = good.replace(/-/g, '_');
  await h.ch.command({ query: `CREATE TABLE ${DB}.${table} (event_id String, user_id String, amount String, ts DateTime, _event_source_ String) ENGINE = MergeTree ORDER BY event_id` });
  try {
    await page.getByLabel('Database').fill(DB);
    await page.getByRole('button', { name: 'List tables' }).click();
    await page.getByLabel('Table', { exact: true }).selectOption(table);
    await stepError(page, 'sink').filter({ hasText: `table ${table} does not take 1 field(s)` }).waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('#wiz-columns tr[data-field="amount"] td.error').textContent(), 'amount: the column is String; a float64 field needs Float64');
    assert.equal(await page.locator('#wiz-columns tr[data-field="event_id"] td.error').textContent(), '');
    await shot(page, 'bad-6-mapping');
  } finally {
    await h.ch.command({ query: `DROP TABLE IF EXISTS ${DB}.${table}` });
  }
  await page.close();
});

test('a join built in the wizard: purchases deduplicated, joined with their payments and the buyer\'s latest profile; the preview by the worker\'s join; rows in ClickHouse', async () => {
  const name = uniqueName('wizj');
  const [payments, users] = [`${name}-payments`, `${name}-users`];
  for (const t of [name, payments, users]) await newTopic(h, t);
  const n = 10;
  await send(h, users, Array.from({ length: n }, (_, i) => ({ user_id: `u${i}`, country: i % 2 ? 'DE' : 'FR' })));
  await send(h, name, Array.from({ length: n }, (_, i) => [
    purchase(`${name}-p${i}`, 'frontend-web', { user_id: `u${i}`, amount: i }), purchase(`${name}-p${i}`, 'payment-backend', { user_id: `u${i}`, amount: i }),
  ]).flat());
  const paid = n - 2;
  await send(h, payments, Array.from({ length: paid }, (_, i) => ({ event_id: `${name}-p${i}`, status: 'paid' })));
  const sentAt = Date.now();

  const page = await openWizard();
  await pickTopic(page, name);
  await page.locator('#wiz-dedup').waitFor({ state: 'visible', timeout: 30_000 });
  await page.getByRole('button', { name: 'Accept suggestion' }).click();
  // the join step: two more topics, each sampled like the first
  await page.getByRole('button', { name: 'Add a topic to join' }).click();
  await page.getByLabel('Side 1 topic').selectOption(payments);
  await page.getByRole('button', { name: 'Sample side 1' }).click();
  await page.locator('#wiz-sides').filter({ hasText: 'fields: event_id (string), status (string)' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByLabel('Side 1 key field').inputValue(), 'event_id', 'the field both topics have');
  await page.getByLabel('Side 1 window').fill('5s');
  await page.getByRole('button', { name: 'Add a topic to join' }).click();
  await page.getByLabel('Side 2 topic').selectOption(users);
  await page.getByRole('button', { name: 'Sample side 2' }).click();
  await page.locator('#wiz-sides').filter({ hasText: 'fields: user_id (string), country (string)' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByLabel('Side 2 key field').inputValue(), 'user_id');
  await page.getByLabel('Side 2 window').fill('30d');
  await page.getByLabel('Side 2 kind').selectOption('left');
  await page.getByLabel('Side 2: latest value only (one version per key, the newest wins)').check();
  await page.getByLabel('Left window (how long an event waits for its matches)').fill('5s');
  await shot(page, '4-join');
  // the preview: every window closed by now (5 s after the events arrived)
  await new Promise((r) => setTimeout(r, Math.max(0, sentAt + 6000 - Date.now())));
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.locator('#wiz-sink').waitFor({ state: 'visible', timeout: 30_000 });
  const dl = (sel: string) => page.locator(`${sel} dt`).evaluateAll((dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])));
  assert.deepEqual(await dl('#wiz-preview-counts'), { read: String(2 * n + paid + n), 'joined rows': String(paid), duplicates: String(n), DLQ: '0' });
  assert.deepEqual(await dl('#wiz-preview-join'), { matched: String(paid), unmatched: '2', waiting: '0', 'side events held': String(paid + n) });
  assert.equal(await page.locator('#wiz-groups pre').count(), 5, 'example joined rows');
  await shot(page, '5-join-preview');
  await page.getByLabel('Database').fill(DB);
  await page.getByLabel('Name', { exact: true }).fill(name.replace(/-/g, '_'));
  await page.getByLabel('Pipeline name').fill(name);
  assert.deepEqual(await page.locator('#wiz-columns tbody tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.field)),
    ['event_id', 'user_id', 'amount', 'ts', '_event_source_', 'status', 'country']);
  await page.getByRole('button', { name: 'Review', exact: true }).click();
  await page.locator('#wiz-review').waitFor({ state: 'visible' });
  assert.match((await page.locator('#wiz-yaml').textContent())!, /join:\n/);
  await page.getByRole('button', { name: 'Deploy' }).click();
  created.push(name);
  await page.locator('#wiz-deployed:not(:empty), #wiz-review-error:not([hidden])').first().waitFor({ timeout: 60_000 });
  assert.equal(await stepError(page, 'review').textContent(), '', 'no error at deploy');

  assert.equal(await untilRows(h, name, paid), paid);
  await new Promise((r) => setTimeout(r, 8000)); // the unpaid purchases' windows close: no row for them (inner)
  const rows = await (await h.ch.query({ query: `SELECT event_id, user_id, status, country FROM ${tableOf(name)} ORDER BY event_id`, format: 'JSONEachRow' })).json<Record<string, string>>();
  assert.deepEqual(rows, Array.from({ length: paid }, (_, i) => ({ event_id: `${name}-p${i}`, user_id: `u${i}`, status: 'paid', country: i % 2 ? 'DE' : 'FR' })));
  await page.close();
});
