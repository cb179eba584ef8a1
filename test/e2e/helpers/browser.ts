// The machine's Chromium or Chrome (find-browser.ts: COLM_CHROMIUM first, then the usual places)
// driven by playwright-core (no browser download): headless, sandbox off for CI containers, a
// fresh profile each time, nothing fetched from the network.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { findBrowser } from './find-browser.js';

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findBrowser();
  const profile = mkdtempSync(join(tmpdir(), 'colm-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Screenshots go to test-results/ (gitignored), kept as test artifacts. */
/**
 * Saves a screenshot in test-results/ (a test artifact). `docsPath` (the README's picture) is
 * rewritten only with UPDATE_DOCS_SCREENSHOT=1, so a test run leaves the checkout unchanged.
 */
export async function screenshot(page: Page, name: string, docsPath?: string): Promise<void> {
  mkdirSync('test-results', { recursive: true });
  await page.screenshot({ path: join('test-results', `${name}.png`) });
  if (docsPath && process.env.UPDATE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: docsPath });
}
