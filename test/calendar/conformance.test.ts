/**
 * The provider contract (src/calendar/provider.ts), checked the same way on every provider: the
 * embedded calendar, Google (fake), Microsoft 365 (Graph fake) and CalDAV (a real Radicale).
 * Cases a provider cannot express are skipped by name, so the report shows what ran where.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarEventInput, Interval } from '../../src/calendar/provider.js';
import { CalendarUnavailableError, NotFoundError } from '../../src/domain/errors.js';
import { radicaleMissing } from './radicale.js';
import { caldavSubject, embeddedSubject, googleSubject, HOUR, microsoftSubject, MIN, TZ, type Subject } from './subjects.js';

// Fixed dates, never "today": Tuesday 2026-11-24 in New York, and the 2027 DST changes.
const DAY0 = Date.parse('2026-11-24T05:00:00Z'); // local midnight
const at = (hours: number) => DAY0 + hours * HOUR;
const day = (d: number): Interval => ({ start: DAY0 + d * 24 * HOUR, end: DAY0 + (d + 1) * 24 * HOUR });

let seq = 0;
function booking(calendarId: string, start: number, over: Partial<CalendarEventInput> = {}): CalendarEventInput {
  seq++;
  return {
    appointmentId: `apt_conf${String(seq).padStart(4, '0')}${Math.random().toString(36).slice(2, 8)}`,
    calendarId,
    start,
    end: start + 45 * MIN,
    blockStart: start - 10 * MIN,
    blockEnd: start + 60 * MIN,
    summary: 'Haircut - Jane Doe',
    description: 'Customer: Jane Doe\nPhone: +12125550123',
    timeZone: TZ,
    customerPhone: '+12125550123',
    serviceId: 'haircut',
    ...over,
  };
}

async function busyOf(s: Subject, cal: string, range: Interval): Promise<Interval[]> {
  const fb = await s.provider.freeBusy([cal], range);
  expect(fb.errors.get(cal)).toBeUndefined();
  return fb.busy.get(cal) ?? [];
}

const factories: [string, () => Promise<Subject>, string | undefined][] = [
  ['embedded', embeddedSubject, undefined],
  ['google', googleSubject, undefined],
  ['microsoft', microsoftSubject, undefined],
  ['caldav', caldavSubject, radicaleMissing()],
];

describe.each(factories)('%s provider conformance', (name, make, missing) => {
  // The embedded calendar holds only Bookline's own events and has no server to fail.
  const remote = name !== 'embedded';
  let s: Subject;
  beforeAll(async () => {
    if (missing) throw new Error(missing);
    s = await make();
  }, 120_000);
  afterAll(async () => {
    await s?.provider.settled();
    await s?.close();
  });

  it('reports a booking as busy from buffer start to buffer end, on its own calendar only', async () => {
    const [a, b] = s.calendars;
    const input = booking(a, at(34)); // Wednesday 10:00
    await s.provider.createEvent(input);
    expect(await busyOf(s, a, day(1))).toEqual([{ start: input.blockStart, end: input.blockEnd }]);
    expect(await busyOf(s, b, day(1))).toEqual([]);
    // A range that ends where the booking starts does not see it (half-open intervals).
    expect(await busyOf(s, a, { start: day(1).start, end: input.blockStart })).toEqual([]);
  });

  it('creates idempotently: a retry with the same key returns the same event and stores one', async () => {
    const cal = s.calendars[1];
    const before = await s.liveCount(cal);
    const input = booking(cal, at(36));
    const first = await s.provider.createEvent(input);
    const again = await s.provider.createEvent(input);
    expect(again.eventId).toBe(first.eventId);
    expect(await s.liveCount(cal)).toBe(before + 1);
  });

  it('moves an event: busy at the new time, free at the old one', async () => {
    const cal = s.calendars[0];
    const input = booking(cal, at(24 * 2 + 10)); // Thursday 10:00
    const { eventId } = await s.provider.createEvent(input);
    const to = at(24 * 2 + 14);
    await s.provider.moveEvent(cal, eventId, { start: to, end: to + 45 * MIN, blockStart: to, blockEnd: to + HOUR });
    expect(await busyOf(s, cal, day(2))).toEqual([{ start: to, end: to + HOUR }]);
  });

  it('deletes: the time is free again, a second delete succeeds, moving a deleted event is NotFound', async () => {
    const cal = s.calendars[0];
    const input = booking(cal, at(24 * 3 + 10));
    const { eventId } = await s.provider.createEvent(input);
    await s.provider.cancelEvent(cal, eventId);
    expect(await busyOf(s, cal, day(3))).toEqual([]);
    await s.provider.cancelEvent(cal, eventId);
    const to = at(24 * 3 + 12);
    await expect(s.provider.moveEvent(cal, eventId, { start: to, end: to + HOUR, blockStart: to, blockEnd: to + HOUR })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('removes by key what a create left, without knowing the event id', async () => {
    const cal = s.calendars[1];
    const input = booking(cal, at(24 * 3 + 15));
    await s.provider.createEvent(input);
    expect(await s.provider.removeByKey(cal, input.appointmentId)).toBe(true);
    expect(await busyOf(s, cal, day(3))).toEqual([]);
    // Nothing left: still a success.
    await s.provider.removeByKey(cal, input.appointmentId);
  });

  it('keeps wall-clock times across the spring-forward and fall-back nights (New York, 2027)', async () => {
    const cal = s.calendars[1];
    // 2027-03-14: 02:00 EST jumps to 03:00 EDT. A 09:00 booking is 13:00Z, not 14:00Z.
    const spring = Date.parse('2027-03-14T13:00:00Z');
    await s.provider.createEvent(booking(cal, spring, { blockStart: spring, blockEnd: spring + HOUR }));
    // 2027-11-07: 02:00 EDT falls back to 01:00 EST. A 09:00 booking is 14:00Z.
    const fall = Date.parse('2027-11-07T14:00:00Z');
    await s.provider.createEvent(booking(cal, fall, { blockStart: fall, blockEnd: fall + HOUR }));
    expect(await busyOf(s, cal, { start: Date.parse('2027-03-14T05:00:00Z'), end: Date.parse('2027-03-15T04:00:00Z') })).toEqual([{ start: spring, end: spring + HOUR }]);
    expect(await busyOf(s, cal, { start: Date.parse('2027-11-07T04:00:00Z'), end: Date.parse('2027-11-08T05:00:00Z') })).toEqual([{ start: fall, end: fall + HOUR }]);
  });

  it.skipIf(!remote)('reads events the staff member made in local time across the DST change', async () => {
    const cal = s.calendars[0];
    // 01:00 EST to 04:00 EDT on the spring-forward night: two real hours.
    await s.addForeign(cal, { kind: 'local', start: '2027-03-14T01:00:00', end: '2027-03-14T04:00:00', zone: TZ });
    expect(await busyOf(s, cal, { start: Date.parse('2027-03-14T05:00:00Z') - 2 * HOUR, end: Date.parse('2027-03-14T12:00:00Z') })).toEqual([
      { start: Date.parse('2027-03-14T06:00:00Z'), end: Date.parse('2027-03-14T08:00:00Z') },
    ]);
  });

  it.skipIf(!remote)('blocks a whole local day for an all-day event', async () => {
    const cal = s.calendars[0];
    await s.addForeign(cal, { kind: 'allday', date: '2026-12-15', endDate: '2026-12-16' });
    const busy = await busyOf(s, cal, { start: Date.parse('2026-12-14T12:00:00Z'), end: Date.parse('2026-12-16T12:00:00Z') });
    expect(busy).toEqual([{ start: Date.parse('2026-12-15T05:00:00Z'), end: Date.parse('2026-12-16T05:00:00Z') }]);
  });

  it.skipIf(!remote)('ignores transparent (free) and cancelled events; opaque and tentative ones block', async () => {
    const cal = s.calendars[1];
    const d = Date.parse('2026-12-17T05:00:00Z');
    await s.addForeign(cal, { kind: 'timed', start: d + 9 * HOUR, end: d + 10 * HOUR, transparent: true });
    await s.addForeign(cal, { kind: 'timed', start: d + 11 * HOUR, end: d + 12 * HOUR, cancelled: true });
    await s.addForeign(cal, { kind: 'timed', start: d + 13 * HOUR, end: d + 14 * HOUR });
    await s.addForeign(cal, { kind: 'timed', start: d + 15 * HOUR, end: d + 16 * HOUR, tentative: true });
    expect(await busyOf(s, cal, { start: d, end: d + 24 * HOUR })).toEqual([
      { start: d + 13 * HOUR, end: d + 14 * HOUR },
      { start: d + 15 * HOUR, end: d + 16 * HOUR },
    ]);
  });

  it.skipIf(!remote)('reports a calendar it cannot read in errors, without failing the others', async () => {
    const fb = await s.provider.freeBusy([s.calendars[0], s.unreadable], day(5));
    expect(fb.errors.has(s.unreadable)).toBe(true);
    expect(fb.busy.has(s.unreadable)).toBe(false);
    expect(fb.busy.get(s.calendars[0])).toEqual([]);
  });

  it.skipIf(!remote)('rides out throttling and a server error on reads and creates (retried through the policy)', async () => {
    const cal = s.calendars[0];
    s.inject!('throttled', 1, 'read');
    expect(await busyOf(s, cal, day(6))).toEqual([]);
    s.inject!('server-error', 1, 'create');
    const input = booking(cal, at(24 * 6 + 10));
    await s.provider.createEvent(input);
    expect(await busyOf(s, cal, day(6))).toEqual([{ start: input.blockStart, end: input.blockEnd }]);
  });

  it.skipIf(!remote)('adopts the event when the answer of a create was lost and the retry hits the same key', async () => {
    const cal = s.calendars[1];
    const before = await s.liveCount(cal);
    s.inject!('lost-answer', 1, 'create');
    const input = booking(cal, at(24 * 6 + 12));
    await s.provider.createEvent(input);
    expect(await s.liveCount(cal)).toBe(before + 1);
  });

  it.skipIf(!remote)('leaves no event behind when every attempt of a create lost its answer', async () => {
    const cal = s.calendars[1];
    const before = await s.liveCount(cal);
    s.inject!('lost-answer', 3, 'create');
    await expect(s.provider.createEvent(booking(cal, at(24 * 6 + 15)))).rejects.toBeInstanceOf(CalendarUnavailableError);
    await s.provider.settled();
    expect(await s.liveCount(cal)).toBe(before);
    expect(s.orphans).toEqual([]);
  });

  it.skipIf(!remote)('answers CalendarUnavailableError during an outage, changes nothing, and recovers', async () => {
    const cal = s.calendars[0];
    const before = await s.liveCount(cal);
    const outage = await s.outage();
    try {
      await expect(s.provider.freeBusy([cal], day(7))).rejects.toBeInstanceOf(CalendarUnavailableError);
      await expect(s.provider.createEvent(booking(cal, at(24 * 7 + 10)))).rejects.toBeInstanceOf(CalendarUnavailableError);
    } finally {
      await outage.restore();
    }
    await s.provider.settled();
    expect(await s.liveCount(cal)).toBe(before);
    expect(await busyOf(s, cal, day(7))).toEqual([]);
  });
});
