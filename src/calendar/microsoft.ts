/**
 * CalendarAdapter on Microsoft 365 through Microsoft Graph, app-only: one app registration
 * (client credentials, @azure/msal-node) acting on each staff member's mailbox, addressed by the
 * calendar id (a user principal name or object id): /users/{id}/calendar/...
 *
 * - Busy time: calendar/getSchedule, at most 20 mailboxes and under 42 days per call (chunked), with
 *   output in UTC. tentative, busy, oof and unknown block; free and workingElsewhere do not.
 * - Idempotent create: transactionId = our key, so a retried POST gets the original event back. The
 *   key is also stored as a single-value extended property, which is how removeByKey finds the event
 *   without knowing its (Graph-assigned) id.
 * - Every request goes through the one RemotePolicy (429 Retry-After, 5xx, breaker, deadline) and a
 *   per-mailbox bulkhead of 4 in flight, Outlook's MailboxConcurrency limit: exceeding it only buys 429s.
 * - The Graph client gets our own middleware chain (bearer token, then fetch): its default chain
 *   would retry by itself (attempts multiply with the policy's) and sends no Authorization header to
 *   anything but https.
 */
import { ConfidentialClientApplication, type Configuration } from '@azure/msal-node';
import { Client, HTTPMessageHandler, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import { bulkhead, type BulkheadPolicy } from 'cockatiel';
import { DateTime } from 'luxon';
import { CalendarUnavailableError, NotFoundError } from '../domain/errors.js';
import { classifyError, describeFailure } from '../resilience/classify.js';
import { silentLogger, type LoggerLike } from '../resilience/logger.js';
import { isRemoteUnavailable, type RemotePolicy } from '../resilience/policy.js';
import { assertTimesInOrder, eventDescription } from './event-text.js';
import type { CalendarAdapter, CalendarCapabilities, CalendarEventInput, CalendarHealth, EventTimes, FreeBusyResult, Interval } from './provider.js';

export const GETSCHEDULE_MAX_MAILBOXES = 20;
/** Graph refuses getSchedule periods of 42 days or more. */
export const GETSCHEDULE_MAX_WINDOW_MS = 41 * 86_400_000;
/** Outlook's per-mailbox limit on concurrent requests from one app. */
export const MAILBOX_CONCURRENCY = 4;
/** Our key on the event: a named string property in a property set of our own. */
export const APPOINTMENT_PROPERTY = 'String {6f3c1d2a-8b4e-4f7a-9c1d-2b6a5e8f0c3b} Name booklineAppointmentId';

const BUSY_STATUSES = new Set(['tentative', 'busy', 'oof', 'unknown']);

export interface MicrosoftSettings {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Graph root without version; https://graph.microsoft.com unless pointed at a fake. */
  graphUrl: string;
  /** A token endpoint to use instead of Entra ID's (the local fake); no discovery calls are made then. */
  tokenUrl?: string;
}

export function microsoftSettingsFromEnv(env: {
  MICROSOFT_TENANT_ID?: string | undefined;
  MICROSOFT_CLIENT_ID?: string | undefined;
  MICROSOFT_CLIENT_SECRET?: string | undefined;
  MICROSOFT_GRAPH_URL?: string | undefined;
  MICROSOFT_AUTHORITY_URL?: string | undefined;
}): MicrosoftSettings {
  const missing = (['MICROSOFT_TENANT_ID', 'MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET'] as const).filter((k) => !env[k]);
  if (missing.length) throw new Error(`Microsoft 365 calendars need ${missing.join(', ')} (an app registration with the Calendars.ReadWrite application permission)`);
  const tenantId = env.MICROSOFT_TENANT_ID!;
  const authority = env.MICROSOFT_AUTHORITY_URL?.replace(/\/+$/, '');
  return {
    tenantId,
    clientId: env.MICROSOFT_CLIENT_ID!,
    clientSecret: env.MICROSOFT_CLIENT_SECRET!,
    graphUrl: (env.MICROSOFT_GRAPH_URL ?? 'https://graph.microsoft.com').replace(/\/+$/, ''),
    ...(authority && authority !== 'https://login.microsoftonline.com' && { tokenUrl: `${authority}/${tenantId}/oauth2/v2.0/token` }),
  };
}

/** Returns an access token; `fresh` bypasses msal's cache (after Graph refused the cached one). */
export type TokenSource = (opts?: { fresh?: boolean }) => Promise<string>;

/** A token source for the Graph client: msal-node client credentials. */
export function msalTokenSource(s: MicrosoftSettings): TokenSource {
  const auth: Configuration['auth'] = {
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    authority: `https://login.microsoftonline.com/${s.tenantId}`,
  };
  if (s.tokenUrl) {
    // msal-node accepts only https authorities; with the metadata given it makes no discovery
    // calls and posts straight to this token endpoint.
    auth.authorityMetadata = JSON.stringify({
      token_endpoint: s.tokenUrl,
      authorization_endpoint: s.tokenUrl.replace(/token$/, 'authorize'),
      issuer: `https://login.microsoftonline.com/${s.tenantId}/v2.0`,
      jwks_uri: `${s.tokenUrl.replace(/oauth2\/v2\.0\/token$/, '')}discovery/v2.0/keys`,
      end_session_endpoint: s.tokenUrl.replace(/token$/, 'logout'),
    });
    auth.cloudDiscoveryMetadata = JSON.stringify({
      tenant_discovery_endpoint: `https://login.microsoftonline.com/${s.tenantId}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net'] }],
    });
  }
  const app = new ConfidentialClientApplication({ auth });
  const scopes = [`${s.tokenUrl ? 'https://graph.microsoft.com' : s.graphUrl}/.default`];
  return async (opts = {}) => {
    const result = await app.acquireTokenByClientCredential({ scopes, ...(opts.fresh && { skipCache: true }) });
    if (!result?.accessToken) throw new Error('Entra ID returned no access token');
    return result.accessToken;
  };
}

/** Attaches the bearer token to every request, whatever the scheme of the Graph URL. */
class BearerMiddleware implements Middleware {
  private next: Middleware | undefined;
  /** Set after a 401: the next request fetches a new token instead of the cached one. */
  refreshNext = false;
  constructor(private readonly token: TokenSource) {}
  async execute(context: Context): Promise<void> {
    const fresh = this.refreshNext;
    this.refreshNext = false;
    const value = `Bearer ${await this.token({ fresh })}`;
    const options = (context.options ??= {});
    if (options.headers instanceof Headers) options.headers.set('Authorization', value);
    else options.headers = { ...(options.headers as Record<string, string> | undefined), Authorization: value };
    await this.next!.execute(context);
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

const bearers = new WeakMap<Client, BearerMiddleware>();

export function buildGraphClient(s: MicrosoftSettings, token: TokenSource = msalTokenSource(s)): Client {
  const bearer = new BearerMiddleware(token);
  const client = Client.initWithMiddleware({ baseUrl: `${s.graphUrl}/`, defaultVersion: 'v1.0', middleware: [bearer, new HTTPMessageHandler()] });
  bearers.set(client, bearer);
  return client;
}

interface GraphTime {
  dateTime: string;
  timeZone: string;
}

interface ScheduleInformation {
  scheduleId: string;
  scheduleItems?: { status?: string; start?: GraphTime; end?: GraphTime }[];
  error?: { message?: string; responseCode?: string };
}

interface GraphEventBody {
  id?: string;
  isCancelled?: boolean;
}

function graphTimeMs(t: GraphTime | undefined): number | undefined {
  if (!t?.dateTime) return undefined;
  const zone = t.timeZone === 'UTC' || !t.timeZone ? 'UTC' : t.timeZone;
  const d = DateTime.fromISO(t.dateTime.replace(/Z$/, ''), { zone });
  return d.isValid ? d.toMillis() : undefined;
}

function graphTime(ms: number, zone: string): GraphTime {
  return { dateTime: DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss"), timeZone: zone };
}

function odataQuote(value: string): string {
  return value.replace(/'/g, "''");
}

export interface MicrosoftCalendarOptions {
  client: Client;
  policy: RemotePolicy;
  /** Business time zone: event times are written in it. */
  timeZone: string;
  logger?: LoggerLike;
}

export class MicrosoftCalendarProvider implements CalendarAdapter {
  readonly name = 'microsoft';
  /** getSchedule, delta queries and change-notification subscriptions exist in Graph; sync does not use them yet. */
  readonly capabilities: CalendarCapabilities = { freeBusyQuery: true, changeFeed: true, push: true };
  private readonly client: Client;
  private readonly policy: RemotePolicy;
  private readonly timeZone: string;
  private readonly logger: LoggerLike;
  private readonly mailboxes = new Map<string, BulkheadPolicy>();
  private authProblem: string | undefined;

  constructor(opts: MicrosoftCalendarOptions) {
    this.client = opts.client;
    this.policy = opts.policy;
    this.timeZone = opts.timeZone;
    this.logger = opts.logger ?? silentLogger;
  }

  health(): CalendarHealth {
    if (this.authProblem !== undefined) return { ok: false, detail: this.authProblem };
    return this.policy.health();
  }

  async freeBusy(calendarIds: readonly string[], range: Interval, signal?: AbortSignal): Promise<FreeBusyResult> {
    const result: FreeBusyResult = { busy: new Map(), errors: new Map() };
    const ids = [...new Set(calendarIds)];
    for (const id of ids) result.busy.set(id, []);
    if (ids.length === 0 || range.end <= range.start) return result;
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += GETSCHEDULE_MAX_MAILBOXES) chunks.push(ids.slice(i, i + GETSCHEDULE_MAX_MAILBOXES));
    const windows: Interval[] = [];
    for (let s = range.start; s < range.end; s += GETSCHEDULE_MAX_WINDOW_MS) windows.push({ start: s, end: Math.min(range.end, s + GETSCHEDULE_MAX_WINDOW_MS) });

    let answers: { chunk: string[]; value: ScheduleInformation[] }[];
    try {
      answers = await Promise.all(
        chunks.flatMap((chunk) =>
          windows.map(async (w) => {
            // Asked through the first mailbox of the chunk: getSchedule needs a user in the path.
            const res = (await this.call(chunk[0]!, 'getSchedule', (s) =>
              this.client
                .api(`/users/${encodeURIComponent(chunk[0]!)}/calendar/getSchedule`)
                .header('Prefer', 'outlook.timezone="UTC"')
                .option('signal', s)
                .post({
                  schedules: chunk,
                  startTime: graphTime(w.start, 'UTC'),
                  endTime: graphTime(w.end, 'UTC'),
                  availabilityViewInterval: 15,
                }),
            signal)) as { value?: ScheduleInformation[] };
            return { chunk, value: res.value ?? [] };
          }),
        ),
      );
    } catch (err) {
      throw this.unavailable('freeBusy', err, { calendars: ids.length });
    }
    for (const { chunk, value } of answers) {
      for (const id of chunk) {
        const info = value.find((v) => v.scheduleId.toLowerCase() === id.toLowerCase());
        if (!info || info.error) {
          const why = info?.error ? `${info.error.responseCode ?? 'error'}: ${info.error.message ?? ''}`.trim() : 'missing from the getSchedule response';
          if (!result.errors.has(id)) this.logger.warn({ calendarId: id, reason: why }, 'Microsoft getSchedule could not read a staff calendar; treating that person as unavailable');
          result.errors.set(id, why);
          continue;
        }
        const list = result.busy.get(id) ?? [];
        for (const item of info.scheduleItems ?? []) {
          if (!BUSY_STATUSES.has(item.status ?? 'busy')) continue;
          const start = graphTimeMs(item.start);
          const end = graphTimeMs(item.end);
          if (start !== undefined && end !== undefined && end > start) list.push({ start, end });
        }
        result.busy.set(id, list);
      }
    }
    for (const id of result.errors.keys()) result.busy.delete(id);
    for (const list of result.busy.values()) list.sort((a, b) => a.start - b.start || a.end - b.end);
    return result;
  }

  async createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }> {
    assertTimesInOrder(input);
    const zone = input.timeZone || this.timeZone;
    const body = {
      subject: input.summary,
      body: { contentType: 'text', content: eventDescription(input) },
      start: graphTime(input.blockStart, zone),
      end: graphTime(input.blockEnd, zone),
      showAs: 'busy',
      isReminderOn: false,
      transactionId: input.appointmentId,
      singleValueExtendedProperties: [{ id: APPOINTMENT_PROPERTY, value: input.appointmentId }],
    };
    const ctx = { calendarId: input.calendarId, appointmentId: input.appointmentId };
    try {
      const ev = (await this.call(input.calendarId, 'events.create', (s) =>
        this.client.api(`/users/${encodeURIComponent(input.calendarId)}/calendar/events`).option('signal', s).post(body),
      signal)) as GraphEventBody;
      if (!ev.id) throw new Error('Graph created an event without an id');
      return { eventId: ev.id };
    } catch (err) {
      throw this.unavailable('createEvent', err, ctx);
    }
  }

  async moveEvent(calendarId: string, eventId: string, times: EventTimes, signal?: AbortSignal): Promise<void> {
    try {
      await this.call(calendarId, 'events.update', (s) =>
        this.client
          .api(`/users/${encodeURIComponent(calendarId)}/events/${encodeURIComponent(eventId)}`)
          .option('signal', s)
          .patch({ start: graphTime(times.blockStart, this.timeZone), end: graphTime(times.blockEnd, this.timeZone) }),
      signal);
    } catch (err) {
      if (classifyError(err).status === 404) throw new NotFoundError('EVENT_GONE', {});
      throw this.unavailable('moveEvent', err, { calendarId, eventId });
    }
  }

  async cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.call(calendarId, 'events.delete', (s) =>
        this.client.api(`/users/${encodeURIComponent(calendarId)}/events/${encodeURIComponent(eventId)}`).option('signal', s).delete(),
      signal);
    } catch (err) {
      if (classifyError(err).status === 404) return;
      throw this.unavailable('cancelEvent', err, { calendarId, eventId });
    }
  }

  async removeByKey(calendarId: string, appointmentId: string, signal?: AbortSignal): Promise<boolean> {
    let found: GraphEventBody[];
    try {
      const res = (await this.call(calendarId, 'events.findByKey', (s) =>
        this.client
          .api(`/users/${encodeURIComponent(calendarId)}/events`)
          .filter(`singleValueExtendedProperties/Any(ep: ep/id eq '${odataQuote(APPOINTMENT_PROPERTY)}' and ep/value eq '${odataQuote(appointmentId)}')`)
          .select('id')
          .option('signal', s)
          .get(),
      signal)) as { value?: GraphEventBody[] };
      found = res.value ?? [];
    } catch (err) {
      throw this.unavailable('removeByKey', err, { calendarId, appointmentId });
    }
    for (const ev of found) if (ev.id) await this.cancelEvent(calendarId, ev.id, signal);
    return found.length > 0;
  }

  /** The events overlapping a range (calendarView expands recurring series), for checks and tools. */
  async listEvents(calendarId: string, range: Interval, signal?: AbortSignal): Promise<{ id: string; subject: string; start: number; end: number; showAs: string }[]> {
    const out: { id: string; subject: string; start: number; end: number; showAs: string }[] = [];
    let next: string | undefined = `/users/${encodeURIComponent(calendarId)}/calendar/calendarView?startDateTime=${encodeURIComponent(new Date(range.start).toISOString())}&endDateTime=${encodeURIComponent(new Date(range.end).toISOString())}`;
    try {
      while (next) {
        const url: string = next;
        const page = (await this.call(calendarId, 'calendarView', (s) =>
          this.client.api(url).header('Prefer', 'outlook.timezone="UTC", odata.maxpagesize=100').select('id,subject,start,end,showAs,isCancelled').option('signal', s).get(),
        signal)) as { value?: { id: string; subject?: string; start?: GraphTime; end?: GraphTime; showAs?: string }[]; '@odata.nextLink'?: string };
        for (const ev of page.value ?? []) {
          const start = graphTimeMs(ev.start);
          const end = graphTimeMs(ev.end);
          if (start !== undefined && end !== undefined) out.push({ id: ev.id, subject: ev.subject ?? '', start, end, showAs: ev.showAs ?? 'busy' });
        }
        // As a path: the client only takes absolute URLs on hosts it knows as Graph's.
        const link = page['@odata.nextLink'];
        next = link ? (({ pathname, search }) => `${pathname.replace(/^\/v1\.0/, '')}${search}`)(new URL(link)) : undefined;
      }
    } catch (err) {
      throw this.unavailable('listEvents', err, { calendarId });
    }
    return out;
  }

  private bulkheadFor(mailbox: string): BulkheadPolicy {
    const key = mailbox.toLowerCase();
    let b = this.mailboxes.get(key);
    if (!b) this.mailboxes.set(key, (b = bulkhead(MAILBOX_CONCURRENCY, Number.MAX_SAFE_INTEGER)));
    return b;
  }

  /** One Graph call through the policy; each attempt holds one of the mailbox's four slots. */
  private async call<T>(mailbox: string, op: string, fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const slots = this.bulkheadFor(mailbox);
    // Entra ID can revoke a token before it expires, and msal would keep serving it from cache:
    // one 401 gets one new token and one replay inside the same attempt.
    const once = async (s: AbortSignal, refreshed: boolean): Promise<T> => {
      try {
        return await slots.execute(() => fn(s), s);
      } catch (err) {
        const bearer = bearers.get(this.client);
        if (!refreshed && bearer && classifyError(err).status === 401) {
          this.logger.info({ op, mailbox }, 'Graph answered 401: fetching a new app token and retrying once');
          bearer.refreshNext = true;
          return once(s, true);
        }
        throw err;
      }
    };
    try {
      const res = await this.policy.execute((s) => once(s, false), signal);
      this.authProblem = undefined;
      return res;
    } catch (err) {
      const c = classifyError(err);
      if (c.kind === 'auth' || /invalid_client|AADSTS/.test(String((err as Error).message))) {
        const detail = `microsoft: Graph refused the app's credentials (${describeFailure(err)}); check MICROSOFT_TENANT_ID, MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET and the Calendars.ReadWrite permission`;
        if (this.authProblem === undefined) this.logger.error({ op, mailbox }, detail);
        this.authProblem = detail;
      } else {
        this.logger.warn({ op, mailbox, failure: describeFailure(err), kind: isRemoteUnavailable(err) ? err.kind : 'error' }, 'Microsoft Graph call failed');
      }
      throw err;
    }
  }

  private unavailable(op: string, err: unknown, ctx: Record<string, unknown>): CalendarUnavailableError {
    if (err instanceof CalendarUnavailableError) return err;
    if (!isRemoteUnavailable(err) && classifyError(err).kind === 'permanent') {
      this.logger.error({ op, ...ctx, failure: describeFailure(err) }, 'Microsoft Graph refused the request');
    }
    return new CalendarUnavailableError(undefined, { cause: err });
  }
}
