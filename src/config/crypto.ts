/**
 * Secrets at rest: AES-256-GCM (node:crypto) with a key from BOOKLINE_ENCRYPTION_KEY. Each
 * ciphertext names the key that sealed it, so keys can be rotated: list the new key first and keep
 * the old ones after it until everything has been re-sealed (`npm run business -- reseal`).
 *
 *   BOOKLINE_ENCRYPTION_KEY="k2:<base64 of 32 bytes>,k1:<base64 of 32 bytes>"
 *
 * A key without an id ("<base64>") gets the id "k1". Sealed text: `v1.<key id>.<iv>.<tag>.<data>`,
 * each part base64url; the key id is also authenticated (GCM additional data), so a ciphertext
 * cannot be passed off as sealed by another key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError } from './business.js';

export interface Keyring {
  /** The id new secrets are sealed with. */
  current: string;
  keys: Map<string, Buffer>;
}

export function parseKeyring(value: string | undefined): Keyring | undefined {
  if (!value || value.trim() === '') return undefined;
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [id, b64] = part.includes(':') ? (part.split(':', 2) as [string, string]) : ['k1', part];
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new ConfigError(`BOOKLINE_ENCRYPTION_KEY: key id "${id}" may use letters, digits, - and _ only.`);
    const key = Buffer.from(b64, 'base64');
    if (key.length !== 32) {
      throw new ConfigError(`BOOKLINE_ENCRYPTION_KEY: key "${id}" must be 32 bytes in base64 (make one with: openssl rand -base64 32).`);
    }
    if (keys.has(id)) throw new ConfigError(`BOOKLINE_ENCRYPTION_KEY: key id "${id}" appears twice.`);
    keys.set(id, key);
    current ??= id;
  }
  return current ? { current, keys } : undefined;
}

const b64u = (b: Buffer) => b.toString('base64url');

/**
 * Additional data: the key id, and the `context` a secret belongs to when one is given (a
 * connection's business and staff member), so a sealed value copied into another row does not open.
 */
const aad = (id: string, context: string | undefined) => Buffer.from(context === undefined ? id : `${id}|${context}`);

export function seal(ring: Keyring, plaintext: string, context?: string): string {
  const key = ring.keys.get(ring.current)!;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(ring.current, context));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', ring.current, b64u(iv), b64u(cipher.getAuthTag()), b64u(data)].join('.');
}

export class SealError extends Error {}

export function unseal(ring: Keyring, sealed: string, context?: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== 'v1') throw new SealError('not a sealed secret');
  const [, id, iv, tag, data] = parts as [string, string, string, string, string];
  const key = ring.keys.get(id);
  if (!key) throw new SealError(`sealed with key "${id}", which BOOKLINE_ENCRYPTION_KEY does not hold`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(aad(id, context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError(`cannot be opened with key "${id}" (wrong key, or the text was altered)`);
  }
}

/** The key id a sealed text names (to find what still needs re-sealing after a rotation). */
export function sealedWith(sealed: string): string | undefined {
  const parts = sealed.split('.');
  return parts.length === 5 && parts[0] === 'v1' ? parts[1] : undefined;
}
