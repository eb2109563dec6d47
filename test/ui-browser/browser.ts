/** Debian's Chromium, headless, driven by puppeteer-core: one browser per test file, a fresh profile each time. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { chromium } from './global-setup';

/** Where screenshots and timings go (gitignored). */
export const OUTPUT_DIR = join(import.meta.dirname, 'output');

/** A running browser and its profile folder (removed on close). */
export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** Starts Chromium with a fresh profile, no background traffic, no sandbox (root in CI), no GPU. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'pushpull-chromium-'));
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: chromium(),
    headless: true,
    userDataDir: profile,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    close: async () => {
      try {
        await browser.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

/** A page and what its console said. */
export interface WatchedPage {
  page: Page;
  errors: string[];
}

/** Opens a page that records console errors and uncaught exceptions. */
export async function openPage(b: TestBrowser): Promise<WatchedPage> {
  const page = await b.browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url ?? ''})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
  return { page, errors };
}

/** Saves a full-page screenshot as output/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });
}
