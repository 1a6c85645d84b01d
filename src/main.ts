/** The only place that reads the environment, opens files, and listens. */
import { join } from 'node:path';
import { createApp } from './app.js';
import { releaseStaleReservations } from './booking/recovery.js';
import { createCalendarProvider } from './calendar/index.js';
import { ConfigError, loadBusinessConfig } from './config/business.js';
import { readEnv } from './config/env.js';
import { systemClock } from './domain/clock.js';
import { randomIds } from './domain/ids.js';
import { makeDeps } from './deps.js';
import { createLogger } from './logger.js';
import { createStore } from './store/index.js';

async function main(): Promise<void> {
  const settings = readEnv();
  const logger = createLogger(settings.LOG_LEVEL);
  const config = loadBusinessConfig(settings.BUSINESS_CONFIG);
  const store = createStore(settings.DATABASE_PATH ?? join(settings.DATA_DIR, 'bookline.db'));

  const calendar = createCalendarProvider(settings, { store, clock: systemClock, logger, timeZone: config.business.timeZone });

  const deps = makeDeps({ config, settings, calendar, store, clock: systemClock, logger, ids: randomIds });
  await releaseStaleReservations(deps);
  // Replays older than the TTL are no longer answered from the record; keep the table small.
  const housekeeping = () => {
    store.idempotency.purgeOlderThan(systemClock.now() - settings.IDEMPOTENCY_TTL_SECONDS * 1000);
    if (settings.CALL_LOG_RETENTION_DAYS > 0) store.calls.purgeOlderThan(systemClock.now() - settings.CALL_LOG_RETENTION_DAYS * 86_400_000);
  };
  housekeeping();
  const maintenance = setInterval(housekeeping, 3_600_000);
  maintenance.unref();
  const app = createApp(deps);
  const server = app.listen(settings.PORT, settings.HOST, () => {
    logger.info(
      { port: settings.PORT, business: config.business.name, calendar: calendar.name, config: config.source },
      `Bookline listening on http://localhost:${settings.PORT}`,
    );
  });

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    clearInterval(maintenance);
    server.close(() => {
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
