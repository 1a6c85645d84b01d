/**
 * Reminder timing with a manual clock: across both US DST changes of 2026 (America/New_York), and
 * how moves and cancels re-plan or stop reminders. The worker is stepped minute by minute around
 * each due time, so "fires at the right minute" is checked against what Telnyx actually received.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxRow } from '../../src/notifications/outbox.js';
import { FakeTelnyx } from '../fakes/telnyx.js';
import { local } from '../helpers.js';
import { book, CUSTOMER, MIN, makeSmsDeps, type SmsTestDeps, tool } from './setup.js';

let fake: FakeTelnyx;
const open: SmsTestDeps[] = [];
beforeAll(async () => {
  fake = await new FakeTelnyx().start();
});
afterAll(() => fake.close());
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.cleanup()));
});

async function setup(now: string): Promise<SmsTestDeps> {
  const d = await makeSmsDeps({ fake, now });
  open.push(d);
  return d;
}

const reminders = async (d: SmsTestDeps, id: string, status = 'pending'): Promise<OutboxRow[]> =>
  (await d.notifier.outbox.forAppointment(id)).filter((r) => r.kind === 'reminder' && r.status === status);

/** Runs the worker at `at - 1 min` and at `at`; returns the texts Telnyx received at each. */
async function stepAround(d: SmsTestDeps, at: number): Promise<{ before: string[]; at: string[] }> {
  const n0 = fake.messages.length;
  d.clock.set(at - MIN);
  await d.notifier.worker.runUntilIdle();
  const n1 = fake.messages.length;
  d.clock.set(at);
  await d.notifier.worker.runUntilIdle();
  return { before: fake.messages.slice(n0, n1).map((m) => m.text), at: fake.messages.slice(n1).map((m) => m.text) };
}

describe('reminders across DST', () => {
  it('fall back (Sun 2026-11-01): the 24 h reminder is 24 elapsed hours before, at 11:00 EDT the day before', async () => {
    const d = await setup('2026-10-20T09:00');
    const id = await book(d, '2026-11-01T10:00', { staff_name: 'Sam' });
    await d.notifier.worker.runUntilIdle(); // the confirmation
    const start = local('2026-11-01T10:00');
    const [r24, r1] = await reminders(d, id);
    expect(d.speech.iso(r24!.due_at)).toBe('2026-10-31T11:00:00-04:00');
    expect(r24!.due_at).toBe(Date.parse('2026-10-31T15:00:00Z'));
    expect(start - r24!.due_at).toBe(24 * 60 * MIN);
    expect(d.speech.iso(r1!.due_at)).toBe('2026-11-01T09:00:00-05:00');

    const s24 = await stepAround(d, Date.parse('2026-10-31T15:00:00Z'));
    expect(s24.before).toEqual([]);
    expect(s24.at).toEqual(['Maple Street Salon reminder: Haircut with Sam on Sunday, November 1 at 10:00 AM. To cancel or change, call (212) 555-0100.']);
    const s1 = await stepAround(d, Date.parse('2026-11-01T14:00:00Z'));
    expect(s1.before).toEqual([]);
    expect(s1.at).toHaveLength(1);
    expect(await reminders(d, id, 'sent')).toHaveLength(2);
  });

  it('spring forward (Sun 2026-03-08): the 24 h reminder is at 09:00 EST the day before', async () => {
    const d = await setup('2026-02-25T09:00');
    const id = await book(d, '2026-03-08T10:00', { staff_name: 'Sam' });
    const [r24, r1] = await reminders(d, id);
    expect(d.speech.iso(r24!.due_at)).toBe('2026-03-07T09:00:00-05:00');
    expect(d.speech.iso(r1!.due_at)).toBe('2026-03-08T09:00:00-04:00');
    const s24 = await stepAround(d, Date.parse('2026-03-07T14:00:00Z'));
    expect(s24.before).toHaveLength(1); // only the booking confirmation, sent at the first run
    expect(s24.before[0]).toContain('is booked for');
    expect(s24.at).toHaveLength(1);
    expect(s24.at[0]).toContain('reminder');
  });
});

describe('moves and cancels', () => {
  it('a move cancels the old reminders and plans new ones; only the new ones fire', async () => {
    const d = await setup('2026-11-20T09:00');
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    await d.notifier.worker.runUntilIdle();
    const old = await reminders(d, id);
    await tool(d, 'reschedule_appointment', { appointment_id: id, new_datetime: '2026-11-27T15:30' });

    expect((await reminders(d, id, 'cancelled')).map((r) => r.id).sort()).toEqual(old.map((r) => r.id).sort());
    const planned = await reminders(d, id);
    expect(planned.map((r) => d.speech.iso(r.due_at))).toEqual(['2026-11-26T15:30:00-05:00', '2026-11-27T14:30:00-05:00']);
    expect(planned[0]!.body).toContain('Friday, November 27 at 3:30 PM');
    const moved = (await d.notifier.outbox.forAppointment(id)).filter((r) => r.kind === 'rescheduled');
    expect(moved).toHaveLength(1);
    expect(moved[0]!.body).toBe(
      'Maple Street Salon: your Haircut with Sam has moved to Friday, November 27 at 3:30 PM (was Wednesday, November 25 at 10:00 AM). To cancel or change, call (212) 555-0100.',
    );

    // At the old reminder times: nothing but the "moved" text (sent at the first run).
    const atOld = await stepAround(d, old[0]!.due_at);
    expect(atOld.before).toHaveLength(1);
    expect(atOld.before[0]).toContain('has moved to');
    expect(atOld.at).toEqual([]);
    expect((await stepAround(d, old[1]!.due_at)).at).toEqual([]);
    expect((await stepAround(d, planned[0]!.due_at)).at).toHaveLength(1);
    expect((await stepAround(d, planned[1]!.due_at)).at).toHaveLength(1);
  });

  it('moving back to the original time revives the cancelled reminder rows; an already-sent one is not sent again', async () => {
    const d = await setup('2026-11-20T09:00');
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    d.clock.set(local('2026-11-24T10:00'));
    await d.notifier.worker.runUntilIdle(); // confirmation + the 24 h reminder
    await tool(d, 'reschedule_appointment', { appointment_id: id, new_datetime: '2026-11-25T16:00' });
    await tool(d, 'reschedule_appointment', { appointment_id: id, new_datetime: '2026-11-25T10:00' });
    const all = (await d.notifier.outbox.forAppointment(id)).filter((r) => r.kind === 'reminder');
    const back = all.filter((r) => r.appointment_start_ms === local('2026-11-25T10:00'));
    expect(back.map((r) => [r.offset_minutes, r.status])).toEqual([
      [1440, 'sent'],
      [60, 'pending'],
    ]);
    // Two moves, two "moved" texts, even though the second returns to an earlier time.
    expect((await d.notifier.outbox.forAppointment(id)).filter((r) => r.kind === 'rescheduled')).toHaveLength(2);
  });

  it('a move to another staff member (new appointment id) stops the old id\'s reminders', async () => {
    const d = await setup('2026-11-20T09:00');
    const id = await book(d, '2026-11-25T10:00'); // no staff asked for: Sam by config order
    expect((await d.store.appointments.get(id))!.staffId).toBe('sam');
    // Sam is busy at the new time, so the move goes to Priya as a new appointment.
    await book(d, '2026-11-26T11:00', { staff_name: 'Sam', customer_phone: '+12125550999' });
    const moved = (await tool(d, 'reschedule_appointment', { appointment_id: id, new_datetime: '2026-11-26T11:00' })) as unknown as {
      appointment: { id: string; staff: { id: string } };
    };
    expect(moved.appointment.staff.id).toBe('priya');
    const newId = moved.appointment.id;
    expect(newId).not.toBe(id);
    expect(await reminders(d, id)).toEqual([]);
    expect(await reminders(d, id, 'cancelled')).toHaveLength(2);
    expect((await reminders(d, newId)).map((r) => d.speech.iso(r.due_at))).toEqual(['2026-11-25T11:00:00-05:00', '2026-11-26T10:00:00-05:00']);
    expect((await reminders(d, newId))[0]!.body).toContain('with Priya');
    const movedText = (await d.notifier.outbox.forAppointment(newId)).filter((r) => r.kind === 'rescheduled');
    expect(movedText).toHaveLength(1);
    expect(movedText[0]!.to_phone).toBe(CUSTOMER);
  });

  it('a reminder whose appointment moved without telling the outbox (crash before the announcement) is not sent', async () => {
    const d = await setup('2026-11-20T09:00');
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    await d.notifier.worker.runUntilIdle();
    const [r24] = await reminders(d, id);
    // The booking service moves with emit=false and announces after the calendar agrees; a crash in
    // between leaves the store moved and the outbox unaware.
    const start = local('2026-11-25T15:00');
    await d.store.appointments.move(id, { start, end: start + 45 * MIN, blockStart: start, blockEnd: start + 45 * MIN }, d.clock.now(), false);
    d.clock.set(r24!.due_at);
    expect(await d.notifier.worker.runDue()).toMatchObject({ claimed: 1, stale: 1, sent: 0 });
    expect(await d.notifier.outbox.get(r24!.id)).toMatchObject({ status: 'cancelled', last_error: 'the appointment was cancelled or moved' });
  });

  it('a cancel stops the reminders and sends one cancellation', async () => {
    const d = await setup('2026-11-20T09:00');
    const id = await book(d, '2026-11-25T10:00', { staff_name: 'Sam' });
    const planned = await reminders(d, id);
    await tool(d, 'cancel_appointment', { appointment_id: id });
    expect(await reminders(d, id)).toEqual([]);
    const n0 = fake.messages.length;
    await d.notifier.worker.runUntilIdle();
    expect(fake.messages.slice(n0).map((m) => m.text)).toEqual([
      'Maple Street Salon: your Haircut with Sam is booked for Wednesday, November 25 at 10:00 AM. To cancel or change, call (212) 555-0100.',
      'Maple Street Salon: your Haircut on Wednesday, November 25 at 10:00 AM is cancelled. We hope to see you another time.',
    ]);
    for (const r of planned) expect((await stepAround(d, r.due_at)).at).toEqual([]);
  });
});
