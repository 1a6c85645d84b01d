/**
 * One business, three calendars: Sam on Google, Priya on Microsoft 365, Jordan on CalDAV, configured
 * in the business file and built by createCalendarProvider as main does. Every tool through the
 * real booking service, each provider's real client against its fake or a real Radicale.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCalendarProvider } from '../../src/calendar/index.js';
import { parseBusinessConfig } from '../../src/config/business.js';
import { parseEnv } from '../../src/config/env.js';
import { runTool } from '../../src/tools/registry.js';
import { startFakeGraph, type FakeGraph } from '../../tools/fakes/microsoft-graph.js';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fakes/google-calendar.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { radicaleMissing, startRadicale, type Radicale } from './radicale.js';

const PW = 'jordan-app-password';
let google: FakeGoogleCalendar;
let graph: FakeGraph;
let radicale: Radicale;
let deps: TestDeps;

function business() {
  const raw = JSON.parse(readFileSync('config/business.json', 'utf8'));
  const calendars: Record<string, unknown> = {
    sam: { provider: 'google', calendarId: 'sam@salon.test' },
    priya: { provider: 'microsoft', user: 'priya@salon.test' },
    jordan: { provider: 'caldav', url: radicale.url, username: 'jordan', passwordEnv: 'CALDAV_JORDAN_PASSWORD' },
  };
  raw.staff = raw.staff.map((s: { id: string }) => ({ ...s, calendar: calendars[s.id] }));
  raw.booking.maxUpcomingPerPhone = 0;
  return raw;
}

beforeAll(async () => {
  const missing = radicaleMissing();
  if (missing) throw new Error(missing);
  [google, graph, radicale] = await Promise.all([
    startFakeGoogleCalendar({ calendars: ['sam@salon.test'], calendarTimeZone: 'America/New_York' }),
    startFakeGraph({ mailboxes: ['priya@salon.test'] }),
    startRadicale({ jordan: PW }),
  ]);
  await radicale.makeCalendar('jordan', PW);
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PHONE_PER_HOUR: '0',
    GOOGLE_OAUTH_CLIENT_ID: 'c',
    GOOGLE_OAUTH_CLIENT_SECRET: 's',
    GOOGLE_OAUTH_REFRESH_TOKEN: 'r',
    GOOGLE_CALENDAR_ROOT_URL: google.url,
    GOOGLE_TOKEN_URL: google.tokenUrl,
    MICROSOFT_TENANT_ID: 'salon-tenant',
    MICROSOFT_CLIENT_ID: 'bookline-app',
    MICROSOFT_CLIENT_SECRET: 'app-secret',
    MICROSOFT_GRAPH_URL: graph.url,
    MICROSOFT_AUTHORITY_URL: graph.url,
    REMOTE_MAX_ATTEMPTS: '2',
    REMOTE_BASE_DELAY_MS: '5',
    REMOTE_BREAKER_THRESHOLD: '0',
  };
  deps = await makeTestDeps({ business: business(), env });
  const config = parseBusinessConfig(business(), 'mixed');
  deps.calendar = await createCalendarProvider(parseEnv(env), {
    store: deps.store,
    clock: deps.clock,
    logger: deps.logger,
    timeZone: 'America/New_York',
    config,
    env: { CALDAV_JORDAN_PASSWORD: PW },
  });
}, 120_000);

afterAll(async () => {
  deps?.cleanup();
  await Promise.all([google?.close(), graph?.close(), radicale?.close()]);
});

const call = async (name: string, args: Record<string, unknown>) => (await runTool(deps, name, args, { platform: 'test' })).result as Record<string, any>;
const auth = { authorization: `Basic ${Buffer.from(`jordan:${PW}`).toString('base64')}` };
async function jordanObjects(): Promise<string[]> {
  const xml = await (await fetch(radicale.calendarUrl('jordan'), { method: 'PROPFIND', headers: { ...auth, depth: '1' } })).text();
  return xml.match(/[^/<>]+\.ics(?=<\/href>)/g) ?? [];
}

describe('a business with staff on Google, Microsoft 365 and CalDAV', () => {
  it('names every provider in use', () => {
    expect(deps.calendar.name).toBe('google+microsoft+caldav');
    expect(deps.calendar.health()).toEqual({ ok: true });
  });

  it('books each staff member on their own calendar, moves on Graph, cancels on CalDAV', async () => {
    const sam = await call('book_appointment', { customer_name: 'Ann Lee', customer_phone: '+12125550101', service_name: 'haircut', staff_name: 'Sam', appointment_datetime: '2026-11-24T10:00' });
    const priya = await call('book_appointment', { customer_name: 'Bo Chen', customer_phone: '+12125550102', service_name: 'color', staff_name: 'Priya', appointment_datetime: '2026-11-24T10:00' });
    const jordan = await call('book_appointment', { customer_name: 'Cy Diaz', customer_phone: '+12125550103', service_name: 'beard trim', staff_name: 'Jordan', appointment_datetime: '2026-11-25T14:00' });
    for (const r of [sam, priya, jordan]) expect(r).toMatchObject({ ok: true });
    expect(google.events('sam@salon.test').filter((e) => e.status !== 'cancelled')).toHaveLength(1);
    expect(graph.events('priya@salon.test')).toHaveLength(1);
    expect(await jordanObjects()).toEqual([`${jordan.appointment.id}.ics`]);

    const moved = await call('reschedule_appointment', { customer_phone: '+12125550102', new_datetime: '2026-11-25T14:00' });
    expect(moved).toMatchObject({ ok: true });
    const [ev] = graph.events('priya@salon.test');
    // Color has 15 minutes of buffer before: the entry starts at 13:45.
    expect(ev!.start).toEqual({ dateTime: '2026-11-25T13:45:00', timeZone: 'America/New_York' });

    expect(await call('cancel_appointment', { customer_phone: '+12125550103' })).toMatchObject({ ok: true });
    expect(await jordanObjects()).toEqual([]);
  });

  it('sees each staff member\'s own events as busy, whichever calendar they live in', async () => {
    const day = '2026-12-02'; // a Wednesday, when all three work
    const noonUtc = Date.parse(`${day}T19:00:00Z`);
    google.addEvent('sam@salon.test', { start: { dateTime: new Date(noonUtc).toISOString() }, end: { dateTime: new Date(noonUtc + 3_600_000).toISOString() }, summary: 'lunch' });
    graph.addEvent('priya@salon.test', { start: { dateTime: `${day}T14:00:00`, timeZone: 'America/New_York' }, end: { dateTime: `${day}T15:00:00`, timeZone: 'America/New_York' } });
    const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Phone//EN', 'BEGIN:VEVENT', 'UID:lunch@phone.test', 'DTSTAMP:20261101T000000Z', 'DTSTART:20261202T190000Z', 'DTEND:20261202T200000Z', 'SUMMARY:Lunch', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    expect(await radicale.put('jordan', PW, radicale.calendarUrl('jordan'), 'lunch.ics', ics)).toBe(201);
    for (const [staff, service] of [['Sam', 'haircut'], ['Priya', 'color'], ['Jordan', 'beard trim']] as const) {
      const r = await call('book_appointment', { customer_name: 'Dee Eve', customer_phone: '+12125550104', service_name: service, staff_name: staff, appointment_datetime: `${day}T14:00` });
      expect(r, staff).toMatchObject({ ok: false, code: 'SLOT_UNAVAILABLE' });
    }
  });

  it('costs Graph one getSchedule and one create per booking, with the token reused', async () => {
    const before = graph.counts();
    const r = await call('book_appointment', { customer_name: 'Hal Ito', customer_phone: '+12125550106', service_name: 'color', staff_name: 'Priya', appointment_datetime: '2026-12-05T10:00' });
    expect(r).toMatchObject({ ok: true });
    const after = graph.counts();
    const delta = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]).filter(([, n]) => n !== 0));
    expect(delta).toEqual({ getSchedule: 1, create: 1, total: 2 });
  });

  it('gives one slot to exactly one of eight callers racing for it on Microsoft 365', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call('book_appointment', { customer_name: `Racer ${i}`, customer_phone: `+1212555020${i}`, service_name: 'color', staff_name: 'Priya', appointment_datetime: '2026-12-04T10:00' }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(graph.events('priya@salon.test').filter((e) => e.start.dateTime.startsWith('2026-12-04'))).toHaveLength(1);
  });

  it('keeps Google and CalDAV staff bookable while Microsoft 365 is down', async () => {
    graph.inject('*', { status: 503 }, 10_000);
    try {
      const priya = await call('book_appointment', { customer_name: 'Fay Gu', customer_phone: '+12125550105', service_name: 'color', staff_name: 'Priya', appointment_datetime: '2026-12-03T14:00' });
      expect(priya).toMatchObject({ ok: false, code: 'CALENDAR_UNAVAILABLE' });
      const anyone = await call('book_appointment', { customer_name: 'Fay Gu', customer_phone: '+12125550105', service_name: 'color', appointment_datetime: '2026-12-03T14:00' });
      expect(anyone, JSON.stringify(anyone)).toMatchObject({ ok: true, appointment: { staff: { id: 'jordan' } } });
      const health = deps.calendar.health();
      expect(health.ok).toBe(true);
    } finally {
      graph.clearFaults();
    }
  });
});
