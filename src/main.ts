/** The only place that reads the environment, opens files, and listens. */
import { join } from 'node:path';
import { pino } from 'pino';
import { createApp } from './app.js';
import { releaseStaleReservations } from './booking/recovery.js';
import { EmbeddedCalendar } from './calendar/embedded.js';
import type { CalendarProvider } from './calendar/provider.js';
import { ConfigError, loadBusinessConfig } from './config/business.js';
import { readEnv } from './config/env.js';
import { systemClock } from './domain/clock.js';
import { randomIds } from './domain/ids.js';
import { makeDeps } from './deps.js';
import { createNotifier } from './notifications/index.js';
import { createStore } from './store/index.js';

async function main(): Promise<void> {
  const settings = readEnv();
  const logger = pino({ level: settings.LOG_LEVEL });
  const config = loadBusinessConfig(settings.BUSINESS_CONFIG);
  const store = createStore(settings.DATABASE_PATH ?? join(settings.DATA_DIR, 'bookline.db'));

  let calendar: CalendarProvider;
  switch (settings.CALENDAR_PROVIDER) {
    case 'embedded':
      calendar = new EmbeddedCalendar(store.db, systemClock.now);
      break;
    default:
      throw new ConfigError(`CALENDAR_PROVIDER=${settings.CALENDAR_PROVIDER} is not available in this build.`);
  }

  const deps = makeDeps({ config, settings, calendar, store, clock: systemClock, logger, ids: randomIds });
  // Registered before anything can change an appointment: every change from here on has its SMS rows.
  const notifier = createNotifier(deps);
  deps.notifier = notifier;
  await releaseStaleReservations(deps);
  const app = createApp(deps);
  const server = app.listen(settings.PORT, settings.HOST, () => {
    logger.info(
      { port: settings.PORT, business: config.business.name, calendar: calendar.name, config: config.source },
      `Bookline listening on http://localhost:${settings.PORT}`,
    );
    notifier.start();
  });

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    // A send in progress finishes and records its message id before the database closes.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    void Promise.allSettled([closed, notifier.stop()]).then(() => {
      store.close();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
