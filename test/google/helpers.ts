/**
 * Wiring for the Google tests: the fake server, the real @googleapis/calendar client pointed at it,
 * a fast policy (tiny delays, injected jitter) and the provider. Nothing is mocked.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { calendar_v3 } from '@googleapis/calendar';
import { buildGoogleCalendarClient, type GoogleAuthSettings } from '../../src/calendar/google-client.js';
import { CleanupCalendar, type CleanupOptions } from '../../src/calendar/cleanup.js';
import { GoogleCalendarProvider, type GoogleCalendarProviderOptions } from '../../src/calendar/google.js';
import type { CalendarEventInput } from '../../src/calendar/provider.js';
import type { LoggerLike } from '../../src/resilience/logger.js';
import { createRemotePolicy, type RemotePolicy, type RemotePolicyOptions } from '../../src/resilience/policy.js';
import { startFakeGoogleCalendar, type FakeGoogleCalendar, type FakeGoogleCalendarOptions } from '../fakes/google-calendar.js';
import { seededRandom } from '../support/random.js';

export const TZ = 'America/New_York';
export const STAFF = ['alice@salon.test', 'bob@salon.test', 'carol@salon.test'];
/** A fixed "now" for the provider clock: Monday 2026-11-23 08:00 in New York. */
export const NOW = Date.parse('2026-11-23T13:00:00Z');
export const HOUR = 3_600_000;
export const MIN = 60_000;

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg?: string;
}

export function recordingLogger(): LoggerLike & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (obj: object, msg?: string) => {
    entries.push({ level, obj: obj as Record<string, unknown>, ...(msg !== undefined && { msg }) });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const oauthSettings: GoogleAuthSettings = { kind: 'oauth', clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' };

let keyFile: string | undefined;
/** A throwaway service-account key (real RSA key: google-auth-library signs the assertion with it). */
export function serviceAccountKeyFile(): string {
  if (keyFile) return keyFile;
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const dir = mkdtempSync(join(tmpdir(), 'bookline-sa-'));
  keyFile = join(dir, 'key.json');
  writeFileSync(keyFile, JSON.stringify({ type: 'service_account', client_email: 'bookline@proj.iam.gserviceaccount.com', private_key: privateKey }));
  return keyFile;
}

export interface Harness {
  fake: FakeGoogleCalendar;
  client: calendar_v3.Calendar;
  policy: RemotePolicy;
  /** The adapter itself. */
  google: GoogleCalendarProvider;
  /** The adapter behind the shared failed-create cleanup, as the booking layer holds it. */
  provider: CleanupCalendar;
  logger: ReturnType<typeof recordingLogger>;
  close(): Promise<void>;
}

export async function harness(
  o: {
    fake?: FakeGoogleCalendarOptions;
    policy?: Partial<RemotePolicyOptions>;
    provider?: Partial<GoogleCalendarProviderOptions>;
    cleanup?: CleanupOptions;
    auth?: GoogleAuthSettings;
  } = {},
): Promise<Harness> {
  const fake = await startFakeGoogleCalendar({ calendars: STAFF, ...o.fake });
  const logger = recordingLogger();
  const client = buildGoogleCalendarClient({ auth: o.auth ?? oauthSettings, rootUrl: fake.url, tokenUrl: fake.tokenUrl });
  const policy = createRemotePolicy({
    name: 'google-calendar',
    maxAttempts: 4,
    baseDelayMs: 10,
    maxDelayMs: 40,
    retryAfterCapMs: 200,
    attemptTimeoutMs: 2_000,
    breaker: false,
    random: () => 0.5,
    logger,
    ...o.policy,
  });
  const google = new GoogleCalendarProvider({ client, policy, timeZone: TZ, sendUpdates: 'none', logger, ...o.provider });
  const provider = new CleanupCalendar(google, { logger, delayMs: 0, ...o.cleanup });
  return {
    fake,
    client,
    policy,
    google,
    provider,
    logger,
    async close() {
      await provider.settled();
      await fake.close();
    },
  };
}

let counter = 0;
/** Our appointment id format: "apt_" + 16 chars of [0-9a-v]. */
export function appointmentId(): string {
  counter++;
  return `apt_${counter.toString(32).padStart(16, '0')}`;
}

export function bookingInput(over: Partial<CalendarEventInput> = {}): CalendarEventInput {
  const start = over.start ?? NOW + 26 * HOUR; // Tuesday 10:00 New York
  const end = over.end ?? start + 45 * MIN;
  return {
    appointmentId: appointmentId(),
    calendarId: STAFF[0]!,
    start,
    end,
    blockStart: start,
    blockEnd: end + 15 * MIN,
    summary: 'Haircut - Jane Doe',
    description: 'Phone: +12125550123\nEmail: jane@example.com\nNotes: first visit',
    timeZone: TZ,
    customerPhone: '+12125550123',
    serviceId: 'haircut',
    ...over,
  };
}

export { seededRandom };
