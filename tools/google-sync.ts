/**
 * Runs the two-way Google Calendar sync once for the business of BUSINESS_CONFIG and exits: for
 * cron, or for setups with GOOGLE_SYNC_INTERVAL_MS=0. Same composition root as the server, so the
 * changes it applies plan the same customer messages; safe beside running servers (the per-calendar
 * lease in the store lets one sync run at a time).
 *
 *   npm run google:sync            # exit 0 when every calendar synced, 2 when one failed
 *   npm run google:sync -- --watch # also create or renew push channels (needs PUBLIC_BASE_URL)
 */
import { loadDefaultBusiness, openRuntime } from '../src/bootstrap.js';
import { readEnv } from '../src/config/env.js';
import { createLogger } from '../src/logger.js';
import { exitWith } from './cli.js';

exitWith(async () => {
  const settings = readEnv();
  const logger = createLogger(settings.LOG_LEVEL);
  const rt = await openRuntime(settings, logger);
  try {
    const deps = await loadDefaultBusiness(rt);
    const sync = deps?.calendarSync;
    if (!sync) {
      console.error('No staff calendar is on Google (CALENDAR_PROVIDER=google or a staff "calendar": {"provider": "google"}): nothing to sync.');
      return 1;
    }
    const reports = await sync.syncAll();
    const channels = process.argv.includes('--watch') ? await sync.ensureChannels() : undefined;
    await deps.notifier?.stop();
    console.log(JSON.stringify({ reports, ...(channels && { channels }) }));
    return reports.some((r) => r.state === 'failed') ? 2 : 0;
  } finally {
    await rt.store.close();
  }
});
