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
} as const satisfies Record<string, keyof Env>;

export type SecretName = keyof typeof SECRET_SETTINGS;
export const SECRET_NAMES = Object.keys(SECRET_SETTINGS) as SecretName[];

const secret = z.string().trim().min(8, 'must be at least 8 characters').max(4096);
/** null removes a secret. */
export const secretsSchema = z.object(Object.fromEntries(SECRET_NAMES.map((n) => [n, secret.nullable().optional()])) as Record<SecretName, z.ZodOptional<z.ZodNullable<typeof secret>>>).strict();
export type Secrets = Partial<Record<SecretName, string>>;

/** Applies a change (null = remove) to the current secrets. */
export function mergeSecrets(current: Secrets, change: z.output<typeof secretsSchema>): Secrets {
  const out: Secrets = { ...current };
  for (const n of SECRET_NAMES) {
    const v = change[n];
    if (v === null) delete out[n];
    else if (v !== undefined) out[n] = v;
  }
  return out;
}

/** Which secrets are set, never their values: what the APIs answer. */
export function secretsView(s: Secrets): Record<SecretName, boolean> {
  return Object.fromEntries(SECRET_NAMES.map((n) => [n, Boolean(s[n])])) as Record<SecretName, boolean>;
}

/** The deployment's settings with every business secret replaced by this business's own. */
export function businessSettings(base: Env, secrets: Secrets, publicBaseUrl: string): Env {
  const out: Env = { ...base, PUBLIC_BASE_URL: publicBaseUrl, PUBLIC_BASE_URL_SET: true, CALENDAR_PROVIDER: 'embedded' };
  const writable = out as unknown as Record<string, string | undefined>;
  for (const n of SECRET_NAMES) writable[SECRET_SETTINGS[n]] = secrets[n];
  return out;
}
