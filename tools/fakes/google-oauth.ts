/**
 * A local Google OAuth 2.0 server (the slice of accounts.google.com / oauth2.googleapis.com that
 * "Connect Google Calendar" uses), speaking the real wire format to the real google-auth-library:
 *
 * - `GET /o/oauth2/v2/auth`: checks client_id, the exact redirect_uri and response_type=code, then
 *   consents at once (no page) and 302s back with `code`, `state` and `scope`; or with
 *   `error=access_denied` after `denyNext()`. `grantOnly(scopes)` makes the "user" untick boxes.
 * - `POST /token`: `authorization_code` (single-use code, same redirect_uri, right secret, PKCE S256
 *   verifier checked when a challenge was sent; a refresh token only with access_type=offline) and
 *   `refresh_token` (no new refresh token; 400 `invalid_grant` once revoked or expired).
 * - `POST /revoke?token=`: 200, or 400 `invalid_token` for a token it never issued.
 * - `GET /oauth2/v3/userinfo` and `GET /tokeninfo?access_token=`.
 *
 * `handle` answers these paths on any node:http server (e.g. the Calendar fake's), returning false
 * for other paths; `startFakeGoogleOAuth` serves them on a port of their own. Tools and tests only.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

export interface FakeGoogleOAuthOptions {
  clients: FakeOAuthClient[];
  /** The Google account that consents. */
  accountEmail?: string;
  accessTokenTtlSec?: number;
  /** Time source for token expiry (a test's manual clock). Default Date.now. */
  now?: () => number;
}

interface Grant {
  clientId: string;
  scope: string;
  email: string;
  revoked: boolean;
  /** Testing-mode style expiry of the refresh token; null = none. */
  expiresAt: number | null;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge: string | null;
  method: string | null;
  offline: boolean;
  email: string;
}

export interface FakeOAuthCounts {
  authorize: number;
  authorizationCode: number;
  refresh: number;
  revoke: number;
  userinfo: number;
  tokeninfo: number;
}

export interface FakeGoogleOAuth {
  /** Answers an OAuth path; false when the path is not one of this fake's. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): boolean;
  /** The next consent is refused (302 with error=access_denied). */
  denyNext(): void;
  /** The next consent grants only these scopes (null: whatever is asked). */
  grantOnly(scopes: string[] | null): void;
  /** The next consent is given by this account. */
  setAccount(email: string): void;
  /** This refresh token stops working (the user removed the app from their account). */
  revoke(refreshToken: string): void;
  /** Every refresh token expires this long after it is issued (Testing-mode 7-day tokens). */
  expireRefreshTokensAfter(ms: number | null): void;
  /** The next `n` refresh grants answer this HTTP status (a transient outage). */
  failRefreshes(status: number, n?: number): void;
  /** Refresh tokens issued so far, with their state. */
  refreshTokens(): { token: string; scope: string; email: string; revoked: boolean }[];
  isValidAccessToken(token: string): boolean;
  counts(): FakeOAuthCounts;
  /** Endpoint URLs relative to `base` (pass to OAuth2Client `endpoints`). */
  endpoints(base: string): { oauth2AuthBaseUrl: string; oauth2TokenUrl: string; oauth2RevokeUrl: string; tokenInfoUrl: string };
}

const PATHS = new Set(['/o/oauth2/v2/auth', '/token', '/revoke', '/oauth2/v3/userinfo', '/tokeninfo']);

export function createFakeGoogleOAuth(opts: FakeGoogleOAuthOptions): FakeGoogleOAuth {
  const now = opts.now ?? Date.now;
  const ttlSec = opts.accessTokenTtlSec ?? 3599;
  const clients = new Map(opts.clients.map((c) => [c.clientId, c]));
  let account = opts.accountEmail ?? 'owner@salon.test';
  let deny = false;
  let only: string[] | null = null;
  let refreshTtl: number | null = null;
  let refreshFailures: { status: number; n: number } | null = null;
  const codes = new Map<string, PendingCode>();
  const refresh = new Map<string, Grant>();
  const access = new Map<string, { grant: Grant; refreshToken: string | null; expiresAt: number }>();
  const counts: FakeOAuthCounts = { authorize: 0, authorizationCode: 0, refresh: 0, revoke: 0, userinfo: 0, tokeninfo: 0 };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const oauthError = (res: http.ServerResponse, status: number, error: string, description: string) => json(res, status, { error, error_description: description });
  const issueAccess = (grant: Grant, refreshToken: string | null) => {
    const token = `ya29.oauth-${randomBytes(9).toString('hex')}`;
    access.set(token, { grant, refreshToken, expiresAt: now() + ttlSec * 1000 });
    return token;
  };
  const bearer = (req: http.IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];

  function authorize(url: URL, res: http.ServerResponse): void {
    counts.authorize++;
    const q = url.searchParams;
    const client = clients.get(q.get('client_id') ?? '');
    const redirectUri = q.get('redirect_uri') ?? '';
    // Google shows its own error page (no redirect) for these: the redirect target is not trusted.
    if (!client) return oauthError(res, 401, 'invalid_client', 'The OAuth client was not found.');
    if (!client.redirectUris.includes(redirectUri)) return oauthError(res, 400, 'redirect_uri_mismatch', `redirect_uri ${redirectUri} is not registered`);
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (q.get('response_type') !== 'code') {
      back.searchParams.set('error', 'unsupported_response_type');
    } else if (deny) {
      deny = false;
      back.searchParams.set('error', 'access_denied');
    } else {
      const asked = (q.get('scope') ?? '').split(' ').filter(Boolean);
      const granted = only === null ? asked : asked.filter((s) => only!.includes(s));
      only = null;
      const method = q.get('code_challenge_method');
      const challenge = q.get('code_challenge');
      const code = `4/fake-${randomBytes(12).toString('hex')}`;
      codes.set(code, {
        clientId: client.clientId,
        redirectUri,
        scope: granted.join(' '),
        challenge,
        method: challenge === null ? null : (method ?? 'plain'),
        offline: q.get('access_type') === 'offline',
        email: account,
      });
      back.searchParams.set('code', code);
      back.searchParams.set('scope', granted.join(' '));
    }
    res.writeHead(302, { location: back.toString() });
    res.end();
  }

  function clientOf(req: http.IncomingMessage, form: URLSearchParams): FakeOAuthClient | undefined {
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (basic) [id, secret] = Buffer.from(basic, 'base64').toString().split(':') as [string, string];
    const c = clients.get(id ?? '');
    return c && c.clientSecret === secret ? c : undefined;
  }

  function token(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const client = clientOf(req, form);
    const type = form.get('grant_type');
    if (type === 'authorization_code') {
      counts.authorizationCode++;
      if (!client) return oauthError(res, 401, 'invalid_client', 'Unauthorized');
      const code = form.get('code') ?? '';
      const pending = codes.get(code);
      codes.delete(code);
      if (!pending || pending.clientId !== client.clientId) return oauthError(res, 400, 'invalid_grant', 'Malformed auth code.');
      if (form.get('redirect_uri') !== pending.redirectUri) return oauthError(res, 400, 'redirect_uri_mismatch', 'Bad Request');
      if (pending.challenge !== null) {
        const verifier = form.get('code_verifier') ?? '';
        const computed = pending.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
        if (!verifier || computed !== pending.challenge) return oauthError(res, 400, 'invalid_grant', 'Invalid code verifier.');
      }
      const grant: Grant = { clientId: client.clientId, scope: pending.scope, email: pending.email, revoked: false, expiresAt: refreshTtl === null ? null : now() + refreshTtl };
      let refreshToken: string | null = null;
      if (pending.offline) {
        refreshToken = `1//fake-${randomBytes(16).toString('hex')}`;
        refresh.set(refreshToken, grant);
      }
      return json(res, 200, {
        access_token: issueAccess(grant, refreshToken),
        expires_in: ttlSec,
        ...(refreshToken !== null && { refresh_token: refreshToken }),
        ...(grant.expiresAt !== null && { refresh_token_expires_in: Math.floor((grant.expiresAt - now()) / 1000) }),
        scope: pending.scope,
        token_type: 'Bearer',
      });
    }
    if (type === 'refresh_token') {
      counts.refresh++;
      if (!client) return oauthError(res, 401, 'invalid_client', 'Unauthorized');
      if (refreshFailures && refreshFailures.n > 0) {
        refreshFailures.n--;
        return oauthError(res, refreshFailures.status, 'internal_failure', 'Backend Error');
      }
      const rt = form.get('refresh_token') ?? '';
      const grant = refresh.get(rt);
      if (!grant || grant.clientId !== client.clientId || grant.revoked || (grant.expiresAt !== null && grant.expiresAt <= now())) {
        return oauthError(res, 400, 'invalid_grant', 'Token has been expired or revoked.');
      }
      return json(res, 200, { access_token: issueAccess(grant, rt), expires_in: ttlSec, scope: grant.scope, token_type: 'Bearer' });
    }
    return oauthError(res, 400, 'unsupported_grant_type', `Invalid grant_type: ${type ?? ''}`);
  }

  function revokeToken(url: URL, res: http.ServerResponse, body: string): void {
    counts.revoke++;
    const t = url.searchParams.get('token') ?? new URLSearchParams(body).get('token') ?? '';
    const g = refresh.get(t) ?? access.get(t)?.grant;
    if (!g) return oauthError(res, 400, 'invalid_token', 'Token expired or revoked');
    // Revoking either token of a grant ends the whole grant, as on Google.
    g.revoked = true;
    for (const [k, a] of access) if (a.grant === g) access.delete(k);
    json(res, 200, {});
  }

  function validAccess(token: string | undefined) {
    const a = token === undefined ? undefined : access.get(token);
    return a && !a.grant.revoked && a.expiresAt > now() ? a : undefined;
  }

  return {
    handle(req, res, body) {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (!PATHS.has(url.pathname)) return false;
      const method = req.method ?? 'GET';
      if (url.pathname === '/o/oauth2/v2/auth' && method === 'GET') authorize(url, res);
      else if (url.pathname === '/token' && method === 'POST') token(req, res, body);
      else if (url.pathname === '/revoke' && method === 'POST') revokeToken(url, res, body);
      else if (url.pathname === '/oauth2/v3/userinfo' && method === 'GET') {
        counts.userinfo++;
        const a = validAccess(bearer(req));
        if (!a) oauthError(res, 401, 'invalid_token', 'Invalid Credentials');
        else json(res, 200, { sub: createHash('sha256').update(a.grant.email).digest('hex').slice(0, 21), email: a.grant.email, email_verified: true });
      } else if (url.pathname === '/tokeninfo') {
        counts.tokeninfo++;
        const a = validAccess(url.searchParams.get('access_token') ?? undefined);
        if (!a) oauthError(res, 400, 'invalid_token', 'Invalid Value');
        else json(res, 200, { aud: a.grant.clientId, scope: a.grant.scope, expires_in: Math.floor((a.expiresAt - now()) / 1000), email: a.grant.email });
      } else oauthError(res, 405, 'invalid_request', 'Method not allowed');
      return true;
    },
    denyNext: () => void (deny = true),
    grantOnly: (s) => void (only = s),
    setAccount: (e) => void (account = e),
    revoke(rt) {
      const g = refresh.get(rt);
      if (g) g.revoked = true;
    },
    expireRefreshTokensAfter: (ms) => void (refreshTtl = ms),
    failRefreshes: (status, n = 1) => void (refreshFailures = { status, n }),
    refreshTokens: () => [...refresh].map(([token, g]) => ({ token, scope: g.scope, email: g.email, revoked: g.revoked })),
    isValidAccessToken: (t) => validAccess(t) !== undefined,
    counts: () => ({ ...counts }),
    endpoints: (base) => {
      const b = base.replace(/\/+$/, '');
      return { oauth2AuthBaseUrl: `${b}/o/oauth2/v2/auth`, oauth2TokenUrl: `${b}/token`, oauth2RevokeUrl: `${b}/revoke`, tokenInfoUrl: `${b}/tokeninfo` };
    },
  };
}

export interface RunningFakeGoogleOAuth extends FakeGoogleOAuth {
  url: string;
  close(): Promise<void>;
}

/** The fake on a port of its own, 127.0.0.1. */
export async function startFakeGoogleOAuth(opts: FakeGoogleOAuthOptions & { port?: number }): Promise<RunningFakeGoogleOAuth> {
  const fake = createFakeGoogleOAuth(opts);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!fake.handle(req, res, Buffer.concat(chunks).toString('utf8'))) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":"not_found"}');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    ...fake,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
