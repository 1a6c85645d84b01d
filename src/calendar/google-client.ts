/**
 * Builds the official Google Calendar client, once per process, for either a service account (JSON
 * key file, optional domain-wide delegation subject) or an OAuth client with a stored refresh token.
 *
 * Two things are deliberately different from the library defaults:
 * - Every built-in retry is off (API calls: `retry: false`; token calls: an interceptor, because
 *   google-auth-library turns retries on for its own token POSTs). src/resilience/policy.ts is the
 *   only place that retries, so one policy attempt = one HTTP request.
 * - Root and token URLs can be overridden for the local fake. The JWT (service-account) grant goes
 *   to a URL hard-coded in gtoken with no option to change it, so the same interceptor rewrites it.
 */
import { readFileSync } from 'node:fs';
import { auth as googleAuth, calendar, type calendar_v3 } from '@googleapis/calendar';
import { ConfigError } from '../config/business.js';
import type { Env } from '../config/env.js';

/** Read/write events and query free/busy. Domain-wide delegation must grant exactly this scope. */
export const GOOGLE_CALENDAR_SCOPES = ['https://www.googleapis.com/auth/calendar'] as const;

/** gtoken's hard-coded token endpoint for the jwt-bearer grant. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export type GoogleAuthSettings =
  | { kind: 'service-account'; keyFile: string; subject?: string }
  | { kind: 'oauth'; clientId: string; clientSecret: string; refreshToken: string };

export interface GoogleClientSettings {
  auth: GoogleAuthSettings;
  /** Scheme, host and port of the Calendar API; the client ignores any path here. */
  rootUrl?: string;
  /** OAuth token endpoint (both grants). */
  tokenUrl?: string;
}

/** The auth client type as googleapis-common sees it (it pins its own google-auth-library copy). */
export type GoogleAuthClient = InstanceType<typeof googleAuth.OAuth2>;

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
}

function readServiceAccountKey(path: string): ServiceAccountKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE: cannot read ${path}: ${(e as Error).message}`);
  }
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    throw new ConfigError(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE: ${path} is not JSON; download a JSON key for the service account`);
  }
  const k = key as Partial<ServiceAccountKey> & { type?: string };
  if (k.type !== undefined && k.type !== 'service_account') {
    throw new ConfigError(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE: ${path} is a "${k.type}" credential, not a service account key`);
  }
  if (typeof k.client_email !== 'string' || typeof k.private_key !== 'string') {
    throw new ConfigError(`GOOGLE_SERVICE_ACCOUNT_KEY_FILE: ${path} lacks client_email or private_key`);
  }
  return { client_email: k.client_email, private_key: k.private_key };
}

function buildAuthClient(settings: GoogleClientSettings): GoogleAuthClient {
  const a = settings.auth;
  let client: GoogleAuthClient;
  if (a.kind === 'service-account') {
    const key = readServiceAccountKey(a.keyFile);
    client = new googleAuth.JWT({
      email: key.client_email,
      key: key.private_key,
      scopes: [...GOOGLE_CALENDAR_SCOPES],
      ...(a.subject !== undefined && { subject: a.subject }),
    });
  } else {
    client = new googleAuth.OAuth2({
      clientId: a.clientId,
      clientSecret: a.clientSecret,
      ...(settings.tokenUrl !== undefined && { endpoints: { oauth2TokenUrl: settings.tokenUrl } }),
    });
    // No expiry_date on purpose: the first call fetches a token; once one is held, its expiry_date
    // stops the library from "refreshing" on every 403 (which includes rate-limit 403s).
    client.setCredentials({ refresh_token: a.refreshToken });
  }

  const tokenUrl = settings.tokenUrl;
  client.transporter.interceptors.request.add({
    resolved: async (cfg) => {
      cfg.retry = false;
      cfg.retryConfig = { ...cfg.retryConfig, retry: 0, noResponseRetries: 0 };
      if (tokenUrl !== undefined && String(cfg.url).startsWith(GOOGLE_TOKEN_URL)) cfg.url = new URL(tokenUrl);
      return cfg;
    },
  });
  return client;
}

export function buildGoogleCalendarClient(settings: GoogleClientSettings): calendar_v3.Calendar {
  const auth = buildAuthClient(settings);
  return calendar({
    version: 'v3',
    auth,
    retry: false,
    ...(settings.rootUrl !== undefined && { rootUrl: settings.rootUrl }),
  });
}

/** The auth client a calendar client was built with (for forced refreshes and connection checks). */
export function authClientOf(client: calendar_v3.Calendar): GoogleAuthClient | undefined {
  const a: unknown = client.context._options.auth;
  return a instanceof googleAuth.OAuth2 ? a : undefined;
}

/**
 * Makes the next request fetch a new access token. Used after a 401: the library only refreshes on
 * its own when the token has no expiry date, but Google can revoke a token before its expiry.
 */
export function forceTokenRefresh(auth: GoogleAuthClient): void {
  auth.setCredentials({ ...auth.credentials, expiry_date: 1 });
}

function checkUrl(name: string, value: string | undefined, rootOnly: boolean): string | undefined {
  if (value === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(`${name}: "${value}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`${name}: expected an http(s) URL, got "${value}"`);
  if (rootOnly && u.pathname !== '/') {
    throw new ConfigError(`${name}: the Google client drops any path, so give only scheme, host and port (e.g. http://127.0.0.1:4615/)`);
  }
  return rootOnly ? `${u.origin}/` : u.href;
}

/** Validates the GOOGLE_* variables as a combination; errors name the variable to fix. */
export function googleSettingsFromEnv(env: Env): GoogleClientSettings {
  const hasSa = env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE !== undefined;
  const oauthVars = {
    GOOGLE_OAUTH_CLIENT_ID: env.GOOGLE_OAUTH_CLIENT_ID,
    GOOGLE_OAUTH_CLIENT_SECRET: env.GOOGLE_OAUTH_CLIENT_SECRET,
    GOOGLE_OAUTH_REFRESH_TOKEN: env.GOOGLE_OAUTH_REFRESH_TOKEN,
  };
  const hasOauth = Object.values(oauthVars).some((v) => v !== undefined);
  let kind = env.GOOGLE_AUTH;
  if (kind === undefined) {
    if (hasSa && hasOauth) {
      throw new ConfigError('GOOGLE_AUTH: both a service account key and OAuth variables are set; set GOOGLE_AUTH to "service-account" or "oauth"');
    }
    if (!hasSa && !hasOauth) {
      throw new ConfigError(
        'CALENDAR_PROVIDER=google needs credentials: set GOOGLE_SERVICE_ACCOUNT_KEY_FILE (service account), or GOOGLE_OAUTH_CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET and GOOGLE_OAUTH_REFRESH_TOKEN (OAuth)',
      );
    }
    kind = hasSa ? 'service-account' : 'oauth';
  }

  let auth: GoogleAuthSettings;
  if (kind === 'service-account') {
    if (env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE === undefined) {
      throw new ConfigError('GOOGLE_SERVICE_ACCOUNT_KEY_FILE: required when GOOGLE_AUTH=service-account');
    }
    auth = {
      kind,
      keyFile: env.GOOGLE_SERVICE_ACCOUNT_KEY_FILE,
      ...(env.GOOGLE_IMPERSONATE_SUBJECT !== undefined && { subject: env.GOOGLE_IMPERSONATE_SUBJECT }),
    };
  } else {
    const missing = Object.entries(oauthVars).filter(([, v]) => v === undefined).map(([k]) => k);
    if (missing.length > 0) throw new ConfigError(`${missing.join(', ')}: required when GOOGLE_AUTH=oauth`);
    if (env.GOOGLE_IMPERSONATE_SUBJECT !== undefined) {
      throw new ConfigError('GOOGLE_IMPERSONATE_SUBJECT: only works with a service account; OAuth acts as the user who granted the refresh token');
    }
    auth = {
      kind,
      clientId: oauthVars.GOOGLE_OAUTH_CLIENT_ID!,
      clientSecret: oauthVars.GOOGLE_OAUTH_CLIENT_SECRET!,
      refreshToken: oauthVars.GOOGLE_OAUTH_REFRESH_TOKEN!,
    };
  }
  const rootUrl = checkUrl('GOOGLE_CALENDAR_ROOT_URL', env.GOOGLE_CALENDAR_ROOT_URL, true);
  const tokenUrl = checkUrl('GOOGLE_TOKEN_URL', env.GOOGLE_TOKEN_URL, false);
  return { auth, ...(rootUrl !== undefined && { rootUrl }), ...(tokenUrl !== undefined && { tokenUrl }) };
}

/**
 * A sentence an operator can act on when Google refuses our credentials, or undefined when `err`
 * is not a credentials problem. `authKind` tells which fix to suggest.
 */
export function describeAuthFailure(err: unknown, authKind: GoogleAuthSettings['kind'] | undefined): string | undefined {
  const e = err as { status?: unknown; response?: { status?: unknown; data?: unknown } } | null;
  if (typeof e !== 'object' || e === null) return undefined;
  const status = typeof e.status === 'number' ? e.status : typeof e.response?.status === 'number' ? e.response.status : undefined;
  const data = e.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  const oauthError = typeof data?.error === 'string' ? data.error : undefined;
  const description = typeof data?.error_description === 'string' ? `: ${data.error_description}` : '';
  if (oauthError !== undefined) {
    if (authKind === 'service-account') {
      if (oauthError === 'unauthorized_client') {
        return `Google refused the service account (unauthorized_client${description}). Domain-wide delegation is not granted for the scope ${GOOGLE_CALENDAR_SCOPES[0]}, or GOOGLE_IMPERSONATE_SUBJECT is not a user of that Workspace domain.`;
      }
      return `Google refused the service account's token request (${oauthError}${description}). Check that the key in GOOGLE_SERVICE_ACCOUNT_KEY_FILE is still active and that this machine's clock is right.`;
    }
    if (oauthError === 'invalid_grant') {
      return `Google refused the stored refresh token (invalid_grant${description}). It was revoked or expired: authorize again and update GOOGLE_OAUTH_REFRESH_TOKEN.`;
    }
    if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
      return `Google refused the OAuth client (${oauthError}${description}). Check GOOGLE_OAUTH_CLIENT_ID and GOOGLE_OAUTH_CLIENT_SECRET.`;
    }
    return `Google's token endpoint refused our credentials (${oauthError}${description}).`;
  }
  if (status === 401) return 'Google rejected our access token even after fetching a new one (HTTP 401).';
  return undefined;
}
