/**
 * Dates in the business zone, for data fields and for the renderers: "Tuesday, March 16 at 2:30 PM"
 * (the `spoken` data fields), ISO with the business offset, local dates. Sentences are not built
 * here: every caller-facing sentence is in src/render/voice.ts.
 */
import { DateTime } from 'luxon';

export interface SpeechOptions {
  zone: string;
  locale: string;
  clock: '12h' | '24h';
  businessName: string;
}

export class Speech {
  constructor(readonly opts: SpeechOptions) {}

  /** The instant as a luxon DateTime in the business zone and locale. */
  local(ms: number): DateTime {
    return DateTime.fromMillis(ms, { zone: this.opts.zone }).setLocale(this.opts.locale);
  }

  time(ms: number): string {
    return this.local(ms).toFormat(this.opts.clock === '24h' ? 'HH:mm' : 'h:mm a');
  }

  /** "Tuesday, March 16", with the year only when it is not this year. */
  day(ms: number, now: number): string {
    const d = this.local(ms);
    const sameYear = d.year === this.local(now).year;
    return d.toFormat(sameYear ? 'cccc, LLLL d' : 'cccc, LLLL d, yyyy');
  }

  /** "Tuesday, March 16 at 2:30 PM" */
  dateTime(ms: number, now: number): string {
    return `${this.day(ms, now)} at ${this.time(ms)}`;
  }

  /** ISO with the business offset, for data fields (never spoken). */
  iso(ms: number): string {
    return this.local(ms).toISO({ suppressMilliseconds: true })!;
  }

  localDate(ms: number): string {
    return this.local(ms).toISODate()!;
  }
}
