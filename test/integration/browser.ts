// What the browser tests share: the API in this process on a free port, Debian's Chromium driven by
// playwright-core, pages that fail the test on any script error, and screenshots into
// SLUICE_SCREENSHOTS (default .stack/screenshots; SLUICE_SCREENSHOTS=docs/screenshots refreshes the README's).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../api/server';
import type { Harness } from './harness';

const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = process.env.SLUICE_SCREENSHOTS ?? join('.stack', 'screenshots');

export interface BrowserRig { base: string; browser: Browser; open(width?: number, height?: number): Promise<Page>; close(): Promise<void> }

export async function openBrowserRig(h: Harness): Promise<BrowserRig> {
  mkdirSync(SHOTS, { recursive: true });
  const server: Server = createApp(h.svc, { tokens: new Map(), graphiql: false }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  return {
    base, browser,
    async open(width = 1280, height = 800) {
      const page = await browser.newPage({ viewport: { width, height } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('close', () => assert.deepEqual(errors, [], 'no script error on the page'));
      await page.goto(`${base}/ui/`);
      return page;
    },
    // the pages first (their refreshes call the API), then the API
    async close() {
      await browser.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

export const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Opens pipeline `name` on the pipelines page: filtered by its name, then its row clicked. */
export async function openPipeline(page: Page, name: string): Promise<void> {
  await page.getByLabel('Filter by name').fill(name);
  const row = page.locator('#pipelines tbody tr').filter({ has: page.locator('td', { hasText: new RegExp(`^${name}$`) }) });
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.locator('#detail-name').filter({ hasText: name }).waitFor({ timeout: 30_000 });
}
