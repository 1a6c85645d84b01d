import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** Constant-time string comparison (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function bearerToken(req: Request): string | undefined {
  const h = req.get('authorization');
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
    if (!given || !safeEqual(given, key)) {
      res.status(401).json({ error: 'unauthorized' });
      return;
    }
    next();
  };
}
