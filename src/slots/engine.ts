/**
 * The slot engine: rules + busy intervals + `now` in, bookable slots out. Pure: no clock, no env, no I/O.
 *
 * How it works, per local day and staff member:
 *   open ranges (weekly hours minus partial closures, built in the business zone so DST is right)
 *   -> the set of allowed *start* instants: [open.start, open.end - duration], clipped to notice and horizon
 *   -> minus, for every busy interval B, the open interval (B.start - duration - bufferAfter, B.end + bufferBefore)
 *   -> aligned to the slot grid (local wall-clock minutes since midnight divisible by the interval).
 * Busy intervals are merged and walked with a pointer, so a search costs O(busy log busy + slots),
 * never slots x events.
 *
 * Busy intervals passed in are what the calendar reports as blocked, i.e. existing appointments
 * already include their own buffers.
 *
 * DST: a range that spans a transition is enumerated on the wall-clock grid and converted one time at
 * a time; wall times that do not exist are skipped and repeated wall times are offered once.
 */
import { TimeZone } from '../domain/zone.js';
import type { Interval } from '../calendar/provider.js';
import type { MinuteRange } from '../config/business.js';
import { firstEndingAfter, mergeIntervals, subtractIntervals } from './intervals.js';
import type { ScheduleRules, ServiceTiming } from './rules.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export type TimeOfDay = 'morning' | 'afternoon' | 'evening';

/** Local minute-of-day bounds for time_of_day filters. */
export const TIME_OF_DAY_MINUTES: Record<TimeOfDay, MinuteRange> = {
  morning: { start: 0, end: 12 * 60 },
  afternoon: { start: 12 * 60, end: 17 * 60 },
  evening: { start: 17 * 60, end: 24 * 60 },
};

export interface StaffBusy {
  staffId: string;
  busy: readonly Interval[];
}

export interface SlotSearch {
  rules: ScheduleRules;
  service: ServiceTiming;
  /** Eligible staff, in config order (the order of `staffIds` in each slot). */
  staff: readonly StaffBusy[];
  now: number;
  /** Window for slot starts, [from, to). Clipped to minimum notice and horizon. */
  from: number;
  to: number;
  timeOfDay?: TimeOfDay | undefined;
  /**
   * Stop after the first this many local days that have a slot (each of those days in full). A
   * voice answer offers a few days, not a fortnight: the rest would be computed to be dropped.
   */
  maxDays?: number | undefined;
}

export interface Slot {
  start: number;
  end: number;
  /** Staff free for this slot, in config order. Shared between slots: never modify it. */
  staffIds: readonly string[];
}

/** Earliest bookable start (notice) and the exclusive end of the horizon (end of the last bookable local day). */
export function bookingWindow(rules: ScheduleRules, now: number): { earliest: number; latest: number } {
  const earliest = now + rules.minNoticeMin * MINUTE;
  const latest = TimeZone.of(rules.zone).startOfDay(now, rules.horizonDays + 1);
  return { earliest, latest };
}

interface OpenRange {
  start: number;
  end: number;
  startMin: number;
  endMin: number;
  /** UTC offset in ms when constant over the range; null when a DST transition falls inside. */
  offsetMs: number | null;
}

interface Day {
  iso: string;
  weekday: number;
  /** Local midnight expressed as if local time were UTC: lets us compute wall-clock minutes with arithmetic. */
  localMidnight: number;
  /**
   * The zone's offset (ms) when it is the same all day, which is every day but the two DST days a
   * year: wall times then convert with one subtraction. Null on a transition day (exact path).
   */
  fixedOffsetMs: number | null;
  zone: TimeZone;
  fullClosure: string | undefined;
  partialClosures: MinuteRange[];
  partialNames: { range: MinuteRange; name: string }[];
  cache: Map<MinuteRange[], OpenRange[]>;
}

/**
 * Days (closures, offsets, and through `cache` their open ranges) depend only on the rules and the
 * date, and the rules are compiled once and never changed, so each is built once per rules object:
 * a find then reuses the fourteen days the last find built.
 */
const DAYS = new WeakMap<ScheduleRules, Map<number, Day>>();
const MAX_DAYS = 4_000;

function dayOf(rules: ScheduleRules, zone: TimeZone, localMidnight: number): Day {
  let days = DAYS.get(rules);
  if (!days) DAYS.set(rules, (days = new Map()));
  let day = days.get(localMidnight);
  if (!day) {
    if (days.size >= MAX_DAYS) days.clear();
    day = makeDay(rules, zone, localMidnight);
    days.set(localMidnight, day);
  }
  return day;
}

function makeDay(rules: ScheduleRules, zone: TimeZone, localMidnight: number): Day {
  const date = new Date(localMidnight);
  const iso = date.toISOString().slice(0, 10);
  let fullClosure: string | undefined;
  const partialNames: { range: MinuteRange; name: string }[] = [];
  for (const c of rules.closures) {
    if (c.date > iso || c.until < iso) continue;
    if (c.from === undefined || c.to === undefined) fullClosure ??= c.name;
    else partialNames.push({ range: { start: c.from, end: c.to }, name: c.name });
  }
  return {
    iso,
    weekday: ((date.getUTCDay() + 6) % 7) + 1,
    localMidnight,
    fixedOffsetMs: fixedOffsetOf(zone, localMidnight),
    zone,
    fullClosure,
    partialClosures: mergeIntervals(partialNames.map((p) => p.range)),
    partialNames,
    cache: new Map(),
  };
}

/**
 * Whether a day has one offset all through is asked for every day of every search; TimeZone memoises
 * the offsets themselves, this the answer per day.
 */
const FIXED_OFFSETS = new Map<string, number | null>();

function fixedOffsetOf(zone: TimeZone, localMidnight: number): number | null {
  const key = `${zone.name}|${localMidnight}`;
  let v = FIXED_OFFSETS.get(key);
  if (v === undefined) {
    // Every instant of this local day lies within [midnight - 14 h, midnight + 38 h] whatever the
    // offset; the same offset at both ends means no transition falls inside the day.
    const early = zone.offset(localMidnight - 14 * HOUR);
    const late = zone.offset(localMidnight + 38 * HOUR);
    v = early === late ? early * MINUTE : null;
    if (FIXED_OFFSETS.size > 20_000) FIXED_OFFSETS.clear();
    FIXED_OFFSETS.set(key, v);
  }
  return v;
}

/** Local midnight (as local-as-UTC ms) of the business-local day containing `instant`. */
function localMidnightOf(rules: ScheduleRules, instant: number): number {
  return TimeZone.of(rules.zone).localMidnight(instant);
}

/**
 * The instant at which the clock in `zone` reads `localMs` (a wall time written as if it were UTC).
 * Deterministic, unlike luxon's fromObject, which resolves a repeated wall time with the offset the
 * zone has on the machine's current date:
 * - a wall time repeated by a fall-back is its first occurrence;
 * - a wall time skipped by a spring-forward is the first real instant after the gap (the transition),
 *   so an open range that starts or ends inside the gap opens or closes when the clock jumps past it.
 */
function wallToMillis(zone: TimeZone, localMs: number): number {
  const before = zone.offset(localMs - 86_400_000);
  const after = zone.offset(localMs + 86_400_000);
  const a = localMs - before * MINUTE;
  const b = localMs - after * MINUTE;
  const exists = (t: number) => t + zone.offset(t) * MINUTE === localMs;
  if (exists(a) && exists(b)) return Math.min(a, b);
  if (exists(a)) return a;
  if (exists(b)) return b;
  // In a spring-forward gap: find the transition between the two guesses.
  let lo = Math.min(a, b);
  let hi = Math.max(a, b);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The instant a wall-clock minute of `day` falls on (1440 = the next midnight), and whether it exists. */
function wallToInstant(day: Day, minute: number): { t: number; exists: boolean } {
  const local = day.localMidnight + minute * MINUTE;
  if (day.fixedOffsetMs !== null) return { t: local - day.fixedOffsetMs, exists: true };
  const t = wallToMillis(day.zone, local);
  return { t, exists: t + day.zone.offset(t) * MINUTE === local };
}

function openRanges(rules: ScheduleRules, day: Day, hours: MinuteRange[][]): OpenRange[] {
  if (day.fullClosure !== undefined) return [];
  const weekly = hours[day.weekday] ?? [];
  let cached = day.cache.get(weekly);
  if (cached) return cached;
  // Touching ranges ("09:00-12:00", "12:00-17:00") have no break between them: join them first.
  const joined = mergeIntervals(weekly);
  const mins = day.partialClosures.length ? subtractIntervals(joined, day.partialClosures) : joined;
  cached = mins.map((m) => {
    const s = wallToInstant(day, m.start).t;
    const e = wallToInstant(day, m.end).t;
    let offsetMs = day.fixedOffsetMs;
    if (offsetMs === null) {
      const os = day.zone.offset(s);
      offsetMs = os === day.zone.offset(e) ? os * MINUTE : null;
    }
    return { start: s, end: e, startMin: m.start, endMin: m.end, offsetMs };
  });
  day.cache.set(weekly, cached);
  return cached;
}

interface Candidate {
  start: number;
  localMs: number;
  staffIds: string[];
}

/**
 * Allowed start segments [a, b] (closed) inside [lo, hi] given merged busy intervals.
 * A start s is allowed iff [s - before, s + duration + after) does not meet any busy interval.
 */
function allowedStarts(lo: number, hi: number, busy: readonly Interval[], durAfter: number, before: number, out: Interval[]): void {
  let cur = lo;
  for (let p = firstEndingAfter(busy, lo - before); p < busy.length; p++) {
    const b = busy[p]!;
    const forbiddenFrom = b.start - durAfter; // exclusive
    if (forbiddenFrom >= hi) break;
    if (forbiddenFrom >= cur) out.push({ start: cur, end: forbiddenFrom });
    const forbiddenTo = b.end + before; // first allowed again
    if (forbiddenTo > cur) cur = forbiddenTo;
    if (cur > hi) return;
  }
  if (cur <= hi) out.push({ start: cur, end: hi });
}

export function findSlots(q: SlotSearch): Slot[] {
  const { rules, service } = q;
  const { earliest, latest } = bookingWindow(rules, q.now);
  const lo = Math.max(q.from, earliest);
  const hiExcl = Math.min(q.to, latest);
  if (lo >= hiExcl || q.staff.length === 0) return [];

  const dur = service.durationMin * MINUTE;
  const before = service.bufferBeforeMin * MINUTE;
  const durAfter = dur + service.bufferAfterMin * MINUTE;
  const step = rules.slotIntervalMin * MINUTE;
  const tod = q.timeOfDay ? TIME_OF_DAY_MINUTES[q.timeOfDay] : undefined;

  const merged = q.staff.map((s) => ({ id: s.staffId, busy: mergeIntervals(s.busy), hours: rules.staffHours.get(s.staffId) ?? rules.businessHours }));
  const segments: Interval[] = [];
  const slots: Slot[] = [];
  let lastLocal = -Infinity;
  const emit = (start: number, localMs: number, staffIds: readonly string[]) => {
    // On a fall-back day two instants can carry the same wall time (from different staff); speak it once.
    if (localMs <= lastLocal) return;
    lastLocal = localMs;
    slots.push({ start, end: start + dur, staffIds });
  };
  const outsideTod = (localMs: number, day: Day) => {
    if (!tod) return false;
    const minuteOfDay = (localMs - day.localMidnight) / MINUTE;
    return minuteOfDay < tod.start || minuteOfDay >= tod.end;
  };

  // Candidates are collected a day at a time; days are walked in order and a day's starts lie inside
  // it, so flushing each day in order yields the slots sorted with no sort over the whole window.
  // On a day with one offset the starts sit on one grid of instants: a slot is an index into `grid`
  // (local grid step since midnight), already in time order. A DST day keeps a map and a sort.
  //
  // Up to 31 staff, a grid cell is a bit mask of the staff free then (bit i = merged[i]) and every
  // slot with the same free staff shares one interned list: a two-week search of ten staff makes
  // about 840 slots, and a list per slot (pushed to one id at a time) was most of what a search
  // allocated. More staff keep a list per cell.
  const masks = merged.length <= 31 ? new Int32Array(Math.floor((24 * 60) / rules.slotIntervalMin) + 2) : undefined;
  let maxK = -1;
  const lists = new Map<number, string[]>();
  const listOf = (mask: number): string[] => {
    let ids = lists.get(mask);
    if (!ids) {
      ids = [];
      for (let i = 0; i < merged.length; i++) if (mask & (1 << i)) ids.push(merged[i]!.id);
      lists.set(mask, ids);
    }
    return ids;
  };
  const grid: (string[] | undefined)[] = [];
  const byStart = new Map<number, Candidate>();
  const addExact = (start: number, localMs: number, staffId: string, day: Day) => {
    if (outsideTod(localMs, day)) return;
    const c = byStart.get(start);
    if (c) c.staffIds.push(staffId);
    else byStart.set(start, { start, localMs, staffIds: [staffId] });
  };

  const zone = TimeZone.of(rules.zone);
  const maxDays = q.maxDays ?? Infinity;
  let daysWithSlots = 0;
  // Days are walked in local-as-UTC arithmetic: adding DAY is always the next calendar date.
  for (let midnight = localMidnightOf(rules, lo); daysWithSlots < maxDays; midnight += DAY) {
    const emittedBefore = slots.length;
    const day = dayOf(rules, zone, midnight);
    if (wallToInstant(day, 0).t >= hiExcl) break;
    if (day.fullClosure !== undefined) continue;
    const fixed = day.fixedOffsetMs;
    for (let si = 0; si < merged.length; si++) {
      const staff = merged[si]!;
      const bit = 1 << si;
      for (const r of openRanges(rules, day, staff.hours)) {
        const a = Math.max(r.start, lo);
        const b = Math.min(r.end - dur, hiExcl - 1);
        if (a > b) continue;
        segments.length = 0;
        allowedStarts(a, b, staff.busy, durAfter, before, segments);
        if (segments.length === 0) continue;

        if (r.offsetMs !== null) {
          // Constant offset: the grid is plain arithmetic in local-as-UTC milliseconds.
          const off = r.offsetMs;
          for (const seg of segments) {
            const fromLocal = seg.start + off - day.localMidnight;
            let k = Math.ceil(fromLocal / step);
            for (let t = day.localMidnight - off + k * step; t <= seg.end; t += step, k++) {
              if (fixed === null) addExact(t, t + off, staff.id, day);
              else if (!outsideTod(t + off, day)) {
                if (masks && k < masks.length) {
                  masks[k]! |= bit;
                  if (k > maxK) maxK = k;
                } else (grid[k] ??= []).push(staff.id);
              }
            }
          }
        } else {
          // A DST transition inside the range: walk the wall-clock grid, skip wall times that do not
          // exist, and let each repeated wall time resolve to a single instant.
          let gi = 0;
          const firstMin = Math.ceil(r.startMin / rules.slotIntervalMin) * rules.slotIntervalMin;
          for (let m = firstMin; m < r.endMin; m += rules.slotIntervalMin) {
            const { t, exists } = wallToInstant(day, m);
            if (!exists) continue; // in the spring-forward gap
            while (gi < segments.length && segments[gi]!.end < t) gi++;
            if (gi === segments.length) break;
            if (t >= segments[gi]!.start) addExact(t, day.localMidnight + m * MINUTE, staff.id, day);
          }
        }
      }
    }
    if (fixed !== null) {
      if (masks) {
        // A cell past the mask's end (possible only on a grid coarser than the day) went to `grid`.
        for (let k = 0; k <= maxK || k < grid.length; k++) {
          const m = k < masks.length ? masks[k]! : 0;
          const ids = m ? listOf(m) : grid[k];
          if (ids) emit(day.localMidnight - fixed + k * step, day.localMidnight + k * step, ids);
        }
        masks.fill(0, 0, maxK + 1);
        maxK = -1;
      } else {
        for (let k = 0; k < grid.length; k++) {
          const ids = grid[k];
          if (ids) emit(day.localMidnight - fixed + k * step, day.localMidnight + k * step, ids);
        }
      }
      grid.length = 0;
    } else if (byStart.size) {
      for (const c of [...byStart.values()].sort((x, y) => x.start - y.start)) emit(c.start, c.localMs, c.staffIds);
      byStart.clear();
    }
    if (slots.length > emittedBefore) daysWithSlots++;
  }
  return slots;
}

export type StartCheck =
  | { ok: true; staffIds: readonly string[] }
  | { ok: false; code: 'IN_PAST' | 'TOO_SOON' | 'TOO_FAR' | 'CLOSED' | 'OUTSIDE_HOURS' | 'SLOT_UNAVAILABLE'; closure?: string; partial?: boolean };

/**
 * Can `start` be booked for this service with one of `q.staff`? The same engine that offers slots
 * decides, so a time is never offered that a booking would refuse, or the reverse.
 */
export function checkStart(q: Omit<SlotSearch, 'from' | 'to' | 'timeOfDay'>, start: number): StartCheck {
  const { rules } = q;
  const { earliest, latest } = bookingWindow(rules, q.now);
  if (start < q.now) return { ok: false, code: 'IN_PAST' };
  if (start < earliest) return { ok: false, code: 'TOO_SOON' };
  if (start >= latest) return { ok: false, code: 'TOO_FAR' };

  const zone = TimeZone.of(rules.zone);
  const startDt = zone.parts(start);
  const day = dayOf(rules, zone, zone.localMidnight(start));
  if (day.fullClosure !== undefined) return { ok: false, code: 'CLOSED', closure: day.fullClosure };
  const hoursList = q.staff.map((s) => rules.staffHours.get(s.staffId) ?? rules.businessHours);
  if (hoursList.every((h) => (h[day.weekday] ?? []).length === 0)) return { ok: false, code: 'CLOSED' };

  const end = start + q.service.durationMin * MINUTE;
  const fits = hoursList.some((h) => openRanges(rules, day, h).some((r) => r.start <= start && end <= r.end));
  if (!fits) {
    const minute = startDt.hour * 60 + startDt.minute;
    const endMinute = minute + q.service.durationMin;
    const hit = day.partialNames.find((p) => p.range.start < endMinute && minute < p.range.end);
    if (hit) return { ok: false, code: 'CLOSED', closure: hit.name, partial: true };
    return { ok: false, code: 'OUTSIDE_HOURS' };
  }

  const slots = findSlots({ ...q, from: start, to: start + 1 });
  const slot = slots[0];
  if (slot && slot.start === start) return { ok: true, staffIds: slot.staffIds };
  return { ok: false, code: 'SLOT_UNAVAILABLE' };
}

/** Local open ranges of a day for one set of weekly hours, for messages ("we're open 9 to 5 that day"). */
export function dayOpenRanges(rules: ScheduleRules, hours: MinuteRange[][], at: number): Interval[] {
  const day = dayOf(rules, TimeZone.of(rules.zone), localMidnightOf(rules, at));
  return openRanges(rules, day, hours).map((r) => ({ start: r.start, end: r.end }));
}

/**
 * Whether the business is closed all of the local day holding `at` for these staff: a whole-day
 * closure (with its name, "Christmas") or a weekday none of them works. Undefined when open.
 */
export function closedDay(rules: ScheduleRules, staffIds: readonly string[], at: number): { name?: string } | undefined {
  const day = dayOf(rules, TimeZone.of(rules.zone), localMidnightOf(rules, at));
  if (day.fullClosure !== undefined) return { name: day.fullClosure };
  const hoursList = staffIds.length ? staffIds.map((id) => rules.staffHours.get(id) ?? rules.businessHours) : [rules.businessHours];
  if (hoursList.every((h) => (h[day.weekday] ?? []).length === 0)) return {};
  return undefined;
}
