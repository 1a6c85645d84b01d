/**
 * One person cannot hold two appointments at the same time: the same phone AND the same name
 * (case, spacing and accents aside) at an overlapping time is refused with DUPLICATE_BOOKING, which
 * is how a model's repeated tool call (a new call id after a timeout) no longer books twice. A
 * different name on the same phone (a parent booking a child) is still allowed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import type { ToolResult } from '../../src/tools/types.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const JANE = { customer_name: 'Jane Doe', customer_phone: '(555) 010-2030', service_name: 'haircut' };
const book = async (args: Record<string, unknown>, meta: Record<string, string> = {}): Promise<ToolResult> =>
  (await runTool(deps, 'book_appointment', { ...JANE, ...args }, { platform: 'test', ...meta })).result;
const live = () => deps.store.appointments.upcomingByPhone('+15550102030', deps.clock.now());

describe('the same caller at the same time', () => {
  it('haircut 14:30 twice from one number (once with Sam, once with Priya): the second is refused, naming the first and how to move it', async () => {
    deps = await makeTestDeps();
    const first = await book({ appointment_datetime: '2026-11-24T14:30', staff_name: 'Sam' }, { idempotencyKey: 'call-1' });
    expect(first.ok).toBe(true);
    const again = await book({ customer_name: '  jane   DOE ', appointment_datetime: '2026-11-24T14:30', staff_name: 'Priya' }, { idempotencyKey: 'call-2' });
    expect(again.ok).toBe(false);
    expect(again.code).toBe('DUPLICATE_BOOKING');
    expect(again.message).toBe("You already have a haircut with Sam on Tuesday, November 24 at 2:30 PM. If you'd like a different time, I can move that one instead.");
    expect((again.existing as { id: string }).id).toBe((first.appointment as { id: string }).id);
    // Overlapping, not only equal, starts: 14:45 falls inside 14:30-15:15.
    expect((await book({ appointment_datetime: '2026-11-24T14:45', staff_name: 'Priya' })).code).toBe('DUPLICATE_BOOKING');
    expect(await live()).toHaveLength(1);
  });

  it('a different name on the same phone (a parent booking a child), or the same person at another time, is allowed', async () => {
    deps = await makeTestDeps();
    expect((await book({ appointment_datetime: '2026-11-24T14:30' })).ok).toBe(true);
    expect((await book({ customer_name: 'Kid Doe', appointment_datetime: '2026-11-24T14:30' })).ok).toBe(true);
    expect((await book({ appointment_datetime: '2026-11-24T15:30' })).ok).toBe(true); // after 14:30-15:15 (and its clean-up)
    expect(await live()).toHaveLength(3);
  });

  it('two identical calls racing (the model retried before the first answer): one books, the other is told about it', async () => {
    deps = await makeTestDeps();
    const [a, b] = await Promise.all([
      book({ appointment_datetime: '2026-11-24T14:30', staff_name: 'Sam' }, { idempotencyKey: 'call-a' }),
      book({ appointment_datetime: '2026-11-24T14:30', staff_name: 'Priya' }, { idempotencyKey: 'call-b' }),
    ]);
    expect([a.ok, b.ok].sort()).toEqual([false, true]);
    expect([a.code, b.code]).toContain('DUPLICATE_BOOKING');
    expect(await live()).toHaveLength(1);
  });

  it('a move onto a time the same person already holds is refused too', async () => {
    deps = await makeTestDeps();
    const ten = await book({ appointment_datetime: '2026-11-24T10:00', staff_name: 'Sam' });
    await book({ appointment_datetime: '2026-11-24T14:30', staff_name: 'Priya' });
    const r = (await runTool(deps, 'reschedule_appointment', { customer_phone: '5550102030', appointment_id: (ten.appointment as { id: string }).id, new_datetime: '2026-11-24T14:30' }, { platform: 'test' })).result;
    expect(r.code).toBe('DUPLICATE_BOOKING');
    expect(r.message).toMatch(/^You already have a haircut with Priya on Tuesday, November 24 at 2:30 PM\./);
    expect((await live()).map((a) => a.start).sort()).toEqual([Date.parse('2026-11-24T15:00:00Z'), Date.parse('2026-11-24T19:30:00Z')]);
  });
});
