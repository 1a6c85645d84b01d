/**
 * Abuse limits for appointment changes. A language model can be talked into booking fifty slots;
 * these caps stop that per phone number and per client address. Counted in the store, so every
 * instance behind a load balancer shares one count (and a business's counts are its own).
 */
import type { RateLimitRepo } from '../store/ports.js';

export interface WriteLimits {
  /** False when this phone number or client address has used up its allowance. */
  take(who: { phone?: string | undefined; ip?: string | undefined }, now: number): Promise<boolean>;
}

export function createWriteLimits(repo: RateLimitRepo, perPhonePerHour: number, perIpPerMinute: number): WriteLimits {
  return {
    async take(who, now) {
      if (who.phone !== undefined && !(await repo.take(`phone:${who.phone}`, perPhonePerHour, 3_600_000, now))) return false;
      if (who.ip !== undefined && !(await repo.take(`ip:${who.ip}`, perIpPerMinute, 60_000, now))) return false;
      return true;
    },
  };
}
