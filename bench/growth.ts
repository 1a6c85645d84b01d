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
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { EmbeddedCalendar } from '../src/calendar/embedded.js';
import { loadBusinessConfig } from '../src/config/business.js';
import { parseEnv } from '../src/config/env.js';
import { ManualClock } from '../src/domain/clock.js';
import { randomIds } from '../src/domain/ids.js';
import { DEFAULT_BUSINESS_ID, makeDeps } from '../src/deps.js';
import { type BusinessStore, openStore, type Repos } from '../src/store/index.js';
import { CallLogBatcher } from '../src/store/sql/batch.js';
import type { Driver, Executor, Param } from '../src/store/sql/driver.js';
import { businessStore } from '../src/store/sql/repos.js';
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
async function seed(store: BusinessStore, n: number, now: number, zone: string, staffIds: string[]): Promise<void> {
  const today = DateTime.fromMillis(now, { zone }).startOf('day');
  const perDay = (CLOSE - OPEN) * staffIds.length;
  const upcoming = Math.min(n, UPCOMING);
  const future = new DistinctSlots(zone, today.plus({ days: 1 }), UPCOMING_DAYS, OPEN, CLOSE, staffIds.length);

  const put = async (tx: Repos, calendar: EmbeddedCalendar, k: number, start: number, staffId: string, cancelled: boolean) => {
    const id = `apt_seed${String(k).padStart(10, '0')}`;
    const times = { start, end: start + 45 * MINUTE, blockStart: start, blockEnd: start + HOUR };
    const phone = phoneFor(k);
    const ok = await tx.appointments.reserve(
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
    const { eventId } = await calendar.createEvent({ appointmentId: id, calendarId: staffId, ...times, summary: 'Haircut', description: '', timeZone: zone, customerPhone: phone, serviceId: 'haircut' });
    if (!eventId) throw new Error(`seed event ${k} was not written as expected`);
    await tx.appointments.confirm(id, eventId, now, false);
    if (cancelled) {
      await tx.appointments.cancel(id, 'seed', now, false);
      await calendar.cancelEvent(staffId, eventId);
    }
  };

  await store.withTransaction(async (tx) => {
    // The embedded calendar on the transaction's own events, so its writes commit with the rest.
    const calendar = new EmbeddedCalendar(tx.calendarEvents, () => now);
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
      await put(tx, calendar, upcoming + p, dayOpen + hour * HOUR, staffIds[p % staffIds.length]!, p % 10 === 0);
    }
    // Upcoming: scattered over the next 60 days.
    for (let k = 0; k < upcoming; k++) {
      const { local, copy } = future.parts(k);
      await put(tx, calendar, k, DateTime.fromISO(local, { zone }).toMillis(), staffIds[copy]!, false);
    }
  });
}

/**
 * The repositories of src/store on a read-only connection that records every statement they run
 * and skips writes: the SQL whose plan is shown is the SQL the store ships, with real parameters.
 */
function recordingStore(db: Database.Database, path: string) {
  const seen: { sql: string; params: Param[] }[] = [];
  const isRead = (sql: string) => /^\s*SELECT\b/i.test(sql);
  const ex: Executor = {
    async all<T>(sql: string, params: readonly Param[] = []) {
      seen.push({ sql, params: [...params] });
      return (isRead(sql) ? db.prepare(sql).all(...params) : []) as T[];
    },
    async get<T>(sql: string, params: readonly Param[] = []) {
      seen.push({ sql, params: [...params] });
      return (isRead(sql) ? db.prepare(sql).get(...params) : undefined) as T | undefined;
    },
    async run(sql: string, params: readonly Param[] = []) {
      seen.push({ sql, params: [...params] });
      return 0;
    },
    lock: async () => undefined,
  };
  const driver: Driver = { dialect: 'sqlite', location: path, auto: ex, transaction: (fn) => fn(ex), close: async () => undefined, health: async () => ({ ok: true }) };
  const store = businessStore({ biz: DEFAULT_BUSINESS_ID, driver, listeners: [], batcher: new CallLogBatcher(driver, { intervalMs: 3_600_000, maxRows: 1e9 }) });
  /** The SELECTs one repository call runs. */
  const selects = async (call: () => Promise<unknown>) => {
    seen.length = 0;
    await call();
    return seen.filter((s) => isRead(s.sql));
  };
  return { store, selects };
}

/** EXPLAIN QUERY PLAN for the statements a find or a book runs. */
async function plans(path: string, now: number, staffIds: string[]): Promise<PlanRow[]> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const { store, selects } = recordingStore(db, path);
    const times = { start: now, end: now + 45 * MINUTE, blockStart: now, blockEnd: now + HOUR };
    const appointment = { id: 'apt_x', serviceId: 'haircut', staffId: staffIds[0]!, staffRequested: false, calendarId: staffIds[0]!, ...times, customerName: 'X', customerPhone: '+15552000001', customerEmail: null, notes: null, source: null };
    const hot: [string, () => Promise<unknown>][] = [
      ['calendar busy (find, book)', () => store.calendarEvents.busy(staffIds, now, now + 14 * 24 * HOUR)],
      ['overlap check (book)', () => store.appointments.reserve(appointment, now)],
      ['bookings per staff per day (book)', () => store.appointments.countByStaff(now, now + 24 * HOUR)],
      ['upcoming by phone (cancel, reschedule, list, per-phone cap)', () => store.appointments.upcomingByPhone('+15552000001', now)],
    ];
    const out: PlanRow[] = [];
    for (const [query, call] of hot) {
      const [first] = await selects(call);
      if (!first) throw new Error(`no SELECT recorded for "${query}"; update bench/growth.ts`);
      const sql = first.sql.replace(/\s+/g, ' ').trim();
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${first.sql}`).all(...first.params) as { detail: string }[]).map((r) => r.detail);
      const usesIndex = plan.some((d) => /USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|USING PRIMARY KEY/.test(d)) && !plan.some((d) => /^SCAN (appointments|calendar_events)\b(?! USING)/.test(d));
      out.push({ query, sql, plan, usesIndex });
    }
    return out;
  } finally {
    db.close();
  }
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
  const path = join(dir, 'growth.db');
  const root = await openStore({ path });
  try {
    const store = root.forBusiness(DEFAULT_BUSINESS_ID);
    const clock = new ManualClock(now);
    const calendar = new EmbeddedCalendar(store.calendarEvents, () => clock.now());
    const t0 = performance.now();
    await seed(store, n, now, zone, staffIds);
    // Statistics for the planner, as a long-running database would have (the store never runs ANALYZE itself).
    const admin = new Database(path);
    admin.exec('ANALYZE');
    admin.close();
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
      plans: withPlans ? await plans(path, now, staffIds) : [],
    };
  } finally {
    await root.close();
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
