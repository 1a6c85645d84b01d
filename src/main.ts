/** The only place that reads the environment, opens files, and listens. */
import { createApp } from './app.js';
import { releaseStaleReservations } from './booking/recovery.js';
import { createCalendarProvider } from './calendar/index.js';
import { ConfigError, loadBusinessConfig } from './config/business.js';
import { isLocalBaseUrl, localBaseUrl, readEnv } from './config/env.js';
import { checkEntryPoints } from './config/security.js';
import { databaseOpenError, prepareDatabasePath } from './config/storage.js';
import { systemClock } from './domain/clock.js';
import { randomIds } from './domain/ids.js';
import { makeDeps } from './deps.js';
import { listen } from './http/server.js';
import { createLogger } from './logger.js';
import { createNotifier } from './notifications/index.js';
import { createStore, type Store } from './store/index.js';

async function main(): Promise<void> {
  const settings = readEnv();
  const logger = createLogger(settings.LOG_LEVEL);
  const open = checkEntryPoints(settings);
  if (open.length) logger.warn({ open: open.map((p) => p.paths) }, 'entry points without authentication (fine for local development; set their secrets before exposing this server)');
  // A Google calendar id cannot be guessed from a staff id; the embedded calendar defaults it.
  const config = loadBusinessConfig(settings.BUSINESS_CONFIG, { requireCalendarIds: settings.CALENDAR_PROVIDER === 'google' });
  const dbPath = prepareDatabasePath(settings);
  let store: Store;
  try {
    store = createStore(dbPath);
  } catch (err) {
    throw databaseOpenError(dbPath, settings, err);
  }

  const calendar = await createCalendarProvider(settings, { store, clock: systemClock, logger, timeZone: config.business.timeZone });

  const deps = makeDeps({ config, settings, calendar, store, clock: systemClock, logger, ids: randomIds });
  // Registered before anything can change an appointment: every change from here on has its SMS rows.
  const notifier = createNotifier(deps);
  deps.notifier = notifier;
  await releaseStaleReservations(deps);

  const app = createApp(deps);
  const http = await listen(app, settings.PORT, settings.HOST);
  // Definitions served by this process name the port it really listens on (PORT=0 picks one).
  if (!settings.PUBLIC_BASE_URL_SET) settings.PUBLIC_BASE_URL = localBaseUrl(http.port);
  logger.info(
    { port: http.port, business: config.business.name, calendar: calendar.name, config: config.source },
    `Bookline listening on http://${settings.HOST === '0.0.0.0' || settings.HOST === '::' ? 'localhost' : settings.HOST}:${http.port}`,
  );
  if (settings.NODE_ENV === 'production' && isLocalBaseUrl(settings.PUBLIC_BASE_URL)) {
    logger.warn({ PUBLIC_BASE_URL: settings.PUBLIC_BASE_URL }, 'PUBLIC_BASE_URL is a local address: the tool definitions served at /tools/definitions point voice platforms at this machine; set it to the public https address');
  }
  notifier.start();

  // Replays older than the TTL are no longer answered from the record; keep the table small.
  const housekeeping = () => {
    store.idempotency.purgeOlderThan(systemClock.now() - settings.IDEMPOTENCY_TTL_SECONDS * 1000);
    if (settings.CALL_LOG_RETENTION_DAYS > 0) store.calls.purgeOlderThan(systemClock.now() - settings.CALL_LOG_RETENTION_DAYS * 86_400_000);
  };
  housekeeping();
  const maintenance = setInterval(housekeeping, 3_600_000);
  maintenance.unref();
  // A reservation left pending by a write that failed half-way (or by another process that died)
  // holds its slot until released: sweep for them while running, not only at start-up.
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    releaseStaleReservations(deps)
      .catch((err: unknown) => logger.error({ err }, 'stale reservation sweep failed'))
      .finally(() => (sweeping = false));
  }, settings.TOOL_DEADLINE_MS);
  sweeper.unref();

  let stopping = false;
  const stop = (signal: string) => {
    // Ctrl-C under `npm start` delivers SIGINT twice (the terminal's and npm's relay): one shutdown.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(maintenance);
    clearInterval(sweeper);
    // In-flight calls finish (each within TOOL_DEADLINE_MS) and are answered with Connection: close;
    // idle keep-alive connections end within the keep-alive timeout.
    const graceMs = settings.TOOL_DEADLINE_MS + http.server.keepAliveTimeout + 1000;
    // Long enough for the drain, and for an SMS send in flight to finish and be recorded.
    const hardStop = setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, Math.max(graceMs, settings.SMS_SEND_TIMEOUT_MS) + 2000);
    hardStop.unref();
    const drained = http.drain(graceMs).then(({ forced }) => {
      if (forced) logger.warn({ forced }, 'connections still open after the grace period were closed');
    });
    // A send in progress finishes and records its message id before the database closes.
    void Promise.allSettled([drained, notifier.stop()]).then(() => {
      store.close();
      logger.info('stopped');
      process.exit(0);
    });
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
