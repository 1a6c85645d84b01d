/**
 * Deletes tool-call log rows older than N days (they hold phone numbers and what callers asked).
 * The server also does this hourly per CALL_LOG_RETENTION_DAYS; this is for cron or a one-off.
 *   npm run calls:purge -- --days 30
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readEnv } from '../src/config/env.js';
import { createStore } from '../src/store/index.js';

const { values } = parseArgs({ options: { days: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: npm run calls:purge -- [--days N]   (default: CALL_LOG_RETENTION_DAYS)');
  process.exit(0);
}
const env = readEnv();
const days = values.days !== undefined ? Number(values.days) : env.CALL_LOG_RETENTION_DAYS;
if (!Number.isFinite(days) || days < 0) {
  console.error(`--days must be a number of days (got "${values.days}")`);
  process.exit(2);
}
const path = env.DATABASE_PATH ?? join(env.DATA_DIR, 'bookline.db');
const store = createStore(path);
const removed = store.calls.purgeOlderThan(Date.now() - days * 86_400_000);
store.close();
console.log(`Removed ${removed} call log row${removed === 1 ? '' : 's'} older than ${days} days from ${path}.`);
