/**
 * A stored business's own secrets, and the settings its context runs with. A business never
 * inherits the deployment's env secrets (those belong to the business of BUSINESS_CONFIG): a Vapi
 * secret of one business must not open another's webhook.
 */
import { z } from 'zod';
import type { Env } from '../config/env.js';

/** Secret name (API) -> the setting it fills in the business's context. */
export const SECRET_SETTINGS = {
  vapiSecret: 'VAPI_SECRET',
  vapiHmacSecret: 'VAPI_HMAC_SECRET',
  telnyxPublicKey: 'TELNYX_PUBLIC_KEY',
  telnyxApiKey: 'TELNYX_API_KEY',
  retellApiKey: 'RETELL_API_KEY',
  elevenlabsToolSecret: 'ELEVENLABS_TOOL_SECRET',
  toolsApiKey: 'TOOLS_API_KEY',
  adminApiKey: 'ADMIN_API_KEY',
  // Calendars: the business's own Google refresh token (with its OAuth client, or the deployment's:
  // the client is the product's app registration, which the "Connect Google Calendar" flow uses for
  // every business), its own Microsoft 365 app registration. The deployment's refresh token and
  // Microsoft credentials belong to the BUSINESS_CONFIG business and are never lent.
  googleOauthClientId: 'GOOGLE_OAUTH_CLIENT_ID',
  googleOauthClientSecret: 'GOOGLE_OAUTH_CLIENT_SECRET',
  googleOauthRefreshToken: 'GOOGLE_OAUTH_REFRESH_TOKEN',
  microsoftTenantId: 'MICROSOFT_TENANT_ID',
  microsoftClientId: 'MICROSOFT_CLIENT_ID',
  microsoftClientSecret: 'MICROSOFT_CLIENT_SECRET',
} as const satisfies Record<string, keyof Env>;

export type SecretName = keyof typeof SECRET_SETTINGS;
/** The deployment's value stands in when the business sets none: the product's OAuth client. */
const INHERITED: ReadonlySet<SecretName> = new Set(['googleOauthClientId', 'googleOauthClientSecret']);
export const SECRET_NAMES = Object.keys(SECRET_SETTINGS) as SecretName[];

const secret = z.string().trim().min(8, 'must be at least 8 characters').max(4096);
/** A CalDAV password: app-specific passwords are 16+ characters, a self-hosted one may be shorter. */
const password = z.string().min(1).max(4096);
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** null removes a secret. */
export const secretsSchema = z
  .object({
    ...(Object.fromEntries(SECRET_NAMES.map((n) => [n, secret.nullable().optional()])) as Record<SecretName, z.ZodOptional<z.ZodNullable<typeof secret>>>),
    /**
     * CalDAV passwords by the name a staff member's `calendar.passwordEnv` gives: for a stored
     * business they are read from here, never from the server's environment. null removes one.
     */
    calendarPasswords: z.record(z.string().regex(ENV_NAME, 'a name like CALDAV_JORDAN_PASSWORD'), password.nullable()).optional(),
  })
  .strict();
export type Secrets = Partial<Record<SecretName, string>> & { calendarPasswords?: Record<string, string> };

/** Applies a change (null = remove) to the current secrets. */
export function mergeSecrets(current: Secrets, change: z.output<typeof secretsSchema>): Secrets {
  const out: Secrets = { ...current };
  for (const n of SECRET_NAMES) {
    const v = change[n];
    if (v === null) delete out[n];
    else if (v !== undefined) out[n] = v;
  }
  if (change.calendarPasswords) {
    const passwords = { ...current.calendarPasswords };
    for (const [name, v] of Object.entries(change.calendarPasswords)) {
      if (v === null) delete passwords[name];
      else passwords[name] = v;
    }
    if (Object.keys(passwords).length) out.calendarPasswords = passwords;
    else delete out.calendarPasswords;
  }
  return out;
}

/** Which secrets are set, never their values: what the APIs answer. */
export function secretsView(s: Secrets): Record<SecretName, boolean> & { calendarPasswords: string[] } {
  return {
    ...(Object.fromEntries(SECRET_NAMES.map((n) => [n, Boolean(s[n])])) as Record<SecretName, boolean>),
    calendarPasswords: Object.keys(s.calendarPasswords ?? {}).sort(),
  };
}

/** The deployment's settings with every business secret replaced by this business's own. */
export function businessSettings(base: Env, secrets: Secrets, publicBaseUrl: string): Env {
  // Staff who name no calendar use the embedded one; a service-account key file is the deployment's.
  const out: Env = {
    ...base,
    PUBLIC_BASE_URL: publicBaseUrl,
    PUBLIC_BASE_URL_SET: true,
    CALENDAR_PROVIDER: 'embedded',
    GOOGLE_AUTH: secrets.googleOauthRefreshToken ? 'oauth' : undefined,
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: undefined,
    GOOGLE_IMPERSONATE_SUBJECT: undefined,
  };
  const writable = out as unknown as Record<string, string | undefined>;
  for (const n of SECRET_NAMES) writable[SECRET_SETTINGS[n]] = secrets[n] ?? (INHERITED.has(n) ? (base as unknown as Record<string, string | undefined>)[SECRET_SETTINGS[n]] : undefined);
  return out;
}
