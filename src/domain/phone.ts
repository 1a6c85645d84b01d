/** Phone numbers are compared in E.164, so "(555) 010-2030" and "+15550102030" are one customer. */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * A booking parses the same number four or five times (the argument, the caller id, the rate
 * limit, the notifications), and libphonenumber's parse was about 7% of a booking's CPU: the last
 * few thousand answers are kept. Pure, so a cached answer is the answer.
 */
const normalized = new Map<string, string | null>();
const NORMALIZED_MAX = 4_096;

export function normalizePhone(input: string, defaultRegion: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed || trimmed.length > 40) return undefined;
  const key = `${defaultRegion}\u0000${trimmed}`;
  const hit = normalized.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const parsed = parsePhoneNumberFromString(trimmed, defaultRegion.toUpperCase() as CountryCode);
  // isPossible, not isValid: test and fictional 555 numbers must still work for demos.
  const out = parsed?.isPossible() ? parsed.number : undefined;
  if (normalized.size >= NORMALIZED_MAX) normalized.clear();
  normalized.set(key, out ?? null);
  return out;
}

/**
 * A number as people in the business's region write and say it: the national format for a number
 * of that region ("(212) 555-0100"), the international one otherwise ("+44 20 7946 0958"), and the
 * text as given when it does not parse. The SMS templates and the voice renderer use this one
 * format, so the caller hears what the text message shows.
 */
export function formatPhone(phone: string, region: string): string {
  const parsed = parsePhoneNumberFromString(phone, region.toUpperCase() as CountryCode);
  if (!parsed?.isPossible()) return phone;
  return parsed.country === region.toUpperCase() ? parsed.formatNational() : parsed.formatInternational();
}

/** "+15550102030" -> "ending in 2030": how we refer to a number out loud without reading it all. */
export function phoneTail(e164: string): string {
  return e164.slice(-4);
}
