/**
 * Several workers on one database (a SQLite file, or Postgres with TEST_STORE=postgres), and a
 * worker killed mid-batch. Every message body is unique, so the fake's per-text count is the number
 * of SMS a customer would have received.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import type { OutboxRow } from '../../src/notifications/outbox.js';
import { OutboxWorker, type RunSummary } from '../../src/notifications/worker.js';
import type { BusinessStore, Store } from '../../src/store/index.js';
import { FakeTelnyx } from '../fakes/telnyx.js';
import { DEFAULT_STORE, openTestStore, TEST_DATABASE_URL, uniqueBusinessId } from '../helpers.js';
import { telnyxSenderFor } from './setup.js';

const CHILD = join(import.meta.dirname, 'worker-child.ts');
const silent = pino({ level: 'silent' });

let dir: string;
const closers: (() => Promise<void>)[] = [];
const opened = new Map<string, Store>();
const children: ChildProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bookline-sms-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(closers.splice(0).map((close) => close()));
  opened.clear();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One database shared by a test's workers: where it is (file or URL) and the business they serve. */
interface Shared {
  db: string;
  business: string;
}

function shared(name: string): Shared {
  return { db: DEFAULT_STORE === 'postgres' ? TEST_DATABASE_URL : join(dir, `${name}.db`), business: uniqueBusinessId() };
}

/**
 * The shared database as another instance sees it. On Postgres, a pool of its own. On SQLite, the
 * process's one store on that file: a second connection in the same process would wait for the
 * write lock synchronously (busy_timeout) while the first one's transaction waits for the event
 * loop, so in-process workers share a store and other processes (startChild) bring their own.
 */
async function connect(where: Shared): Promise<BusinessStore> {
  let store = DEFAULT_STORE === 'sqlite' ? opened.get(where.db) : undefined;
  if (!store) {
    const t = await openTestStore(DEFAULT_STORE, where.db);
    closers.push(t.close);
    store = t.store;
    opened.set(where.db, store);
  }
  return store.forBusiness(where.business);
}

/** `n` reminders, all due now, each with its own text. */
async function seed(store: BusinessStore, n: number, now: number): Promise<void> {
  await store.withTransaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      await tx.outbox.enqueue(
        {
          dedupeKey: `apt_${i}:reminder:60:${now + 3_600_000}`,
          appointmentId: `apt_${i}`,
          kind: 'reminder',
          audience: 'customer',
          offsetMinutes: 60,
          appointmentStart: now + 3_600_000,
          to: `+1212555${String(i).padStart(4, '0')}`,
          body: `Reminder #${i}`,
          dueAt: now - 1000,
          expiresAt: now + 3_600_000,
        },
        now,
      );
    }
  });
}

async function all(store: BusinessStore): Promise<OutboxRow[]> {
  return (await store.outbox.list({ limit: 100_000 })).sort((x, y) => x.id - y.id);
}

function worker(store: BusinessStore, fake: FakeTelnyx, opts: { clock: { now(): number }; owner?: string; batchSize?: number; concurrency?: number; resendOnUnknown?: boolean }) {
  return new OutboxWorker({ outbox: store.outbox, appointments: store.appointments, sender: telnyxSenderFor(fake), logger: silent, ...opts });
}

function startChild(where: Shared, fake: FakeTelnyx, concurrency: number, batchSize: number) {
  const args = [where.db, where.business, fake.baseURL, fake.apiKey, String(concurrency), String(batchSize)];
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const ready = waitFor(() => out.includes('ready'), 15_000, () => `child never became ready: ${err}`);
  const exited = new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out, err })),
  );
  return { child, ready, exited };
}

async function waitFor(cond: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(why());
    await new Promise((r) => setTimeout(r, 5));
  }
}

function assertNoDuplicates(fake: FakeTelnyx): void {
  const dupes = [...fake.countsByText()].filter(([, n]) => n > 1);
  expect(dupes).toEqual([]);
}

describe('two workers on one database', { timeout: 90_000 }, () => {
  it('two workers racing over 500 due reminders send each exactly once', async () => {
    const fake = await new FakeTelnyx({ latencyMs: 1 }).start();
    try {
      const where = shared('race-in-process');
      const a = await connect(where);
      const b = await connect(where);
      const clock = new ManualClock(Date.parse('2026-11-23T13:00:00Z'));
      await seed(a, 500, clock.now());
      const run = (store: BusinessStore, owner: string) => worker(store, fake, { clock, owner, batchSize: 25, concurrency: 4 }).runUntilIdle();
      const [sa, sb] = await Promise.all([run(a, 'A'), run(b, 'B')]);

      expect(sa.sent + sb.sent).toBe(500);
      expect(sa.sent).toBeGreaterThan(0);
      expect(sb.sent).toBeGreaterThan(0);
      expect(fake.messages).toHaveLength(500);
      expect(fake.requests).toBe(500);
      assertNoDuplicates(fake);
      const rows = await all(a);
      expect(rows).toHaveLength(500);
      expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
      const ids = new Map(fake.messages.map((m) => [m.text, m.id]));
      expect(rows.every((r) => ids.get(r.body) === r.provider_message_id)).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('a worker in another process and one in this process, racing, send each exactly once', async () => {
    const fake = await new FakeTelnyx({ latencyMs: 5 }).start();
    try {
      const where = shared('race-two-processes');
      const mine = await connect(where);
      await seed(mine, 500, Date.now());
      const other = startChild(where, fake, 2, 20);
      await other.ready;
      await waitFor(() => fake.requests > 0, 15_000, () => 'child sent nothing');
      const clock = { now: () => Date.now() };
      const here = await worker(mine, fake, { clock, owner: 'parent', batchSize: 20, concurrency: 2 }).runUntilIdle();
      const done = await other.exited;
      expect(done.code, done.err).toBe(0);
      const theirs = JSON.parse(done.out.trim().split('\n').at(-1)!) as RunSummary;

      expect(here.sent).toBeGreaterThan(0);
      expect(theirs.sent).toBeGreaterThan(0);
      expect(here.sent + theirs.sent).toBe(500);
      expect(fake.messages).toHaveLength(500);
      assertNoDuplicates(fake);
      expect((await all(mine)).filter((r) => r.status !== 'sent')).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});

describe('a worker killed mid-batch', { timeout: 90_000 }, () => {
  async function killMidBatch(name: string, fake: FakeTelnyx, n: number, concurrency: number) {
    const where = shared(name);
    const store = await connect(where);
    await seed(store, n, Date.now());
    const victim = startChild(where, fake, concurrency, 50);
    await victim.ready;
    await waitFor(() => fake.requests >= 40, 15_000, () => `only ${fake.requests} sends before the deadline`);
    victim.child.kill('SIGKILL');
    const exit = await victim.exited;
    expect(exit.signal).toBe('SIGKILL');
    fake.latencyMs = 0; // the restarted worker need not be slow
    const atKill = await all(store);
    // The kill really was mid-batch: some sent, some in flight or leased, some untouched.
    expect(atKill.filter((r) => r.status === 'sent').length).toBeGreaterThan(0);
    expect(atKill.filter((r) => r.status === 'pending').length).toBeGreaterThan(0);
    return { store, atKill };
  }

  it('at most once (default): after restart every row is sent exactly once, or unknown if it was in flight', async () => {
    const fake = await new FakeTelnyx({ latencyMs: 20 }).start();
    try {
      const { store, atKill } = await killMidBatch('kill-at-most-once', fake, 200, 4);
      const inFlight = atKill.filter((r) => r.status === 'sending').map((r) => r.id);
      // Killed with sends in flight (what this test is about), never more than the worker's concurrency.
      expect(inFlight.length).toBeGreaterThan(0);
      expect(inFlight.length).toBeLessThanOrEqual(4);

      // Restart once the dead worker's leases have run out (60 s).
      const clock = new ManualClock(Date.now() + 61_000);
      const summary = await worker(store, fake, { clock, owner: 'restarted' }).runUntilIdle();
      expect(summary.recovered).toBe(inFlight.length);

      const rows = await all(store);
      expect(rows).toHaveLength(200);
      const counts = fake.countsByText();
      assertNoDuplicates(fake);
      for (const r of rows) {
        if (inFlight.includes(r.id)) {
          expect(r.status).toBe('unknown');
          // The fake got it before the kill: exactly the SMS that a resend would have duplicated.
          expect(counts.get(r.body) ?? 0).toBeLessThanOrEqual(1);
        } else {
          expect(r.status).toBe('sent');
          expect(counts.get(r.body)).toBe(1);
        }
      }
    } finally {
      await fake.close();
    }
  });

  it('at least once (SMS_RESEND_ON_UNKNOWN): every row is sent; only the in-flight ones may arrive twice', async () => {
    const fake = await new FakeTelnyx({ latencyMs: 20 }).start();
    try {
      const { store, atKill } = await killMidBatch('kill-at-least-once', fake, 200, 4);
      const inFlight = new Set(atKill.filter((r) => r.status === 'sending').map((r) => r.body));
      const clock = new ManualClock(Date.now() + 61_000);
      await worker(store, fake, { clock, resendOnUnknown: true }).runUntilIdle();

      const rows = await all(store);
      expect(rows).toHaveLength(200);
      expect(rows.every((r) => r.status === 'sent')).toBe(true);
      const counts = fake.countsByText();
      for (const r of rows) {
        expect(counts.get(r.body)).toBeGreaterThanOrEqual(1);
        if (!inFlight.has(r.body)) expect(counts.get(r.body)).toBe(1);
      }
    } finally {
      await fake.close();
    }
  });
});
