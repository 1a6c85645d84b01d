/**
 * The busy mirror fed by sync: a search on a fresh mirror makes no Google request; booking still
 * asks freeBusy inside the lock; a stale mirror (old sync, no live channel) falls back to Google.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import { STORE_KINDS } from '../helpers.js';
import type { Harness } from './helpers.js';
import { CAL, instance, type Instance, JANE, startHarness } from './sync-support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe.each(STORE_KINDS)('google busy mirror (%s)', (storeKind) => {
  async function one(sync: Parameters<typeof instance>[1]['sync'] = {}): Promise<{ h: Harness; inst: Instance }> {
    let now = () => Date.now();
    const h = await startHarness({}, () => now());
    cleanups.push(() => h.close());
    const inst = await instance(h, { storeKind, sync: { mirrorFreshMs: 600_000, ...sync } });
    cleanups.push(() => inst.close());
    now = () => inst.deps.clock.now();
    return { h, inst };
  }
  const find = async (inst: Instance) =>
    ((await runTool(inst.deps, 'find_available_slots', { service_name: 'haircut', start_date: '2026-11-24', staff_name: 'Sam' }, { platform: 'test' })).result.slots as { start: string }[]).map((s) => s.start);

  it('find on a fresh mirror makes 0 Google requests and still sees staff events and our own bookings; book asks Google', async () => {
    const { h, inst } = await one();
    // A staff lunch, before and after the first sync.
    h.fake.addEvent(CAL.sam, { summary: 'Errand', start: { dateTime: '2026-11-24T15:00:00Z' }, end: { dateTime: '2026-11-24T16:00:00Z' } }); // 10-11
    await inst.sync.runDue();
    h.fake.addEvent(CAL.sam, { summary: 'Dentist', start: { dateTime: '2026-11-24T16:00:00Z' }, end: { dateTime: '2026-11-24T17:00:00Z' }, transparency: 'opaque' }); // 11-12
    h.fake.addEvent(CAL.sam, { summary: 'Maybe', start: { dateTime: '2026-11-24T14:00:00Z' }, end: { dateTime: '2026-11-24T15:00:00Z' }, transparency: 'transparent' }); // 9-10, free
    await h.fake.notificationsSettled();
    await inst.sync.idle();

    h.fake.resetCounts();
    const slots = await find(inst);
    expect(h.fake.counts().total ?? 0).toBe(0);
    expect(slots).toContain('2026-11-24T09:00:00-05:00'); // "Maybe" is marked free
    expect(slots).not.toContain('2026-11-24T10:00:00-05:00'); // errand, in the first full listing
    expect(slots).not.toContain('2026-11-24T11:00:00-05:00'); // dentist, pushed after it
    // The same answer Google's freeBusy gives.
    inst.deps.clock.advance(600_001);
    expect(await find(inst)).toEqual(slots);
    expect(h.fake.counts().freebusy).toBe(1);
    inst.deps.clock.advance(-600_001);
    h.fake.resetCounts();

    const booked = (await runTool(inst.deps, 'book_appointment', { ...JANE, service_name: 'haircut', appointment_datetime: '2026-11-24T09:00', staff_name: 'Sam' }, { platform: 'test' })).result;
    expect(booked.ok).toBe(true);
    expect(h.fake.counts().freebusy).toBe(1);
    expect(h.fake.counts().insert).toBe(1);

    // Right after booking (before its own notification is synced) the slot is not offered again.
    h.fake.resetCounts();
    const after = await find(inst);
    expect(after).not.toContain('2026-11-24T09:00:00-05:00');
    expect(after.length).toBeGreaterThan(0);
    expect(h.fake.counts().total ?? 0).toBe(0);
  });

  it('Google requests per tool call on a fresh mirror: find 0, book 2, move 2, cancel 1', async () => {
    const { h, inst } = await one();
    await inst.sync.runDue();
    await h.fake.notificationsSettled();
    // The echo of each change is synced by hand between calls, so the count is the tool's own requests.
    h.fake.dropNotifications(1000);
    const counted = async (name: string, args: Record<string, unknown>) => {
      h.fake.resetCounts();
      const r = (await runTool(inst.deps, name, args, { platform: 'test' })).result;
      expect(r.ok, JSON.stringify(r)).toBe(true);
      const c = h.fake.counts();
      await inst.sync.syncAll();
      return c.total ?? 0;
    };
    const figures = {
      find: await counted('find_available_slots', { service_name: 'haircut', start_date: '2026-11-24' }),
      book: await counted('book_appointment', { ...JANE, service_name: 'haircut', appointment_datetime: '2026-11-24T10:00', staff_name: 'Sam' }),
      move: await counted('reschedule_appointment', { customer_phone: JANE.customer_phone, new_datetime: '2026-11-24T15:00' }),
      cancel: await counted('cancel_appointment', { customer_phone: JANE.customer_phone }),
    };
    expect(figures).toEqual({ find: 0, book: 2, move: 2, cancel: 1 });
  });

  it('a mirror past its window, or without a live channel, is not trusted: the search asks Google', async () => {
    const { h, inst } = await one();
    await inst.sync.runDue();
    await h.fake.notificationsSettled();
    inst.deps.clock.advance(600_001);
    h.fake.resetCounts();
    await find(inst);
    expect(h.fake.counts().freebusy).toBe(1);

    // Synced again, but a staff member's channel is gone (stopped elsewhere): Google again.
    await inst.sync.syncAll();
    const [sam] = await inst.deps.store.calendarSync.liveChannels(CAL.sam);
    await inst.deps.store.calendarSync.markChannelStopped(sam!.channelId, inst.deps.clock.now());
    h.fake.resetCounts();
    await find(inst);
    expect(h.fake.counts().freebusy).toBe(1);

    // A 410 in progress leaves the mirror wiped and not ready until the full listing finishes.
    await inst.sync.ensureChannels();
    h.fake.expireSyncTokens(CAL.sam);
    h.fake.inject('list', { status: 410, reason: 'fullSyncRequired' });
    h.fake.inject('list', { status: 500 }, 4);
    expect((await inst.sync.sync(CAL.sam)).state).toBe('failed');
    expect((await inst.deps.store.calendarSync.state(CAL.sam))!.mirrorReady).toBe(false);
    h.fake.resetCounts();
    await find(inst);
    expect(h.fake.counts().freebusy).toBe(1);
  });
});
