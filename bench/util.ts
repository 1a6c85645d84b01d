/** Small shared pieces for the benchmark sections: seeded randomness, statistics, distinct booking slots. */
import { createServer } from 'node:net';
import { DateTime } from 'luxon';
import { seededRandom } from '../test/support/random.js';

/** The business the HTTP, growth and Google sections book against: 10 staff, 07:00-22:00 daily, no per-phone cap. */
export const BENCH_CONFIG = 'bench/business.json';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((x, y) => x + y, 0) / (s.length || 1);
  return { n: s.length, mean, p50: percentile(s, 50), p99: percentile(s, 99), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

/** Rounds to `digits` significant digits for reports (JSON keeps enough precision to recompute ratios). */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

/**
 * Hands out distinct one-hour booking starts ("YYYY-MM-DDTHH:MM", business-local) so a booking
 * benchmark measures real writes instead of a stream of SLOT_UNAVAILABLE answers.
 *
 * The space is days x opening hours x staff; index i is mapped through a multiplicative bijection
 * (i * P mod capacity, P a prime larger than the capacity) so consecutive requests land on scattered
 * days like real callers, while each (day, hour) is handed out at most `staff` times: with one-hour
 * blocks there is always a free staff member for every start given out.
 */
export class DistinctSlots {
  private readonly days: string[];
  readonly capacity: number;
  private static readonly P = 1_000_003;

  constructor(
    zone: string,
    firstDay: DateTime,
    dayCount: number,
    private readonly openHour: number,
    private readonly closeHour: number,
    private readonly staff: number,
  ) {
    this.days = [];
    for (let d = 0; d < dayCount; d++) this.days.push(firstDay.setZone(zone).plus({ days: d }).toISODate()!);
    this.capacity = dayCount * (closeHour - openHour) * staff;
    if (this.capacity >= DistinctSlots.P) throw new Error('slot space too large for the bijection');
  }

  /**
   * The i-th distinct start. `copy` (0..staff-1) tells apart the starts that share a (day, hour):
   * seeding code uses it to pick the staff member, so seeded rows never overlap either.
   * Throws once the space is used up rather than silently colliding.
   */
  parts(i: number): { local: string; copy: number } {
    if (i >= this.capacity) throw new Error(`only ${this.capacity} distinct booking slots; asked for #${i}`);
    const j = (i * DistinctSlots.P) % this.capacity;
    const slot = Math.floor(j / this.staff);
    const hoursPerDay = this.closeHour - this.openHour;
    const day = this.days[Math.floor(slot / hoursPerDay)]!;
    const hour = this.openHour + (slot % hoursPerDay);
    return { local: `${day}T${String(hour).padStart(2, '0')}:00`, copy: j % this.staff };
  }

  at(i: number): string {
    return this.parts(i).local;
  }
}

/** A distinct, "possible" North American number per index (555 numbers are fictional). */
export function phoneFor(i: number): string {
  return `+1555${String(2_000_000 + (i % 7_000_000)).padStart(7, '0')}`;
}

export const isQuick = (argv: readonly string[]) => argv.includes('--quick');

/** Seeded PRNG so every run generates the same calendars. */
export const prng = seededRandom;

/** A port nothing listens on right now, for a child server. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
