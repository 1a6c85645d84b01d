/**
 * Time values: seconds are dropped (times are booked to the minute), an answer never offers the
 * time it refuses, impossible offsets and 24:00 are refused with their own reasons, and "the clocks
 * change" is said only for a real spring-forward gap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import type { ToolResult } from '../../src/tools/types.js';
import { local, makeTestDeps, type TestDeps } from '../helpers.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const JANE = { customer_name: 'Jane Doe', customer_phone: '(555) 010-2030', service_name: 'haircut' };
async function book(appointment_datetime: string, extra: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await runTool(deps, 'book_appointment', { ...JANE, appointment_datetime, ...extra }, { platform: 'test' })).result;
}

describe('seconds and fractions', () => {
  it('2026-12-16T14:00:30 with 14:00 free books 14:00 (seconds are dropped)', async () => {
    deps = await makeTestDeps();
    const r = await book('2026-12-16T14:00:30');
    expect(r.ok).toBe(true);
    expect((r.appointment as { start: string }).start).toBe('2026-12-16T14:00:00-05:00');
    expect(r.message).toBe('Booked: a haircut with Sam on Wednesday, December 16 at 2 PM, for Jane Doe.');
    const frac = await book('2026-12-16T15:15:59.999', { customer_name: 'Ann Roe', customer_phone: '5550102031' });
    expect((frac.appointment as { start: string }).start).toBe('2026-12-16T15:15:00-05:00');
  });

  it('a refusal never offers the time it refuses', async () => {
    deps = await makeTestDeps();
    const staff = ['Sam', 'Priya', 'Jordan'];
    for (const [i, name] of staff.entries()) expect((await book('2026-12-16T14:00', { staff_name: name, customer_name: `C ${name}`, customer_phone: `555010300${i}` })).ok).toBe(true);
    const r = await book('2026-12-16T14:00:30');
    expect(r.code).toBe('SLOT_UNAVAILABLE');
    const alts = (r.alternatives as { start: string }[]).map((a) => a.start);
    expect(alts).not.toContain('2026-12-16T14:00:00-05:00');
    expect(r.message).toMatch(/^Wednesday, December 16 at 2 PM isn't available\. How about /);
    expect(r.message.replace(/^[^.]*\./, '')).not.toMatch(/\b2 PM\b/);
  });
});

describe('offsets', () => {
  it.each(['+25:00', '+99:00', '+09:60', '-19:00'])('an impossible offset %s is refused with our sentence about the offset', async (offset) => {
    deps = await makeTestDeps();
    const r = await book(`2026-12-16T14:00${offset}`);
    expect(r.code).toBe('INVALID_ARGUMENT');
    expect(r.message).toBe("Sorry, that time came with a time zone offset that doesn't exist. What time would you like, in our local time?");
  });

  it('real offsets are honoured, with or without a colon', async () => {
    deps = await makeTestDeps();
    const r = await book('2026-12-16T19:00:00+00:00');
    expect((r.appointment as { start: string }).start).toBe('2026-12-16T14:00:00-05:00');
    const s = await book('2026-12-16T20:15+0100', { customer_name: 'Ann Roe', customer_phone: '5550102031' });
    expect((s.appointment as { start: string }).start).toBe('2026-12-16T14:15:00-05:00');
  });
});

describe('hour 24', () => {
  it.each(['2026-12-15T24:00', '2026-12-16T24:00:00+00:00'])('%s is refused as not a start time (not "the clocks change", not booked as 7 PM)', async (value) => {
    deps = await makeTestDeps();
    const r = await book(value);
    expect(r.code).toBe('INVALID_ARGUMENT');
    expect(r.message).toBe('24:00 is the end of a day, not a start time. What day and time would you like?');
    expect(await deps.store.appointments.upcomingByPhone('+15550102030', deps.clock.now())).toHaveLength(0);
  });

  it('as the end of a search window, 24:00 is the end of that day', async () => {
    deps = await makeTestDeps();
    const r = (await runTool(deps, 'find_available_slots', { service_name: 'haircut', start_date: '2026-11-24T17:00', end_date: '2026-11-24T24:00', max_results: 20 }, { platform: 'test' })).result;
    expect(r.ok).toBe(true);
    expect((r.slots as { start: string }[]).map((s) => s.start.slice(11, 16))).toEqual(['17:00', '17:15']);
  });
});

describe('the clocks change', () => {
  it('is said for a wall time in the spring-forward gap, and only there', async () => {
    deps = await makeTestDeps({ business: 'test/fixtures/open-every-day.json', now: '2027-03-01T08:00' });
    const gap = await book('2027-03-14T02:30');
    expect(gap.code).toBe('INVALID_ARGUMENT');
    expect(gap.message).toBe("2:30 AM doesn't exist that day because the clocks change. What other time would work for you?");
    // The hour after the gap exists: it is refused for being outside hours, not for the clocks.
    const after = await book('2027-03-14T03:30');
    expect(after.code).toBe('OUTSIDE_HOURS');
    // The repeated hour in November exists too.
    deps.clock.set(local('2027-10-25T08:00'));
    const repeated = await book('2027-11-07T01:30');
    expect(repeated.code).toBe('OUTSIDE_HOURS');
    for (const r of [after, repeated]) expect(r.message).not.toMatch(/clocks/);
  });
});
