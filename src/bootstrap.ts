/**
 * The composition root shared by the server (src/main.ts) and the CLI tools: settings -> runtime
 * (store, clock, logger...) -> the business of BUSINESS_CONFIG and the stored businesses.
 */
import type { Logger } from 'pino';
import { createCalendarProvider } from './calendar/index.js';
import { loadBusinessConfig } from './config/business.js';
import type { Env } from './config/env.js';
import { openStoreFromSettings } from './config/storage.js';
import { type Clock, systemClock } from './domain/clock.js';
import { randomIds } from './domain/ids.js';
import { DEFAULT_BUSINESS_ID, type Deps, makeDeps } from './deps.js';
import { createNotifier } from './notifications/index.js';
import { makeRuntime, type Runtime } from './runtime.js';

export async function openRuntime(settings: Env, logger: Logger, clock: Clock = systemClock): Promise<Runtime> {
  const store = await openStoreFromSettings(settings);
  return makeRuntime({ settings, store, clock, logger, ids: randomIds });
}

/** BUSINESS_CONFIG=none: this deployment serves stored businesses only (under /b/<slug>/). */
export function hasDefaultBusiness(settings: Pick<Env, 'BUSINESS_CONFIG'>): boolean {
  return settings.BUSINESS_CONFIG.trim().toLowerCase() !== 'none';
}

/**
 * The business served at the root URLs, from its file and the env secrets, with its notifier
 * attached (not started). Undefined with BUSINESS_CONFIG=none.
 */
export async function loadDefaultBusiness(rt: Runtime): Promise<Deps | undefined> {
  const { settings } = rt;
  if (!hasDefaultBusiness(settings)) return undefined;
  const logger = rt.logger.child({ business: DEFAULT_BUSINESS_ID });
  // A Google calendar id cannot be guessed from a staff id; the embedded calendar defaults it.
  const config = loadBusinessConfig(settings.BUSINESS_CONFIG, { requireCalendarIds: settings.CALENDAR_PROVIDER === 'google' });
  const store = rt.store.forBusiness(DEFAULT_BUSINESS_ID);
  const calendar = await createCalendarProvider(settings, { store, clock: rt.clock, logger, timeZone: config.business.timeZone });
  const deps = makeDeps({ config, settings, calendar, store, clock: rt.clock, logger, ids: rt.ids, admission: rt.admission });
  // Registered before anything can change an appointment: every change from here on has its SMS rows.
  deps.notifier = createNotifier(deps);
  // Loaded only when some staff calendar is on Google: the SDK is most of the start-up memory.
  if (calendar.name.split('+').includes('google')) {
    const { attachCalendarSync } = await import('./calendar/sync/index.js');
    attachCalendarSync(deps);
  }
  return deps;
}
