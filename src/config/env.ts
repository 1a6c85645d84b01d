/**
 * Process settings from the environment. This is the only module that reads `process.env`; it is
 * called once by src/main.ts (and by the command-line tools). Errors name the variable.
 */
import { z } from 'zod';
import { ConfigError } from './business.js';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const bool = (def: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      if (/^(1|true|yes|on)$/i.test(v)) return true;
      if (/^(0|false|no|off)$/i.test(v)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got "${v}"` });
      return z.NEVER;
    });

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: int(3000, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Path of the business file. */
  BUSINESS_CONFIG: z.string().default('config/business.json'),
  /** Folder for the SQLite database (created if missing). */
  DATA_DIR: z.string().default('./data'),
  /** Full path of the SQLite file; overrides DATA_DIR. ":memory:" for throwaway runs. */
  DATABASE_PATH: optionalString,
  CALENDAR_PROVIDER: z.enum(['embedded', 'google']).default('embedded'),
  /** Public https base URL of this service, used in generated tool definitions. */
  PUBLIC_BASE_URL: z.string().default('http://localhost:3000'),
  /** Shared secret Vapi sends in X-Vapi-Secret or Authorization: Bearer. Unset = no check. */
  VAPI_SECRET: optionalString,
  /** Bearer key for /admin/*. Unset = admin endpoints disabled. */
  ADMIN_API_KEY: optionalString,
  /** Overall budget for one tool call against a remote calendar, well inside Vapi's 20 s timeout. */
  TOOL_DEADLINE_MS: int(8000, 100, 60_000),
  /** Seconds to keep idempotency records (replayed tool calls answered from them). */
  IDEMPOTENCY_TTL_SECONDS: int(86_400, 60),
  /** Trust the phone number the model passes even when the platform tells us the caller's number. */
  TRUST_MODEL_PHONE: bool(false),

  // --- Platforms --- (src/platforms/*). An unset secret leaves that entry point OPEN: convenient in
  // development, never what you want on the internet.
  /** Telnyx account Ed25519 public key (base64, Mission Control > Keys & Credentials). Unset = unsigned requests accepted. */
  TELNYX_PUBLIC_KEY: optionalString,
  /** Retell API key with the webhook badge; it signs X-Retell-Signature. Unset = no check. */
  RETELL_API_KEY: optionalString,
  /** Secret ElevenLabs sends as Authorization: Bearer (server tools are not signed). Unset = no check. */
  ELEVENLABS_TOOL_SECRET: optionalString,
  /** Bearer key for POST /tools/*, /mcp and /v1/chat/completions. Unset = no check. */
  TOOLS_API_KEY: optionalString,
  /** Upstream OpenAI-compatible API for /v1/chat/completions, e.g. https://api.openai.com/v1. Unset = endpoint answers 503. */
  OPENAI_BASE_URL: optionalString,
  OPENAI_API_KEY: optionalString,
  /** Upstream model; unset = the model named in each request. */
  OPENAI_MODEL: optionalString,
  /** Tool-calling rounds per chat request before the model must answer in words. */
  CHAT_MAX_TOOL_ROUNDS: int(5, 1, 20),
  // --- end Platforms ---
});

export type Env = z.output<typeof envSchema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export function readEnv(): Env {
  return parseEnv(process.env);
}
