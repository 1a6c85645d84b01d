/**
 * Builds the calendar the booking layer uses, from each staff member's "calendar" in the business
 * file, with CALENDAR_PROVIDER for staff who name none. Called once, from main.
 *
 * All staff on the embedded calendar: the EmbeddedCalendar itself (the admin time-off routes need
 * it). Otherwise one adapter per provider in use, routed per calendar id (./staff.ts), behind the
 * shared failed-create cleanup (./cleanup.ts). Remote clients are loaded only when some staff use
 * them: googleapis alone is most of the process's start-up memory.
 */
import type { Logger } from 'pino';
import { ConfigError, loadBusinessConfig, type BusinessConfig } from '../config/business.js';
import type { Env } from '../config/env.js';
import type { Clock } from '../domain/clock.js';
import type { BusinessStore } from '../store/ports.js';
import type { CalDavAccount } from './caldav.js';
import { withCreateCleanup } from './cleanup.js';
import { EmbeddedCalendar } from './embedded.js';
import type { CalendarAdapter, CalendarProvider } from './provider.js';
import { StaffCalendars } from './staff.js';

export type ProviderKind = 'embedded' | 'google' | 'microsoft' | 'caldav';

export interface CalendarDeps {
  store: BusinessStore;
  clock: Clock;
  logger: Logger;
  timeZone: string;
  /** The business; read from BUSINESS_CONFIG when absent. */
  config?: BusinessConfig;
  /** Where CalDAV passwords are read (each staff entry names its variable); process.env by default. */
  env?: Record<string, string | undefined>;
}

export interface CalendarPlan {
  /** calendar id -> provider kind, for every staff member. */
  kinds: Map<string, ProviderKind>;
  caldav: Map<string, CalDavAccount>;
}

/** Which provider holds each staff calendar, checked before anything connects. */
export function planCalendars(config: BusinessConfig, settings: Pick<Env, 'CALENDAR_PROVIDER'>, env: Record<string, string | undefined>): CalendarPlan {
  const kinds = new Map<string, ProviderKind>();
  const caldav = new Map<string, CalDavAccount>();
  const problems: string[] = [];
  config.staff.forEach((s, i) => {
    const kind: ProviderKind = s.calendar?.provider ?? settings.CALENDAR_PROVIDER;
    const earlier = kinds.get(s.calendarId);
    if (earlier !== undefined && earlier !== kind) problems.push(`staff.${i}: calendar "${s.calendarId}" is also used with ${earlier}`);
    kinds.set(s.calendarId, kind);
    // A staff id is no mailbox: Graph would answer 404 on every call, heard as "calendar unavailable".
    if (kind === 'microsoft' && s.calendar === undefined && !/@|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s.calendarId)) {
      problems.push(`staff.${i}.calendarId: set the Microsoft 365 mailbox of ${s.name} (e.g. "${s.id}@yoursalon.com"), or give them a "calendar"`);
    }
    if (s.calendar?.provider === 'caldav') {
      const password = env[s.calendar.passwordEnv];
      if (!password) problems.push(`staff.${i}.calendar.passwordEnv: set ${s.calendar.passwordEnv} to the CalDAV password of ${s.name} (an app-specific password on iCloud and Fastmail)`);
      caldav.set(s.calendarId, {
        url: s.calendar.url,
        username: s.calendar.username,
        password: password ?? '',
        ...(s.calendar.calendar !== undefined && { calendar: s.calendar.calendar }),
      });
    }
  });
  if (problems.length) throw new ConfigError(`Invalid calendar configuration in ${config.source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { kinds, caldav };
}

export async function createCalendarProvider(settings: Env, deps: CalendarDeps): Promise<CalendarProvider> {
  const config = deps.config ?? loadBusinessConfig(settings.BUSINESS_CONFIG, { requireCalendarIds: settings.CALENDAR_PROVIDER === 'google' });
  const plan = planCalendars(config, settings, deps.env ?? process.env);
  const used = new Set<ProviderKind>([...plan.kinds.values()]);
  const fallbackKind = settings.CALENDAR_PROVIDER;
  if (used.size === 0) used.add(fallbackKind);
  const embedded = () => new EmbeddedCalendar(deps.store.calendarEvents, () => deps.clock.now());
  if (used.size === 1 && used.has('embedded')) return embedded();

  const policyFor = async (name: string, logger: Logger) => {
    const { createRemotePolicy, remotePolicyOptionsFromEnv } = await import('../resilience/policy.js');
    return createRemotePolicy({ name, logger, ...remotePolicyOptionsFromEnv(settings) });
  };
  const adapters = new Map<ProviderKind, CalendarAdapter>();
  const build = async (kind: ProviderKind): Promise<CalendarAdapter> => {
    const logger = deps.logger.child({ calendar: kind });
    switch (kind) {
      case 'embedded':
        return embedded();
      case 'google': {
        const [{ GoogleCalendarProvider }, { buildGoogleCalendarClient, googleSettingsFromEnv }] = await Promise.all([import('./google.js'), import('./google-client.js')]);
        return new GoogleCalendarProvider({
          client: buildGoogleCalendarClient(googleSettingsFromEnv(settings)),
          policy: await policyFor('google-calendar', logger),
          timeZone: deps.timeZone,
          sendUpdates: settings.GOOGLE_SEND_UPDATES,
          logger,
        });
      }
      case 'microsoft': {
        const { MicrosoftCalendarProvider, buildGraphClient, microsoftSettingsFromEnv } = await import('./microsoft.js');
        return new MicrosoftCalendarProvider({
          client: buildGraphClient(microsoftSettingsFromEnv(settings)),
          policy: await policyFor('microsoft-graph', logger),
          timeZone: deps.timeZone,
          logger,
        });
      }
      case 'caldav': {
        const { CalDavCalendarProvider } = await import('./caldav.js');
        return new CalDavCalendarProvider({ accounts: plan.caldav, policy: await policyFor('caldav', logger), timeZone: deps.timeZone, logger });
      }
    }
  };
  for (const kind of used) adapters.set(kind, await build(kind));
  const routes = new Map<string, CalendarAdapter>();
  for (const [calendarId, kind] of plan.kinds) routes.set(calendarId, adapters.get(kind)!);
  // Calendar ids no staff member has any more (old appointments) go to the default provider when
  // some staff use it, else to the first provider in use.
  const fallback = adapters.get(fallbackKind) ?? adapters.values().next().value!;
  const logger = deps.logger.child({ calendar: 'cleanup' });
  return withCreateCleanup(new StaffCalendars(routes, fallback), {
    logger,
    onOrphan: (orphan) => logger.error({ orphan }, 'a calendar event may be left without an appointment; remove it by hand'),
  });
}
