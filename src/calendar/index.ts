/** Picks and builds the calendar provider named by CALENDAR_PROVIDER. Called once, from main. */
import type { Logger } from 'pino';
import type { Env } from '../config/env.js';
import type { Clock } from '../domain/clock.js';
import type { BusinessStore } from '../store/ports.js';
import { EmbeddedCalendar } from './embedded.js';
import type { CalendarProvider } from './provider.js';

export async function createCalendarProvider(
  settings: Env,
  deps: { store: BusinessStore; clock: Clock; logger: Logger; timeZone: string },
): Promise<CalendarProvider> {
  switch (settings.CALENDAR_PROVIDER) {
    case 'embedded':
      return new EmbeddedCalendar(deps.store.calendarEvents, () => deps.clock.now());
    case 'google': {
      // Loaded only when used: the googleapis client is most of the process's start-up memory.
      const [{ GoogleCalendarProvider }, { buildGoogleCalendarClient, googleSettingsFromEnv }, { createRemotePolicy, remotePolicyOptionsFromEnv }] =
        await Promise.all([import('./google.js'), import('./google-client.js'), import('../resilience/policy.js')]);
      const logger = deps.logger.child({ calendar: 'google' });
      return new GoogleCalendarProvider({
        client: buildGoogleCalendarClient(googleSettingsFromEnv(settings)),
        policy: createRemotePolicy({ name: 'google-calendar', logger, ...remotePolicyOptionsFromEnv(settings) }),
        timeZone: deps.timeZone,
        sendUpdates: settings.GOOGLE_SEND_UPDATES,
        logger,
        now: () => deps.clock.now(),
        onOrphan: (orphan) => logger.error({ orphan }, 'a calendar event may be left without an appointment; remove it by hand'),
      });
    }
  }
}
