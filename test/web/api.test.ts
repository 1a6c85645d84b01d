import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { msg } from '../../src/domain/messages.js';
import { createNotifier } from '../../src/notifications/index.js';
import { renderVoice } from '../../src/render/voice.js';
import { renderWeb } from '../../src/render/web.js';
import { voiceContext } from '../../src/tools/outcome.js';
import { webContext } from '../../src/web/api.js';
import { signLink, verifyLink } from '../../src/web/links.js';
import { local, type TestDeps } from '../helpers.js';
import { countAppointments } from '../support/store.js';
import { CUSTOMER, LINK_SECRET, makeWebDeps, ORIGIN } from './setup.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const TUE_9 = local('2026-11-24T09:00');

function booking(start: number | string, extra: Record<string, unknown> = {}) {
  return { service: 'haircut', start: typeof start === 'number' ? new Date(start).toISOString() : start, ...CUSTOMER, tz: 'America/Los_Angeles', ...extra };
}

describe('web renderer', () => {
  it('words the same message for a page, with its instants as ISO plus business and visitor local parts', async () => {
    deps = await makeWebDeps();
    const m = msg('SLOT_UNAVAILABLE', { requested: TUE_9, alternatives: [TUE_9 + 3_600_000], staff: undefined });
    const web = renderWeb(m, webContext(deps, 'Asia/Tokyo'));
    expect(web.code).toBe('SLOT_UNAVAILABLE');
    expect(web.text).toBe('That time was just taken. Nearest times:');
    expect(web.params).toMatchObject({
      requested: { iso: '2026-11-24T14:00:00.000Z', business: { date: '2026-11-24', time: '09:00', weekday: 2 }, visitor: { date: '2026-11-24', time: '23:00' } },
      alternatives: [{ iso: '2026-11-24T15:00:00.000Z', visitor: { date: '2026-11-25', time: '00:00', weekday: 3 } }],
    });
    // The voice sentence for the same message is the one callers already hear.
    expect(renderVoice(m, voiceContext(deps))).toMatch(/^Tuesday, November 24 at 9 AM isn't available\. How about /);
    const booked = renderWeb(msg('BOOKED', { service: 'Haircut', staff: 'Sam', start: TUE_9, customer: 'Dana' }), webContext(deps, 'America/Los_Angeles'));
    expect(booked.text).toBe('Booked: Haircut with Sam, Tue, Nov 24, 6:00 AM (Los Angeles).');
  });
});

describe('GET /api/availability', () => {
  it('groups slots by the visitor’s local date and gives each slot in both zones', async () => {
    deps = await makeWebDeps();
    const res = await request(createApp(deps)).get('/api/availability').query({ service: 'haircut', from: '2026-11-24', to: '2026-11-25', tz: 'Asia/Tokyo' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, zone: 'America/New_York', visitorZone: 'Asia/Tokyo', service: { id: 'haircut', minutes: 45 } });
    const days = res.body.days as { date: string; slots: { iso: string; business: { date: string; time: string }; visitor: { date: string; time: string } }[] }[];
    // 09:00 New York on Tuesday is 23:00 Tuesday in Tokyo: Tuesday's opening hours span two Tokyo dates.
    expect(days[0]!.date).toBe('2026-11-24');
    expect(days[0]!.slots[0]).toMatchObject({ iso: '2026-11-24T14:00:00.000Z', business: { date: '2026-11-24', time: '09:00' }, visitor: { date: '2026-11-24', time: '23:00' } });
    expect(days[1]!.date).toBe('2026-11-25');
    expect(days[1]!.slots.some((s) => s.business.date === '2026-11-24')).toBe(true);
    for (const d of days) for (const s of d.slots) expect(s.visitor.date).toBe(d.date);
    expect(Object.keys(res.body.businessDays)).toContain('2026-11-24');
    expect(res.body.count).toBe(days.reduce((n, d) => n + d.slots.length, 0));
  });

  it('answers our own short text for bad input, never a 500', async () => {
    deps = await makeWebDeps();
    const app = createApp(deps);
    const noService = await request(app).get('/api/availability');
    expect(noService.status).toBe(400);
    expect(noService.body).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', reason: 'ARG_MISSING', message: 'Service is required.' });
    const unknown = await request(app).get('/api/availability').query({ service: 'tattoo' });
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ code: 'UNKNOWN_SERVICE', message: 'That service is not offered.' });
    const badDate = await request(app).get('/api/availability').query({ service: 'haircut', from: '2026-02-30' });
    expect(badDate.body).toMatchObject({ code: 'INVALID_ARGUMENT', reason: 'BAD_DATE', message: 'From is not a date.' });
    const badZone = await request(app).get('/api/availability').query({ service: 'haircut', tz: 'Mars/Olympus' });
    expect(badZone.status).toBe(400);
    expect(badZone.body.message).toBe('Unknown time zone.');
    const tooWide = await request(app).get('/api/availability').query({ service: 'haircut', from: '2026-11-24', to: '2027-03-01' });
    expect(tooWide.status).toBe(400);
    const closed = await request(app).get('/api/availability').query({ service: 'haircut', from: '2026-11-26', to: '2026-11-26' });
    expect(closed.body).toMatchObject({ ok: true, count: 0, reason: 'NO_SLOTS', message: 'No times available.' });
  });
});

describe('CORS, widget key and rate limit', () => {
  it('lets only the business’s allowed origins call, and answers their preflight', async () => {
    deps = await makeWebDeps();
    const app = createApp(deps);
    const ok = await request(app).get('/api/config').set('Origin', ORIGIN);
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(ok.headers.vary).toMatch(/Origin/);
    const pre = await request(app).options('/api/bookings').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'POST');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toMatch(/Idempotency-Key/);
    const evil = await request(app).get('/api/config').set('Origin', 'https://evil.example');
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(evil.body).toMatchObject({ ok: false, code: 'ORIGIN_NOT_ALLOWED' });
    const evilPost = await request(app).post('/api/bookings').set('Origin', 'https://evil.example').set('Idempotency-Key', 'k1').send(booking(TUE_9));
    expect(evilPost.status).toBe(403);
    expect(await countAppointments(deps.store)).toBe(0);
  });

  it('asks for the public widget key when the business set one', async () => {
    deps = await makeWebDeps({ web: { widgetKey: 'pk_maple_123' } });
    const app = createApp(deps);
    expect((await request(app).get('/api/config')).status).toBe(401);
    expect((await request(app).get('/api/config').set('X-Widget-Key', 'wrong-key')).body.code).toBe('WIDGET_KEY');
    expect((await request(app).get('/api/config').set('X-Widget-Key', 'pk_maple_123')).status).toBe(200);
    expect((await request(app).get('/api/config').query({ key: 'pk_maple_123' })).status).toBe(200);
    // The widget page carries it to its own requests.
    const page = await request(app).get('/widget');
    expect(page.text).toContain('"key":"pk_maple_123"');
  });

  it('limits requests per client address through the store’s rate-limit counters', async () => {
    deps = await makeWebDeps({ web: { requestsPerMinute: 3 } });
    const app = createApp(deps);
    for (let i = 0; i < 3; i++) expect((await request(app).get('/api/config')).status).toBe(200);
    const limited = await request(app).get('/api/config');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.body).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    deps.clock.advance(61_000);
    expect((await request(app).get('/api/config')).status).toBe(200);
  });
});

describe('POST /api/bookings', () => {
  it('books through the tool path, replays the same key once, and answers 409 with the nearest times when taken', async () => {
    deps = await makeWebDeps();
    const app = createApp(deps);
    const first = await request(app).post('/api/bookings').set('Idempotency-Key', 'web-1').send(booking(TUE_9));
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ ok: true, reason: 'BOOKED', message: 'Booked: Haircut with Sam, Tue, Nov 24, 6:00 AM (Los Angeles).' });
    expect(first.body.appointment).toMatchObject({ service: { id: 'haircut' }, staff: { id: 'sam' }, start: { iso: '2026-11-24T14:00:00.000Z', visitor: { time: '06:00' } } });
    expect(first.body.manageUrl).toMatch(/^https:\/\/book\.example\.com\/a\/[\w-]+\.[\w-]+$/);
    const stored = await deps.store.appointments.get(first.body.appointment.id);
    expect(stored).toMatchObject({ start: TUE_9, customerPhone: '+12125550123', source: 'web' });

    const replay = await request(app).post('/api/bookings').set('Idempotency-Key', 'web-1').send(booking(TUE_9));
    expect(replay.status).toBe(201);
    expect(replay.body.appointment.id).toBe(first.body.appointment.id);
    expect(await countAppointments(deps.store)).toBe(1);

    const taken = await request(app).post('/api/bookings').set('Idempotency-Key', 'web-2').send(booking(TUE_9, { name: 'Lee Park', phone: '2125550177', email: undefined }));
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ ok: false, code: 'SLOT_UNAVAILABLE', message: 'That time was just taken. Nearest times:' });
    expect(taken.body.alternatives.length).toBeGreaterThan(0);
    for (const a of taken.body.alternatives) expect(a.iso).not.toBe('2026-11-24T14:00:00.000Z');
    expect(await countAppointments(deps.store)).toBe(1);
  });

  it('refuses what the rules refuse, with the field named in our words', async () => {
    deps = await makeWebDeps();
    const app = createApp(deps);
    const post = (body: unknown, key = `k${Math.random()}`) => request(app).post('/api/bookings').set('Idempotency-Key', key).send(body as object);
    expect((await post(booking(TUE_9, { phone: undefined }))).body).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'Phone is required.', params: { field: 'customer_phone' } });
    expect((await post(booking(TUE_9, { phone: '12' }))).body).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'Please enter a full phone number.' });
    expect((await post(booking(TUE_9, { email: 'not-an-email' }))).body).toMatchObject({ message: 'E-mail is not valid.' });
    const soon = await post(booking(local('2026-11-23T09:00')));
    expect(soon.status).toBe(409);
    expect(soon.body).toMatchObject({ code: 'TOO_SOON', message: 'Too soon: we need 2 hours notice. Nearest times:' });
    expect(soon.body.alternatives[0].iso).toBe('2026-11-24T14:00:00.000Z');
    const missingKey = await request(app).post('/api/bookings').send(booking(TUE_9));
    expect(missingKey.status).toBe(400);
    const garbage = await request(app).post('/api/bookings').set('Idempotency-Key', 'g').set('Content-Type', 'application/json').send('{"name":');
    expect(garbage.status).toBe(400);
    expect(garbage.body.message).toBe('The request body is not valid JSON.');
    expect(await countAppointments(deps.store)).toBe(0);
  });
});

describe('self-service links', () => {
  it('are signed for one appointment of one business and stop at its end', () => {
    const t = signLink(LINK_SECRET, { b: 'biz1', a: 'apt_1', e: 1000 });
    expect(verifyLink(LINK_SECRET, t, 'biz1', 999)).toMatchObject({ a: 'apt_1', p: 'manage' });
    expect(verifyLink(LINK_SECRET, t, 'biz1', 1000)).toBeUndefined();
    expect(verifyLink(LINK_SECRET, t, 'biz2', 999)).toBeUndefined();
    expect(verifyLink('another-secret-another-secret-123456', t, 'biz1', 999)).toBeUndefined();
    const [body, sig] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ b: 'biz1', a: 'apt_2', e: 1000, p: 'manage' })).toString('base64url');
    expect(verifyLink(LINK_SECRET, `${forged}.${sig}`, 'biz1', 999)).toBeUndefined();
    expect(verifyLink(LINK_SECRET, `${body}.${sig}x`, 'biz1', 999)).toBeUndefined();
  });

  it('show, move and cancel only the appointment they name, under the same notice rule', async () => {
    deps = await makeWebDeps();
    const app = createApp(deps);
    const made = await request(app).post('/api/bookings').set('Idempotency-Key', 'm1').send(booking(TUE_9));
    const other = await request(app).post('/api/bookings').set('Idempotency-Key', 'm2').send(booking(local('2026-11-25T10:00')));
    const token = (made.body.manageUrl as string).split('/a/')[1]!;
    const seen = await request(app).get(`/api/manage/${token}`);
    expect(seen.body).toMatchObject({ ok: true, changeable: true, appointment: { id: made.body.appointment.id, start: { iso: '2026-11-24T14:00:00.000Z' } } });
    expect(JSON.stringify(seen.body)).not.toContain(other.body.appointment.id);
    expect(JSON.stringify(seen.body)).not.toContain('2125550123');

    const moved = await request(app).post(`/api/manage/${token}/move`).send({ start: new Date(local('2026-11-24T11:00')).toISOString(), tz: 'America/New_York' });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ ok: true, reason: 'MOVED', message: 'Moved: Haircut is now Tue, Nov 24, 11:00 AM.' });
    expect((await deps.store.appointments.get(made.body.appointment.id))?.start).toBe(local('2026-11-24T11:00'));
    // The other appointment is untouched.
    expect((await deps.store.appointments.get(other.body.appointment.id))?.status).toBe('confirmed');

    const cancelled = await request(app).post(`/api/manage/${token}/cancel`).send({});
    expect(cancelled.body).toMatchObject({ ok: true, reason: 'CANCELLED' });
    expect((await deps.store.appointments.get(made.body.appointment.id))?.status).toBe('cancelled');
    expect((await deps.store.appointments.get(other.body.appointment.id))?.status).toBe('confirmed');

    // Inside the cancellation notice (240 min): the same refusal the phone gives, in web words.
    const otherToken = (other.body.manageUrl as string).split('/a/')[1]!;
    deps.clock.set(local('2026-11-25T07:00'));
    const late = await request(app).post(`/api/manage/${otherToken}/cancel`).send({});
    expect(late.body).toMatchObject({ ok: false, code: 'CANCELLATION_WINDOW', message: 'Changes need 4 hours notice. Please call (212) 555-0100.' });
    expect((await request(app).get(`/api/manage/${otherToken}`)).body.changeable).toBe(false);

    expect((await request(app).get('/api/manage/not-a-token')).status).toBe(404);
    expect((await request(app).get(`/api/manage/${token}x`)).body).toMatchObject({ code: 'LINK_INVALID' });
    expect((await request(app).get(`/a/${otherToken}`)).text).toContain('"mode":"manage"');
  });

  it('go into the confirmation and reminder texts and e-mails when PUBLIC_BASE_URL is set', async () => {
    deps = await makeWebDeps();
    deps.notifier = createNotifier(deps, { sender: null, emailSender: null });
    const made = await request(createApp(deps)).post('/api/bookings').set('Idempotency-Key', 'n1').send(booking(TUE_9));
    const url = made.body.manageUrl as string;
    const rows = await deps.store.outbox.forAppointment(made.body.appointment.id);
    const customer = rows.filter((r) => r.audience === 'customer');
    expect(customer.map((r) => `${r.kind}:${r.channel}`).sort()).toEqual(['booked:email', 'booked:sms', 'reminder:sms', 'reminder:sms']);
    for (const r of customer) expect(r.body).toContain(`To cancel or change: ${url}`);

    // Without a public address there is no link to send: the phone number is offered as before.
    const local2 = await makeWebDeps({ env: { PUBLIC_BASE_URL: '' } });
    try {
      local2.notifier = createNotifier(local2, { sender: null, emailSender: null });
      const b = await request(createApp(local2)).post('/api/bookings').set('Idempotency-Key', 'n2').send(booking(TUE_9));
      const sms = (await local2.store.outbox.forAppointment(b.body.appointment.id)).find((r) => r.kind === 'booked' && r.channel === 'sms');
      expect(sms?.body).toContain('To cancel or change, call (212) 555-0100.');
      expect(sms?.body).not.toContain('/a/');
    } finally {
      await local2.cleanup();
    }
  });
});
