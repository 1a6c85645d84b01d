/** Phone numbers are compared in E.164, so "(555) 010-2030" and "+15550102030" are one customer. */
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export function normalizePhone(input: string, defaultRegion: string): string | undefined {
  const trimmed = input.trim();
  if (!trimmed || trimmed.length > 40) return undefined;
  const parsed = parsePhoneNumberFromString(trimmed, defaultRegion.toUpperCase() as CountryCode);
  // isPossible, not isValid: test and fictional 555 numbers must still work for demos.
  if (!parsed || !parsed.isPossible()) return undefined;
  return parsed.number;
}

/** "+15550102030" -> "ending in 2030": how we refer to a number out loud without reading it all. */
export function phoneTail(e164: string): string {
  return e164.slice(-4);
}
