/**
 * Abuse limits for appointment changes. A language model can be talked into booking fifty slots;
 * these caps stop that per phone number and per client address. In memory and per process: they
 * are a brake, not an accounting system.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  /** Records a hit for `key` unless it is over the limit. Returns false when refused. */
  take(key: string, now: number): boolean {
    if (this.max <= 0) return true;
    const since = now - this.windowMs;
    const list = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (list.length >= this.max) {
      this.hits.set(key, list);
      return false;
    }
    list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 50_000) this.sweep(since);
    return true;
  }

  private sweep(since: number): void {
    for (const [k, list] of this.hits) if (list.every((t) => t <= since)) this.hits.delete(k);
  }
}

export interface WriteLimits {
  perPhone: SlidingWindowLimiter;
  perIp: SlidingWindowLimiter;
}

export function createWriteLimits(perPhonePerHour: number, perIpPerMinute: number): WriteLimits {
  return {
    perPhone: new SlidingWindowLimiter(perPhonePerHour, 3_600_000),
    perIp: new SlidingWindowLimiter(perIpPerMinute, 60_000),
  };
}
