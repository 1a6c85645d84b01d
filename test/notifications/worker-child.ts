/**
 * A worker in its own process, for the crash and cross-process race tests:
 *   node --import tsx test/notifications/worker-child.ts <db file or postgres:// URL> <business> <telnyxBaseURL> <apiKey> <concurrency> <batchSize>
 * Prints "ready" once its database is open, then a JSON summary when nothing is left.
 */
import { pino } from 'pino';
import { systemClock } from '../../src/domain/clock.js';
import { TelnyxSender } from '../../src/notifications/sender.js';
import { OutboxWorker } from '../../src/notifications/worker.js';
import { isPostgresUrl, openStore } from '../../src/store/index.js';

const [db, business, baseURL, apiKey, concurrency, batchSize] = process.argv.slice(2) as [string, string, string, string, string, string];
const root = await openStore(isPostgresUrl(db) ? { url: db } : { path: db });
const store = root.forBusiness(business);
const worker = new OutboxWorker({
  outbox: store.outbox,
  appointments: store.appointments,
  sender: new TelnyxSender({ apiKey, fromNumber: '+18445550001', baseURL, timeoutMs: 5000 }),
  clock: systemClock,
  logger: pino({ level: 'silent' }),
  owner: `child-${process.pid}`,
  concurrency: Number(concurrency),
  batchSize: Number(batchSize),
});
console.log('ready');
const summary = await worker.runUntilIdle();
console.log(JSON.stringify(summary));
await root.close();
