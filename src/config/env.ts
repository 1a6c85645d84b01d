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
  /**
   * postgres://user:pass@host:5432/db to run on Postgres (needed for several instances); unset =
   * the SQLite file above.
   */
  DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//i.test(v), {
    message: 'must be a postgres:// URL (leave it unset for the embedded SQLite file)',
  }),
  /** Postgres connections per instance. */
  DATABASE_POOL_SIZE: int(10, 1, 200),
  /** The calendar of staff whose business-file entry has no "calendar" of its own. */
  CALENDAR_PROVIDER: z.enum(['embedded', 'google', 'microsoft']).default('embedded'),
  /**
   * Public base URL of this service (https in production), used in generated tool definitions.
   * Unset = http://localhost:<PORT> (the port actually listened on), fine for local tries only.
   */
  PUBLIC_BASE_URL: optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const problem = baseUrlProblem(v);
    if (problem) {
      ctx.addIssue({ code: 'custom', message: `${problem}, got "${v.slice(0, 200)}"; set it to the address callers' platforms reach, like https://book.example.com` });
      return z.NEVER;
    }
    return v.replace(/\/+$/, '');
  }),
  /** Shared secret Vapi sends in X-Vapi-Secret or Authorization: Bearer. Unset = no check. */
  VAPI_SECRET: optionalString,
  /** Vapi HMAC credential secret (x-signature over "{timestamp}.{body}", sha256, hex). Alternative to VAPI_SECRET. */
  VAPI_HMAC_SECRET: optionalString,
  /**
   * Entry points allowed to run without authentication when NODE_ENV=production, comma-separated
   * (vapi, telnyx, retell, elevenlabs, tools). Anything else open refuses to start.
   */
  ALLOW_OPEN_ENTRY_POINTS: z
    .string()
    .optional()
    .transform((v) => new Set((v ?? '').split(',').map((s) => s.trim()).filter(Boolean))),
  /** Bearer key for /admin/*. Unset = admin endpoints disabled. */
  ADMIN_API_KEY: optionalString,
  /**
   * Signs the self-service links (/a/<token>) sent with confirmations and reminders (HMAC-SHA256);
   * at least 32 characters. Unset = no links are made and /a/ answers 404.
   */
  WEB_LINK_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  /** Bearer key for /operator/* (managing the businesses of this deployment). Unset = disabled. */
  OPERATOR_API_KEY: optionalString,
  /** Bearer key for /metrics (Prometheus text format). Unset = /metrics answers 404. */
  METRICS_API_KEY: optionalString,
  /**
   * Seals the secrets of stored businesses (AES-256-GCM): "<id>:<base64 of 32 bytes>", newest first,
   * comma-separated to keep older keys readable during a rotation (src/config/crypto.ts).
   */
  BOOKLINE_ENCRYPTION_KEY: optionalString,
  /** Business files seeded into the store at start-up (one per business, the file name is the slug). */
  BUSINESSES_DIR: z.string().default('config/businesses'),
  /** How often an instance checks for businesses changed by another instance (ms). */
  BUSINESS_REFRESH_MS: int(2000, 100, 600_000),
  /**
   * Overall budget for one tool call, waiting in line included, well inside Vapi's 20 s timeout.
   * No answer is given later than this (plus a few milliseconds).
   */
  TOOL_DEADLINE_MS: int(8000, 100, 60_000),
  /**
   * How far V8 lets the heap grow past what the last full collection kept before it collects again,
   * in percent (0 = V8's own choice). V8 alone lets a busy server's heap reach about four times its
   * live size (about 28 MB here) before collecting; 50 keeps it near one and a half times that, for
   * a few percent more time in the collector. Applied at start-up (src/main.ts).
   */
  HEAP_GROWTH_PERCENT: int(50, 0, 1000),
  /** Tool calls one process runs at once; more wait in line (admission control, src/booking/admission.ts). */
  TOOL_MAX_CONCURRENCY: int(32, 1, 10_000),
  /**
   * How long a tool call may wait for its turn before it is answered BUSY ("try again in a moment";
   * 503 on /tools). Unset = half of TOOL_DEADLINE_MS (4000 with the default deadline): the rest of
   * the deadline stays for the call itself.
   */
  TOOL_QUEUE_TIMEOUT_MS: int(-1, 0, 60_000), // -1 (unset): derived in parseEnv
  /** Seconds to keep idempotency records (replayed tool calls answered from them). */
  IDEMPOTENCY_TTL_SECONDS: int(86_400, 60),
  /** Trust the phone number the model passes even when the platform tells us the caller's number. */
  TRUST_MODEL_PHONE: bool(false),
  /** Appointment changes (book, move, cancel) one phone number may make per hour; 0 = no limit. */
  RATE_LIMIT_PHONE_PER_HOUR: int(10, 0),
  /** Appointment changes one client IP may make per minute; 0 = no limit. */
  RATE_LIMIT_IP_PER_MINUTE: int(30, 0),
  /** Days of tool-call log kept in SQLite (it holds phone numbers); older rows are purged. 0 = keep forever. */
  CALL_LOG_RETENTION_DAYS: int(90, 0),

  // --- Google Calendar provider ---
  // Used when CALENDAR_PROVIDER=google. The combination is validated by googleSettingsFromEnv
  // (src/calendar/google-client.ts) so the error can name the missing variable.
  /** "service-account" (key file, optional impersonation) or "oauth" (client + stored refresh token). Inferred when unset. */
  GOOGLE_AUTH: z.enum(['service-account', 'oauth']).optional(),
  /** Path of the service account's JSON key file. */
  GOOGLE_SERVICE_ACCOUNT_KEY_FILE: optionalString,
  /** Workspace user to act as (domain-wide delegation). Unset = the service account itself. */
  GOOGLE_IMPERSONATE_SUBJECT: optionalString,
  GOOGLE_OAUTH_CLIENT_ID: optionalString,
  GOOGLE_OAUTH_CLIENT_SECRET: optionalString,
  GOOGLE_OAUTH_REFRESH_TOKEN: optionalString,
  /** Calendar API root (scheme + host + port only; Google's client drops any path). For the local fake. */
  GOOGLE_CALENDAR_ROOT_URL: optionalString,
  /** OAuth token endpoint override, for the local fake. */
  GOOGLE_TOKEN_URL: optionalString,
  /** OAuth authorization endpoint override, for the local fake ("Connect Google Calendar"). */
  GOOGLE_OAUTH_AUTH_URL: optionalString,
  /** OAuth revoke endpoint override, for the local fake. */
  GOOGLE_OAUTH_REVOKE_URL: optionalString,
  /** How often the server checks each connected Google account (ms); 0 = only `npm run google:health`. */
  GOOGLE_HEALTH_INTERVAL_MS: int(900_000, 0, 86_400_000),
  /** Who Google e-mails about event changes. Events carry no attendees, so "none" is the quiet default. */
  GOOGLE_SEND_UPDATES: z.enum(['all', 'externalOnly', 'none']).default('none'),
  /**
   * Two-way sync (src/calendar/sync/): a calendar not synced for this long is synced by the server's
   * periodic backstop (push delivery is not guaranteed, and it is the only mechanism without a public
   * https PUBLIC_BASE_URL). 0 = no periodic sync in the server (`npm run google:sync` from cron).
   */
  GOOGLE_SYNC_INTERVAL_MS: int(300_000, 0, 86_400_000),
  /** How long one sync may hold a calendar before another instance may take it over. */
  GOOGLE_SYNC_LEASE_MS: int(120_000, 1_000, 3_600_000),
  /** Push channels (events.watch) when PUBLIC_BASE_URL is set: "on" or "off". */
  GOOGLE_WATCH: z.enum(['on', 'off']).default('on'),
  /** Channel lifetime asked of Google (it may grant less); 7 days is its default. */
  GOOGLE_WATCH_TTL_SECONDS: int(604_800, 60, 2_592_000),
  /**
   * Searches (find_available_slots, get_next_available) answer from the busy mirror the sync keeps
   * while every calendar synced within this and has a live push channel; booking still asks Google
   * inside the lock. 0 = always ask Google.
   */
  GOOGLE_MIRROR_FRESH_MS: int(600_000, 0, 86_400_000),
  /** A channel expiring within this is replaced (new one first, then the old one stopped). */
  GOOGLE_WATCH_RENEW_BEFORE_MS: int(86_400_000, 0, 2_592_000_000),

  // --- Microsoft 365 (Graph) --- for staff with "calendar": {"provider": "microsoft"} or CALENDAR_PROVIDER=microsoft.
  // An app registration with the Calendars.ReadWrite application permission (admin consent).
  MICROSOFT_TENANT_ID: optionalString,
  MICROSOFT_CLIENT_ID: optionalString,
  MICROSOFT_CLIENT_SECRET: optionalString,
  /** Graph root, e.g. https://graph.microsoft.com; for the local fake. */
  MICROSOFT_GRAPH_URL: optionalString,
  /** Token authority host, e.g. https://login.microsoftonline.com; for the local fake. */
  MICROSOFT_AUTHORITY_URL: optionalString,

  /** Retry policy shared by every remote call (src/resilience/policy.ts). */
  REMOTE_MAX_ATTEMPTS: int(4, 1, 10),
  REMOTE_BASE_DELAY_MS: int(200, 0, 10_000),
  REMOTE_MAX_DELAY_MS: int(2_000, 0, 60_000),
  REMOTE_RETRY_AFTER_CAP_MS: int(3_000, 0, 60_000),
  REMOTE_ATTEMPT_TIMEOUT_MS: int(5_000, 100, 60_000),
  /** Consecutive failed attempts that open the circuit; 0 disables the breaker. */
  REMOTE_BREAKER_THRESHOLD: int(5, 0, 1_000),
  REMOTE_BREAKER_HALF_OPEN_MS: int(30_000, 100, 3_600_000),

  // --- SMS (Telnyx) --- confirmations and reminders; see docs/sms.md
  /** Telnyx API v2 key. Unset = no SMS provider: messages are recorded as skipped, nothing is sent. */
  TELNYX_API_KEY: optionalString,
  /** Sending number in E.164 (or short code / alphanumeric sender id). This or the profile is required with a key. */
  TELNYX_FROM_NUMBER: optionalString,
  /** Messaging profile id (number pools, alphanumeric senders). */
  TELNYX_MESSAGING_PROFILE_ID: optionalString,
  /** API base URL, for regional endpoints and local fakes in tests. */
  TELNYX_API_BASE_URL: z.url().default('https://api.telnyx.com/v2'),
  /** How often the in-process worker looks for due messages; 0 = no worker (run `npm run reminders:run` from cron). */
  SMS_WORKER_INTERVAL_MS: int(15_000, 0, 3_600_000),
  /** How often callbacks past their promised window are marked overdue and escalated; 0 = never. */
  CALLBACK_SWEEP_INTERVAL_MS: int(60_000, 0, 3_600_000),
  /** Time allowed for one Telnyx send before its outcome counts as unknown. */
  SMS_SEND_TIMEOUT_MS: int(10_000, 500, 120_000),
  /** Sends per message before it is marked failed. */
  SMS_MAX_ATTEMPTS: int(3, 1, 10),
  /** First retry delay; doubled per attempt, with jitter. */
  SMS_RETRY_BASE_MS: int(30_000, 0, 3_600_000),
  /** After an interrupted send, send again (at least once) instead of marking it unknown (at most once). */
  SMS_RESEND_ON_UNKNOWN: bool(false),
  // --- end SMS (Telnyx) ---

  // --- E-mail (SMTP) --- confirmations, invites and reminders; README "E-mail confirmations and invites".
  // The outbox worker and its retry settings (SMS_WORKER_INTERVAL_MS, SMS_MAX_ATTEMPTS, ...) are shared.
  /** smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465. Unset (and no SMTP_HOST) = e-mails are recorded as skipped. */
  SMTP_URL: optionalString,
  SMTP_HOST: optionalString,
  SMTP_PORT: int(587, 1, 65_535),
  /** Implicit TLS (port 465); false = STARTTLS when offered. */
  SMTP_SECURE: bool(false),
  SMTP_USER: optionalString,
  SMTP_PASS: optionalString,
  /** Refuse to send unless the server upgrades to TLS (STARTTLS). */
  SMTP_REQUIRE_TLS: bool(false),
  /** The From of every e-mail, e.g. "Bookings <bookings@example.com>"; each business's reply-to is in its file. */
  SMTP_FROM: z.string().min(3).default('Bookline <bookings@localhost>'),
  /** Connection, greeting and inactivity timeout of one SMTP send. */
  SMTP_TIMEOUT_MS: int(15_000, 500, 120_000),
  // --- end E-mail (SMTP) ---

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

/** Why a PUBLIC_BASE_URL cannot be used, or undefined when it can. */
export function baseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'expected an absolute http:// or https:// URL with a host';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `expected http:// or https://, not ${url.protocol}//`;
  if (!url.hostname) return 'expected a host name';
  if (url.search || url.hash || value.includes('?') || value.includes('#')) return 'expected no query (?...) or fragment (#...)';
  if (url.username || url.password) return 'expected no user name or password in the URL';
  return undefined;
}

/** What PUBLIC_BASE_URL means when it is not set: this machine, on the port the server listens on. */
export function localBaseUrl(port: number): string {
  return `http://localhost:${port}`;
}

/** Whether definitions built from this base URL only work from this machine. */
export function isLocalBaseUrl(value: string): boolean {
  const host = new URL(value).hostname;
  return host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || host === '0.0.0.0' || /^127\./.test(host);
}

export type Env = Omit<z.output<typeof envSchema>, 'PUBLIC_BASE_URL'> & {
  PUBLIC_BASE_URL: string;
  /** False when PUBLIC_BASE_URL was left unset and defaults to localhost:PORT. */
  PUBLIC_BASE_URL_SET: boolean;
};

export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(source);
  const issues = parsed.success ? [] : parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`);
  if (parsed.success && parsed.data.TOOL_QUEUE_TIMEOUT_MS >= parsed.data.TOOL_DEADLINE_MS) {
    issues.push(`  - TOOL_QUEUE_TIMEOUT_MS: must be less than TOOL_DEADLINE_MS (${parsed.data.TOOL_DEADLINE_MS}), got ${parsed.data.TOOL_QUEUE_TIMEOUT_MS}`);
  }
  if (!parsed.success || issues.length) throw new ConfigError(`Invalid environment:\n${issues.join('\n')}`);
  const env = parsed.data;
  return {
    ...env,
    TOOL_QUEUE_TIMEOUT_MS: env.TOOL_QUEUE_TIMEOUT_MS < 0 ? Math.floor(env.TOOL_DEADLINE_MS / 2) : env.TOOL_QUEUE_TIMEOUT_MS,
    PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? localBaseUrl(env.PORT),
    PUBLIC_BASE_URL_SET: env.PUBLIC_BASE_URL !== undefined,
  };
}

export function readEnv(): Env {
  return parseEnv(process.env);
}
