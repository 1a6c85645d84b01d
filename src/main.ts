/** The only place that reads the environment, opens files, and listens. */
import { setFlagsFromString } from 'node:v8';
import { createHandler } from './app.js';
import { releaseStaleReservations } from './booking/recovery.js';
import { sweepOverdue } from './callbacks/service.js';
import { declineUnconfirmed } from './booking/lifecycle.js';
import { loadDefaultBusiness, openRuntime } from './bootstrap.js';
import { ConfigError } from './config/business.js';
import { isLocalBaseUrl, localBaseUrl, readEnv } from './config/env.js';
import { checkEntryPoints } from './config/security.js';
import { startHealthMonitor } from './google-connect/health.js';
import { operatorRouter } from './http/operator.js';
import { listen } from './http/server.js';
import { createLogger } from './logger.js';
import { seedBusinesses } from './tenants/manage.js';
import { TenantRegistry } from './tenants/registry.js';

async function main(): Promise<void> {
  const settings = readEnv();
  // Read by V8 at every full collection, so it takes effect when set here, before the load arrives
  // (measured on Node 20 under find load: old space about 48 MB at 50 against about 110 MB without).
  if (settings.HEAP_GROWTH_PERCENT > 0) setFlagsFromString(`--heap-growing-percent=${settings.HEAP_GROWTH_PERCENT}`);
  const logger = createLogger(settings.LOG_LEVEL);
  const open = checkEntryPoints(settings);
  if (open.length) logger.warn({ open: open.map((p) => p.paths) }, 'entry points without authentication (fine for local development; set their secrets before exposing this server)');
  const rt = await openRuntime(settings, logger);
  const deps = await loadDefaultBusiness(rt);
  if (deps) await releaseStaleReservations(deps);
  const seeded = await seedBusinesses(rt, settings.BUSINESSES_DIR);
  if (seeded.created.length || seeded.updated.length) logger.info(seeded, `businesses seeded from ${settings.BUSINESSES_DIR}`);

  const registry = new TenantRegistry(rt);
  const businesses = () => [...(deps ? [deps] : []), ...registry.tenants().map((t) => t.deps)];
  const app = createHandler(deps, { tenants: registry, operator: operatorRouter(rt, registry), logger, metrics: { key: settings.METRICS_API_KEY, businesses } });
  const http = await listen(app, settings.PORT, settings.HOST);
  // Definitions served by this process name the port it really listens on (PORT=0 picks one).
  if (!settings.PUBLIC_BASE_URL_SET) settings.PUBLIC_BASE_URL = localBaseUrl(http.port);
  // After the port is known: stored businesses' definitions carry their URLs under it.
  await registry.start();
  logger.info(
    { port: http.port, business: deps?.config.business.name ?? null, businesses: registry.tenants().length, calendar: deps?.calendar.name, config: deps?.config.source, store: rt.store.kind },
    `Bookline listening on http://${settings.HOST === '0.0.0.0' || settings.HOST === '::' ? 'localhost' : settings.HOST}:${http.port}`,
  );
  if (settings.NODE_ENV === 'production' && isLocalBaseUrl(settings.PUBLIC_BASE_URL)) {
    logger.warn({ PUBLIC_BASE_URL: settings.PUBLIC_BASE_URL }, 'PUBLIC_BASE_URL is a local address: the tool definitions served at /tools/definitions point voice platforms at this machine; set it to the public https address');
  }
  deps?.notifier?.start();

  // Replays older than the TTL are no longer answered from the record; keep the tables small.
  const housekeeping = async () => {
    for (const d of businesses()) {
      await d.store.idempotency.purgeOlderThan(rt.clock.now() - settings.IDEMPOTENCY_TTL_SECONDS * 1000);
      if (settings.CALL_LOG_RETENTION_DAYS > 0) await d.store.calls.purgeOlderThan(rt.clock.now() - settings.CALL_LOG_RETENTION_DAYS * 86_400_000);
    }
  };
  await housekeeping();
  const maintenance = setInterval(() => void housekeeping().catch((err: unknown) => logger.error({ err }, 'housekeeping failed')), 3_600_000);
  maintenance.unref();
  // A reservation left pending by a write that failed half-way (or by another process that died)
  // holds its slot until released: sweep for them while running, not only at start-up.
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    Promise.all(businesses().map((d) => releaseStaleReservations(d)))
      .catch((err: unknown) => logger.error({ err }, 'stale reservation sweep failed'))
      .finally(() => (sweeping = false));
  }, settings.TOOL_DEADLINE_MS);
  sweeper.unref();
  // Overdue callbacks and bookings nobody confirmed in time: each instance sweeps, and the store's
  // compare-and-set makes sure each is escalated or declined once.
  let checking = false;
  const checkOverdue = () => {
    if (checking) return;
    checking = true;
    Promise.all(businesses().map((d) => Promise.all([sweepOverdue(d), declineUnconfirmed(d)])))
      .catch((err: unknown) => logger.error({ err }, 'overdue callback / unconfirmed booking sweep failed'))
      .finally(() => (checking = false));
  };
  const overdueCheck = settings.CALLBACK_SWEEP_INTERVAL_MS > 0 ? setInterval(checkOverdue, settings.CALLBACK_SWEEP_INTERVAL_MS) : undefined;
  overdueCheck?.unref();
  // Connected Google accounts: found broken here, before a caller tries to book.
  const googleHealth = startHealthMonitor(settings, businesses, logger);

  // Two-way Google sync: the periodic backstop (push is not guaranteed) and channel renewal. Each
  // tick reads when every calendar was last synced, so instances do not all list every interval.
  const calendarSync = deps?.calendarSync;
  let syncTick: NodeJS.Timeout | undefined;
  if (calendarSync) {
    let running = false;
    const tick = () => {
      if (running) return;
      running = true;
      (settings.GOOGLE_SYNC_INTERVAL_MS > 0 ? calendarSync.runDue() : calendarSync.ensureChannels())
        .catch((err: unknown) => logger.error({ err }, 'Google calendar sync tick failed'))
        .finally(() => (running = false));
    };
    tick();
    syncTick = setInterval(tick, settings.GOOGLE_SYNC_INTERVAL_MS > 0 ? Math.min(settings.GOOGLE_SYNC_INTERVAL_MS, 60_000) : 900_000);
    syncTick.unref();
  }

  let stopping = false;
  const stop = (signal: string) => {
    // Ctrl-C under `npm start` delivers SIGINT twice (the terminal's and npm's relay): one shutdown.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(maintenance);
    clearInterval(sweeper);
    clearInterval(overdueCheck);
    googleHealth.stop();
    clearInterval(syncTick);
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
    // Then the call-log rows still queued are written, and the store closes.
    void Promise.allSettled([drained, deps?.notifier?.stop(), registry.stop(), calendarSync?.idle()])
      .then(() => rt.store.close())
      .catch((err: unknown) => logger.error({ err }, 'the store did not close cleanly'))
      .then(() => {
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
