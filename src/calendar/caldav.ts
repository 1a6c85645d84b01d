/**
 * CalendarAdapter on CalDAV (iCloud, Fastmail, Nextcloud, Radicale...) through tsdav. Each staff
 * calendar id maps to its own account (server, user name, password or app-specific password), found
 * by discovery (well-known URL, principal, calendar home) on first use.
 *
 * - Busy time: a calendar-query REPORT with a time range, computed here from VEVENT DTSTART/DTEND
 *   (or DURATION), TRANSP and STATUS, recurrences expanded with ical.js. Many servers (Radicale
 *   among them) do not implement free-busy-query, so it is not relied on.
 * - Idempotent create: the resource is named after our key and written with If-None-Match: *; a
 *   retry whose first attempt landed gets 412, and the resource is read back to confirm it is ours.
 * - Moves are PUTs with If-Match on the ETag just read (re-read and retried when someone else
 *   edited in between); delete is unconditional, 404 meaning already gone.
 * - Every request goes through the one RemotePolicy; HTTP failures are thrown with their status and
 *   headers (tsdav itself resolves them as Responses) so the policy can tell 503 from 412.
 */
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { DAVClient, type DAVCalendar, type DAVCalendarObject } from 'tsdav';
import { CalendarUnavailableError, NotFoundError } from '../domain/errors.js';
import { classifyError, describeFailure } from '../resilience/classify.js';
import { silentLogger, type LoggerLike } from '../resilience/logger.js';
import { isRemoteUnavailable, type RemotePolicy } from '../resilience/policy.js';
import { assertTimesInOrder, eventDescription } from './event-text.js';
import type { CalendarAdapter, CalendarCapabilities, CalendarEventInput, CalendarHealth, EventTimes, FreeBusyResult, Interval } from './provider.js';

export interface CalDavAccount {
  /** The server (discovery finds the calendar home) or a calendar collection URL. */
  url: string;
  username: string;
  password: string;
  /** Display name of the calendar to use; the first calendar holding events otherwise. */
  calendar?: string;
}

export interface CalDavCalendarOptions {
  /** calendarId -> account. */
  accounts: Map<string, CalDavAccount>;
  policy: RemotePolicy;
  /** Business zone: all-day and floating times are read in it. */
  timeZone: string;
  logger?: LoggerLike;
}

/** An HTTP answer that is a failure, in the shape classifyError reads (status, headers). */
export class CalDavHttpError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    method: string,
    url: string,
  ) {
    super(`CalDAV ${method} ${new URL(url).pathname} answered ${status}`);
    this.name = 'CalDavHttpError';
  }
}

/** Statuses that mean the server is struggling or refuses us: thrown so the policy sees them. */
function isFailureStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 408 || status === 429 || status >= 500;
}

const checkedFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (isFailureStatus(res.status)) {
    await res.body?.cancel().catch(() => undefined);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    throw new CalDavHttpError(res.status, res.headers, init?.method ?? 'GET', url);
  }
  return res;
};

interface Session {
  client: DAVClient;
  calendar: DAVCalendar;
}

/** Resource names are our keys: keep them to characters every server takes unescaped. */
function resourceName(appointmentId: string): string {
  return `${appointmentId.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.charCodeAt(0).toString(16)}`)}.ics`;
}

function ensureSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

const PROP_APPOINTMENT = 'x-bookline-appointment-id';

/** ms of an iCalendar time: UTC, a TZID luxon knows, a zone defined in the file, or floating (business zone). */
function timeMs(t: ICAL.Time, tzid: string | undefined, zone: string): number {
  if (t.isDate) return DateTime.fromObject({ year: t.year, month: t.month, day: t.day }, { zone }).toMillis();
  if (t.zone === ICAL.Timezone.utcTimezone) return t.toUnixTime() * 1000;
  const wall = { year: t.year, month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second };
  if (tzid) {
    const d = DateTime.fromObject(wall, { zone: tzid });
    if (d.isValid) return d.toMillis();
    if (t.zone && t.zone !== ICAL.Timezone.localTimezone) return t.toUnixTime() * 1000;
  }
  return DateTime.fromObject(wall, { zone }).toMillis();
}

/** Busy intervals of one calendar object (an event and its recurrences) inside `range`. */
export function busyFromICalendar(data: string, range: Interval, zone: string): Interval[] {
  const root = new ICAL.Component(ICAL.parse(data));
  // Zones defined in the object are registered so TZIDs that are not IANA names (Outlook's
  // "Eastern Standard Time") still resolve.
  for (const vtz of root.getAllSubcomponents('vtimezone')) {
    const tz = new ICAL.Timezone(vtz);
    if (!ICAL.TimezoneService.has(tz.tzid)) ICAL.TimezoneService.register(tz);
  }
  const out: Interval[] = [];
  const vevents = root.getAllSubcomponents('vevent');
  const masters = vevents.filter((v) => !v.hasProperty('recurrence-id'));
  const exceptions = vevents.filter((v) => v.hasProperty('recurrence-id'));
  const blocks = (v: ICAL.Component) =>
    String(v.getFirstPropertyValue('transp') ?? 'OPAQUE').toUpperCase() !== 'TRANSPARENT' && String(v.getFirstPropertyValue('status') ?? '').toUpperCase() !== 'CANCELLED';
  const tzidOf = (v: ICAL.Component, name: string) => {
    const p = v.getFirstProperty(name)?.getParameter('tzid');
    return typeof p === 'string' ? p : undefined;
  };
  const push = (start: number, end: number) => {
    if (end > range.start && start < range.end && end > start) out.push({ start, end });
  };
  for (const master of masters) {
    const event = new ICAL.Event(master, { exceptions });
    const startTz = tzidOf(master, 'dtstart');
    const endTz = tzidOf(master, 'dtend') ?? startTz;
    if (!event.isRecurring()) {
      if (!blocks(master)) continue;
      const start = timeMs(event.startDate, startTz, zone);
      const end = master.hasProperty('dtend') || master.hasProperty('duration') ? timeMs(event.endDate, endTz, zone) : start + (event.startDate.isDate ? 86_400_000 : 0);
      push(start, end);
      continue;
    }
    const it = event.iterator();
    for (let n = 0, next = it.next(); next && n < 5_000; n++, next = it.next()) {
      const occ = event.getOccurrenceDetails(next);
      const start = timeMs(occ.startDate, startTz, zone);
      if (start >= range.end) break;
      if (!blocks(occ.item.component)) continue;
      push(start, timeMs(occ.endDate, endTz, zone));
    }
  }
  for (const ex of exceptions) {
    // An exception whose master is not in this object (servers may split them) still blocks.
    if (masters.length > 0 || !blocks(ex)) continue;
    const e = new ICAL.Event(ex);
    push(timeMs(e.startDate, tzidOf(ex, 'dtstart'), zone), timeMs(e.endDate, tzidOf(ex, 'dtend') ?? tzidOf(ex, 'dtstart'), zone));
  }
  return out;
}

function icalUtc(ms: number): ICAL.Time {
  return ICAL.Time.fromJSDate(new Date(ms), true);
}

/** The iCalendar object of a booking, in UTC: valid for every server and shown in local time by every client. */
export function bookingICalendar(input: CalendarEventInput, now: number): string {
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('prodid', '-//Bookline//Appointments//EN');
  const ev = new ICAL.Component('vevent');
  ev.addPropertyWithValue('uid', `${input.appointmentId}@bookline`);
  ev.addPropertyWithValue('dtstamp', icalUtc(now));
  ev.addPropertyWithValue('dtstart', icalUtc(input.blockStart));
  ev.addPropertyWithValue('dtend', icalUtc(input.blockEnd));
  ev.addPropertyWithValue('summary', input.summary);
  ev.addPropertyWithValue('description', eventDescription(input));
  ev.addPropertyWithValue('transp', 'OPAQUE');
  ev.addPropertyWithValue('status', 'CONFIRMED');
  ev.addPropertyWithValue(PROP_APPOINTMENT, input.appointmentId);
  cal.addSubcomponent(ev);
  return cal.toString();
}

export class CalDavCalendarProvider implements CalendarAdapter {
  readonly name = 'caldav';
  /** sync-collection (RFC 6578) is widely served; free-busy-query is not (Radicale), and CalDAV has no push. */
  readonly capabilities: CalendarCapabilities = { freeBusyQuery: false, changeFeed: true, push: false };
  private readonly accounts: Map<string, CalDavAccount>;
  private readonly policy: RemotePolicy;
  private readonly timeZone: string;
  private readonly logger: LoggerLike;
  private readonly sessions = new Map<string, Promise<Session>>();
  /** calendarId -> why its server refused our credentials; cleared by its next success. */
  private readonly authProblems = new Map<string, string>();

  constructor(opts: CalDavCalendarOptions) {
    this.accounts = opts.accounts;
    this.policy = opts.policy;
    this.timeZone = opts.timeZone;
    this.logger = opts.logger ?? silentLogger;
  }

  /** One account with a bad password makes its staff unavailable, not every CalDAV calendar. */
  health(): CalendarHealth {
    const policy = this.policy.health();
    if (this.authProblems.size === 0) return policy;
    const detail = [...this.authProblems.values(), ...(policy.detail ? [policy.detail] : [])].join('; ');
    return { ok: policy.ok && this.authProblems.size < this.accounts.size, detail };
  }

  async freeBusy(calendarIds: readonly string[], range: Interval, signal?: AbortSignal): Promise<FreeBusyResult> {
    const result: FreeBusyResult = { busy: new Map(), errors: new Map() };
    const ids = [...new Set(calendarIds)];
    const failures: unknown[] = [];
    await Promise.all(
      ids.map(async (id) => {
        try {
          const objects = await this.call(id, 'calendar-query', async (session, s) =>
            session.client.fetchCalendarObjects({
              calendar: session.calendar,
              timeRange: { start: new Date(range.start).toISOString(), end: new Date(range.end).toISOString() },
              fetchOptions: { signal: s },
            }),
          signal);
          const list: Interval[] = [];
          for (const o of objects) {
            if (typeof o.data !== 'string' || o.data.length === 0) continue;
            try {
              list.push(...busyFromICalendar(o.data, range, this.timeZone));
            } catch (err) {
              // One unreadable object must not hide the rest of the calendar, but it may be busy
              // time we cannot see, so it is worth an operator's look.
              this.logger.warn({ calendarId: id, url: o.url, failure: (err as Error).message }, 'CalDAV object could not be parsed; ignored for busy time');
            }
          }
          result.busy.set(id, list.sort((a, b) => a.start - b.start || a.end - b.end));
        } catch (err) {
          failures.push(err);
          result.errors.set(id, describeFailure(err));
          this.logger.warn({ calendarId: id, reason: describeFailure(err) }, 'CalDAV calendar could not be read; treating that person as unavailable');
        }
      }),
    );
    if (ids.length > 0 && failures.length === ids.length) throw this.unavailable('freeBusy', failures[0], { calendars: ids.length });
    return result;
  }

  async createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }> {
    assertTimesInOrder(input);
    const ctx = { calendarId: input.calendarId, appointmentId: input.appointmentId };
    const filename = resourceName(input.appointmentId);
    const data = bookingICalendar(input, Date.now());
    try {
      return await this.call(input.calendarId, 'PUT (create)', async (session, s) => {
        const url = new URL(filename, ensureSlash(session.calendar.url)).href;
        const res = await session.client.createCalendarObject({ calendar: session.calendar, filename, iCalString: data, fetchOptions: { signal: s } });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) return { eventId: url };
        if (res.status === 412) {
          // If-None-Match: * failed, so the resource exists: an earlier attempt of this create landed.
          const existing = await this.read(session, url, s);
          const owner = existing ? new ICAL.Component(ICAL.parse(existing.data as string)).getFirstSubcomponent('vevent')?.getFirstPropertyValue('uid') : undefined;
          if (owner !== `${input.appointmentId}@bookline`) throw new Error(`CalDAV resource ${url} exists but belongs to ${String(owner ?? 'nothing readable')}`);
          this.logger.info({ ...ctx, url }, 'create answered 412: adopting the event an earlier attempt stored');
          return { eventId: url };
        }
        throw new CalDavHttpError(res.status, res.headers, 'PUT', url);
      }, signal);
    } catch (err) {
      throw this.unavailable('createEvent', err, ctx);
    }
  }

  async moveEvent(calendarId: string, eventId: string, times: EventTimes, signal?: AbortSignal): Promise<void> {
    const ctx = { calendarId, eventId };
    try {
      await this.call(calendarId, 'PUT (move)', async (session, s) => {
        // Someone editing the entry between our read and write makes If-Match fail: read again.
        for (let tries = 0; tries < 3; tries++) {
          const current = await this.read(session, eventId, s);
          if (!current) throw new NotFoundError('EVENT_GONE', {});
          const root = new ICAL.Component(ICAL.parse(current.data as string));
          const ev = root.getFirstSubcomponent('vevent');
          if (!ev) throw new NotFoundError('EVENT_GONE', {});
          ev.updatePropertyWithValue('dtstart', icalUtc(times.blockStart));
          ev.updatePropertyWithValue('dtend', icalUtc(times.blockEnd));
          ev.removeAllProperties('duration');
          ev.updatePropertyWithValue('dtstamp', icalUtc(Date.now()));
          const seq = Number(ev.getFirstPropertyValue('sequence') ?? 0);
          ev.updatePropertyWithValue('sequence', seq + 1);
          const res = await session.client.updateCalendarObject({
            calendarObject: { url: eventId, etag: current.etag, data: root.toString() },
            fetchOptions: { signal: s },
          });
          await res.body?.cancel().catch(() => undefined);
          if (res.ok) return;
          if (res.status === 404) throw new NotFoundError('EVENT_GONE', {});
          if (res.status !== 412) throw new CalDavHttpError(res.status, res.headers, 'PUT', eventId);
        }
        throw new Error(`CalDAV event ${eventId} kept changing under us`);
      }, signal);
    } catch (err) {
      if (err instanceof NotFoundError) throw err;
      throw this.unavailable('moveEvent', err, ctx);
    }
  }

  async cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void> {
    await this.remove(calendarId, eventId, signal);
  }

  async removeByKey(calendarId: string, appointmentId: string, signal?: AbortSignal): Promise<boolean> {
    const session = await this.sessionOrThrow(calendarId, signal);
    return this.remove(calendarId, new URL(resourceName(appointmentId), ensureSlash(session.calendar.url)).href, signal);
  }

  private async remove(calendarId: string, url: string, signal?: AbortSignal): Promise<boolean> {
    try {
      return await this.call(calendarId, 'DELETE', async (session, s) => {
        const res = await session.client.deleteCalendarObject({ calendarObject: { url, etag: '' }, fetchOptions: { signal: s } });
        await res.body?.cancel().catch(() => undefined);
        if (res.ok) return true;
        if (res.status === 404 || res.status === 410) return false;
        throw new CalDavHttpError(res.status, res.headers, 'DELETE', url);
      }, signal);
    } catch (err) {
      throw this.unavailable('cancelEvent', err, { calendarId, url });
    }
  }

  /** A plain GET: tsdav's multiget throws a bare Error for a missing object, indistinguishable from others. */
  private async read(session: Session, url: string, signal: AbortSignal): Promise<DAVCalendarObject | undefined> {
    const res = await checkedFetch(url, { headers: { ...session.client.authHeaders }, signal });
    const data = await res.text();
    if (res.status === 404 || res.status === 410) return undefined;
    if (!res.ok) throw new CalDavHttpError(res.status, res.headers, 'GET', url);
    const etag = res.headers.get('etag');
    return { url, data, ...(etag !== null && { etag }) };
  }

  private async sessionOrThrow(calendarId: string, signal?: AbortSignal): Promise<Session> {
    try {
      return await this.policy.execute((s) => this.session(calendarId, s), signal);
    } catch (err) {
      throw this.unavailable('discovery', err, { calendarId });
    }
  }

  /** Logs in and finds the calendar once per account; a failure is not cached. */
  private session(calendarId: string, signal: AbortSignal): Promise<Session> {
    const existing = this.sessions.get(calendarId);
    if (existing) return existing;
    const account = this.accounts.get(calendarId);
    if (!account) return Promise.reject(new Error(`no CalDAV account configured for calendar "${calendarId}"`));
    const p = (async () => {
      const client = new DAVClient({
        serverUrl: account.url,
        credentials: { username: account.username, password: account.password },
        authMethod: 'Basic',
        defaultAccountType: 'caldav',
        fetch: checkedFetch,
        fetchOptions: { signal },
      });
      await client.login();
      const calendars = await client.fetchCalendars();
      const want = ensureSlash(account.url);
      const calendar =
        calendars.find((c) => account.calendar !== undefined && String(c.displayName ?? '') === account.calendar) ??
        (account.calendar === undefined ? calendars.find((c) => ensureSlash(c.url) === want) : undefined) ??
        (account.calendar === undefined ? calendars.find((c) => !c.components || c.components.includes('VEVENT')) : undefined);
      if (!calendar) {
        const names = calendars.map((c) => String(c.displayName ?? c.url)).join(', ') || 'none';
        throw new Error(`CalDAV account ${account.username} at ${account.url} has no calendar ${account.calendar ? `named "${account.calendar}"` : 'for events'} (found: ${names})`);
      }
      // The login's signal belonged to the first call; later calls pass their own.
      client.fetchOptions = {};
      return { client, calendar };
    })();
    this.sessions.set(calendarId, p);
    p.catch(() => this.sessions.delete(calendarId));
    return p;
  }

  private async call<T>(calendarId: string, op: string, fn: (session: Session, signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      const res = await this.policy.execute(async (s) => fn(await this.session(calendarId, s), s), signal);
      this.authProblems.delete(calendarId);
      return res;
    } catch (err) {
      if (err instanceof NotFoundError) throw err;
      if (classifyError(err).kind === 'auth') {
        const account = this.accounts.get(calendarId);
        const detail = `caldav: ${account?.url ?? calendarId} refused the credentials of ${account?.username ?? 'the account'} (${describeFailure(err)}); iCloud and Fastmail need an app-specific password`;
        if (!this.authProblems.has(calendarId)) this.logger.error({ op, calendarId }, detail);
        this.authProblems.set(calendarId, detail);
        this.sessions.delete(calendarId);
      } else {
        this.logger.warn({ op, calendarId, failure: describeFailure(err), kind: isRemoteUnavailable(err) ? err.kind : 'error' }, 'CalDAV call failed');
      }
      throw err;
    }
  }

  private unavailable(op: string, err: unknown, ctx: Record<string, unknown>): CalendarUnavailableError {
    if (err instanceof CalendarUnavailableError) return err;
    if (!isRemoteUnavailable(err) && classifyError(err).kind === 'permanent') {
      this.logger.error({ op, ...ctx, failure: describeFailure(err) }, 'CalDAV server refused the request');
    }
    return new CalendarUnavailableError(undefined, { cause: err });
  }
}
