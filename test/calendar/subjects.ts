/**
 * Every calendar provider behind one test surface, each against its real client library and a real
 * or faithful server: the embedded calendar on a SQLite file, Google through @googleapis/calendar
 * against the Google fake, Microsoft 365 through msal-node + the Graph client against the Graph
 * fake, CalDAV through tsdav against a real Radicale.
 *
 * `addForeign` writes an event the way the staff member's own calendar app would (directly on the
 * server, in its own format), so busy time is checked against what real calendars contain.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { buildGoogleCalendarClient } from '../../src/calendar/google-client.js';
import { CalDavCalendarProvider } from '../../src/calendar/caldav.js';
import { CleanupCalendar, type OrphanEvent } from '../../src/calendar/cleanup.js';
import { EmbeddedCalendar } from '../../src/calendar/embedded.js';
import { GoogleCalendarProvider } from '../../src/calendar/google.js';
import { buildGraphClient, MicrosoftCalendarProvider, microsoftSettingsFromEnv } from '../../src/calendar/microsoft.js';
import type { CalendarAdapter } from '../../src/calendar/provider.js';
import { createRemotePolicy, type RemotePolicyOptions } from '../../src/resilience/policy.js';
import { openStore } from '../../src/store/index.js';
import { startFakeGraph, type FakeGraph } from '../../tools/fakes/microsoft-graph.js';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fakes/google-calendar.js';
import { startFaultProxy, startRadicale, type Radicale } from './radicale.js';

export const TZ = 'America/New_York';
export const HOUR = 3_600_000;
export const MIN = 60_000;

export type ForeignEvent =
  | { kind: 'timed'; start: number; end: number; transparent?: boolean; cancelled?: boolean; tentative?: boolean }
  /** Wall times in `zone`, as a calendar app writes an event created in that zone. */
  | { kind: 'local'; start: string; end: string; zone: string }
  /** All-day, [date, endDate) in the calendar's own zone. */
  | { kind: 'allday'; date: string; endDate: string };

export type Fault = 'throttled' | 'server-error' | 'lost-answer';

export interface Subject {
  name: string;
  provider: CleanupCalendar;
  adapter: CalendarAdapter;
  /** Two staff calendars on this provider. */
  calendars: [string, string];
  /** A calendar id this provider cannot read. */
  unreadable: string;
  orphans: OrphanEvent[];
  /** What `addForeign` can express on this provider; the embedded calendar only holds Bookline's own events. */
  foreign: boolean;
  addForeign(calendarId: string, ev: ForeignEvent): Promise<void>;
  /** Live (not cancelled) events on the server for this calendar. */
  liveCount(calendarId: string): Promise<number>;
  /** The next `times` requests fail this way; undefined when the server cannot be made to. */
  inject?(fault: Fault, times: number, op: 'create' | 'read'): void;
  /** The server goes away until `restore`. */
  outage(): Promise<{ restore(): Promise<void> }>;
  close(): Promise<void>;
}

const fastPolicy = (name: string, over: Partial<RemotePolicyOptions> = {}) =>
  createRemotePolicy({ name, maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, retryAfterCapMs: 50, attemptTimeoutMs: 3_000, breaker: false, random: () => 0.5, ...over });

function wrap(adapter: CalendarAdapter) {
  const orphans: OrphanEvent[] = [];
  return { orphans, provider: new CleanupCalendar(adapter, { delayMs: 0, timeoutMs: 3_000, onOrphan: (o) => orphans.push(o) }) };
}

export async function embeddedSubject(): Promise<Subject> {
  const root = await openStore({ path: join(mkdtempSync(join(tmpdir(), 'bookline-conf-')), 'cal.db') });
  const store = root.forBusiness('conformance');
  const adapter = new EmbeddedCalendar(store.calendarEvents, () => Date.now());
  const { provider, orphans } = wrap(adapter);
  return {
    name: 'embedded',
    provider,
    adapter,
    calendars: ['sam', 'priya'],
    unreadable: '',
    orphans,
    foreign: false,
    addForeign: async () => {
      throw new Error('the embedded calendar holds only Bookline events');
    },
    liveCount: async (cal) => (await store.calendarEvents.busy([cal], Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)).get(cal)!.length,
    outage: async () => {
      throw new Error('the embedded calendar has no server');
    },
    close: () => root.close(),
  };
}

export async function googleSubject(): Promise<Subject> {
  const calendars: [string, string] = ['sam@salon.test', 'priya@salon.test'];
  const fake: FakeGoogleCalendar = await startFakeGoogleCalendar({ calendars: [...calendars], calendarTimeZone: TZ });
  const client = buildGoogleCalendarClient({ auth: { kind: 'oauth', clientId: 'c', clientSecret: 's', refreshToken: 'r' }, rootUrl: fake.url, tokenUrl: fake.tokenUrl });
  const adapter = new GoogleCalendarProvider({ client, policy: fastPolicy('google-calendar'), timeZone: TZ, sendUpdates: 'none' });
  const { provider, orphans } = wrap(adapter);
  return {
    name: 'google',
    provider,
    adapter,
    calendars,
    unreadable: 'nobody@salon.test',
    orphans,
    foreign: true,
    async addForeign(cal, ev) {
      if (ev.kind === 'allday') {
        fake.addEvent(cal, { start: { date: ev.date }, end: { date: ev.endDate }, summary: 'day off' });
      } else if (ev.kind === 'local') {
        const iso = (wall: string) => DateTime.fromISO(wall, { zone: ev.zone }).toISO()!;
        fake.addEvent(cal, { start: { dateTime: iso(ev.start), timeZone: ev.zone }, end: { dateTime: iso(ev.end), timeZone: ev.zone }, summary: 'dentist' });
      } else {
        fake.addEvent(cal, {
          start: { dateTime: new Date(ev.start).toISOString() },
          end: { dateTime: new Date(ev.end).toISOString() },
          summary: 'own event',
          ...(ev.transparent && { transparency: 'transparent' as const }),
          ...(ev.cancelled && { status: 'cancelled' as const }),
          ...(ev.tentative && { status: 'tentative' as const }),
        });
      }
    },
    liveCount: async (cal) => fake.events(cal).filter((e) => e.status !== 'cancelled').length,
    inject(fault, times, op) {
      const route = op === 'create' ? 'insert' : 'freebusy';
      const f = fault === 'throttled' ? { status: 429, retryAfterSec: 1 } : fault === 'server-error' ? { status: 503 } : { drop: 'after' as const };
      fake.inject(route, f, times);
    },
    async outage() {
      fake.setFaultRate(1, () => 0, [{ status: 503 }]);
      return {
        async restore() {
          fake.setFaultRate(0, Math.random);
        },
      };
    },
    close: () => fake.close(),
  };
}

export async function microsoftSubject(): Promise<Subject & { fake: FakeGraph }> {
  const calendars: [string, string] = ['priya@salon.test', 'jordan@salon.test'];
  const fake = await startFakeGraph({ mailboxes: [...calendars] });
  const settings = microsoftSettingsFromEnv({
    MICROSOFT_TENANT_ID: 'salon-tenant',
    MICROSOFT_CLIENT_ID: 'bookline-app',
    MICROSOFT_CLIENT_SECRET: 'app-secret',
    MICROSOFT_GRAPH_URL: fake.url,
    MICROSOFT_AUTHORITY_URL: fake.url,
  });
  const adapter = new MicrosoftCalendarProvider({ client: buildGraphClient(settings), policy: fastPolicy('microsoft-graph'), timeZone: TZ });
  const { provider, orphans } = wrap(adapter);
  return {
    name: 'microsoft',
    fake,
    provider,
    adapter,
    calendars,
    unreadable: 'nobody@salon.test',
    orphans,
    foreign: true,
    async addForeign(cal, ev) {
      if (ev.kind === 'allday') {
        fake.addEvent(cal, { isAllDay: true, start: { dateTime: `${ev.date}T00:00:00.0000000`, timeZone: TZ }, end: { dateTime: `${ev.endDate}T00:00:00.0000000`, timeZone: TZ }, subject: 'day off' });
      } else if (ev.kind === 'local') {
        fake.addEvent(cal, { start: { dateTime: ev.start, timeZone: ev.zone }, end: { dateTime: ev.end, timeZone: ev.zone }, subject: 'dentist' });
      } else {
        const utc = (ms: number) => ({ dateTime: new Date(ms).toISOString().replace(/\.\d+Z$/, '.0000000'), timeZone: 'UTC' });
        fake.addEvent(cal, {
          start: utc(ev.start),
          end: utc(ev.end),
          subject: 'own event',
          showAs: ev.transparent ? 'free' : ev.tentative ? 'tentative' : 'busy',
          isCancelled: ev.cancelled ?? false,
        });
      }
    },
    liveCount: async (cal) => fake.events(cal).filter((e) => !e.isCancelled).length,
    inject(fault, times, op) {
      const route = op === 'create' ? 'create' : 'getSchedule';
      fake.inject(route, fault === 'throttled' ? { status: 429, retryAfterSec: 1 } : fault === 'server-error' ? { status: 503 } : { drop: 'after' }, times);
    },
    async outage() {
      fake.inject('*', { status: 503 }, 10_000);
      return {
        async restore() {
          fake.clearFaults();
        },
      };
    },
    close: () => fake.close(),
  };
}

const VTIMEZONE_NEW_YORK = [
  'BEGIN:VTIMEZONE',
  'TZID:America/New_York',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:-0500',
  'TZOFFSETTO:-0400',
  'TZNAME:EDT',
  'DTSTART:19700308T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:-0400',
  'TZOFFSETTO:-0500',
  'TZNAME:EST',
  'DTSTART:19701101T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

let foreignSeq = 0;
export function foreignICalendar(ev: ForeignEvent): string {
  const uid = `foreign-${++foreignSeq}-${Date.now()}@phone.test`;
  const utc = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const body: string[] = [];
  let tz: string[] = [];
  if (ev.kind === 'allday') {
    body.push(`DTSTART;VALUE=DATE:${ev.date.replace(/-/g, '')}`, `DTEND;VALUE=DATE:${ev.endDate.replace(/-/g, '')}`, 'SUMMARY:Day off');
  } else if (ev.kind === 'local') {
    if (ev.zone !== TZ) throw new Error('only New York local times are modelled');
    tz = VTIMEZONE_NEW_YORK;
    const wall = (s: string) => s.replace(/[-:]/g, '').slice(0, 15);
    body.push(`DTSTART;TZID=${ev.zone}:${wall(ev.start)}`, `DTEND;TZID=${ev.zone}:${wall(ev.end)}`, 'SUMMARY:Dentist');
  } else {
    body.push(`DTSTART:${utc(ev.start)}`, `DTEND:${utc(ev.end)}`, 'SUMMARY:Own event');
    if (ev.transparent) body.push('TRANSP:TRANSPARENT');
    if (ev.cancelled) body.push('STATUS:CANCELLED');
    if (ev.tentative) body.push('STATUS:TENTATIVE');
  }
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Phone//EN', ...tz, 'BEGIN:VEVENT', `UID:${uid}`, `DTSTAMP:${utc(Date.now())}`, ...body, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
}

export async function caldavSubject(): Promise<Subject & { radicale: Radicale }> {
  const users = { jordan: 'jordan-app-password', alex: 'alex-app-password' };
  const radicale = await startRadicale(users);
  for (const [u, p] of Object.entries(users)) await radicale.makeCalendar(u, p);
  // Bookline talks to Radicale through a proxy that can inject the faults Radicale never shows.
  const proxy = await startFaultProxy(radicale.url);
  const calendars: [string, string] = ['caldav:jordan', 'caldav:alex'];
  const accounts = new Map([
    [calendars[0], { url: proxy.url, username: 'jordan', password: users.jordan }],
    [calendars[1], { url: proxy.url, username: 'alex', password: users.alex }],
    ['caldav:wrong-password', { url: proxy.url, username: 'jordan', password: 'not-it' }],
  ]);
  const adapter = new CalDavCalendarProvider({ accounts, policy: fastPolicy('caldav'), timeZone: TZ });
  const { provider, orphans } = wrap(adapter);
  const userOf = (cal: string) => cal.slice('caldav:'.length) as keyof typeof users;
  return {
    name: 'caldav',
    radicale,
    provider,
    adapter,
    calendars,
    unreadable: 'caldav:wrong-password',
    orphans,
    foreign: true,
    async addForeign(cal, ev) {
      const user = userOf(cal);
      const status = await radicale.put(user, users[user], radicale.calendarUrl(user), `phone-${++foreignSeq}.ics`, foreignICalendar(ev));
      if (status !== 201) throw new Error(`PUT foreign event: ${status}`);
    },
    async liveCount(cal) {
      const user = userOf(cal);
      const res = await fetch(radicale.calendarUrl(user), {
        method: 'PROPFIND',
        headers: { authorization: `Basic ${Buffer.from(`${user}:${users[user]}`).toString('base64')}`, depth: '1' },
      });
      const xml = await res.text();
      return (xml.match(/\.ics<\/href>/g) ?? []).length;
    },
    inject(fault, times, op) {
      proxy.inject(op === 'create' ? 'PUT' : 'REPORT', fault === 'throttled' ? { status: 429 } : fault === 'server-error' ? { status: 503 } : { dropAfter: true }, times);
    },
    async outage() {
      await radicale.stop();
      return { restore: () => radicale.start() };
    },
    async close() {
      await proxy.close();
      await radicale.close();
    },
  };
}
