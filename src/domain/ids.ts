import { randomBytes } from 'node:crypto';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/** Random id in base32hex (0-9, a-v): valid as a Google Calendar event id and easy to read back. */
export function randomBase32hex(chars: number): string {
  const bytes = randomBytes(chars);
  let out = '';
  for (let i = 0; i < chars; i++) out += BASE32HEX[bytes[i]! & 31];
  return out;
}

export interface IdGenerator {
  appointmentId(): string;
  blockId(): string;
}

export const randomIds: IdGenerator = {
  appointmentId: () => `apt_${randomBase32hex(16)}`,
  blockId: () => `blk_${randomBase32hex(16)}`,
};
