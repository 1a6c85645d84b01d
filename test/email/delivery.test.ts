/**
 * What the outbox does with each SMTP outcome, against a real smtp-server: 4xx deferred and
 * retried, 5xx failed at once, no answer after the data unknown (not resent), a crash between
 * "sending" and "sent" unknown (at most once), no SMTP configured skipped. Counted at the server:
 * `dataCount` is every message body it read, `received` every one it accepted.
 */
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { OutboxWorker, SKIPPED_NO_PROVIDER, SKIPPED_NO_SMTP } from '../../src/notifications/index.js';
import type { OutboxRow } from '../../src/notifications/outbox.js';
import { SmtpSender } from '../../src/notifications/email/smtp.js';
import { STORE_KINDS } from '../helpers.js';
import { book, type EmailTestDeps, makeEmailDeps } from './setup.js';
import { FakeSmtp } from './smtp-fake.js';

let smtp: FakeSmtp;
beforeAll(async () => {
  smtp = await new FakeSmtp().start();
});
afterAll(() => smtp.close());

describe.each(STORE_KINDS)('e-mail delivery on %s', (storeKind) => {
  const open: EmailTestDeps[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((d) => d.cleanup()));
    smtp.reset();
  });
  async function setup(opts: Parameters<typeof makeEmailDeps>[0] = {}) {
    const d = await makeEmailDeps({ smtp, storeKind, ...opts });
    open.push(d);
    return d;
  }
  const emailRow = async (d: EmailTestDeps, id: string): Promise<OutboxRow> => (await d.notifier.outbox.forAppointment(id)).find((r) => r.channel === 'email' && r.kind === 'booked')!;

  it('450 (greylisted): retried after the backoff, then delivered once', async () => {
    const d = await setup();
    smtp.fail({ reply: 450 });
    const { appointment } = await book(d, '2026-11-25T10:00');
    expect(await d.notifier.worker.runUntilIdle()).toMatchObject({ retrying: 1, sent: 0 });
    const deferred = await emailRow(d, appointment.id);
    expect(deferred).toMatchObject({ status: 'pending', attempts: 1, due_at: d.clock.now() + 30_000 });
    expect(deferred.last_error).toMatch(/deferred.*450/);
    d.clock.advance(30_000);
    expect(await d.notifier.worker.runUntilIdle()).toMatchObject({ sent: 1 });
    expect(await emailRow(d, appointment.id)).toMatchObject({ status: 'sent', attempts: 2, provider: 'smtp' });
    expect([smtp.dataCount, smtp.received.length]).toEqual([2, 1]);
  });

  it('550 (no such mailbox): failed at once, never retried', async () => {
    const d = await setup();
    smtp.fail({ reply: 550 });
    const { appointment } = await book(d, '2026-11-25T10:00');
    expect(await d.notifier.worker.runUntilIdle()).toMatchObject({ failed: 1, retrying: 0 });
    const row = await emailRow(d, appointment.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.last_error).toMatch(/refused.*550/);
    d.clock.advance(3_600_000);
    expect((await d.notifier.worker.runUntilIdle()).claimed).toBe(0);
    expect([smtp.dataCount, smtp.received.length]).toEqual([1, 0]);
  });

  it('GET /admin/notifications shows e-mail rows with their channel; a failed one can be sent again', async () => {
    const d = await setup({ env: { ADMIN_API_KEY: 'admin-secret' } });
    const auth = { Authorization: 'Bearer admin-secret' };
    const app = createApp(d);
    smtp.fail({ reply: 550 });
    const { appointment } = await book(d, '2026-11-25T10:00');
    await request(app).post('/admin/notifications/run').set(auth).expect(200);
    const list = await request(app).get('/admin/notifications?status=failed').set(auth).expect(200);
    expect(list.body.emailProvider).toBe('smtp');
    expect(list.body.notifications).toEqual([
      expect.objectContaining({
        channel: 'email',
        kind: 'booked',
        appointmentId: appointment.id,
        to: 'dana@example.com',
        subject: 'Maple Street Salon: Booked: Haircut on Wednesday, November 25 at 10:00 AM',
        attachments: ['invite.ics'],
        status: 'failed',
      }),
    ]);
    const failed = list.body.notifications[0] as { id: number };
    await request(app).post(`/admin/notifications/${failed.id}/retry`).set(auth).expect(200);
    const run = await request(app).post('/admin/notifications/run').set(auth).expect(200);
    expect(run.body.summary.sent).toBe(1);
    expect(smtp.received.map((m) => m.messageId)).toEqual([`<bookline.${failed.id}@maple.example>`]);
  });

  it('no answer after the data: unknown, and not sent again (at most once)', async () => {
    const d = await setup({ timeoutMs: 600 });
    smtp.fail({ hang: true });
    const { appointment } = await book(d, '2026-11-25T10:00');
    const hung = await d.notifier.worker.runUntilIdle();
    expect(hung).toMatchObject({ unknown: 1 });
    expect((await emailRow(d, appointment.id)).status).toBe('unknown');
    d.clock.advance(3_600_000);
    expect((await d.notifier.worker.runUntilIdle()).claimed).toBe(0);
    expect(smtp.dataCount).toBe(1);
  });

  it('a server that cannot be reached: not sent, so retried', async () => {
    const d = await setup();
    const closed = await new FakeSmtp().start();
    const port = closed.port;
    await closed.close();
    const worker = new OutboxWorker({
      outbox: d.store.outbox,
      appointments: d.store.appointments,
      sender: null,
      emailSender: new SmtpSender({ host: '127.0.0.1', port, from: 'bookings@maple.example', timeoutMs: 1000 }),
      clock: d.clock,
      logger: pino({ level: 'silent' }),
      random: () => 0.5,
    });
    const { appointment } = await book(d, '2026-11-25T10:00');
    expect(await worker.runUntilIdle()).toMatchObject({ retrying: 1 });
    expect((await emailRow(d, appointment.id)).last_error).toMatch(/before the message was sent/);
  });

  it('a worker that dies between "sending" and "sent": the row becomes unknown and is not resent', async () => {
    const d = await setup();
    const { appointment } = await book(d, '2026-11-25T10:00');
    const row = await emailRow(d, appointment.id);
    const now = d.clock.now();
    // What a worker commits before it calls the server, and then nothing: it was killed.
    const claimed = await d.store.outbox.claim('dead-worker', now, 60_000, 50);
    expect(claimed.map((r) => r.id)).toContain(row.id);
    expect(await d.store.outbox.beginAttempt(row.id, 'dead-worker', now, 60_000)).toBe(1);
    d.clock.advance(60_001);
    const s = await d.notifier.worker.runUntilIdle();
    expect(s.recovered).toBe(1);
    expect((await emailRow(d, appointment.id)).status).toBe('unknown');
    expect(smtp.received.filter((m) => m.messageId === `<bookline.${row.id}@maple.example>`)).toHaveLength(0);
  });

  it('without SMTP configured, e-mails are recorded as skipped (as SMS are without Telnyx)', async () => {
    const d = await setup({ smtp: undefined });
    const { appointment } = await book(d, '2026-11-25T10:00');
    await d.notifier.worker.runUntilIdle();
    const rows = await d.notifier.outbox.forAppointment(appointment.id);
    const booked = rows.filter((r) => r.kind === 'booked').map((r) => [r.channel, r.status, r.last_error]);
    expect(booked.sort()).toEqual([
      ['email', 'skipped', SKIPPED_NO_SMTP],
      ['sms', 'skipped', SKIPPED_NO_PROVIDER],
    ]);
  });

  it('two workers over 500 due e-mails send each exactly once', async () => {
    const d = await setup();
    const now = d.clock.now();
    for (let i = 0; i < 500; i++) {
      await d.store.outbox.enqueue(
        { dedupeKey: `email:bulk:${i}`, appointmentId: null, kind: 'booked', audience: 'customer', channel: 'email', to: `c${i}@example.com`, subject: `n${i}`, body: 'hello', dueAt: now },
        now,
      );
    }
    const worker = (owner: string) =>
      new OutboxWorker({
        outbox: d.store.outbox,
        appointments: d.store.appointments,
        sender: null,
        emailSender: smtp.sender(),
        clock: d.clock,
        logger: pino({ level: 'silent' }),
        owner,
        batchSize: 25,
        concurrency: 4,
      });
    const [a, b] = await Promise.all([worker('w1').runUntilIdle(), worker('w2').runUntilIdle()]);
    expect(a.sent + b.sent).toBe(500);
    expect(a.sent).toBeGreaterThan(0);
    expect(b.sent).toBeGreaterThan(0);
    expect(smtp.dataCount).toBe(500);
    expect(new Set(smtp.received.map((m) => m.subject)).size).toBe(500);
    expect((await d.store.outbox.counts()).sent).toBe(500);
  });
});
