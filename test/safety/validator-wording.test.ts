/**
 * Every INVALID_ARGUMENT sentence is ours: whatever a field holds (wrong type, too short, too long,
 * not a date, not an option), the caller never hears the validator's words ("Too small: expected
 * string to have >=10 characters").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool, TOOLS } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { MACHINE_TEXT, THIRD_PERSON, VALIDATOR_WORDS } from '../support/speakable.js';

let deps: TestDeps;
beforeAll(async () => {
  deps = await makeTestDeps({ env: { RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0' } });
});
afterAll(() => deps.cleanup());

const VALID: Record<string, Record<string, unknown>> = {
  list_services: {},
  find_available_slots: { service_name: 'haircut' },
  get_next_available: { service_name: 'haircut' },
  book_appointment: { customer_name: 'Jane Doe', customer_phone: '+15550102030', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' },
  cancel_appointment: { customer_phone: '+15550102030' },
  reschedule_appointment: { customer_phone: '+15550102030', new_datetime: '2026-11-25T10:00' },
  list_appointments: { customer_phone: '+15550102030' },
};

const BAD_VALUES: unknown[] = [42, -1, 3.5, true, [], ['x'], {}, { a: 1 }, 'x', ' ', '10am', 'tomorrow', 'x'.repeat(2000), '2026-13-45', 'morningish'];

describe('validator wording never reaches the caller', () => {
  it('the cases callers hit: "10am" and start_date "tomorrow"', async () => {
    const a = (await runTool(deps, 'book_appointment', { ...VALID.book_appointment, appointment_datetime: '10am' }, { platform: 'test' })).result;
    expect(a).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: "Sorry, I didn't catch the date and time. What day and time would you like?" });
    const b = (await runTool(deps, 'find_available_slots', { service_name: 'haircut', start_date: 'tomorrow' }, { platform: 'test' })).result;
    expect(b).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: "Sorry, I didn't catch the day. Which day would you like me to look at?" });
  });

  it('every argument of every tool, with every kind of bad value, answers in our own words', async () => {
    let checked = 0;
    for (const tool of TOOLS) {
      for (const field of [...Object.keys(tool.schema.shape), 'unexpected_field']) {
        for (const value of BAD_VALUES) {
          const { result } = await runTool(deps, tool.name, { ...VALID[tool.name], [field]: value }, { platform: 'test' });
          if (result.ok) continue;
          checked++;
          expect(result.message, `${tool.name}.${field} = ${JSON.stringify(value).slice(0, 30)}`).not.toMatch(VALIDATOR_WORDS);
          expect(result.message).not.toMatch(MACHINE_TEXT);
          expect(result.message).not.toMatch(THIRD_PERSON);
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });
});
