/**
 * Randomised (but seeded, so reproducible) comparison of findSlots/checkStart against the naive
 * reference in fixtures.ts, which checks every grid time against every rule and every busy interval.
 * Layouts include overlapping/touching/zero-length/off-grid busy intervals, buffers, several staff with
 * and without personal hours, full/partial/multi-day closures, notice, horizon, time-of-day filters, and
 * weeks that contain a DST change (open hours stay between 06:00 and 22:00, clear of the transition).
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { checkStart, findSlots, type TimeOfDay } from '../../src/slots/engine.js';
import { spreadSlots } from '../../src/tools/window.js';
import { DAY, LONDON, local, makeBusiness, MIN, mulberry32, NY, randInt, referenceSlots, type BusinessInput } from './fixtures.js';

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
// Mondays: plain winter/summer weeks, the four 2026 DST weeks of New York and London, a year boundary.
const WEEKS = ['2026-01-12', '2026-03-02', '2026-03-23', '2026-06-15', '2026-10-19', '2026-10-26', '2026-12-28'];

const pad = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

function randomDay(rnd: () => number): string[] {
  const out: string[] = [];
  let cursor = 6 * 60 + 5 * randInt(rnd, 0, 24);
  const n = randInt(rnd, 0, 3);
  for (let i = 0; i < n; i++) {
    const start = cursor + 5 * randInt(rnd, 0, 18);
    const end = start + 5 * randInt(rnd, 6, 60);
    if (end > 22 * 60) break;
    out.push(`${pad(start)}-${pad(end)}`);
    cursor = end + 5 * randInt(rnd, 1, 12); // a real break (touching ranges have their own test in engine.test.ts)
  }
  return out;
}

function randomWeek(rnd: () => number): Record<string, string[]> {
  const w: Record<string, string[]> = {};
  for (const d of WEEKDAYS) if (rnd() < 0.85) w[d] = randomDay(rnd);
  return w;
}

interface Layout {
  seed: number;
  input: BusinessInput;
  zone: string;
  weekStart: number;
  now: number;
  from: number;
  to: number;
  busy: Record<string, { start: number; end: number }[]>;
  timeOfDay: TimeOfDay | undefined;
}

function layout(seed: number): Layout {
  const rnd = mulberry32(seed);
  const zone = rnd() < 0.5 ? NY : LONDON;
  const monday = WEEKS[randInt(rnd, 0, WEEKS.length - 1)]!;
  const weekStartDt = DateTime.fromISO(monday, { zone });
  const weekStart = weekStartDt.toMillis();
  const isoDay = (offset: number) => weekStartDt.plus({ days: offset }).toISODate()!;

  const staffCount = randInt(rnd, 1, 3);
  const staff = Array.from({ length: staffCount }, (_, i) => ({
    id: `s${i}`,
    name: `Staff ${i}`,
    ...(rnd() < 0.4 ? { hours: randomWeek(rnd) } : {}),
  }));
  const bufferChoices = [0, 0, 0, 5, 10, 15, 30];
  const service: Record<string, unknown> = {
    id: 'svc',
    name: 'Service',
    durationMinutes: 5 * randInt(rnd, 1, 36),
    bufferBeforeMinutes: bufferChoices[randInt(rnd, 0, bufferChoices.length - 1)],
    bufferAfterMinutes: bufferChoices[randInt(rnd, 0, bufferChoices.length - 1)],
  };
  if (staffCount > 1 && rnd() < 0.3) service.staff = staff.filter(() => rnd() < 0.6).map((s) => s.id);

  const closures: NonNullable<BusinessInput['closures']> = [];
  for (let i = randInt(rnd, 0, 3); i > 0; i--) {
    const d = randInt(rnd, -1, 7);
    const span = rnd() < 0.3 ? randInt(rnd, 1, 2) : 0;
    const c: NonNullable<BusinessInput['closures']>[number] = { date: isoDay(d), name: `Closure ${i}` };
    if (span) c.until = isoDay(d + span);
    if (rnd() < 0.6) {
      const from = 5 * randInt(rnd, 6 * 12, 20 * 12);
      c.from = pad(from);
      c.to = pad(Math.min(from + 5 * randInt(rnd, 1, 48), 24 * 60));
    }
    closures.push(c);
  }

  const intervals = [10, 15, 15, 20, 30, 60];
  const notices = [0, 0, 30, 37, 120, 24 * 60];
  const input: BusinessInput = {
    timeZone: zone,
    hours: randomWeek(rnd),
    closures,
    booking: {
      slotIntervalMinutes: intervals[randInt(rnd, 0, intervals.length - 1)]!,
      minNoticeMinutes: notices[randInt(rnd, 0, notices.length - 1)]!,
      horizonDays: randInt(rnd, 1, 10),
    },
    services: [service],
    staff,
  };

  const busy: Layout['busy'] = {};
  for (const s of staff) {
    const list: { start: number; end: number }[] = [];
    for (let i = randInt(rnd, 0, 14); i > 0; i--) {
      const start = weekStart - DAY + randInt(rnd, 0, 9 * 24 * 60) * MIN + (rnd() < 0.2 ? randInt(rnd, 1, 59_999) : 0);
      const len = rnd() < 0.05 ? 0 : randInt(rnd, 1, 240) * MIN;
      list.push({ start, end: start + len });
    }
    busy[s.id] = list;
  }

  const now = weekStart - 2 * DAY + randInt(rnd, 0, 4 * 24 * 60) * MIN + randInt(rnd, 0, 59_999);
  const from = rnd() < 0.5 ? now : weekStart + randInt(rnd, -24 * 60, 3 * 24 * 60) * MIN;
  const to = from + randInt(rnd, 1, 9 * 24 * 60) * MIN;
  const tods: (TimeOfDay | undefined)[] = [undefined, undefined, undefined, undefined, undefined, 'morning', 'afternoon', 'evening'];
  return { seed, input, zone, weekStart, now, from, to, busy, timeOfDay: tods[randInt(rnd, 0, tods.length - 1)] };
}

const SEEDS = Array.from({ length: 60 }, (_, i) => 1000 + i * 7919);

describe('findSlots equals the brute-force reference on random layouts', () => {
  it.each(SEEDS)('seed %i', (seed) => {
    const l = layout(seed);
    const fx = makeBusiness(l.input);
    const q = {
      rules: fx.rules,
      service: fx.timing('svc'),
      staff: fx.staff('svc', l.busy),
      now: l.now,
      from: l.from,
      to: l.to,
      timeOfDay: l.timeOfDay,
    };
    const got = findSlots(q);
    const want = referenceSlots(q);
    const show = (s: { start: number; staffIds: readonly string[] }[]) => s.map((x) => `${local(x.start, l.zone)} ${x.staffIds.join(',')}`);
    if (JSON.stringify(got) !== JSON.stringify(want)) expect(show(got)).toEqual(show(want)); // readable diff first
    expect(got).toEqual(want);
  });

  it('the layouts are not trivial (most produce slots, some are busy-constrained)', () => {
    let withSlots = 0;
    let constrained = 0;
    const sample = SEEDS.slice(0, 40);
    for (const seed of sample) {
      const l = layout(seed);
      const fx = makeBusiness(l.input);
      const base = { rules: fx.rules, service: fx.timing('svc'), now: l.now, from: l.from, to: l.to, timeOfDay: l.timeOfDay };
      const free = referenceSlots({ ...base, staff: fx.staff('svc') });
      const withBusy = referenceSlots({ ...base, staff: fx.staff('svc', l.busy) });
      if (withBusy.length > 0) withSlots++;
      if (JSON.stringify(free) !== JSON.stringify(withBusy)) constrained++;
    }
    expect(withSlots).toBeGreaterThan(sample.length / 2);
    expect(constrained).toBeGreaterThan(sample.length / 4);
  });
});

describe('maxDays: the first n days with slots, in full, and the same voice picks', () => {
  it.each(SEEDS)('seed %i', (seed) => {
    const l = layout(seed);
    const fx = makeBusiness(l.input);
    const q = { rules: fx.rules, service: fx.timing('svc'), staff: fx.staff('svc', l.busy), now: l.now, from: l.from, to: l.to, timeOfDay: l.timeOfDay };
    const full = findSlots(q);
    const days = [...new Set(full.map((s) => local(s.start, l.zone).slice(0, 10)))];
    for (const n of [1, 2, 3, 5, 20]) {
      const cut = findSlots({ ...q, maxDays: n });
      const keep = new Set(days.slice(0, n));
      expect(cut).toEqual(full.filter((s) => keep.has(local(s.start, l.zone).slice(0, 10))));
      // What find_available_slots offers (spread over days) is unchanged by the cut.
      expect(spreadSlots(cut, n, l.zone)).toEqual(spreadSlots(full, n, l.zone));
    }
  });
});

describe('checkStart equals the brute-force reference on random layouts', () => {
  it.each(SEEDS.slice(0, 15))('seed %i', (seed) => {
    const l = layout(seed);
    const fx = makeBusiness(l.input);
    const staff = fx.staff('svc', l.busy);
    const service = fx.timing('svc');
    const all = referenceSlots({ rules: fx.rules, service, staff, now: l.now, from: l.now, to: l.now + 30 * DAY });
    const byStart = new Map(all.map((s) => [s.start, s.staffIds]));
    const rnd = mulberry32(seed ^ 0x5eed);
    // a quarter of the reference slots, plus random 5-minute times through the week
    const times = all.filter(() => rnd() < 0.25).map((s) => s.start);
    for (let i = 0; i < 60; i++) times.push(l.weekStart + randInt(rnd, -24 * 12, 8 * 24 * 12) * 5 * MIN);
    const mismatches: string[] = [];
    for (const t of times) {
      const r = checkStart({ rules: fx.rules, service, staff, now: l.now }, t);
      const ids = byStart.get(t);
      const same = ids ? r.ok && r.staffIds.join() === ids.join() : !r.ok;
      if (!same) mismatches.push(`${local(t, l.zone)}: reference ${ids ? ids.join() : 'refuses'}, checkStart ${JSON.stringify(r)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
