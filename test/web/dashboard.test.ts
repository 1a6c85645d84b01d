import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createNotifier } from '../../src/notifications/index.js';
import { runTool } from '../../src/tools/registry.js';
import { local, type TestDeps } from '../helpers.js';
import { makeWebDeps, webBusiness } from './setup.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const KEY = 'admin-key-for-tests-123';

async function signedIn() {
  deps = await makeWebDeps({ env: { ADMIN_API_KEY: KEY } });
  deps.notifier = createNotifier(deps, { sender: null, emailSender: null });
  return login(createApp(deps));
}

async function login(app: ReturnType<typeof createApp>) {
  const login = await request(app).post('/admin/dashboard/login').type('form').send({ key: KEY });
  const cookie = login.headers['set-cookie'] as unknown as string[];
  const page = await request(app).get('/admin/dashboard').set('Cookie', cookie);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
  return { app, login, cookie, page, csrf: csrf! };
}

describe('/admin/dashboard', () => {
  it('signs in with the admin key into an HttpOnly, SameSite=Strict session cookie', async () => {
    const { app, login, cookie, page } = await signedIn();
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/admin/dashboard');
    expect(cookie[0]).toMatch(/^bl_admin=[^;]+; Path=\/admin\/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<h2 id="h-today">Today, Monday, November 23</h2>');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");

    const wrong = await request(app).post('/admin/dashboard/login').type('form').send({ key: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That key is not right.');
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const anon = await request(app).get('/admin/dashboard');
    expect(anon.status).toBe(303);
    expect(anon.headers.location).toBe('/admin/dashboard/login');
    const forged = await request(app).get('/admin/dashboard').set('Cookie', `bl_admin=${deps.clock.now() + 1e9}.forged`);
    expect(forged.status).toBe(303);
    // The session ends after 12 hours.
    deps.clock.advance(12 * 3_600_000 + 1);
    expect((await request(app).get('/admin/dashboard').set('Cookie', cookie)).status).toBe(303);
  });

  it('changes an appointment status and a callback status, only with the CSRF token', async () => {
    const { app } = await signedIn();
    const booked = await runTool(deps, 'book_appointment', { customer_name: 'Dana Reyes', customer_phone: '2125550123', service_name: 'haircut', appointment_datetime: '2026-11-24T09:00' }, { platform: 'test' });
    const id = (booked.result.appointment as { id: string }).id;
    await runTool(deps, 'request_callback', { customer_name: 'Lee Park', customer_phone: '2125550177', reason: 'Price of a perm', urgency: 'high' }, { platform: 'test' });

    // The next morning, after the appointment's start (a new session: the first one has expired).
    deps.clock.set(local('2026-11-24T10:00'));
    const { cookie, csrf } = await login(app);
    const page = await request(app).get('/admin/dashboard').set('Cookie', cookie);
    expect(page.text).toContain('Dana Reyes');
    expect(page.text).toContain(`action="/admin/dashboard/appointments/${id}/status"`);
    expect(page.text).toContain('Price of a perm');

    const noToken = await request(app).post(`/admin/dashboard/appointments/${id}/status`).set('Cookie', cookie).type('form').send({ status: 'no_show' });
    expect(noToken.status).toBe(403);
    expect((await deps.store.appointments.get(id))?.status).toBe('confirmed');

    const marked = await request(app).post(`/admin/dashboard/appointments/${id}/status`).set('Cookie', cookie).type('form').send({ status: 'no_show', csrf });
    expect(marked.status).toBe(303);
    expect(marked.headers.location).toBe('/admin/dashboard?done=Marked%20no-show.');
    expect((await deps.store.appointments.get(id))?.status).toBe('no_show');

    const cb = (await deps.store.callbacks.list({ limit: 10 }))[0]!;
    const changed = await request(app).post(`/admin/dashboard/callbacks/${cb.id}/status`).set('Cookie', cookie).type('form').send({ status: 'completed', csrf });
    expect(changed.headers.location).toContain('Callback%20marked%20completed.');
    expect((await deps.store.callbacks.get(cb.id))?.status).toBe('completed');
    const after = await request(app).get('/admin/dashboard').set('Cookie', cookie);
    expect(after.text).toContain('No open callbacks.');
    // The last 30 days' figures count the no-show and its hour.
    expect(after.text).toContain('<dt>Appointments</dt><dd>1 (0.0 a day)</dd>');
    expect(after.text).toContain('<dt>No-shows</dt><dd>1 (100%)</dd>');
    expect(after.text).toContain('<dt>Busiest hour</dt><dd>09:00 (1)</dd>');

    // Search by name or by phone digits.
    const byName = await request(app).get('/admin/dashboard').query({ q: 'dana' }).set('Cookie', cookie);
    expect(byName.text).toMatch(/<ul id="search-results"><li>[^<]*Haircut with Sam, Dana Reyes/);
    expect((await request(app).get('/admin/dashboard').query({ q: '555-0123' }).set('Cookie', cookie)).text).toContain('Dana Reyes <span class="muted">+12125550123, no_show');
    expect((await request(app).get('/admin/dashboard').query({ q: 'nobody' }).set('Cookie', cookie)).text).toContain('No appointments match.');
  });

  it('lists bookings awaiting confirmation and confirms or declines them, with the CSRF token', async () => {
    const business = webBusiness() as { services: Record<string, unknown>[] };
    business.services = business.services.map((x) => (x.id === 'haircut' ? { ...x, requiresConfirmation: true } : x));
    deps = await makeWebDeps({ env: { ADMIN_API_KEY: KEY }, business });
    deps.notifier = createNotifier(deps, { sender: null, emailSender: null });
    const { app, cookie, csrf } = await login(createApp(deps));
    const book = async (at: string, phone: string) =>
      ((await runTool(deps, 'book_appointment', { customer_name: 'Dana Reyes', customer_phone: phone, service_name: 'haircut', appointment_datetime: at }, { platform: 'test' })).result.appointment as { id: string; status: string });
    const one = await book('2026-11-24T09:00', '2125550123');
    const two = await book('2026-11-24T11:00', '2125550124');
    expect(one.status).toBe('awaiting_confirmation');
    const page = await request(app).get('/admin/dashboard').set('Cookie', cookie);
    expect(page.text).toContain('<h2 id="h-awaiting">To confirm</h2>');
    expect(page.text).toContain(`action="/admin/dashboard/appointments/${one.id}/decision"`);
    expect((await request(app).post(`/admin/dashboard/appointments/${one.id}/decision`).set('Cookie', cookie).type('form').send({ decision: 'confirmed' })).status).toBe(403);
    const yes = await request(app).post(`/admin/dashboard/appointments/${one.id}/decision`).set('Cookie', cookie).type('form').send({ decision: 'confirmed', csrf });
    expect(yes.headers.location).toBe('/admin/dashboard?done=Confirmed%3B%20the%20customer%20is%20told.');
    const no = await request(app).post(`/admin/dashboard/appointments/${two.id}/decision`).set('Cookie', cookie).type('form').send({ decision: 'declined', csrf });
    expect(no.headers.location).toContain('Declined');
    expect((await deps.store.appointments.get(one.id))?.status).toBe('confirmed');
    expect((await deps.store.appointments.get(two.id))?.status).toBe('cancelled');
    const again = await request(app).post(`/admin/dashboard/appointments/${two.id}/decision`).set('Cookie', cookie).type('form').send({ decision: 'confirmed', csrf });
    expect(again.headers.location).toContain('It%20no%20longer%20waits');
    expect((await request(app).get('/admin/dashboard').set('Cookie', cookie)).text).toContain('Nothing waits for confirmation.');
  });

  it('resends a failed message from the outbox', async () => {
    const { app, cookie, csrf } = await signedIn();
    const now = deps.clock.now();
    await deps.store.outbox.enqueue({ dedupeKey: 'sms:test', appointmentId: null, kind: 'booked', audience: 'customer', to: '+12125550123', body: 'hello', dueAt: now }, now);
    const [row] = await deps.store.outbox.claim('test', now, 60_000, 10);
    const attempt = await deps.store.outbox.beginAttempt(row!.id, 'test', now, 60_000);
    await deps.store.outbox.markFailed(row!.id, attempt!, 'provider said no', now);

    const page = await request(app).get('/admin/dashboard').set('Cookie', cookie);
    expect(page.text).toContain(`action="/admin/dashboard/outbox/${row!.id}/resend"`);
    expect(page.text).toContain('provider said no');
    const resent = await request(app).post(`/admin/dashboard/outbox/${row!.id}/resend`).set('Cookie', cookie).type('form').send({ csrf });
    expect(resent.headers.location).toBe('/admin/dashboard?done=Queued%20to%20send%20again.');
    expect((await deps.store.outbox.get(row!.id))?.status).toBe('pending');
    const again = await request(app).post(`/admin/dashboard/outbox/${row!.id}/resend`).set('Cookie', cookie).type('form').send({ csrf });
    expect(again.headers.location).toContain('Only%20a%20failed%20message');
  });

  it('shows calls handled and booked, what failed, and Google connection health', async () => {
    const { app, cookie } = await signedIn();
    const empty = await request(app).get('/admin/dashboard').set('Cookie', cookie);
    expect(empty.text).toContain('<dt>Calls the assistant handled</dt><dd>0</dd>');
    expect(empty.text).toContain('Nothing failed in the last seven days.');
    expect(empty.text).toContain('No Google Calendar is connected.');

    const args = { customer_name: 'Dana Reyes', customer_phone: '2125550123', service_name: 'haircut', appointment_datetime: '2026-11-24T09:00' };
    // Call 1 books (two tool calls, one call); call 2 only asks; call 3 books through the alias
    // a platform may use, but the time is taken; a web booking has no call id and is no call.
    expect((await runTool(deps, 'get_next_available', { service_name: 'haircut' }, { platform: 'vapi', callId: 'c1' })).result.ok).toBe(true);
    expect((await runTool(deps, 'book_appointment', args, { platform: 'vapi', callId: 'c1' })).result.ok).toBe(true);
    await runTool(deps, 'get_next_available', { service_name: 'haircut' }, { platform: 'retell', callId: 'c2' });
    expect((await runTool(deps, 'book_appointment', { ...args, customer_phone: '2125550177' }, { platform: 'vapi', callId: 'c3' })).result.code).toBe('SLOT_UNAVAILABLE');
    expect((await runTool(deps, 'book_appointment', { ...args, appointment_datetime: '2026-11-24T11:00' }, { platform: 'web' })).result.ok).toBe(true);
    // A broken agent set-up: a tool we do not have. That failed; the taken slot did not.
    expect((await runTool(deps, 'teleport_customer', {}, { platform: 'retell', callId: 'c2' })).result.code).toBe('UNKNOWN_TOOL');

    const now = deps.clock.now();
    await deps.store.outbox.enqueue({ dedupeKey: 'sms:fail', appointmentId: null, kind: 'reminder', audience: 'customer', to: '+12125550123', body: 'hello', dueAt: now }, now);
    const [row] = await deps.store.outbox.claim('test', now, 60_000, 10);
    const attempt = await deps.store.outbox.beginAttempt(row!.id, 'test', now, 60_000);
    await deps.store.outbox.markFailed(row!.id, attempt!, 'number is not reachable', now);

    await deps.store.googleConnections.save({ staffId: 'sam', refreshTokenSealed: 'sealed', scopes: 'https://www.googleapis.com/auth/calendar', accountEmail: 'sam@gmail.test', calendarId: 'primary', calendarTimeZone: null, refreshExpiresAt: null, connectedAt: now }, now);
    await deps.store.googleConnections.recordCheck('sam', { status: 'revoked', error: 'Google refused the refresh token (invalid_grant).' }, now);

    const page = await request(app).get('/admin/dashboard').set('Cookie', cookie);
    expect(page.text).toContain('<dt>Calls the assistant handled</dt><dd>3</dd>');
    expect(page.text).toContain('<dt>Calls that ended in a booking</dt><dd>1 (33%)</dd>');
    const failures = /<ul id="failures">(.*?)<\/ul>/s.exec(page.text)?.[1] ?? '';
    expect(failures).toContain(`: message ${row!.kind} by sms, failed: <span class="muted">number is not reachable</span>`);
    expect(failures).toContain('teleport_customer (retell) answered UNKNOWN_TOOL');
    expect(failures).not.toContain('SLOT_UNAVAILABLE');
    expect(failures.match(/<li>/g)).toHaveLength(2);
    const google = /<table id="google">(.*?)<\/table>/s.exec(page.text)?.[1] ?? '';
    expect(google).toContain('<td>Sam</td><td>revoked<br><span class="muted">Google refused the refresh token (invalid_grant).</span></td>');
    expect(google).not.toContain('not yet');
  });

  it('does not exist without an admin key', async () => {
    deps = await makeWebDeps();
    expect((await request(createApp(deps)).get('/admin/dashboard/login')).status).toBe(404);
  });
});
