/**
 * Self-service links: /a/<token>, where the token names one appointment of one business, says
 * what it is for, and when it stops working (the appointment's end), signed with HMAC-SHA256 under
 * WEB_LINK_SECRET. Nothing in it lists other appointments: the page can only load the one it names.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface LinkClaims {
  /** Business id. */
  b: string;
  /** Appointment id. */
  a: string;
  /** Expiry, epoch ms. */
  e: number;
  /** Purpose: only "manage" links exist; a token minted for anything else never opens this page. */
  p: 'manage';
}

const b64 = (b: Buffer) => b.toString('base64url');

function mac(secret: string, body: string): Buffer {
  return createHmac('sha256', secret).update('bookline-link\0').update(body).digest();
}

export function signLink(secret: string, claims: Omit<LinkClaims, 'p'>): string {
  const body = b64(Buffer.from(JSON.stringify({ ...claims, p: 'manage' })));
  return `${body}.${b64(mac(secret, body))}`;
}

/** The claims of a valid, unexpired token for this business, or undefined (never says why). */
export function verifyLink(secret: string, token: string, businessId: string, now: number): LinkClaims | undefined {
  if (token.length > 600) return undefined;
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) return undefined;
  const want = mac(secret, body);
  const got = Buffer.from(sig, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  let claims: Partial<LinkClaims>;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<LinkClaims>;
  } catch {
    return undefined;
  }
  if (claims.p !== 'manage' || claims.b !== businessId || typeof claims.a !== 'string' || typeof claims.e !== 'number' || claims.e <= now) return undefined;
  return claims as LinkClaims;
}

/** The link for an appointment, when links are configured. */
export function manageUrl(settings: { WEB_LINK_SECRET?: string | undefined; PUBLIC_BASE_URL: string }, businessId: string, appt: { id: string; end: number }): string | undefined {
  if (!settings.WEB_LINK_SECRET) return undefined;
  return `${settings.PUBLIC_BASE_URL}/a/${signLink(settings.WEB_LINK_SECRET, { b: businessId, a: appt.id, e: appt.end })}`;
}
