/**
 * Screenshots of the booking widget and the front-desk dashboard for the README, made from the
 * running code: the demo business on a temporary SQLite file, a pinned clock, a few bookings and a
 * callback, Debian's /usr/bin/chromium through playwright-core.
 *
 *   npx tsx tools/web-screenshots.ts [out-dir]     (default docs/screenshots)
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { chromium } from 'playwright-core';
import { pino } from 'pino';
import { createApp } from '../src/app.js';
import { loadDefaultBusiness, openRuntime } from '../src/bootstrap.js';
import { parseEnv } from '../src/config/env.js';
import { ManualClock } from '../src/domain/clock.js';
import { runTool } from '../src/tools/registry.js';

const out = process.argv[2] ?? 'docs/screenshots';
const ADMIN = 'screenshot-admin-key';
const dir = mkdtempSync(join(tmpdir(), 'bookline-shots-'));
const now = DateTime.fromISO('2026-11-24T08:00', { zone: 'America/New_York' }).toMillis();

const settings = parseEnv({ NODE_ENV: 'development', LOG_LEVEL: 'silent', DATABASE_PATH: join(dir, 'shots.db'), ADMIN_API_KEY: ADMIN, WEB_LINK_SECRET: 'screenshot-link-secret-0123456789abcdef' });
const rt = await openRuntime(settings, pino({ level: 'silent' }), new ManualClock(now));
const deps = (await loadDefaultBusiness(rt))!;
const book = (name: string, phone: string, service: string, at: string) =>
  runTool(deps, 'book_appointment', { customer_name: name, customer_phone: phone, service_name: service, appointment_datetime: at }, { platform: 'web' });
await book('Dana Reyes', '2125550123', 'haircut', '2026-11-24T10:00');
await book('Lee Park', '2125550177', 'beard trim', '2026-11-24T14:30');
await book('Ana Souza', '2125550188', 'hair color', '2026-11-25T09:00');
await runTool(deps, 'request_callback', { customer_name: 'Sam Ortiz', customer_phone: '2125550199', reason: 'Price of a keratin treatment', urgency: 'high' }, { platform: 'vapi' });

const app = createApp(deps, { metrics: { key: undefined, businesses: () => [deps] } });
const server = createServer(app);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  mkdirSync(out, { recursive: true });
  for (const [name, width, tz] of [
    ['widget.png', 900, 'America/Los_Angeles'],
    ['widget-phone.png', 375, 'America/New_York'],
  ] as const) {
    const context = await browser.newContext({ timezoneId: tz, locale: 'en-US', viewport: { width, height: 900 }, deviceScaleFactor: 1 });
    await context.clock.setFixedTime(now);
    const page = await context.newPage();
    await page.goto(`${base}/widget?service=haircut`);
    await page.locator('#bl-day-2026-11-25.bookable').click();
    await page.locator('#bl-slot-2').click();
    await page.locator('#bl-name').fill('Dana Reyes');
    await page.screenshot({ path: join(out, name), fullPage: true });
    await context.close();
  }
  const context = await browser.newContext({ timezoneId: 'America/New_York', locale: 'en-US', viewport: { width: 1000, height: 900 } });
  await context.clock.setFixedTime(now);
  const page = await context.newPage();
  await page.goto(`${base}/admin/dashboard/login`);
  await page.locator('#key').fill(ADMIN);
  await page.locator('button[type=submit]').click();
  await page.locator('#h-today').waitFor();
  await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });
  await context.close();
  console.log(`screenshots written to ${out}/: widget.png, widget-phone.png, dashboard.png`);
} finally {
  await browser.close();
  server.close();
  await rt.store.close();
  rmSync(dir, { recursive: true, force: true });
}
