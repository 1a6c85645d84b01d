/**
 * Busy time of the store's own calendars, kept between searches. A search over a fortnight reads
 * every appointment in it, about 2,100 rows for ten fully booked staff, which cost a find
 * about 2 ms of SQLite work (one row object per appointment) each time although nothing had changed.
 *
 * Exact, not "fresh enough": a trigger bumps a per-calendar version in the same transaction as every
 * change to calendar_events (migration perf4 2, whatever code writes the row), and an entry is used
 * only while the version read now is the version read before its rows were. Reading the version
 * first and the rows second means a change committed between the two is stored under the older
 * version, so the next read refetches: rows are never stored under a version newer than they are.
 *
 * SQLite only: there the version read is a local page. On Postgres every instance would contend for
 * the version rows inside booking transactions, and the read is a round trip like the query itself.
 *
 * Bounded: at most `maxIntervals` intervals over all businesses and calendars; the least recently
 * used entries go first.
 */
import type { Interval } from '../../calendar/provider.js';

interface Entry {
  version: number;
  from: number;
  to: number;
  /** Sorted by start, as the query returns them. Shared: never modified. */
  intervals: readonly Interval[];
}

export class BusyCache {
  private readonly entries = new Map<string, Entry>();
  private size = 0;

  constructor(readonly maxIntervals = 50_000) {}

  private static key(biz: string, calendarId: string): string {
    return `${biz}\u0000${calendarId}`;
  }

  /** The busy intervals overlapping [from, to), if an entry at `version` covers that range. */
  get(biz: string, calendarId: string, version: number, from: number, to: number): Interval[] | undefined {
    const key = BusyCache.key(biz, calendarId);
    const e = this.entries.get(key);
    if (!e || e.version !== version || from < e.from || to > e.to) return undefined;
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, e);
    return overlapping(e.intervals, from, to);
  }

  set(biz: string, calendarId: string, version: number, from: number, to: number, intervals: readonly Interval[]): void {
    const key = BusyCache.key(biz, calendarId);
    const old = this.entries.get(key);
    if (old) {
      this.size -= old.intervals.length;
      this.entries.delete(key);
    }
    if (intervals.length > this.maxIntervals) return;
    this.entries.set(key, { version, from, to, intervals });
    this.size += intervals.length;
    for (const [k, e] of this.entries) {
      if (this.size <= this.maxIntervals) break;
      this.entries.delete(k);
      this.size -= e.intervals.length;
    }
  }

  get intervalCount(): number {
    return this.size;
  }
}

/** The intervals of a start-sorted list that overlap [from, to), in order. */
export function overlapping(sorted: readonly Interval[], from: number, to: number): Interval[] {
  const out: Interval[] = [];
  for (const i of sorted) {
    if (i.start >= to) break;
    if (i.end > from) out.push(i);
  }
  return out;
}
