/**
 * Request authentication for the platform adapters, with node:crypto only. Every check works on the
 * raw request bytes (req.rawBody) because a signature covers exactly what was sent, and re-serialized
 * JSON is not byte-identical (key order, spacing, unicode escapes). "Now" comes from the caller so
 * tests can move the clock.
 */
import { createHmac, createPublicKey, type KeyObject, timingSafeEqual, verify } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { RawBodyRequest } from '../app.js';
import { bearerToken, safeEqual } from '../http/auth.js';

export type Verdict = { ok: true } | { ok: false; reason: string };

const fail = (reason: string): Verdict => ({ ok: false, reason });

/** The exact bytes of the request body (empty when the body parser saw none). */
export function rawBodyOf(req: Request): Buffer {
  return (req as RawBodyRequest).rawBody ?? Buffer.alloc(0);
}

// DER prefix of an Ed25519 SubjectPublicKeyInfo; Telnyx publishes only the 32 raw key bytes.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Telnyx's account key (base64 of 32 raw bytes) as a KeyObject; throws on anything else. */
export function telnyxPublicKey(base64: string): KeyObject {
  const raw = Buffer.from(base64.trim(), 'base64');
  if (raw.length !== 32) throw new Error('TELNYX_PUBLIC_KEY must be the base64 of a 32-byte Ed25519 public key');
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

export const TELNYX_TOLERANCE_S = 300;

/**
 * Telnyx: `telnyx-signature-ed25519` = base64 Ed25519 signature over `${telnyx-timestamp}|${rawBody}`,
 * timestamp in Unix seconds, rejected when more than 300 s away from now (either direction).
 */
export function verifyTelnyx(raw: Buffer, signature: string | undefined, timestamp: string | undefined, key: KeyObject, nowMs: number): Verdict {
  if (!signature || !timestamp) return fail('missing telnyx-signature-ed25519 or telnyx-timestamp');
  if (!/^\d{1,12}$/.test(timestamp)) return fail('malformed telnyx-timestamp');
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > TELNYX_TOLERANCE_S) return fail('stale telnyx-timestamp');
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return fail('malformed telnyx-signature-ed25519');
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), raw]);
  return verify(null, signed, key, sig) ? { ok: true } : fail('bad signature');
}

export const RETELL_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * Retell: `X-Retell-Signature: v=<unix ms>,d=<hex HMAC-SHA256(apiKey, body + ms)>`, 5-minute
 * tolerance (retell-typescript-sdk src/lib/webhook_auth.ts). Retell's own SDK hashes
 * JSON.stringify(parsedBody), so that is the form known to match real traffic; the raw bytes are
 * tried first because they are exact whenever Retell sends compact JSON. Both are keyed by the same
 * secret, so accepting either gives a forger nothing.
 */
export function verifyRetell(raw: Buffer, parsedBody: unknown, header: string | undefined, apiKey: string, nowMs: number): Verdict {
  if (!header) return fail('missing x-retell-signature');
  const m = /^v=(\d{1,16}),d=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return fail('malformed x-retell-signature');
  const stamp = m[1]!;
  if (Math.abs(nowMs - Number(stamp)) > RETELL_TOLERANCE_MS) return fail('stale x-retell-signature');
  const given = Buffer.from(m[2]!, 'hex');
  const matches = (body: Buffer | string) => timingSafeEqual(createHmac('sha256', apiKey).update(body).update(stamp).digest(), given);
  if (matches(raw)) return { ok: true };
  const reserialized = parsedBody === undefined ? undefined : JSON.stringify(parsedBody);
  if (reserialized !== undefined && reserialized !== raw.toString('utf8') && matches(reserialized)) return { ok: true };
  return fail('bad signature');
}

/** Builds the Retell header for a body; used by tests and handy for curl. */
export function signRetell(body: string | Buffer, apiKey: string, nowMs: number): string {
  const digest = createHmac('sha256', apiKey).update(body).update(String(nowMs)).digest('hex');
  return `v=${nowMs},d=${digest}`;
}

/** Shared-secret check: `Authorization: Bearer <secret>` or the named header. */
export function secretMatches(req: Request, secret: string, headerName?: string): boolean {
  const given = (headerName ? req.get(headerName) : undefined) ?? bearerToken(req);
  return given !== undefined && safeEqual(given, secret);
}

/**
 * Middleware for bearer-protected entry points. `secret()` is read per request so the settings
 * object stays the single source; unset means open (development default, documented).
 */
export function requireBearer(secret: () => string | undefined, deny: (res: Response) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const s = secret();
    if (s === undefined || secretMatches(req, s)) {
      next();
      return;
    }
    deny(res);
  };
}

export const VAPI_HMAC_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * Vapi's HMAC credential with its defaults (server-authentication docs; SDK HmacAuthenticationPlan):
 * `x-signature` = hex HMAC-SHA256(secret, `${x-timestamp}.${rawBody}`). The timestamp's unit is not
 * documented, so seconds and milliseconds are both read (a 13-digit value is milliseconds).
 */
export function verifyVapiHmac(raw: Buffer, signature: string | undefined, timestamp: string | undefined, secret: string, nowMs: number): Verdict {
  if (!signature || !timestamp) return fail('missing x-signature or x-timestamp');
  if (!/^\d{9,13}$/.test(timestamp)) return fail('malformed x-timestamp');
  const tsMs = timestamp.length >= 13 ? Number(timestamp) : Number(timestamp) * 1000;
  if (Math.abs(nowMs - tsMs) > VAPI_HMAC_TOLERANCE_MS) return fail('stale x-timestamp');
  const given = signature.trim().replace(/^sha256=/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(given)) return fail('malformed x-signature');
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex')) ? { ok: true } : fail('bad signature');
}

/** Builds Vapi HMAC headers for a body; used by tests and handy for curl. */
export function signVapiHmac(body: string, secret: string, nowMs: number): Record<string, string> {
  const ts = String(Math.floor(nowMs / 1000));
  return { 'x-timestamp': ts, 'x-signature': createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex') };
}
