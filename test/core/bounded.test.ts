/**
 * Spoken lists are bounded; data fields carry the full lists (bounded too where the list is only a
 * suggestion). A spa with 1,000 services and 12 staff (test/speech/script.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import type { ToolResult } from '../../src/tools/types.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { spaBusiness } from '../speech/script.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => (await runTool(deps, name, args, { platform: 'test' })).result;
const PHONE = '020 7946 0123';

describe('with 1,000 services and 12 staff', () => {
  it('list_services names a few and counts the rest; the data has all 1,000', async () => {
    deps = await makeTestDeps({ business: spaBusiness() });
    const r = await call('list_services', {});
    expect(r.message).toBe('We offer classic massage, express massage, deluxe massage, signature massage and 996 more; which kind of service are you after?');
    expect(r.services).toHaveLength(1000);
  });

  it('an unknown service names the nearest few, not all 1,000, in speech and data', async () => {
    deps = await makeTestDeps({ business: spaBusiness() });
    const r = await call('find_available_slots', { service_name: 'hot stone masage deluxe' });
    expect(r.code).toBe('UNKNOWN_SERVICE');
    expect(r.message.length).toBeLessThan(200);
    expect(r.message).toMatch(/^We don't offer hot stone masage deluxe\. We have .+ and 997 more; which kind of service are you after\?$/);
    expect(r.services).toHaveLength(3);
    expect((r.services as string[]).every((n) => /hot stone|massage/i.test(n))).toBe(true);
    expect(r.service_count).toBe(1000);
  });

  it('an unknown staff member names a few of the team and counts the rest', async () => {
    deps = await makeTestDeps({ business: spaBusiness() });
    const r = await call('find_available_slots', { service_name: 'Express massage', staff_name: 'Zebedee' });
    expect(r.code).toBe('UNKNOWN_STAFF');
    expect(r.message).toMatch(/^There's nobody called Zebedee here\. Our team includes \w+, \w+, \w+ and 9 more; who would you like, or is anyone fine\?$/);
    expect(r.staff).toHaveLength(3);
    expect(r.staff_count).toBe(12);
  });

  it('the next opening with 12 people free names one and counts the others', async () => {
    deps = await makeTestDeps({ business: spaBusiness() });
    const r = await call('get_next_available', { service_name: 'Express massage' });
    expect(r.message).toBe('The next opening for an express massage is Monday, November 23 at 9:00 with Dr. Amelia Hartley or 11 others. Shall I book it?');
    expect((r.slot as { staff: string[] }).staff).toHaveLength(12);
  });

  it('twelve upcoming appointments: the count and the next two are spoken, all twelve are in the data', async () => {
    deps = await makeTestDeps({ business: spaBusiness(), env: { RATE_LIMIT_PHONE_PER_HOUR: '0' } });
    // Twelve days in December, Sundays (closed) left out.
    for (const d of [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 14]) {
      const b = await call('book_appointment', { customer_name: 'Olivia Bennett', customer_phone: PHONE, service_name: 'Express massage', appointment_datetime: `2026-12-${String(d).padStart(2, '0')}T10:00` });
      expect(b.ok, b.message).toBe(true);
    }
    const list = await call('list_appointments', { customer_phone: PHONE });
    expect(list.message).toBe('You have 12 upcoming appointments; the next two are an express massage with Dr. Amelia Hartley on Tuesday, December 1 at 10:00 and Wednesday at 10:00.');
    expect(list.appointments).toHaveLength(12);
    const which = await call('cancel_appointment', { customer_phone: PHONE });
    expect(which.code).toBe('AMBIGUOUS');
    expect(which.message).toBe('Which of your 12 upcoming appointments should I cancel? The next is an express massage with Dr. Amelia Hartley on Tuesday, December 1 at 10:00.');
    expect(which.appointments).toHaveLength(12);
    const wrong = await call('cancel_appointment', { customer_phone: PHONE, appointment_id: 'apt_nope' });
    expect(wrong.message).toBe("I couldn't find that one among your 12 upcoming appointments. Which day and time is it?");
  });
});
