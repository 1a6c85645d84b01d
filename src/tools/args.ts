/**
 * Argument pieces shared by the tool schemas. Every string is bounded: the model can be talked into
 * sending anything, and nothing unbounded reaches the database or a log line. Validation failures
 * never reach the caller in the validator's words: runTool turns each into a message code
 * (ARG_MISSING, ARG_INVALID...) and src/render/voice.ts words it.
 */
import { z } from 'zod';
import { BookingError } from '../domain/errors.js';
import { normalizePhone } from '../domain/phone.js';
import type { Deps } from '../deps.js';

export const serviceName = z.string().trim().min(1).max(100).describe('The service the caller wants, in their words, e.g. "haircut". Use list_services if unsure.');
export const staffName = z.string().trim().min(1).max(100).describe('A specific staff member the caller asked for. Leave out for anyone available.');
export const customerPhone = z
  .string()
  .trim()
  .min(3)
  .max(40)
  .describe("The caller's phone number, with area code; any common format.");
/** A date or date-time; its format is checked by parseWhen, which answers with our own sentences. */
export const isoDate = z.string().trim().min(1).max(40);
export const appointmentId = z.string().trim().min(1).max(64).describe('The appointment id, only when the caller has several appointments and said which one.');

/** The most times a search returns; a larger max_results is clamped to it, not refused. */
export const MAX_RESULTS = 20;
export const maxResults = z
  .number()
  .overwrite((n) => Math.min(MAX_RESULTS, Math.max(1, Math.round(n))))
  .int()
  .min(1)
  .max(MAX_RESULTS);

export function phoneArg(deps: Deps, raw: string, field = 'customer_phone'): string {
  const e164 = normalizePhone(raw, deps.config.business.phoneRegion);
  if (!e164) throw new BookingError('BAD_PHONE', { field }, { field });
  return e164;
}
