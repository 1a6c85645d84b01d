/**
 * Bookings through the real tools -> outbox rows in the same transaction -> the worker -> the real
 * Telnyx SDK -> the fake API. Manual clock throughout.
 */
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { ConfigError } from '../../src/config/business.js';
import { createNotifier } from '../../src/notifications/index.js';
import type { OutboxRow } from '../../src/notifications/outbox.js';
import { SKIPPED_NO_PROVIDER } from '../../src/notifications/worker.js';
import { runTool } from '../../src/tools/registry.js';
import { FakeTelnyx } from '../fakes/telnyx.js';
import { local, makeTestDeps } from '../helpers.js';
import { rawSql } from '../support/sql.js';
import { book, CUSTOMER, HOUR, MIN, makeSmsDeps, type SmsTestDeps, smsBusiness, STAFF_PHONE, tool } from './setup.js';

let fake: FakeTelnyx;
const open: SmsTestDeps[] = [];
beforeAll(async () => {
  fake = await new FakeTelnyx().start();
});
afterAll(() => fake.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.cleanup()));
});

async function setup(opts: Parameters<typeof makeSmsDeps>[0] = {}): Promise<SmsTestDeps> {
  const d = await makeSmsDeps({ fake, ...opts });
  open.push(d);
  return d;
}

const rows = (d: SmsTestDeps, appointmentId: string) => d.notifier.outbox.forAppointment(appointmentId);
const byKind = (list: OutboxRow[], kind: string) => list.filter((r) => r.kind === kind);
const sentTo = (since: number) => fake.messages.slice(since);

describe('planning messages on booking', () => {
  it('writes the confirmation now and a reminder at 24 h and 1 h before, worded from the business file', async () => {
    const d = await setup(); // Monday 2026-11-23 08:00
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const list = await rows(d, id);
    expect(list.map((r) => [r.kind, r.offset_minutes, r.status])).toEqual([
      ['booked', null, 'pending'],
      ['reminder', 1440, 'pending'],
      ['reminder', 60, 'pending'],
    ]);
    const start = local('2026-11-25T10:00');
    const [booked, r24, r1] = list as [OutboxRow, OutboxRow, OutboxRow];
    expect(booked.due_at).toBe(d.clock.now());
    expect(r24.due_at).toBe(start - 24 * HOUR);
    expect(r1.due_at).toBe(start - HOUR);
    expect(booked.to_phone).toBe(CUSTOMER);
    expect(booked.body).toBe(
      'Maple Street Salon: your Haircut with Sam is booked for Wednesday, November 25 at 10:00 AM. To cancel or change, call (212) 555-0100.',
    );
    expect(r1.body).toBe('Maple Street Salon reminder: Haircut with Sam on Wednesday, November 25 at 10:00 AM. To cancel or change, call (212) 555-0100.');
  });

  it('plans only reminders still ahead: 3 h ahead gets the 1 h one, 30 min ahead gets none', async () => {
    const d = await setup();
    const soon = await book(d, '2026-11-23T11:00', { staff_name: 'Sam' });
    expect(byKind(await rows(d, soon), 'reminder').map((r) => r.offset_minutes)).toEqual([60]);
    const verySoon = await book(d, '2026-11-23T08:30', { staff_name: 'Priya' });
    expect(byKind(await rows(d, verySoon), 'reminder')).toEqual([]);
    expect(byKind(await rows(d, verySoon), 'booked')).toHaveLength(1);
  });

  it('a replayed tool call (same idempotency key) books once and plans each message once', async () => {
    const d = await setup();
    const first = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' }, 'call-1:tool-1');
    const replay = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' }, 'call-1:tool-1');
    expect(replay).toBe(first);
    expect((await d.notifier.outbox.counts()).pending).toBe(3);
    // Even if the planner ran twice for the same change, the dedupe keys absorb it.
    const appt = (await d.store.appointments.get(first))!;
    await d.store.withTransaction((tx) => d.notifier.planner.onChange({ kind: 'booked', appointment: appt }, tx));
    expect((await d.notifier.outbox.counts()).pending).toBe(3);
  });

  it('texts the staff member too when notifyStaff is on and they have a phone', async () => {
    const d = await setup({ business: smsBusiness({ notifications: { notifyStaff: true } }) });
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const staff = (await rows(d, id)).filter((r) => r.audience === 'staff');
    expect(staff.map((r) => [r.kind, r.to_phone, r.body])).toEqual([
      ['booked', STAFF_PHONE, 'Maple Street Salon: new booking, Haircut for Dana Reyes on Wednesday, November 25 at 10:00 AM.'],
    ]);
    // Priya has no phone: only the customer hears about her bookings.
    // (Another member of the family: the same person cannot hold two appointments at once.)
    const other = await book(d, '2026-11-25T10:00', { staff_name: 'Priya', customer_name: 'Alex Reyes' });
    expect((await rows(d, other)).filter((r) => r.audience === 'staff')).toEqual([]);
  });

  it('uses templates from the business file and rejects unknown placeholders at start-up', async () => {
    const d = await setup({ business: smsBusiness({ notifications: { templates: { booked: 'Hi {customer}, see you {when} at {business}. {how_to_cancel}' } } }) });
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    expect(byKind(await rows(d, id), 'booked')[0]!.body).toBe(
      'Hi Dana Reyes, see you Wednesday, November 25 at 10:00 AM at Maple Street Salon. To cancel or change, call (212) 555-0100.',
    );
    const bad = await makeTestDeps({ business: smsBusiness({ notifications: { templates: { reminder: 'See you {wen}' } } }) });
    try {
      expect(() => createNotifier(bad, { sender: null })).toThrow(ConfigError);
      expect(() => createNotifier(bad, { sender: null })).toThrow(/notifications\.templates\.reminder: unknown placeholder \{wen\}/);
    } finally {
      await bad.cleanup();
    }
  });
});

describe('sending', () => {
  it('sends the confirmation now and each reminder when due, recording the Telnyx message id', async () => {
    const d = await setup();
    const since = fake.messages.length;
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    expect(await d.notifier.worker.runDue()).toMatchObject({ claimed: 1, sent: 1 });
    const booked = byKind(await rows(d, id), 'booked')[0]!;
    expect(booked).toMatchObject({ status: 'sent', provider: 'telnyx', attempts: 1 });
    expect(sentTo(since).map((m) => [m.id, m.to])).toEqual([[booked.provider_message_id, CUSTOMER]]);

    d.clock.set(local('2026-11-24T09:59'));
    expect((await d.notifier.worker.runDue()).claimed).toBe(0);
    d.clock.set(local('2026-11-24T10:00'));
    expect(await d.notifier.worker.runDue()).toMatchObject({ claimed: 1, sent: 1 });
    expect(sentTo(since)).toHaveLength(2);
    expect(sentTo(since)[1]!.text).toContain('reminder');
  });

  it('with no provider configured, records messages as skipped and books normally', async () => {
    const d = await setup({ fake: undefined });
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    d.clock.set(local('2026-11-25T09:30'));
    const s = await d.notifier.worker.runUntilIdle();
    expect(s).toMatchObject({ skipped: 3, sent: 0 });
    expect((await rows(d, id)).map((r) => [r.status, r.last_error])).toEqual(Array(3).fill(['skipped', SKIPPED_NO_PROVIDER]));
  });

  it('retries 500s with exponential backoff and sends on the third attempt', async () => {
    const d = await setup();
    const since = fake.messages.length;
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const t0 = d.clock.now();
    fake.fail({ status: 500 }, 2);
    expect(await d.notifier.worker.runDue()).toMatchObject({ retrying: 1 });
    let row = byKind(await rows(d, id), 'booked')[0]!;
    expect(row).toMatchObject({ status: 'pending', attempts: 1, due_at: t0 + 30_000 });
    expect(row.last_error).toMatch(/500/);

    d.clock.advance(29_999);
    expect((await d.notifier.worker.runDue()).claimed).toBe(0);
    d.clock.advance(1);
    expect(await d.notifier.worker.runDue()).toMatchObject({ retrying: 1 });
    row = byKind(await rows(d, id), 'booked')[0]!;
    expect(row).toMatchObject({ status: 'pending', attempts: 2, due_at: t0 + 30_000 + 60_000 });

    d.clock.advance(60_000);
    expect(await d.notifier.worker.runDue()).toMatchObject({ sent: 1 });
    expect(byKind(await rows(d, id), 'booked')[0]).toMatchObject({ status: 'sent', attempts: 3 });
    expect(sentTo(since)).toHaveLength(1);
  });

  it('marks a message failed after 3 attempts and shows it at GET /admin/notifications; it can be sent again', async () => {
    const d = await setup({ env: { ADMIN_API_KEY: 'admin-secret' } });
    const app = createApp(d);
    const auth = { Authorization: 'Bearer admin-secret' };
    await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    fake.fail({ status: 500 }, 3);
    for (let i = 0; i < 3; i++) {
      const res = await request(app).post('/admin/notifications/run').set(auth).expect(200);
      expect(res.body.summary.claimed).toBe(1);
      d.clock.advance(10 * MIN);
    }
    const list = await request(app).get('/admin/notifications?status=failed').set(auth).expect(200);
    expect(list.body.counts).toMatchObject({ failed: 1, pending: 2 });
    expect(list.body.notifications).toHaveLength(1);
    const failed = list.body.notifications[0];
    expect(failed).toMatchObject({ kind: 'booked', status: 'failed', attempts: 3, to: CUSTOMER, providerMessageId: null });
    expect(failed.lastError).toMatch(/500.*after 3 attempts/);
    expect(failed.dueAt).toMatch(/^2026-11-23T08:\d\d:\d\d-05:00$/);

    await request(app).get('/admin/notifications').expect(401);
    await request(app).post(`/admin/notifications/${failed.id}/retry`).set(auth).expect(200);
    const run = await request(app).post('/admin/notifications/run').set(auth).expect(200);
    expect(run.body.summary.sent).toBe(1);
    await request(app).post(`/admin/notifications/${failed.id}/retry`).set(auth).expect(409);
  });

  it('does not retry a message Telnyx rejected (invalid number)', async () => {
    const d = await setup();
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam', customer_phone: '+1 212 555 0123' });
    // A number libphonenumber accepts but Telnyx refuses: simulate by corrupting the row's number.
    const fixed = await rawSql(d.root, `UPDATE sms_outbox SET to_phone = '12345' WHERE business_id = ? AND appointment_id = ? AND kind = 'booked'`, [d.store.businessId, id]);
    expect(fixed.changes).toBe(1);
    expect(await d.notifier.worker.runDue()).toMatchObject({ failed: 1 });
    expect(byKind(await rows(d, id), 'booked')[0]).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('after a timeout (outcome unknown) does not send again by default', async () => {
    const d = await setup({ sendTimeoutMs: 300 });
    const since = fake.messages.length;
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    fake.fail({ delayMs: 2000, accept: true }); // Telnyx took it; the answer never arrived in time.
    expect(await d.notifier.worker.runDue()).toMatchObject({ unknown: 1 });
    d.clock.advance(HOUR);
    await d.notifier.worker.runDue();
    expect(byKind(await rows(d, id), 'booked')[0]).toMatchObject({ status: 'unknown', attempts: 1 });
    expect(byKind(await rows(d, id), 'booked')[0]!.last_error).toMatch(/timed out/);
    expect(sentTo(since)).toHaveLength(1);
  });

  it('with SMS_RESEND_ON_UNKNOWN semantics, resends after a timeout: the duplicate is the price', async () => {
    const d = await setup({ sendTimeoutMs: 300, notifier: { worker: { resendOnUnknown: true } } });
    const since = fake.messages.length;
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    fake.fail({ delayMs: 2000, accept: true });
    expect(await d.notifier.worker.runDue()).toMatchObject({ retrying: 1 });
    d.clock.advance(30_000);
    expect(await d.notifier.worker.runDue()).toMatchObject({ sent: 1 });
    expect(byKind(await rows(d, id), 'booked')[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(sentTo(since)).toHaveLength(2);
  });

  it('never sends a reminder once the appointment has started (worker was down)', async () => {
    const d = await setup();
    const since = fake.messages.length;
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    await d.notifier.worker.runDue();
    d.clock.set(local('2026-11-25T10:00'));
    expect(await d.notifier.worker.runDue()).toMatchObject({ claimed: 2, expired: 2 });
    expect(byKind(await rows(d, id), 'reminder').map((r) => r.status)).toEqual(['expired', 'expired']);
    expect(sentTo(since)).toHaveLength(1);
  });
});

describe('crash between "sending" and the answer (in process)', () => {
  it('a row abandoned in sending becomes unknown once its lease expires, and is not resent', async () => {
    const d = await setup();
    const since = fake.messages.length;
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const { outbox } = d.notifier;
    // What a worker does before calling Telnyx, then "dies" without recording anything.
    const [row] = await outbox.claim('dead-worker', d.clock.now(), 60_000, 10);
    expect(await outbox.beginAttempt(row!.id, 'dead-worker', d.clock.now(), 60_000)).toBe(1);

    // Within the lease nobody touches it.
    expect(await d.notifier.worker.runDue()).toMatchObject({ claimed: 0, recovered: 0 });
    d.clock.advance(60_001);
    expect(await d.notifier.worker.runDue()).toMatchObject({ recovered: 1, sent: 0 });
    expect(await outbox.get(row!.id)).toMatchObject({ status: 'unknown', attempts: 1 });
    expect(byKind(await rows(d, id), 'booked')).toHaveLength(1);
    expect(sentTo(since)).toHaveLength(0);
  });

  it('a late answer from the dead worker still records the message id (fenced by attempt, not lease)', async () => {
    const d = await setup();
    await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const { outbox } = d.notifier;
    const [row] = await outbox.claim('slow-worker', d.clock.now(), 60_000, 10);
    const attempt = (await outbox.beginAttempt(row!.id, 'slow-worker', d.clock.now(), 60_000))!;
    d.clock.advance(60_001);
    await d.notifier.worker.runDue(); // -> unknown
    expect(await outbox.markSent(row!.id, attempt, 'telnyx', 'msg-late', d.clock.now())).toBe(true);
    expect(await outbox.get(row!.id)).toMatchObject({ status: 'sent', provider_message_id: 'msg-late' });
    // A stale attempt number cannot overwrite anything.
    expect(await outbox.markFailed(row!.id, attempt, 'late failure', d.clock.now())).toBe(false);
  });

  it('a reminder cancelled after it was leased but before the send is not sent', async () => {
    const d = await setup();
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const { outbox } = d.notifier;
    d.clock.set(local('2026-11-24T10:00'));
    const claimed = (await outbox.claim('w', d.clock.now(), 60_000, 10)).filter((r) => r.kind === 'reminder');
    expect(claimed).toHaveLength(1);
    await tool(d, 'cancel_appointment', { appointment_id: id });
    expect(await outbox.beginAttempt(claimed[0]!.id, 'w', d.clock.now(), 60_000)).toBeUndefined();
    expect((await outbox.get(claimed[0]!.id))!.status).toBe('cancelled');
  });
});

describe('runTool replay does not double-plan a cancel', () => {
  it('cancelling twice gives one cancellation SMS', async () => {
    const d = await setup();
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const meta = { platform: 'test', idempotencyKey: 'call-9:cancel' };
    await runTool(d, 'cancel_appointment', { customer_phone: CUSTOMER, appointment_id: id }, meta);
    await runTool(d, 'cancel_appointment', { customer_phone: CUSTOMER, appointment_id: id }, meta);
    expect(byKind(await rows(d, id), 'cancelled')).toHaveLength(1);
  });
});
