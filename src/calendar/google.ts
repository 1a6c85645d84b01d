/**
 * CalendarProvider on Google Calendar. Every request goes through the shared RemotePolicy (retries,
 * breaker, caller deadline); the client it is given must have its own retries switched off
 * (buildGoogleCalendarClient does that).
 *
 * Buffers: an appointment's Google event spans blockStart..blockEnd (buffers included) and the
 * customer-facing times live in extendedProperties.private (appt_start / appt_end), with a line in
 * the description telling staff how much of the entry is buffer. That way a single freeBusy call
 * reports exactly the time the slot engine must avoid, including buffers of our own bookings, with
 * no extra events.list per search.
 *
 * Idempotent create: the event id is derived from the appointment id (the key), so a retried insert
 * that already landed answers 409 and is adopted, never duplicated, and removeByKey can delete it
 * without a search. The background removal after a failed create is ./cleanup.ts's, as for every
 * adapter.
 */
import { DateTime } from 'luxon';
import type { calendar_v3 } from '@googleapis/calendar';
import { auth as googleAuth } from '@googleapis/calendar';
import { CalendarUnavailableError, NotFoundError } from '../domain/errors.js';
import { classifyError, describeFailure } from '../resilience/classify.js';
import { silentLogger, type LoggerLike } from '../resilience/logger.js';
import { isRemoteUnavailable, type RemotePolicy } from '../resilience/policy.js';
import { assertTimesInOrder, eventDescription } from './event-text.js';
import { authClientOf, describeAuthFailure, forceTokenRefresh, type GoogleAuthClient } from './google-client.js';
import type { CalendarAdapter, CalendarCapabilities, CalendarEventInput, CalendarHealth, EventTimes, FreeBusyResult, Interval } from './provider.js';

export type SendUpdates = 'all' | 'externalOnly' | 'none';

/** Google's documented per-request limit on calendars in one freeBusy query. */
export const FREEBUSY_MAX_CALENDARS = 50;
/** Google rejects long freeBusy windows (timeRangeTooLong) at an undocumented cutoff; 90 days is the widely used safe span. */
export const FREEBUSY_MAX_WINDOW_MS = 90 * 86_400_000;

/** Keys in extendedProperties.private (Google: key <= 44 chars, value <= 1024). */
export const PROP = {
  marker: 'bookline',
  appointmentId: 'appointment_id',
  customerPhone: 'customer_phone',
  serviceId: 'service_id',
  apptStart: 'appt_start',
  apptEnd: 'appt_end',
} as const;

export interface GoogleCalendarProviderOptions {
  client: calendar_v3.Calendar;
  policy: RemotePolicy;
  /** Business time zone: event times are written in it. */
  timeZone: string;
  sendUpdates: SendUpdates;
  logger?: LoggerLike;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/**
 * Google event id for an appointment: base32hex (RFC 2938 alphabet, lowercase, no padding) of the
 * UTF-8 appointment id. Deterministic and injective, so a retry always names the same event, and
 * valid whatever our id format becomes ("apt_" + 16 chars gives 32 chars; Google allows 5-1024).
 */
export function googleEventIdFor(appointmentId: string): string {
  const bytes = Buffer.from(appointmentId, 'utf8');
  if (bytes.length < 4 || bytes.length > 640) throw new Error(`appointment id "${appointmentId}" cannot be turned into a Google event id`);
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 31];
  return out;
}

/** Inverse of googleEventIdFor; undefined for ids we did not make. */
export function appointmentIdFromGoogleEventId(eventId: string): string | undefined {
  if (!/^[0-9a-v]+$/.test(eventId)) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of eventId) {
    buffer = (buffer << 5) | BASE32HEX.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bytes.push((buffer >>> (bits - 8)) & 255);
      bits -= 8;
      buffer &= (1 << bits) - 1;
    }
  }
  const id = Buffer.from(bytes).toString('utf8');
  return googleEventIdFor(id) === eventId ? id : undefined;
}

function statusOf(err: unknown): number | undefined {
  return classifyError(err).status;
}

function parseTime(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function eventTimeMs(t: calendar_v3.Schema$EventDateTime | undefined, zone: string): number | undefined {
  if (!t) return undefined;
  if (t.dateTime) return parseTime(t.dateTime);
  if (t.date) {
    const d = DateTime.fromISO(t.date, { zone: t.timeZone ?? zone });
    return d.isValid ? d.toMillis() : undefined;
  }
  return undefined;
}

/** Google answered 410 to a syncToken: drop it and run a full sync. */
export class SyncTokenExpiredError extends Error {
  constructor() {
    super('Google sync token expired (410 fullSyncRequired)');
  }
}

/** One page of events.list for sync: the token only on the last page. */
export interface ChangePage {
  items: calendar_v3.Schema$Event[];
  nextPageToken?: string;
  nextSyncToken?: string;
}

/** A channel Google created for events.watch. */
export interface CreatedChannel {
  resourceId: string;
  /** Epoch ms: the earlier of what we asked and what Google allows. */
  expiration: number;
}

/** Start of an event in epoch ms, in the business zone for all-day events. */
export function googleEventTime(t: calendar_v3.Schema$EventDateTime | undefined, zone: string): number | undefined {
  return eventTimeMs(t, zone);
}

export class GoogleCalendarProvider implements CalendarAdapter {
  readonly name = 'google';
  /** What Google offers (freeBusy.query, events.list syncToken, events.watch): src/calendar/sync/ uses the last two. */
  readonly capabilities: CalendarCapabilities = { freeBusyQuery: true, changeFeed: true, push: true };
  private readonly client: calendar_v3.Calendar;
  private readonly policy: RemotePolicy;
  private readonly timeZone: string;
  private readonly sendUpdates: SendUpdates;
  private readonly logger: LoggerLike;
  private readonly auth: GoogleAuthClient | undefined;
  /** Set when Google refuses our credentials; cleared by the next successful request. */
  private authProblem: string | undefined;

  constructor(opts: GoogleCalendarProviderOptions) {
    this.client = opts.client;
    this.policy = opts.policy;
    this.timeZone = opts.timeZone;
    this.sendUpdates = opts.sendUpdates;
    this.logger = opts.logger ?? silentLogger;
    this.auth = authClientOf(opts.client);
  }

  health(): CalendarHealth {
    if (this.authProblem !== undefined) return { ok: false, detail: this.authProblem };
    return this.policy.health();
  }

  // ---------------------------------------------------------------------------------------------
  // Free/busy

  async freeBusy(calendarIds: readonly string[], range: Interval, signal?: AbortSignal): Promise<FreeBusyResult> {
    const result: FreeBusyResult = { busy: new Map(), errors: new Map() };
    const ids = [...new Set(calendarIds)];
    if (ids.length === 0 || range.end <= range.start) {
      for (const id of ids) result.busy.set(id, []);
      return result;
    }
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += FREEBUSY_MAX_CALENDARS) chunks.push(ids.slice(i, i + FREEBUSY_MAX_CALENDARS));
    const windows: Interval[] = [];
    for (let s = range.start; s < range.end; s += FREEBUSY_MAX_WINDOW_MS) windows.push({ start: s, end: Math.min(range.end, s + FREEBUSY_MAX_WINDOW_MS) });

    // Every chunk x window at once: a voice caller is waiting, and typically this is a single request.
    // A request that still fails after retries fails the whole search: the remote is struggling and
    // the caller hears "try again". Per-calendar errors inside an answer are the partial case.
    let responses: { chunk: string[]; data: calendar_v3.Schema$FreeBusyResponse }[];
    try {
      responses = await Promise.all(
        chunks.flatMap((chunk) =>
          windows.map(async (w) => {
            const res = await this.call(
              'freebusy.query',
              (s) =>
                this.client.freebusy.query(
                  {
                    requestBody: {
                      timeMin: new Date(w.start).toISOString(),
                      timeMax: new Date(w.end).toISOString(),
                      items: chunk.map((id) => ({ id })),
                    },
                  },
                  { signal: s },
                ),
              signal,
              { calendars: chunk.length },
            );
            return { chunk, data: res.data };
          }),
        ),
      );
    } catch (err) {
      throw this.unavailable('freeBusy', err, { calendars: ids.length });
    }

    for (const { chunk, data } of responses) {
      for (const id of chunk) {
        const entry = data.calendars?.[id];
        const reasons = entry?.errors?.map((e) => e.reason ?? 'unknown').filter(Boolean) ?? [];
        if (!entry || reasons.length > 0) {
          const why = entry ? reasons.join(', ') : 'missing from the free/busy response';
          if (!result.errors.has(id)) this.logger.warn({ calendarId: id, reason: why }, 'Google free/busy could not read a staff calendar; treating that person as unavailable');
          result.errors.set(id, why);
          continue;
        }
        const list = result.busy.get(id) ?? [];
        for (const b of entry.busy ?? []) {
          const start = parseTime(b.start);
          const end = parseTime(b.end);
          if (start !== undefined && end !== undefined && end > start) list.push({ start, end });
        }
        result.busy.set(id, list);
      }
    }
    for (const id of result.errors.keys()) result.busy.delete(id);
    for (const list of result.busy.values()) list.sort((a, b) => a.start - b.start || a.end - b.end);
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Create

  async createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }> {
    const eventId = googleEventIdFor(input.appointmentId);
    const body = this.eventBody(input, eventId);
    try {
      await this.call(
        'events.insert',
        (s) => this.client.events.insert({ calendarId: input.calendarId, sendUpdates: this.sendUpdates, requestBody: body }, { signal: s }),
        signal,
        { calendarId: input.calendarId, appointmentId: input.appointmentId },
      );
      return { eventId };
    } catch (err) {
      if (statusOf(err) === 409) {
        // The id is taken, which for an id derived from this appointment means an earlier attempt
        // stored it (its answer was lost) or an earlier failed create was cleaned up into a tombstone.
        try {
          await this.adoptExisting(input, eventId, body, signal);
          return { eventId };
        } catch (adoptErr) {
          throw this.unavailable('createEvent', adoptErr, { calendarId: input.calendarId, appointmentId: input.appointmentId });
        }
      }
      throw this.unavailable('createEvent', err, { calendarId: input.calendarId, appointmentId: input.appointmentId });
    }
  }

  private async adoptExisting(input: CalendarEventInput, eventId: string, body: calendar_v3.Schema$Event, signal?: AbortSignal): Promise<void> {
    const ctx = { calendarId: input.calendarId, appointmentId: input.appointmentId };
    const { data: existing } = await this.call(
      'events.get',
      (s) => this.client.events.get({ calendarId: input.calendarId, eventId }, { signal: s }),
      signal,
      ctx,
    );
    const owner = existing.extendedProperties?.private?.[PROP.appointmentId];
    if (owner !== input.appointmentId) {
      throw new Error(`Google event ${eventId} exists but belongs to ${owner ?? 'no appointment'}, not ${input.appointmentId}`);
    }
    const sameTimes =
      eventTimeMs(existing.start, this.timeZone) === input.blockStart && eventTimeMs(existing.end, this.timeZone) === input.blockEnd;
    if (existing.status !== 'cancelled' && sameTimes) {
      this.logger.info({ ...ctx, eventId }, 'insert answered 409: adopting the event an earlier attempt stored');
      return;
    }
    // A tombstone keeps its id forever, so re-creating means patching it back to life.
    const { id: _id, ...fields } = body;
    await this.call(
      'events.patch',
      (s) =>
        this.client.events.patch(
          { calendarId: input.calendarId, eventId, sendUpdates: this.sendUpdates, requestBody: { ...fields, status: 'confirmed' } },
          { signal: s },
        ),
      signal,
      ctx,
    );
    this.logger.info({ ...ctx, eventId, wasCancelled: existing.status === 'cancelled' }, 'insert answered 409: restored the existing event to this booking');
  }

  private eventBody(input: CalendarEventInput, eventId: string): calendar_v3.Schema$Event {
    assertTimesInOrder(input);
    const zone = input.timeZone || this.timeZone;
    return {
      id: eventId,
      summary: input.summary,
      description: eventDescription(input),
      start: this.dateTime(input.blockStart, zone),
      end: this.dateTime(input.blockEnd, zone),
      transparency: 'opaque',
      extendedProperties: {
        private: {
          [PROP.marker]: '1',
          [PROP.appointmentId]: input.appointmentId,
          [PROP.customerPhone]: input.customerPhone,
          [PROP.serviceId]: input.serviceId,
          [PROP.apptStart]: new Date(input.start).toISOString(),
          [PROP.apptEnd]: new Date(input.end).toISOString(),
        },
      },
    };
  }

  private dateTime(ms: number, zone: string): calendar_v3.Schema$EventDateTime {
    const dateTime = DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true });
    if (!dateTime) throw new Error(`invalid time ${ms} in zone ${zone}`);
    return { dateTime, timeZone: zone };
  }

  // ---------------------------------------------------------------------------------------------
  // Move, cancel

  async moveEvent(calendarId: string, eventId: string, times: EventTimes, signal?: AbortSignal): Promise<void> {
    const ctx = { calendarId, eventId };
    let updated: calendar_v3.Schema$Event;
    try {
      const res = await this.call(
        'events.patch',
        (s) =>
          this.client.events.patch(
            {
              calendarId,
              eventId,
              sendUpdates: this.sendUpdates,
              requestBody: {
                start: this.dateTime(times.blockStart, this.timeZone),
                end: this.dateTime(times.blockEnd, this.timeZone),
                // Patch merges private properties key by key; the others stay.
                extendedProperties: {
                  private: { [PROP.apptStart]: new Date(times.start).toISOString(), [PROP.apptEnd]: new Date(times.end).toISOString() },
                },
              },
            },
            { signal: s },
          ),
        signal,
        ctx,
      );
      updated = res.data;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 410) throw new NotFoundError('EVENT_GONE', {});
      throw this.unavailable('moveEvent', err, ctx);
    }
    // Google lets a tombstone be patched; moving something already cancelled must not look like success.
    if (updated.status === 'cancelled') throw new NotFoundError('ALREADY_CANCELLED', {});
  }

  async cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call(
        'events.delete',
        (s) => this.client.events.delete({ calendarId, eventId, sendUpdates: this.sendUpdates }, { signal: s }),
        signal,
        { calendarId, eventId },
      );
    } catch (err) {
      // 410 "deleted": Google says no further action is necessary. 404: never there or purged.
      const status = statusOf(err);
      if (status === 410 || status === 404) return;
      throw this.unavailable('cancelEvent', err, { calendarId, eventId });
    }
  }

  async removeByKey(calendarId: string, appointmentId: string, signal?: AbortSignal): Promise<boolean> {
    const eventId = googleEventIdFor(appointmentId);
    try {
      await this.call(
        'events.delete(by key)',
        (s) => this.client.events.delete({ calendarId, eventId, sendUpdates: 'none' }, { signal: s }),
        signal,
        { calendarId, eventId, appointmentId },
      );
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 410 || status === 404) return false;
      throw this.unavailable('removeByKey', err, { calendarId, appointmentId });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Sync and push (src/calendar/sync/)

  /**
   * One page of the change feed. Without a token it is a full listing; the parameters are the same
   * either way (Google binds a token to them), deleted events included, recurring ones unexpanded.
   */
  async listChanges(calendarId: string, at: { syncToken?: string; pageToken?: string }, signal?: AbortSignal): Promise<ChangePage> {
    try {
      const { data } = await this.call(
        'events.list(sync)',
        (s) =>
          this.client.events.list(
            { calendarId, showDeleted: true, maxResults: 250, ...(at.syncToken && { syncToken: at.syncToken }), ...(at.pageToken && { pageToken: at.pageToken }) },
            { signal: s },
          ),
        signal,
        { calendarId, incremental: at.syncToken !== undefined },
      );
      return { items: data.items ?? [], ...(data.nextPageToken && { nextPageToken: data.nextPageToken }), ...(data.nextSyncToken && { nextSyncToken: data.nextSyncToken }) };
    } catch (err) {
      if (statusOf(err) === 410) throw new SyncTokenExpiredError();
      throw this.unavailable('listChanges', err, { calendarId });
    }
  }

  /** The event as Google has it now; undefined when it no longer exists (purged). Tombstones are returned. */
  async getEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<calendar_v3.Schema$Event | undefined> {
    try {
      const { data } = await this.call('events.get', (s) => this.client.events.get({ calendarId, eventId }, { signal: s }), signal, { calendarId, eventId });
      return data;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 410) return undefined;
      throw this.unavailable('getEvent', err, { calendarId, eventId });
    }
  }

  async watch(calendarId: string, channel: { id: string; address: string; token: string; ttlSec: number }, signal?: AbortSignal): Promise<CreatedChannel> {
    try {
      const { data } = await this.call(
        'events.watch',
        (s) =>
          this.client.events.watch(
            { calendarId, requestBody: { id: channel.id, type: 'web_hook', address: channel.address, token: channel.token, params: { ttl: String(channel.ttlSec) } } },
            { signal: s },
          ),
        signal,
        { calendarId, channelId: channel.id },
      );
      // The client hands expiration back as a string of epoch milliseconds.
      const exp = typeof data.expiration === 'string' && /^\d+$/.test(data.expiration) ? Number(data.expiration) : Number.NaN;
      if (!data.resourceId || !Number.isFinite(exp)) throw new Error('events.watch answered without resourceId or expiration');
      return { resourceId: data.resourceId, expiration: exp };
    } catch (err) {
      throw this.unavailable('watch', err, { calendarId });
    }
  }

  /** Stops a channel; one Google no longer knows (expired, stopped already) counts as stopped. */
  async stopChannel(id: string, resourceId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call('channels.stop', (s) => this.client.channels.stop({ requestBody: { id, resourceId } }, { signal: s }), signal, { channelId: id });
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || status === 410) return;
      throw this.unavailable('stopChannel', err, { channelId: id });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  /**
   * One remote call through the policy. A 401 gets exactly one forced token refresh and replay
   * inside the same attempt (google-auth-library only refreshes by itself when the token has no
   * expiry, and Google can revoke a token early).
   */
  private async call<T>(
    op: string,
    fn: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal | undefined,
    logCtx: Record<string, unknown>,
  ): Promise<T> {
    let refreshed = false;
    const once = async (s: AbortSignal): Promise<T> => {
      try {
        const res = await fn(s);
        this.authProblem = undefined;
        return res;
      } catch (err) {
        const c = classifyError(err);
        // Only an API 401 (reason authError) is a stale access token; a 401 from the token endpoint
        // itself (unauthorized_client...) will not improve by asking again.
        if (c.status === 401 && (c.reason === undefined || c.reason === 'authError') && !refreshed && this.auth) {
          refreshed = true;
          this.logger.info({ op, ...logCtx }, 'Google answered 401: fetching a new access token and retrying once');
          forceTokenRefresh(this.auth);
          return once(s);
        }
        throw err;
      }
    };
    try {
      return await this.policy.execute(once, signal);
    } catch (err) {
      const authProblem = describeAuthFailure(err, this.auth instanceof googleAuth.JWT ? 'service-account' : this.auth ? 'oauth' : undefined);
      if (authProblem !== undefined) {
        if (this.authProblem === undefined) this.logger.error({ op, ...logCtx }, authProblem);
        this.authProblem = authProblem;
      } else {
        this.logger.warn({ op, ...logCtx, failure: describeFailure(err), kind: isRemoteUnavailable(err) ? err.kind : 'error' }, 'Google Calendar call failed');
      }
      throw err;
    }
  }

  private unavailable(op: string, err: unknown, ctx: Record<string, unknown>): CalendarUnavailableError {
    if (err instanceof CalendarUnavailableError) return err;
    if (!isRemoteUnavailable(err) && describeAuthFailure(err, undefined) === undefined) {
      // Not throttling, not an outage, not credentials: a request we built wrong, or a calendar we
      // may not touch. Worth an error-level log; the caller still just hears "calendar unavailable".
      this.logger.error({ op, ...ctx, failure: describeFailure(err) }, 'Google Calendar refused the request');
    }
    return new CalendarUnavailableError(undefined, { cause: err });
  }
}
