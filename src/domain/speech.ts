/**
 * Everything the assistant reads out is worded here: dates in the business zone ("Tuesday, March 16
 * at 2:30 PM"), lists of times grouped by day, and the one sentence for each error code. Never ISO
 * strings, never "UTC".
 */
import { DateTime } from 'luxon';
import { BookingError, type ErrorCode } from './errors.js';

export interface SpeechOptions {
  zone: string;
  locale: string;
  clock: '12h' | '24h';
  businessName: string;
}

export class Speech {
  constructor(readonly opts: SpeechOptions) {}

  private dt(ms: number): DateTime {
    return DateTime.fromMillis(ms, { zone: this.opts.zone }).setLocale(this.opts.locale);
  }

  time(ms: number): string {
    return this.dt(ms).toFormat(this.opts.clock === '24h' ? 'HH:mm' : 'h:mm a');
  }

  /** "Tuesday, March 16", with the year only when it is not this year. */
  day(ms: number, now: number): string {
    const d = this.dt(ms);
    const sameYear = d.year === this.dt(now).year;
    return d.toFormat(sameYear ? 'cccc, LLLL d' : 'cccc, LLLL d, yyyy');
  }

  /** "Tuesday, March 16 at 2:30 PM" */
  dateTime(ms: number, now: number): string {
    return `${this.day(ms, now)} at ${this.time(ms)}`;
  }

  /** ISO with the business offset, for data fields (never spoken). */
  iso(ms: number): string {
    return this.dt(ms).toISO({ suppressMilliseconds: true })!;
  }

  localDate(ms: number): string {
    return this.dt(ms).toISODate()!;
  }

  /** "Tuesday, March 16 at 9:00 AM or 2:30 PM, or Wednesday, March 17 at 10:00 AM" */
  timeList(starts: readonly number[], now: number): string {
    const byDay = new Map<string, number[]>();
    for (const s of [...starts].sort((a, b) => a - b)) {
      const key = this.localDate(s);
      const list = byDay.get(key);
      if (list) list.push(s);
      else byDay.set(key, [s]);
    }
    const parts = [...byDay.values()].map((times) => `${this.day(times[0]!, now)} at ${orList(times.map((t) => this.time(t)))}`);
    return parts.length <= 2 ? parts.join(', or ') : `${parts.slice(0, -1).join('; ')}; or ${parts[parts.length - 1]}`;
  }
}

export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  if (items.length === 2) return `${items[0]} or ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, or ${items[items.length - 1]}`;
}

export function andList(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  if (items.length === 2) return `${items[0]} and ${items[1]}`;
  return `${items.slice(0, -1).join(', ')}, and ${items[items.length - 1]}`;
}

/** Data every time-related failure carries so its sentence can be built here. */
export interface TimeFailureDetails {
  requested?: number;
  closure?: string;
  /** Nearest bookable starts. */
  alternatives?: number[];
  staffName?: string;
}

function alternativesClause(s: Speech, alternatives: readonly number[] | undefined, now: number): string {
  if (!alternatives || alternatives.length === 0) return ' I could not find another opening nearby; would you like a different day?';
  return ` The nearest openings are ${s.timeList(alternatives, now)}. Would one of those work?`;
}

/** The one sentence the caller hears for a time-rule failure. */
export function timeFailureSentence(code: ErrorCode, d: TimeFailureDetails, s: Speech, now: number): string {
  const when = d.requested !== undefined ? s.dateTime(d.requested, now) : 'that time';
  const alts = alternativesClause(s, d.alternatives, now);
  switch (code) {
    case 'IN_PAST':
      return `${cap(when)} has already passed.${alts}`;
    case 'TOO_SOON':
      return `${cap(when)} is too soon to book; we need a little more notice.${alts}`;
    case 'TOO_FAR':
      return `${cap(when)} is too far ahead; we only book a limited number of days out.${alts}`;
    case 'CLOSED':
      return d.closure && d.closure !== 'Closed'
        ? `We're closed for ${d.closure} at ${when}.${alts}`
        : `We're closed ${d.requested !== undefined ? `on ${s.day(d.requested, now)}` : 'then'}.${alts}`;
    case 'OUTSIDE_HOURS':
      return `${cap(when)} is outside our opening hours${d.staffName ? ` for ${d.staffName}` : ''}.${alts}`;
    case 'SLOT_UNAVAILABLE':
      return `${cap(when)} is not available${d.staffName ? ` with ${d.staffName}` : ''}.${alts}`;
    default:
      return `${cap(when)} can't be booked.${alts}`;
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface FailureResult {
  ok: false;
  code: ErrorCode;
  message: string;
  [key: string]: unknown;
}

/**
 * Any thrown value -> the failure result the assistant reads. Unknown errors become a generic
 * sentence with code INTERNAL: a caller never hears a stack trace.
 */
export function failureResult(err: unknown): FailureResult {
  if (err instanceof BookingError) {
    return { ok: false, code: err.code, message: oneLine(err.message), ...err.details };
  }
  return {
    ok: false,
    code: 'INTERNAL',
    message: 'Sorry, something went wrong on our side while handling that. Please try again, or I can take a message.',
  };
}

/** Voice platforms want one line: collapse any newline or run of spaces. */
export function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
