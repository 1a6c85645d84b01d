/**
 * Graph specifics beyond the conformance suite: getSchedule chunking, the per-mailbox concurrency
 * limit, Retry-After through the one policy, the token flow of msal-node, and credentials refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildGraphClient, MicrosoftCalendarProvider, microsoftSettingsFromEnv } from '../../src/calendar/microsoft.js';
import type { CalendarEventInput } from '../../src/calendar/provider.js';
import { CalendarUnavailableError } from '../../src/domain/errors.js';
import { createRemotePolicy, type RemotePolicyOptions } from '../../src/resilience/policy.js';
import { startFakeGraph, type FakeGraph, type FakeGraphOptions } from '../../tools/fakes/microsoft-graph.js';
import { HOUR, MIN, TZ } from './subjects.js';

const T0 = Date.parse('2026-11-24T14:00:00Z');
let fake: FakeGraph | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(o: { fake?: FakeGraphOptions; policy?: Partial<RemotePolicyOptions>; secret?: string } = {}) {
  fake = await startFakeGraph(o.fake);
  const settings = microsoftSettingsFromEnv({
    MICROSOFT_TENANT_ID: 'salon-tenant',
    MICROSOFT_CLIENT_ID: 'bookline-app',
    MICROSOFT_CLIENT_SECRET: o.secret ?? 'app-secret',
    MICROSOFT_GRAPH_URL: fake.url,
    MICROSOFT_AUTHORITY_URL: fake.url,
  });
  const policy = createRemotePolicy({ name: 'microsoft-graph', maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20, retryAfterCapMs: 30, breaker: false, random: () => 0.5, ...o.policy });
  return { fake, provider: new MicrosoftCalendarProvider({ client: buildGraphClient(settings), policy, timeZone: TZ }) };
}

function booking(calendarId: string, i: number): CalendarEventInput {
  const start = T0 + i * HOUR;
  return { appointmentId: `apt_ms${String(i).padStart(6, '0')}`, calendarId, start, end: start + 45 * MIN, blockStart: start, blockEnd: start + HOUR, summary: 'Haircut', description: '', timeZone: TZ, customerPhone: '+12125550123', serviceId: 'haircut' };
}

describe('Microsoft Graph provider', () => {
  it('asks getSchedule for at most 20 mailboxes and under 42 days per call, and merges the answers', async () => {
    const mailboxes = Array.from({ length: 45 }, (_, i) => `staff${i}@salon.test`);
    const { fake, provider } = await setup({ fake: { mailboxes } });
    fake.addEvent(mailboxes[44]!, { start: { dateTime: '2026-12-30T10:00:00', timeZone: TZ }, end: { dateTime: '2026-12-30T11:00:00', timeZone: TZ } });
    const fb = await provider.freeBusy(mailboxes, { start: T0, end: T0 + 60 * 24 * HOUR });
    // 3 chunks (20, 20, 5) x 2 windows (41 days, 19 days); the fake answers 400 beyond either limit.
    expect(fake.counts().getSchedule).toBe(6);
    expect(fb.errors.size).toBe(0);
    expect(fb.busy.get(mailboxes[44]!)).toEqual([{ start: Date.parse('2026-12-30T15:00:00Z'), end: Date.parse('2026-12-30T16:00:00Z') }]);
    expect(fb.busy.get(mailboxes[0]!)).toEqual([]);
  });

  it('keeps at most 4 requests in flight per mailbox, so 12 bookings at once never meet MailboxConcurrency', async () => {
    const { fake, provider } = await setup({ fake: { mailboxes: ['priya@salon.test', 'sam@salon.test'], latencyMs: 30 } });
    await Promise.all(Array.from({ length: 12 }, (_, i) => provider.createEvent(booking('priya@salon.test', i))));
    expect(fake.peakConcurrency('priya@salon.test')).toBe(4);
    expect(fake.events('priya@salon.test')).toHaveLength(12);
    // A retried 429 would show up as more creates than bookings.
    expect(fake.counts().create).toBe(12);
  });

  it('waits out a 429 with Retry-After and retries, through the policy only (the Graph client does not retry)', async () => {
    const { fake, provider } = await setup({ fake: { mailboxes: ['priya@salon.test'] }, policy: { maxAttempts: 2 } });
    fake.inject('create', { status: 429, retryAfterSec: 1 }, 1);
    await provider.createEvent(booking('priya@salon.test', 1));
    expect(fake.counts().create).toBe(2);
    // Two 503s with two attempts allowed: exactly two requests, then CalendarUnavailableError.
    fake.inject('getSchedule', { status: 503 }, 2);
    await expect(provider.freeBusy(['priya@salon.test'], { start: T0, end: T0 + HOUR })).rejects.toBeInstanceOf(CalendarUnavailableError);
    expect(fake.counts().getSchedule).toBe(2);
  });

  it('gets an app token by client credentials and sends it as a bearer token to plain http', async () => {
    const { fake, provider } = await setup({ fake: { mailboxes: ['priya@salon.test'] } });
    await provider.freeBusy(['priya@salon.test'], { start: T0, end: T0 + HOUR });
    await provider.createEvent(booking('priya@salon.test', 2));
    // The fake refuses requests without a token it issued, so both calls prove the header was sent.
    expect(fake.tokenGrants()).toEqual([{ clientId: 'bookline-app', scope: 'https://graph.microsoft.com/.default', tenant: 'salon-tenant' }]);
  });

  it('fetches a new token once when Graph refuses the cached one (revoked before it expired)', async () => {
    const { fake, provider } = await setup({ fake: { mailboxes: ['priya@salon.test'] } });
    await provider.freeBusy(['priya@salon.test'], { start: T0, end: T0 + HOUR });
    fake.revokeTokens();
    await provider.createEvent(booking('priya@salon.test', 3));
    expect(fake.tokenGrants()).toHaveLength(2);
    expect(fake.events('priya@salon.test')).toHaveLength(1);
    expect(provider.health()).toEqual({ ok: true });
  });

  it('reports refused app credentials in health, in words an operator can act on', async () => {
    const { provider } = await setup({ fake: { mailboxes: ['priya@salon.test'] }, secret: 'wrong' });
    await expect(provider.freeBusy(['priya@salon.test'], { start: T0, end: T0 + HOUR })).rejects.toBeInstanceOf(CalendarUnavailableError);
    const health = provider.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/MICROSOFT_CLIENT_SECRET/);
  });

  it('names the missing settings when Microsoft is configured without credentials', () => {
    expect(() => microsoftSettingsFromEnv({ MICROSOFT_TENANT_ID: 't' })).toThrow(/MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET/);
  });

  it('lists events with calendarView across pages', async () => {
    const { fake, provider } = await setup({ fake: { mailboxes: ['priya@salon.test'] } });
    for (let i = 0; i < 130; i++) {
      fake.addEvent('priya@salon.test', { start: { dateTime: new Date(T0 + i * HOUR).toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: new Date(T0 + i * HOUR + 30 * MIN).toISOString().slice(0, 19), timeZone: 'UTC' }, subject: `e${i}` });
    }
    const events = await provider.listEvents('priya@salon.test', { start: T0, end: T0 + 200 * HOUR });
    expect(events).toHaveLength(130);
    expect(events[129]).toMatchObject({ subject: 'e129', start: T0 + 129 * HOUR });
    expect(fake.counts().calendarView).toBe(2);
  });
});
