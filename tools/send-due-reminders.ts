/**
 * Sends every SMS that is due, once, and exits: for cron, or for setups that run the server with
 * SMS_WORKER_INTERVAL_MS=0. Safe to run while the server's own worker runs (rows are leased).
 *
 *   npm run reminders:run            # exit 0 when nothing failed, 2 when something failed or is unknown
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadBusinessConfig } from '../src/config/business.js';
import { readEnv } from '../src/config/env.js';
import { systemClock } from '../src/domain/clock.js';
import { Speech } from '../src/domain/speech.js';
import { createNotifier } from '../src/notifications/index.js';
import { createStore } from '../src/store/index.js';

async function run(): Promise<number> {
  const settings = readEnv();
  const logger = pino({ level: settings.LOG_LEVEL });
  const config = loadBusinessConfig(settings.BUSINESS_CONFIG);
  const store = createStore(settings.DATABASE_PATH ?? join(settings.DATA_DIR, 'bookline.db'));
  try {
    const { business } = config;
    const speech = new Speech({ zone: business.timeZone, locale: business.locale, clock: business.clock, businessName: business.name });
    const notifier = createNotifier({ config, settings, speech, store, clock: systemClock, logger });
    const summary = await notifier.worker.runUntilIdle();
    const counts = notifier.outbox.counts();
    console.log(JSON.stringify({ provider: notifier.provider ?? 'none', summary, counts }));
    return summary.failed > 0 || summary.unknown > 0 ? 2 : 0;
  } finally {
    store.close();
  }
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
