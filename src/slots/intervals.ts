/**
 * Interval arithmetic on half-open [start, end) ranges of epoch milliseconds (or minutes: the
 * functions do not care about units). Pure, allocation-light, and the reason slot search is
 * O((open ranges + busy) log busy) rather than O(slots x events).
 */
import type { Interval } from '../calendar/provider.js';

export type { Interval };

/** Sorts by start and merges overlapping or touching intervals. Returns a new array. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  if (intervals.length === 0) return [];
  // Providers hand busy time over sorted by start; only sort when they did not.
  let inOrder = true;
  for (let i = 1; i < intervals.length && inOrder; i++) inOrder = intervals[i - 1]!.start <= intervals[i]!.start;
  const valid = intervals.filter((i) => i.end > i.start);
  const sorted = inOrder ? valid : valid.sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const cur of sorted) {
    const last = out[out.length - 1];
    if (last && cur.start <= last.end) {
      if (cur.end > last.end) last.end = cur.end;
    } else {
      out.push({ start: cur.start, end: cur.end });
    }
  }
  return out;
}

/** `ranges` minus `cut`; both sorted and non-overlapping. */
export function subtractIntervals(ranges: readonly Interval[], cut: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const r of ranges) {
    let start = r.start;
    while (j < cut.length && cut[j]!.end <= start) j++;
    let k = j;
    while (k < cut.length && cut[k]!.start < r.end) {
      const c = cut[k]!;
      if (c.start > start) out.push({ start, end: c.start });
      if (c.end > start) start = c.end;
      if (start >= r.end) break;
      k++;
    }
    if (start < r.end) out.push({ start, end: r.end });
  }
  return out;
}

/** Index of the first interval whose end is greater than `t` (intervals merged, so ends are sorted). */
export function firstEndingAfter(intervals: readonly Interval[], t: number): number {
  let lo = 0;
  let hi = intervals.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (intervals[mid]!.end > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}
