import { describe, expect, it } from 'vitest';
import { firstEndingAfter, mergeIntervals, overlaps, subtractIntervals, type Interval } from '../../src/slots/intervals.js';

const iv = (start: number, end: number): Interval => ({ start, end });

describe('mergeIntervals', () => {
  it('returns [] for no intervals', () => {
    expect(mergeIntervals([])).toEqual([]);
  });

  it('keeps disjoint intervals, sorted by start', () => {
    expect(mergeIntervals([iv(50, 60), iv(10, 20), iv(30, 40)])).toEqual([iv(10, 20), iv(30, 40), iv(50, 60)]);
  });

  it('merges overlapping intervals', () => {
    expect(mergeIntervals([iv(10, 30), iv(20, 40)])).toEqual([iv(10, 40)]);
  });

  it('merges touching intervals (half-open: [10,20) + [20,30) = [10,30))', () => {
    expect(mergeIntervals([iv(20, 30), iv(10, 20)])).toEqual([iv(10, 30)]);
  });

  it('keeps a one-unit gap', () => {
    expect(mergeIntervals([iv(10, 20), iv(21, 30)])).toEqual([iv(10, 20), iv(21, 30)]);
  });

  it('swallows intervals contained in another, whatever the order', () => {
    expect(mergeIntervals([iv(12, 14), iv(10, 50), iv(20, 30), iv(49, 50)])).toEqual([iv(10, 50)]);
    expect(mergeIntervals([iv(10, 50), iv(12, 14)])).toEqual([iv(10, 50)]);
  });

  it('chains a run of overlaps into one interval', () => {
    expect(mergeIntervals([iv(0, 5), iv(4, 9), iv(8, 13), iv(13, 20), iv(30, 31)])).toEqual([iv(0, 20), iv(30, 31)]);
  });

  it('drops empty and inverted intervals', () => {
    expect(mergeIntervals([iv(5, 5), iv(9, 3)])).toEqual([]);
    expect(mergeIntervals([iv(5, 5), iv(1, 2), iv(7, 7)])).toEqual([iv(1, 2)]);
  });

  it('an empty interval does not bridge two others', () => {
    expect(mergeIntervals([iv(0, 10), iv(10, 10), iv(11, 20)])).toEqual([iv(0, 10), iv(11, 20)]);
  });

  it('handles duplicates and identical starts', () => {
    expect(mergeIntervals([iv(1, 3), iv(1, 3), iv(1, 8), iv(1, 2)])).toEqual([iv(1, 8)]);
  });

  it('does not mutate its input (neither the array order nor the objects)', () => {
    const a = iv(20, 40);
    const b = iv(10, 30);
    const input = [a, b];
    const out = mergeIntervals(input);
    expect(out).toEqual([iv(10, 40)]);
    expect(input).toEqual([iv(20, 40), iv(10, 30)]);
    expect(input[0]).toBe(a);
    expect(a).toEqual(iv(20, 40));
    expect(b).toEqual(iv(10, 30));
    out[0]!.end = 999;
    expect(b.end).toBe(30);
  });

  it('works with epoch milliseconds', () => {
    const t = Date.UTC(2026, 5, 15, 13);
    expect(mergeIntervals([iv(t, t + 3_600_000), iv(t + 1_800_000, t + 7_200_000)])).toEqual([iv(t, t + 7_200_000)]);
  });
});

describe('subtractIntervals', () => {
  it('no cut returns the ranges unchanged', () => {
    expect(subtractIntervals([iv(0, 10), iv(20, 30)], [])).toEqual([iv(0, 10), iv(20, 30)]);
  });

  it('no ranges returns []', () => {
    expect(subtractIntervals([], [iv(0, 10)])).toEqual([]);
  });

  it('a cut in the middle splits a range in two', () => {
    expect(subtractIntervals([iv(0, 100)], [iv(40, 60)])).toEqual([iv(0, 40), iv(60, 100)]);
  });

  it('a cut over the start or the end trims it', () => {
    expect(subtractIntervals([iv(10, 100)], [iv(0, 30)])).toEqual([iv(30, 100)]);
    expect(subtractIntervals([iv(10, 100)], [iv(80, 200)])).toEqual([iv(10, 80)]);
  });

  it('a cut exactly equal to a range removes it', () => {
    expect(subtractIntervals([iv(0, 10), iv(20, 30)], [iv(20, 30)])).toEqual([iv(0, 10)]);
  });

  it('a cut covering everything removes everything', () => {
    expect(subtractIntervals([iv(10, 20), iv(30, 40)], [iv(0, 100)])).toEqual([]);
  });

  it('cuts that only touch a range leave it whole (half-open)', () => {
    expect(subtractIntervals([iv(10, 20)], [iv(0, 10), iv(20, 30)])).toEqual([iv(10, 20)]);
  });

  it('cuts entirely before, between and after ranges are ignored', () => {
    expect(subtractIntervals([iv(10, 20), iv(40, 50)], [iv(0, 5), iv(25, 35), iv(60, 70)])).toEqual([iv(10, 20), iv(40, 50)]);
  });

  it('several cuts inside one range', () => {
    expect(subtractIntervals([iv(0, 100)], [iv(10, 20), iv(30, 40), iv(90, 100)])).toEqual([iv(0, 10), iv(20, 30), iv(40, 90)]);
  });

  it('one cut spanning the gap between two ranges trims both', () => {
    expect(subtractIntervals([iv(0, 10), iv(20, 30)], [iv(5, 25)])).toEqual([iv(0, 5), iv(25, 30)]);
  });

  it('a cut spanning several ranges, followed by more cuts', () => {
    expect(subtractIntervals([iv(0, 10), iv(20, 30), iv(40, 50), iv(60, 70)], [iv(5, 45), iv(62, 64)])).toEqual([
      iv(0, 5),
      iv(45, 50),
      iv(60, 62),
      iv(64, 70),
    ]);
  });

  it('works in minutes: business day minus a partial closure', () => {
    // 09:00-12:00 + 13:00-17:00 minus 11:00-14:00
    expect(subtractIntervals([iv(540, 720), iv(780, 1020)], [iv(660, 840)])).toEqual([iv(540, 660), iv(840, 1020)]);
  });

  it('does not mutate its inputs', () => {
    const ranges = [iv(0, 100)];
    const cut = [iv(10, 20)];
    subtractIntervals(ranges, cut);
    expect(ranges).toEqual([iv(0, 100)]);
    expect(cut).toEqual([iv(10, 20)]);
  });
});

describe('firstEndingAfter', () => {
  const list = [iv(0, 10), iv(20, 30), iv(40, 50)];

  it('is 0 for an empty list', () => {
    expect(firstEndingAfter([], 5)).toBe(0);
  });

  it('is 0 when t is before every end', () => {
    expect(firstEndingAfter(list, -100)).toBe(0);
    expect(firstEndingAfter(list, 0)).toBe(0);
    expect(firstEndingAfter(list, 9)).toBe(0);
  });

  it('skips an interval that ends exactly at t (ends are exclusive)', () => {
    expect(firstEndingAfter(list, 10)).toBe(1);
    expect(firstEndingAfter(list, 30)).toBe(2);
  });

  it('finds the interval containing t', () => {
    expect(firstEndingAfter(list, 25)).toBe(1);
    expect(firstEndingAfter(list, 49)).toBe(2);
  });

  it('finds the next interval when t is in a gap', () => {
    expect(firstEndingAfter(list, 15)).toBe(1);
    expect(firstEndingAfter(list, 35)).toBe(2);
  });

  it('is the length when every interval ended at or before t', () => {
    expect(firstEndingAfter(list, 50)).toBe(3);
    expect(firstEndingAfter(list, 1e12)).toBe(3);
  });

  it('single interval', () => {
    expect(firstEndingAfter([iv(5, 6)], 5)).toBe(0);
    expect(firstEndingAfter([iv(5, 6)], 6)).toBe(1);
  });

  it('agrees with a linear scan on many lists', () => {
    for (let n = 0; n < 12; n++) {
      const l = Array.from({ length: n }, (_, i) => iv(i * 10, i * 10 + 5));
      for (let t = -3; t <= n * 10 + 3; t++) {
        const linear = l.findIndex((x) => x.end > t);
        expect(firstEndingAfter(l, t)).toBe(linear === -1 ? l.length : linear);
      }
    }
  });
});

describe('overlaps', () => {
  it('is true for a shared stretch and false for touching half-open intervals', () => {
    expect(overlaps(iv(0, 10), iv(5, 15))).toBe(true);
    expect(overlaps(iv(0, 10), iv(2, 3))).toBe(true);
    expect(overlaps(iv(0, 10), iv(10, 20))).toBe(false);
    expect(overlaps(iv(10, 20), iv(0, 10))).toBe(false);
    expect(overlaps(iv(0, 10), iv(11, 20))).toBe(false);
  });
});
