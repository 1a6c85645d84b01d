/** Search windows and slot picking shared by the two search tools. */
import type { Deps } from '../deps.js';
import { BookingError } from '../domain/errors.js';
import { parseWhen } from '../domain/when.js';
import { TimeZone } from '../domain/zone.js';
import type { Slot } from '../slots/engine.js';

const DAY = 86_400_000;

export interface Window {
  from: number;
  to: number;
  /** The caller asked about specific dates (so an empty answer is about those dates). */
  explicit: boolean;
  /** Start of the first local day asked about (today when no date was given). */
  firstDay: number;
  /** The dates asked about are one local day. */
  singleDay: boolean;
}

/**
 * start_date/end_date -> [from, to). A date alone means that whole local day; no end means that day
 * when a date was given, or the next two weeks from now otherwise. An end of 24:00 is the end of
 * that day.
 */
export function searchWindow(deps: Deps, startDate: string | undefined, endDate: string | undefined): Window {
  const zone = deps.rules.zone;
  const tz = TimeZone.of(zone);
  const now = deps.clock.now();
  const endOfDay = (ms: number) => tz.startOfDay(ms, 1);
  const start = startDate ? parseWhen(startDate, zone, 'start_date') : undefined;
  const end = endDate ? parseWhen(endDate, zone, 'end_date', { endOfDay: true }) : undefined;
  const from = Math.max(start?.ms ?? now, now);
  let to: number;
  if (end) to = end.hasTime ? end.ms : endOfDay(end.ms);
  else if (start) to = endOfDay(start.ms);
  else to = now + 14 * DAY;
  if (end && start && to <= start.ms) throw new BookingError('END_BEFORE_START', {}, { field: 'end_date' });
  const firstDay = tz.startOfDay(start?.ms ?? now);
  const singleDay = start !== undefined && to <= endOfDay(start.ms);
  return { from, to: Math.max(to, from), explicit: Boolean(start || end), firstDay, singleDay };
}

/**
 * Where each business-local day begins in `slots` (sorted by start), plus `slots.length` at the end:
 * one date computation per day, not per slot, and no copy of the slots.
 */
function dayBounds(slots: readonly Slot[], zone: string): number[] {
  const bounds: number[] = [];
  const tz = TimeZone.of(zone);
  let dayEnd = -Infinity;
  for (let i = 0; i < slots.length; i++) {
    if (slots[i]!.start >= dayEnd) {
      dayEnd = tz.startOfDay(slots[i]!.start, 1);
      bounds.push(i);
    }
  }
  bounds.push(slots.length);
  return bounds;
}

/**
 * Up to `n` slots for a voice answer: spread over different days first, then evenly through each
 * day, so the caller hears real choices rather than five times in one morning.
 */
export function spreadSlots(slots: readonly Slot[], n: number, zone: string): Slot[] {
  if (slots.length <= n) return [...slots];
  const bounds = dayBounds(slots, zone);
  const days = bounds.length - 1;
  const size = (i: number) => bounds[i + 1]! - bounds[i]!;
  const quota = new Array<number>(days).fill(0);
  let left = n;
  for (let round = 0; left > 0; round++) {
    let progressed = false;
    for (let i = 0; i < days && left > 0; i++) {
      if (quota[i]! < size(i)) {
        quota[i]!++;
        left--;
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  // Days are in order and so are the picks within a day: the result is sorted as built.
  const picked: Slot[] = [];
  for (let i = 0; i < days; i++) {
    const q = quota[i]!;
    const first = bounds[i]!;
    if (q === 1) picked.push(slots[first]!);
    else for (let k = 0; k < q; k++) picked.push(slots[first + Math.round((k * (size(i) - 1)) / (q - 1))]!);
  }
  return picked;
}

export function staffNames(deps: Deps, ids: readonly string[]): string[] {
  return ids.map((id) => deps.config.staff.find((p) => p.id === id)?.name ?? id);
}

export function slotView(deps: Deps, s: Slot) {
  const names = staffNames(deps, s.staffIds);
  return {
    start: deps.speech.iso(s.start),
    end: deps.speech.iso(s.end),
    spoken: deps.speech.dateTime(s.start, deps.clock.now()),
    staff: names,
    staff_ids: s.staffIds,
  };
}
