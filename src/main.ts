/** The only place that reads the environment, opens files, and listens. */
import { join } from 'node:path';
import { createApp } from './app.js';
import { releaseStaleReservations } from './booking/recovery.js';
import { createCalendarProvider } from './calendar/index.js';
import { ConfigError, loadBusinessConfig } from './config/business.js';
import { readEnv } from './config/env.js';
import { checkEntryPoints } from './config/security.js';
import { systemClock } from './domain/clock.js';
import { randomIds } from './domain/ids.js';
import { makeDeps } from './deps.js';
import { createLogger } from './logger.js';
import { createNotifier } from './notifications/index.js';
import { createStore } from './store/index.js';

async function main(): Promise<void> {
  const settings = readEnv();
  const logger = createLogger(settings.LOG_LEVEL);
  const open = checkEntryPoints(settings);
  if (open.length) logger.warn({ open: open.map((p) => p.paths) }, 'entry points without authentication (fine for local development; set their secrets before exposing this server)');
  const config = loadBusinessConfig(settings.BUSINESS_CONFIG);
  const store = createStore(settings.DATABASE_PATH ?? join(settings.DATA_DIR, 'bookline.db'));

  const calendar = await createCalendarProvider(settings, { store, clock: systemClock, logger, timeZone: config.business.timeZone });

  const deps = makeDeps({ config, settings, calendar, store, clock: systemClock, logger, ids: randomIds });
  // Registered before anything can change an appointment: every change from here on has its SMS rows.
  const notifier = createNotifier(deps);
  deps.notifier = notifier;
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
    notifier.start();
  });

  const stop = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    clearInterval(maintenance);
    // A send in progress finishes and records its message id before the database closes.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    void Promise.allSettled([closed, notifier.stop()]).then(() => {
      store.close();
      process.exit(0);
    });
    // Long enough for an SMS send in flight to finish and be recorded (SMS_SEND_TIMEOUT_MS).
    setTimeout(() => process.exit(0), settings.SMS_SEND_TIMEOUT_MS + 2000).unref();
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
