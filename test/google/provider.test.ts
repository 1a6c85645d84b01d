import { afterEach, describe, expect, it } from 'vitest';
import { appointmentIdFromGoogleEventId, googleEventIdFor, PROP } from '../../src/calendar/google.js';
import { CalendarUnavailableError, NotFoundError } from '../../src/domain/errors.js';
import { bookingInput, harness, HOUR, MIN, NOW, STAFF, TZ, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** The first two days from NOW; bookingInput() defaults to NOW + 26 h. */
const twoDays = { start: NOW, end: NOW + 48 * HOUR };

describe('event ids', () => {
  it('derives a valid, reversible base32hex id from our appointment ids', () => {
    const id = googleEventIdFor('apt_0123456789abcdef');
    expect(id).toMatch(/^[0-9a-v]{5,1024}$/);
    expect(id).toHaveLength(32);
    expect(googleEventIdFor('apt_0123456789abcdef')).toBe(id);
    expect(googleEventIdFor('apt_0123456789abcdeg')).not.toBe(id);
    expect(appointmentIdFromGoogleEventId(id)).toBe('apt_0123456789abcdef');
    expect(appointmentIdFromGoogleEventId('nmuurbk5ru22jknkuchj1ug7cs')).toBeUndefined();
  });
});

describe('GoogleCalendarProvider against the fake', () => {
  it('creates an event covering the buffers, with business time zone, private properties and description', async () => {
    h = await harness();
    const input = bookingInput();
    const { eventId } = await h.provider.createEvent(input);
    expect(eventId).toBe(googleEventIdFor(input.appointmentId));

    const [ev] = h.fake.events(STAFF[0]!);
    expect(ev).toMatchObject({
      id: eventId,
      status: 'confirmed',
      summary: 'Haircut - Jane Doe',
      start: { dateTime: '2026-11-24T10:00:00-05:00', timeZone: TZ },
      end: { dateTime: '2026-11-24T11:00:00-05:00', timeZone: TZ },
    });
    expect(ev!.extendedProperties?.private).toEqual({
      [PROP.marker]: '1',
      [PROP.appointmentId]: input.appointmentId,
      [PROP.customerPhone]: '+12125550123',
      [PROP.serviceId]: 'haircut',
      [PROP.apptStart]: '2026-11-24T15:00:00.000Z',
      [PROP.apptEnd]: '2026-11-24T15:45:00.000Z',
    });
    expect(ev!.description).toContain('Phone: +12125550123');
    expect(ev!.description).toContain(`Appointment id: ${input.appointmentId}`);
    expect(ev!.description).toContain('15 min after');
    expect(h.fake.counts()).toMatchObject({ insert: 1, token: 1, total: 2 });

    // Free/busy reports the whole block, buffer included.
    const fb = await h.provider.freeBusy(STAFF, twoDays);
    expect(fb.errors.size).toBe(0);
    expect(fb.busy.get(STAFF[0]!)).toEqual([{ start: input.blockStart, end: input.blockEnd }]);
    expect(fb.busy.get(STAFF[1]!)).toEqual([]);
  });

  it('treats a 409 on a retried insert as success and leaves exactly one event', async () => {
    h = await harness();
    const input = bookingInput();
    // The first insert is stored, then its answer is lost; the policy retries and Google says 409.
    h.fake.inject('insert', { drop: 'after' });
    const { eventId } = await h.provider.createEvent(input);
    expect(h.fake.counts()).toMatchObject({ insert: 2, get: 1 });
    expect(h.fake.events(STAFF[0]!).map((e) => e.id)).toEqual([eventId]);

    // A whole second createEvent for the same appointment (booking layer retry) is also a no-op.
    await expect(h.provider.createEvent(input)).resolves.toEqual({ eventId });
    expect(h.fake.events(STAFF[0]!)).toHaveLength(1);
    expect(h.provider.health().ok).toBe(true);
  });

  it('revives its own tombstone when the same appointment is created again after a cancel', async () => {
    h = await harness();
    const input = bookingInput();
    const { eventId } = await h.provider.createEvent(input);
    await h.provider.cancelEvent(input.calendarId, eventId);
    expect(h.fake.events(STAFF[0]!)[0]!.status).toBe('cancelled');
    await h.provider.createEvent(input);
    const evs = h.fake.events(STAFF[0]!);
    expect(evs).toHaveLength(1);
    expect(evs[0]!.status).toBe('confirmed');
  });

  it('moves an event: new block times, new appointment times, other properties kept', async () => {
    h = await harness();
    const input = bookingInput();
    const { eventId } = await h.provider.createEvent(input);
    const start = input.start + 2 * HOUR;
    await h.provider.moveEvent(input.calendarId, eventId, { start, end: start + 45 * MIN, blockStart: start, blockEnd: start + 60 * MIN });
    const [ev] = h.fake.events(STAFF[0]!);
    expect(ev!.start).toEqual({ dateTime: '2026-11-24T12:00:00-05:00', timeZone: TZ });
    expect(ev!.end).toEqual({ dateTime: '2026-11-24T13:00:00-05:00', timeZone: TZ });
    expect(ev!.extendedProperties?.private).toMatchObject({
      [PROP.appointmentId]: input.appointmentId,
      [PROP.customerPhone]: '+12125550123',
      [PROP.apptStart]: '2026-11-24T17:00:00.000Z',
    });
    expect(h.fake.counts().patch).toBe(1);

    await expect(
      h.provider.moveEvent(input.calendarId, 'doesnotexist1', { start, end: start + 1, blockStart: start, blockEnd: start + 1 }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await h.provider.cancelEvent(input.calendarId, eventId);
    await expect(
      h.provider.moveEvent(input.calendarId, eventId, { start, end: start + MIN, blockStart: start, blockEnd: start + MIN }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('cancels as a tombstone; a second cancel (410) and an unknown id (404) both succeed', async () => {
    h = await harness();
    const input = bookingInput();
    const { eventId } = await h.provider.createEvent(input);
    await h.provider.cancelEvent(input.calendarId, eventId);
    await h.provider.cancelEvent(input.calendarId, eventId);
    await h.provider.cancelEvent(input.calendarId, 'neverexisted1');
    expect(h.fake.counts().delete).toBe(3);
    expect(h.fake.events(STAFF[0]!)[0]!.status).toBe('cancelled');
    const fb = await h.provider.freeBusy([input.calendarId], twoDays);
    expect(fb.busy.get(input.calendarId)).toEqual([]);
  });

  it('does not let transparent or cancelled events block time; foreign opaque events do', async () => {
    h = await harness();
    const at = (hoursFromNow: number) => new Date(NOW + hoursFromNow * HOUR).toISOString();
    h.fake.addEvent(STAFF[0]!, { start: { dateTime: at(2) }, end: { dateTime: at(3) }, transparency: 'transparent', summary: 'reminder' });
    h.fake.addEvent(STAFF[0]!, { start: { dateTime: at(4) }, end: { dateTime: at(5) }, status: 'cancelled', summary: 'called off' });
    h.fake.addEvent(STAFF[0]!, { start: { dateTime: at(6) }, end: { dateTime: at(7) }, summary: 'lunch' });
    h.fake.addEvent(STAFF[0]!, { start: { date: '2026-11-25' }, end: { date: '2026-11-26' }, summary: 'all-day, opaque' });
    const fb = await h.provider.freeBusy([STAFF[0]!], { start: NOW, end: NOW + 24 * HOUR });
    expect(fb.busy.get(STAFF[0]!)).toEqual([{ start: NOW + 6 * HOUR, end: NOW + 7 * HOUR }]);
  });

  it('reports a per-calendar free/busy error as that staff member unavailable, without failing the others', async () => {
    h = await harness();
    await h.provider.createEvent(bookingInput({ calendarId: STAFF[1]! }));
    h.fake.failFreeBusyFor(STAFF[0]!, 'internalError');
    const fb = await h.provider.freeBusy([...STAFF, 'stranger@elsewhere.test'], twoDays);
    expect(fb.errors).toEqual(
      new Map([
        [STAFF[0]!, 'internalError'],
        ['stranger@elsewhere.test', 'notFound'],
      ]),
    );
    expect(fb.busy.has(STAFF[0]!)).toBe(false);
    expect(fb.busy.get(STAFF[1]!)).toHaveLength(1);
    expect(fb.busy.get(STAFF[2]!)).toEqual([]);
    expect(h.logger.entries.filter((e) => e.level === 'warn' && e.obj.calendarId === STAFF[0])).toHaveLength(1);
    expect(h.fake.counts().freebusy).toBe(1);
  });

  it('splits free/busy into chunks of 50 calendars and windows of at most 90 days, then merges', async () => {
    const many = Array.from({ length: 120 }, (_, i) => `staff${i}@salon.test`);
    h = await harness({ fake: { calendars: many } });
    const far = NOW + 100 * 24 * HOUR;
    h.fake.addEvent(many[119]!, { start: { dateTime: new Date(NOW + HOUR).toISOString() }, end: { dateTime: new Date(NOW + 2 * HOUR).toISOString() } });
    h.fake.addEvent(many[119]!, { start: { dateTime: new Date(far).toISOString() }, end: { dateTime: new Date(far + HOUR).toISOString() } });
    const fb = await h.provider.freeBusy(many, { start: NOW, end: NOW + 120 * 24 * HOUR });
    // 3 chunks (50, 50, 20) x 2 windows (90 + 30 days); the fake rejects >50 ids and >90 days.
    expect(h.fake.counts().freebusy).toBe(6);
    expect(fb.errors.size).toBe(0);
    expect(fb.busy.size).toBe(120);
    expect(fb.busy.get(many[119]!)).toEqual([
      { start: NOW + HOUR, end: NOW + 2 * HOUR },
      { start: far, end: far + HOUR },
    ]);
  });

  it('turns a failed request into CalendarUnavailableError with the cause attached', async () => {
    h = await harness({ policy: { maxAttempts: 2 } });
    h.fake.inject('freebusy', { status: 500 }, 2);
    const err = await h.provider.freeBusy(STAFF, twoDays).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalendarUnavailableError);
    expect((err as CalendarUnavailableError).code).toBe('CALENDAR_UNAVAILABLE');
    expect((err as Error).cause).toMatchObject({ kind: 'exhausted', attempts: 2 });
    expect(h.fake.counts().freebusy).toBe(2);

    // A 403 the caller cannot fix by retrying (read-only calendar) is not retried at all.
    h.fake.addCalendar(STAFF[2]!, { readOnly: true });
    h.fake.resetCounts();
    await expect(h.provider.createEvent(bookingInput({ calendarId: STAFF[2]! }))).rejects.toBeInstanceOf(CalendarUnavailableError);
    expect(h.fake.counts().insert).toBe(1);
    expect(h.logger.entries.some((e) => e.level === 'error' && /refused the request/.test(e.msg ?? ''))).toBe(true);
  });
});
