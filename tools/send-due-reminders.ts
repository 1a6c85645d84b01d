/**
 * Sends every SMS and e-mail that is due, once, and exits: for cron, or for setups that run the server with
 * SMS_WORKER_INTERVAL_MS=0. Safe to run while the server's own worker runs (rows are leased).
 *
 *   npm run reminders:run            # exit 0 when nothing failed, 2 when something failed or is unknown
 */
import { loadBusinessConfig } from '../src/config/business.js';
import { readEnv } from '../src/config/env.js';
import { systemClock } from '../src/domain/clock.js';
import { Speech } from '../src/domain/speech.js';
import { createLogger } from '../src/logger.js';
import { createNotifier } from '../src/notifications/index.js';
import { exitWith, withStore } from './cli.js';

exitWith(async () => {
  const settings = readEnv();
  // The server's logger: phone numbers in send errors are masked the same way.
  const logger = createLogger(settings.LOG_LEVEL);
  const config = loadBusinessConfig(settings.BUSINESS_CONFIG);
  return withStore(settings, async (store) => {
    const { business } = config;
    const speech = new Speech({ zone: business.timeZone, locale: business.locale, clock: business.clock, businessName: business.name });
    const notifier = createNotifier({ config, settings, speech, store, clock: systemClock, logger });
    const summary = await notifier.worker.runUntilIdle();
    // Closes the SMTP pool: its idle connections would otherwise hold the process open.
    await notifier.stop();
    const counts = await notifier.outbox.counts();
    console.log(JSON.stringify({ provider: notifier.provider ?? 'none', emailProvider: notifier.emailProvider ?? 'none', summary, counts }));
    return summary.failed > 0 || summary.unknown > 0 ? 2 : 0;
  });
});
