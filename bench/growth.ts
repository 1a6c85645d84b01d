/**
 * Section 3: does find/book get slower as the database fills up? A business accumulates history
 * while its upcoming calendar stays about the same size, so each store holds N appointments of which
 * a fixed 1,000 are upcoming (spread over the next 60 days) and the rest are past (10% of them
 * cancelled). If the indexes work, the cost is flat in N. The query plans of the hot statements are
 * recorded next to the timings.
 *
 * Everything goes through `runTool`, as a webhook call would (validation, idempotency, call log).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Statement } from 'better-sqlite3';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { EmbeddedCalendar } from '../src/calendar/embedded.js';
import { loadBusinessConfig } from '../src/config/business.js';
import { parseEnv } from '../src/config/env.js';
import { ManualClock } from '../src/domain/clock.js';
import { randomIds } from '../src/domain/ids.js';
import { makeDeps } from '../src/deps.js';
import { createStore, type Store } from '../src/store/index.js';
import { runTool } from '../src/tools/registry.js';
import { BENCH_CONFIG, DistinctSlots, phoneFor, sig, summarize } from './util.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const OPEN = 7;
const CLOSE = 22;
const UPCOMING = 1_000;
const UPCOMING_DAYS = 60;

export interface GrowthRow {
  appointments: number;
  seedSeconds: number;
  find: { p50Ms: number; p99Ms: number; n: number };
  book: { p50Ms: number; p99Ms: number; n: number; ok: number };
}

export interface PlanRow {
  query: string;
  sql: string;
  plan: string[];
  usesIndex: boolean;
}

export interface GrowthResult {
  rows: GrowthRow[];
  plans: PlanRow[];
  method: string;
}

/** Writes N appointments (and their calendar events) the way bookings land, in one transaction for speed. */
function seed(store: Store, calendar: EmbeddedCalendar, n: number, now: number, zone: string, staffIds: string[]): Promise<{ eventId: string }>[] {
  const today = DateTime.fromMillis(now, { zone }).startOf('day');
  const perDay = (CLOSE - OPEN) * staffIds.length;
  const upcoming = Math.min(n, UPCOMING);
  const future = new DistinctSlots(zone, today.plus({ days: 1 }), UPCOMING_DAYS, OPEN, CLOSE, staffIds.length);
  const pending: Promise<{ eventId: string }>[] = [];

  const put = (k: number, start: number, staffId: string, cancelled: boolean) => {
    const id = `apt_seed${String(k).padStart(10, '0')}`;
    const times = { start, end: start + 45 * MINUTE, blockStart: start, blockEnd: start + HOUR };
    const phone = phoneFor(k);
    const ok = store.appointments.reserve(
      {
        id,
        serviceId: 'haircut',
        staffId,
        staffRequested: false,
        calendarId: staffId,
        ...times,
        customerName: `Seed ${k}`,
        customerPhone: phone,
        customerEmail: null,
        notes: null,
        source: 'seed',
      },
      now,
    );
    if (!ok) throw new Error(`seed appointment ${k} overlaps another one`);
    // The embedded calendar writes synchronously inside createEvent; the promise only carries the id.
    pending[k] = calendar.createEvent({ appointmentId: id, calendarId: staffId, ...times, summary: 'Haircut', description: '', timeZone: zone, customerPhone: phone, serviceId: 'haircut' });
    store.appointments.confirm(id, calendar.eventIdFor(id), now, false);
    if (cancelled) {
      store.appointments.cancel(id, 'seed', now, false);
      void calendar.cancelEvent(staffId, calendar.eventIdFor(id));
    }
  };

  store.db.transaction(() => {
    // History first and oldest first, as it was written: each overlap check then only meets the
    // rows that end after it, like a real booking (seeding newest-first would make every check
    // scan all later rows and the seeding quadratic).
    const history = n - upcoming;
    const historyDays = Math.ceil(history / perDay);
    let dayOpen = 0;
    for (let p = 0; p < history; p++) {
      // Opening hour of each day through luxon once per day; hours inside it by arithmetic (no DST change between 07:00 and 22:00).
      if (p % perDay === 0) dayOpen = today.minus({ days: historyDays - Math.floor(p / perDay) }).set({ hour: OPEN }).toMillis();
      const hour = Math.floor((p % perDay) / staffIds.length);
      put(upcoming + p, dayOpen + hour * HOUR, staffIds[p % staffIds.length]!, p % 10 === 0);
    }
    // Upcoming: scattered over the next 60 days.
    for (let k = 0; k < upcoming; k++) {
      const { local, copy } = future.parts(k);
      put(k, DateTime.fromISO(local, { zone }).toMillis(), staffIds[copy]!, false);
    }
  })();
  return pending;
}

type Stmts = Record<string, Statement>;
const stmtsOf = (o: object) => (o as unknown as { stmts: Stmts }).stmts;

/**
 * EXPLAIN QUERY PLAN for the statements a find or a book runs. The SQL is read from the prepared
 * statements themselves (`.source`), so the plan shown is the plan of the code that ships.
 */
function plans(store: Store, calendar: EmbeddedCalendar, now: number): PlanRow[] {
  const appts = stmtsOf(store.appointments);
  const cal = stmtsOf(calendar);
  const hot: [string, Statement | undefined, unknown[]][] = [
    ['calendar busy (find, book)', cal.busy, ['s01', now, now + 14 * 24 * HOUR]],
    ['overlap check (book)', appts.overlap, ['s01', now, now + HOUR, 'apt_x']],
    ['bookings per staff per day (book)', appts.countByStaffDay, [now, now + 24 * HOUR]],
    ['upcoming by phone (cancel, reschedule, list, per-phone cap)', appts.upcomingByPhone, ['+15552000001', now]],
    ['calendar events by phone', cal.byPhone, ['+15552000001', now]],
  ];
  return hot.map(([query, stmt, args]) => {
    if (!stmt) throw new Error(`prepared statement for "${query}" not found; update bench/growth.ts`);
    const sql = stmt.source.replace(/\s+/g, ' ').trim();
    const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${stmt.source}`).all(...args) as { detail: string }[]).map((r) => r.detail);
    const usesIndex = plan.some((d) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY/.test(d)) && !plan.some((d) => /^SCAN (appointments|calendar_events)\b(?! USING)/.test(d));
    return { query, sql, plan, usesIndex };
  });
}

interface StoreRun {
  row: GrowthRow;
  plans: PlanRow[];
}

async function runStore(n: number, iterations: number, warmup: number, withPlans: boolean): Promise<StoreRun> {
  const config = loadBusinessConfig(BENCH_CONFIG);
  const zone = config.business.timeZone;
  const staffIds = config.staff.map((s) => s.id);
  const now = DateTime.fromISO('2026-11-23T08:00', { zone }).toMillis();
  const dir = mkdtempSync(join(tmpdir(), 'bookline-bench-growth-'));
  const store = createStore(join(dir, 'growth.db'));
  try {
    const clock = new ManualClock(now);
    const calendar = new EmbeddedCalendar(store.db, () => clock.now());
    const t0 = performance.now();
    const events = await Promise.all(seed(store, calendar, n, now, zone, staffIds));
    const missing = events.findIndex((e, i) => e.eventId !== calendar.eventIdFor(`apt_seed${String(i).padStart(10, '0')}`));
    if (missing >= 0) throw new Error(`seed event ${missing} was not written as expected`);
    store.db.exec('ANALYZE');
    const seedSeconds = (performance.now() - t0) / 1000;

    const deps = makeDeps({
      config,
      settings: parseEnv({ NODE_ENV: 'production', LOG_LEVEL: 'silent' }),
      calendar,
      store,
      clock,
      logger: pino({ level: 'silent' }),
      ids: randomIds,
    });

    const findTimes: number[] = [];
    for (let i = 0; i < warmup + iterations; i++) {
      const t = performance.now();
      const out = await runTool(deps, 'find_available_slots', { service_name: 'haircut' }, { platform: 'bench' });
      if (i >= warmup) findTimes.push(performance.now() - t);
      if (!out.result.ok) throw new Error(`find_available_slots failed: ${out.result.message}`);
    }

    // Bookings land after the seeded upcoming window, so they never collide with it.
    const slots = new DistinctSlots(zone, DateTime.fromMillis(now, { zone }).plus({ days: UPCOMING_DAYS + 1 }), 300, OPEN, CLOSE, staffIds.length);
    const bookTimes: number[] = [];
    let ok = 0;
    for (let i = 0; i < warmup + iterations; i++) {
      const t = performance.now();
      const out = await runTool(
        deps,
        'book_appointment',
        { customer_name: `Bench ${i}`, customer_phone: phoneFor(5_000_000 + i), service_name: 'haircut', appointment_datetime: slots.at(i) },
        { platform: 'bench', idempotencyKey: `growth-${n}-${i}` },
      );
      if (i >= warmup) {
        bookTimes.push(performance.now() - t);
        if (out.result.ok) ok++;
      }
    }
    if (ok < iterations * 0.95) throw new Error(`only ${ok} of ${iterations} bookings succeeded at ${n} rows; the booking bench would measure refusals`);

    const f = summarize(findTimes);
    const b = summarize(bookTimes);
    return {
      row: {
        appointments: n,
        seedSeconds: sig(seedSeconds),
        find: { p50Ms: sig(f.p50), p99Ms: sig(f.p99), n: f.n },
        book: { p50Ms: sig(b.p50), p99Ms: sig(b.p99), n: b.n, ok },
      },
      plans: withPlans ? plans(store, calendar, now) : [],
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchGrowth(opts: { quick: boolean }): Promise<GrowthResult> {
  const sizes = opts.quick ? [1_000, 5_000] : [1_000, 10_000, 100_000];
  const iterations = opts.quick ? 15 : 200;
  const warmup = opts.quick ? 5 : 20;
  // A throwaway store first, so the smallest size is not also the one that pays for the JIT.
  await runStore(200, iterations, warmup, false);
  const rows: GrowthRow[] = [];
  let planRows: PlanRow[] = [];
  for (const n of sizes) {
    const run = await runStore(n, iterations, warmup, n === sizes[sizes.length - 1]);
    rows.push(run.row);
    if (run.plans.length) planRows = run.plans;
  }
  return {
    rows,
    plans: planRows,
    method:
      `runTool in-process on a temp SQLite file (WAL, synchronous=FULL), bench/business.json (10 staff, 07:00-22:00). Each store holds N appointments: ${UPCOMING} upcoming over ${UPCOMING_DAYS} days, the rest history (10% cancelled). ` +
      `find = find_available_slots for the next 14 days; book = book_appointment of a distinct free hour (durable commit included). ${iterations} timed calls each after ${warmup} warm-up calls, after a throwaway warm-up store; EXPLAIN QUERY PLAN taken on the largest store.`,
  };
}
