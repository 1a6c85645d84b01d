/**
 * Several workers on one database file, and a worker killed mid-batch. Every message body is
 * unique, so the fake's per-text count is the number of SMS a customer would have received.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { Outbox, type OutboxRow } from '../../src/notifications/outbox.js';
import { OutboxWorker, type RunSummary } from '../../src/notifications/worker.js';
import { createStore, type Store } from '../../src/store/index.js';
import { FakeTelnyx } from '../fakes/telnyx.js';
import { telnyxSenderFor } from './setup.js';

const CHILD = join(import.meta.dirname, 'worker-child.ts');
const silent = pino({ level: 'silent' });

let dir: string;
const stores: Store[] = [];
const children: ChildProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bookline-sms-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of stores.splice(0)) s.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openStore(path: string): Store {
  const s = createStore(path);
  // Per-commit fsync only guards against power loss, which no test here simulates (a killed process
  // loses nothing in WAL mode either way); without it these suites run several times faster.
  s.db.pragma('synchronous = NORMAL');
  stores.push(s);
  return s;
}

/** `n` reminders, all due now, each with its own text. */
function seed(outbox: Outbox, n: number, now: number): void {
  outbox.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      outbox.enqueue(
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
  })();
}

function all(outbox: Outbox): OutboxRow[] {
  return outbox.db.prepare<[], OutboxRow>('SELECT * FROM sms_outbox ORDER BY id').all();
}

function startChild(db: string, fake: FakeTelnyx, concurrency: number, batchSize: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db, fake.baseURL, fake.apiKey, String(concurrency), String(batchSize)], {
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

describe('two workers on one database', () => {
  it('two connections racing over 500 due reminders send each exactly once', async () => {
    const fake = await new FakeTelnyx({ latencyMs: 1 }).start();
    try {
      const path = join(dir, 'race-in-process.db');
      const a = openStore(path);
      const b = openStore(path);
      const clock = new ManualClock(Date.parse('2026-11-23T13:00:00Z'));
      const outboxA = new Outbox(a.db);
      const outboxB = new Outbox(b.db);
      seed(outboxA, 500, clock.now());
      const worker = (outbox: Outbox, owner: string) =>
        new OutboxWorker({ outbox, sender: telnyxSenderFor(fake), clock, logger: silent, owner, batchSize: 25, concurrency: 4 });
      const [sa, sb] = await Promise.all([worker(outboxA, 'A').runUntilIdle(), worker(outboxB, 'B').runUntilIdle()]);

      expect(sa.sent + sb.sent).toBe(500);
      expect(sa.sent).toBeGreaterThan(0);
      expect(sb.sent).toBeGreaterThan(0);
      expect(fake.messages).toHaveLength(500);
      expect(fake.requests).toBe(500);
      assertNoDuplicates(fake);
      const rows = all(outboxA);
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
      const path = join(dir, 'race-two-processes.db');
      const mine = openStore(path);
      const outbox = new Outbox(mine.db);
      seed(outbox, 500, Date.now());
      const other = startChild(path, fake, 2, 20);
      await other.ready;
      await waitFor(() => fake.requests > 0, 15_000, () => 'child sent nothing');
      const clock = { now: () => Date.now() };
      const here = await new OutboxWorker({ outbox, sender: telnyxSenderFor(fake), clock, logger: silent, owner: 'parent', batchSize: 20, concurrency: 2 }).runUntilIdle();
      const done = await other.exited;
      expect(done.code, done.err).toBe(0);
      const theirs = JSON.parse(done.out.trim().split('\n').at(-1)!) as RunSummary;

      expect(here.sent).toBeGreaterThan(0);
      expect(theirs.sent).toBeGreaterThan(0);
      expect(here.sent + theirs.sent).toBe(500);
      expect(fake.messages).toHaveLength(500);
      assertNoDuplicates(fake);
      expect(all(outbox).filter((r) => r.status !== 'sent')).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});

describe('a worker killed mid-batch', () => {
  async function killMidBatch(path: string, fake: FakeTelnyx, n: number, concurrency: number) {
    const store = openStore(path);
    const outbox = new Outbox(store.db);
    seed(outbox, n, Date.now());
    const victim = startChild(path, fake, concurrency, 50);
    await victim.ready;
    await waitFor(() => fake.requests >= 40, 15_000, () => `only ${fake.requests} sends before the deadline`);
    victim.child.kill('SIGKILL');
    const exit = await victim.exited;
    expect(exit.signal).toBe('SIGKILL');
    fake.latencyMs = 0; // the restarted worker need not be slow
    const atKill = all(outbox);
    // The kill really was mid-batch: some sent, some in flight or leased, some untouched.
    expect(atKill.filter((r) => r.status === 'sent').length).toBeGreaterThan(0);
    expect(atKill.filter((r) => r.status === 'pending').length).toBeGreaterThan(0);
    return { outbox, atKill };
  }

  it('at most once (default): after restart every row is sent exactly once, or unknown if it was in flight', async () => {
    const fake = await new FakeTelnyx({ latencyMs: 20 }).start();
    try {
      const { outbox, atKill } = await killMidBatch(join(dir, 'kill-at-most-once.db'), fake, 200, 4);
      const inFlight = atKill.filter((r) => r.status === 'sending').map((r) => r.id);
      // Killed with sends in flight (what this test is about), never more than the worker's concurrency.
      expect(inFlight.length).toBeGreaterThan(0);
      expect(inFlight.length).toBeLessThanOrEqual(4);

      // Restart once the dead worker's leases have run out (60 s).
      const clock = new ManualClock(Date.now() + 61_000);
      const summary = await new OutboxWorker({ outbox, sender: telnyxSenderFor(fake), clock, logger: silent, owner: 'restarted' }).runUntilIdle();
      expect(summary.recovered).toBe(inFlight.length);

      const rows = all(outbox);
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
      const { outbox, atKill } = await killMidBatch(join(dir, 'kill-at-least-once.db'), fake, 200, 4);
      const inFlight = new Set(atKill.filter((r) => r.status === 'sending').map((r) => r.body));
      const clock = new ManualClock(Date.now() + 61_000);
      await new OutboxWorker({ outbox, sender: telnyxSenderFor(fake), clock, logger: silent, resendOnUnknown: true }).runUntilIdle();

      const rows = all(outbox);
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
