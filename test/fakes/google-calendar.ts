/**
 * An in-memory Google Calendar API v3 (the slice Bookline uses) plus an OAuth token endpoint, served
 * by node:http on 127.0.0.1 so the real `@googleapis/calendar` client can be pointed at it with
 * `rootUrl`. Test and tooling code only; nothing under src/ may import it.
 *
 * Behaviour follows /work/shared/reference/google-calendar-v3.md: client-chosen base32hex ids with
 * 409 on duplicates (tombstones included), delete as a `cancelled` tombstone with 410 on a second
 * delete, private/shared extended-property filters, freeBusy that skips cancelled and transparent
 * events, Google-shaped error bodies, and faults injected per route from a queue (or at a rate).
 * Sync (events.list with syncToken, 410 fullSyncRequired) and push (events.watch, channels.stop,
 * outbound notification POSTs with the X-Goog-* headers) follow round2-integrations.md section 1.
 * Not modelled: recurrence expansion, attendees/notifications, ACLs beyond read-only.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';

export type FakeRoute = 'insert' | 'patch' | 'update' | 'delete' | 'get' | 'list' | 'freebusy' | 'token' | 'calendar' | 'calendarList' | 'watch' | 'stop';
export const FAKE_ROUTES: readonly FakeRoute[] = ['insert', 'patch', 'update', 'delete', 'get', 'list', 'freebusy', 'token', 'calendar', 'calendarList', 'watch', 'stop'];

export interface Fault {
  /** Answer with this HTTP status and a Google-shaped error body (OAuth-shaped on the token route). */
  status?: number;
  /** Error reason; defaults by status (403 -> rateLimitExceeded, 500 -> backendError...). */
  reason?: string;
  message?: string;
  /** Adds a `Retry-After: <seconds>` header. */
  retryAfterSec?: number;
  /** Wait this long before doing anything else (on top of the fixed latency). */
  delayMs?: number;
  /**
   * Destroy the socket without answering. `true`/'before': the request is not applied.
   * 'after': it IS applied (event stored, deleted...) and then the answer is lost.
   */
  drop?: boolean | 'before' | 'after';
}

export interface EventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface FakeEvent {
  kind: 'calendar#event';
  id: string;
  etag: string;
  status: 'confirmed' | 'tentative' | 'cancelled';
  created: string;
  updated: string;
  sequence: number;
  iCalUID: string;
  summary?: string;
  description?: string;
  start: EventDateTime;
  end: EventDateTime;
  transparency?: 'opaque' | 'transparent';
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  [field: string]: unknown;
}

export type SeedEvent = Partial<FakeEvent> & { start: EventDateTime; end: EventDateTime };

export interface FakeSeed {
  /** calendarId -> events to load. Listed calendars exist even with an empty array. */
  calendars?: Record<string, SeedEvent[]>;
  /** Calendars the caller may read but not write (insert/patch/delete answer 403). */
  readOnlyCalendars?: string[];
}

export interface FakeGoogleCalendarOptions {
  port?: number;
  host?: string;
  /** Added to every request, token requests included. */
  latencyMs?: number;
  /** When given, only these calendars exist (others: 404 / freeBusy notFound). Otherwise any id is accepted. */
  calendars?: string[];
  /** Zone of every calendar (all-day events are whole days in it, as on Google). Default UTC. */
  calendarTimeZone?: string;
  /** Require `Authorization: Bearer <token issued by /token>` on API routes. Default true. */
  requireAuth?: boolean;
  /** freeBusy windows longer than this answer 400 timeRangeTooLong, like Google's (undocumented) limit. */
  maxFreeBusyDays?: number;
  accessTokenTtlSec?: number;
  seed?: FakeSeed;
  /** The fake's clock for channel expiry (tests pass their manual clock). Default Date.now. */
  now?: () => number;
  /** Tombstones in sync answers carry only {kind, etag, id, status}, as Google guarantees no more. */
  minimalTombstones?: boolean;
  /** Channel lifetime when the watch asks for none (Google's default: 7 days). */
  defaultChannelTtlSec?: number;
}

/** A watch channel as the fake holds it. */
export interface FakeChannel {
  id: string;
  calendarId: string;
  resourceId: string;
  address: string;
  token?: string;
  expiration: number;
  stopped: boolean;
  lastMessageNumber: number;
}

/** One notification POST the fake made (or decided not to make). */
export interface Delivery {
  channelId: string;
  state: 'sync' | 'exists';
  messageNumber: number;
  /** HTTP status of the last attempt; 'dropped' by a hook; 'error' when the receiver could not be reached. */
  outcome: number | 'dropped' | 'error';
  attempts: number;
}

export interface TokenGrant {
  grantType: string;
  clientId?: string;
  /** Decoded (unverified) claims of a jwt-bearer assertion: iss, sub, scope, aud. */
  claims?: Record<string, unknown>;
  at: number;
}

export interface FakeGoogleCalendar {
  /** Pass as `rootUrl` (the client appends /calendar/v3/...). */
  url: string;
  tokenUrl: string;
  port: number;
  close(): Promise<void>;
  /** Queue a fault for the next `times` requests of a route ('*' = any route, used after route-specific faults). */
  inject(route: FakeRoute | '*', fault: Fault, times?: number): void;
  clearFaults(): void;
  /** Every request of a non-token route fails with probability `rate`, the fault picked by `random`. 0 turns it off. */
  setFaultRate(rate: number, random: () => number, faults?: Fault[]): void;
  setLatency(ms: number): void;
  /** Requests received per route since start or the last reset, faulted ones included; `total` sums them. */
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Stored events of a calendar, tombstones included, as deep copies. */
  events(calendarId: string): FakeEvent[];
  addCalendar(calendarId: string, opts?: { readOnly?: boolean }): void;
  addEvent(calendarId: string, event: SeedEvent): FakeEvent;
  /** freeBusy reports this calendar with `errors: [{reason}]` instead of busy times; null clears it. */
  failFreeBusyFor(calendarId: string, reason: string | null): void;
  /** Every refresh token stops working: the token endpoint answers 400 invalid_grant. */
  revokeRefreshTokens(): void;
  /** Every issued access token becomes invalid (API routes answer 401) while clients still think it is fresh. */
  expireAccessTokens(): void;
  tokenGrants(): TokenGrant[];
  /** Staff editing an event in Google: merges like events.patch, bumps sequence and the change feed, notifies. */
  editEvent(calendarId: string, eventId: string, patch: Record<string, unknown>): FakeEvent;
  /** Staff deleting an event in Google: leaves a tombstone, notifies. */
  deleteEvent(calendarId: string, eventId: string): void;
  /** Every sync token of the calendar (all when omitted) now answers 410 fullSyncRequired. */
  expireSyncTokens(calendarId?: string): void;
  channels(): FakeChannel[];
  /** The next `n` notifications are not sent. */
  dropNotifications(n: number): void;
  /** The next `n` notifications are sent twice. */
  duplicateNotifications(n: number): void;
  /** Every notification waits this long before it is sent (0 = send at once). */
  delayNotifications(ms: number): void;
  /** Posts a notification on a channel whatever its state (an orphan after stop or expiry). */
  fireChannel(channelId: string): void;
  deliveries(): Delivery[];
  /** Resolves when every notification started so far has been delivered or given up. */
  notificationsSettled(): Promise<void>;
}

interface Calendar {
  id: string;
  readOnly: boolean;
  timeZone: string;
  events: Map<string, StoredEvent>;
  freeBusyError?: string;
  /** Bumped by expireSyncTokens: tokens minted under an older generation answer 410. */
  tokenGeneration: number;
  /** Stable per calendar, as Google's X-Goog-Resource-ID is per watched collection. */
  resourceId: string;
}

interface SyncTokenBody {
  c: string;
  m: number;
  g: number;
  p: string;
}

/** Parameters that must not be combined with syncToken (Google answers 400). */
const NOT_WITH_SYNC_TOKEN = ['iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty', 'timeMin', 'timeMax', 'updatedMin'];
/** Statuses Google's push sender retries with backoff; any other failure is a lost delivery. */
const RETRIED_STATUSES = new Set([500, 502, 503, 504]);

interface StoredEvent {
  ev: FakeEvent;
  startMs: number;
  endMs: number;
  /** Insertion order: the "unspecified, stable order" of an unordered list. */
  seq: number;
  /** Position in the change feed: bumped by every write, delete included. */
  mod: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason?: string,
    message?: string,
    readonly extra: { location?: string; locationType?: string } = {},
  ) {
    super(message ?? DEFAULT_MESSAGES[status] ?? 'Error');
  }
}

const DEFAULT_REASONS: Record<number, string> = {
  400: 'badRequest',
  401: 'authError',
  403: 'rateLimitExceeded',
  404: 'notFound',
  409: 'duplicate',
  410: 'deleted',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  502: 'backendError',
  503: 'backendError',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Invalid Credentials',
  403: 'Rate Limit Exceeded',
  404: 'Not Found',
  409: 'The requested identifier already exists.',
  410: 'Resource has been deleted',
  412: 'Precondition Failed',
  429: 'Rate Limit Exceeded',
  500: 'Backend Error',
  502: 'Bad Gateway',
  503: 'Backend Error',
};

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const USAGE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);
const CALENDAR_DOMAIN_REASONS = new Set(['timeRangeEmpty', 'timeRangeTooLong', 'requiredAccessLevel', 'tooManyCalendarsRequested']);

function googleErrorBody(status: number, reason: string, message: string, extra: HttpError['extra'] = {}) {
  const domain = USAGE_LIMIT_REASONS.has(reason) ? 'usageLimits' : CALENDAR_DOMAIN_REASONS.has(reason) ? 'calendar' : 'global';
  const statusName = STATUS_NAMES[status];
  return {
    error: {
      errors: [{ domain, reason, message, ...extra }],
      code: status,
      message,
      // Live 403 usageLimits bodies carry no `status`; the rest usually do.
      ...(statusName && !USAGE_LIMIT_REASONS.has(reason) && { status: statusName }),
    },
  };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const EVENT_ID = /^[a-v0-9]{5,1024}$/;
const DAY_MS = 86_400_000;

function parseRfc3339(value: unknown, param: string): number {
  if (typeof value !== 'string' || !RFC3339.test(value)) {
    throw new HttpError(400, 'badRequest', `Bad Request: invalid value for ${param}`, { location: param, locationType: 'parameter' });
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new HttpError(400, 'badRequest', `Bad Request: invalid value for ${param}`);
  return ms;
}

function eventTime(t: unknown, which: 'start' | 'end', calTz: string): number {
  if (typeof t !== 'object' || t === null) throw new HttpError(400, 'required', `Missing ${which} time.`);
  const dt = t as EventDateTime;
  const zone = dt.timeZone ?? calTz;
  let parsed: DateTime | undefined;
  if (typeof dt.dateTime === 'string') {
    // An explicit offset wins; without one the timeZone field says how to read the wall time.
    parsed = /([Zz]|[+-]\d{2}:\d{2})$/.test(dt.dateTime)
      ? DateTime.fromISO(dt.dateTime, { setZone: true })
      : DateTime.fromISO(dt.dateTime, { zone });
  } else if (typeof dt.date === 'string') {
    parsed = DateTime.fromISO(dt.date, { zone }).startOf('day');
  }
  if (!parsed?.isValid) throw new HttpError(400, 'invalid', `Invalid ${which} time.`);
  return parsed.toMillis();
}

function formatUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function newEtag(): string {
  return `"${Date.now()}${randomBytes(3).readUIntBE(0, 3)}"`;
}

function newEventId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  const bytes = randomBytes(26);
  return Array.from(bytes, (b) => alphabet[b & 31]).join('');
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Google patch semantics: objects merge, arrays replace, null deletes. start/end replace wholesale. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>, depth = 0): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete target[key];
    else if (isPlainObject(value) && isPlainObject(target[key]) && !(depth === 0 && (key === 'start' || key === 'end'))) {
      mergePatch(target[key] as Record<string, unknown>, value, depth + 1);
    } else target[key] = structuredClone(value);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function decodeJwtClaims(assertion: string): Record<string, unknown> | undefined {
  const part = assertion.split('.')[1];
  if (!part) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isPlainObject(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startFakeGoogleCalendar(opts: FakeGoogleCalendarOptions = {}): Promise<FakeGoogleCalendar> {
  const host = opts.host ?? '127.0.0.1';
  const requireAuth = opts.requireAuth ?? true;
  const maxFreeBusyMs = (opts.maxFreeBusyDays ?? 90) * DAY_MS;
  const tokenTtlSec = opts.accessTokenTtlSec ?? 3600;
  let latencyMs = opts.latencyMs ?? 0;

  const restricted = opts.calendars !== undefined || opts.seed?.calendars !== undefined;
  const calendars = new Map<string, Calendar>();
  let seq = 0;
  const faults = new Map<string, Fault[]>();
  let faultRate = 0;
  let faultRandom: () => number = Math.random;
  let rateFaults: Fault[] = [{ status: 429 }, { status: 500 }, { drop: 'before' }, { drop: 'after' }];
  let counts: Record<string, number> = {};
  const accessTokens = new Map<string, number>();
  let refreshRevoked = false;
  const grants: TokenGrant[] = [];
  let tokenCounter = 0;
  let mod = 0;
  const now = opts.now ?? Date.now;
  const channels = new Map<string, FakeChannel>();
  const deliveries: Delivery[] = [];
  const inFlight = new Set<Promise<void>>();
  let dropNext = 0;
  let duplicateNext = 0;
  let notifyDelayMs = 0;

  function addCalendar(id: string, o: { readOnly?: boolean } = {}): Calendar {
    let cal = calendars.get(id);
    if (!cal) {
      cal = { id, readOnly: false, timeZone: opts.calendarTimeZone ?? 'UTC', events: new Map(), tokenGeneration: 0, resourceId: `res-${randomBytes(8).toString('hex')}` };
      calendars.set(id, cal);
    }
    if (o.readOnly !== undefined) cal.readOnly = o.readOnly;
    return cal;
  }

  function calendarFor(id: string): Calendar {
    const cal = calendars.get(id);
    if (cal) return cal;
    if (restricted) throw new HttpError(404, 'notFound');
    return addCalendar(id);
  }

  function store(cal: Calendar, ev: FakeEvent, existingSeq?: number): StoredEvent {
    const stored: StoredEvent = {
      ev,
      startMs: eventTime(ev.start, 'start', cal.timeZone),
      endMs: eventTime(ev.end, 'end', cal.timeZone),
      seq: existingSeq ?? ++seq,
      mod: ++mod,
    };
    if (stored.endMs < stored.startMs) throw new HttpError(400, 'timeRangeEmpty', 'The specified time range is empty.');
    cal.events.set(ev.id, stored);
    changed(cal);
    return stored;
  }

  function tombstone(cal: Calendar, existing: StoredEvent): void {
    existing.ev = { ...existing.ev, status: 'cancelled', etag: newEtag(), updated: new Date().toISOString() };
    existing.mod = ++mod;
    changed(cal);
  }

  // ---- push: one `exists` message per change to every live channel on the calendar

  function changed(cal: Calendar): void {
    for (const ch of channels.values()) {
      if (ch.calendarId === cal.id && !ch.stopped && ch.expiration > now()) notify(ch, 'exists');
    }
  }

  function notify(ch: FakeChannel, state: 'sync' | 'exists'): void {
    // Message numbers grow but skip, as Google's do.
    ch.lastMessageNumber = state === 'sync' ? 1 : ch.lastMessageNumber + 1 + (randomBytes(1)[0]! % 3);
    const number = ch.lastMessageNumber;
    if (dropNext > 0) {
      dropNext--;
      deliveries.push({ channelId: ch.id, state, messageNumber: number, outcome: 'dropped', attempts: 0 });
      return;
    }
    const copies = duplicateNext > 0 ? (duplicateNext--, 2) : 1;
    for (let i = 0; i < copies; i++) {
      const p = deliver(ch, state, number).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }

  async function deliver(ch: FakeChannel, state: 'sync' | 'exists', number: number): Promise<void> {
    // Never inside the request that caused it: Google posts from elsewhere, after (or racing) its answer.
    await sleep(notifyDelayMs);
    const record: Delivery = { channelId: ch.id, state, messageNumber: number, outcome: 'error', attempts: 0 };
    deliveries.push(record);
    const headers: Record<string, string> = {
      'user-agent': 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)',
      'x-goog-channel-id': ch.id,
      'x-goog-message-number': String(number),
      'x-goog-resource-id': ch.resourceId,
      'x-goog-resource-state': state,
      'x-goog-resource-uri': `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(ch.calendarId)}/events?alt=json`,
      'x-goog-channel-expiration': new Date(ch.expiration).toUTCString(),
      'content-length': '0',
      ...(ch.token !== undefined && { 'x-goog-channel-token': ch.token }),
    };
    for (let attempt = 0; attempt < 4; attempt++) {
      record.attempts = attempt + 1;
      try {
        const res = await fetch(ch.address, { method: 'POST', headers, signal: AbortSignal.timeout(5000) });
        await res.arrayBuffer().catch(() => undefined);
        record.outcome = res.status;
        if (!RETRIED_STATUSES.has(res.status)) return;
      } catch {
        record.outcome = 'error';
        return;
      }
      await sleep(10 * 2 ** attempt);
    }
  }

  function buildEvent(cal: Calendar, body: Record<string, unknown>, id: string): FakeEvent {
    const now = new Date().toISOString();
    const ev: FakeEvent = {
      ...(structuredClone(body) as Partial<FakeEvent>),
      kind: 'calendar#event',
      id,
      etag: newEtag(),
      status: (body.status as FakeEvent['status'] | undefined) ?? 'confirmed',
      created: now,
      updated: now,
      sequence: 0,
      iCalUID: `${id}@google.com`,
      htmlLink: `https://www.google.com/calendar/event?eid=${id}`,
      creator: { email: cal.id, self: true },
      organizer: { email: cal.id, self: true },
      start: body.start as EventDateTime,
      end: body.end as EventDateTime,
    };
    // Google omits the default.
    if (ev.transparency === 'opaque') delete ev.transparency;
    return ev;
  }

  function seedEvent(calendarId: string, e: SeedEvent): FakeEvent {
    const cal = addCalendar(calendarId);
    const id = e.id ?? newEventId();
    const ev = buildEvent(cal, e as Record<string, unknown>, id);
    store(cal, ev);
    return structuredClone(ev);
  }

  for (const id of opts.calendars ?? []) addCalendar(id);
  for (const [id, evs] of Object.entries(opts.seed?.calendars ?? {})) {
    addCalendar(id);
    for (const e of evs) seedEvent(id, e);
  }
  for (const id of opts.seed?.readOnlyCalendars ?? []) addCalendar(id, { readOnly: true });

  function routeOf(method: string, path: string): { route: FakeRoute; calendarId?: string; eventId?: string } | undefined {
    if (path === '/token' && method === 'POST') return { route: 'token' };
    if (path === '/calendar/v3/freeBusy' && method === 'POST') return { route: 'freebusy' };
    if (path === '/calendar/v3/users/me/calendarList' && method === 'GET') return { route: 'calendarList' };
    if (path === '/calendar/v3/channels/stop' && method === 'POST') return { route: 'stop' };
    const w = /^\/calendar\/v3\/calendars\/([^/]+)\/events\/watch$/.exec(path);
    if (w && method === 'POST') return { route: 'watch', calendarId: decodeURIComponent(w[1]!) };
    const m = /^\/calendar\/v3\/calendars\/([^/]+)(?:\/events(?:\/([^/]+))?)?$/.exec(path);
    if (!m) return undefined;
    const calendarId = decodeURIComponent(m[1]!);
    const hasEvents = path.includes('/events');
    const eventId = m[2] === undefined ? undefined : decodeURIComponent(m[2]);
    if (!hasEvents) return method === 'GET' ? { route: 'calendar', calendarId } : undefined;
    if (eventId === undefined) {
      if (method === 'GET') return { route: 'list', calendarId };
      if (method === 'POST') return { route: 'insert', calendarId };
      return undefined;
    }
    const byMethod: Record<string, FakeRoute> = { GET: 'get', PATCH: 'patch', PUT: 'update', DELETE: 'delete' };
    const route = byMethod[method];
    return route ? { route, calendarId, eventId } : undefined;
  }

  function nextFault(route: FakeRoute): Fault | undefined {
    for (const key of [route, '*']) {
      const q = faults.get(key);
      if (q && q.length > 0) return q.shift();
    }
    if (route !== 'token' && faultRate > 0 && faultRandom() < faultRate) {
      return rateFaults[Math.min(rateFaults.length - 1, Math.floor(faultRandom() * rateFaults.length))];
    }
    return undefined;
  }

  function checkAuth(req: http.IncomingMessage): void {
    if (!requireAuth) return;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const exp = m ? accessTokens.get(m[1]!) : undefined;
    if (exp === undefined || exp < Date.now()) {
      throw new HttpError(401, 'authError', 'Invalid Credentials', { location: 'Authorization', locationType: 'header' });
    }
  }

  function requireWritable(cal: Calendar): void {
    if (cal.readOnly) throw new HttpError(403, 'requiredAccessLevel', 'You need to have writer access to this calendar.');
  }

  function checkIfMatch(req: http.IncomingMessage, ev: FakeEvent): void {
    const want = req.headers['if-match'];
    if (want !== undefined && want !== '*' && want !== ev.etag) {
      throw new HttpError(412, 'conditionNotMet', 'Precondition Failed', { location: 'If-Match', locationType: 'header' });
    }
  }

  function parseJson(text: string): Record<string, unknown> {
    try {
      const v: unknown = JSON.parse(text || '{}');
      if (isPlainObject(v)) return v;
    } catch {
      // fall through
    }
    throw new HttpError(400, 'parseError', 'Parse Error');
  }

  function token(body: string): Reply {
    const form = new URLSearchParams(body);
    const grantType = form.get('grant_type') ?? '';
    const oauthError = (status: number, error: string, description: string): Reply => ({
      status,
      body: { error, error_description: description },
    });
    if (grantType === 'refresh_token') {
      const clientId = form.get('client_id') ?? undefined;
      grants.push({ grantType, ...(clientId && { clientId }), at: Date.now() });
      if (!clientId) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
      if (!form.get('refresh_token')) return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
      if (refreshRevoked) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
    } else if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const claims = decodeJwtClaims(form.get('assertion') ?? '');
      grants.push({ grantType, ...(claims && { claims }), at: Date.now() });
      if (!claims || typeof claims.iss !== 'string') return oauthError(400, 'invalid_grant', 'Invalid JWT: missing issuer.');
    } else {
      grants.push({ grantType, at: Date.now() });
      return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
    }
    const accessToken = `ya29.fake-${++tokenCounter}-${randomBytes(6).toString('hex')}`;
    accessTokens.set(accessToken, Date.now() + tokenTtlSec * 1000);
    return { status: 200, body: { access_token: accessToken, expires_in: tokenTtlSec, token_type: 'Bearer' } };
  }

  /** The parameters a sync token is bound to: every one except the paging and token ones. */
  function paramsHash(q: URLSearchParams): string {
    const keep = [...q.entries()].filter(([k]) => !['syncToken', 'pageToken', 'maxResults', 'alt', 'prettyPrint'].includes(k)).sort();
    return JSON.stringify(keep);
  }

  function mintSyncToken(cal: Calendar, m: number, q: URLSearchParams): string {
    const body: SyncTokenBody = { c: cal.id, m, g: cal.tokenGeneration, p: paramsHash(q) };
    return Buffer.from(JSON.stringify(body)).toString('base64url');
  }

  function fullSyncRequired(): HttpError {
    return new HttpError(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.', { location: 'syncToken', locationType: 'parameter' });
  }

  function readSyncToken(cal: Calendar, token: string, q: URLSearchParams): SyncTokenBody {
    let body: SyncTokenBody;
    try {
      body = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as SyncTokenBody;
    } catch {
      throw fullSyncRequired();
    }
    if (typeof body?.m !== 'number' || body.c !== cal.id || body.g !== cal.tokenGeneration || body.p !== paramsHash(q)) throw fullSyncRequired();
    return body;
  }

  /** Page tokens carry the snapshot the listing started from, so a change between pages lands in the next sync, not nowhere. */
  function readPageToken(q: URLSearchParams): { offset: number; snapshot: number } {
    if (!q.has('pageToken')) return { offset: 0, snapshot: mod };
    try {
      const v = JSON.parse(Buffer.from(q.get('pageToken')!, 'base64url').toString()) as { o: number; s: number };
      if (Number.isInteger(v.o) && v.o >= 0 && Number.isInteger(v.s)) return { offset: v.o, snapshot: v.s };
    } catch {
      // fall through
    }
    throw new HttpError(400, 'invalid', 'Invalid page token.');
  }

  function listChanges(cal: Calendar, q: URLSearchParams): Reply {
    const forbidden = NOT_WITH_SYNC_TOKEN.find((k) => q.has(k));
    if (forbidden) throw new HttpError(400, 'invalid', `Bad Request: syncToken cannot be combined with ${forbidden}`, { location: forbidden, locationType: 'parameter' });
    const from = readSyncToken(cal, q.get('syncToken')!, q).m;
    const { offset, snapshot } = readPageToken(q);
    const maxResults = Math.min(2500, Math.max(1, Number(q.get('maxResults') ?? 250) || 250));
    // Deleted entries are always included in an incremental answer.
    const all = [...cal.events.values()].filter((s) => s.mod > from && s.mod <= snapshot).sort((a, b) => a.mod - b.mod);
    const page = all.slice(offset, offset + maxResults);
    const more = offset + maxResults < all.length;
    return {
      status: 200,
      body: {
        kind: 'calendar#events',
        etag: newEtag(),
        summary: cal.id,
        updated: new Date().toISOString(),
        timeZone: cal.timeZone,
        accessRole: cal.readOnly ? 'reader' : 'owner',
        defaultReminders: [],
        items: page.map((s) => (s.ev.status === 'cancelled' && opts.minimalTombstones ? { kind: s.ev.kind, etag: s.ev.etag, id: s.ev.id, status: 'cancelled' } : s.ev)),
        ...(more
          ? { nextPageToken: Buffer.from(JSON.stringify({ o: offset + maxResults, s: snapshot })).toString('base64url') }
          : { nextSyncToken: mintSyncToken(cal, snapshot, q) }),
      },
    };
  }

  function watch(cal: Calendar, body: Record<string, unknown>): Reply {
    const id = body.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 64 || !/^[A-Za-z0-9\-_+/=]+$/.test(id)) {
      throw new HttpError(400, 'invalid', 'Invalid channel id.', { location: 'id', locationType: 'parameter' });
    }
    if (body.type !== 'web_hook' && body.type !== 'webhook') throw new HttpError(400, 'invalid', 'Invalid channel type.');
    if (typeof body.address !== 'string' || !/^https?:\/\//.test(body.address)) throw new HttpError(400, 'invalid', 'Invalid channel address.');
    if (body.token !== undefined && (typeof body.token !== 'string' || body.token.length > 256)) throw new HttpError(400, 'invalid', 'Invalid channel token.');
    const live = channels.get(id);
    if (live && !live.stopped && live.expiration > now()) throw new HttpError(400, 'channelIdNotUnique', 'Channel id not unique.');
    const params = isPlainObject(body.params) ? body.params : {};
    const ttlSec = Number(params.ttl ?? opts.defaultChannelTtlSec ?? 604_800);
    let expiration = now() + (Number.isFinite(ttlSec) && ttlSec > 0 ? ttlSec : 604_800) * 1000;
    const asked = body.expiration === undefined ? undefined : Number(body.expiration);
    if (asked !== undefined && Number.isFinite(asked)) expiration = Math.min(expiration, asked);
    const ch: FakeChannel = {
      id,
      calendarId: cal.id,
      resourceId: cal.resourceId,
      address: body.address,
      ...(typeof body.token === 'string' && { token: body.token }),
      expiration,
      stopped: false,
      lastMessageNumber: 0,
    };
    channels.set(id, ch);
    notify(ch, 'sync');
    return {
      status: 200,
      body: {
        kind: 'api#channel',
        id,
        resourceId: cal.resourceId,
        resourceUri: `https://www.googleapis.com/calendar/v3/calendars/${encodeURIComponent(cal.id)}/events?alt=json`,
        ...(ch.token !== undefined && { token: ch.token }),
        // The client hands this back as a string of epoch milliseconds.
        expiration: String(expiration),
      },
    };
  }

  function stopChannel(body: Record<string, unknown>): Reply {
    const ch = typeof body.id === 'string' ? channels.get(body.id) : undefined;
    if (!ch || ch.resourceId !== body.resourceId) throw new HttpError(404, 'notFound', `Channel '${String(body.id)}' not found for project`);
    ch.stopped = true;
    return { status: 204 };
  }

  function listEvents(cal: Calendar, q: URLSearchParams): Reply {
    if (q.has('syncToken')) return listChanges(cal, q);
    const timeMin = q.has('timeMin') ? parseRfc3339(q.get('timeMin'), 'timeMin') : undefined;
    const timeMax = q.has('timeMax') ? parseRfc3339(q.get('timeMax'), 'timeMax') : undefined;
    if (timeMin !== undefined && timeMax !== undefined && timeMin >= timeMax) {
      throw new HttpError(400, 'timeRangeEmpty', 'The specified time range is empty.', { location: 'timeMax', locationType: 'parameter' });
    }
    const singleEvents = q.get('singleEvents') === 'true';
    const orderBy = q.get('orderBy');
    if (orderBy === 'startTime' && !singleEvents) {
      throw new HttpError(400, 'badRequest', 'The requested ordering is not available for the particular query.');
    }
    const showDeleted = q.get('showDeleted') === 'true';
    const maxResults = Math.min(2500, Math.max(1, Number(q.get('maxResults') ?? 250) || 250));
    const filters = (param: string) =>
      q.getAll(param).map((p) => {
        const i = p.indexOf('=');
        return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
      });
    const priv = filters('privateExtendedProperty');
    const shared = filters('sharedExtendedProperty');
    const text = q.get('q')?.toLowerCase();
    const iCalUID = q.get('iCalUID');

    let items = [...cal.events.values()].filter((s) => {
      if (s.ev.status === 'cancelled' && !showDeleted) return false;
      if (timeMin !== undefined && !(s.endMs > timeMin)) return false;
      if (timeMax !== undefined && !(s.startMs < timeMax)) return false;
      if (iCalUID && s.ev.iCalUID !== iCalUID) return false;
      if (priv.some(([k, v]) => s.ev.extendedProperties?.private?.[k!] !== v)) return false;
      if (shared.some(([k, v]) => s.ev.extendedProperties?.shared?.[k!] !== v)) return false;
      if (text) {
        const hay = [s.ev.summary, s.ev.description, s.ev.location].filter((x) => typeof x === 'string').join(' ').toLowerCase();
        if (!hay.includes(text)) return false;
      }
      return true;
    });
    items.sort(orderBy === 'startTime' ? (a, b) => a.startMs - b.startMs || a.seq - b.seq : (a, b) => a.seq - b.seq);

    const { offset, snapshot } = readPageToken(q);
    // Later writes wait for the next incremental sync (their mod is past the token's).
    items = items.filter((s) => s.mod <= snapshot);
    const page = items.slice(offset, offset + maxResults);
    const more = offset + maxResults < items.length;
    items = page;
    return {
      status: 200,
      body: {
        kind: 'calendar#events',
        etag: newEtag(),
        summary: cal.id,
        updated: new Date().toISOString(),
        timeZone: cal.timeZone,
        accessRole: cal.readOnly ? 'reader' : 'owner',
        defaultReminders: [],
        items: items.map((s) => s.ev),
        ...(more
          ? { nextPageToken: Buffer.from(JSON.stringify({ o: offset + maxResults, s: snapshot })).toString('base64url') }
          : { nextSyncToken: mintSyncToken(cal, snapshot, q) }),
      },
    };
  }

  function freeBusy(body: Record<string, unknown>): Reply {
    const timeMin = parseRfc3339(body.timeMin, 'timeMin');
    const timeMax = parseRfc3339(body.timeMax, 'timeMax');
    if (timeMax <= timeMin) throw new HttpError(400, 'timeRangeEmpty', 'The specified time range is empty.');
    if (timeMax - timeMin > maxFreeBusyMs) throw new HttpError(400, 'timeRangeTooLong', 'The requested time range is too long.');
    const items = Array.isArray(body.items) ? (body.items as unknown[]) : [];
    // Real Google's reaction to >50 ids is undocumented; failing loudly catches callers that forget to chunk.
    if (items.length > 50) throw new HttpError(400, 'tooManyCalendarsRequested', 'Too many calendars requested.');
    const out: Record<string, unknown> = {};
    for (const item of items) {
      const id = isPlainObject(item) && typeof item.id === 'string' ? item.id : undefined;
      if (id === undefined) continue;
      const cal = calendars.get(id) ?? (restricted ? undefined : addCalendar(id));
      if (!cal) {
        out[id] = { errors: [{ domain: 'global', reason: 'notFound' }], busy: [] };
        continue;
      }
      if (cal.freeBusyError) {
        out[id] = { errors: [{ domain: 'global', reason: cal.freeBusyError }], busy: [] };
        continue;
      }
      const busy = [...cal.events.values()]
        .filter((s) => s.ev.status !== 'cancelled' && s.ev.transparency !== 'transparent' && s.endMs > timeMin && s.startMs < timeMax)
        .sort((a, b) => a.startMs - b.startMs)
        .map((s) => ({ start: formatUtc(Math.max(s.startMs, timeMin)), end: formatUtc(Math.min(s.endMs, timeMax)) }));
      out[id] = { busy };
    }
    return { status: 200, body: { kind: 'calendar#freeBusy', timeMin: formatUtc(timeMin), timeMax: formatUtc(timeMax), calendars: out } };
  }

  /** Every calendar of the fake is on the caller's list; the first one is their primary. */
  function calendarList(q: URLSearchParams): Reply {
    const all = [...calendars.values()];
    const offset = Number(q.get('pageToken') ?? '0');
    const max = Math.min(Number(q.get('maxResults') ?? '100') || 100, 250);
    const page = all.slice(offset, offset + max);
    const items = page.map((cal, i) => ({
      kind: 'calendar#calendarListEntry',
      etag: `"${cal.id.length}"`,
      id: cal.id,
      summary: cal.id,
      timeZone: cal.timeZone,
      accessRole: cal.readOnly ? 'reader' : 'owner',
      ...(offset + i === 0 && { primary: true }),
    }));
    return {
      status: 200,
      body: { kind: 'calendar#calendarList', etag: '"list"', items, ...(offset + max < all.length && { nextPageToken: String(offset + max) }) },
    };
  }

  function dispatch(
    req: http.IncomingMessage,
    r: { route: FakeRoute; calendarId?: string; eventId?: string },
    q: URLSearchParams,
    rawBody: string,
  ): Reply {
    if (r.route === 'token') return token(rawBody);
    checkAuth(req);
    if (r.route === 'freebusy') return freeBusy(parseJson(rawBody));
    if (r.route === 'calendarList') return calendarList(q);
    if (r.route === 'stop') return stopChannel(parseJson(rawBody));
    const cal = calendarFor(r.calendarId!);
    const existing = r.eventId === undefined ? undefined : cal.events.get(r.eventId);
    switch (r.route) {
      case 'calendar':
        return { status: 200, body: { kind: 'calendar#calendar', id: cal.id, summary: cal.id, timeZone: cal.timeZone, etag: newEtag() } };
      case 'list':
        return listEvents(cal, q);
      case 'watch':
        return watch(cal, parseJson(rawBody));
      case 'get':
        if (!existing) throw new HttpError(404, 'notFound');
        return { status: 200, body: existing.ev };
      case 'insert': {
        requireWritable(cal);
        const body = parseJson(rawBody);
        let id: string;
        if (body.id !== undefined) {
          if (typeof body.id !== 'string' || !EVENT_ID.test(body.id)) throw new HttpError(400, 'invalid', 'Invalid resource id value.');
          if (cal.events.has(body.id)) throw new HttpError(409, 'duplicate');
          id = body.id;
        } else id = newEventId();
        if (body.start === undefined) throw new HttpError(400, 'required', 'Missing start time.');
        if (body.end === undefined) throw new HttpError(400, 'required', 'Missing end time.');
        return { status: 200, body: store(cal, buildEvent(cal, body, id)).ev };
      }
      case 'patch':
      case 'update': {
        if (!existing) throw new HttpError(404, 'notFound');
        requireWritable(cal);
        checkIfMatch(req, existing.ev);
        const body = parseJson(rawBody);
        let next: FakeEvent;
        if (r.route === 'patch') {
          next = structuredClone(existing.ev);
          mergePatch(next as Record<string, unknown>, body);
        } else {
          if (body.start === undefined || body.end === undefined) throw new HttpError(400, 'required', 'Missing start or end time.');
          const { id, created, iCalUID, sequence, creator, organizer, htmlLink, kind } = existing.ev;
          next = { ...(structuredClone(body) as Partial<FakeEvent>), id, created, iCalUID, sequence, creator, organizer, htmlLink, kind } as FakeEvent;
          next.status ??= 'confirmed';
        }
        next.id = existing.ev.id;
        next.etag = newEtag();
        next.updated = new Date().toISOString();
        if (JSON.stringify([next.start, next.end]) !== JSON.stringify([existing.ev.start, existing.ev.end])) next.sequence = existing.ev.sequence + 1;
        if (next.transparency === 'opaque') delete next.transparency;
        return { status: 200, body: store(cal, next, existing.seq).ev };
      }
      case 'delete': {
        if (!existing) throw new HttpError(404, 'notFound');
        if (existing.ev.status === 'cancelled') throw new HttpError(410, 'deleted');
        requireWritable(cal);
        checkIfMatch(req, existing.ev);
        tombstone(cal, existing);
        return { status: 204 };
      }
      default:
        throw new HttpError(404, 'notFound');
    }
  }

  function send(res: http.ServerResponse, reply: Reply): void {
    if (reply.status === 204 || reply.body === undefined) {
      res.writeHead(reply.status, reply.headers);
      res.end();
      return;
    }
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    });
    res.end(text);
  }

  function errorReply(route: FakeRoute, status: number, reason: string | undefined, message: string | undefined, extra?: HttpError['extra']): Reply {
    if (route === 'token') {
      return { status, body: { error: reason ?? (status >= 500 ? 'internal_failure' : 'invalid_request'), error_description: message ?? DEFAULT_MESSAGES[status] ?? 'Error' } };
    }
    const r = reason ?? DEFAULT_REASONS[status] ?? 'unknown';
    return { status, body: googleErrorBody(status, r, message ?? DEFAULT_MESSAGES[status] ?? 'Error', extra) };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const rawBody = await readBody(req);
    const r = routeOf(req.method ?? 'GET', url.pathname);
    const key = r?.route ?? 'unknown';
    counts[key] = (counts[key] ?? 0) + 1;
    counts.total = (counts.total ?? 0) + 1;
    if (latencyMs > 0) await sleep(latencyMs);
    if (!r) return send(res, errorReply('get', 404, 'notFound', `No such route: ${req.method} ${url.pathname}`));

    const fault = nextFault(r.route);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.drop === true || fault?.drop === 'before') {
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined) {
      const reply = errorReply(r.route, fault.status, fault.reason, fault.message);
      if (fault.retryAfterSec !== undefined) reply.headers = { 'retry-after': String(fault.retryAfterSec) };
      return send(res, reply);
    }

    let reply: Reply;
    try {
      reply = dispatch(req, r, url.searchParams, rawBody);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      reply = errorReply(r.route, err.status, err.reason, err.message, err.extra);
    }
    if (fault?.drop === 'after') {
      req.socket.destroy();
      return;
    }
    send(res, reply);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, errorReply('get', 500, 'backendError', `fake crashed: ${(err as Error).message}`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://${host}:${port}`;

  return {
    url: `${base}/`,
    tokenUrl: `${base}/token`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    inject(route, fault, times = 1) {
      const q = faults.get(route) ?? [];
      for (let i = 0; i < times; i++) q.push(fault);
      faults.set(route, q);
    },
    clearFaults() {
      faults.clear();
      faultRate = 0;
    },
    setFaultRate(rate, random, list) {
      faultRate = rate;
      faultRandom = random;
      if (list) rateFaults = list;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    counts: () => ({ ...counts }),
    resetCounts() {
      counts = {};
    },
    events: (calendarId) =>
      [...(calendars.get(calendarId)?.events.values() ?? [])].sort((a, b) => a.seq - b.seq).map((s) => structuredClone(s.ev)),
    addCalendar: (calendarId, o) => void addCalendar(calendarId, o),
    addEvent: seedEvent,
    failFreeBusyFor(calendarId, reason) {
      const cal = addCalendar(calendarId);
      if (reason === null) delete cal.freeBusyError;
      else cal.freeBusyError = reason;
    },
    revokeRefreshTokens() {
      refreshRevoked = true;
    },
    expireAccessTokens() {
      accessTokens.clear();
    },
    tokenGrants: () => grants.map((g) => structuredClone(g)),
    editEvent(calendarId, eventId, patch) {
      const cal = calendarFor(calendarId);
      const existing = cal.events.get(eventId);
      if (!existing) throw new Error(`no event ${eventId} in ${calendarId}`);
      const next = structuredClone(existing.ev);
      mergePatch(next as Record<string, unknown>, patch);
      next.etag = newEtag();
      next.updated = new Date().toISOString();
      if (JSON.stringify([next.start, next.end]) !== JSON.stringify([existing.ev.start, existing.ev.end])) next.sequence = existing.ev.sequence + 1;
      return structuredClone(store(cal, next, existing.seq).ev);
    },
    deleteEvent(calendarId, eventId) {
      const cal = calendarFor(calendarId);
      const existing = cal.events.get(eventId);
      if (!existing) throw new Error(`no event ${eventId} in ${calendarId}`);
      tombstone(cal, existing);
    },
    expireSyncTokens(calendarId) {
      for (const cal of calendars.values()) if (calendarId === undefined || cal.id === calendarId) cal.tokenGeneration++;
    },
    channels: () => [...channels.values()].map((c) => ({ ...c })),
    dropNotifications(n) {
      dropNext = n;
    },
    duplicateNotifications(n) {
      duplicateNext = n;
    },
    delayNotifications(ms) {
      notifyDelayMs = ms;
    },
    fireChannel(channelId) {
      const ch = channels.get(channelId);
      if (!ch) throw new Error(`no channel ${channelId}`);
      notify(ch, 'exists');
    },
    deliveries: () => deliveries.map((d) => ({ ...d })),
    async notificationsSettled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
