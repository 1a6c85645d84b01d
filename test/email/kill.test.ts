/**
 * An e-mail worker process killed with SIGKILL mid-batch loses nothing and sends nothing twice:
 * after a restart every row is sent exactly once, or `unknown` when its send was in flight at the
 * kill (at most once). Every subject is unique, so the server's per-subject count is what a
 * customer's inbox would hold.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/domain/clock.js';
import { OutboxWorker } from '../../src/notifications/worker.js';
import { openTestStore, STORE_KINDS, TEST_DATABASE_URL, uniqueBusinessId } from '../helpers.js';
import { FakeSmtp } from './smtp-fake.js';

const CHILD = join(import.meta.dirname, 'worker-child.ts');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bookline-email-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(check: () => boolean, ms: number, why: () => string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(why());
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(STORE_KINDS)('an e-mail worker killed mid-batch on %s', (kind) => {
  it('every row ends sent exactly once, or unknown if it was in flight', async () => {
    const smtp = await new FakeSmtp().start();
    smtp.latencyMs = 20;
    const db = kind === 'postgres' ? TEST_DATABASE_URL : join(dir, 'kill.db');
    const opened = await openTestStore(kind, kind === 'postgres' ? undefined : db);
    try {
      const business = uniqueBusinessId();
      const store = opened.store.forBusiness(business);
      const now = Date.now();
      await store.withTransaction(async (tx) => {
        for (let i = 0; i < 200; i++) {
          await tx.outbox.enqueue(
            { dedupeKey: `email:k${i}`, appointmentId: null, kind: 'reminder', audience: 'customer', channel: 'email', to: `c${i}@example.com`, subject: `Reminder #${i}`, body: 'See you soon', dueAt: now - 1000 },
            now,
          );
        }
      });
      const victim = spawn(process.execPath, ['--import', 'tsx', CHILD, db, business, String(smtp.port), '4', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      victim.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      const exited = new Promise<string | null>((resolve) => victim.on('exit', (_code, signal) => resolve(signal)));
      await waitFor(() => out.includes('ready'), 15_000, () => 'child never became ready');
      await waitFor(() => smtp.dataCount >= 40, 15_000, () => `only ${smtp.dataCount} e-mails before the deadline`);
      victim.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      smtp.latencyMs = 0;

      const atKill = await store.outbox.list({ limit: 1000 });
      const inFlight = atKill.filter((r) => r.status === 'sending').map((r) => r.id);
      expect(atKill.filter((r) => r.status === 'sent').length).toBeGreaterThan(0);
      expect(atKill.filter((r) => r.status === 'pending').length).toBeGreaterThan(0);
      // Killed with sends in flight (what this test is about), never more than the worker's concurrency.
      expect(inFlight.length).toBeGreaterThan(0);
      expect(inFlight.length).toBeLessThanOrEqual(4);

      // Restarted once the dead worker's leases (60 s) have run out.
      const restarted = new OutboxWorker({
        outbox: store.outbox,
        appointments: store.appointments,
        sender: null,
        emailSender: smtp.sender(),
        clock: new ManualClock(Date.now() + 61_000),
        logger: pino({ level: 'silent' }),
      });
      expect((await restarted.runUntilIdle()).recovered).toBe(inFlight.length);

      const rows = await store.outbox.list({ limit: 1000 });
      expect(rows).toHaveLength(200);
      const count = new Map<string, number>();
      for (const m of smtp.received) count.set(m.subject ?? '', (count.get(m.subject ?? '') ?? 0) + 1);
      for (const r of rows) {
        if (inFlight.includes(r.id)) {
          expect(r.status).toBe('unknown');
          expect(count.get(r.subject!) ?? 0).toBeLessThanOrEqual(1);
        } else {
          expect(r.status).toBe('sent');
          expect(count.get(r.subject!)).toBe(1);
        }
      }
    } finally {
      await opened.close();
      await smtp.close();
    }
  });
});
