import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The digests of the few configured secrets, so a request hashes only what it was given. Bounded:
 * secrets come from configuration, but nothing here should grow with what callers send.
 */
const known = new Map<string, Buffer>();

/** Constant-time string comparison (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * safeEqual against a configured secret (an API key, a webhook secret), whose digest is kept:
 * a request hashes only what it was given. Never for values computed per request.
 */
export function matchesSecret(given: string, secret: string): boolean {
  let hs = known.get(secret);
  if (!hs) {
    if (known.size >= 1_000) known.clear();
    known.set(secret, (hs = digest(secret)));
  }
  return timingSafeEqual(digest(given), hs);
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  const m = h ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
  return m?.[1];
}

/**
 * `Authorization: Bearer <key>` for a whole router. No key configured: the routes do not exist
 * (404 with `disabled` as the error), so nothing is open by accident.
 */
export function requireKey(key: string | undefined, disabled: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!key) {
      res.status(404).json({ error: disabled });
      return;
    }
    const given = bearerToken(req);
    if (!given || !matchesSecret(given, key)) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    next();
  };
}
