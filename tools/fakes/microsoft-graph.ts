/**
 * An in-memory Microsoft Graph v1.0 (the calendar slice Bookline uses) plus the Entra ID v2 token
 * endpoint, on node:http at 127.0.0.1, so the real @azure/msal-node and
 * @microsoft/microsoft-graph-client can be pointed at it. Tests, tools and the bench use it; nothing
 * under src/ may import it.
 *
 * Follows /work/shared/reference/round2-integrations.md section 6: client-credentials tokens,
 * `/users/{id}/calendar/getSchedule` (at most 20 schedules, under 42 days, availabilityView at the
 * interval), `calendarView` (overlap, `@odata.nextLink` paging with `Prefer: odata.maxpagesize`),
 * `calendar/events` POST deduplicated on `transactionId`, `events/{id}` PATCH / DELETE with 404
 * ErrorItemNotFound, the singleValueExtendedProperties `$filter` on `/events`, Graph-shaped error
 * bodies, `Prefer: outlook.timezone` on output (UTC by default), injected faults (429 + Retry-After,
 * 503, 504, dropped connections) and the 4-concurrent-requests-per-mailbox limit (429).
 * Not modelled: recurrence, attendees, delta queries, subscriptions.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';

export type GraphRoute = 'token' | 'getSchedule' | 'calendarView' | 'create' | 'list' | 'get' | 'patch' | 'delete';

export interface GraphFault {
  status?: number;
  code?: string;
  retryAfterSec?: number;
  delayMs?: number;
  /** Destroy the socket without answering: 'before' the request is applied, or 'after' it. */
  drop?: 'before' | 'after';
}

export interface GraphDateTime {
  dateTime: string;
  timeZone: string;
}

export interface GraphEvent {
  id: string;
  '@odata.etag': string;
  changeKey: string;
  iCalUId: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  start: GraphDateTime;
  end: GraphDateTime;
  isAllDay: boolean;
  isCancelled: boolean;
  showAs: 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere' | 'unknown';
  transactionId?: string | null;
  singleValueExtendedProperties?: { id: string; value: string }[];
}

export type SeedGraphEvent = Partial<Omit<GraphEvent, 'start' | 'end'>> & { start: GraphDateTime; end: GraphDateTime };

export interface FakeGraphOptions {
  port?: number;
  /** Mailboxes that exist; others answer 404 ErrorItemNotFound / a schedule error. Any when absent. */
  mailboxes?: string[];
  /** Concurrent requests per mailbox before 429 MailboxConcurrency. */
  mailboxConcurrency?: number;
  latencyMs?: number;
  tokenTtlSec?: number;
}

export interface FakeGraph {
  /** Graph root: pass as the client's baseUrl. */
  url: string;
  /** The token endpoint msal-node is given through authorityMetadata. */
  tokenUrl(tenant: string): string;
  close(): Promise<void>;
  inject(route: GraphRoute | '*', fault: GraphFault, times?: number): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  counts(): Record<string, number>;
  /** Highest number of requests one mailbox had in flight at once. */
  peakConcurrency(mailbox: string): number;
  events(mailbox: string): GraphEvent[];
  addEvent(mailbox: string, ev: SeedGraphEvent): GraphEvent;
  tokenGrants(): { clientId: string; scope: string; tenant: string }[];
  /** Every issued token stops working (401 InvalidAuthenticationToken). */
  revokeTokens(): void;
}

class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSec?: number,
  ) {
    super(message);
  }
}

interface Stored {
  ev: GraphEvent;
  startMs: number;
  endMs: number;
}

const MAX_SCHEDULES = 20;
const MAX_SCHEDULE_DAYS = 42;

function parseGraphTime(t: GraphDateTime | undefined, what: string): number {
  if (!t || typeof t.dateTime !== 'string' || typeof t.timeZone !== 'string') throw new GraphHttpError(400, 'ErrorInvalidRequest', `${what} is required.`);
  const zone = t.timeZone === 'UTC' || t.timeZone === 'Coordinated Universal Time' ? 'UTC' : t.timeZone;
  // Graph takes local wall time plus a zone; an offset in the string would be a client bug.
  if (/(Z|[+-]\d\d:\d\d)$/.test(t.dateTime) && zone !== 'UTC') throw new GraphHttpError(400, 'ErrorInvalidRequest', `${what}.dateTime must not carry an offset.`);
  const d = DateTime.fromISO(t.dateTime.replace(/Z$/, ''), { zone });
  if (!d.isValid) throw new GraphHttpError(400, 'ErrorInvalidRequest', `${what}: ${d.invalidExplanation ?? 'invalid time'}.`);
  return d.toMillis();
}

/** Graph's output format: wall time with seven fractional digits, in the Prefer zone. */
function formatGraphTime(ms: number, zone: string): GraphDateTime {
  const d = DateTime.fromMillis(ms, { zone });
  return { dateTime: `${d.toFormat("yyyy-MM-dd'T'HH:mm:ss")}.0000000`, timeZone: zone };
}

function preferredZone(req: http.IncomingMessage): string {
  const prefer = String(req.headers.prefer ?? '');
  const m = /outlook\.timezone="([^"]+)"/.exec(prefer);
  const zone = m?.[1] ?? 'UTC';
  return DateTime.now().setZone(zone).isValid ? zone : 'UTC';
}

function isBusy(ev: GraphEvent): boolean {
  return !ev.isCancelled && ev.showAs !== 'free' && ev.showAs !== 'workingElsewhere';
}

const AVAILABILITY_DIGIT: Record<GraphEvent['showAs'], number> = { free: 0, tentative: 1, busy: 2, oof: 3, workingElsewhere: 4, unknown: 2 };

export async function startFakeGraph(opts: FakeGraphOptions = {}): Promise<FakeGraph> {
  const mailboxes = new Map<string, Map<string, Stored>>();
  const known = opts.mailboxes ? new Set(opts.mailboxes.map((m) => m.toLowerCase())) : undefined;
  for (const m of opts.mailboxes ?? []) mailboxes.set(m.toLowerCase(), new Map());
  const concurrencyCap = opts.mailboxConcurrency ?? 4;
  const inFlight = new Map<string, number>();
  const peak = new Map<string, number>();
  const faults: { route: GraphRoute | '*'; fault: GraphFault }[] = [];
  const counts: Record<string, number> = {};
  const tokens = new Set<string>();
  const grants: { clientId: string; scope: string; tenant: string }[] = [];
  let latencyMs = opts.latencyMs ?? 0;
  let seq = 0;

  const mailbox = (id: string): Map<string, Stored> => {
    const key = decodeURIComponent(id).toLowerCase();
    if (known && !known.has(key)) throw new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    let m = mailboxes.get(key);
    if (!m) mailboxes.set(key, (m = new Map()));
    return m;
  };

  const store = (box: Map<string, Stored>, ev: GraphEvent): Stored => {
    const startMs = parseGraphTime(ev.start, 'start');
    const endMs = parseGraphTime(ev.end, 'end');
    if (endMs < startMs) throw new GraphHttpError(400, 'ErrorInvalidRequest', 'The end time must be after the start time.');
    const s = { ev, startMs, endMs };
    box.set(ev.id, s);
    return s;
  };

  const newEvent = (fields: SeedGraphEvent): GraphEvent => {
    const now = new Date().toISOString();
    const changeKey = randomBytes(8).toString('base64url');
    return {
      subject: '',
      body: { contentType: 'text', content: '' },
      isAllDay: false,
      isCancelled: false,
      showAs: 'busy',
      ...fields,
      id: `AAMk${randomBytes(18).toString('base64url')}${++seq}`,
      '@odata.etag': `W/"${changeKey}"`,
      changeKey,
      iCalUId: `040000008200E00074C5B7101A82E008${randomBytes(16).toString('hex').toUpperCase()}`,
      createdDateTime: now,
      lastModifiedDateTime: now,
    };
  };

  const render = (s: Stored, zone: string, expandProps: boolean): Record<string, unknown> => {
    const { singleValueExtendedProperties, ...rest } = s.ev;
    return {
      ...rest,
      start: s.ev.isAllDay ? s.ev.start : formatGraphTime(s.startMs, zone),
      end: s.ev.isAllDay ? s.ev.end : formatGraphTime(s.endMs, zone),
      ...(expandProps && singleValueExtendedProperties && { singleValueExtendedProperties }),
    };
  };

  const takeFault = (route: GraphRoute): GraphFault | undefined => {
    const i = faults.findIndex((f) => f.route === route);
    const j = i >= 0 ? i : faults.findIndex((f) => f.route === '*' && route !== 'token');
    if (j < 0) return undefined;
    return faults.splice(j, 1)[0]!.fault;
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (data += c));
      req.on('end', () => resolve(data));
      req.on('error', reject);
    });

  const send = (res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(body !== undefined && { 'content-type': 'application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8' }),
      'request-id': randomUUID(),
      ...headers,
    });
    res.end(text);
  };

  const sendError = (res: http.ServerResponse, e: GraphHttpError) =>
    send(
      res,
      e.status,
      { error: { code: e.code, message: e.message, innerError: { date: new Date().toISOString(), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } },
      e.retryAfterSec !== undefined ? { 'retry-after': String(e.retryAfterSec) } : {},
    );

  const handleToken = async (req: http.IncomingMessage, res: http.ServerResponse, tenant: string) => {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('grant_type') !== 'client_credentials' || !form.get('client_id') || !form.get('client_secret')) {
      send(res, 400, { error: 'invalid_request', error_description: 'AADSTS900144: The request body must contain client_id, client_secret and grant_type=client_credentials.', error_codes: [900144] });
      return;
    }
    if (form.get('client_secret') === 'wrong') {
      send(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
      return;
    }
    const token = `fake-graph-${randomBytes(16).toString('hex')}`;
    tokens.add(token);
    grants.push({ clientId: form.get('client_id')!, scope: form.get('scope') ?? '', tenant });
    const ttl = opts.tokenTtlSec ?? 3599;
    send(res, 200, { token_type: 'Bearer', expires_in: ttl, ext_expires_in: ttl, access_token: token });
  };

  const handleApi = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, route: GraphRoute, user: string, rest: string[]) => {
    const auth = String(req.headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      throw new GraphHttpError(401, 'InvalidAuthenticationToken', auth ? 'Access token validation failure. Invalid audience.' : 'Access token is empty.');
    }
    const zone = preferredZone(req);
    const box = mailbox(user);
    switch (route) {
      case 'getSchedule': {
        const body = JSON.parse((await readBody(req)) || '{}') as {
          schedules?: string[];
          startTime?: GraphDateTime;
          endTime?: GraphDateTime;
          availabilityViewInterval?: number;
        };
        const schedules = body.schedules ?? [];
        if (schedules.length === 0) throw new GraphHttpError(400, 'ErrorInvalidParameter', 'schedules is required.');
        if (schedules.length > MAX_SCHEDULES) throw new GraphHttpError(400, 'ErrorInvalidParameter', `At most ${MAX_SCHEDULES} schedules may be requested.`);
        const start = parseGraphTime(body.startTime, 'startTime');
        const end = parseGraphTime(body.endTime, 'endTime');
        if (end <= start) throw new GraphHttpError(400, 'ErrorInvalidParameter', 'endTime must be after startTime.');
        if (end - start >= MAX_SCHEDULE_DAYS * 86_400_000) throw new GraphHttpError(400, 'ErrorInvalidParameter', `The requested time duration exceeds ${MAX_SCHEDULE_DAYS} days.`);
        const interval = body.availabilityViewInterval ?? 30;
        if (interval < 5 || interval > 1440) throw new GraphHttpError(400, 'ErrorInvalidParameter', 'availabilityViewInterval must be between 5 and 1440.');
        const value = schedules.map((scheduleId) => {
          let events: Stored[];
          try {
            events = [...mailbox(scheduleId).values()].filter((s) => isBusy(s.ev) && s.endMs > start && s.startMs < end);
          } catch {
            return { scheduleId, availabilityView: '', scheduleItems: [], error: { message: 'The user or mailbox could not be found.', responseCode: 'ErrorMailRecipientNotFound' } };
          }
          events.sort((a, b) => a.startMs - b.startMs);
          let view = '';
          for (let t = start; t < end; t += interval * 60_000) {
            const slotEnd = Math.min(end, t + interval * 60_000);
            const digits = events.filter((s) => s.endMs > t && s.startMs < slotEnd).map((s) => AVAILABILITY_DIGIT[s.ev.showAs]);
            view += String(digits.length ? Math.max(...digits) : 0);
          }
          return {
            scheduleId,
            availabilityView: view,
            scheduleItems: events.map((s) => ({
              isPrivate: false,
              status: s.ev.showAs,
              subject: s.ev.subject,
              location: '',
              start: formatGraphTime(s.startMs, zone),
              end: formatGraphTime(s.endMs, zone),
            })),
            workingHours: { daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], startTime: '08:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: 'UTC' } },
          };
        });
        send(res, 200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)', value });
        return;
      }
      case 'calendarView': {
        const s = url.searchParams.get('startDateTime');
        const e = url.searchParams.get('endDateTime');
        if (!s || !e) throw new GraphHttpError(400, 'ErrorInvalidParameter', "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.");
        const start = Date.parse(s.endsWith('Z') || /[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
        const end = Date.parse(e.endsWith('Z') || /[+-]\d\d:\d\d$/.test(e) ? e : `${e}Z`);
        if (Number.isNaN(start) || Number.isNaN(end)) throw new GraphHttpError(400, 'ErrorInvalidParameter', 'StartDateTime and EndDateTime must be ISO 8601 date-times.');
        const all = [...box.values()].filter((x) => !x.ev.isCancelled && x.endMs > start && x.startMs < end).sort((a, b) => a.startMs - b.startMs || a.ev.id.localeCompare(b.ev.id));
        const page = Number(/odata\.maxpagesize=(\d+)/.exec(String(req.headers.prefer ?? ''))?.[1] ?? url.searchParams.get('$top') ?? 10);
        const skip = Number(url.searchParams.get('$skip') ?? 0);
        const slice = all.slice(skip, skip + page);
        const next = skip + page < all.length ? new URL(url.toString()) : undefined;
        next?.searchParams.set('$skip', String(skip + page));
        send(res, 200, { value: slice.map((x) => render(x, zone, false)), ...(next && { '@odata.nextLink': `${baseUrl}${next.pathname}${next.search}` }) });
        return;
      }
      case 'list': {
        // The one $filter shape Bookline sends: an extended property equal to a value.
        const filter = url.searchParams.get('$filter') ?? '';
        const m = /^singleValueExtendedProperties\/Any\(ep: ep\/id eq '([^']+)' and ep\/value eq '([^']*)'\)$/.exec(filter);
        if (!m) throw new GraphHttpError(400, 'ErrorInvalidUrlQueryFilter', 'The filter expression is not supported by this fake.');
        const [, propId, propValue] = m;
        const found = [...box.values()].filter((x) => !x.ev.isCancelled && x.ev.singleValueExtendedProperties?.some((p) => p.id.toLowerCase() === propId!.toLowerCase() && p.value === propValue));
        const expand = (url.searchParams.get('$expand') ?? '').includes('singleValueExtendedProperties');
        send(res, 200, { value: found.map((x) => render(x, zone, expand)) });
        return;
      }
      case 'create': {
        const body = JSON.parse((await readBody(req)) || '{}') as SeedGraphEvent;
        if (body.transactionId) {
          const dup = [...box.values()].find((x) => x.ev.transactionId === body.transactionId && !x.ev.isCancelled);
          if (dup) {
            send(res, 201, render(dup, zone, false));
            return;
          }
        }
        const s = store(box, newEvent(body));
        send(res, 201, render(s, zone, false));
        return;
      }
      case 'get':
      case 'patch':
      case 'delete': {
        const id = decodeURIComponent(rest[0] ?? '');
        const existing = box.get(id);
        if (!existing || existing.ev.isCancelled) throw new GraphHttpError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
        if (route === 'get') {
          send(res, 200, render(existing, zone, (url.searchParams.get('$expand') ?? '').includes('singleValueExtendedProperties')));
          return;
        }
        if (route === 'delete') {
          box.delete(id);
          send(res, 204);
          return;
        }
        const patch = JSON.parse((await readBody(req)) || '{}') as Partial<GraphEvent>;
        if ('transactionId' in patch) throw new GraphHttpError(400, 'ErrorInvalidProperty', 'transactionId cannot be changed.');
        const changeKey = randomBytes(8).toString('base64url');
        const ev: GraphEvent = { ...existing.ev, ...patch, id, changeKey, '@odata.etag': `W/"${changeKey}"`, lastModifiedDateTime: new Date().toISOString() };
        const s = store(box, ev);
        send(res, 200, render(s, zone, false));
        return;
      }
      case 'token':
        return;
    }
  };

  const routeOf = (method: string, parts: string[]): { route: GraphRoute; user: string; rest: string[] } | undefined => {
    // /v1.0/users/{id}/...
    if (parts[0] !== 'v1.0' || parts[1] !== 'users' || !parts[2]) return undefined;
    const user = parts[2];
    const tail = parts.slice(3);
    const path = tail.join('/');
    if (method === 'POST' && path === 'calendar/getSchedule') return { route: 'getSchedule', user, rest: [] };
    if (method === 'GET' && path === 'calendar/calendarView') return { route: 'calendarView', user, rest: [] };
    if (method === 'POST' && (path === 'calendar/events' || path === 'events')) return { route: 'create', user, rest: [] };
    if (method === 'GET' && (path === 'calendar/events' || path === 'events')) return { route: 'list', user, rest: [] };
    if (tail[0] === 'events' && tail.length === 2) {
      if (method === 'GET') return { route: 'get', user, rest: [tail[1]!] };
      if (method === 'PATCH') return { route: 'patch', user, rest: [tail[1]!] };
      if (method === 'DELETE') return { route: 'delete', user, rest: [tail[1]!] };
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', baseUrl);
      const parts = url.pathname.split('/').filter(Boolean);
      const tokenMatch = req.method === 'POST' && parts.length === 4 && parts[1] === 'oauth2' && parts[2] === 'v2.0' && parts[3] === 'token';
      const r = tokenMatch ? { route: 'token' as const, user: '', rest: [] } : routeOf(req.method ?? 'GET', parts);
      if (!r) {
        send(res, 400, { error: { code: 'BadRequest', message: `Resource not found for the segment '${parts.at(-1) ?? ''}'.` } });
        return;
      }
      counts[r.route] = (counts[r.route] ?? 0) + 1;
      counts.total = (counts.total ?? 0) + 1;
      const box = r.route === 'token' ? undefined : decodeURIComponent(r.user).toLowerCase();
      if (box !== undefined) {
        const n = (inFlight.get(box) ?? 0) + 1;
        inFlight.set(box, n);
        peak.set(box, Math.max(peak.get(box) ?? 0, n));
      }
      try {
        if (latencyMs > 0) await new Promise((ok) => setTimeout(ok, latencyMs));
        if (box !== undefined && (inFlight.get(box) ?? 0) > concurrencyCap) {
          throw new GraphHttpError(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency limit.', 1);
        }
        const fault = takeFault(r.route);
        if (fault?.delayMs) await new Promise((ok) => setTimeout(ok, fault.delayMs));
        if (fault?.drop === 'before') {
          req.socket.destroy();
          return;
        }
        if (fault?.status) {
          const code = fault.code ?? (fault.status === 429 ? 'TooManyRequests' : fault.status === 503 ? 'ServiceNotAvailable' : fault.status === 504 ? 'GatewayTimeout' : 'UnknownError');
          throw new GraphHttpError(fault.status, code, `Injected ${fault.status}.`, fault.retryAfterSec);
        }
        if (fault?.drop === 'after') {
          // Apply the request, then lose the answer.
          const sink = Object.assign(Object.create(res) as http.ServerResponse, { writeHead: () => sink, end: () => req.socket.destroy() });
          await (r.route === 'token' ? handleToken(req, sink, parts[0]!) : handleApi(req, sink, url, r.route, r.user, r.rest));
          return;
        }
        if (r.route === 'token') await handleToken(req, res, parts[0]!);
        else await handleApi(req, res, url, r.route, r.user, r.rest);
      } catch (e) {
        if (e instanceof GraphHttpError) sendError(res, e);
        else if (e instanceof SyntaxError) sendError(res, new GraphHttpError(400, 'BadRequest', 'Unable to read JSON request payload.'));
        else sendError(res, new GraphHttpError(500, 'InternalServerError', (e as Error).message));
      } finally {
        if (box !== undefined) inFlight.set(box, (inFlight.get(box) ?? 1) - 1);
      }
    })();
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((ok) => server.listen(opts.port ?? 0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    tokenUrl: (tenant) => `${baseUrl}/${tenant}/oauth2/v2.0/token`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
    inject(route, fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push({ route, fault });
    },
    clearFaults() {
      faults.length = 0;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    counts: () => ({ ...counts }),
    peakConcurrency: (m) => peak.get(m.toLowerCase()) ?? 0,
    events: (m) => [...(mailboxes.get(m.toLowerCase())?.values() ?? [])].map((s) => structuredClone(s.ev)),
    addEvent(m, ev) {
      const box = mailbox(m);
      return structuredClone(store(box, newEvent(ev)).ev);
    },
    tokenGrants: () => [...grants],
    revokeTokens() {
      tokens.clear();
    },
  };
}
