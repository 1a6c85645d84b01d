/**
 * Dates in the business zone, for data fields and for the renderers: "Tuesday, March 16 at 2:30 PM"
 * (the `spoken` data fields), ISO with the business offset, local dates. Sentences are not built
 * here: every caller-facing sentence is in src/render/voice.ts.
 *
 * The output is luxon's, byte for byte (test/core/zone.test.ts compares them), built from the zone
 * arithmetic in zone.ts and name tables asked of Intl once per locale: a find formats a few dozen
 * times, and a luxon DateTime per time was most of its cost. A locale carrying Unicode extensions
 * (-u-nu-..., -u-ca-...) changes digits or the calendar in ways the tables do not model, so it keeps
 * going through luxon.
 */
import { DateTime } from 'luxon';
import { TimeZone, type WallParts } from './zone.js';

export interface SpeechOptions {
  zone: string;
  locale: string;
  clock: '12h' | '24h';
  businessName: string;
}

const EN_WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const EN_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Weekday, month and day-period names and digits for one locale, the way luxon finds them. */
interface LocaleNames {
  weekday(isoWeekday: number): string;
  month(month: number): string;
  meridiem(hour: number): string;
  num(n: number, pad: number): string;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function localeNames(locale: string): LocaleNames {
  // luxon's Locale.listingMode(): only "en" and "en-US" use its built-in English tables.
  const lower = locale.toLowerCase();
  if (lower === 'en' || lower === 'en-us') {
    return {
      weekday: (w) => EN_WEEKDAYS[w - 1]!,
      month: (m) => EN_MONTHS[m - 1]!,
      meridiem: (h) => (h < 12 ? 'AM' : 'PM'),
      num: pad,
    };
  }
  // Otherwise luxon extracts each name from Intl.formatToParts of the date in hand; the names depend
  // only on the weekday, month or half of the day, so one extraction each is remembered.
  const extract = (opts: Intl.DateTimeFormatOptions, field: string, at: Date) =>
    new Intl.DateTimeFormat(locale, { ...opts, timeZone: 'UTC' }).formatToParts(at).find((p) => p.type.toLowerCase() === field)?.value ?? '';
  const weekdays = new Map<number, string>();
  const months = new Map<number, string>();
  const periods = new Map<number, string>();
  const memo = <K>(m: Map<K, string>, k: K, f: () => string) => {
    let v = m.get(k);
    if (v === undefined) m.set(k, (v = f()));
    return v;
  };
  // luxon's supportsFastNumbers(): plain digits unless the locale's own numbering system is not latn.
  const fastNumbers = lower.startsWith('en') || new Intl.DateTimeFormat(locale).resolvedOptions().numberingSystem === 'latn';
  const numberFormats = new Map<number, Intl.NumberFormat>();
  return {
    // 2016-11-14 was a Monday (luxon's reference week).
    weekday: (w) => memo(weekdays, w, () => extract({ weekday: 'long' }, 'weekday', new Date(Date.UTC(2016, 10, 13 + w)))),
    month: (m) => memo(months, m, () => extract({ month: 'long' }, 'month', new Date(Date.UTC(2009, m - 1, 1)))),
    meridiem: (h) => memo(periods, h, () => extract({ hour: 'numeric', hourCycle: 'h12' }, 'dayperiod', new Date(Date.UTC(2016, 10, 13, h)))),
    num: fastNumbers
      ? pad
      : (n, width) => {
          let f = numberFormats.get(width);
          if (!f) numberFormats.set(width, (f = new Intl.NumberFormat(locale, { useGrouping: false, minimumIntegerDigits: Math.max(1, width) })));
          return f.format(n);
        },
  };
}

/** luxon gives "Z" only for its fixed UTC zone, which is what it makes of these names. */
const FIXED_UTC = /^(utc|gmt)([+-]0{1,2}(:?00)?)?$/i;

export class Speech {
  private readonly tz: TimeZone;
  /** Null when the locale keeps the luxon path. */
  private readonly names: LocaleNames | null;
  private readonly utc: boolean;

  constructor(readonly opts: SpeechOptions) {
    this.tz = TimeZone.of(opts.zone);
    this.names = /-u-/i.test(opts.locale) ? null : localeNames(opts.locale);
    this.utc = FIXED_UTC.test(opts.zone);
  }

  /** The instant as a luxon DateTime in the business zone and locale (for callers off the hot path). */
  local(ms: number): DateTime {
    return DateTime.fromMillis(ms, { zone: this.opts.zone }).setLocale(this.opts.locale);
  }

  /** Wall-clock fields in the business zone. */
  parts(ms: number): WallParts {
    return this.tz.parts(ms);
  }

  /** Local days since 1970-01-01: two instants are on the same local day when these are equal. */
  dayNumber(ms: number): number {
    return this.tz.dayNumber(ms);
  }

  /** A luxon format string, for the few tokens the renderers use ("cccc", "LLLL d", "h:mm a"...). */
  format(ms: number, fmt: string): string {
    const n = this.names;
    if (!n) return this.local(ms).toFormat(fmt);
    const p = this.tz.parts(ms);
    return fmt.replace(/cccc|LLLL|yyyy|HH|H|hh|h|mm|dd|d|a/g, (tok) => token(tok, p, n));
  }

  time(ms: number): string {
    return this.format(ms, this.opts.clock === '24h' ? 'HH:mm' : 'h:mm a');
  }

  /** "Tuesday, March 16", with the year only when it is not this year. */
  day(ms: number, now: number): string {
    const sameYear = this.tz.parts(ms).year === this.tz.parts(now).year;
    return this.format(ms, sameYear ? 'cccc, LLLL d' : 'cccc, LLLL d, yyyy');
  }

  /** "Tuesday, March 16 at 2:30 PM" */
  dateTime(ms: number, now: number): string {
    return `${this.day(ms, now)} at ${this.time(ms)}`;
  }

  /** ISO with the business offset, for data fields (never spoken). */
  iso(ms: number): string {
    const p = this.tz.parts(ms);
    if (p.year < 0 || p.year > 9999) return this.local(ms).toISO({ suppressMilliseconds: true })!;
    const frac = p.millisecond ? `.${pad(p.millisecond, 3)}` : '';
    const time = `${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}${frac}`;
    return `${isoDate(p)}T${time}${this.utc ? 'Z' : offsetText(this.tz.offset(ms))}`;
  }

  localDate(ms: number): string {
    const p = this.tz.parts(ms);
    if (p.year < 0 || p.year > 9999) return this.local(ms).toISODate()!;
    return isoDate(p);
  }
}

function isoDate(p: WallParts): string {
  return `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}`;
}

/** luxon's formatOffset(offset, "short"): +05:30, -03:00, +00:00. */
function offsetText(offset: number): string {
  const abs = Math.abs(offset);
  return `${offset >= 0 ? '+' : '-'}${pad(Math.trunc(abs / 60), 2)}:${pad(Math.trunc(abs % 60), 2)}`;
}

/** The luxon tokens the renderers use, each from the wall-clock fields and the locale's names. */
const TOKENS: Record<string, (p: WallParts, n: LocaleNames) => string> = {
  cccc: (p, n) => n.weekday(p.weekday),
  LLLL: (p, n) => n.month(p.month),
  yyyy: (p, n) => n.num(p.year, 4),
  HH: (p, n) => n.num(p.hour, 2),
  H: (p, n) => n.num(p.hour, 0),
  hh: (p, n) => n.num(p.hour % 12 || 12, 2),
  h: (p, n) => n.num(p.hour % 12 || 12, 0),
  mm: (p, n) => n.num(p.minute, 2),
  dd: (p, n) => n.num(p.day, 2),
  d: (p, n) => n.num(p.day, 0),
  a: (p, n) => n.meridiem(p.hour),
};

function token(tok: string, p: WallParts, n: LocaleNames): string {
  return TOKENS[tok]!(p, n);
}
