/**
 * The baseline slot search, written the way most voice booking servers do it: enumerate every grid
 * start inside the open hours, then test each candidate against EVERY busy event of that staff member
 * (buffers included). O(candidates x events).
 *
 * It is deliberately not a straw man: wall-clock hours are converted with luxon once per open range
 * (not once per candidate), the busy test short-circuits on the first hit, and it honours the same
 * rules as the engine (notice, horizon, closures, staff hours, grid, time of day, DST), so the bench
 * can insist that both return exactly the same slots. The speed-up it reports is the algorithm's, not
 * a handicap's.
 */
import { DateTime } from 'luxon';
import type { MinuteRange } from '../src/config/business.js';
import { type Slot, type SlotSearch, TIME_OF_DAY_MINUTES } from '../src/slots/engine.js';

const MINUTE = 60_000;

function minus(ranges: readonly MinuteRange[], cuts: readonly MinuteRange[]): MinuteRange[] {
  let out = ranges.map((r) => ({ ...r }));
  for (const c of cuts) {
    const next: MinuteRange[] = [];
    for (const r of out) {
      if (c.end <= r.start || c.start >= r.end) next.push(r);
      else {
        if (c.start > r.start) next.push({ start: r.start, end: c.start });
        if (c.end < r.end) next.push({ start: c.end, end: r.end });
      }
    }
    out = next;
  }
  return out;
}

function wall(day: DateTime, minute: number): DateTime {
  if (minute >= 24 * 60) return day.plus({ days: 1 }).startOf('day');
  return day.set({ hour: Math.floor(minute / 60), minute: minute % 60, second: 0, millisecond: 0 });
}

export function naiveFindSlots(q: SlotSearch): Slot[] {
  const { rules, service } = q;
  const earliest = q.now + rules.minNoticeMin * MINUTE;
  const latest = DateTime.fromMillis(q.now, { zone: rules.zone }).startOf('day').plus({ days: rules.horizonDays + 1 }).toMillis();
  const lo = Math.max(q.from, earliest);
  const hi = Math.min(q.to, latest);
  if (lo >= hi || q.staff.length === 0) return [];

  const dur = service.durationMin * MINUTE;
  const before = service.bufferBeforeMin * MINUTE;
  const after = service.bufferAfterMin * MINUTE;
  const step = rules.slotIntervalMin;
  const tod = q.timeOfDay ? TIME_OF_DAY_MINUTES[q.timeOfDay] : undefined;

  const found = new Map<number, { start: number; local: number; staffIds: string[] }>();
  for (let day = DateTime.fromMillis(lo, { zone: rules.zone }).startOf('day'); day.toMillis() < hi; day = day.plus({ days: 1 })) {
    const iso = day.toISODate()!;
    const todays = rules.closures.filter((c) => c.date <= iso && iso <= c.until);
    if (todays.some((c) => c.from === undefined)) continue;
    const cuts = todays.map((c) => ({ start: c.from!, end: c.to! }));
    const localMidnight = Date.UTC(day.year, day.month - 1, day.day);

    for (const staff of q.staff) {
      const weekly = (rules.staffHours.get(staff.staffId) ?? rules.businessHours)[day.weekday] ?? [];
      for (const range of minus(weekly, cuts)) {
        const rs = wall(day, range.start);
        const re = wall(day, range.end);
        const constant = rs.offset === re.offset;
        for (let m = Math.ceil(range.start / step) * step; m < range.end; m += step) {
          let t: number;
          if (constant) {
            t = rs.toMillis() + (m - range.start) * MINUTE;
          } else {
            const w = wall(day, m);
            if (w.hour * 60 + w.minute !== m) continue; // does not exist: clocks spring forward
            t = w.toMillis();
          }
          if (t + dur > re.toMillis()) break;
          if (t < lo || t >= hi) continue;
          if (tod && (m < tod.start || m >= tod.end)) continue;
          // The naive part: every candidate against every busy event.
          const blockStart = t - before;
          const blockEnd = t + dur + after;
          if (staff.busy.some((b) => b.end > b.start && b.start < blockEnd && blockStart < b.end)) continue;
          const c = found.get(t);
          if (c) c.staffIds.push(staff.staffId);
          else found.set(t, { start: t, local: localMidnight + m * MINUTE, staffIds: [staff.staffId] });
        }
      }
    }
  }

  const slots: Slot[] = [];
  let lastLocal = -Infinity;
  for (const c of [...found.values()].sort((a, b) => a.start - b.start)) {
    if (c.local <= lastLocal) continue; // a repeated wall time on a fall-back day is offered once
    lastLocal = c.local;
    slots.push({ start: c.start, end: c.start + dur, staffIds: c.staffIds });
  }
  return slots;
}
