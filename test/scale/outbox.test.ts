/**
 * 500 due messages, three workers each on its own connection pool (as three instances would be),
 * all running at once on Postgres: every message is sent exactly once, and each row says sent.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/clock.js';
import { OutboxWorker } from '../../src/notifications/worker.js';
import { openStore, type Store } from '../../src/store/index.js';
import { POSTGRES_AVAILABLE, TEST_DATABASE_URL, uniqueBusinessId } from '../helpers.js';

let stores: Store[] = [];
beforeAll(async () => {
  if (POSTGRES_AVAILABLE) stores = await Promise.all([0, 1, 2].map(() => openStore({ url: TEST_DATABASE_URL, poolSize: 4 })));
});
afterAll(() => Promise.all(stores.map((s) => s.close())));

it.skipIf(!POSTGRES_AVAILABLE)('three workers on three pools send 500 due messages exactly once between them', async () => {
  const biz = uniqueBusinessId();
  const now = Date.now();
  const first = stores[0]!.forBusiness(biz);
  for (let i = 0; i < 500; i++) {
    await first.outbox.enqueue({ dedupeKey: `m${i}`, appointmentId: null, kind: 'booked', audience: 'customer', to: `+1212555${String(1000 + i)}`, body: `message ${i}`, dueAt: now - 1 }, now);
  }
  const sent: string[] = [];
  const perWorker = [0, 0, 0];
  const workers = stores.map(
    (s, w) =>
      new OutboxWorker({
        outbox: s.forBusiness(biz).outbox,
        appointments: s.forBusiness(biz).appointments,
        sender: {
          name: 'counting',
          async send(m) {
            sent.push(m.text);
            perWorker[w]!++;
            // A real provider answers asynchronously; let the other workers interleave.
            await new Promise((r) => setImmediate(r));
            return { providerId: `p-${m.text}` };
          },
        },
        clock: systemClock,
        logger: pino({ level: 'silent' }),
        batchSize: 20,
        concurrency: 4,
      }),
  );
  await Promise.all(workers.map((w) => w.runUntilIdle()));
  expect(sent.length).toBe(500);
  expect(new Set(sent).size).toBe(500);
  // All three took part (a claim that blocked the others would leave one doing everything).
  expect(perWorker.filter((n) => n > 0).length).toBeGreaterThan(1);
  expect((await first.outbox.counts()).sent).toBe(500);
});
