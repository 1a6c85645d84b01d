/**
 * src/domain/zone.ts, Speech and parseWhen replaced luxon on the hot path; luxon stays the oracle.
 * Property tests across zones with DST one way and the other, half-hour DST (Lord Howe), no DST
 * (Kolkata) and abolished DST (Sao Paulo, until 2019), with instants drawn both at random and within
 * hours of each real transition, where the two could disagree.
 */
import fc from 'fast-check';
import { DateTime, FixedOffsetZone, IANAZone, Settings } from 'luxon';
import { afterEach, describe, expect, it } from 'vitest';
import { isBookingError } from '../../src/domain/errors.js';
import { Speech } from '../../src/domain/speech.js';
import { parseWhen } from '../../src/domain/when.js';
import { TimeZone } from '../../src/domain/zone.js';

const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo'];
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const FROM = Date.UTC(1995, 0, 1);
const TO = Date.UTC(2040, 0, 1);
const RUNS = { numRuns: 400 };

/** Every instant the zone's offset changes in [FROM, TO), found with luxon (hourly scan, then bisection). */
function transitions(zone: string): number[] {
  const z = IANAZone.create(zone);
  const out: number[] = [];
  let prev = z.offset(FROM);
  for (let t = FROM + HOUR; t < TO; t += HOUR) {
    const o = z.offset(t);
    if (o === prev) continue;
    let lo = t - HOUR;
    let hi = t;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (z.offset(mid) === prev) lo = mid;
      else hi = mid;
    }
    out.push(hi);
    prev = o;
  }
  return out;
}
const TRANSITIONS = new Map(ZONES.map((z) => [z, transitions(z)]));

/** A zone and an instant: anywhere in the range, or within 3 hours of one of its transitions. */
const zoneAndInstant = fc.constantFrom(...ZONES).chain((zone) => {
  const ts = TRANSITIONS.get(zone)!;
  const anywhere = fc.integer({ min: FROM, max: TO - 1 });
  if (ts.length === 0) return fc.tuple(fc.constant(zone), anywhere);
  const near = fc.tuple(fc.constantFrom(...ts), fc.integer({ min: -3 * HOUR, max: 3 * HOUR })).map(([t, d]) => t + d);
  // Whole minutes too: slots and bookings sit on them, and transitions do.
  const nearMinute = near.map((t) => Math.floor(t / MINUTE) * MINUTE);
  return fc.tuple(fc.constant(zone), fc.oneof(anywhere, near, nearMinute));
});

afterEach(() => {
  Settings.now = () => Date.now();
});

/**
 * luxon resolves a wall time with the offset "now" has as its first guess; run it with "now" a day
 * before and a day after the wall time, so both offsets around a transition are tried.
 */
function luxonBoth<T>(localMs: number, f: () => T): [T, T] {
  const results: T[] = [];
  for (const now of [localMs - 86_400_000, localMs + 86_400_000]) {
    Settings.now = () => now;
    results.push(f());
  }
  Settings.now = () => Date.now();
  return results as [T, T];
}

describe('TimeZone against luxon', () => {
  it('finds the transitions it is tested around', () => {
    expect(TRANSITIONS.get('America/New_York')!.length).toBeGreaterThan(80);
    expect(TRANSITIONS.get('Asia/Kolkata')).toEqual([]);
    // Sao Paulo kept DST until 2019: transitions before, none after.
    expect(TRANSITIONS.get('America/Sao_Paulo')!.every((t) => t < Date.UTC(2019, 3, 1))).toBe(true);
  });

  it('offsets and wall-clock fields are the same', () => {
    fc.assert(
      fc.property(zoneAndInstant, ([zone, t]) => {
        const mine = TimeZone.of(zone);
        expect(mine.offset(t)).toBe(IANAZone.create(zone).offset(t));
        const d = DateTime.fromMillis(t, { zone });
        expect(mine.parts(t)).toEqual({ year: d.year, month: d.month, day: d.day, hour: d.hour, minute: d.minute, second: d.second, millisecond: d.millisecond, weekday: d.weekday });
      }),
      RUNS,
    );
  });

  it('resolves wall times as luxon does; a repeated one is its first occurrence', () => {
    fc.assert(
      fc.property(zoneAndInstant, fc.integer({ min: -120, max: 120 }), ([zone, t], shiftMin) => {
        // A wall time near the instant's own, so gaps and overlaps are hit often.
        const w = TimeZone.of(zone).parts(t + shiftMin * MINUTE);
        const obj = { year: w.year, month: w.month, day: w.day, hour: w.hour, minute: w.minute };
        const got = TimeZone.of(zone).instant(obj.year, obj.month, obj.day, obj.hour, obj.minute);
        const [a, b] = luxonBoth(Date.UTC(obj.year, obj.month - 1, obj.day, obj.hour, obj.minute), () => DateTime.fromObject(obj, { zone }));
        const exists = a.hour === obj.hour && a.minute === obj.minute;
        expect(got.exists).toBe(exists);
        if (a.toMillis() !== b.toMillis()) {
          // Ambiguous: both are real occurrences of the wall time; we take the earlier.
          expect(exists && b.hour === obj.hour && b.minute === obj.minute).toBe(true);
          expect(got.ms).toBe(Math.min(a.toMillis(), b.toMillis()));
        } else {
          expect(got.ms).toBe(a.toMillis());
        }
      }),
      RUNS,
    );
  });

  // Not startOf('day').plus({ days }) alone: after a day whose midnight the clocks skip (Sao Paulo
  // until 2019), luxon carries the shifted 01:00 into the next days; the day still starts at 00:00.
  it('start of the local day, and of the days after it, as luxon has them', () => {
    fc.assert(
      fc.property(zoneAndInstant, fc.integer({ min: 0, max: 90 }), ([zone, t], days) => {
        const want = DateTime.fromMillis(t, { zone }).startOf('day').plus({ days }).startOf('day').toMillis();
        expect(TimeZone.of(zone).startOfDay(t, days)).toBe(want);
      }),
      RUNS,
    );
  });
});

describe('Speech against luxon', () => {
  const LOCALES = ['en-US', 'en', 'en-GB', 'de-DE', 'fr-FR', 'es-MX', 'ja-JP', 'ar-EG', 'hi-IN', 'en-US-u-nu-arab'];
  const FORMATS = ['cccc, LLLL d', 'cccc, LLLL d, yyyy', 'HH:mm', 'h:mm a', 'H:mm', 'h', 'a', 'cccc'];

  it('formats every token the renderers use byte for byte, in many locales', () => {
    fc.assert(
      fc.property(zoneAndInstant, fc.constantFrom(...LOCALES), fc.constantFrom(...FORMATS), ([zone, t], locale, fmt) => {
        const speech = new Speech({ zone, locale, clock: '12h', businessName: 'x' });
        expect(speech.format(t, fmt)).toBe(DateTime.fromMillis(t, { zone }).setLocale(locale).toFormat(fmt));
      }),
      RUNS,
    );
  });

  it('ISO data fields, local dates and the spoken forms are what the luxon version wrote', () => {
    const zones = fc.oneof(zoneAndInstant, fc.tuple(fc.constantFrom('UTC', 'Etc/UTC', 'Asia/Kathmandu'), fc.integer({ min: FROM, max: TO })));
    fc.assert(
      fc.property(zones, fc.constantFrom('en-US', 'en-GB', 'de-DE'), fc.constantFrom('12h' as const, '24h' as const), fc.integer({ min: FROM, max: TO }), ([zone, t], locale, clock, now) => {
        const speech = new Speech({ zone, locale, clock, businessName: 'x' });
        const d = DateTime.fromMillis(t, { zone }).setLocale(locale);
        const n = DateTime.fromMillis(now, { zone }).setLocale(locale);
        expect(speech.iso(t)).toBe(d.toISO({ suppressMilliseconds: true }));
        expect(speech.localDate(t)).toBe(d.toISODate());
        expect(speech.time(t)).toBe(d.toFormat(clock === '24h' ? 'HH:mm' : 'h:mm a'));
        expect(speech.day(t, now)).toBe(d.toFormat(d.year === n.year ? 'cccc, LLLL d' : 'cccc, LLLL d, yyyy'));
        expect(speech.dayNumber(t) - speech.dayNumber(now)).toBe(Math.round(d.startOf('day').diff(n.startOf('day'), 'days').days));
      }),
      RUNS,
    );
  });
});

/** parseWhen as it was written with luxon (the oracle), without the error wording. */
function luxonParseWhen(value: string, zone: string, endOfDay: boolean): number | string {
  const v = value.trim();
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (d) {
    const dt = DateTime.fromObject({ year: +d[1]!, month: +d[2]!, day: +d[3]! }, { zone });
    return dt.isValid ? dt.toMillis() : 'BAD_DATE';
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(v);
  if (!m) return 'BAD_DATE';
  const [, y, mo, da, h, mi, se, off] = m;
  const date = { year: +y!, month: +mo!, day: +da! };
  const hour = +h!;
  const minute = +mi!;
  if (minute > 59 || (se !== undefined && +se > 59)) return 'BAD_DATE';
  let target = zone;
  if (off) {
    const om = /^([+-])(\d{2}):?(\d{2})?$/.exec(off);
    let offset = 0;
    if (om) {
      const total = Number(om[2]) * 60 + Number(om[3] ?? 0);
      if (Number(om[3] ?? 0) > 59 || total > 18 * 60) return 'BAD_OFFSET';
      offset = om[1] === '-' ? -total : total;
    }
    target = FixedOffsetZone.instance(offset).name;
  }
  const dayStart = DateTime.fromObject(date, { zone: target });
  if (!dayStart.isValid) return 'BAD_DATE';
  if (hour === 24) return minute !== 0 || !endOfDay ? 'HOUR_24' : dayStart.plus({ days: 1 }).toMillis();
  if (hour > 23) return 'BAD_DATE';
  const dt = DateTime.fromObject({ ...date, hour, minute }, { zone: target });
  if (!dt.isValid) return 'BAD_DATE';
  if (dt.hour !== hour || dt.minute !== minute) return 'CLOCKS_CHANGE';
  return dt.toMillis();
}

describe('parseWhen against the luxon version', () => {
  const two = (min: number, max: number) => fc.integer({ min, max }).map((n) => String(n).padStart(2, '0'));
  const offsets = fc.constantFrom('', 'Z', '+05:30', '-03:00', '+0100', '-11', '+25:00', '+05:75', ' +02:00');
  /** Dates and times near each zone's transitions, with impossible values mixed in. */
  const input = zoneAndInstant.chain(([zone, t]) => {
    const p = TimeZone.of(zone).parts(t);
    const date = fc.oneof(
      fc.constant(`${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`),
      fc.tuple(fc.integer({ min: 1995, max: 2039 }), two(0, 13), two(0, 32)).map(([y, m, d]) => `${y}-${m}-${d}`),
    );
    const time = fc.oneof(fc.constant(''), fc.tuple(fc.oneof(fc.constant(p.hour), fc.integer({ min: 0, max: 25 })), two(0, 60), fc.option(two(0, 60))).map(([h, m, s]) => `T${String(h).padStart(2, '0')}:${m}${s === null ? '' : `:${s}`}`));
    return fc.tuple(fc.constant(zone), date, time, offsets, fc.boolean());
  });

  it('gives the same instant or the same refusal', () => {
    fc.assert(
      fc.property(input, ([zone, date, time, off, endOfDay]) => {
        const value = time ? `${date}${time}${off}` : date;
        let got: number | string;
        try {
          got = parseWhen(value, zone, 'start_date', { endOfDay }).ms;
        } catch (e) {
          if (!isBookingError(e)) throw e;
          got = e.say.code;
        }
        const wall = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10));
        const [a, b] = luxonBoth(wall, () => luxonParseWhen(value, zone, endOfDay));
        const want = typeof a === 'number' && typeof b === 'number' ? Math.min(a, b) : a;
        expect(got).toBe(want);
      }),
      { numRuns: 1000 },
    );
  });
});
