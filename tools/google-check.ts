/**
 * Checks a Google Calendar connection the way the service will use it, and says what is wrong in
 * plain words: credentials, then for each staff calendar read, free/busy and write access.
 *
 *   npm run google:check                 # env + business file as the service would load them
 *   npm run google:check -- --no-write   # skip the write test (it creates and deletes one event)
 *   npm run google:check -- --calendar someone@example.com
 *
 * Exit code 0 when everything works, 1 otherwise. No retries: a diagnosis should show the first
 * answer Google gives.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { calendar_v3 } from '@googleapis/calendar';
import { loadBusinessConfig } from '../src/config/business.js';
import { readEnv } from '../src/config/env.js';
import {
  authClientOf,
  buildGoogleCalendarClient,
  describeAuthFailure,
  googleSettingsFromEnv,
  type GoogleClientSettings,
} from '../src/calendar/google-client.js';
import { classifyError } from '../src/resilience/classify.js';

export interface CheckLine {
  ok: boolean;
  what: string;
  detail?: string;
}

export interface CheckOptions {
  client: calendar_v3.Calendar;
  /** staff label -> calendar id */
  calendars: { label: string; calendarId: string }[];
  /** Who Google sees us as, for the advice ("share the calendar with ..."). */
  identity: string;
  authKind: GoogleClientSettings['auth']['kind'];
  write: boolean;
  timeoutMs?: number;
  now?: () => number;
}

function explain(err: unknown, calendarId: string, identity: string, action: 'read' | 'write'): string {
  const c = classifyError(err);
  if (c.status === 404) return `Google says calendar "${calendarId}" does not exist, or it is not shared with ${identity}. Check the id in the business file and share the calendar.`;
  if (c.status === 403 && c.reason === 'requiredAccessLevel') {
    return `${identity} can see "${calendarId}" but not change it. Share it with the permission "Make changes to events".`;
  }
  if (c.status === 403 && (c.reason === 'rateLimitExceeded' || c.reason === 'userRateLimitExceeded' || c.reason === 'quotaExceeded')) {
    return `Google is rate-limiting this project right now (${c.reason}); try again in a minute.`;
  }
  if (c.status === 403) return `Google refused to ${action} "${calendarId}" (${c.reason ?? 'forbidden'}). Check how the calendar is shared with ${identity}.`;
  if (c.status === 401) return 'Google rejected the access token (HTTP 401). Run the check again; if it persists, the credentials are wrong.';
  if (c.status !== undefined) return `Google answered HTTP ${c.status}${c.reason ? ` ${c.reason}` : ''}.`;
  if (c.code) return `Could not reach Google (${c.code}). Check network access, or GOOGLE_CALENDAR_ROOT_URL / GOOGLE_TOKEN_URL if you set them.`;
  return (err as Error)?.message ?? String(err);
}

export async function runGoogleCheck(o: CheckOptions): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const signal = () => AbortSignal.timeout(o.timeoutMs ?? 10_000);
  const now = (o.now ?? Date.now)();

  const auth = authClientOf(o.client);
  try {
    const token = await auth?.getAccessToken();
    if (auth && !token?.token) throw new Error('the token endpoint returned no access token');
    lines.push({ ok: true, what: `credentials: signed in as ${o.identity}` });
  } catch (err) {
    const why = describeAuthFailure(err, o.authKind) ?? explain(err, '', o.identity, 'read');
    lines.push({ ok: false, what: 'credentials', detail: why });
    return lines; // nothing else can work
  }

  for (const { label, calendarId } of o.calendars) {
    const name = `${label} (${calendarId})`;
    try {
      await o.client.events.list({ calendarId, maxResults: 1, singleEvents: true, timeMin: new Date(now).toISOString() }, { signal: signal() });
      lines.push({ ok: true, what: `${name}: events readable` });
    } catch (err) {
      lines.push({ ok: false, what: `${name}: events readable`, detail: explain(err, calendarId, o.identity, 'read') });
      continue;
    }
    try {
      const fb = await o.client.freebusy.query(
        { requestBody: { timeMin: new Date(now).toISOString(), timeMax: new Date(now + 86_400_000).toISOString(), items: [{ id: calendarId }] } },
        { signal: signal() },
      );
      const errors = fb.data.calendars?.[calendarId]?.errors ?? [];
      if (errors.length > 0) throw Object.assign(new Error(`free/busy error: ${errors.map((e) => e.reason).join(', ')}`), { freeBusy: true });
      lines.push({ ok: true, what: `${name}: free/busy readable` });
    } catch (err) {
      const detail = (err as { freeBusy?: boolean }).freeBusy ? `Google could not give free/busy for it: ${(err as Error).message}.` : explain(err, calendarId, o.identity, 'read');
      lines.push({ ok: false, what: `${name}: free/busy readable`, detail });
    }
    if (!o.write) continue;
    // A transparent one-minute event a week ahead: never blocks anyone's time even if deleting fails.
    const eventId = `booklinecheck${randomBytes(8).toString('hex')}`;
    const start = now + 7 * 86_400_000;
    try {
      await o.client.events.insert(
        {
          calendarId,
          sendUpdates: 'none',
          requestBody: {
            id: eventId,
            summary: 'Bookline connection check (safe to delete)',
            transparency: 'transparent',
            start: { dateTime: new Date(start).toISOString() },
            end: { dateTime: new Date(start + 60_000).toISOString() },
          },
        },
        { signal: signal() },
      );
    } catch (err) {
      lines.push({ ok: false, what: `${name}: writable`, detail: explain(err, calendarId, o.identity, 'write') });
      continue;
    }
    try {
      await o.client.events.delete({ calendarId, eventId, sendUpdates: 'none' }, { signal: signal() });
      lines.push({ ok: true, what: `${name}: writable (test event created and deleted)` });
    } catch (err) {
      lines.push({
        ok: false,
        what: `${name}: writable`,
        detail: `created a test event but could not delete it (${explain(err, calendarId, o.identity, 'write')}); remove "Bookline connection check" by hand.`,
      });
    }
  }
  return lines;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'no-write': { type: 'boolean', default: false },
      calendar: { type: 'string', multiple: true },
      business: { type: 'string' },
    },
  });
  let env;
  let settings: GoogleClientSettings;
  try {
    env = readEnv();
    settings = googleSettingsFromEnv(env);
  } catch (e) {
    console.error(`✗ configuration: ${(e as Error).message}`);
    return 1;
  }
  let calendars: CheckOptions['calendars'];
  if (values.calendar?.length) {
    calendars = values.calendar.map((id) => ({ label: 'calendar', calendarId: id }));
  } else {
    try {
      const business = loadBusinessConfig(values.business ?? env.BUSINESS_CONFIG, { requireCalendarIds: true });
      calendars = business.staff.map((s) => ({ label: s.name, calendarId: s.calendarId }));
    } catch (e) {
      console.error(`✗ business file: ${(e as Error).message}`);
      return 1;
    }
  }
  let client: calendar_v3.Calendar;
  try {
    client = buildGoogleCalendarClient(settings);
  } catch (e) {
    console.error(`✗ configuration: ${(e as Error).message}`);
    return 1;
  }
  const a = settings.auth;
  const sa = authClientOf(client) as { email?: string } | undefined;
  const identity =
    a.kind === 'service-account'
      ? a.subject
        ? `${a.subject} (through service account ${sa?.email ?? '?'})`
        : `service account ${sa?.email ?? '?'}`
      : 'the Google user who granted the refresh token';

  console.log(`Checking Google Calendar (${a.kind}${settings.rootUrl ? `, API at ${settings.rootUrl}` : ''})`);
  const lines = await runGoogleCheck({ client, calendars, identity, authKind: a.kind, write: !values['no-write'] });
  for (const l of lines) console.log(`${l.ok ? '✓' : '✗'} ${l.what}${l.detail ? `\n    ${l.detail}` : ''}`);
  const failed = lines.filter((l) => !l.ok).length;
  console.log(failed === 0 ? 'All good.' : `${failed} problem(s) found.`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
