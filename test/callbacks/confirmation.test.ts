/**
 * Services that staff confirm before they count: the booking holds its slot as `awaiting_confirmation`,
 * the caller hears that, staff confirm or decline through the admin API, and nobody answering
 * declines it by itself. Real tools, the real planner and outbox, a manual clock.
 */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { declineUnconfirmed } from '../../src/booking/lifecycle.js';
import type { OutboxRow } from '../../src/notifications/outbox.js';
import { runTool } from '../../src/tools/registry.js';
import { local, STORE_KINDS } from '../helpers.js';
import { CUSTOMER, makeSmsDeps, type SmsTestDeps, smsBusiness, STAFF_PHONE } from '../notifications/setup.js';

const KEY = 'admin-key-for-tests';
const auth = { Authorization: `Bearer ${KEY}` };
const open: SmsTestDeps[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.cleanup()));
});

function business(timeoutMinutes = 240): unknown {
  const b = smsBusiness() as { services: Record<string, unknown>[]; booking: Record<string, unknown> };
  b.services = [
    { id: 'haircut', name: 'Haircut', durationMinutes: 45, requiresConfirmation: true },
    { id: 'trim', name: 'Beard trim', durationMinutes: 30 },
  ];
  b.booking.confirmationTimeoutMinutes = timeoutMinutes;
  return b;
}

async function setup(kind: (typeof STORE_KINDS)[number], timeoutMinutes?: number): Promise<SmsTestDeps> {
  const d = await makeSmsDeps({ storeKind: kind, business: business(timeoutMinutes), env: { ADMIN_API_KEY: KEY } });
  open.push(d);
  return d;
}

const call = (d: SmsTestDeps, name: string, args: Record<string, unknown>) => runTool(d, name, { customer_phone: CUSTOMER, ...args }, { platform: 'test' });

async function requestHaircut(d: SmsTestDeps, at = '2026-11-25T10:00', staff = 'Sam') {
  const out = await call(d, 'book_appointment', { customer_name: 'Dana Reyes', service_name: 'haircut', appointment_datetime: at, staff_name: staff });
  expect(out.result.ok, out.result.message).toBe(true);
  return { id: (out.result.appointment as { id: string }).id, message: out.result.message };
}

const rows = async (d: SmsTestDeps, id: string) => (await d.notifier.outbox.forAppointment(id)).map((r: OutboxRow) => ({ kind: r.kind, to: r.to_phone, body: r.body, offset: r.offset_minutes }));

describe.each(STORE_KINDS)('bookings that staff confirm, on %s', (kind) => {
  it('holds the slot, tells the caller and the staff member, and plans no reminder until confirmed', async () => {
    const d = await setup(kind);
    const { id, message } = await requestHaircut(d);
    expect(message).toBe(
      "I've requested a haircut with Sam on Wednesday, November 25 at 10 AM for Dana Reyes. Maple Street Salon confirms these bookings first; the time is held for you, and we'll let you know once it's confirmed.",
    );
    expect((await d.store.appointments.get(id))!.status).toBe('awaiting_confirmation');
    expect(await rows(d, id)).toEqual([
      {
        kind: 'booked',
        to: CUSTOMER,
        offset: null,
        body: 'Maple Street Salon: we have your request for a Haircut with Sam on Wednesday, November 25 at 10:00 AM. The time is held for you; we will text you once it is confirmed.',
      },
      // notifyStaff is off, yet the person who must confirm hears of it.
      { kind: 'booked', to: STAFF_PHONE, offset: null, body: 'Maple Street Salon: Dana Reyes asks for a Haircut on Wednesday, November 25 at 10:00 AM; it needs your confirmation.' },
    ]);

    // The slot is held: Sam is not offered at 10:00 and another caller cannot take it.
    const slots = await runTool(d, 'find_available_slots', { service_name: 'trim', staff_name: 'Sam', start_date: '2026-11-25', end_date: '2026-11-25', time_of_day: 'morning', max_results: 20 }, { platform: 'test' });
    expect(slots.result.ok, slots.result.message).toBe(true);
    const starts = (slots.result.slots as { start: string }[]).map((s) => s.start);
    expect(starts.filter((s) => s >= '2026-11-25T09:30' && s < '2026-11-25T10:46')).toEqual(['2026-11-25T09:30:00-05:00', '2026-11-25T10:45:00-05:00']);
    const other = await runTool(d, 'book_appointment', { customer_name: 'Lee', customer_phone: '+12125550777', service_name: 'trim', appointment_datetime: '2026-11-25T10:00', staff_name: 'Sam' }, { platform: 'test' });
    expect(other.result.ok).toBe(false);
    expect(other.result.code).toBe('SLOT_UNAVAILABLE');

    const listed = await call(d, 'list_appointments', {});
    expect(listed.result.message).toBe('You have one upcoming appointment: a haircut with Sam on Wednesday, November 25 at 10 AM, still to be confirmed by us.');
    expect((listed.result.appointments as { status: string; confirm_by: string }[])[0]).toMatchObject({ status: 'awaiting_confirmation', confirm_by: '2026-11-23T12:00:00-05:00' });
  });

  it('staff confirm through the admin API: the customer gets the booking and its reminders; a second answer is refused', async () => {
    const d = await setup(kind);
    const app = createApp(d);
    const { id } = await requestHaircut(d);
    const ok = await request(app).post(`/admin/appointments/${id}/status`).set(auth).send({ status: 'confirmed', by: 'sam', notes: 'fine by me' });
    expect(ok.status).toBe(200);
    expect(ok.body.appointment.status).toBe('confirmed');
    expect(ok.body.appointment.confirm_by).toBeUndefined();
    expect(ok.body.history).toEqual([{ at: '2026-11-23T08:00:00-05:00', from: 'awaiting_confirmation', to: 'confirmed', by: 'sam', notes: 'fine by me' }]);
    const list = await rows(d, id);
    expect(list.filter((r) => r.to === CUSTOMER).map((r) => [r.kind, r.offset])).toEqual([
      ['booked', null],
      ['booked', null],
      ['reminder', 1440],
      ['reminder', 60],
    ]);
    expect(list[2]!.body).toBe('Maple Street Salon: your Haircut with Sam is booked for Wednesday, November 25 at 10:00 AM. To cancel or change, call (212) 555-0100.');

    const again = await request(app).post(`/admin/appointments/${id}/status`).set(auth).send({ status: 'declined', by: 'priya' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'a confirmed appointment is not awaiting confirmation', status: 'confirmed' });
    // Marks that belong after the start are refused for a booking still awaiting an answer.
    const second = await requestHaircut(d, '2026-11-26T10:00');
    const early = await request(app).post(`/admin/appointments/${second.id}/status`).set(auth).send({ status: 'completed', by: 'sam' });
    expect(early.status).toBe(409);
    expect(early.body.allowed).toEqual(['confirmed', 'declined']);
    expect((await request(app).get('/admin/appointments?from=2026-11-23&status=awaiting_confirmation').set(auth)).body.appointments.map((a: { id: string }) => a.id)).toEqual([second.id]);
  });

  it('a decline frees the slot, removes the calendar event and tells the customer', async () => {
    const d = await setup(kind);
    const app = createApp(d);
    const { id } = await requestHaircut(d);
    const appt = (await d.store.appointments.get(id))!;
    expect(appt.eventId).not.toBeNull();
    const no = await request(app).post(`/admin/appointments/${id}/status`).set(auth).send({ status: 'declined', by: 'sam', notes: 'on a course that day' });
    expect(no.status).toBe(200);
    expect(no.body.appointment.status).toBe('cancelled');
    expect((await d.store.calendarEvents.get(appt.calendarId, appt.eventId!))!.status).toBe('cancelled');
    const customer = (await rows(d, id)).filter((r) => r.to === CUSTOMER);
    expect(customer.map((r) => r.kind)).toEqual(['booked', 'cancelled']);
    expect(customer[1]!.body).toBe('Maple Street Salon: sorry, we could not confirm your Haircut on Wednesday, November 25 at 10:00 AM, so it is not booked. To find another time, call (212) 555-0100.');
    const listed = await call(d, 'list_appointments', {});
    expect(listed.result.message).toBe("I don't see any upcoming appointments for this phone number.");
    const trim = await call(d, 'book_appointment', { customer_name: 'Dana Reyes', service_name: 'trim', appointment_datetime: '2026-11-25T10:00', staff_name: 'Sam' });
    expect(trim.result.ok, trim.result.message).toBe(true);
  });

  it('nobody answering declines it after the timeout, and never later than the start; the sweep and a late confirm do not both win', async () => {
    const d = await setup(kind, 240);
    const { id: early } = await requestHaircut(d, '2026-11-23T10:00'); // starts before the 4 h timeout ends
    const { id: later } = await requestHaircut(d, '2026-11-25T10:00');
    expect(await declineUnconfirmed(d)).toEqual([]);

    d.clock.set(local('2026-11-23T10:00'));
    expect((await declineUnconfirmed(d)).map((a) => a.id)).toEqual([early]);
    d.clock.set(local('2026-11-23T11:59'));
    expect(await declineUnconfirmed(d)).toEqual([]);
    d.clock.set(local('2026-11-23T12:00'));
    const [swept, confirmed] = await Promise.all([
      declineUnconfirmed(d),
      request(createApp(d)).post(`/admin/appointments/${later}/status`).set(auth).send({ status: 'confirmed', by: 'sam' }),
    ]);
    const status = (await d.store.appointments.get(later))!.status;
    if (status === 'confirmed') {
      expect(confirmed.status).toBe(200);
      expect(swept).toEqual([]);
    } else {
      expect(status).toBe('cancelled');
      expect(confirmed.status).toBe(409);
      expect(swept.map((a) => a.id)).toEqual([later]);
    }
    const history = await d.store.appointments.outcomeHistory(later);
    expect(history).toHaveLength(1);
    expect((await d.store.appointments.outcomeHistory(early))[0]).toMatchObject({ actor: 'system', notes: 'not confirmed in time', toStatus: 'cancelled' });
  });

  it('a request moved to another time still awaits confirmation, and books nothing in its name', async () => {
    const d = await setup(kind);
    const { id } = await requestHaircut(d, '2026-11-25T10:00', 'Sam');
    const moved = await call(d, 'reschedule_appointment', { new_datetime: '2026-11-25T14:00' });
    expect(moved.result.ok, moved.result.message).toBe(true);
    const now = (await d.store.appointments.upcomingByPhone(CUSTOMER, d.clock.now()))[0]!;
    expect(now.status).toBe('awaiting_confirmation');
    expect(now.start).toBe(local('2026-11-25T14:00'));
    expect((await rows(d, now.id)).some((r) => r.kind === 'reminder')).toBe(false);
    expect(now.id).toBe(id);
  });
});
