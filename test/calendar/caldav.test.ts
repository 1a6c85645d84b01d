/**
 * CalDAV specifics beyond the conformance suite, against a real Radicale: discovery of a named
 * calendar, recurring events, ETag conflicts on moves, a foreign resource under our name, and a
 * refused password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CalDavCalendarProvider, busyFromICalendar, type CalDavAccount } from '../../src/calendar/caldav.js';
import type { CalendarEventInput } from '../../src/calendar/provider.js';
import { CalendarUnavailableError } from '../../src/domain/errors.js';
import { createRemotePolicy } from '../../src/resilience/policy.js';
import { radicaleMissing, startRadicale, type Radicale } from './radicale.js';
import { HOUR, MIN, TZ } from './subjects.js';

const PW = 'app-specific-pw';
let radicale: Radicale;
let provider: CalDavCalendarProvider;
const accounts = new Map<string, CalDavAccount>();

beforeAll(async () => {
  const missing = radicaleMissing();
  if (missing) throw new Error(missing);
  radicale = await startRadicale({ jordan: PW });
  await radicale.makeCalendar('jordan', PW, 'personal');
  await radicale.makeCalendar('jordan', PW, 'work');
  accounts.set('jordan-work', { url: radicale.url, username: 'jordan', password: PW, calendar: 'work' });
  accounts.set('jordan-wrong', { url: radicale.url, username: 'jordan', password: 'wrong' });
  accounts.set('jordan-missing', { url: radicale.url, username: 'jordan', password: PW, calendar: 'holidays' });
  provider = new CalDavCalendarProvider({
    accounts,
    policy: createRemotePolicy({ name: 'caldav', maxAttempts: 2, baseDelayMs: 5, breaker: false, random: () => 0.5 }),
    timeZone: TZ,
  });
}, 120_000);
afterAll(async () => {
  await radicale?.close();
});

const T0 = Date.parse('2026-11-24T15:00:00Z');
function booking(id: string, start: number): CalendarEventInput {
  return { appointmentId: id, calendarId: 'jordan-work', start, end: start + 45 * MIN, blockStart: start, blockEnd: start + HOUR, summary: 'Color, Jane; "VIP"', description: 'Notes: allergic to ammonia,\nprefers mornings', timeZone: TZ, customerPhone: '+12125550123', serviceId: 'color' };
}

describe('CalDAV provider on Radicale', () => {
  it('writes into the calendar named in the configuration, not the first one', async () => {
    const { eventId } = await provider.createEvent(booking('apt_cd_named', T0));
    expect(eventId).toBe(`${radicale.calendarUrl('jordan', 'work')}apt_cd_named.ics`);
    const res = await fetch(eventId, { headers: { authorization: `Basic ${Buffer.from(`jordan:${PW}`).toString('base64')}` } });
    const ics = await res.text();
    // Text survives escaping (commas, semicolons, quotes, new lines) as a calendar app reads it.
    expect(ics).toContain('SUMMARY:Color\\, Jane\\; "VIP"');
    expect(ics).toContain('UID:apt_cd_named@bookline');
  });

  it('blocks every occurrence of a recurring event in the range, in local time across DST', async () => {
    const ics = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Phone//EN',
      'BEGIN:VEVENT', 'UID:weekly-standup@phone.test', 'DTSTAMP:20260101T000000Z',
      'DTSTART;TZID=America/New_York:20270301T090000', 'DTEND;TZID=America/New_York:20270301T093000',
      'RRULE:FREQ=WEEKLY;COUNT=4', 'SUMMARY:Standup', 'END:VEVENT', 'END:VCALENDAR', '',
    ].join('\r\n');
    const busy = busyFromICalendar(ics, { start: Date.parse('2027-03-01T00:00:00Z'), end: Date.parse('2027-04-01T00:00:00Z') }, TZ);
    // 09:00 EST is 14:00Z until March 14, 09:00 EDT is 13:00Z after.
    expect(busy.map((b) => new Date(b.start).toISOString())).toEqual(['2027-03-01T14:00:00.000Z', '2027-03-08T14:00:00.000Z', '2027-03-15T13:00:00.000Z', '2027-03-22T13:00:00.000Z']);
  });

  it('moves with If-Match and re-reads when someone edited the entry in between', async () => {
    const input = booking('apt_cd_edit', T0 + 24 * HOUR);
    const { eventId } = await provider.createEvent(input);
    // The staff member edits the entry on their phone (new ETag) while our move is being prepared.
    const auth = { authorization: `Basic ${Buffer.from(`jordan:${PW}`).toString('base64')}` };
    const current = await (await fetch(eventId, { headers: auth })).text();
    const edited = current.replace(/SUMMARY:[^\r\n]*/, 'SUMMARY:Color (edited on phone)');
    expect((await fetch(eventId, { method: 'PUT', headers: { ...auth, 'content-type': 'text/calendar' }, body: edited })).status).toBeLessThan(300);
    const to = T0 + 26 * HOUR;
    await provider.moveEvent('jordan-work', eventId, { start: to, end: to + 45 * MIN, blockStart: to, blockEnd: to + HOUR });
    const after = await (await fetch(eventId, { headers: auth })).text();
    expect(after).toContain('SUMMARY:Color (edited on phone)');
    const fb = await provider.freeBusy(['jordan-work'], { start: T0 + 23 * HOUR, end: T0 + 30 * HOUR });
    expect(fb.busy.get('jordan-work')).toEqual([{ start: to, end: to + HOUR }]);
  });

  it('refuses to adopt a resource under our name that holds someone else\'s event', async () => {
    const foreign = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Other//EN', 'BEGIN:VEVENT', 'UID:not-ours@other.test', 'DTSTAMP:20260101T000000Z', 'DTSTART:20261125T150000Z', 'DTEND:20261125T160000Z', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    expect(await radicale.put('jordan', PW, radicale.calendarUrl('jordan', 'work'), 'apt_cd_taken.ics', foreign)).toBe(201);
    await expect(provider.createEvent(booking('apt_cd_taken', T0 + 48 * HOUR))).rejects.toBeInstanceOf(CalendarUnavailableError);
  });

  it('reports a refused password and a missing calendar per account, without failing the others', async () => {
    const range = { start: T0, end: T0 + HOUR };
    const fb = await provider.freeBusy(['jordan-work', 'jordan-wrong', 'jordan-missing'], range);
    expect(fb.errors.get('jordan-wrong')).toBe('HTTP 401');
    expect(fb.errors.get('jordan-missing')).toMatch(/no calendar named "holidays"/);
    expect(fb.busy.get('jordan-work')).toEqual([{ start: T0, end: T0 + HOUR }]);
    const health = provider.health();
    expect(health.ok).toBe(true);
    expect(health.detail).toMatch(/refused the credentials of jordan.*app-specific password/);
  });
});
