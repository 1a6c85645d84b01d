/**
 * Daylight-saving transitions, both ways, in America/New_York and Europe/London (2026):
 *   New York  spring forward Sun 2026-03-08 02:00 EST -> 03:00 EDT; fall back Sun 2026-11-01 02:00 EDT -> 01:00 EST
 *   London    spring forward Sun 2026-03-29 01:00 GMT -> 02:00 BST; fall back Sun 2026-10-25 02:00 BST -> 01:00 GMT
 *
 * Ambiguous wall times are always written with an explicit offset in these tests.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bookingWindow } from '../../src/slots/engine.js';
import { at, check, dt, find, hm, HOUR, iso, isoStarts, LONDON, local, makeBusiness, MIN, NY, starts, timesBetween, type Fixture } from './fixtures.js';

function sundayOnly(zone: string, ranges: string[], extra: Parameters<typeof makeBusiness>[0] = {}): Fixture {
  return makeBusiness({ timeZone: zone, hours: { sunday: ranges }, ...extra });
}

/** All of one local day, from a few days before (so notice and horizon never interfere). */
function dayQuery(zone: string, date: string) {
  const from = dt(at(zone, `${date}T12:00`), zone).startOf('day').toMillis();
  const to = dt(from, zone).plus({ days: 1 }).toMillis();
  return { now: from - 3 * 24 * HOUR, from, to };
}

function expectNoRepeatedWallTime(slots: { start: number }[], zone: string) {
  const walls = slots.map((s) => local(s.start, zone));
  expect(new Set(walls).size).toBe(walls.length);
}

function expectAllBookable(fx: Fixture, service: string, slots: { start: number; staffIds: readonly string[] }[], now: number) {
  for (const s of slots) expect({ at: iso(s.start, fx.zone), r: check(fx, { service, now }, s.start) }).toEqual({ at: iso(s.start, fx.zone), r: { ok: true, staffIds: s.staffIds } });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('spring forward: only real instants, none at a wall time that does not exist', () => {
  it('New York 01:30-03:30, 15-min service on a 15-min grid: 01:30, 01:45, 03:00, 03:15', () => {
    const fx = sundayOnly(NY, ['01:30-03:30']);
    const q = dayQuery(NY, '2026-03-08');
    const slots = find(fx, { service: 'quick', ...q });
    expect(isoStarts(slots, NY)).toEqual(['2026-03-08T01:30-05:00', '2026-03-08T01:45-05:00', '2026-03-08T03:00-04:00', '2026-03-08T03:15-04:00']);
    expect(slots.map((s) => iso(s.end, NY))).toEqual(['2026-03-08T01:45-05:00', '2026-03-08T03:00-04:00', '2026-03-08T03:15-04:00', '2026-03-08T03:30-04:00']);
    for (const s of slots) expect(s.end - s.start).toBe(15 * MIN);
    expect(slots.some((s) => dt(s.start, NY).hour === 2)).toBe(false);
    expectAllBookable(fx, 'quick', slots, q.now);
  });

  it('New York 01:30-03:30 holds one real hour: a 60-min service fits only at 01:30', () => {
    const fx = sundayOnly(NY, ['01:30-03:30']);
    const slots = find(fx, { service: 'hour', ...dayQuery(NY, '2026-03-08') });
    expect(slots.map((s) => `${iso(s.start, NY)}/${iso(s.end, NY)}`)).toEqual(['2026-03-08T01:30-05:00/2026-03-08T03:30-04:00']);
    const q = dayQuery(NY, '2026-03-08');
    expect(check(fx, { service: 'hour', now: q.now }, at(NY, '2026-03-08T03:00'))).toEqual({ ok: false, code: 'OUTSIDE_HOURS' });
  });

  it('New York 01:30-03:30 on a 30-min grid', () => {
    const fx = sundayOnly(NY, ['01:30-03:30'], { booking: { slotIntervalMinutes: 30 } });
    const slots = find(fx, { service: 'half', ...dayQuery(NY, '2026-03-08') });
    expect(isoStarts(slots, NY)).toEqual(['2026-03-08T01:30-05:00', '2026-03-08T03:00-04:00']);
  });

  it('New York: a busy interval across the jump is measured in real time', () => {
    const fx = sundayOnly(NY, ['00:00-06:00']);
    // 01:30 EST .. 03:30 EDT is one real hour
    const b = { alice: [{ start: at(NY, '2026-03-08T01:30'), end: at(NY, '2026-03-08T03:30') }] };
    const slots = find(fx, { service: 'half', ...dayQuery(NY, '2026-03-08'), busy: b });
    expect(starts(slots, NY)).toEqual([...timesBetween('00:00', '01:00'), ...timesBetween('03:30', '05:30')]);
  });

  it('London 00:30-02:30: 00:30, 00:45 GMT then 02:00, 02:15 BST', () => {
    const fx = sundayOnly(LONDON, ['00:30-02:30']);
    const q = dayQuery(LONDON, '2026-03-29');
    const slots = find(fx, { service: 'quick', ...q });
    expect(isoStarts(slots, LONDON)).toEqual(['2026-03-29T00:30+00:00', '2026-03-29T00:45+00:00', '2026-03-29T02:00+01:00', '2026-03-29T02:15+01:00']);
    expect(slots.some((s) => dt(s.start, LONDON).hour === 1)).toBe(false);
    expectAllBookable(fx, 'quick', slots, q.now);
  });

  it('London 01:30-03:30 (starts inside the gap): every real instant from the jump to 03:15', () => {
    // Wall clocks read 00:59 then 02:00, so from 02:00 BST on, the local time is inside 01:30-03:30.
    const fx = sundayOnly(LONDON, ['01:30-03:30']);
    const slots = find(fx, { service: 'quick', ...dayQuery(LONDON, '2026-03-29') });
    expect(isoStarts(slots, LONDON)).toEqual(['02:00', '02:15', '02:30', '02:45', '03:00', '03:15'].map((t) => `2026-03-29T${t}+01:00`));
  });

  it('New York 02:30-04:00 (opens inside the gap): open from the jump, 03:00 EDT', () => {
    const fx = sundayOnly(NY, ['02:30-04:00']);
    const q = dayQuery(NY, '2026-03-08');
    const slots = find(fx, { service: 'quick', ...q });
    expect(isoStarts(slots, NY)).toEqual(['03:00', '03:15', '03:30', '03:45'].map((t) => `2026-03-08T${t}-04:00`));
    expect(check(fx, { service: 'quick', now: q.now }, at(NY, '2026-03-08T03:00'))).toEqual({ ok: true, staffIds: ['alice'] });
  });

  it('New York 00:00-02:30 (closes inside the gap): closed from the jump, no service may run past it', () => {
    // After 01:59 EST the clock reads 03:00 EDT, already past the 02:30 closing time.
    const fx = sundayOnly(NY, ['00:00-02:30']);
    const q = dayQuery(NY, '2026-03-08');
    const slots = find(fx, { service: 'hour', ...q });
    expect(isoStarts(slots, NY)).toEqual(timesBetween('00:00', '01:00').map((t) => `2026-03-08T${t}-05:00`));
    for (const s of slots) expect(s.end).toBeLessThanOrEqual(at(NY, '2026-03-08T03:00'));
    expect(check(fx, { service: 'hour', now: q.now }, at(NY, '2026-03-08T01:30'))).toEqual({ ok: false, code: 'OUTSIDE_HOURS' });
  });
});

describe('fall back: nothing offered twice', () => {
  it('New York 00:00-03:00: every wall time once, none missing, offsets right outside the repeated hour', () => {
    const fx = sundayOnly(NY, ['00:00-03:00']);
    const q = dayQuery(NY, '2026-11-01');
    const slots = find(fx, { service: 'quick', ...q });
    expect(starts(slots, NY)).toEqual(timesBetween('00:00', '02:45'));
    expectNoRepeatedWallTime(slots, NY);
    for (const s of slots) {
      const d = dt(s.start, NY);
      const off = d.toFormat('ZZ');
      if (d.hour === 0) expect(off).toBe('-04:00');
      else if (d.hour === 2) expect(off).toBe('-05:00');
      else expect(['-04:00', '-05:00']).toContain(off);
      expect(s.end - s.start).toBe(15 * MIN);
    }
    for (let i = 1; i < slots.length; i++) expect(slots[i]!.start - slots[i - 1]!.start).toBeGreaterThanOrEqual(15 * MIN);
    expectAllBookable(fx, 'quick', slots, q.now);
  });

  it('New York 00:00-03:00, 60-min service: wall times 00:00..02:00 once each', () => {
    const fx = sundayOnly(NY, ['00:00-03:00']);
    const slots = find(fx, { service: 'hour', ...dayQuery(NY, '2026-11-01') });
    expect(starts(slots, NY)).toEqual(timesBetween('00:00', '02:00'));
    expect(iso(slots.at(-1)!.start, NY)).toBe('2026-11-01T02:00-05:00');
    expect(iso(slots.at(-1)!.end, NY)).toBe('2026-11-01T03:00-05:00');
  });

  it('several staff with ranges inside and across the repeated hour: one slot per wall time, staff merged', () => {
    const fx = makeBusiness({
      hours: { sunday: ['00:00-03:00'] },
      staff: [
        { id: 'alice', name: 'Alice' },
        { id: 'bob', name: 'Bob', hours: { sunday: ['01:00-01:45', '02:00-04:00'] } },
      ],
    });
    const slots = find(fx, { service: 'quick', ...dayQuery(NY, '2026-11-01') });
    expectNoRepeatedWallTime(slots, NY);
    expect(slots.map((s) => `${hm(s.start, NY)} ${s.staffIds.join(',')}`)).toEqual([
      '00:00 alice',
      '00:15 alice',
      '00:30 alice',
      '00:45 alice',
      '01:00 alice,bob',
      '01:15 alice,bob',
      '01:30 alice,bob',
      '01:45 alice',
      '02:00 alice,bob',
      '02:15 alice,bob',
      '02:30 alice,bob',
      '02:45 alice,bob',
      '03:00 bob',
      '03:15 bob',
      '03:30 bob',
      '03:45 bob',
    ]);
  });

  it('London 00:30-02:30: every wall time once', () => {
    const fx = sundayOnly(LONDON, ['00:30-02:30']);
    const q = dayQuery(LONDON, '2026-10-25');
    const slots = find(fx, { service: 'quick', ...q });
    expect(starts(slots, LONDON)).toEqual(timesBetween('00:30', '02:15'));
    expectNoRepeatedWallTime(slots, LONDON);
    expect(iso(slots[0]!.start, LONDON)).toBe('2026-10-25T00:30+01:00');
    expect(iso(slots.at(-1)!.start, LONDON)).toBe('2026-10-25T02:15+00:00');
    expectAllBookable(fx, 'quick', slots, q.now);
  });

  it('does not depend on the machine clock (same answer in January and in July)', () => {
    // The engine takes `now` as a parameter and promises to be pure; the season the process runs in
    // must not decide which of the two 01:30s is offered.
    const run = (zone: string, date: string, ranges: string[]) => {
      const fx = sundayOnly(zone, ranges);
      const q = dayQuery(zone, date);
      return isoStarts(find(fx, { service: 'quick', ...q }), zone);
    };
    const cases: Array<[string, string, string[]]> = [
      [NY, '2026-11-01', ['00:00-03:00']],
      [NY, '2026-11-01', ['01:00-01:45']],
      [LONDON, '2026-10-25', ['00:30-02:30']],
    ];
    const firstOneThirty = () => {
      const fx = sundayOnly(NY, ['00:00-03:00']);
      return check(fx, { service: 'quick', now: dayQuery(NY, '2026-11-01').now }, at(NY, '2026-11-01T01:30-04:00'));
    };
    const runAll = () => ({ slots: cases.map(([zone, date, ranges]) => run(zone, date, ranges)), firstOneThirty: firstOneThirty() });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2027-01-15T12:00:00Z'));
    const winter = runAll();
    vi.setSystemTime(new Date('2027-07-15T12:00:00Z'));
    const summer = runAll();
    vi.useRealTimers();
    expect(summer).toEqual(winter);
  });
});

describe('ordinary hours on days next to a change carry the right offsets', () => {
  const hourly = (zone: string) =>
    makeBusiness({
      timeZone: zone,
      hours: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, ['09:00-17:00']])),
      booking: { slotIntervalMinutes: 60 },
    });
  const dayIsos = (date: string, offset: string) => timesBetween('09:00', '16:00', 60).map((t) => `${date}T${t}${offset}`);

  function expectDays(zone: string, fromDate: string, toDate: string, expected: Array<[string, string]>) {
    const fx = hourly(zone);
    const from = at(zone, `${fromDate}T00:00`);
    const slots = find(fx, { service: 'hour', now: from - 5 * 24 * HOUR, from, to: at(zone, `${toDate}T00:00`) });
    expect(isoStarts(slots, zone)).toEqual(expected.flatMap(([d, o]) => dayIsos(d, o)));
    expect(slots.map((s) => iso(s.end, zone))).toEqual(expected.flatMap(([d, o]) => timesBetween('10:00', '17:00', 60).map((t) => `${d}T${t}${o}`)));
    for (const s of slots) expect(s.end - s.start).toBe(HOUR);
  }

  it('New York spring: Fri/Sat EST, Sun/Mon EDT', () => {
    expectDays(NY, '2026-03-06', '2026-03-10', [
      ['2026-03-06', '-05:00'],
      ['2026-03-07', '-05:00'],
      ['2026-03-08', '-04:00'],
      ['2026-03-09', '-04:00'],
    ]);
    expect(new Date(at(NY, '2026-03-06T09:00')).toISOString()).toBe('2026-03-06T14:00:00.000Z');
    expect(new Date(at(NY, '2026-03-09T09:00')).toISOString()).toBe('2026-03-09T13:00:00.000Z');
  });

  it('New York fall: Sat EDT, Sun/Mon EST', () => {
    expectDays(NY, '2026-10-31', '2026-11-03', [
      ['2026-10-31', '-04:00'],
      ['2026-11-01', '-05:00'],
      ['2026-11-02', '-05:00'],
    ]);
  });

  it('London spring: Sat GMT, Sun/Mon BST', () => {
    expectDays(LONDON, '2026-03-28', '2026-03-31', [
      ['2026-03-28', '+00:00'],
      ['2026-03-29', '+01:00'],
      ['2026-03-30', '+01:00'],
    ]);
  });

  it('London fall: Sat BST, Sun/Mon GMT', () => {
    expectDays(LONDON, '2026-10-24', '2026-10-27', [
      ['2026-10-24', '+01:00'],
      ['2026-10-25', '+00:00'],
      ['2026-10-26', '+00:00'],
    ]);
  });

  it('15-min grid stays on local :00/:15/:30/:45 across the change (weekday hours with a break)', () => {
    const fx = makeBusiness();
    const from = at(NY, '2026-03-06T00:00');
    const slots = find(fx, { service: 'hour', now: from - 24 * HOUR, from, to: at(NY, '2026-03-10T00:00') });
    const byDate = new Map<string, string[]>();
    for (const s of slots) {
      const d = dt(s.start, NY);
      expect([0, 15, 30, 45]).toContain(d.minute);
      const k = d.toISODate()!;
      byDate.set(k, [...(byDate.get(k) ?? []), d.toFormat('HH:mmZZ')]);
    }
    expect([...byDate.keys()]).toEqual(['2026-03-06', '2026-03-07', '2026-03-09']);
    expect(byDate.get('2026-03-06')![0]).toBe('09:00-05:00');
    expect(byDate.get('2026-03-07')).toEqual(timesBetween('10:00', '13:00').map((t) => `${t}-05:00`));
    expect(byDate.get('2026-03-09')).toEqual([...timesBetween('09:00', '11:00'), ...timesBetween('13:00', '16:00')].map((t) => `${t}-04:00`));
  });

  it('time_of_day is local on the change day', () => {
    const fx = hourly(NY);
    const q = dayQuery(NY, '2026-03-08');
    expect(isoStarts(find(fx, { service: 'hour', ...q, timeOfDay: 'afternoon' }), NY)).toEqual(
      ['12:00', '13:00', '14:00', '15:00', '16:00'].map((t) => `2026-03-08T${t}-04:00`),
    );
    const q2 = dayQuery(NY, '2026-11-01');
    expect(isoStarts(find(fx, { service: 'hour', ...q2, timeOfDay: 'morning' }), NY)).toEqual(
      ['09:00', '10:00', '11:00'].map((t) => `2026-11-01T${t}-05:00`),
    );
  });
});

describe('notice and horizon across a change', () => {
  it('the horizon ends at local midnight after the last bookable day, in that day’s offset', () => {
    const fx = makeBusiness({ booking: { horizonDays: 2 } });
    expect(iso(bookingWindow(fx.rules, at(NY, '2026-03-06T12:00')).latest, NY)).toBe('2026-03-09T00:00-04:00');
    expect(iso(bookingWindow(fx.rules, at(NY, '2026-10-30T12:00')).latest, NY)).toBe('2026-11-02T00:00-05:00');
    const ldn = makeBusiness({ timeZone: LONDON, booking: { horizonDays: 1 } });
    expect(iso(bookingWindow(ldn.rules, at(LONDON, '2026-03-28T23:30')).latest, LONDON)).toBe('2026-03-30T00:00+01:00');
  });

  it('the last bookable day is honoured when the horizon crosses a change', () => {
    const fx = makeBusiness({ booking: { horizonDays: 3 }, hours: { monday: ['09:00-17:00'], sunday: ['09:00-17:00'] } });
    const slots = find(fx, { service: 'hour', now: at(NY, '2026-03-05T12:00') });
    // Thu + 3 = Sunday Mar 8 (EDT). Monday is not offered.
    expect(iso(slots[0]!.start, NY)).toBe('2026-03-08T09:00-04:00');
    expect(iso(slots.at(-1)!.start, NY)).toBe('2026-03-08T16:00-04:00');
  });

  it('minimum notice is elapsed time: 24 h before 10:00 EST Saturday is 11:00 EDT Sunday', () => {
    const fx = makeBusiness({ booking: { minNoticeMinutes: 24 * 60 }, hours: { sunday: ['09:00-17:00'] } });
    const now = at(NY, '2026-03-07T10:00');
    expect(iso(bookingWindow(fx.rules, now).earliest, NY)).toBe('2026-03-08T11:00-04:00');
    const slots = find(fx, { service: 'hour', now });
    expect(iso(slots[0]!.start, NY)).toBe('2026-03-08T11:00-04:00');
    expect(check(fx, { service: 'hour', now }, at(NY, '2026-03-08T10:45'))).toEqual({ ok: false, code: 'TOO_SOON' });
  });
});
