/**
 * Turning the model's date arguments into instants. A date-time without an offset is business-local
 * time; one with an offset (or Z) is taken as given. Seconds and fractions are dropped (times are
 * booked to the minute: 14:00:30 is 14:00). Odd input is refused with a message code, never guessed
 * at: an impossible date ("2026-02-30"), an impossible offset ("+25:00"), 24:00 as a start, or a wall
 * time that does not exist because the clocks spring forward.
 */
import { BookingError } from './errors.js';
import { daysInMonth, TimeZone, utcFields } from './zone.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The largest offset any zone has used is under 15 h; ISO 8601 parsers commonly accept up to 18 h. */
const MAX_OFFSET_MIN = 18 * 60;

export interface ParsedWhen {
  ms: number;
  /** False when only a date was given (start of that local day). */
  hasTime: boolean;
}

export interface WhenOptions {
  /** 24:00 is accepted as the end of that day (for the end of a search window). */
  endOfDay?: boolean;
}

function offsetMinutes(off: string): number | undefined {
  if (/^z$/i.test(off)) return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(off);
  if (!m) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? 0);
  if (minutes > 59) return undefined;
  const total = hours * 60 + minutes;
  if (total > MAX_OFFSET_MIN) return undefined;
  return m[1] === '-' ? -total : total;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

const realDate = (year: number, month: number, day: number) => month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);

export function parseWhen(value: string, zone: string, field: string, opts: WhenOptions = {}): ParsedWhen {
  const v = value.trim();
  const tz = TimeZone.of(zone);
  const d = DATE_ONLY.exec(v);
  if (d) {
    const [year, month, day] = [+d[1]!, +d[2]!, +d[3]!];
    if (!realDate(year, month, day)) throw new BookingError('BAD_DATE', { field }, { field });
    return { ms: tz.instant(year, month, day).ms, hasTime: false };
  }
  const m = DATE_TIME.exec(v);
  if (!m) throw new BookingError('BAD_DATE', { field }, { field });
  const [, y, mo, da, h, mi, se, off] = m;
  const [year, month, day] = [+y!, +mo!, +da!];
  const hour = +h!;
  const minute = +mi!;
  if (minute > 59 || (se !== undefined && +se > 59)) throw new BookingError('BAD_DATE', { field }, { field });

  let offset: number | undefined;
  if (off) {
    offset = offsetMinutes(off);
    if (offset === undefined) throw new BookingError('BAD_OFFSET', { field }, { field });
  }
  if (!realDate(year, month, day)) throw new BookingError('BAD_DATE', { field }, { field });
  // A wall time in the given offset, or in the business zone.
  const at = (localMs: number) => (offset !== undefined ? { ms: localMs - offset * MINUTE, exists: true } : tz.resolve(localMs));
  const midnight = utcFields(year, month, day);

  if (hour === 24) {
    if (minute !== 0 || !opts.endOfDay) throw new BookingError('HOUR_24', { field }, { field });
    return { ms: at(midnight + DAY).ms, hasTime: true };
  }
  if (hour > 23) throw new BookingError('BAD_DATE', { field }, { field });

  const t = at(midnight + hour * 3_600_000 + minute * MINUTE);
  // The clocks spring forward over this wall time.
  if (!t.exists) throw new BookingError('CLOCKS_CHANGE', { field, hour, minute }, { field });
  return { ms: t.ms, hasTime: true };
}
