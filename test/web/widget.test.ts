/// <reference lib="dom" />
/**
 * The widget in a real browser (Debian chromium + playwright-core): booking across time zones
 * through the embed, a time taken between viewing and submitting, keyboard-only booking with the
 * date grid, axe-core, phone width, and the self-service page.
 */
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { createNotifier } from '../../src/notifications/index.js';
import { runTool } from '../../src/tools/registry.js';
import { allAppointments } from '../support/store.js';
import { local, type TestDeps } from '../helpers.js';
import { axeSource, BROWSER_AVAILABLE, launchBrowser, listen, type Listening, openPage, type TestBrowser } from './browser.js';
import { CUSTOMER, makeWebDeps } from './setup.js';

let browser: TestBrowser;
let deps: TestDeps;
let app: Express;
let server: Listening;
const closers: (() => Promise<void>)[] = [];
/** The page answers asynchronously; on a loaded 2-core machine a second is not always enough. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 50 });

beforeAll(async () => {
  if (BROWSER_AVAILABLE) browser = await launchBrowser();
}, 60_000);
afterAll(() => browser?.close());
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function serve(opts: Parameters<typeof makeWebDeps>[0] = {}): Promise<void> {
  deps = await makeWebDeps(opts);
  app = createApp(deps);
  server = await listen(app);
  closers.push(() => deps.cleanup(), () => server.close());
}

async function page(timezoneId: string, extra: { width?: number; allowed?: RegExp[]; bypassCSP?: boolean } = {}) {
  const p = await openPage(browser, { timezoneId, now: deps.clock.now(), ...extra });
  closers.push(() => p.context.close());
  return p;
}

describe.skipIf(!BROWSER_AVAILABLE)('booking widget in Chromium', () => {
  it('books through the one-line embed in a visitor zone three hours behind the business', async () => {
    await serve();
    const host = await listen((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><html lang="en"><head><title>Maple Street</title><link rel="icon" href="data:,"></head><body>
<h1>Book online</h1>
<script>document.addEventListener('bookline:booked', function (e) { window.__booked = e.detail; });</script>
<script src="${server.url}/widget.js" data-business="maple-street" data-service="haircut" data-name="${CUSTOMER.name}" async></script>
</body></html>`);
    });
    closers.push(() => host.close());
    // The business lets its own site frame the widget.
    deps.config.web.allowedOrigins.push(host.origin);
    const { page: p, errors } = await page('America/Los_Angeles');
    await p.goto(host.url);
    const frame = p.frameLocator('iframe[title="Book an appointment"]');
    await frame.locator('#bl-day-2026-11-24.bookable').click();
    const first = frame.locator('#bl-slot-0');
    // 09:00 in New York is 06:00 in Los Angeles; the business's own time is shown beside it.
    await poll(() => first.innerText()).toMatch(/^6:00\sAM\s+9:00\sAM New York$/);
    expect(await first.getAttribute('aria-label')).toBe('Tuesday, November 24, 2026, 6:00 AM your time (9:00 AM New York time)');
    expect(await frame.locator('#bl-zone').innerText()).toContain('Times are shown in your time zone (Los Angeles)');
    await first.click();
    // Prefilled from data-name on the host page's script tag.
    expect(await frame.locator('#bl-name').inputValue()).toBe(CUSTOMER.name);
    await frame.locator('#bl-phone').fill(CUSTOMER.phone);
    await frame.locator('#bl-submit').click();
    await poll(() => frame.locator('#bl-when').innerText()).toBe('Tuesday, November 24, 2026, 6:00 AM your time (9:00 AM New York time)');
    const ics = await frame.locator('#bl-ics').getAttribute('href');
    expect(decodeURIComponent(ics!)).toContain('DTSTART:20261124T140000Z');

    const booked = await allAppointments(deps.store);
    expect(booked).toHaveLength(1);
    expect(booked[0]).toMatchObject({ start: local('2026-11-24T09:00'), customerName: CUSTOMER.name, customerPhone: '+12125550123', source: 'web' });
    // The host page heard about it (postMessage from the iframe, re-dispatched by widget.js).
    await poll(() => p.evaluate(() => (window as unknown as { __booked?: unknown }).__booked)).toMatchObject({ id: booked[0]!.id, startTime: '2026-11-24T14:00:00.000Z' });
    expect(errors).toEqual([]);
  }, 60_000);

  it('shows the nearest times when the chosen one is taken before submitting, and books one of them', async () => {
    await serve();
    // The 409 is the answer being tested; Chromium logs every 4xx fetch as a console error.
    const { page: p, errors } = await page('Asia/Tokyo', { allowed: [/status of 409/] });
    await p.goto(`${server.url}/widget?service=haircut`);
    // 09:00 Tuesday in New York is 23:00 Tuesday in Tokyo.
    await p.locator('#bl-day-2026-11-24.bookable').click();
    await poll(() => p.locator('#bl-slot-0 .local').innerText()).toBe('11:00 PM');
    await p.locator('#bl-slot-0').click();
    await p.locator('#bl-name').fill(CUSTOMER.name);
    await p.locator('#bl-phone').fill(CUSTOMER.phone);
    // Someone else takes 09:00 New York meanwhile (by phone, through the same tools).
    const other = await request(app).post('/api/bookings').set('Idempotency-Key', 'other').send({ service: 'haircut', start: '2026-11-24T09:00', name: 'Lee Park', phone: '2125550177' });
    expect(other.status).toBe(201);
    await p.locator('#bl-submit').click();
    const conflict = p.locator('.conflict');
    await poll(() => conflict.locator('h2').innerText()).toBe('That time was just taken. Nearest times:');
    const alt = p.locator('#bl-alt-0');
    const altStart = await alt.getAttribute('data-start');
    expect(altStart).not.toBe('2026-11-24T14:00:00.000Z');
    await alt.click();
    // The details typed are kept; one press books the alternative.
    expect(await p.locator('#bl-name').inputValue()).toBe(CUSTOMER.name);
    await p.locator('#bl-submit').click();
    await poll(() => p.locator('#bl-done-h').innerText()).toBe('You are booked');
    const mine = (await allAppointments(deps.store)).find((a) => a.customerName === CUSTOMER.name);
    expect(mine?.start).toBe(Date.parse(altStart!));
    expect(errors).toEqual([]);
  }, 60_000);

  it('books by keyboard alone with the WAI-ARIA date grid keys, passes axe, and fits 375 px', async () => {
    await serve();
    // The page's CSP (script-src 'self') would refuse the injected axe-core script.
    const { page: p, errors } = await page('America/New_York', { width: 375, bypassCSP: true });
    await p.goto(`${server.url}/widget?service=haircut`);
    await p.locator('#bl-day-2026-11-24.bookable').waitFor();
    const focused = () => p.evaluate(() => document.activeElement?.id ?? '');
    for (let i = 0; i < 8 && !(await focused()).startsWith('bl-day-'); i++) await p.keyboard.press('Tab');
    // Focus lands on the first bookable day (Monday is closed).
    expect(await focused()).toBe('bl-day-2026-11-24');
    const keys: [string, string][] = [
      ['ArrowRight', 'bl-day-2026-11-25'],
      ['ArrowDown', 'bl-day-2026-12-02'],
      ['ArrowUp', 'bl-day-2026-11-25'],
      ['ArrowLeft', 'bl-day-2026-11-24'],
      ['End', 'bl-day-2026-11-29'],
      ['Home', 'bl-day-2026-11-23'],
      ['PageDown', 'bl-day-2026-12-23'],
      ['PageUp', 'bl-day-2026-11-23'],
      ['ArrowRight', 'bl-day-2026-11-24'],
    ];
    // Months load slower than keys are pressed: focus must follow the keys, not a late answer.
    await p.route('**/api/availability?*', async (route) => {
      await new Promise((r) => setTimeout(r, 300));
      // The page may have aborted this request meanwhile (a newer month superseded it).
      await route.continue().catch(() => undefined);
    });
    for (const [key, want] of keys) {
      await p.keyboard.press(key);
      await poll(focused).toBe(want);
    }
    await p.locator('.calendar [role=status]').waitFor({ state: 'detached' });
    await p.unroute('**/api/availability?*');
    expect(await focused()).toBe('bl-day-2026-11-24');
    expect(await p.locator('#bl-month').innerText()).toBe('November 2026');
    // A closed day cannot be chosen; Enter on a bookable one shows its times and moves focus there.
    await p.keyboard.press('Enter');
    await poll(focused).toBe('bl-slot-0');
    await p.keyboard.press('Tab');
    await poll(focused).toBe('bl-slot-1');
    await p.keyboard.press('Space');
    await poll(focused).toBe('bl-name');
    await p.keyboard.type(CUSTOMER.name);
    await p.keyboard.press('Tab');
    await p.keyboard.type('12');
    await p.keyboard.press('Enter');
    // Client-side validation names the field and puts focus on it.
    await poll(focused).toBe('bl-phone');
    expect(await p.locator('#bl-phone-err').innerText()).toMatch(/full phone number/);
    expect(await p.locator('#bl-phone').getAttribute('aria-describedby')).toBe('bl-phone-err');

    await p.addScriptTag({ content: axeSource() });
    const axe = await p.evaluate(async () => {
      const r = await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe.run();
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(axe.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    const width = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(width.client).toBe(375);
    expect(width.scroll).toBeLessThanOrEqual(width.client);

    await p.keyboard.press('Control+A');
    await p.keyboard.type(CUSTOMER.phone);
    await p.keyboard.press('Enter');
    await poll(() => p.locator('#bl-done-h').isVisible()).toBe(true);
    const booked = await allAppointments(deps.store);
    expect(booked.map((a) => a.start)).toEqual([local('2026-11-24T09:15')]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('moves and cancels through the self-service link', async () => {
    await serve();
    const made = await request(app).post('/api/bookings').set('Idempotency-Key', 'self').send({ service: 'haircut', start: '2026-11-24T10:00', ...CUSTOMER });
    const token = (made.body.manageUrl as string).split('/a/')[1]!;
    const { page: p, errors } = await page('America/New_York');
    await p.goto(`${server.url}/a/${token}`);
    await poll(() => p.locator('#bl-when').innerText()).toBe('Tuesday, November 24, 2026, 10:00 AM');
    await p.locator('#bl-reschedule').click();
    await p.locator('#bl-day-2026-11-25.bookable').click();
    await p.locator('#bl-slot-0').click();
    await p.locator('#bl-move').click();
    await poll(() => p.locator('#bl-result').innerText()).toBe('Moved: Haircut is now Wed, Nov 25, 9:00 AM.');
    expect(await p.locator('#bl-when').innerText()).toBe('Wednesday, November 25, 2026, 9:00 AM');
    expect((await deps.store.appointments.get(made.body.appointment.id))?.start).toBe(local('2026-11-25T09:00'));

    await p.locator('#bl-cancel').click();
    await poll(() => p.locator('#bl-result').innerText()).toBe('Cancelled: Haircut, Wed, Nov 25, 9:00 AM.');
    expect(await p.locator('#bl-status').innerText()).toBe('Status: cancelled');
    expect((await deps.store.appointments.get(made.body.appointment.id))?.status).toBe('cancelled');
    expect(await p.locator('#bl-cancel').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 60_000);

  it('signs in to the front-desk dashboard, changes a callback status and resends a failed message', async () => {
    await serve({ env: { ADMIN_API_KEY: 'admin-key-for-tests-123' } });
    deps.notifier = createNotifier(deps, { sender: null, emailSender: null });
    await runTool(deps, 'request_callback', { customer_name: 'Lee Park', customer_phone: '2125550177', reason: 'Price of a perm', urgency: 'urgent' }, { platform: 'test' });
    const now = deps.clock.now();
    await deps.store.outbox.enqueue({ dedupeKey: 'sms:browser', appointmentId: null, kind: 'booked', audience: 'customer', to: '+12125550123', body: 'hi', dueAt: now }, now);
    const [row] = await deps.store.outbox.claim('test', now, 60_000, 10);
    await deps.store.outbox.markFailed(row!.id, (await deps.store.outbox.beginAttempt(row!.id, 'test', now, 60_000))!, 'provider said no', now);

    const { page: p, errors } = await page('America/New_York', { width: 375, bypassCSP: true });
    await p.goto(`${server.url}/admin/dashboard`);
    await p.locator('#key').fill('admin-key-for-tests-123');
    await p.locator('#key').press('Enter');
    await p.locator('#h-today').waitFor();
    const cookie = (await p.context().cookies()).find((c) => c.name === 'bl_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const cb = (await deps.store.callbacks.list({ limit: 5 }))[0]!;
    await p.locator(`#cb-${cb.id}`).selectOption('contacted');
    await p.locator(`#cb-${cb.id} + button`).click();
    await poll(() => p.locator('#dash-notice').innerText()).toBe('Callback marked contacted.');
    expect((await deps.store.callbacks.get(cb.id))?.status).toBe('contacted');
    await p.getByRole('button', { name: `Resend message ${row!.id}` }).click();
    await poll(() => p.locator('#dash-notice').innerText()).toBe('Queued to send again.');
    expect((await deps.store.outbox.get(row!.id))?.status).toBe('pending');

    await p.addScriptTag({ content: axeSource() });
    const axe = await p.evaluate(async () => (await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } }).axe.run()).violations.map((v) => `${v.impact}:${v.id}`));
    expect(axe.filter((v) => v.startsWith('serious') || v.startsWith('critical'))).toEqual([]);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(errors).toEqual([]);
  }, 60_000);
});
