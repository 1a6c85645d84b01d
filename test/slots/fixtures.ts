/**
 * Shared helpers for the slot-engine tests: business configs built through the real parser
 * (`parseBusinessConfig` + `compileRules`), wall-clock <-> instant conversion in the business zone,
 * a tiny seeded PRNG, and an independent brute-force reference for `findSlots`.
 *
 * Nothing here reads the real clock: every `now` is an explicit instant.
 */
import { DateTime } from 'luxon';
import type { Interval } from '../../src/calendar/provider.js';
import { parseBusinessConfig, type BusinessConfig } from '../../src/config/business.js';
import { checkStart, findSlots, type Slot, type StaffBusy, type StartCheck, type TimeOfDay } from '../../src/slots/engine.js';
import { compileRules, serviceTiming, type ScheduleRules, type ServiceTiming } from '../../src/slots/rules.js';
import { seededRandom } from '../support/random.js';

export const NY = 'America/New_York';
export const LONDON = 'Europe/London';
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export const WEEKDAY_HOURS = ['09:00-12:00', '13:00-17:00'];

/** Mon-Fri 09:00-12:00 + 13:00-17:00 (lunch break), Saturday 10:00-14:00, Sunday closed. */
export const BASE_HOURS = {
  monday: WEEKDAY_HOURS,
  tuesday: WEEKDAY_HOURS,
  wednesday: WEEKDAY_HOURS,
  thursday: WEEKDAY_HOURS,
  friday: WEEKDAY_HOURS,
  saturday: ['10:00-14:00'],
};

export const BASE_SERVICES = [
  { id: 'quick', name: 'Quick check', durationMinutes: 15 },
  { id: 'half', name: 'Half hour', durationMinutes: 30 },
  { id: 'hour', name: 'One hour', durationMinutes: 60 },
  { id: 'hour-after', name: 'Hour plus cleanup', durationMinutes: 60, bufferAfterMinutes: 15 },
  { id: 'prep', name: 'Prepared half hour', durationMinutes: 30, bufferBeforeMinutes: 15 },
  { id: 'long', name: 'Ninety', durationMinutes: 90 },
];

export interface BusinessInput {
  timeZone?: string;
  hours?: Record<string, string[]>;
  closures?: Array<{ date: string; until?: string; from?: string; to?: string; name?: string }>;
  booking?: { minNoticeMinutes?: number; horizonDays?: number; slotIntervalMinutes?: number };
  services?: Array<Record<string, unknown>>;
  staff?: Array<{ id: string; name: string; hours?: Record<string, string[]> }>;
}

export interface Fixture {
  cfg: BusinessConfig;
  rules: ScheduleRules;
  zone: string;
  timing(serviceId: string): ServiceTiming;
  /** Eligible staff for the service, in config order, with their busy intervals. */
  staff(serviceId: string, busy?: Record<string, Interval[]>): StaffBusy[];
}

export function makeBusiness(input: BusinessInput = {}): Fixture {
  const cfg = parseBusinessConfig({
    business: { name: 'Test Salon', timeZone: input.timeZone ?? NY },
    hours: input.hours ?? BASE_HOURS,
    closures: input.closures ?? [],
    booking: { minNoticeMinutes: 0, horizonDays: 30, slotIntervalMinutes: 15, ...input.booking },
    services: input.services ?? BASE_SERVICES,
    staff: input.staff ?? [{ id: 'alice', name: 'Alice' }],
  });
  const rules = compileRules(cfg);
  const service = (id: string) => {
    const s = cfg.services.find((x) => x.id === id);
    if (!s) throw new Error(`fixture: unknown service ${id}`);
    return s;
  };
  return {
    cfg,
    rules,
    zone: rules.zone,
    timing: (id) => serviceTiming(service(id)),
    staff: (id, busy = {}) => {
      const s = service(id);
      for (const k of Object.keys(busy)) {
        if (!cfg.staff.some((x) => x.id === k)) throw new Error(`fixture: unknown staff ${k}`);
      }
      return cfg.staff
        .filter((m) => s.staff.length === 0 || s.staff.includes(m.id))
        .map((m) => ({ staffId: m.id, busy: busy[m.id] ?? [] }));
    },
  };
}

/**
 * An instant from a local wall time in `zone` ("2026-06-15T09:00"), or from a string with an explicit
 * offset ("2026-11-01T01:30-04:00"). A wall time that does not exist or is ambiguous throws: the
 * tests must never depend on how luxon guesses (its guess uses the machine clock).
 */
export function at(zone: string, text: string): number {
  if (/(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const dt = DateTime.fromISO(text, { setZone: true });
    if (!dt.isValid) throw new Error(`fixture: bad time ${text}`);
    return dt.toMillis();
  }
  const dt = DateTime.fromISO(text, { zone });
  if (!dt.isValid) throw new Error(`fixture: bad time ${text}`);
  const back = dt.toFormat(text.length > 16 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm");
  if (back !== text) throw new Error(`fixture: ${text} does not exist in ${zone}`);
  if (dt.getPossibleOffsets().length !== 1) throw new Error(`fixture: ${text} is ambiguous in ${zone}; give an offset`);
  return dt.toMillis();
}

export function dt(ms: number, zone: string): DateTime {
  return DateTime.fromMillis(ms, { zone });
}

/** "2026-03-09T09:00-04:00" */
export function iso(ms: number, zone: string): string {
  return dt(ms, zone).toISO({ suppressMilliseconds: true, suppressSeconds: true })!;
}

/** "09:00" */
export function hm(ms: number, zone: string): string {
  return dt(ms, zone).toFormat('HH:mm');
}

/** "2026-06-15 09:00" */
export function local(ms: number, zone: string): string {
  return dt(ms, zone).toFormat('yyyy-MM-dd HH:mm');
}

export function starts(slots: readonly Slot[], zone: string): string[] {
  return slots.map((s) => hm(s.start, zone));
}

export function isoStarts(slots: readonly Slot[], zone: string): string[] {
  return slots.map((s) => iso(s.start, zone));
}

/** "HH:mm" times from `from` to `to` inclusive, every `step` minutes. */
export function timesBetween(from: string, to: string, step = 15): string[] {
  const toMin = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
  const out: string[] = [];
  for (let m = toMin(from); m <= toMin(to); m += step) {
    out.push(`${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  }
  return out;
}

/** Local date -> list of "HH:mm" starts. */
export function byDay(slots: readonly Slot[], zone: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of slots) {
    const d = dt(s.start, zone);
    (out[d.toISODate()!] ??= []).push(d.toFormat('HH:mm'));
  }
  return out;
}

export interface Query {
  service: string;
  now: number;
  from?: number;
  to?: number;
  busy?: Record<string, Interval[]>;
  timeOfDay?: TimeOfDay;
}

/** findSlots on a fixture; the window defaults to [now, now + 40 days). */
export function find(fx: Fixture, q: Query): Slot[] {
  return findSlots({
    rules: fx.rules,
    service: fx.timing(q.service),
    staff: fx.staff(q.service, q.busy),
    now: q.now,
    from: q.from ?? q.now,
    to: q.to ?? q.now + 40 * DAY,
    timeOfDay: q.timeOfDay,
  });
}

export function check(fx: Fixture, q: Omit<Query, 'from' | 'to' | 'timeOfDay'>, start: number): StartCheck {
  return checkStart({ rules: fx.rules, service: fx.timing(q.service), staff: fx.staff(q.service, q.busy), now: q.now }, start);
}

/** Busy interval from two local wall times. */
export function busy(zone: string, from: string, to: string): Interval {
  return { start: at(zone, from), end: at(zone, to) };
}

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32): deterministic "random" layouts without new packages.

export const mulberry32 = seededRandom;

export function randInt(rnd: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rnd() * (hi - lo + 1));
}

// ---------------------------------------------------------------------------------------------
// Brute-force reference: every grid wall time of every local day, checked against every rule and
// every busy interval one by one. Deliberately naive and independent of src/slots/*: it does not
// use the engine's interval helpers, caches, pointer walk or DST branches. It only handles wall times
// that exist exactly once (it throws otherwise), so it is meant for ordinary days and for DST days
// whose open hours stay clear of the transition.

export interface ReferenceQuery {
  rules: ScheduleRules;
  service: ServiceTiming;
  staff: readonly StaffBusy[];
  now: number;
  from: number;
  to: number;
  timeOfDay?: TimeOfDay;
}

const TOD: Record<TimeOfDay, [number, number]> = {
  morning: [0, 12 * 60],
  afternoon: [12 * 60, 17 * 60],
  evening: [17 * 60, 24 * 60],
};

/** "09:00-12:00" + "12:00-17:00" is one stretch of open time: there is no break between them. */
function joinTouching(ranges: readonly { start: number; end: number }[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = out[out.length - 1];
    if (last && last.end === r.start) last.end = r.end;
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

export function referenceSlots(q: ReferenceQuery): Slot[] {
  const { rules, service } = q;
  const zone = rules.zone;
  const today = DateTime.fromMillis(q.now, { zone }).toISODate()!;
  const lastDay = DateTime.fromISO(today, { zone }).plus({ days: rules.horizonDays }).toISODate()!;
  const earliest = q.now + rules.minNoticeMin * MIN;
  const dur = service.durationMin;
  const out: Slot[] = [];

  let day = DateTime.fromMillis(Math.max(q.from, earliest), { zone }).toISODate()!;
  const lastWindowDay = DateTime.fromMillis(q.to - 1, { zone }).toISODate()!;
  while (day <= lastDay && day <= lastWindowDay) {
    const d = DateTime.fromISO(day, { zone });
    const closures = rules.closures.filter((c) => c.date <= day && day <= c.until);
    const fullyClosed = closures.some((c) => c.from === undefined);
    // no offset change during this local day: wall minutes are real minutes after midnight
    const plainDay = d.offset === d.endOf('day').offset;
    if (!fullyClosed) {
      for (let m = 0; m + dur <= 24 * 60; m += rules.slotIntervalMin) {
        if (q.timeOfDay) {
          const [a, b] = TOD[q.timeOfDay];
          if (m < a || m >= b) continue;
        }
        if (closures.some((c) => c.from! < m + dur && m < c.to!)) continue;
        let start: number | undefined;
        const ids: string[] = [];
        for (const s of q.staff) {
          const hours = rules.staffHours.get(s.staffId) ?? rules.businessHours;
          const ranges = joinTouching(hours[d.weekday] ?? []);
          if (!ranges.some((r) => r.start <= m && m + dur <= r.end)) continue;
          if (start === undefined && plainDay) start = d.toMillis() + m * MIN;
          if (start === undefined) {
            const w = d.set({ hour: Math.floor(m / 60), minute: m % 60 });
            if (w.hour * 60 + w.minute !== m || w.getPossibleOffsets().length !== 1) {
              throw new Error(`reference: ${day} minute ${m} is not a plain wall time in ${zone}`);
            }
            start = w.toMillis();
          }
          if (start < q.from || start >= q.to || start < earliest) continue;
          const blockStart = start - service.bufferBeforeMin * MIN;
          const blockEnd = start + (dur + service.bufferAfterMin) * MIN;
          if (s.busy.some((b) => b.end > b.start && b.start < blockEnd && blockStart < b.end)) continue;
          ids.push(s.staffId);
        }
        if (start !== undefined && ids.length > 0) out.push({ start, end: start + dur * MIN, staffIds: ids });
      }
    }
    day = d.plus({ days: 1 }).toISODate()!;
  }
  return out;
}
