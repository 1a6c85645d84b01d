/**
 * "Connect Google Calendar": one staff member's Google account, connected through Google's consent
 * screen, its refresh token sealed in the store (src/config/crypto.ts, bound to the business and
 * staff member), and the calendar of that account that holds their bookings.
 *
 * The flow: `startConnect` -> Google (consent) -> `finishConnect` (callback) -> `chooseCalendar`.
 * `state` is HMAC-signed (business, staff, nonce, expiry) and its nonce is single-use in the store,
 * where the PKCE verifier waits too (sealed): a replayed or forged callback finds nothing.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { CodeChallengeMethod, OAuth2Client } from 'google-auth-library';
import { type Keyring, parseKeyring, seal, unseal } from '../config/crypto.js';
import type { Env } from '../config/env.js';
import type { Deps } from '../deps.js';
import { safeEqual } from '../http/auth.js';
import type { GoogleConnection } from '../store/ports.js';

/** The one scope asked for (the same as GOOGLE_CALENDAR_SCOPES; not imported, which would load googleapis in every process). */
export const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';
/** How long a consent may take between our redirect and Google's. */
const STATE_TTL_MS = 15 * 60_000;
/** How long the calendar-choice form stays usable after the callback. */
const PICK_TTL_MS = 60 * 60_000;
export const DEFAULT_LINK_TTL_MS = 7 * 86_400_000;

export type ConnectDeps = Pick<Deps, 'settings' | 'store' | 'clock' | 'config' | 'logger'>;

export interface ConnectSettings {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  keyring: Keyring;
  endpoints: { oauth2AuthBaseUrl?: string; oauth2TokenUrl?: string; oauth2RevokeUrl?: string };
  /** Calendar API root (ends with /). */
  apiRoot: string;
}

/** What is missing for the connect flow, or the settings. */
export function connectSettings(settings: Env): ConnectSettings | { missing: string } {
  if (!settings.GOOGLE_OAUTH_CLIENT_ID || !settings.GOOGLE_OAUTH_CLIENT_SECRET) {
    return { missing: 'Connecting Google Calendar needs GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET (an OAuth client of type "Web application").' };
  }
  const keyring = parseKeyring(settings.BOOKLINE_ENCRYPTION_KEY);
  if (!keyring) return { missing: 'Connecting Google Calendar needs BOOKLINE_ENCRYPTION_KEY: refresh tokens are stored encrypted.' };
  return {
    clientId: settings.GOOGLE_OAUTH_CLIENT_ID,
    clientSecret: settings.GOOGLE_OAUTH_CLIENT_SECRET,
    redirectUri: `${settings.PUBLIC_BASE_URL.replace(/\/+$/, '')}/connect/google/callback`,
    keyring,
    endpoints: {
      ...(settings.GOOGLE_OAUTH_AUTH_URL !== undefined && { oauth2AuthBaseUrl: settings.GOOGLE_OAUTH_AUTH_URL }),
      ...(settings.GOOGLE_TOKEN_URL !== undefined && { oauth2TokenUrl: settings.GOOGLE_TOKEN_URL }),
      ...(settings.GOOGLE_OAUTH_REVOKE_URL !== undefined && { oauth2RevokeUrl: settings.GOOGLE_OAUTH_REVOKE_URL }),
    },
    apiRoot: settings.GOOGLE_CALENDAR_ROOT_URL ? `${new URL(settings.GOOGLE_CALENDAR_ROOT_URL).origin}/` : 'https://www.googleapis.com/',
  };
}

/**
 * An OAuth client with the library's own retries off: src/resilience is the one retry policy, and
 * the monitor's next run is the retry of a failed check.
 */
export async function oauthClient(s: ConnectSettings, refreshToken?: string): Promise<OAuth2Client> {
  // Loaded on first use: most processes never connect an account.
  const { OAuth2Client } = await import('google-auth-library');
  const client = new OAuth2Client({ clientId: s.clientId, clientSecret: s.clientSecret, redirectUri: s.redirectUri, endpoints: s.endpoints });
  client.transporter.interceptors.request.add({
    resolved: async (cfg) => {
      cfg.retry = false;
      // The token POSTs set their own retry config (5xx and 429 retried, POST included).
      cfg.retryConfig = { ...cfg.retryConfig, retry: 0, noResponseRetries: 0 };
      return cfg;
    },
  });
  if (refreshToken !== undefined) client.setCredentials({ refresh_token: refreshToken });
  return client;
}

// ------------------------------------------------------------------------------ signed tokens

type Purpose = 'state' | 'link' | 'pick';
interface Signed {
  p: Purpose;
  b: string;
  s: string;
  n: string;
  e: number;
}

function signingKey(ring: Keyring): Buffer {
  return createHmac('sha256', ring.keys.get(ring.current)!).update('bookline/google-connect/v1').digest();
}

function sign(ring: Keyring, v: Signed): string {
  const body = Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${body}.${createHmac('sha256', signingKey(ring)).update(body).digest('base64url')}`;
}

/** The claims, if the signature holds, the purpose and business match and it has not expired. */
function verify(ring: Keyring, token: string, purpose: Purpose, businessId: string, now: number): Signed | undefined {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) return undefined;
  if (!safeEqual(mac, createHmac('sha256', signingKey(ring)).update(body).digest('base64url'))) return undefined;
  try {
    const v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Signed;
    return v.p === purpose && v.b === businessId && typeof v.s === 'string' && typeof v.e === 'number' && v.e > now ? v : undefined;
  } catch {
    return undefined;
  }
}

/** What the sealed refresh token is bound to. */
const sealContext = (businessId: string, staffId: string) => `google-connection:${businessId}:${staffId}`;

export function openRefreshToken(ring: Keyring, businessId: string, c: Pick<GoogleConnection, 'staffId' | 'refreshTokenSealed'>): string {
  return unseal(ring, c.refreshTokenSealed, sealContext(businessId, c.staffId));
}

// ------------------------------------------------------------------------------ the flow

export class ConnectError extends Error {
  constructor(
    readonly code: 'NOT_CONFIGURED' | 'UNKNOWN_STAFF' | 'BAD_STATE' | 'BAD_LINK' | 'DENIED' | 'MISSING_SCOPE' | 'NO_REFRESH_TOKEN' | 'GOOGLE_FAILED' | 'NOT_CONNECTED' | 'UNKNOWN_CALENDAR',
    message: string,
  ) {
    super(message);
  }
}

export function requireSettings(deps: ConnectDeps): ConnectSettings {
  const s = connectSettings(deps.settings);
  if ('missing' in s) throw new ConnectError('NOT_CONFIGURED', s.missing);
  return s;
}

function requireStaff(deps: ConnectDeps, staffId: string) {
  const staff = deps.config.staff.find((m) => m.id === staffId);
  if (!staff) throw new ConnectError('UNKNOWN_STAFF', `There is no staff member "${staffId}".`);
  return staff;
}

/** A one-time link an admin can send to the staff member (no admin key needed to open it). */
export async function createConnectLink(deps: ConnectDeps, staffId: string, ttlMs = DEFAULT_LINK_TTL_MS): Promise<{ url: string; expiresAt: number }> {
  const s = requireSettings(deps);
  requireStaff(deps, staffId);
  const now = deps.clock.now();
  const nonce = randomBytes(18).toString('base64url');
  const expiresAt = now + ttlMs;
  await deps.store.googleConnections.putNonce({ nonce, kind: 'link', staffId, secretSealed: null, expiresAt }, now);
  const token = sign(s.keyring, { p: 'link', b: deps.store.businessId, s: staffId, n: nonce, e: expiresAt });
  const base = deps.settings.PUBLIC_BASE_URL.replace(/\/+$/, '');
  return { url: `${base}/connect/google?staff=${encodeURIComponent(staffId)}&link=${encodeURIComponent(token)}`, expiresAt };
}

/** Uses up a one-time link; throws BAD_LINK when it is forged, expired, for another staff member or used. */
export async function redeemConnectLink(deps: ConnectDeps, staffId: string, token: string): Promise<void> {
  const s = requireSettings(deps);
  const now = deps.clock.now();
  const v = verify(s.keyring, token, 'link', deps.store.businessId, now);
  const used = v && v.s === staffId ? await deps.store.googleConnections.consumeNonce(v.n, 'link', now) : undefined;
  if (!used || used.staffId !== staffId) throw new ConnectError('BAD_LINK', 'This connect link is not valid any more. Ask for a new one.');
}

/** Google's consent URL for this staff member. */
export async function startConnect(deps: ConnectDeps, staffId: string): Promise<string> {
  const s = requireSettings(deps);
  const staff = requireStaff(deps, staffId);
  const now = deps.clock.now();
  const client = await oauthClient(s);
  const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();
  const nonce = randomBytes(18).toString('base64url');
  const expiresAt = now + STATE_TTL_MS;
  await deps.store.googleConnections.putNonce(
    { nonce, kind: 'state', staffId, secretSealed: seal(s.keyring, codeVerifier, `oauth-state:${deps.store.businessId}:${nonce}`), expiresAt },
    now,
  );
  return client.generateAuthUrl({
    access_type: 'offline',
    // Forces a refresh token on every connect, also for an account that consented before.
    prompt: 'consent',
    scope: [CALENDAR_SCOPE],
    state: sign(s.keyring, { p: 'state', b: deps.store.businessId, s: staffId, n: nonce, e: expiresAt }),
    code_challenge: codeChallenge!,
    code_challenge_method: 'S256' as CodeChallengeMethod,
    ...(staff.email !== undefined && { login_hint: staff.email }),
  });
}

export interface CalendarChoice {
  id: string;
  summary: string;
  timeZone: string | null;
  primary: boolean;
  writable: boolean;
}

interface CalendarListBody {
  items?: { id?: string; summary?: string; summaryOverride?: string; timeZone?: string; primary?: boolean; accessRole?: string }[];
  nextPageToken?: string;
}

/** The account's calendars (all pages). */
export async function listCalendars(s: ConnectSettings, client: OAuth2Client): Promise<CalendarChoice[]> {
  const out: CalendarChoice[] = [];
  let page: string | undefined;
  do {
    const url = new URL('calendar/v3/users/me/calendarList', s.apiRoot);
    url.searchParams.set('maxResults', '250');
    if (page) url.searchParams.set('pageToken', page);
    const r = await client.request<CalendarListBody>({ url: url.toString() });
    for (const c of r.data.items ?? []) {
      if (!c.id) continue;
      out.push({
        id: c.id,
        summary: c.summaryOverride ?? c.summary ?? c.id,
        timeZone: c.timeZone ?? null,
        primary: c.primary === true,
        writable: c.accessRole === 'owner' || c.accessRole === 'writer',
      });
    }
    page = r.data.nextPageToken;
  } while (page);
  return out;
}

export interface FinishedConnect {
  staffId: string;
  connection: GoogleConnection;
  calendars: CalendarChoice[];
  /** For the calendar-choice form. */
  pickToken: string;
}

/** The callback: checks state, exchanges the code, checks the scope, stores the sealed token. */
export async function finishConnect(deps: ConnectDeps, q: { state?: string; code?: string; error?: string; scope?: string }): Promise<FinishedConnect> {
  const s = requireSettings(deps);
  const now = deps.clock.now();
  const biz = deps.store.businessId;
  const v = q.state ? verify(s.keyring, q.state, 'state', biz, now) : undefined;
  const pending = v ? await deps.store.googleConnections.consumeNonce(v.n, 'state', now) : undefined;
  if (!v || !pending || pending.staffId !== v.s || pending.secretSealed === null) {
    throw new ConnectError('BAD_STATE', 'This sign-in link has expired or was already used. Start again from the connect link.');
  }
  if (q.error) throw new ConnectError('DENIED', 'Google Calendar was not connected: access was not granted.');
  if (!q.code) throw new ConnectError('BAD_STATE', 'Google did not send an authorization code. Start again from the connect link.');
  const codeVerifier = unseal(s.keyring, pending.secretSealed, `oauth-state:${biz}:${v.n}`);
  const client = await oauthClient(s);
  let tokens;
  try {
    ({ tokens } = await client.getToken({ code: q.code, codeVerifier }));
  } catch (err) {
    deps.logger.warn({ err: describeGoogleError(err), staff: v.s }, 'google connect: code exchange failed');
    throw new ConnectError('GOOGLE_FAILED', 'Google did not accept the sign-in. Please try again.');
  }
  const granted = (tokens.scope ?? '').split(' ').filter(Boolean);
  if (!granted.includes(CALENDAR_SCOPE)) {
    // Nothing is kept: a token that cannot manage the calendar is no use, and holding it is a risk.
    await client.revokeToken(tokens.access_token ?? '').catch(() => undefined);
    throw new ConnectError('MISSING_SCOPE', 'Google Calendar was not connected: the permission to see and edit the calendar was not ticked.');
  }
  if (!tokens.refresh_token) throw new ConnectError('NO_REFRESH_TOKEN', 'Google did not grant offline access. Please try again.');
  client.setCredentials(tokens);
  let calendars: CalendarChoice[];
  try {
    calendars = await listCalendars(s, client);
  } catch (err) {
    deps.logger.warn({ err: describeGoogleError(err), staff: v.s }, 'google connect: calendar list failed');
    throw new ConnectError('GOOGLE_FAILED', 'Connected, but Google did not list the calendars. Please try again.');
  }
  const primary = calendars.find((c) => c.primary) ?? calendars[0];
  const refreshTtl = (tokens as { refresh_token_expires_in?: number }).refresh_token_expires_in;
  const connection = await deps.store.googleConnections.save(
    {
      staffId: v.s,
      refreshTokenSealed: seal(s.keyring, tokens.refresh_token, sealContext(biz, v.s)),
      scopes: granted.join(' '),
      // Only the calendar scope is asked for (no id_token, no userinfo): on Google the primary
      // calendar's id is the account's address.
      accountEmail: primary?.primary && primary.id.includes('@') ? primary.id : null,
      // The primary calendar until the admin picks another: bookings work right after connecting.
      calendarId: primary?.id ?? null,
      calendarTimeZone: primary?.timeZone ?? null,
      refreshExpiresAt: typeof refreshTtl === 'number' ? now + refreshTtl * 1000 : null,
      connectedAt: now,
    },
    now,
  );
  await deps.store.googleConnections.audit(v.s, { ok: true, error: null, actor: 'connect' }, now);
  connectionsChanged(biz);
  deps.logger.info({ staff: v.s, calendars: calendars.length }, 'google calendar connected');
  return { staffId: v.s, connection, calendars, pickToken: sign(s.keyring, { p: 'pick', b: biz, s: v.s, n: randomBytes(9).toString('base64url'), e: now + PICK_TTL_MS }) };
}

/** The staff member a calendar-choice form was issued for, or undefined. */
export function verifyPickToken(deps: ConnectDeps, token: string): string | undefined {
  const s = requireSettings(deps);
  return verify(s.keyring, token, 'pick', deps.store.businessId, deps.clock.now())?.s;
}

/** Points the staff member's bookings at one of the connected account's calendars. */
export async function chooseCalendar(deps: ConnectDeps, staffId: string, calendarId: string): Promise<GoogleConnection> {
  const s = requireSettings(deps);
  const c = await deps.store.googleConnections.get(staffId);
  if (!c) throw new ConnectError('NOT_CONNECTED', `No Google account is connected for "${staffId}".`);
  const client = await oauthClient(s, openRefreshToken(s.keyring, deps.store.businessId, c));
  let calendars: CalendarChoice[];
  try {
    calendars = await listCalendars(s, client);
  } catch (err) {
    deps.logger.warn({ err: describeGoogleError(err), staff: staffId }, 'google connect: calendar list failed');
    throw new ConnectError('GOOGLE_FAILED', 'Google did not list the calendars. Please try again.');
  }
  const chosen = calendars.find((x) => x.id === calendarId);
  if (!chosen) throw new ConnectError('UNKNOWN_CALENDAR', 'That calendar is not one of the connected account\'s calendars.');
  const updated = await deps.store.googleConnections.setCalendar(staffId, chosen.id, chosen.timeZone, deps.clock.now());
  if (!updated) throw new ConnectError('NOT_CONNECTED', `No Google account is connected for "${staffId}".`);
  connectionsChanged(deps.store.businessId);
  return updated;
}

/** Revokes the token at Google, then forgets it. A token Google no longer knows is deleted all the same. */
export async function disconnect(deps: ConnectDeps, staffId: string): Promise<{ revoked: boolean } | undefined> {
  const s = requireSettings(deps);
  const c = await deps.store.googleConnections.get(staffId);
  if (!c) return undefined;
  let revoked = false;
  try {
    await (await oauthClient(s)).revokeToken(openRefreshToken(s.keyring, deps.store.businessId, c));
    revoked = true;
  } catch (err) {
    deps.logger.warn({ err: describeGoogleError(err), staff: staffId }, 'google disconnect: revoke failed; the token is deleted anyway');
  }
  await deps.store.googleConnections.remove(staffId);
  connectionsChanged(deps.store.businessId);
  return { revoked };
}

/** Status, error and HTTP status of a Google failure, for logs: never the token or the body. */
export function describeGoogleError(err: unknown): { status?: number; error?: string; message: string } {
  const e = err as { status?: number; response?: { status?: number; data?: { error?: unknown } }; message?: string };
  const data = e?.response?.data;
  const error = typeof data?.error === 'string' ? data.error : typeof (data?.error as { status?: unknown })?.status === 'string' ? String((data?.error as { status: string }).status) : undefined;
  const status = e?.status ?? e?.response?.status;
  return { ...(status !== undefined && { status }), ...(error !== undefined && { error }), message: String(e?.message ?? err).slice(0, 200) };
}

// ------------------------------------------------------------------------------ change notice

/** Per business: bumped when this process changes a connection, so calendars re-read at once. */
const generations = new Map<string, number>();
export function connectionsChanged(businessId: string): void {
  generations.set(businessId, (generations.get(businessId) ?? 0) + 1);
}
export function connectionsGeneration(businessId: string): number {
  return generations.get(businessId) ?? 0;
}
