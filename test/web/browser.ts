/**
 * A real browser for the widget tests: Debian's /usr/bin/chromium driven by playwright-core, kept
 * off the network, one browser per test file. The app under test listens on 127.0.0.1.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const BROWSER_AVAILABLE = existsSync(CHROMIUM);
// CI installs Chromium before the tests (.ci/run): there a missing browser is a failure, not a skip.
if (!BROWSER_AVAILABLE && process.env.BOOKLINE_REQUIRE_BROWSER === '1') throw new Error(`${CHROMIUM} is missing but BOOKLINE_REQUIRE_BROWSER=1: the browser tests must run`);
if (!BROWSER_AVAILABLE) console.warn(`${CHROMIUM} is missing: the browser tests are SKIPPED (apt-get install -y chromium; .ci/run installs it).`);

const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // chromium.launch gives every browser a fresh temporary profile of its own (Playwright refuses a
  // --user-data-dir argument here), removed again on close.
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  return { browser, close: () => browser.close() };
}

export interface Listening {
  url: string;
  origin: string;
  close(): Promise<void>;
}

export function listen(handler: RequestListener): Promise<Listening> {
  return new Promise((resolve) => {
    const srv: Server = createServer(handler);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      const origin = `http://127.0.0.1:${port}`;
      resolve({ url: origin, origin, close: () => new Promise<void>((r) => { srv.closeAllConnections(); srv.close(() => r()); }) });
    });
  });
}

/** A page in a fresh context with the visitor's zone emulated and its clock pinned to the test's. */
export async function openPage(b: TestBrowser, opts: { timezoneId: string; now: number; width?: number; allowed?: RegExp[]; bypassCSP?: boolean }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await b.browser.newContext({ timezoneId: opts.timezoneId, locale: 'en-US', viewport: { width: opts.width ?? 1000, height: 900 }, bypassCSP: opts.bypassCSP ?? false });
  // A missing element fails the test with its selector instead of waiting for the test timeout.
  context.setDefaultTimeout(10_000);
  await context.clock.setFixedTime(opts.now);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !(opts.allowed ?? []).some((re) => re.test(m.text()))) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { context, page, errors };
}

/** axe-core's own build, injected into the page. */
export function axeSource(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
}
