import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import { DEFAULT_STORE, makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog, countAppointments, countCalendarEvents } from '../support/store.js';

// Monday 2026-11-23 08:00 local; Tuesday 10:00 is bookable with Sam and Priya (Jordan works Wed-Sat).
let deps: TestDeps;
afterEach(() => deps?.cleanup());

const book = (d: TestDeps, i: number, extra: Record<string, unknown> = {}, meta: Record<string, string> = {}) =>
  runTool(
    d,
    'book_appointment',
    {
      customer_name: `Caller ${i}`,
      customer_phone: `+1555010${String(1000 + i).slice(-4)}`,
      service_name: 'haircut',
      appointment_datetime: '2026-11-24T10:00',
      ...extra,
    },
    { platform: 'test', ...meta },
  );

describe('no double booking', () => {
  it('50 concurrent bookings of one slot with one named staff member: exactly one succeeds', async () => {
    deps = await makeTestDeps();
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => book(deps, i, { staff_name: 'Sam' })));
    const ok = outcomes.filter((o) => o.result.ok);
    expect(ok).toHaveLength(1);
    const failed = outcomes.filter((o) => !o.result.ok);
    expect(new Set(failed.map((o) => o.result.code))).toEqual(new Set(['SLOT_UNAVAILABLE']));
    // Every refusal offers alternatives, and none of them is the taken time.
    for (const f of failed) {
      const alts = f.result.alternatives as { start: string }[];
      expect(alts.length).toBeGreaterThan(0);
      expect(alts.map((a) => a.start)).not.toContain('2026-11-24T10:00:00-05:00');
    }
    expect(await countAppointments(deps.store, 'confirmed')).toBe(1);
    expect(await countCalendarEvents(deps)).toBe(1);
  });

  it('3 eligible staff and 10 concurrent bookings: exactly 3 succeed, on 3 different staff', async () => {
    // Saturday: Sam, Priya and Jordan all work 09:00-16:00.
    deps = await makeTestDeps();
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => book(deps, i, { appointment_datetime: '2026-11-28T11:00' })),
    );
    const ok = outcomes.filter((o) => o.result.ok);
    expect(ok).toHaveLength(3);
    const staff = ok.map((o) => (o.result.appointment as { staff: { id: string } }).staff.id).sort();
    expect(staff).toEqual(['jordan', 'priya', 'sam']);
  });

  it('a second instance sharing the database cannot take an overlapping slot', async () => {
    deps = await makeTestDeps();
    // Its own locks and calendar; only the store stands between the two. On Postgres it also has a
    // pool of its own. On SQLite it shares this process's store: a second connection to the file in
    // one process would wait for the write lock synchronously while the first waits for the event
    // loop (other processes on one file: test/notifications/concurrency.test.ts).
    const other = await makeTestDeps({ businessId: deps.store.businessId, ...(DEFAULT_STORE === 'sqlite' ? { store: deps.root } : {}) });
    try {
      const [a, b] = await Promise.all([book(deps, 1, { staff_name: 'Sam' }), book(other, 2, { staff_name: 'Sam' })]);
      expect([a.result.ok, b.result.ok].filter(Boolean)).toHaveLength(1);
      expect(await countAppointments(deps.store, 'confirmed')).toBe(1);
    } finally {
      await other.cleanup();
    }
  });
});

describe('idempotency', () => {
  it('a replayed tool call id returns the first result and changes nothing', async () => {
    deps = await makeTestDeps();
    const meta = { idempotencyKey: 'vapi:call_abc' };
    const first = await book(deps, 1, {}, meta);
    expect(first.result.ok).toBe(true);
    const again = await book(deps, 1, {}, meta);
    expect(again.result).toEqual(first.result);
    expect(await countAppointments(deps.store)).toBe(1);
    const log = await callLog(deps, 10);
    expect(log.map((r) => r.replayed)).toEqual([true, false]);
  });

  it('concurrent replays of one call id book once', async () => {
    deps = await makeTestDeps();
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => book(deps, 1, {}, { idempotencyKey: 'vapi:same' })));
    const ids = new Set(outcomes.map((o) => (o.result.appointment as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(outcomes.every((o) => o.result.ok)).toBe(true);
    expect(await countAppointments(deps.store)).toBe(1);
  });

  it('a different call id runs again: the same caller is told of their booking, another is refused the taken slot', async () => {
    deps = await makeTestDeps();
    await book(deps, 1, { staff_name: 'Sam' }, { idempotencyKey: 'k1' });
    const repeat = await book(deps, 1, { staff_name: 'Sam' }, { idempotencyKey: 'k2' });
    expect(repeat.result.code).toBe('DUPLICATE_BOOKING');
    const other = await book(deps, 2, { staff_name: 'Sam' }, { idempotencyKey: 'k3' });
    expect(other.result.code).toBe('SLOT_UNAVAILABLE');
  });

  it('a pending claim left by a crashed process is taken over after it goes stale', async () => {
    deps = await makeTestDeps();
    await deps.store.idempotency.claim('book_appointment:vapi:orphan', 'book_appointment', 'x', deps.clock.now());
    deps.clock.advance(60_000);
    const out = await book(deps, 1, {}, { idempotencyKey: 'vapi:orphan' });
    expect(out.result.ok).toBe(true);
  });
});
