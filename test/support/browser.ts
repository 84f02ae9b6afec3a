import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's chromium (CI: `apt-get install -y chromium`); playwright never downloads a browser here. */
export const chromiumPath = '/usr/bin/chromium';

/** Why browser tests cannot run on this machine, or undefined when they can (node:test's `skip` takes it). */
export const browserMissing = (): string | undefined =>
  existsSync(chromiumPath) ? undefined : `chromium is not installed at ${chromiumPath} (apt-get install -y chromium): console browser tests skipped`;

/** The repository root (tests run from dist/test/support). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Where screenshots go. A test run must not rewrite tracked files, so by default they land in a
 * temporary folder (still taken: a page that cannot render fails here); `npm run screenshots` sets
 * SWITCHBOARD_SCREENSHOTS=docs/screenshots to refresh the README's pictures on purpose.
 */
const screenshotTarget = (): { dir: string; temporary: boolean } =>
  process.env.SWITCHBOARD_SCREENSHOTS
    ? { dir: path.resolve(repoRoot, process.env.SWITCHBOARD_SCREENSHOTS), temporary: false }
    : { dir: mkdtempSync(path.join(tmpdir(), 'switchboard-screenshots-')), temporary: true };

export interface TestBrowser {
  context: BrowserContext;
  /** A new tab that records the Content-Security-Policy violations and page errors it meets. */
  newPage(): Promise<{ page: Page; errors: string[] }>;
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile, at the console's target size (1280×800). */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(path.join(tmpdir(), 'switchboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: true,
  });
  const screenshots = screenshotTarget();
  mkdirSync(screenshots.dir, { recursive: true });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) errors.push(message.text());
      });
      page.on('pageerror', (error) => errors.push(error.message));
      return { page, errors };
    },
    screenshot: async (page, name) => {
      await page.screenshot({ path: path.join(screenshots.dir, `${name}.png`), fullPage: false });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (screenshots.temporary) rmSync(screenshots.dir, { recursive: true, force: true });
    },
  };
}

/** Waits until `locator` matches exactly `count` elements, polling from Node (nothing evaluated in the page). */
export async function waitForCount(locator: Locator, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = await locator.count();
  while (seen !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} matches of ${String(locator)}, still ${seen} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await locator.count();
  }
}
