/**
 * Two-way sync through the real @googleapis/calendar client against the local fake: what staff do
 * in Google Calendar (move, delete, create) reaches appointments, customers and reminders; 410 and
 * conflicts are handled; applying twice changes nothing. On SQLite, and on Postgres when it runs.
 */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runTool } from '../../src/tools/registry.js';
import { local, STORE_KINDS } from '../helpers.js';
import type { Harness } from './helpers.js';
import { ADMIN_KEY, book, CAL, customerRows, instance, type Instance, movedTimes, rows, startHarness } from './sync-support.js';

let h: Harness | undefined;
let inst: Instance | undefined;
afterEach(async () => {
  await inst?.close();
  await h?.close();
  inst = undefined;
  h = undefined;
});

describe.each(STORE_KINDS)('google two-way sync (%s)', (storeKind) => {
  async function setup(fake: Parameters<typeof startHarness>[0] = {}) {
    let clockNow = () => Date.now();
    h = await startHarness(fake, () => clockNow());
    inst = await instance(h, { storeKind });
    clockNow = () => inst!.deps.clock.now();
    return { h, inst, deps: inst.deps, sync: inst.sync };
  }

  it('first run is a full sync; a move made by staff in Google moves the appointment, tells the customer once and re-plans reminders', async () => {
    const { h, deps, sync } = await setup();
    const appt = await book(deps, '2026-11-24T10:00');
    expect(appt.status).toBe('confirmed');
    const first = await sync.sync(CAL.sam);
    expect(first).toMatchObject({ state: 'synced', full: true, moved: 0, unchanged: 1 });

    const block = appt.blockEnd - appt.blockStart;
    h.fake.editEvent(CAL.sam, appt.eventId!, movedTimes('2026-11-25T19:00:00Z', block)); // Wed 2 PM New York
    const second = await sync.sync(CAL.sam);
    expect(second).toMatchObject({ state: 'synced', full: false, moved: 1 });

    const moved = (await deps.store.appointments.get(appt.id))!;
    expect(moved.blockStart).toBe(local('2026-11-25T14:00'));
    expect(moved.start).toBe(local('2026-11-25T14:00')); // haircut has no buffer before
    expect(moved.end - moved.start).toBe(appt.end - appt.start);
    expect(moved.blockEnd - moved.end).toBe(appt.blockEnd - appt.end); // the 15 min after stays

    const out = await rows(deps, appt.id);
    const told = customerRows(out, 'rescheduled');
    expect(told.map((r) => r.channel)).toEqual(['sms']);
    expect(told[0]!.body).toMatch(/^Maple Street Salon: your Haircut with Sam has moved to Wednesday, November 25 at 2:00 PM \(was Tuesday, November 24 at 10:00 AM\)/);
    const reminders = out.filter((r) => r.kind === 'reminder');
    const pending = reminders.filter((r) => r.status === 'pending');
    const old = reminders.filter((r) => r.appointment_start_ms === appt.start);
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.length).toBe(old.length);
    expect(new Set(pending.map((r) => r.appointment_start_ms))).toEqual(new Set([moved.start]));
    expect(new Set(old.map((r) => r.status))).toEqual(new Set(['cancelled']));

    // Nothing new in Google, and the same change applied again: no second message.
    expect(await sync.sync(CAL.sam)).toMatchObject({ moved: 0, pages: 1 });
    h.fake.expireSyncTokens(CAL.sam);
    expect(await sync.sync(CAL.sam)).toMatchObject({ full: true, moved: 0 });
    expect((await rows(deps, appt.id)).length).toBe(out.length);

    // list_appointments now tells the caller the new time.
    const listed = (await runTool(deps, 'list_appointments', { customer_phone: appt.customerPhone }, { platform: 'test' })).result;
    expect(String(listed.message)).toMatch(/Wednesday, November 25 at 2 PM/);
  });

  it('an event of ours deleted in Google (tombstone with only id and status) cancels the appointment, stops reminders, tells the customer', async () => {
    const { h, deps, sync } = await setup({ minimalTombstones: true });
    const appt = await book(deps, '2026-11-24T11:00');
    await sync.sync(CAL.sam);
    h.fake.deleteEvent(CAL.sam, appt.eventId!);
    expect(await sync.sync(CAL.sam)).toMatchObject({ cancelled: 1 });

    const after = (await deps.store.appointments.get(appt.id))!;
    expect(after.status).toBe('cancelled');
    expect(after.cancelReason).toBe('cancelled in Google Calendar');
    const out = await rows(deps, appt.id);
    expect(customerRows(out, 'cancelled')).toHaveLength(1);
    expect(customerRows(out, 'cancelled')[0]!.body).toMatch(/your Haircut on Tuesday, November 24 at 11:00 AM is cancelled/);
    const reminders = out.filter((r) => r.kind === 'reminder');
    expect(reminders.length).toBeGreaterThan(0);
    expect(new Set(reminders.map((r) => r.status))).toEqual(new Set(['cancelled']));

    // Replayed: nothing more.
    h.fake.expireSyncTokens();
    expect(await sync.sync(CAL.sam)).toMatchObject({ full: true, cancelled: 0 });
    expect(await rows(deps, appt.id)).toHaveLength(out.length);
  });

  it('an event staff create in Google is only busy time: no appointment changes, and the slot is no longer offered', async () => {
    const { h, deps, sync } = await setup();
    const appt = await book(deps, '2026-11-24T10:00');
    await sync.sync(CAL.sam);
    h.fake.addEvent(CAL.sam, { summary: 'Lunch', start: { dateTime: '2026-11-24T17:00:00Z' }, end: { dateTime: '2026-11-24T18:00:00Z' } });
    // A staff member's event that copied our property but is not the appointment's event.
    h.fake.addEvent(CAL.sam, {
      summary: 'Copy',
      start: { dateTime: '2026-11-24T19:00:00Z' },
      end: { dateTime: '2026-11-24T20:00:00Z' },
      extendedProperties: { private: { appointment_id: appt.id } },
    });
    expect(await sync.sync(CAL.sam)).toMatchObject({ foreign: 2, moved: 0, cancelled: 0 });
    expect((await deps.store.appointments.get(appt.id))!.start).toBe(appt.start);

    const found = (await runTool(deps, 'find_available_slots', { service_name: 'haircut', start_date: '2026-11-24', staff_name: 'Sam' }, { platform: 'test' })).result;
    const starts = (found.slots as { start: string }[]).map((s) => s.start);
    expect(starts).not.toContain('2026-11-24T12:00:00-05:00');
    expect(starts).not.toContain('2026-11-24T10:00:00-05:00');
  });

  it('410 fullSyncRequired: full resync with nothing lost and nothing applied twice; paging reads every page', async () => {
    const { h, deps, sync } = await setup();
    const a = await book(deps, '2026-11-24T09:00');
    const b = await book(deps, '2026-11-24T14:00');
    // Enough foreign events for several pages (250 per page).
    for (let i = 0; i < 300; i++) h.fake.addEvent(CAL.sam, { summary: `old ${i}`, start: { dateTime: '2026-10-01T12:00:00Z' }, end: { dateTime: '2026-10-01T12:30:00Z' } });
    expect(await sync.sync(CAL.sam)).toMatchObject({ full: true, pages: 2, foreign: 300 });

    h.fake.editEvent(CAL.sam, a.eventId!, movedTimes('2026-11-26T15:00:00Z', a.blockEnd - a.blockStart));
    h.fake.deleteEvent(CAL.sam, b.eventId!);
    h.fake.expireSyncTokens(CAL.sam);
    const report = await sync.sync(CAL.sam);
    expect(report).toMatchObject({ state: 'synced', full: true, pages: 2, moved: 1, cancelled: 1 });
    expect((await deps.store.appointments.get(a.id))!.start).toBe(local('2026-11-26T10:00'));
    expect((await deps.store.appointments.get(b.id))!.status).toBe('cancelled');
    expect(customerRows(await rows(deps, a.id), 'rescheduled')).toHaveLength(1);
    expect(customerRows(await rows(deps, b.id), 'cancelled')).toHaveLength(1);
    const state = await deps.store.calendarSync.state(CAL.sam);
    expect(state).toMatchObject({ fullSyncs: 2, errorCount: 0, lastError: null });
    expect(state!.syncToken).toBeTruthy();
    // The new token works: the next run is incremental and finds nothing.
    expect(await sync.sync(CAL.sam)).toMatchObject({ full: false, moved: 0, cancelled: 0, foreign: 0 });
  });

  it('moved onto another booking: Google keeps its time, our store does not double-book, a conflict is recorded and the business told once', async () => {
    const { h, deps, sync } = await setup();
    const first = await book(deps, '2026-11-24T10:00', { customer_name: 'Ann Lee', customer_phone: '+15550104444' });
    const second = await book(deps, '2026-11-24T14:00');
    await sync.sync(CAL.sam);
    h.fake.editEvent(CAL.sam, second.eventId!, movedTimes('2026-11-24T15:15:00Z', second.blockEnd - second.blockStart)); // 10:15 local
    expect(await sync.sync(CAL.sam)).toMatchObject({ conflicts: 1, moved: 0 });

    expect((await deps.store.appointments.get(second.id))!.start).toBe(second.start);
    const app = createApp(deps);
    const view = await request(app).get('/admin/calendar-sync').set('authorization', `Bearer ${ADMIN_KEY}`);
    expect(view.status).toBe(200);
    expect(view.body.conflicts).toEqual([
      expect.objectContaining({ appointmentId: second.id, otherAppointmentId: first.id, remoteStart: local('2026-11-24T10:15'), resolvedAt: null }),
    ]);
    const out = await rows(deps, second.id);
    expect(customerRows(out, 'rescheduled')).toHaveLength(0);
    const business = out.filter((r) => r.audience === 'staff');
    expect(business).toHaveLength(1);
    expect(business[0]!.to_phone).toBe('+12125550100');
    expect(business[0]!.body).toMatch(/Jane Doe's Haircut with Sam was moved in Google Calendar to Tuesday, November 24 at 10:15 AM on top of Ann Lee's booking/);

    // Seen again (full resync): still one conflict, one message.
    h.fake.expireSyncTokens();
    expect(await sync.sync(CAL.sam)).toMatchObject({ full: true, conflicts: 1 });
    expect((await rows(deps, second.id)).filter((r) => r.audience === 'staff')).toHaveLength(1);
    expect(await deps.store.calendarSync.conflicts({ open: true, limit: 10 })).toHaveLength(1);

    // Staff settle it in Google: the move applies and the conflict closes.
    h.fake.editEvent(CAL.sam, second.eventId!, movedTimes('2026-11-24T21:00:00Z', second.blockEnd - second.blockStart)); // 4 PM
    expect(await sync.sync(CAL.sam)).toMatchObject({ moved: 1 });
    expect((await deps.store.appointments.get(second.id))!.start).toBe(local('2026-11-24T16:00'));
    expect(await deps.store.calendarSync.conflicts({ open: true, limit: 10 })).toHaveLength(0);
  });

  it('a Google outage fails the sync without losing the token; the next run catches up', async () => {
    const { h, deps, sync } = await setup();
    const appt = await book(deps, '2026-11-24T10:00');
    await sync.sync(CAL.sam);
    const token = (await deps.store.calendarSync.state(CAL.sam))!.syncToken;
    h.fake.editEvent(CAL.sam, appt.eventId!, movedTimes('2026-11-24T20:00:00Z', appt.blockEnd - appt.blockStart));
    h.fake.inject('list', { status: 500 }, 10);
    const failed = await sync.sync(CAL.sam);
    expect(failed.state).toBe('failed');
    expect(await deps.store.calendarSync.state(CAL.sam)).toMatchObject({ syncToken: token, errorCount: 1 });
    h.fake.clearFaults();
    // runDue retries a calendar whose last run failed, whatever the interval.
    const [again] = (await sync.runDue()).filter((r) => r.calendarId === CAL.sam);
    expect(again).toMatchObject({ state: 'synced', moved: 1 });
    expect((await deps.store.appointments.get(appt.id))!.start).toBe(local('2026-11-24T15:00'));
  });
});
