/**
 * Deletes tool-call log rows older than N days (they hold phone numbers and what callers asked).
 * The server also does this hourly per CALL_LOG_RETENTION_DAYS; this is for cron or a one-off.
 *   npm run calls:purge -- --days 30
 */
import { parseArgs } from 'node:util';
import { readEnv } from '../src/config/env.js';
import { exitWith, withStore } from './cli.js';

exitWith(async () => {
  const { values } = parseArgs({ options: { days: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log('Usage: npm run calls:purge -- [--days N]   (default: CALL_LOG_RETENTION_DAYS)');
    return 0;
  }
  const settings = readEnv();
  const days = values.days !== undefined ? Number(values.days) : settings.CALL_LOG_RETENTION_DAYS;
  if (!Number.isFinite(days) || days < 0) {
    console.error(`--days must be a number of days (got "${values.days}")`);
    return 2;
  }
  return withStore(settings, async (store, root) => {
    const removed = await store.calls.purgeOlderThan(Date.now() - days * 86_400_000);
    console.log(`Removed ${removed} call log row${removed === 1 ? '' : 's'} older than ${days} days from ${root.location}.`);
    return 0;
  });
});
