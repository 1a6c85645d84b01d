/**
 * checkStart: every refusal code, the staff list on success, and agreement with findSlots.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { Interval } from '../../src/calendar/provider.js';
import { checkStart, findSlots } from '../../src/slots/engine.js';
import { at, busy, check, DAY, find, local, makeBusiness, MIN, NY, type Fixture } from './fixtures.js';

const team = makeBusiness({
  booking: { minNoticeMinutes: 120, horizonDays: 14 },
  closures: [
    { date: '2026-07-03', name: 'Independence Day (observed)' },
    { date: '2026-06-24', until: '2026-06-26', name: 'Team retreat' },
    { date: '2026-06-16', from: '14:00', to: '15:00', name: 'Fire drill' },
  ],
  staff: [
    { id: 'alice', name: 'Alice' },
    { id: 'bob', name: 'Bob' },
  ],
});
const NOW = at(NY, '2026-06-15T08:00'); // Monday; earliest bookable 10:00, last bookable day Mon 2026-06-29

describe('checkStart refusals', () => {
  it('IN_PAST: before now', () => {
    expect(check(team, { service: 'hour', now: NOW }, NOW - MIN)).toEqual({ ok: false, code: 'IN_PAST' });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-12T10:00'))).toEqual({ ok: false, code: 'IN_PAST' });
  });

  it('TOO_SOON: from now up to now + minimum notice', () => {
    expect(check(team, { service: 'hour', now: NOW }, NOW)).toEqual({ ok: false, code: 'TOO_SOON' });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-15T09:45'))).toEqual({ ok: false, code: 'TOO_SOON' });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-15T10:00'))).toEqual({ ok: true, staffIds: ['alice', 'bob'] });
  });

  it('TOO_FAR: on the day after the last bookable day; the last day itself is fine', () => {
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-29T16:00'))).toEqual({ ok: true, staffIds: ['alice', 'bob'] });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-30T09:00'))).toEqual({ ok: false, code: 'TOO_FAR' });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-30T00:00'))).toEqual({ ok: false, code: 'TOO_FAR' });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-08-01T10:00'))).toEqual({ ok: false, code: 'TOO_FAR' });
  });

  it('CLOSED with the holiday name on a full-day closure', () => {
    const farNow = at(NY, '2026-06-28T08:00');
    expect(check(team, { service: 'hour', now: farNow }, at(NY, '2026-07-03T10:00'))).toEqual({
      ok: false,
      code: 'CLOSED',
      closure: 'Independence Day (observed)',
    });
  });

  it('CLOSED with the name on every day of a multi-day closure', () => {
    for (const d of ['2026-06-24', '2026-06-25', '2026-06-26']) {
      expect(check(team, { service: 'hour', now: NOW }, at(NY, `${d}T10:00`))).toEqual({ ok: false, code: 'CLOSED', closure: 'Team retreat' });
    }
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-23T10:00')).ok).toBe(true);
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-27T10:00')).ok).toBe(true); // Saturday
  });

  it('CLOSED (no closure name) on a weekday nobody works', () => {
    const r = check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-21T10:00')); // Sunday
    expect(r).toEqual({ ok: false, code: 'CLOSED' });
    expect('closure' in r && r.closure !== undefined).toBe(false);
  });

  it('CLOSED with the name when the start runs into a partial closure', () => {
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-16T14:00'))).toEqual({ ok: false, code: 'CLOSED', closure: 'Fire drill', partial: true });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-16T13:30'))).toEqual({ ok: false, code: 'CLOSED', closure: 'Fire drill', partial: true });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-16T13:00')).ok).toBe(true);
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-16T15:00')).ok).toBe(true);
  });

  it('OUTSIDE_HOURS: in the lunch break, before opening, after closing, or overrunning closing', () => {
    const c = (t: string, service = 'hour') => check(team, { service, now: NOW }, at(NY, t));
    expect(c('2026-06-17T12:15')).toEqual({ ok: false, code: 'OUTSIDE_HOURS' }); // break
    expect(c('2026-06-17T11:30')).toEqual({ ok: false, code: 'OUTSIDE_HOURS' }); // would run into the break
    expect(c('2026-06-17T08:30')).toEqual({ ok: false, code: 'OUTSIDE_HOURS' }); // before opening
    expect(c('2026-06-17T17:00')).toEqual({ ok: false, code: 'OUTSIDE_HOURS' }); // at closing
    expect(c('2026-06-17T18:00')).toEqual({ ok: false, code: 'OUTSIDE_HOURS' }); // after closing
    expect(c('2026-06-17T16:30')).toEqual({ ok: false, code: 'OUTSIDE_HOURS' }); // 16:30 + 60 min > 17:00
    expect(c('2026-06-17T16:30', 'half')).toEqual({ ok: true, staffIds: ['alice', 'bob'] }); // ends exactly at 17:00
    expect(c('2026-06-20T13:30')).toEqual({ ok: false, code: 'OUTSIDE_HOURS' }); // Saturday closes 14:00
  });

  it('SLOT_UNAVAILABLE when every eligible staff member is busy', () => {
    const b = { alice: [busy(NY, '2026-06-17T10:30', '2026-06-17T11:00')], bob: [busy(NY, '2026-06-17T09:00', '2026-06-17T10:15')] };
    expect(check(team, { service: 'hour', now: NOW, busy: b }, at(NY, '2026-06-17T10:00'))).toEqual({ ok: false, code: 'SLOT_UNAVAILABLE' });
    expect(check(team, { service: 'hour', now: NOW, busy: b }, at(NY, '2026-06-17T11:00'))).toEqual({ ok: true, staffIds: ['alice', 'bob'] });
    expect(check(team, { service: 'hour', now: NOW, busy: b }, at(NY, '2026-06-17T10:15'))).toEqual({ ok: true, staffIds: ['bob'] });
  });

  it('SLOT_UNAVAILABLE when a buffer would collide', () => {
    const b = { alice: [busy(NY, '2026-06-17T14:00', '2026-06-17T15:00')], bob: [busy(NY, '2026-06-17T14:00', '2026-06-17T15:00')] };
    const c = (t: string) => check(team, { service: 'hour-after', now: NOW, busy: b }, at(NY, t));
    expect(c('2026-06-17T13:00')).toEqual({ ok: false, code: 'SLOT_UNAVAILABLE' });
    expect(c('2026-06-17T13:30')).toEqual({ ok: false, code: 'SLOT_UNAVAILABLE' });
    expect(c('2026-06-17T15:00')).toEqual({ ok: true, staffIds: ['alice', 'bob'] });
    const p = (t: string) => check(team, { service: 'prep', now: NOW, busy: b }, at(NY, t));
    expect(p('2026-06-17T15:00')).toEqual({ ok: false, code: 'SLOT_UNAVAILABLE' });
    expect(p('2026-06-17T15:15')).toEqual({ ok: true, staffIds: ['alice', 'bob'] });
  });

  it('SLOT_UNAVAILABLE for a start off the slot grid', () => {
    for (const t of ['2026-06-17T10:07', '2026-06-17T10:14', '2026-06-17T10:16']) {
      expect(check(team, { service: 'hour', now: NOW }, at(NY, t))).toEqual({ ok: false, code: 'SLOT_UNAVAILABLE' });
    }
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-17T10:15') + 1)).toEqual({ ok: false, code: 'SLOT_UNAVAILABLE' });
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-17T10:15:30'))).toEqual({ ok: false, code: 'SLOT_UNAVAILABLE' });
  });

  it('ok lists the free staff in config order', () => {
    expect(check(team, { service: 'hour', now: NOW }, at(NY, '2026-06-17T10:00'))).toEqual({ ok: true, staffIds: ['alice', 'bob'] });
    const b = { alice: [busy(NY, '2026-06-17T10:00', '2026-06-17T10:30')] };
    expect(check(team, { service: 'hour', now: NOW, busy: b }, at(NY, '2026-06-17T10:00'))).toEqual({ ok: true, staffIds: ['bob'] });
  });

  it('checks only the staff it is given', () => {
    const start = at(NY, '2026-06-17T10:00');
    const r = checkStart({ rules: team.rules, service: team.timing('hour'), staff: [{ staffId: 'bob', busy: [] }], now: NOW }, start);
    expect(r).toEqual({ ok: true, staffIds: ['bob'] });
  });

  it('uses personal hours: OUTSIDE_HOURS for one, ok for another, CLOSED when nobody works that day', () => {
    const fx = makeBusiness({
      staff: [
        { id: 'alice', name: 'Alice' },
        { id: 'bob', name: 'Bob', hours: { monday: ['12:00-20:00'] } },
      ],
    });
    const now = at(NY, '2026-06-14T12:00');
    expect(check(fx, { service: 'hour', now }, at(NY, '2026-06-15T18:00'))).toEqual({ ok: true, staffIds: ['bob'] });
    expect(check(fx, { service: 'hour', now }, at(NY, '2026-06-15T20:00'))).toEqual({ ok: false, code: 'OUTSIDE_HOURS' });
    const onlyBob = { rules: fx.rules, service: fx.timing('hour'), staff: [{ staffId: 'bob', busy: [] }], now };
    expect(checkStart(onlyBob, at(NY, '2026-06-16T10:00'))).toEqual({ ok: false, code: 'CLOSED' });
    expect(checkStart(onlyBob, at(NY, '2026-06-15T10:00'))).toEqual({ ok: false, code: 'OUTSIDE_HOURS' });
  });
});

/** Every slot checkStart accepts, for every grid time of the window: the set findSlots must return. */
function gridStarts(from: number, to: number, stepMin: number): number[] {
  const out: number[] = [];
  for (let t = from; t < to; t += stepMin * MIN) out.push(t);
  return out;
}

function assertConsistent(fx: Fixture, service: string, now: number, from: number, to: number, b: Record<string, Interval[]>) {
  const slots = find(fx, { service, now, from, to, busy: b });
  expect(slots.length).toBeGreaterThan(0);
  const offered = new Map(slots.map((s) => [s.start, s.staffIds]));
  const mismatches: string[] = [];
  // every offered slot is bookable, with the same staff
  for (const s of slots) {
    const r = check(fx, { service, now, busy: b }, s.start);
    if (!r.ok || r.staffIds.join() !== s.staffIds.join()) mismatches.push(`${local(s.start, fx.zone)} offered to ${s.staffIds} but ${JSON.stringify(r)}`);
  }
  // and nothing else in the window is: every grid time from 08:00 to 18:00, plus off-grid times
  const daytime = (t: number) => {
    const h = DateTime.fromMillis(t, { zone: fx.zone }).hour;
    return h >= 8 && h < 18;
  };
  const grid = gridStarts(from, to, fx.rules.slotIntervalMin).filter(daytime);
  for (const t of [...grid, ...gridStarts(from + 7 * MIN, to, 97), ...gridStarts(from + 5 * MIN, to, 180)]) {
    if (offered.has(t)) continue;
    const r = check(fx, { service, now, busy: b }, t);
    if (r.ok) mismatches.push(`${local(t, fx.zone)} not offered but checkStart accepts it for ${r.staffIds}`);
  }
  expect(mismatches).toEqual([]);
}

describe('findSlots and checkStart agree', () => {
  it('over a week with closures, breaks, buffers, notice and two staff', () => {
    const b = {
      alice: [busy(NY, '2026-06-15T10:00', '2026-06-15T11:30'), busy(NY, '2026-06-17T13:00', '2026-06-17T17:00'), busy(NY, '2026-06-18T09:10', '2026-06-18T09:50')],
      bob: [busy(NY, '2026-06-15T10:30', '2026-06-15T12:00'), busy(NY, '2026-06-17T15:45', '2026-06-17T16:05'), busy(NY, '2026-06-20T10:00', '2026-06-20T14:00')],
    };
    for (const service of ['quick', 'hour-after', 'prep']) {
      assertConsistent(team, service, at(NY, '2026-06-15T09:13'), at(NY, '2026-06-15T00:00'), at(NY, '2026-06-22T00:00'), b);
    }
  });

  it('over a week spanning the US spring-forward weekend (ordinary hours)', () => {
    const fx = makeBusiness({
      hours: { monday: ['08:00-18:00'], friday: ['09:00-12:00', '13:00-17:00'], saturday: ['09:00-13:00'], sunday: ['10:00-16:00'] },
      staff: [
        { id: 'alice', name: 'Alice' },
        { id: 'bob', name: 'Bob', hours: { sunday: ['11:00-15:00'], saturday: ['09:00-13:00'] } },
      ],
    });
    const b = { alice: [busy(NY, '2026-03-08T12:00', '2026-03-08T13:00')], bob: [busy(NY, '2026-03-07T09:00', '2026-03-07T11:00')] };
    for (const service of ['quick', 'hour-after', 'prep']) {
      assertConsistent(fx, service, at(NY, '2026-03-05T12:00'), at(NY, '2026-03-06T00:00'), at(NY, '2026-03-10T00:00'), b);
    }
  });

  it('findSlots with a window of one instant equals checkStart for every grid time', () => {
    const now = at(NY, '2026-06-15T09:13');
    const b = { alice: [busy(NY, '2026-06-16T10:00', '2026-06-16T11:00')], bob: [busy(NY, '2026-06-16T10:30', '2026-06-16T13:30')] };
    for (let t = at(NY, '2026-06-16T08:00'); t < at(NY, '2026-06-16T18:00'); t += 15 * MIN) {
      const one = findSlots({ rules: team.rules, service: team.timing('half'), staff: team.staff('half', b), now, from: t, to: t + 1 });
      const r = check(team, { service: 'half', now, busy: b }, t);
      if (one.length) expect(r).toEqual({ ok: true, staffIds: one[0]!.staffIds });
      else expect(r.ok).toBe(false);
    }
  });

  it('a week of slots for a long horizon search is stable when split into day-sized windows', () => {
    const now = at(NY, '2026-06-15T09:13');
    const whole = find(team, { service: 'hour', now, from: now, to: now + 7 * DAY });
    const pieces = [];
    for (let d = 0; d < 7; d++) pieces.push(...find(team, { service: 'hour', now, from: now + d * DAY, to: now + (d + 1) * DAY }));
    expect(pieces).toEqual(whole);
    expect(local(whole[0]!.start, NY)).toBe('2026-06-15 13:00'); // 11:15 + 60 min would run into lunch
  });
});
