/**
 * findSlots on ordinary (non-DST) days: hours, breaks, closures, buffers, notice, horizon, grid,
 * staff and time-of-day filters. All dates are in June 2026 in New York unless said otherwise
 * (Mon 2026-06-15 .. Sun 2026-06-21).
 */
import { describe, expect, it } from 'vitest';
import { bookingWindow, findSlots, TIME_OF_DAY_MINUTES } from '../../src/slots/engine.js';
import {
  at,
  busy,
  byDay,
  check,
  DAY,
  find,
  hm,
  HOUR,
  iso,
  isoStarts,
  local,
  makeBusiness,
  MIN,
  NY,
  starts,
  timesBetween,
} from './fixtures.js';

const SUNDAY_NOON = at(NY, '2026-06-14T12:00');
const dayWindow = (date: string) => ({ from: at(NY, `${date}T00:00`), to: at(NY, `${date}T00:00`) + DAY });

describe('fixture sanity', () => {
  it('June 15 2026 is a Monday and New York is on EDT', () => {
    const t = at(NY, '2026-06-15T09:00');
    expect(iso(t, NY)).toBe('2026-06-15T09:00-04:00');
    expect(new Date(t).toISOString()).toBe('2026-06-15T13:00:00.000Z');
    expect(local(t, NY)).toBe('2026-06-15 09:00');
    expect(new Date(SUNDAY_NOON).getUTCDay()).toBe(0);
  });
});

describe('business hours and breaks', () => {
  const fx = makeBusiness();

  it('a day with a lunch break offers both ranges and nothing overlapping the gap (60-min service)', () => {
    const slots = find(fx, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    expect(starts(slots, NY)).toEqual([...timesBetween('09:00', '11:00'), ...timesBetween('13:00', '16:00')]);
    for (const s of slots) {
      expect(s.end - s.start).toBe(HOUR);
      const gapStart = at(NY, '2026-06-15T12:00');
      const gapEnd = at(NY, '2026-06-15T13:00');
      expect(s.start < gapEnd && gapStart < s.end).toBe(false);
    }
    expect(iso(slots[0]!.start, NY)).toBe('2026-06-15T09:00-04:00');
    expect(iso(slots[0]!.end, NY)).toBe('2026-06-15T10:00-04:00');
    expect(iso(slots.at(-1)!.end, NY)).toBe('2026-06-15T17:00-04:00');
  });

  it('a 15-min service fills each range up to its closing time exactly', () => {
    const slots = find(fx, { service: 'quick', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    expect(starts(slots, NY)).toEqual([...timesBetween('09:00', '11:45'), ...timesBetween('13:00', '16:45')]);
    expect(slots.every((s) => s.staffIds.length === 1 && s.staffIds[0] === 'alice')).toBe(true);
  });

  it('a slot that would straddle the break is not offered (90-min service)', () => {
    const slots = find(fx, { service: 'long', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    expect(starts(slots, NY)).toEqual([...timesBetween('09:00', '10:30'), ...timesBetween('13:00', '15:30')]);
  });

  it('Saturday uses its own hours and Sunday (missing from the file) is closed', () => {
    const slots = find(fx, { service: 'hour', now: SUNDAY_NOON, from: at(NY, '2026-06-15T00:00'), to: at(NY, '2026-06-22T00:00') });
    const days = byDay(slots, NY);
    expect(Object.keys(days)).toEqual(['2026-06-15', '2026-06-16', '2026-06-17', '2026-06-18', '2026-06-19', '2026-06-20']);
    expect(days['2026-06-20']).toEqual(timesBetween('10:00', '13:00'));
    expect(days['2026-06-21']).toBeUndefined();
    for (const d of ['2026-06-15', '2026-06-16', '2026-06-17', '2026-06-18', '2026-06-19']) {
      expect(days[d]).toEqual([...timesBetween('09:00', '11:00'), ...timesBetween('13:00', '16:00')]);
    }
  });

  it('slots come back sorted by start with no duplicates across several days', () => {
    const slots = find(fx, { service: 'quick', now: SUNDAY_NOON, from: at(NY, '2026-06-15T00:00'), to: at(NY, '2026-06-22T00:00') });
    for (let i = 1; i < slots.length; i++) expect(slots[i]!.start).toBeGreaterThan(slots[i - 1]!.start);
    // 5 weekdays x (12 + 16) + Saturday 16
    expect(slots).toHaveLength(5 * 28 + 16);
  });

  it('a weekday closed for everyone returns nothing', () => {
    const closedTue = makeBusiness({ hours: { monday: ['09:00-17:00'], wednesday: ['09:00-17:00'] } });
    expect(find(closedTue, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-16') })).toEqual([]);
    expect(find(closedTue, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-17') })).toHaveLength(29);
  });

  it('hours running to 24:00 offer the last slot that ends at midnight', () => {
    const late = makeBusiness({ hours: { friday: ['20:00-24:00'] } });
    const slots = find(late, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-19') });
    expect(starts(slots, NY)).toEqual(timesBetween('20:00', '23:00'));
    expect(iso(slots.at(-1)!.end, NY)).toBe('2026-06-20T00:00-04:00');
  });

  it('touching ranges ("09:00-12:00", "12:00-17:00") leave no break: a service may run across 12:00', () => {
    // The schema accepts touching ranges (only overlaps are rejected), and there is no gap between them.
    const fx = makeBusiness({ hours: { monday: ['09:00-12:00', '12:00-17:00'] } });
    const slots = find(fx, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    expect(starts(slots, NY)).toEqual(timesBetween('09:00', '16:00'));
    expect(check(fx, { service: 'hour', now: SUNDAY_NOON }, at(NY, '2026-06-15T11:30'))).toEqual({ ok: true, staffIds: ['alice'] });
  });

  it('an empty staff list yields no slots', () => {
    expect(
      findSlots({ rules: fx.rules, service: fx.timing('hour'), staff: [], now: SUNDAY_NOON, from: SUNDAY_NOON, to: SUNDAY_NOON + 7 * DAY }),
    ).toEqual([]);
  });

  it('an empty or inverted window yields no slots', () => {
    const t = at(NY, '2026-06-15T10:00');
    expect(find(fx, { service: 'quick', now: SUNDAY_NOON, from: t, to: t })).toEqual([]);
    expect(find(fx, { service: 'quick', now: SUNDAY_NOON, from: t, to: t - HOUR })).toEqual([]);
  });

  it('the window is [from, to): a start exactly at `to` is excluded, one at `from` included', () => {
    const slots = find(fx, { service: 'quick', now: SUNDAY_NOON, from: at(NY, '2026-06-15T09:30'), to: at(NY, '2026-06-15T10:30') });
    expect(starts(slots, NY)).toEqual(['09:30', '09:45', '10:00', '10:15']);
  });
});

describe('closures', () => {
  it('a full-day holiday removes that day only', () => {
    const fx = makeBusiness({ closures: [{ date: '2026-06-17', name: 'Staff training' }] });
    const days = byDay(find(fx, { service: 'hour', now: SUNDAY_NOON, from: at(NY, '2026-06-16T00:00'), to: at(NY, '2026-06-19T00:00') }), NY);
    expect(Object.keys(days)).toEqual(['2026-06-16', '2026-06-18']);
    expect(days['2026-06-18']).toEqual([...timesBetween('09:00', '11:00'), ...timesBetween('13:00', '16:00')]);
  });

  it('a multi-day closure (`until`, inclusive) removes every day of it', () => {
    // Thu Dec 24 .. Sat Dec 26 2026 closed; Sunday Dec 27 is closed anyway.
    const fx = makeBusiness({ closures: [{ date: '2026-12-24', until: '2026-12-26', name: 'Christmas' }] });
    const now = at(NY, '2026-12-20T12:00');
    const days = byDay(find(fx, { service: 'hour', now, from: at(NY, '2026-12-23T00:00'), to: at(NY, '2026-12-30T00:00') }), NY);
    expect(Object.keys(days)).toEqual(['2026-12-23', '2026-12-28', '2026-12-29']);
    // the last day before is a normal (EST) day
    const wed = find(fx, { service: 'hour', now, ...{ from: at(NY, '2026-12-23T00:00'), to: at(NY, '2026-12-24T00:00') } });
    expect(iso(wed[0]!.start, NY)).toBe('2026-12-23T09:00-05:00');
  });

  it('a partial closure removes only the slots that overlap it', () => {
    const fx = makeBusiness({ closures: [{ date: '2026-06-16', from: '14:00', to: '15:30', name: 'Team meeting' }] });
    const tue = find(fx, { service: 'half', now: SUNDAY_NOON, ...dayWindow('2026-06-16') });
    expect(starts(tue, NY)).toEqual([...timesBetween('09:00', '11:30'), '13:00', '13:15', '13:30', ...timesBetween('15:30', '16:30')]);
    const wed = find(fx, { service: 'half', now: SUNDAY_NOON, ...dayWindow('2026-06-17') });
    expect(starts(wed, NY)).toEqual([...timesBetween('09:00', '11:30'), ...timesBetween('13:00', '16:30')]);
  });

  it('a partial closure across the lunch break trims both ranges', () => {
    const fx = makeBusiness({ closures: [{ date: '2026-06-16', from: '11:00', to: '14:00', name: 'Inspection' }] });
    const tue = find(fx, { service: 'half', now: SUNDAY_NOON, ...dayWindow('2026-06-16') });
    expect(starts(tue, NY)).toEqual([...timesBetween('09:00', '10:30'), ...timesBetween('14:00', '16:30')]);
  });

  it('a multi-day partial closure applies to every day in range', () => {
    const fx = makeBusiness({ closures: [{ date: '2026-06-15', until: '2026-06-17', from: '09:00', to: '10:00', name: 'Late opening' }] });
    const days = byDay(find(fx, { service: 'hour', now: SUNDAY_NOON, from: at(NY, '2026-06-15T00:00'), to: at(NY, '2026-06-19T00:00') }), NY);
    for (const d of ['2026-06-15', '2026-06-16', '2026-06-17']) expect(days[d]![0]).toBe('10:00');
    expect(days['2026-06-18']![0]).toBe('09:00');
  });

  it('partial closures covering all open hours close the day', () => {
    const fx = makeBusiness({
      closures: [
        { date: '2026-06-16', from: '08:00', to: '12:30', name: 'Morning off' },
        { date: '2026-06-16', from: '12:30', to: '18:00', name: 'Afternoon off' },
      ],
    });
    expect(find(fx, { service: 'quick', now: SUNDAY_NOON, ...dayWindow('2026-06-16') })).toEqual([]);
  });

  it('a full closure wins over a partial one on the same day', () => {
    const fx = makeBusiness({
      closures: [
        { date: '2026-06-16', from: '09:00', to: '10:00', name: 'Meeting' },
        { date: '2026-06-16', name: 'Holiday' },
      ],
    });
    expect(find(fx, { service: 'quick', now: SUNDAY_NOON, ...dayWindow('2026-06-16') })).toEqual([]);
  });
});

describe('buffers against busy intervals', () => {
  const open = makeBusiness({ hours: { monday: ['09:00-17:00'] } });
  const window = dayWindow('2026-06-15');

  it('60-min service + 15-min after-buffer: not 30 min before a busy interval, but 75 min before', () => {
    const b = { alice: [busy(NY, '2026-06-15T14:00', '2026-06-15T15:00')] };
    const slots = find(open, { service: 'hour-after', now: SUNDAY_NOON, ...window, busy: b });
    const s = starts(slots, NY);
    expect(s).toContain('12:45'); // 12:45-13:45 + cleanup to 14:00
    expect(s).not.toContain('13:00'); // cleanup would run to 14:15
    expect(s).not.toContain('13:30'); // 30 min before
    expect(s).toContain('15:00'); // no before-buffer
    expect(s).toEqual([...timesBetween('09:00', '12:45'), ...timesBetween('15:00', '16:00')]);
  });

  it('the same busy interval without a buffer allows starting exactly 60 min before', () => {
    const b = { alice: [busy(NY, '2026-06-15T14:00', '2026-06-15T15:00')] };
    const s = starts(find(open, { service: 'hour', now: SUNDAY_NOON, ...window, busy: b }), NY);
    expect(s).toEqual([...timesBetween('09:00', '13:00'), ...timesBetween('15:00', '16:00')]);
  });

  it('before-buffer: a 30-min service with 15 min of prep cannot start right after a busy interval', () => {
    const b = { alice: [busy(NY, '2026-06-15T10:00', '2026-06-15T11:00')] };
    const s = starts(find(open, { service: 'prep', now: SUNDAY_NOON, ...window, busy: b }), NY);
    expect(s).not.toContain('11:00');
    expect(s).toContain('11:15');
    expect(s).toContain('09:30'); // ends 10:00 exactly; no after-buffer
    expect(s).not.toContain('09:45');
    expect(s).toEqual([...timesBetween('09:00', '09:30'), ...timesBetween('11:15', '16:30')]);
  });

  it('the before-buffer may reach before opening time and the after-buffer past closing', () => {
    const s = find(open, { service: 'prep', now: SUNDAY_NOON, ...window });
    expect(hm(s[0]!.start, NY)).toBe('09:00');
    const after = find(open, { service: 'hour-after', now: SUNDAY_NOON, ...window });
    expect(hm(after.at(-1)!.start, NY)).toBe('16:00');
  });

  it('both buffers at once (45 min, 10 before, 20 after)', () => {
    const fx = makeBusiness({
      hours: { monday: ['09:00-17:00'] },
      services: [{ id: 'both', name: 'Both', durationMinutes: 45, bufferBeforeMinutes: 10, bufferAfterMinutes: 20 }],
    });
    const b = { alice: [busy(NY, '2026-06-15T12:00', '2026-06-15T12:30')] };
    const s = starts(find(fx, { service: 'both', now: SUNDAY_NOON, ...window, busy: b }), NY);
    // allowed iff start <= 10:55 or start >= 12:40
    expect(s).toEqual([...timesBetween('09:00', '10:45'), ...timesBetween('12:45', '16:15')]);
  });

  it('busy intervals off the grid block every slot they touch and nothing more', () => {
    const b = { alice: [busy(NY, '2026-06-15T10:07', '2026-06-15T10:52')] };
    const s = starts(find(open, { service: 'quick', now: SUNDAY_NOON, ...window, busy: b }), NY);
    expect(s.filter((t) => t >= '09:30' && t <= '11:15')).toEqual(['09:30', '09:45', '11:00', '11:15']);
  });

  it('unsorted, overlapping and empty busy intervals behave like their union', () => {
    const messy = {
      alice: [
        busy(NY, '2026-06-15T15:00', '2026-06-15T15:30'),
        busy(NY, '2026-06-15T10:00', '2026-06-15T11:00'),
        busy(NY, '2026-06-15T10:30', '2026-06-15T11:30'),
        busy(NY, '2026-06-15T11:30', '2026-06-15T11:45'),
        { start: at(NY, '2026-06-15T13:00'), end: at(NY, '2026-06-15T13:00') },
      ],
    };
    const clean = { alice: [busy(NY, '2026-06-15T10:00', '2026-06-15T11:45'), busy(NY, '2026-06-15T15:00', '2026-06-15T15:30')] };
    const a = find(open, { service: 'half', now: SUNDAY_NOON, ...window, busy: messy });
    const c = find(open, { service: 'half', now: SUNDAY_NOON, ...window, busy: clean });
    expect(a).toEqual(c);
    expect(starts(a, NY)).toEqual([...timesBetween('09:00', '09:30'), ...timesBetween('11:45', '14:30'), ...timesBetween('15:30', '16:30')]);
  });

  it('a busy interval starting on a previous day and running into this one blocks the morning', () => {
    const b = { alice: [busy(NY, '2026-06-14T20:00', '2026-06-15T10:00')] };
    const s = starts(find(open, { service: 'hour', now: SUNDAY_NOON, ...window, busy: b }), NY);
    expect(s[0]).toBe('10:00');
  });

  it('a busy interval covering the whole day removes it', () => {
    const b = { alice: [busy(NY, '2026-06-15T00:00', '2026-06-16T00:00')] };
    expect(find(open, { service: 'quick', now: SUNDAY_NOON, ...window, busy: b })).toEqual([]);
  });
});

describe('minimum notice and horizon', () => {
  it('notice pushes the first slot to the next grid time after now + notice', () => {
    const fx = makeBusiness({ booking: { minNoticeMinutes: 120 } });
    const now = at(NY, '2026-06-15T09:07'); // earliest 11:07
    const slots = find(fx, { service: 'quick', now, from: now, to: at(NY, '2026-06-16T00:00') });
    expect(starts(slots, NY)).toEqual(['11:15', '11:30', '11:45', ...timesBetween('13:00', '16:45')]);
  });

  it('a start exactly at now + notice is offered', () => {
    const fx = makeBusiness({ booking: { minNoticeMinutes: 120 } });
    const now = at(NY, '2026-06-15T08:00');
    const slots = find(fx, { service: 'quick', now, from: now, to: at(NY, '2026-06-16T00:00') });
    expect(hm(slots[0]!.start, NY)).toBe('10:00');
  });

  it('notice also clips an explicit `from` that is earlier', () => {
    const fx = makeBusiness({ booking: { minNoticeMinutes: 60 } });
    const now = at(NY, '2026-06-15T13:20');
    const slots = find(fx, { service: 'quick', now, from: at(NY, '2026-06-15T00:00'), to: at(NY, '2026-06-16T00:00') });
    expect(starts(slots, NY)).toEqual(timesBetween('14:30', '16:45'));
  });

  it('zero notice: the first slot is the next grid time at or after now', () => {
    const fx = makeBusiness();
    const now = at(NY, '2026-06-15T10:10');
    const slots = find(fx, { service: 'quick', now, from: now, to: at(NY, '2026-06-15T11:00') });
    expect(starts(slots, NY)).toEqual(['10:15', '10:30', '10:45']);
    const onGrid = at(NY, '2026-06-15T10:15');
    expect(hm(find(fx, { service: 'quick', now: onGrid, from: onGrid, to: onGrid + HOUR })[0]!.start, NY)).toBe('10:15');
  });

  it('a notice of a day moves the first slot to the same time tomorrow', () => {
    const fx = makeBusiness({ booking: { minNoticeMinutes: 24 * 60 } });
    const now = at(NY, '2026-06-15T10:00');
    const slots = find(fx, { service: 'hour', now });
    expect(local(slots[0]!.start, NY)).toBe('2026-06-16 10:00');
  });

  it('the last bookable local day is today + horizonDays; nothing on the day after', () => {
    const fx = makeBusiness({ booking: { horizonDays: 3 } });
    const now = at(NY, '2026-06-15T16:00');
    const slots = find(fx, { service: 'quick', now, from: now, to: now + 30 * DAY });
    const days = byDay(slots, NY);
    expect(Object.keys(days)).toEqual(['2026-06-15', '2026-06-16', '2026-06-17', '2026-06-18']);
    expect(local(slots.at(-1)!.start, NY)).toBe('2026-06-18 16:45');
    expect(days['2026-06-18']).toEqual([...timesBetween('09:00', '11:45'), ...timesBetween('13:00', '16:45')]);
    const { earliest, latest } = bookingWindow(fx.rules, now);
    expect(earliest).toBe(now);
    expect(iso(latest, NY)).toBe('2026-06-19T00:00-04:00');
  });

  it('the horizon counts local days, not 24-hour periods from now (late evening now)', () => {
    const fx = makeBusiness({ booking: { horizonDays: 1 }, hours: { tuesday: ['00:00-24:00'], monday: ['00:00-24:00'] } });
    const now = at(NY, '2026-06-15T23:50');
    const slots = find(fx, { service: 'hour', now });
    expect(local(slots[0]!.start, NY)).toBe('2026-06-16 00:00');
    expect(local(slots.at(-1)!.start, NY)).toBe('2026-06-16 23:00');
  });

  it('the horizon is computed in the business zone, not UTC', () => {
    // 22:30 in New York is already the next day in UTC.
    const fx = makeBusiness({ booking: { horizonDays: 1 } });
    const now = at(NY, '2026-06-15T22:30');
    const { latest } = bookingWindow(fx.rules, now);
    expect(iso(latest, NY)).toBe('2026-06-17T00:00-04:00');
  });
});

describe('slot grid', () => {
  it('15-min interval: every start is at :00, :15, :30 or :45 local, with zero seconds', () => {
    const fx = makeBusiness({ hours: { monday: ['09:05-12:10', '13:20-17:00'] } });
    const now = at(NY, '2026-06-15T08:03');
    const slots = find(fx, { service: 'half', now, from: now + 17_123, to: at(NY, '2026-06-16T00:00') });
    expect(slots.length).toBeGreaterThan(0);
    for (const s of slots) {
      expect(s.start % MIN).toBe(0);
      expect([0, 15, 30, 45]).toContain(Number(hm(s.start, NY).slice(3)));
    }
    expect(starts(slots, NY)).toEqual([...timesBetween('09:15', '11:30'), ...timesBetween('13:30', '16:30')]);
  });

  it('30-min interval: starts on :00 and :30 only', () => {
    const fx = makeBusiness({ booking: { slotIntervalMinutes: 30 } });
    const slots = find(fx, { service: 'quick', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    expect(starts(slots, NY)).toEqual([...timesBetween('09:00', '11:30', 30), ...timesBetween('13:00', '16:30', 30)]);
  });

  it('30-min interval with hours starting off the grid rounds up to the grid', () => {
    const fx = makeBusiness({ booking: { slotIntervalMinutes: 30 }, hours: { monday: ['09:15-12:00'] } });
    const slots = find(fx, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    expect(starts(slots, NY)).toEqual(['09:30', '10:00', '10:30', '11:00']);
  });

  it('the grid is anchored at local midnight (20-min interval)', () => {
    const fx = makeBusiness({ booking: { slotIntervalMinutes: 20 }, hours: { monday: ['09:10-11:00'] } });
    const slots = find(fx, { service: 'half', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    expect(starts(slots, NY)).toEqual(['09:20', '09:40', '10:00', '10:20']);
  });

  it('a service longer than the remaining open time is not offered at the end of the day', () => {
    const fx = makeBusiness();
    const sat = find(fx, { service: 'long', now: SUNDAY_NOON, ...dayWindow('2026-06-20') });
    expect(starts(sat, NY)).toEqual(timesBetween('10:00', '12:30'));
    const fourHours = makeBusiness({ services: [{ id: 'x', name: 'X', durationMinutes: 240 }] });
    expect(starts(find(fourHours, { service: 'x', now: SUNDAY_NOON, ...dayWindow('2026-06-20') }), NY)).toEqual(['10:00']);
    const fiveHours = makeBusiness({ services: [{ id: 'x', name: 'X', durationMinutes: 300 }] });
    expect(find(fiveHours, { service: 'x', now: SUNDAY_NOON, ...dayWindow('2026-06-20') })).toEqual([]);
  });
});

describe('staff', () => {
  const team = makeBusiness({
    staff: [
      { id: 'alice', name: 'Alice' },
      { id: 'bob', name: 'Bob', hours: { monday: ['12:00-20:00'], saturday: ['10:00-12:00'] } },
      { id: 'carol', name: 'Carol' },
    ],
    services: [...[{ id: 'hour', name: 'Hour', durationMinutes: 60 }], { id: 'color', name: 'Color', durationMinutes: 60, staff: ['carol', 'bob'] }],
  });

  it('per-staff hours replace the business hours for that person', () => {
    const slots = find(team, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    const table = Object.fromEntries(slots.map((s) => [hm(s.start, NY), s.staffIds.join(',')]));
    expect(table['09:00']).toBe('alice,carol');
    expect(table['11:00']).toBe('alice,carol');
    expect(table['11:15']).toBeUndefined(); // would run into the business lunch break; bob starts at 12:00
    expect(table['12:00']).toBe('bob');
    expect(table['12:45']).toBe('bob');
    expect(table['13:00']).toBe('alice,bob,carol');
    expect(table['16:00']).toBe('alice,bob,carol');
    expect(table['16:15']).toBe('bob');
    expect(table['19:00']).toBe('bob');
    expect(table['19:15']).toBeUndefined();
    expect(starts(slots, NY)).toEqual([...timesBetween('09:00', '11:00'), ...timesBetween('12:00', '19:00')]);
  });

  it('a day missing from personal hours is that person’s day off', () => {
    const slots = find(team, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-16') });
    expect(slots.every((s) => s.staffIds.join(',') === 'alice,carol')).toBe(true);
    expect(slots).toHaveLength(9 + 13);
  });

  it('staffIds lists exactly the free staff, in config order', () => {
    const b = { alice: [busy(NY, '2026-06-15T13:00', '2026-06-15T14:00')], carol: [busy(NY, '2026-06-15T13:30', '2026-06-15T15:00')] };
    const slots = find(team, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-15'), busy: b });
    const table = Object.fromEntries(slots.map((s) => [hm(s.start, NY), s.staffIds]));
    expect(table['12:00']).toEqual(['bob']);
    expect(table['12:30']).toEqual(['bob']); // alice and carol are on the business lunch break
    expect(table['10:00']).toEqual(['alice', 'carol']);
    expect(table['13:00']).toEqual(['bob']);
    expect(table['14:00']).toEqual(['alice', 'bob']);
    expect(table['15:00']).toEqual(['alice', 'bob', 'carol']);
    expect(table['16:15']).toEqual(['bob']);
  });

  it('busy on one staff member does not remove the slot; busy on all eligible does', () => {
    const one = { alice: [busy(NY, '2026-06-15T09:00', '2026-06-15T12:00')] };
    const s1 = find(team, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-15'), busy: one });
    expect(s1.find((s) => hm(s.start, NY) === '10:00')!.staffIds).toEqual(['carol']);
    const both = { ...one, carol: [busy(NY, '2026-06-15T09:00', '2026-06-15T12:00')] };
    const s2 = find(team, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-15'), busy: both });
    expect(starts(s2, NY)).toEqual(timesBetween('12:00', '19:00'));
  });

  it('a service limited to some staff offers only them, still in config order', () => {
    const slots = find(team, { service: 'color', now: SUNDAY_NOON, ...dayWindow('2026-06-15') });
    const table = Object.fromEntries(slots.map((s) => [hm(s.start, NY), s.staffIds]));
    expect(table['09:00']).toEqual(['carol']);
    expect(table['13:00']).toEqual(['bob', 'carol']);
    expect(table['18:00']).toEqual(['bob']);
    expect(slots.some((s) => s.staffIds.includes('alice'))).toBe(false);
  });

  it('personal hours can open a day the business is closed; a holiday still closes everyone', () => {
    const fx = makeBusiness({
      staff: [
        { id: 'alice', name: 'Alice' },
        { id: 'sam', name: 'Sam', hours: { sunday: ['10:00-12:00'] } },
      ],
      closures: [{ date: '2026-06-28', name: 'Pride' }],
    });
    const sun = find(fx, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-21') });
    expect(sun.map((s) => `${hm(s.start, NY)} ${s.staffIds.join(',')}`)).toEqual(['10:00 sam', '10:15 sam', '10:30 sam', '10:45 sam', '11:00 sam']);
    expect(find(fx, { service: 'hour', now: SUNDAY_NOON, ...dayWindow('2026-06-28') })).toEqual([]);
  });

  it('staff busy intervals are independent of each other', () => {
    const fx = makeBusiness({ staff: [{ id: 'alice', name: 'Alice' }, { id: 'bob', name: 'Bob' }], hours: { monday: ['09:00-11:00'] } });
    const b = { alice: [busy(NY, '2026-06-15T09:00', '2026-06-15T10:00')], bob: [busy(NY, '2026-06-15T10:00', '2026-06-15T11:00')] };
    const slots = find(fx, { service: 'half', now: SUNDAY_NOON, ...dayWindow('2026-06-15'), busy: b });
    expect(slots.map((s) => `${hm(s.start, NY)} ${s.staffIds.join(',')}`)).toEqual([
      '09:00 bob',
      '09:15 bob',
      '09:30 bob',
      '10:00 alice',
      '10:15 alice',
      '10:30 alice',
    ]);
  });
});

describe('time_of_day filter', () => {
  const fx = makeBusiness({ hours: { tuesday: ['07:00-21:00'] }, booking: { slotIntervalMinutes: 30 } });
  const w = dayWindow('2026-06-16');

  it('exposes the documented bounds', () => {
    expect(TIME_OF_DAY_MINUTES).toEqual({
      morning: { start: 0, end: 720 },
      afternoon: { start: 720, end: 1020 },
      evening: { start: 1020, end: 1440 },
    });
  });

  it('morning is before 12:00, afternoon 12:00-17:00, evening from 17:00 (by start time, local)', () => {
    const morning = find(fx, { service: 'hour', now: SUNDAY_NOON, ...w, timeOfDay: 'morning' });
    const afternoon = find(fx, { service: 'hour', now: SUNDAY_NOON, ...w, timeOfDay: 'afternoon' });
    const evening = find(fx, { service: 'hour', now: SUNDAY_NOON, ...w, timeOfDay: 'evening' });
    expect(starts(morning, NY)).toEqual(timesBetween('07:00', '11:30', 30));
    expect(starts(afternoon, NY)).toEqual(timesBetween('12:00', '16:30', 30));
    expect(starts(evening, NY)).toEqual(timesBetween('17:00', '20:00', 30));
    const all = find(fx, { service: 'hour', now: SUNDAY_NOON, ...w });
    expect([...morning, ...afternoon, ...evening]).toEqual(all);
  });

  it('the filter combines with busy time and staff lists', () => {
    const b = { alice: [busy(NY, '2026-06-16T17:30', '2026-06-16T19:00')] };
    const evening = find(fx, { service: 'hour', now: SUNDAY_NOON, ...w, timeOfDay: 'evening', busy: b });
    expect(isoStarts(evening, NY)).toEqual(['2026-06-16T19:00-04:00', '2026-06-16T19:30-04:00', '2026-06-16T20:00-04:00']);
  });

  it('is evaluated in the business zone (London afternoon is not the UTC afternoon)', () => {
    const ldn = makeBusiness({ timeZone: 'Europe/London', hours: { tuesday: ['09:00-19:00'] }, booking: { slotIntervalMinutes: 60 } });
    const z = 'Europe/London';
    const slots = find(ldn, {
      service: 'hour',
      now: at(z, '2026-06-14T12:00'),
      from: at(z, '2026-06-16T00:00'),
      to: at(z, '2026-06-17T00:00'),
      timeOfDay: 'afternoon',
    });
    expect(isoStarts(slots, z)).toEqual(['12:00', '13:00', '14:00', '15:00', '16:00'].map((t) => `2026-06-16T${t}+01:00`));
  });
});
