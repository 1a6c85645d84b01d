/**
 * Argument pieces shared by the tool schemas. Every string is bounded: the model can be talked into
 * sending anything, and nothing unbounded reaches the database or a log line.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../domain/errors.js';
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
export const isoDate = z.string().trim().min(10).max(40);
export const appointmentId = z.string().trim().min(1).max(64).describe('The appointment id, only when the caller has several appointments and said which one.');

export function phoneArg(deps: Deps, raw: string, field = 'customer_phone'): string {
  const e164 = normalizePhone(raw, deps.config.business.phoneRegion);
  if (!e164) {
    throw new InvalidArgumentError(`The phone number "${raw.slice(0, 40)}" doesn't look complete; please ask the caller to say it again with the area code.`, { field });
  }
  return e164;
}
