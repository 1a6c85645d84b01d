/**
 * Time-zone arithmetic for the hot path of a tool call (window parsing, the slot engine, speech).
 *
 * luxon did this before and cost about 40% of the CPU of a find: every DateTime asks Intl for the
 * zone's offset (formatToParts, then parsing the parts), and a find builds hundreds of them. Offsets
 * are a pure function of (zone, instant) while the process runs, and change at most once an hour, so
 * here they are asked of Intl once per zone and UTC hour and remembered; everything else is integer
 * arithmetic on "local-as-UTC" milliseconds (the wall time written as if it were UTC).
 *
 * Semantics are luxon's, checked against it by property tests (test/core/zone.test.ts), with one
 * deliberate difference: a wall time that occurs twice (the clocks fall back) is its first
 * occurrence. luxon resolves it with the offset the zone has on the machine's current date, so the
 * same argument booked a different hour in winter than in summer; the slot engine already offers the
 * first occurrence, so a booking now lands on the slot that was offered.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Wall-clock fields of an instant in a zone. `weekday` is ISO: Monday = 1 ... Sunday = 7 (as luxon). */
export interface WallParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  weekday: number;
}

/** A wall time resolved to an instant; `exists` is false when the clocks sprang forward over it. */
export interface Resolved {
  ms: number;
  exists: boolean;
}

/** Date.UTC, except that years 0-99 mean themselves and not 19xx. */
export function utcFields(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, millisecond = 0): number {
  const t = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  if (year >= 100 || year < 0) return t;
  const d = new Date(t);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The fields of a local-as-UTC millisecond count, by arithmetic (days-to-civil), no Date object. */
export function fieldsOf(localMs: number): WallParts {
  const days = Math.floor(localMs / DAY);
  let rest = localMs - days * DAY;
  const hour = Math.floor(rest / HOUR);
  rest -= hour * HOUR;
  const minute = Math.floor(rest / MINUTE);
  rest -= minute * MINUTE;
  const second = Math.floor(rest / 1000);
  const millisecond = Math.floor(rest - second * 1000);
  // Howard Hinnant's civil_from_days: proleptic Gregorian, valid far beyond any date we see.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  // 1970-01-01 was a Thursday (ISO 4).
  const weekday = ((((days + 3) % 7) + 7) % 7) + 1;
  return { year, month, day, hour, minute, second, millisecond, weekday };
}

/** Offsets remembered per zone; cleared wholesale past this many hours (about 11 years of hours). */
const MAX_MEMO = 100_000;

export class TimeZone {
  private static readonly zones = new Map<string, TimeZone>();

  /** One instance per zone name, so its formatter and memo are shared by every caller. */
  static of(name: string): TimeZone {
    let z = TimeZone.zones.get(name);
    if (!z) {
      z = new TimeZone(name);
      TimeZone.zones.set(name, z);
    }
    return z;
  }

  private readonly dtf: Intl.DateTimeFormat;
  /** UTC hour number -> the offset (minutes) all through that hour, or NaN when it changes inside it. */
  private readonly hours = new Map<number, number>();

  private constructor(readonly name: string) {
    // The options luxon's IANAZone uses, so the offsets are the same numbers.
    this.dtf = new Intl.DateTimeFormat('en-US', {
      hour12: false,
      timeZone: name,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    });
  }

  /** The offset from UTC in minutes at `ts`, as luxon's IANAZone.offset computes it. */
  offset(ts: number): number {
    const h = Math.floor(ts / HOUR);
    let v = this.hours.get(h);
    if (v === undefined) {
      const a = this.intlOffset(h * HOUR);
      v = a === this.intlOffset(h * HOUR + HOUR - 1) ? a : Number.NaN;
      if (this.hours.size >= MAX_MEMO) this.hours.clear();
      this.hours.set(h, v);
    }
    // A transition falls inside this hour (a few hours a year): ask Intl for the exact instant.
    return Number.isNaN(v) ? this.intlOffset(ts) : v;
  }

  private intlOffset(ts: number): number {
    // Called once or twice per zone and hour (see offset), so clarity beats speed here.
    const f: Record<string, number> = {};
    let bc = false;
    for (const p of this.dtf.formatToParts(new Date(ts))) {
      if (p.type === 'era') bc = p.value === 'BC';
      else if (p.type !== 'literal') f[p.type] = parseInt(p.value, 10);
    }
    const year = bc ? -Math.abs(f.year!) + 1 : f.year!;
    // hour12: false can still say 24 for midnight on some engines.
    const asUTC = utcFields(year, f.month!, f.day!, f.hour === 24 ? 0 : f.hour!, f.minute!, f.second!);
    const over = ts % 1000;
    const asTS = ts - (over >= 0 ? over : 1000 + over);
    return (asUTC - asTS) / MINUTE;
  }

  /** The wall time at `ts` as local-as-UTC milliseconds. */
  local(ts: number): number {
    return ts + this.offset(ts) * MINUTE;
  }

  parts(ts: number): WallParts {
    return fieldsOf(this.local(ts));
  }

  /**
   * The instant at which the clock reads `localMs`. Repeated wall times (fall-back) resolve to the
   * first occurrence; a wall time inside a spring-forward gap is moved forward by the gap, as luxon
   * does (02:30 on a New York spring-forward night is 03:30 EDT), with `exists: false`.
   */
  resolve(localMs: number): Resolved {
    const before = this.offset(localMs - DAY);
    const after = this.offset(localMs + DAY);
    const a = localMs - before * MINUTE;
    if (before === after) {
      // Usual case; a transition both ways inside two days is still caught by the check.
      if (this.local(a) === localMs) return { ms: a, exists: true };
    }
    const b = localMs - after * MINUTE;
    const aOk = this.local(a) === localMs;
    const bOk = this.local(b) === localMs;
    if (aOk && bOk) return { ms: Math.min(a, b), exists: true };
    if (aOk) return { ms: a, exists: true };
    if (bOk) return { ms: b, exists: true };
    return { ms: localMs - Math.min(before, after) * MINUTE, exists: false };
  }

  /** The instant a wall-clock date and time falls on (see resolve). */
  instant(year: number, month: number, day: number, hour = 0, minute = 0): Resolved {
    return this.resolve(utcFields(year, month, day, hour, minute));
  }

  /** Local days since 1970-01-01 of the day holding `ts`. */
  dayNumber(ts: number): number {
    return Math.floor(this.local(ts) / DAY);
  }

  /** Local midnight of the day holding `ts`, as local-as-UTC milliseconds. */
  localMidnight(ts: number): number {
    return this.dayNumber(ts) * DAY;
  }

  /** The first instant of the local day holding `ts`, `days` days later (luxon's startOf('day').plus({days})). */
  startOfDay(ts: number, days = 0): number {
    return this.resolve(this.localMidnight(ts) + days * DAY).ms;
  }
}
