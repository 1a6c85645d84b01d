/**
 * The wording callers hear, reviewed as a whole: every message of a broad scripted run and one
 * sample of every message code is one line, in the second person, with no machine text (ISO dates,
 * E.164 numbers, ids, codes) and no validator wording; plus the specific sentences users reported.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { msg, type MessageCode } from '../../src/domain/messages.js';
import { formatPhone } from '../../src/domain/phone.js';
import { renderVoice, VOICE } from '../../src/render/voice.js';
import { voiceContext } from '../../src/tools/outcome.js';
import { runTool } from '../../src/tools/registry.js';
import type { ToolResult } from '../../src/tools/types.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { SAMPLES } from '../speech/samples.js';
import { scriptedRun } from '../speech/script.js';
import { MACHINE_TEXT, THIRD_PERSON, VALIDATOR_WORDS } from '../support/speakable.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const JANE = { customer_name: 'Jane Doe', customer_phone: '(555) 010-2030', service_name: 'haircut' };
const call = async (name: string, args: Record<string, unknown>): Promise<ToolResult> => (await runTool(deps, name, args, { platform: 'test' })).result;

describe('every sentence', () => {
  it('of a scripted run over three businesses, and of every message code, is speakable and in the second person', async () => {
    const spoken = await scriptedRun();
    deps = await makeTestDeps();
    const ctx = voiceContext(deps);
    for (const code of Object.keys(VOICE) as MessageCode[]) spoken.push({ business: 'samples', tool: 'render', code, message: renderVoice(msg(code, SAMPLES[code] as never), ctx) });
    // The run reaches every result code there is.
    expect(new Set(spoken.filter((s) => s.business !== 'samples').map((s) => s.code))).toEqual(
      new Set(['OK', 'INVALID_ARGUMENT', 'UNKNOWN_SERVICE', 'UNKNOWN_STAFF', 'AMBIGUOUS', 'IN_PAST', 'TOO_SOON', 'TOO_FAR', 'CLOSED', 'OUTSIDE_HOURS', 'SLOT_UNAVAILABLE', 'NOT_FOUND', 'CANCELLATION_WINDOW', 'DUPLICATE_BOOKING', 'LIMIT_REACHED', 'RATE_LIMITED', 'CALLER_MISMATCH', 'IDEMPOTENCY_MISMATCH', 'CALENDAR_UNAVAILABLE', 'UNKNOWN_TOOL', 'INTERNAL']),
    );
    for (const s of spoken) {
      const where = `[${s.business} ${s.tool} ${s.code}] ${s.message}`;
      expect(s.message, where).toMatch(/^[A-Z0-9(].*[.?]$/);
      expect(s.message, where).not.toMatch(MACHINE_TEXT);
      expect(s.message, where).not.toMatch(THIRD_PERSON);
      expect(s.message, where).not.toMatch(VALIDATOR_WORDS);
      // "9 AM", not "9:00 AM", on a 12-hour clock (the spa uses 24 hours; 24:00 is quoted as such).
      if (s.business !== 'spa') expect(s.message.replace('24:00', ''), where).not.toMatch(/:00\b/);
    }
  });
});

describe('sentences users reported', () => {
  it('a holiday: "We\'re closed on Friday, December 25 for Christmas."', async () => {
    deps = await makeTestDeps();
    const r = await call('book_appointment', { ...JANE, appointment_datetime: '2026-12-25T10:00' });
    expect(r.code).toBe('CLOSED');
    expect(r.message).toMatch(/^We're closed on Friday, December 25 for Christmas\. How about /);
  });

  it('a search on a closed day says it is closed and why, then offers the next openings', async () => {
    deps = await makeTestDeps();
    const r = await call('find_available_slots', { service_name: 'haircut', start_date: '2026-12-25' });
    expect(r.message).toBe("We're closed on Friday, December 25 for Christmas, but I have Tuesday, Wednesday or Thursday at 9 AM. Which would you like?");
    const monday = await call('find_available_slots', { service_name: 'haircut', start_date: '2026-11-30' });
    expect(monday.message).toMatch(/^We're closed on Monday, November 30, but I have Tuesday/);
  });

  it('a search ends by asking you: "Which would you like?", or "Does that work for you?" for one option', async () => {
    deps = await makeTestDeps();
    const many = await call('find_available_slots', { service_name: 'haircut' });
    expect(many.message).toMatch(/ Which would you like\?$/);
    const one = await call('find_available_slots', { service_name: 'haircut', max_results: 1 });
    expect(one.message).toBe('For a haircut, I have Tuesday, November 24 at 9 AM. Does that work for you?');
  });

  it('the business phone is spoken as the text messages show it: "(212) 555-0100", never "+12125550100"', async () => {
    deps = await makeTestDeps();
    await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' });
    deps.clock.set(deps.clock.now() + 24 * 3600_000);
    const r = await call('cancel_appointment', { customer_phone: '5550102030' });
    expect(r.code).toBe('CANCELLATION_WINDOW');
    expect(r.message).toBe("That's less than 4 hours away, so I can't cancel it here; please call us at (212) 555-0100.");
    // One formatter for voice and SMS (src/notifications/planner.ts formats the same way).
    expect(formatPhone('+12125550100', 'US')).toBe('(212) 555-0100');
    expect(formatPhone('+442079460958', 'GB')).toBe('020 7946 0958');
    expect(formatPhone('+12125550100', 'GB')).toBe('+1 212 555 0100');
    expect(formatPhone('not a number', 'US')).toBe('not a number');
  });

  it('too far ahead says how far we book', async () => {
    deps = await makeTestDeps();
    const r = await call('book_appointment', { ...JANE, appointment_datetime: '2027-01-25T10:00' });
    expect(r.message).toMatch(/^Monday, January 25 is too far out; we book up to 60 days ahead\. How about Friday, January 22 at /);
  });

  it('a booking inside the cancellation-notice window warns that changes need a call, naming the phone', async () => {
    deps = await makeTestDeps({ now: '2026-11-24T08:00' });
    const soon = await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T11:00' });
    expect(soon.ok).toBe(true);
    expect(soon.message).toBe('Booked: a haircut with Sam on Tuesday, November 24 at 11 AM, for Jane Doe. As it\'s within 4 hours, any change needs a call to (212) 555-0100.');
    const later = await call('book_appointment', { ...JANE, customer_phone: '5550102031', appointment_datetime: '2026-11-24T14:00' });
    expect(later.message).toBe('Booked: a haircut with Priya on Tuesday, November 24 at 2 PM, for Jane Doe.');
  });

  it('a business without a phone is named instead', async () => {
    deps = await makeTestDeps({ business: 'test/fixtures/open-every-day.json' });
    const ctx = { ...voiceContext(deps), business: { name: 'Corner Barbers', phoneRegion: 'US' } };
    expect(renderVoice(msg('CANCELLATION_WINDOW', { noticeMinutes: 60, action: 'move' }), ctx)).toBe("That's less than 1 hour away, so I can't move it here; please contact Corner Barbers directly.");
  });

  it('validator, unknown-tool, privacy, limit and failure sentences are short and speak to you', async () => {
    deps = await makeTestDeps({ env: { RATE_LIMIT_PHONE_PER_HOUR: '1' } });
    expect((await call('launch_rocket', {})).message).toBe("Sorry, I can't do that here. I can find open times, book, move, cancel or list appointments, and ask someone to call you back.");
    expect((await call('book_appointment', { ...JANE, customer_name: undefined, appointment_datetime: '2026-11-24T10:00' })).message).toBe('What name should I put the booking under?');
    const mismatch = await runTool(deps, 'list_appointments', { customer_phone: '5550102030' }, { platform: 'vapi', callerPhone: '+15550109999' });
    expect(mismatch.result.message).toBe("For privacy, I can only look up or change appointments for the number you're calling from. If it's under another number, please call from that one.");
    await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' });
    const limited = await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-25T10:00' });
    expect(limited.message).toBe('There have been too many changes from this number just now; please try later, or call us at (212) 555-0100.');
  });
});
