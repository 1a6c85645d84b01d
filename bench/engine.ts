/**
 * Section 2: the slot engine against the naive baseline, in-process with tinybench.
 * 14 days x {1, 10, 50} staff x {100, 2,000, 20,000} busy intervals. Both implementations get the
 * same inputs and must return the same slots, or the section fails: a speed-up over an answer that
 * differs would mean nothing.
 */
import { DateTime } from 'luxon';
import { Bench, type Task } from 'tinybench';
import type { Interval } from '../src/calendar/provider.js';
import { parseBusinessConfig } from '../src/config/business.js';
import { findSlots, type Slot, type SlotSearch, type StaffBusy } from '../src/slots/engine.js';
import { compileRules, serviceTiming } from '../src/slots/rules.js';
import { naiveFindSlots } from './naive.js';
import { prng, sig } from './util.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
const ZONE = 'America/New_York';

export interface Timing {
  p50Ms: number;
  meanMs: number;
  samples: number;
}

export interface EngineCase {
  staff: number;
  busy: number;
  /** Slots found over the 14 days (same for both implementations). */
  slots: number;
  engine: Timing;
  naive: Timing;
  /** naive p50 / engine p50. */
  speedup: number;
}

export interface EngineResult {
  days: number;
  cases: EngineCase[];
  method: string;
}

/** The demo salon's hours (lunch break, two closed days), a closure and a partial closure in the window. */
function rulesFor(staffCount: number) {
  const weekdays = ['09:00-12:30', '13:30-18:00'];
  const late = ['09:00-12:30', '13:30-20:00'];
  const cfg = parseBusinessConfig(
    {
      business: { name: 'Bench', timeZone: ZONE },
      hours: { tuesday: weekdays, wednesday: weekdays, thursday: late, friday: late, saturday: ['09:00-16:00'] },
      closures: [
        { date: '2026-11-26', name: 'Thanksgiving' },
        { date: '2026-12-03', from: '12:00', to: '15:00', name: 'Staff training' },
      ],
      booking: { minNoticeMinutes: 120, horizonDays: 60, slotIntervalMinutes: 15 },
      services: [{ id: 'haircut', name: 'Haircut', durationMinutes: 45, bufferAfterMinutes: 15 }],
      // Every third person keeps their own hours, as part-timers do.
      staff: Array.from({ length: staffCount }, (_, i) => ({
        id: `st${i}`,
        name: `Staff ${i}`,
        ...(i % 3 === 2 ? { hours: { wednesday: ['12:00-20:00'], thursday: ['12:00-20:00'], friday: ['12:00-20:00'], saturday: ['09:00-16:00'] } } : {}),
      })),
    },
    'bench',
  );
  return { rules: compileRules(cfg), service: serviceTiming(cfg.services[0]!), staffIds: cfg.staff.map((s) => s.id) };
}

/** Busy events spread uniformly over the window and the staff, 15 minutes to 2 hours, on a 5-minute grid. */
function busyFor(staffIds: string[], count: number, from: number, days: number, seed: number): StaffBusy[] {
  const rnd = prng(seed);
  const lists = new Map<string, Interval[]>(staffIds.map((id) => [id, []]));
  const durations = [15, 30, 45, 60, 90, 120];
  const steps = (days * DAY) / (5 * MINUTE);
  for (let i = 0; i < count; i++) {
    const staff = staffIds[Math.floor(rnd() * staffIds.length)]!;
    const start = from + Math.floor(rnd() * steps) * 5 * MINUTE;
    const dur = durations[Math.floor(rnd() * durations.length)]! * MINUTE;
    lists.get(staff)!.push({ start, end: start + dur });
  }
  // Sorted by start: the CalendarProvider contract (SQLite ORDER BY, Google freeBusy) hands them over that way.
  return staffIds.map((id) => ({ staffId: id, busy: lists.get(id)!.sort((a, b) => a.start - b.start) }));
}

function sameSlots(a: Slot[], b: Slot[]): string | undefined {
  if (a.length !== b.length) return `engine found ${a.length} slots, naive ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.start !== y.start || x.end !== y.end || x.staffIds.join() !== y.staffIds.join()) {
      const at = DateTime.fromMillis(x.start, { zone: ZONE }).toISO();
      return `slot #${i} differs: engine ${at} [${x.staffIds.join()}], naive ${DateTime.fromMillis(y.start, { zone: ZONE }).toISO()} [${y.staffIds.join()}]`;
    }
  }
  return undefined;
}

function timing(task: Task | undefined): Timing {
  const r = task?.result;
  if (!r || r.state === 'errored') throw r && r.state === 'errored' ? r.error : new Error('task did not run');
  if (r.state !== 'completed') throw new Error(`task ended in state ${r.state}`);
  return { p50Ms: r.latency.p50, meanMs: r.latency.mean, samples: r.latency.samplesCount };
}

export async function benchEngine(opts: { quick: boolean }): Promise<EngineResult> {
  const days = 14;
  const now = DateTime.fromISO('2026-11-23T08:00', { zone: ZONE }).toMillis(); // a Monday, no DST change in the window
  const staffSizes = [1, 10, 50];
  const busySizes = [100, 2_000, 20_000];
  const cases: EngineCase[] = [];

  for (const staffCount of staffSizes) {
    const { rules, service, staffIds } = rulesFor(staffCount);
    for (const busyCount of busySizes) {
      const q: SlotSearch = {
        rules,
        service,
        staff: busyFor(staffIds, busyCount, now, days, staffCount * 100_003 + busyCount),
        now,
        from: now,
        to: now + days * DAY,
      };
      const fast = findSlots(q);
      const slow = naiveFindSlots(q);
      const diff = sameSlots(fast, slow);
      if (diff) throw new Error(`engine and naive disagree at ${staffCount} staff x ${busyCount} busy: ${diff}`);

      // The naive search at 50 x 20,000 takes long enough that a time budget is met after a few
      // iterations; `iterations` is the floor, `time` the budget per task.
      const bench = new Bench({
        time: opts.quick ? 15 : 400,
        iterations: opts.quick ? 2 : 8,
        warmupTime: opts.quick ? 5 : 50,
        warmupIterations: opts.quick ? 1 : 3,
        throws: true,
      });
      bench.add('engine', () => {
        findSlots(q);
      });
      bench.add('naive', () => {
        naiveFindSlots(q);
      });
      await bench.run();
      const engine = timing(bench.tasks.find((t) => t.name === 'engine'));
      const naive = timing(bench.tasks.find((t) => t.name === 'naive'));
      cases.push({ staff: staffCount, busy: busyCount, slots: fast.length, engine, naive, speedup: sig(naive.p50Ms / engine.p50Ms) });
    }
  }
  return {
    days,
    cases,
    method:
      'tinybench, median time per findSlots call over a 14-day window (demo salon hours, one closure, one partial closure, haircut 45 min + 15 min buffer, 15-min grid). ' +
      'Busy events: seeded PRNG, uniform over the window and staff, 15-120 min, sorted by start as calendar providers return them. Naive: every grid candidate checked against every busy event of its staff member; both outputs verified identical.',
  };
}
