import { afterEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import type { ToolResult } from '../../src/tools/types.js';
import { local, makeTestDeps, type TestDeps } from '../helpers.js';
import { rawSql } from '../support/sql.js';
import { callLog } from '../support/store.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

/** Events on the calendar for a phone, orphans included: the ports only reach events through their appointment. */
async function confirmedEventsOf(d: TestDeps, phone: string) {
  const sql = `SELECT start_ms FROM calendar_events WHERE business_id = ? AND status = 'confirmed' AND customer_phone = ? ORDER BY start_ms`;
  return (await rawSql<{ start_ms: number }>(d.root, sql, [d.store.businessId, phone])).rows;
}

async function call(name: string, args: Record<string, unknown>, meta: Record<string, string> = {}): Promise<ToolResult> {
  return (await runTool(deps, name, args, { platform: 'test', ...meta })).result;
}

const JANE = { customer_name: 'Jane Doe', customer_phone: '(555) 010-2030', service_name: 'haircut' };

function expectSpeakable(r: ToolResult) {
  expect(r.message).not.toMatch(/UTC|\d{4}-\d{2}-\d{2}T|\n/);
  expect(r.message.length).toBeGreaterThan(10);
}

describe('list_services', () => {
  it('speaks the catalog with durations', async () => {
    deps = await makeTestDeps();
    const r = await call('list_services', {});
    expect(r.ok).toBe(true);
    expect(r.message).toBe('We offer haircut (45 minutes), hair color (2 hours), beard trim (20 minutes) and consultation (15 minutes). Which would you like?');
    expect((r.services as unknown[]).length).toBe(4);
  });
});

describe('find_available_slots', () => {
  it('offers about five slots spread over different days, spoken in local time', async () => {
    deps = await makeTestDeps();
    const r = await call('find_available_slots', { service_name: 'Hair cut' });
    expect(r.ok).toBe(true);
    expectSpeakable(r);
    const slots = r.slots as { start: string; staff: string[] }[];
    expect(slots).toHaveLength(5);
    expect(new Set(slots.map((s) => s.start.slice(0, 10))).size).toBe(5);
    // Monday is closed; Tuesday opens at 09:00 (now is Monday 08:00, notice 2 h).
    expect(slots[0]!.start).toBe('2026-11-24T09:00:00-05:00');
    // The data carries five; the sentence speaks three, the date said once and then weekdays.
    expect(r.message).toBe('For a haircut, I have Tuesday, November 24, Wednesday or Friday at 9 AM. Which would you like?');
    // Thanksgiving (Thursday 26th) is a holiday.
    expect(slots.some((s) => s.start.startsWith('2026-11-26'))).toBe(false);
  });

  it('aliases find the service ("cut", "trim")', async () => {
    deps = await makeTestDeps();
    for (const name of ['cut', 'trim', 'HAIRCUT', 'hair-cut']) {
      const r = await call('find_available_slots', { service_name: name, max_results: 1 });
      expect((r.service as { id: string }).id).toBe('haircut');
    }
  });

  it('a single day spreads times through that day and honours time_of_day', async () => {
    deps = await makeTestDeps();
    const r = await call('find_available_slots', { service_name: 'haircut', start_date: '2026-11-24', time_of_day: 'afternoon' });
    const starts = (r.slots as { start: string }[]).map((s) => s.start.slice(11, 16));
    expect(starts.length).toBe(5);
    expect(starts[0]).toBe('13:30');
    for (const t of starts) expect(t >= '12:00' && t < '17:00').toBe(true);
    expect(new Set(starts).size).toBe(5);
  });

  it('a closed day answers with the next openings instead of a dead end', async () => {
    deps = await makeTestDeps();
    const r = await call('find_available_slots', { service_name: 'haircut', start_date: '2026-11-26' });
    expect(r.ok).toBe(true);
    expect(r.message).toBe(
      "We're closed on Thursday, November 26 for Thanksgiving, but I have Friday, Saturday or Tuesday at 9 AM. Which would you like?",
    );
  });

  it('a named staff member limits the search and the slots carry staff', async () => {
    deps = await makeTestDeps();
    const r = await call('find_available_slots', { service_name: 'haircut', staff_name: 'jordan' });
    const slots = r.slots as { staff_ids: string[]; start: string }[];
    expect(slots.every((s) => s.staff_ids.length === 1 && s.staff_ids[0] === 'jordan')).toBe(true);
    // Jordan works Wednesday from 12:00.
    expect(slots[0]!.start).toBe('2026-11-25T12:00:00-05:00');
  });

  it('OpenAI strict-mode nulls are treated as absent', async () => {
    deps = await makeTestDeps();
    const r = await call('find_available_slots', { service_name: 'haircut', start_date: null, end_date: null, time_of_day: null, staff_name: null, max_results: null });
    expect(r.ok).toBe(true);
  });

  it('unknown service and staff get a sentence listing the real ones', async () => {
    deps = await makeTestDeps();
    const s = await call('find_available_slots', { service_name: 'perm' });
    expect(s.code).toBe('UNKNOWN_SERVICE');
    expect(s.message).toBe("We don't offer perm. We offer haircut, hair color, beard trim and consultation; which would you like?");
    const p = await call('find_available_slots', { service_name: 'haircut', staff_name: 'Bob' });
    expect(p.code).toBe('UNKNOWN_STAFF');
    expect(p.message).toBe("There's nobody called Bob here. Our team is Sam, Priya and Jordan; would you like one of them, or anyone available?");
    const c = await call('find_available_slots', { service_name: 'color', staff_name: 'Sam' });
    expect(c.code).toBe('UNKNOWN_STAFF');
    expect(c.message).toBe("Sam doesn't do hair color; Priya or Jordan can. Would one of them work?");
  });
});

describe('get_next_available', () => {
  it('returns the earliest opening and respects "after"', async () => {
    deps = await makeTestDeps();
    const a = await call('get_next_available', { service_name: 'beard trim' });
    expect(a.message).toBe('The next opening for a beard trim is Tuesday, November 24 at 9 AM with Sam. Shall I book it?');
    const b = await call('get_next_available', { service_name: 'beard trim', after: '2026-11-24T17:50' });
    expect((b.slot as { start: string }).start).toBe('2026-11-25T09:00:00-05:00');
  });
});

describe('book_appointment rules are enforced at write time', () => {
  const at = (when: string) => call('book_appointment', { ...JANE, appointment_datetime: when });

  it('books, normalises the phone, and answers in local time', async () => {
    deps = await makeTestDeps();
    const r = await at('2026-11-24T14:30');
    expect(r.ok).toBe(true);
    expect(r.message).toBe('Booked: a haircut with Sam on Tuesday, November 24 at 2:30 PM, for Jane Doe.');
    const appt = r.appointment as Record<string, any>;
    expect(appt.customer.phone).toBe('+15550102030');
    expect(appt.start).toBe('2026-11-24T14:30:00-05:00');
    expect(appt.end).toBe('2026-11-24T15:15:00-05:00');
    expect(appt.status).toBe('confirmed');
  });

  it.each([
    ['2026-11-23T07:00', 'IN_PAST', /has already passed/],
    ['2026-11-23T09:00', 'TOO_SOON', /too soon/],
    ['2027-01-25T10:00', 'TOO_FAR', /^Monday, January 25 is too far out; we book up to 60 days ahead\. How about Friday, January 22 at /],
    ['2026-11-26T10:00', 'CLOSED', /^We're closed on Thursday, November 26 for Thanksgiving\. How about /],
    ['2026-11-30T10:00', 'CLOSED', /^We're closed on Monday, November 30\. How about Tuesday at /],
    ['2026-11-24T12:00', 'OUTSIDE_HOURS', /outside our opening hours/],
    ['2026-11-24T17:30', 'OUTSIDE_HOURS', /outside our opening hours/],
    ['2026-11-24T10:07', 'SLOT_UNAVAILABLE', /isn't available/],
    ['2026-12-24T15:00', 'CLOSED', /^We're closed at 3 PM on Thursday, December 24 for Christmas Eve afternoon\./],
  ])('%s -> %s', async (when, code, sentence) => {
    deps = await makeTestDeps();
    const r = await at(when);
    expect(r.ok).toBe(false);
    expect(r.code).toBe(code);
    expect(r.message).toMatch(sentence);
    expectSpeakable(r);
    expect((r.alternatives as unknown[]).length).toBeGreaterThan(0);
  });

  it('an offset in the date-time is honoured (17:30Z is 12:30 local: a break)', async () => {
    deps = await makeTestDeps();
    const r = await at('2026-11-24T17:30:00Z');
    expect(r.code).toBe('OUTSIDE_HOURS');
    const ok = await at('2026-11-24T15:30:00Z');
    expect((ok.appointment as { start: string }).start).toBe('2026-11-24T10:30:00-05:00');
  });

  it('a 60-min service with a 15-min after-buffer cannot start 30 min before another booking', async () => {
    deps = await makeTestDeps({
      business: {
        business: { name: 'B', timeZone: 'America/New_York' },
        hours: { tuesday: ['09:00-17:00'] },
        booking: { minNoticeMinutes: 0 },
        services: [{ id: 'long', name: 'Long', durationMinutes: 60, bufferAfterMinutes: 15 }, { id: 'short', name: 'Short', durationMinutes: 30 }],
        staff: [{ id: 'a', name: 'Ann' }],
      },
    });
    expect((await call('book_appointment', { ...JANE, service_name: 'short', appointment_datetime: '2026-11-24T13:00' })).ok).toBe(true);
    const tooClose = await call('book_appointment', { ...JANE, customer_phone: '5550102031', service_name: 'long', appointment_datetime: '2026-11-24T12:30' });
    expect(tooClose.code).toBe('SLOT_UNAVAILABLE');
    // 12:00-13:00 does not touch 13:00-13:30, but its 15-minute clean-up does.
    const bufferOnly = await call('book_appointment', { ...JANE, customer_phone: '5550102031', service_name: 'long', appointment_datetime: '2026-11-24T12:00' });
    expect(bufferOnly.code).toBe('SLOT_UNAVAILABLE');
    expect(bufferOnly.alternatives).toContainEqual(expect.objectContaining({ start: '2026-11-24T11:45:00-05:00' }));
    // And the search never offers it in the first place.
    const offered = await call('find_available_slots', { service_name: 'long', start_date: '2026-11-24T11:00', end_date: '2026-11-24T14:00', max_results: 20 });
    const starts = (offered.slots as { start: string }[]).map((x) => x.start.slice(11, 16));
    expect(starts).toContain('11:45');
    expect(starts).not.toContain('12:00');
    expect(starts).not.toContain('12:30');
    const fits = await call('book_appointment', { ...JANE, customer_phone: '5550102031', service_name: 'long', appointment_datetime: '2026-11-24T11:45' });
    expect(fits.ok).toBe(true);
  });

  it('the slot a search offers is bookable, and once booked is no longer offered', async () => {
    deps = await makeTestDeps();
    const found = await call('find_available_slots', { service_name: 'color', start_date: '2026-11-25', max_results: 20 });
    const first = (found.slots as { start: string; staff_ids: string[] }[])[0]!;
    const booked = await call('book_appointment', { ...JANE, service_name: 'color', appointment_datetime: first.start });
    expect(booked.ok).toBe(true);
    const again = await call('find_available_slots', { service_name: 'color', start_date: '2026-11-25', max_results: 20 });
    const same = (again.slots as { start: string; staff_ids: string[] }[]).find((s) => s.start === first.start);
    expect(same?.staff_ids.length ?? 0).toBe(first.staff_ids.length - 1);
  });

  it('staff is assigned to the free eligible person with the fewest bookings that day', async () => {
    deps = await makeTestDeps();
    const r1 = await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-28T09:00', staff_name: 'Sam' });
    const r2 = await call('book_appointment', { ...JANE, customer_phone: '5550102031', appointment_datetime: '2026-11-28T13:00' });
    expect((r1.appointment as any).staff.id).toBe('sam');
    expect((r2.appointment as any).staff.id).toBe('priya');
  });

  it('time off blocks booking', async () => {
    deps = await makeTestDeps();
    await (deps.calendar as import('../../src/calendar/embedded.js').EmbeddedCalendar).addBlock('blk_1', 'sam', local('2026-11-24T09:00'), local('2026-11-24T18:00'), 'Off');
    const r = await call('book_appointment', { ...JANE, staff_name: 'Sam', appointment_datetime: '2026-11-24T10:00' });
    expect(r.code).toBe('SLOT_UNAVAILABLE');
    expect(r.message).toMatch(/^Tuesday, November 24 at 10 AM isn't available with Sam\. How about Wednesday at /);
  });

  it.each([
    [{ appointment_datetime: '2026-02-30T10:00' }, /^Sorry, I didn't catch the date and time\. What day and time would you like\?$/],
    [{ appointment_datetime: 'tomorrow at 25:00' }, /^Sorry, I didn't catch the date and time/],
    [{ appointment_datetime: '10am' }, /^Sorry, I didn't catch the date and time/],
    [{ appointment_datetime: '2026-11-24' }, /^What time on Tuesday, November 24 works for you\?$/],
    [{ appointment_datetime: '2027-03-14T02:30' }, /^2:30 AM doesn't exist that day because the clocks change\./],
    [{ customer_phone: '12' }, /^Sorry, I didn't catch the phone number|doesn't sound complete/],
    [{ customer_phone: 'call me maybe' }, /^That phone number doesn't sound complete\. Could you say it again with the area code\?$/],
    [{ customer_name: undefined }, /^What name should I put the booking under\?$/],
    [{ customer_email: 'not-an-email' }, /^That email address doesn't sound right/],
    [{ date: '2026-11-24' }, /^Sorry, that didn't go through properly on my side/],
  ])('bad input %o is INVALID_ARGUMENT with a sentence', async (patch, sentence) => {
    deps = await makeTestDeps();
    const outcome = await runTool(deps, 'book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00', ...patch }, { platform: 'test' });
    expect(outcome.kind).toBe('invalid');
    expect(outcome.result.code).toBe('INVALID_ARGUMENT');
    expect(outcome.result.message).toMatch(sentence);
  });

  it('string arguments (as platforms send them) are parsed; garbage is refused', async () => {
    deps = await makeTestDeps();
    const ok = await runTool(deps, 'list_services', '{}', { platform: 'test' });
    expect(ok.result.ok).toBe(true);
    const bad = await runTool(deps, 'list_services', '{nope', { platform: 'test' });
    expect(bad.result.code).toBe('INVALID_ARGUMENT');
    const arr = await runTool(deps, 'list_services', [1, 2], { platform: 'test' });
    expect(arr.result.code).toBe('INVALID_ARGUMENT');
    const unknown = await runTool(deps, 'drop_tables', {}, { platform: 'test' });
    expect(unknown.kind).toBe('unknown_tool');
  });
});

describe('cancel, reschedule, list', () => {
  async function bookTwo() {
    await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' });
    await call('book_appointment', { ...JANE, service_name: 'beard trim', appointment_datetime: '2026-11-25T15:00' });
  }

  it('lists upcoming appointments by phone in any format', async () => {
    deps = await makeTestDeps();
    await bookTwo();
    const r = await call('list_appointments', { customer_phone: '+1 555-010-2030' });
    expect(r.message).toBe('You have 2 upcoming appointments: a haircut with Sam on Tuesday, November 24 at 10 AM and a beard trim with Sam on Wednesday at 3 PM.');
    const none = await call('list_appointments', { customer_phone: '555 999 0000' });
    expect(none.message).toBe("I don't see any upcoming appointments for this phone number.");
  });

  it('cancel with several upcoming cancels nothing and lists them; with an id cancels that one', async () => {
    deps = await makeTestDeps();
    await bookTwo();
    const amb = await call('cancel_appointment', { customer_phone: '5550102030' });
    expect(amb.code).toBe('AMBIGUOUS');
    expect(amb.message).toBe('Which one should I cancel: a haircut with Sam on Tuesday, November 24 at 10 AM or a beard trim with Sam on Wednesday at 3 PM?');
    const list = amb.appointments as { id: string; service: { id: string } }[];
    expect((await call('list_appointments', { customer_phone: '5550102030' })).appointments).toHaveLength(2);
    const beard = list.find((a) => a.service.id === 'beard-trim')!;
    const done = await call('cancel_appointment', { customer_phone: '5550102030', appointment_id: beard.id, reason: 'sick' });
    expect(done.message).toBe('Cancelled the beard trim with Sam on Wednesday, November 25 at 3 PM.');
    expect((await call('list_appointments', { customer_phone: '5550102030' })).appointments).toHaveLength(1);
    // Now only one: no id needed.
    expect((await call('cancel_appointment', { customer_phone: '5550102030' })).ok).toBe(true);
    expect((await call('cancel_appointment', { customer_phone: '5550102030' })).code).toBe('NOT_FOUND');
  });

  it("someone else's appointment id is NOT_FOUND for this phone", async () => {
    deps = await makeTestDeps();
    const r = await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' });
    const id = (r.appointment as { id: string }).id;
    const other = await call('cancel_appointment', { customer_phone: '5550109999', appointment_id: id });
    expect(other.code).toBe('NOT_FOUND');
  });

  it('inside the cancellation window a cancel or move is refused', async () => {
    deps = await makeTestDeps();
    await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' });
    deps.clock.set(local('2026-11-24T07:00'));
    const r = await call('cancel_appointment', { customer_phone: '5550102030' });
    expect(r.code).toBe('CANCELLATION_WINDOW');
    expect(r.message).toMatch(/less than 4 hours away/);
    const m = await call('reschedule_appointment', { customer_phone: '5550102030', new_datetime: '2026-11-25T10:00' });
    expect(m.code).toBe('CANCELLATION_WINDOW');
  });

  it('reschedule moves atomically; a taken time leaves the old appointment in place', async () => {
    deps = await makeTestDeps();
    await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00', staff_name: 'Sam' });
    await call('book_appointment', { ...JANE, customer_phone: '5550102031', appointment_datetime: '2026-11-24T14:00', staff_name: 'Sam' });
    const taken = await call('reschedule_appointment', { customer_phone: '5550102030', new_datetime: '2026-11-24T14:00' });
    expect(taken.code).toBe('SLOT_UNAVAILABLE');
    expect(taken.message).toMatch(/isn't available with Sam/);
    const still = await call('list_appointments', { customer_phone: '5550102030' });
    expect((still.appointments as { start: string }[])[0]!.start).toBe('2026-11-24T10:00:00-05:00');

    // Moving onto its own time (overlapping itself) is fine: 10:00 -> 10:15.
    const moved = await call('reschedule_appointment', { customer_phone: '5550102030', new_datetime: '2026-11-24T10:15' });
    expect(moved.ok).toBe(true);
    expect(moved.message).toBe('Moved the haircut to Tuesday, November 24 at 10:15 AM with Sam; it was 10 AM.');
    const events = await confirmedEventsOf(deps, '+15550102030');
    expect(events.map((e) => e.start_ms)).toEqual([local('2026-11-24T10:15')]);
  });

  it('without a requested staff member, a move can go to someone else who is free', async () => {
    deps = await makeTestDeps();
    await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:00' }); // Sam (config order)
    await call('book_appointment', { ...JANE, customer_phone: '5550102031', appointment_datetime: '2026-11-24T15:00', staff_name: 'Sam' });
    const r = await call('reschedule_appointment', { customer_phone: '5550102030', new_datetime: '2026-11-24T15:00' });
    expect(r.ok).toBe(true);
    expect((r.appointment as any).staff.id).toBe('priya');
    const upcoming = await call('list_appointments', { customer_phone: '5550102030' });
    expect(upcoming.appointments).toHaveLength(1);
    expect(await confirmedEventsOf(deps, '+15550102030')).toHaveLength(1);
  });
});

describe('call log', () => {
  it('logs every call with platform, ids, caller, args, code and latency', async () => {
    deps = await makeTestDeps();
    await runTool(deps, 'list_services', {}, { platform: 'vapi', callId: 'c1', toolCallId: 't1', callerPhone: '+15550102030' });
    await runTool(deps, 'book_appointment', { service_name: 'x' }, { platform: 'http' });
    const [second, first] = await callLog(deps, 10);
    expect(first).toMatchObject({ platform: 'vapi', call_id: 'c1', tool_call_id: 't1', caller: '+15550102030', tool: 'list_services', ok: true, code: null });
    expect(first!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(second).toMatchObject({ platform: 'http', tool: 'book_appointment', ok: false, code: 'INVALID_ARGUMENT', args: { service_name: 'x' } });
  });
});

describe('how many options a search returns and speaks', () => {
  it('max_results above 20 is clamped to 20 and answered (it was refused as "too long")', async () => {
    deps = await makeTestDeps();
    const out = await runTool(deps, 'find_available_slots', { service_name: 'haircut', max_results: 50 }, { platform: 'test' });
    expect(out.result.ok).toBe(true);
    expect(out.result.slots).toHaveLength(20);
    const fewer = await call('find_available_slots', { service_name: 'haircut', max_results: 3.6 });
    expect(fewer.slots).toHaveLength(4);
    const zero = await call('find_available_slots', { service_name: 'haircut', max_results: 0 });
    expect(zero.slots).toHaveLength(1);
  });

  it('the sentence speaks the best three of the data slots, grouped by day, the date said once', async () => {
    deps = await makeTestDeps();
    for (const max_results of [5, 20]) {
      const out = await runTool(deps, 'find_available_slots', { service_name: 'haircut', max_results }, { platform: 'test' });
      const spoken = (out.say as { params: { starts: number[] } }).params.starts;
      expect(spoken.length).toBe(3);
      const data = (out.result.slots as { start: string }[]).map((s) => Date.parse(s.start));
      for (const s of spoken) expect(data).toContain(s);
      expect(out.result.message.match(/November/g)).toHaveLength(1);
    }
    const day = await call('find_available_slots', { service_name: 'haircut', start_date: '2026-11-24', max_results: 20 });
    expect(day.slots).toHaveLength(20);
    expect(day.message).toBe('For a haircut, I have Tuesday, November 24 at 9 AM, 2 or 5:15 PM. Which would you like?');
  });

  it('a refusal offers three alternatives or fewer', async () => {
    deps = await makeTestDeps();
    const r = await call('book_appointment', { ...JANE, appointment_datetime: '2026-11-24T10:07' });
    expect((r.alternatives as unknown[]).length).toBe(3);
  });
});
