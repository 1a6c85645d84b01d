/**
 * Checks every staff member's calendar the way the service will use it, whatever the provider
 * (embedded, Google, Microsoft 365, CalDAV), and says what is wrong in plain words: configuration
 * and credentials, then for each staff member busy time readable and (unless --no-write) a test
 * event created and removed again.
 *
 *   npm run calendar:check                 # env + business file as the service would load them
 *   npm run calendar:check -- --no-write   # skip the write test
 *   npm run calendar:check -- --business other.json
 *
 * Exit code 0 when everything works, 1 otherwise. `npm run google:check` goes deeper on Google
 * (which account, sharing settings).
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createCalendarProvider, planCalendars } from '../src/calendar/index.js';
import type { CalendarProvider } from '../src/calendar/provider.js';
import { loadBusinessConfig, type BusinessConfig } from '../src/config/business.js';
import { readEnv } from '../src/config/env.js';
import { systemClock } from '../src/domain/clock.js';
import { describeFailure } from '../src/resilience/classify.js';
import { openStoreFromSettings } from '../src/config/storage.js';
import { DEFAULT_BUSINESS_ID } from '../src/deps.js';

export interface CheckLine {
  ok: boolean;
  what: string;
  detail?: string;
}

export interface CheckTarget {
  label: string;
  calendarId: string;
  provider: string;
}

function why(err: unknown): string {
  // CalendarUnavailableError carries the remote failure as its cause.
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  return describeFailure(cause);
}

export async function runCalendarCheck(o: { provider: CalendarProvider; staff: CheckTarget[]; write: boolean; now: number }): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const week = { start: o.now, end: o.now + 7 * 86_400_000 };
  for (const s of o.staff) {
    const who = `${s.label} (${s.provider}, ${s.calendarId})`;
    let readable = false;
    try {
      const fb = await o.provider.freeBusy([s.calendarId], week, AbortSignal.timeout(15_000));
      const error = fb.errors.get(s.calendarId);
      if (error !== undefined) lines.push({ ok: false, what: `${who}: busy time readable`, detail: error });
      else {
        readable = true;
        lines.push({ ok: true, what: `${who}: busy time readable`, detail: `${fb.busy.get(s.calendarId)?.length ?? 0} busy period(s) in the next 7 days` });
      }
    } catch (err) {
      lines.push({ ok: false, what: `${who}: busy time readable`, detail: why(err) });
    }
    if (!o.write || !readable) continue;
    // A quarter hour at 03:00 a year ahead: nobody books it, and it is removed at once.
    const start = Math.floor((o.now + 365 * 86_400_000) / 86_400_000) * 86_400_000 + 3 * 3_600_000;
    const key = `chk_${randomBytes(8).toString('hex')}`;
    try {
      await o.provider.createEvent(
        { appointmentId: key, calendarId: s.calendarId, start, end: start + 15 * 60_000, blockStart: start, blockEnd: start + 15 * 60_000, summary: 'Bookline connection check (deleted right away)', description: 'Created and removed by npm run calendar:check.', timeZone: 'UTC', customerPhone: '', serviceId: 'check' },
        AbortSignal.timeout(15_000),
      );
      await o.provider.removeByKey(s.calendarId, key, AbortSignal.timeout(15_000));
      lines.push({ ok: true, what: `${who}: writable (test event created and removed)` });
    } catch (err) {
      lines.push({ ok: false, what: `${who}: writable`, detail: why(err) });
    }
  }
  const health = o.provider.health();
  if (!health.ok || health.detail) lines.push({ ok: health.ok, what: 'provider health', ...(health.detail !== undefined && { detail: health.detail }) });
  return lines;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { business: { type: 'string' }, 'no-write': { type: 'boolean', default: false } } });
  let env;
  let config: BusinessConfig;
  try {
    env = readEnv();
    config = loadBusinessConfig(values.business ?? env.BUSINESS_CONFIG);
  } catch (e) {
    console.error(`✗ configuration: ${(e as Error).message}`);
    return 1;
  }
  let provider: CalendarProvider;
  let plan;
  // The deployment's own store: the embedded calendar is checked where its events really are.
  const root = await openStoreFromSettings(env);
  const store = root.forBusiness(DEFAULT_BUSINESS_ID);
  try {
    plan = planCalendars(config, env, process.env);
    provider = await createCalendarProvider(env, { store, clock: systemClock, logger: pino({ level: 'silent' }), timeZone: config.business.timeZone, config });
  } catch (e) {
    console.error(`✗ configuration: ${(e as Error).message}`);
    await root.close();
    return 1;
  }
  const staff = config.staff.map((s) => ({ label: s.name, calendarId: s.calendarId, provider: plan.kinds.get(s.calendarId) ?? env.CALENDAR_PROVIDER }));
  console.log(`Checking ${staff.length} staff calendar(s) on ${provider.name}`);
  const lines = await runCalendarCheck({ provider, staff, write: !values['no-write'], now: Date.now() });
  for (const l of lines) console.log(`${l.ok ? '✓' : '✗'} ${l.what}${l.detail ? `\n    ${l.detail}` : ''}`);
  const failed = lines.filter((l) => !l.ok).length;
  console.log(failed === 0 ? 'All good.' : `${failed} problem(s) found.`);
  await root.close();
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main();
}
