/**
 * Push: events.watch channels, Google's notification POSTs (sent by the fake over HTTP, with the
 * real headers) into the receiver, dropped ones recovered by the periodic sync, duplicates and two
 * instances applying one change once, channel renewal without a gap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runTool } from '../../src/tools/registry.js';
import { local, STORE_KINDS, uniqueBusinessId } from '../helpers.js';
import type { Harness } from './helpers.js';
import { balancer, book, CAL, customerRows, instance, type Instance, movedTimes, rows, startHarness } from './sync-support.js';

const DAY = 86_400_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe.each(STORE_KINDS)('google push sync (%s)', (storeKind) => {
  async function one(): Promise<{ h: Harness; inst: Instance }> {
    let now = () => Date.now();
    const h = await startHarness({}, () => now());
    cleanups.push(() => h.close());
    const inst = await instance(h, { storeKind });
    cleanups.push(() => inst.close());
    now = () => inst.deps.clock.now();
    return { h, inst };
  }

  it('a watch per calendar; the first sync message is ignored; a staff move arrives by push and is applied', async () => {
    const { h, inst } = await one();
    const { deps, sync } = inst;
    const appt = await book(deps, '2026-11-24T10:00');
    await sync.syncAll();
    expect(await sync.ensureChannels()).toEqual({ created: 3, stopped: 0 });
    await h.fake.notificationsSettled();
    const channels = h.fake.channels();
    expect(channels.map((c) => c.calendarId).sort()).toEqual(Object.values(CAL).sort());
    expect(channels.every((c) => c.address === `${inst.url}/webhooks/google/calendar` && c.token && c.token.length >= 32)).toBe(true);
    // Google's 7-day default, counted on the test's clock.
    expect(channels[0]!.expiration).toBe(deps.clock.now() + 7 * DAY);
    expect(h.fake.deliveries().map((d) => [d.state, d.messageNumber, d.outcome])).toEqual([
      ['sync', 1, 200],
      ['sync', 1, 200],
      ['sync', 1, 200],
    ]);
    const stored = await deps.store.calendarSync.liveChannels();
    expect(stored.map((c) => c.channelId).sort()).toEqual(channels.map((c) => c.id).sort());

    h.fake.editEvent(CAL.sam, appt.eventId!, movedTimes('2026-11-24T20:00:00Z', appt.blockEnd - appt.blockStart)); // 3 PM
    await h.fake.notificationsSettled();
    await sync.idle();
    const exists = h.fake.deliveries().filter((d) => d.state === 'exists');
    expect(exists.map((d) => d.outcome)).toEqual([200]);
    expect(exists[0]!.messageNumber).toBeGreaterThan(1);
    expect((await deps.store.appointments.get(appt.id))!.start).toBe(local('2026-11-24T15:00'));
    expect(customerRows(await rows(deps, appt.id), 'rescheduled')).toHaveLength(1);

    // The admin view shows the channels without their secret.
    const view = await request(createApp(deps)).get('/admin/calendar-sync').set('authorization', 'Bearer admin-key-for-sync-tests');
    expect(view.body.channels).toHaveLength(3);
    expect(JSON.stringify(view.body)).not.toContain(stored[0]!.token);
  });

  it("Bookline's own reschedule and cancel echo back by push and change nothing more: one message each", async () => {
    const { h, inst } = await one();
    const { deps, sync } = inst;
    await sync.runDue();
    const appt = await book(deps, '2026-11-24T10:00');
    const call = async (name: string, args: Record<string, unknown>) => (await runTool(deps, name, { customer_phone: appt.customerPhone, ...args }, { platform: 'test' })).result;
    expect((await call('reschedule_appointment', { new_datetime: '2026-11-24T15:00' })).ok).toBe(true);
    await h.fake.notificationsSettled();
    await sync.idle();
    const moved = (await deps.store.appointments.get(appt.id))!;
    expect(moved.start).toBe(local('2026-11-24T15:00'));
    expect((await call('cancel_appointment', {})).ok).toBe(true);
    await h.fake.notificationsSettled();
    await sync.idle();
    // Every change of ours reached the receiver and was synced.
    const exists = h.fake.deliveries().filter((d) => d.state === 'exists');
    expect(exists.length).toBeGreaterThanOrEqual(3);
    expect(exists.every((d) => d.outcome === 200)).toBe(true);
    const after = (await deps.store.appointments.get(appt.id))!;
    expect(after.status).toBe('cancelled');
    expect(after.cancelReason).not.toBe('cancelled in Google Calendar');
    const out = await rows(deps, appt.id);
    expect(customerRows(out, 'booked')).toHaveLength(1);
    expect(customerRows(out, 'rescheduled')).toHaveLength(1);
    expect(customerRows(out, 'cancelled')).toHaveLength(1);
    expect(await deps.store.calendarSync.conflicts({ limit: 10 })).toEqual([]);
  });

  it('forged notifications are refused and schedule nothing; unknown channels are ignored', async () => {
    const { h, inst } = await one();
    await inst.sync.ensureChannels();
    await h.fake.notificationsSettled();
    const ch = h.fake.channels()[0]!;
    const app = createApp(inst.deps);
    const post = (headers: Record<string, string>) => request(app).post('/webhooks/google/calendar').set(headers).send();
    const base = { 'x-goog-channel-id': ch.id, 'x-goog-resource-id': ch.resourceId, 'x-goog-resource-state': 'exists', 'x-goog-message-number': '9' };
    expect((await post({ ...base, 'x-goog-channel-token': 'guess' })).status).toBe(401);
    expect((await post({ ...base })).status).toBe(401);
    expect((await post({ ...base, 'x-goog-channel-token': ch.token!, 'x-goog-resource-id': 'other' })).status).toBe(401);
    expect((await post({ ...base, 'x-goog-channel-id': 'nobody', 'x-goog-channel-token': ch.token! })).status).toBe(200);
    expect((await post({ 'x-goog-channel-id': ch.id })).status).toBe(400);
    await inst.sync.idle();
    expect((await inst.deps.store.calendarSync.state(ch.calendarId))?.requestedAt ?? null).toBeNull();
    expect((await post({ ...base, 'x-goog-channel-token': ch.token! })).status).toBe(200);
    await inst.sync.idle();
    expect((await inst.deps.store.calendarSync.state(ch.calendarId))!.syncedAt).toBe(inst.deps.clock.now());
  });

  it('dropped notifications are recovered by the periodic sync on the injected clock', async () => {
    const { h, inst } = await one();
    const { deps, sync } = inst;
    const appt = await book(deps, '2026-11-24T10:00');
    await sync.runDue(); // first run: every calendar synced, channels made
    await h.fake.notificationsSettled();
    h.fake.dropNotifications(1);
    h.fake.editEvent(CAL.sam, appt.eventId!, movedTimes('2026-11-24T21:00:00Z', appt.blockEnd - appt.blockStart)); // 4 PM
    await h.fake.notificationsSettled();
    await sync.idle();
    expect(h.fake.deliveries().filter((d) => d.state === 'exists').map((d) => d.outcome)).toEqual(['dropped']);
    expect((await deps.store.appointments.get(appt.id))!.start).toBe(appt.start);

    // Not due yet: nothing runs.
    deps.clock.advance(60_000);
    expect(await sync.runDue()).toEqual([]);
    deps.clock.advance(300_000);
    const reports = await sync.runDue();
    expect(reports.map((r) => r.calendarId).sort()).toEqual(Object.values(CAL).sort());
    expect(reports.find((r) => r.calendarId === CAL.sam)).toMatchObject({ moved: 1, full: false });
    expect((await deps.store.appointments.get(appt.id))!.start).toBe(local('2026-11-24T16:00'));
  });

  it('channels are renewed before they expire: the new one first, then the old one stopped', async () => {
    const { h, inst } = await one();
    const { deps, sync } = inst;
    await sync.ensureChannels();
    const before = h.fake.channels();
    // Still more than a day left: nothing to do.
    deps.clock.advance(5 * DAY);
    expect(await sync.ensureChannels()).toEqual({ created: 0, stopped: 0 });
    deps.clock.advance(DAY + 60_000);
    expect(await sync.ensureChannels()).toEqual({ created: 3, stopped: 3 });
    const after = h.fake.channels();
    expect(after).toHaveLength(6);
    expect(after.filter((c) => before.some((b) => b.id === c.id)).every((c) => c.stopped)).toBe(true);
    const live = after.filter((c) => !c.stopped);
    expect(live.map((c) => c.calendarId).sort()).toEqual(Object.values(CAL).sort());
    expect(live.every((c) => c.expiration === deps.clock.now() + 7 * DAY)).toBe(true);
    expect((await deps.store.calendarSync.liveChannels()).map((c) => c.channelId).sort()).toEqual(live.map((c) => c.id).sort());
    // A booking made after the renewal is seen through the new channel; an old one firing late
    // (Google's overlap) is answered and changes nothing.
    await h.fake.notificationsSettled();
    const appt = await book(deps, '2026-12-01T10:00');
    h.fake.fireChannel(before[0]!.id);
    await h.fake.notificationsSettled();
    await sync.idle();
    const late = h.fake.deliveries().filter((d) => d.state === 'exists');
    expect(late.filter((d) => d.channelId === before[0]!.id).map((d) => d.outcome)).toEqual([200]);
    expect(late.filter((d) => live.some((c) => c.id === d.channelId)).length).toBeGreaterThan(0);
    expect((await deps.store.appointments.get(appt.id))!.status).toBe('confirmed');
    expect(customerRows(await rows(deps, appt.id), 'rescheduled')).toHaveLength(0);
  });

  it('two instances behind a load balancer, the same notification delivered twice: one change, one message', async () => {
    let now = () => Date.now();
    const h = await startHarness({}, () => now());
    cleanups.push(() => h.close());
    let dir: string | undefined;
    const o: Parameters<typeof instance>[1] = { storeKind };
    if (storeKind === 'postgres') {
      // Two processes: two pools on one database, one business.
      o.businessId = uniqueBusinessId();
    } else {
      dir = mkdtempSync(join(tmpdir(), 'bookline-sync-'));
      o.dbPath = join(dir, 'shared.db');
    }
    let targets: string[] = [];
    const lb = await balancer(() => targets);
    cleanups.push(() => lb.close());
    const a = await instance(h, { ...o, webhookUrl: () => `${lb.url}/webhooks/google/calendar` });
    cleanups.push(() => a.close());
    const b = await instance(h, { ...o, webhookUrl: () => `${lb.url}/webhooks/google/calendar` });
    cleanups.push(async () => {
      await b.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    b.deps.clock.set(a.deps.clock.now());
    now = () => a.deps.clock.now();
    targets = [a.url, b.url];

    const appt = await book(a.deps, '2026-11-24T10:00');
    await a.sync.syncAll();
    await a.sync.ensureChannels();
    await h.fake.notificationsSettled();
    expect(await b.sync.ensureChannels()).toEqual({ created: 0, stopped: 0 }); // the store says they exist

    h.fake.duplicateNotifications(1);
    h.fake.editEvent(CAL.sam, appt.eventId!, movedTimes('2026-11-24T19:00:00Z', appt.blockEnd - appt.blockStart)); // 2 PM
    await h.fake.notificationsSettled();
    await Promise.all([a.sync.idle(), b.sync.idle()]);
    const exists = h.fake.deliveries().filter((d) => d.state === 'exists');
    expect(exists).toHaveLength(2);
    expect(exists.map((d) => d.outcome)).toEqual([200, 200]);
    expect(new Set(exists.map((d) => d.messageNumber)).size).toBe(1);

    const moved = (await a.deps.store.appointments.get(appt.id))!;
    expect(moved.start).toBe(local('2026-11-24T14:00'));
    expect(customerRows(await rows(a.deps, appt.id), 'rescheduled')).toHaveLength(1);
    // Both instances ran (or joined) a sync; the calendar was requested twice.
    const state = (await a.deps.store.calendarSync.state(CAL.sam))!;
    expect(state.lastError).toBeNull();
  });
});
