/**
 * An e-mail worker in its own process, for the SIGKILL test:
 *   node --import tsx test/email/worker-child.ts <db file or postgres:// URL> <business> <smtp port> <concurrency> <batchSize>
 * Prints "ready" once its database is open, then a JSON summary when nothing is left.
 */
import { pino } from 'pino';
import { systemClock } from '../../src/domain/clock.js';
import { SmtpSender } from '../../src/notifications/email/smtp.js';
import { OutboxWorker } from '../../src/notifications/worker.js';
import { isPostgresUrl, openStore } from '../../src/store/index.js';

const [db, business, port, concurrency, batchSize] = process.argv.slice(2) as [string, string, string, string, string];
const root = await openStore(isPostgresUrl(db) ? { url: db } : { path: db });
const store = root.forBusiness(business);
const emailSender = new SmtpSender({ host: '127.0.0.1', port: Number(port), from: 'bookings@maple.example', timeoutMs: 5000 });
const worker = new OutboxWorker({
  outbox: store.outbox,
  appointments: store.appointments,
  sender: null,
  emailSender,
  clock: systemClock,
  logger: pino({ level: 'silent' }),
  owner: `child-${process.pid}`,
  concurrency: Number(concurrency),
  batchSize: Number(batchSize),
});
console.log('ready');
const summary = await worker.runUntilIdle();
console.log(JSON.stringify(summary));
emailSender.close();
await root.close();
