/**
 * Turning the model's date arguments into instants. A date-time without an offset is business-local
 * time; one with an offset (or Z) is taken as given. Odd input ("2026-02-30", "25:00", a time that
 * does not exist because clocks spring forward) is refused with a sentence, never guessed at.
 */
import { DateTime } from 'luxon';
import { InvalidArgumentError } from './errors.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

export interface ParsedWhen {
  ms: number;
  /** False when only a date was given (start of that local day). */
  hasTime: boolean;
}

export function parseWhen(value: string, zone: string, field: string): ParsedWhen {
  const v = value.trim();
  const d = DATE_ONLY.exec(v);
  if (d) {
    const dt = DateTime.fromObject({ year: +d[1]!, month: +d[2]!, day: +d[3]! }, { zone });
    if (!dt.isValid) throw badDate(field, v);
    return { ms: dt.toMillis(), hasTime: false };
  }
  const m = DATE_TIME.exec(v);
  if (!m) throw badDate(field, v);
  const [, y, mo, da, h, mi, se, off] = m;
  const fields = { year: +y!, month: +mo!, day: +da!, hour: +h!, minute: +mi!, second: se ? +se : 0 };
  if (off) {
    const dt = DateTime.fromISO(v.replace(' ', 'T'), { setZone: true });
    if (!dt.isValid) throw badDate(field, v);
    return { ms: dt.toMillis(), hasTime: true };
  }
  const dt = DateTime.fromObject(fields, { zone });
  if (!dt.isValid) throw badDate(field, v);
  if (dt.hour !== fields.hour || dt.minute !== fields.minute) {
    throw new InvalidArgumentError(
      `${fields.hour}:${String(fields.minute).padStart(2, '0')} doesn't exist on that day because the clocks change; please ask the caller for another time.`,
      { field },
    );
  }
  return { ms: dt.toMillis(), hasTime: true };
}

function badDate(field: string, value: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `I couldn't understand the ${field.replace(/_/g, ' ')} "${value.slice(0, 40)}"; please ask the caller for the date and time again, and send it like 2026-03-16T14:30.`,
    { field },
  );
}
