import { randomBytes } from 'node:crypto';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

// Drawn from a pool: one randomBytes call per id (a Buffer and a trip into OpenSSL each) was about
// 2% of a booking's CPU. The bytes are the same CSPRNG's, each used once.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** Random id in base32hex (0-9, a-v): valid as a Google Calendar event id and easy to read back. */
export function randomBase32hex(chars: number): string {
  if (chars > POOL_BYTES) return encode(randomBytes(chars), 0, chars);
  if (used + chars > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const out = encode(pool, used, chars);
  used += chars;
  return out;
}

function encode(bytes: Uint8Array, from: number, chars: number): string {
  let out = '';
  for (let i = from; i < from + chars; i++) out += BASE32HEX[bytes[i]! & 31];
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
