/**
 * The fuzzer with two businesses on one store: random sequences of tool calls, valid and nearly
 * valid, sent to either business with the same few phone numbers, appointment ids of the other
 * business thrown in. Whatever happens, no answer of one business ever names an appointment of the
 * other, and each business's store holds only appointments that business's own calls created.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, STORE_KINDS, type TestDeps, uniqueBusinessId } from '../helpers.js';

const PHONES = ['+15550102030', '+15550102031'];
const TOOLS = ['find_available_slots', 'book_appointment', 'cancel_appointment', 'reschedule_appointment', 'list_appointments'] as const;

/** Every appointment id an answer mentions, wherever it puts it. */
function idsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(/apt_[0-9a-v]{16}/g)) out.add(m[0]);
  } else if (Array.isArray(value)) {
    for (const v of value) idsIn(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) idsIn(v, out);
  }
  return out;
}

describe.each(STORE_KINDS)('fuzzing two businesses on one %s store', (kind) => {
  let a: TestDeps;
  let b: TestDeps;
  beforeAll(async () => {
    const env = { RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0' };
    a = await makeTestDeps({ env, storeKind: kind, businessId: uniqueBusinessId() });
    // Same business file, same staff ids and calendar ids, same store: only the business id differs.
    b = await makeTestDeps({ env, store: a.root, businessId: uniqueBusinessId() });
  });
  afterAll(async () => {
    await b.cleanup();
    await a.cleanup();
  });

  it('never lets a call to one business see or change the other', async () => {
    const made = { a: new Set<string>(), b: new Set<string>() };
    const call = fc.record({
      to: fc.constantFrom('a' as const, 'b' as const),
      tool: fc.constantFrom(...TOOLS),
      phone: fc.constantFrom(...PHONES),
      day: fc.integer({ min: 24, max: 28 }),
      hour: fc.integer({ min: 9, max: 16 }),
      // Sometimes an id of the other business, sometimes one of its own, sometimes junk.
      idFrom: fc.constantFrom('own' as const, 'other' as const, 'none' as const, 'junk' as const),
      pick: fc.nat(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(call, { minLength: 5, maxLength: 25 }), async (calls) => {
        for (const c of calls) {
          const deps = c.to === 'a' ? a : b;
          const own = [...made[c.to]];
          const other = [...made[c.to === 'a' ? 'b' : 'a']];
          const pool = c.idFrom === 'own' ? own : c.idFrom === 'other' ? other : [];
          const appointmentId = c.idFrom === 'junk' ? 'apt_0000000000000000' : pool.length ? pool[c.pick % pool.length] : undefined;
          const when = `2026-11-${c.day}T${String(c.hour).padStart(2, '0')}:00`;
          const args: Record<string, unknown> = {
            find_available_slots: { service_name: 'haircut', start_date: `2026-11-${c.day}` },
            book_appointment: { customer_name: 'Fuzz', customer_phone: c.phone, service_name: 'haircut', appointment_datetime: when },
            cancel_appointment: { customer_phone: c.phone, ...(appointmentId ? { appointment_id: appointmentId } : {}) },
            reschedule_appointment: { customer_phone: c.phone, new_datetime: when, ...(appointmentId ? { appointment_id: appointmentId } : {}) },
            list_appointments: { customer_phone: c.phone },
          }[c.tool];
          const out = await runTool(deps, c.tool, args, { platform: 'fuzz' });
          const mentioned = idsIn(out.result);
          const created = out.result.ok && (c.tool === 'book_appointment' || c.tool === 'reschedule_appointment') ? idsIn((out.result as { appointment?: unknown }).appointment) : new Set<string>();
          for (const id of created) made[c.to].add(id);
          for (const id of mentioned) {
            expect(made[c.to === 'a' ? 'b' : 'a'].has(id), `${c.tool} on ${c.to} mentioned the other business's ${id}`).toBe(false);
          }
        }
        for (const side of ['a', 'b'] as const) {
          const deps = side === 'a' ? a : b;
          const held = await deps.store.appointments.list(0, Number.MAX_SAFE_INTEGER, 100_000);
          for (const appt of held) expect(made[side].has(appt.id), `${side} holds ${appt.id} it never created`).toBe(true);
        }
      }),
      { numRuns: 25, seed: 20261202 },
    );
    // The property was exercised, not vacuous: both businesses booked.
    expect(made.a.size).toBeGreaterThan(0);
    expect(made.b.size).toBeGreaterThan(0);
  });
});
