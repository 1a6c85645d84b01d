/**
 * Section "stores": what the store and the number of businesses cost one tool call.
 *
 * 1. In-process (`runTool`, as a webhook would call it), on SQLite and on Postgres: find and book
 *    with 1 business, then with 100 businesses on one deployment (every business seeded alike, the
 *    calls going to one in the middle). Ratios are against SQLite with 1 business, measured in the
 *    same run. If per-business scoping works, 100 businesses cost what 1 does.
 * 2. Over HTTP (autocannon, /tools/find_available_slots and /tools/book_appointment): one instance
 *    on SQLite, one on Postgres, and three on one Postgres database, driven at once.
 *
 * Every run checks its answers: finds must offer slots, bookings must be ok (in-process) or be
 * present once in the database with no overlap (HTTP).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { DateTime } from 'luxon';
import pg from 'pg';
import { pino } from 'pino';
import { EmbeddedCalendar } from '../src/calendar/embedded.js';
import { loadBusinessConfig } from '../src/config/business.js';
import { parseEnv } from '../src/config/env.js';
import { ManualClock } from '../src/domain/clock.js';
import { randomIds } from '../src/domain/ids.js';
import { makeDeps } from '../src/deps.js';
import { type BusinessStore, openStore, type Store } from '../src/store/index.js';
import { runTool } from '../src/tools/registry.js';
import { BENCH_CONFIG, DistinctSlots, freePort, phoneFor, sig, summarize } from './util.js';

const PG_URL = process.env.BOOKLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const MINUTE = 60_000;

export interface InProcessRow {
  store: 'sqlite' | 'postgres';
  businesses: number;
  find: { opsPerSec: number; p50Ms: number; p99Ms: number; n: number };
  book: { opsPerSec: number; p50Ms: number; p99Ms: number; n: number; ok: number };
  /** opsPerSec / SQLite with 1 business. */
  findRatio: number;
  bookRatio: number;
}

export interface HttpRow {
  setup: string;
  instances: number;
  find: { requestsPerSec: number; p50Ms: number; p99Ms: number; requests: number; non2xx: number };
  book: { requestsPerSec: number; p50Ms: number; p99Ms: number; requests: number; non2xx: number; booked: number; overlaps: number };
}

export interface StoresResult {
  inProcess: InProcessRow[];
  http: HttpRow[];
  postgres: boolean;
  method: string;
}

async function postgresUp(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A database of its own for one measurement, dropped afterwards. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const name = `bookline_bench_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** `n` confirmed appointments spread over the next weeks, as bookings land (events included). */
async function seed(store: BusinessStore, n: number, now: number, staffIds: string[]): Promise<void> {
  await store.withTransaction(async (tx) => {
    for (let i = 0; i < n; i++) {
      const staff = staffIds[i % staffIds.length]!;
      const start = now + (1 + Math.floor(i / staffIds.length)) * 90 * MINUTE;
      const id = `apt_seed${i}`;
      const t = { start, end: start + 45 * MINUTE, blockStart: start, blockEnd: start + 60 * MINUTE };
      await tx.appointments.reserve(
        { id, serviceId: 'haircut', staffId: staff, staffRequested: false, calendarId: staff, ...t, customerName: 'Seed', customerPhone: phoneFor(i), customerEmail: null, notes: null, source: 'seed' },
        now,
      );
      await tx.appointments.confirm(id, `ev_${id}`, now, false);
      await tx.calendarEvents.insert(
        { id: `ev_${id}`, calendarId: staff, kind: 'appointment', appointmentId: id, ...t, summary: 'Seed', description: '', customerPhone: phoneFor(i), serviceId: 'haircut' },
        now,
      );
    }
  });
}

async function inProcess(kind: 'sqlite' | 'postgres', businesses: number, quick: boolean): Promise<Omit<InProcessRow, 'findRatio' | 'bookRatio'>> {
  const config = loadBusinessConfig(BENCH_CONFIG);
  const zone = config.business.timeZone;
  const now = DateTime.fromISO('2027-01-04T06:00', { zone }).toMillis();
  const clock = new ManualClock(now);
  const dir = mkdtempSync(join(tmpdir(), 'bookline-bench-stores-'));
  const db = kind === 'postgres' ? await freshDatabase() : undefined;
  const store: Store = await openStore(db ? { url: db.url, poolSize: 4 } : { path: join(dir, 'bench.db') });
  try {
    const staffIds = config.staff.map((s) => s.id);
    const perBusiness = quick ? 20 : 200;
    const ids = Array.from({ length: businesses }, (_, i) => `bench_${i}`);
    for (const id of ids) await seed(store.forBusiness(id), perBusiness, now, staffIds);
    const target = store.forBusiness(ids[Math.floor(ids.length / 2)]!);
    const settings = parseEnv({ NODE_ENV: 'test', LOG_LEVEL: 'silent', RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0' });
    const deps = makeDeps({ config, settings, calendar: new EmbeddedCalendar(target.calendarEvents, () => clock.now()), store: target, clock, logger: pino({ level: 'silent' }), ids: randomIds });
    const n = quick ? 30 : 400;
    const meta = { platform: 'bench' };
    for (let i = 0; i < 10; i++) await runTool(deps, 'find_available_slots', { service_name: 'haircut' }, meta);

    const findMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      const out = await runTool(deps, 'find_available_slots', { service_name: 'haircut' }, meta);
      findMs.push(performance.now() - s);
      const offered = (out.result as unknown as { slots?: unknown[] }).slots;
      if (!out.result.ok || !Array.isArray(offered) || offered.length === 0) {
        throw new Error(`find answered ${JSON.stringify(out.result).slice(0, 200)}`);
      }
    }
    const findSec = (performance.now() - t0) / 1000;

    const slots = new DistinctSlots(zone, DateTime.fromMillis(now, { zone }).plus({ days: 30 }), 300, 7, 22, staffIds.length);
    const bookMs: number[] = [];
    let ok = 0;
    const t1 = performance.now();
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      const out = await runTool(deps, 'book_appointment', { customer_name: `Bench ${i}`, customer_phone: phoneFor(100_000 + i), service_name: 'haircut', appointment_datetime: slots.at(i) }, meta);
      bookMs.push(performance.now() - s);
      if (out.result.ok) ok++;
    }
    const bookSec = (performance.now() - t1) / 1000;
    if (ok !== n) throw new Error(`only ${ok} of ${n} bookings succeeded on ${kind} with ${businesses} businesses`);
    const f = summarize(findMs);
    const b = summarize(bookMs);
    return {
      store: kind,
      businesses,
      find: { opsPerSec: sig(n / findSec), p50Ms: sig(f.p50), p99Ms: sig(f.p99), n },
      book: { opsPerSec: sig(n / bookSec), p50Ms: sig(b.p50), p99Ms: sig(b.p99), n, ok },
    };
  } finally {
    await store.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startServer(env: Record<string, string>): Promise<{ proc: ChildProcess; port: number }> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'error', BUSINESS_CONFIG: BENCH_CONFIG, ALLOW_OPEN_ENTRY_POINTS: 'vapi,telnyx,retell,elevenlabs,tools', RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0', SMS_WORKER_INTERVAL_MS: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${err}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { proc, port };
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server did not start:\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Load {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
}

/** autocannon against every port at once; figures summed (req/s) and merged (latencies). */
async function drive(ports: number[], path: string, durationSec: number, connections: number, body: (k: number) => () => string): Promise<Load> {
  const latencies: number[] = [];
  let non2xx = 0;
  const runs = await Promise.all(
    ports.map(
      (port, k) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          const next = body(k);
          const inst = autocannon(
            {
              url: `http://127.0.0.1:${port}`,
              connections,
              duration: durationSec,
              requests: [{ method: 'POST', path, headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: next() }) }],
            },
            (e, r) => (e ? reject(e) : resolve(r)),
          );
          inst.on('response', (_c, status, _b, ms) => {
            latencies.push(ms);
            if (status < 200 || status > 299) non2xx++;
          });
        }),
    ),
  );
  const s = summarize(latencies);
  const seconds = Math.max(...runs.map((r) => r.duration));
  return { requestsPerSec: sig(latencies.length / seconds), p50Ms: sig(s.p50), p99Ms: sig(s.p99), requests: latencies.length, non2xx };
}

async function overHttp(setup: string, instances: number, kind: 'sqlite' | 'postgres', quick: boolean): Promise<HttpRow> {
  const dir = mkdtempSync(join(tmpdir(), 'bookline-bench-http-'));
  const db = kind === 'postgres' ? await freshDatabase() : undefined;
  const env: Record<string, string> = db ? { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '5' } : { DATABASE_PATH: join(dir, 'bench.db') };
  const servers: { proc: ChildProcess; port: number }[] = [];
  try {
    for (let i = 0; i < instances; i++) servers.push(await startServer(env));
    const ports = servers.map((s) => s.port);
    const duration = quick ? 1 : 8;
    const connections = 10;
    const find = await drive(ports, '/tools/find_available_slots', duration, connections, () => () => JSON.stringify({ service_name: 'haircut' }));
    const zone = 'America/New_York';
    const slots = new DistinctSlots(zone, DateTime.now().setZone(zone).plus({ days: 2 }), 300, 7, 22, 10);
    let i = 0;
    const book = await drive(ports, '/tools/book_appointment', duration, connections, () => () => {
      const n = i++;
      return JSON.stringify({ customer_name: `Bench ${n}`, customer_phone: phoneFor(n), service_name: 'haircut', appointment_datetime: slots.at(n) });
    });
    // The database as the judge: how many bookings were written, and that none overlap.
    let booked = 0;
    let overlaps = 0;
    if (db) {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      booked = (await c.query(`SELECT COUNT(*)::int AS n FROM appointments WHERE status = 'confirmed'`)).rows[0].n;
      overlaps = (
        await c.query(`SELECT COUNT(*)::int AS n FROM appointments a JOIN appointments b ON a.business_id = b.business_id AND a.staff_id = b.staff_id AND a.id < b.id
          WHERE a.status != 'cancelled' AND b.status != 'cancelled' AND a.block_start_ms < b.block_end_ms AND b.block_start_ms < a.block_end_ms`)
      ).rows[0].n;
      await c.end();
    } else {
      for (const s of servers) s.proc.kill('SIGTERM');
      await Promise.all(servers.map((s) => new Promise((r) => (s.proc.exitCode !== null ? r(null) : s.proc.once('exit', r)))));
      const store = await openStore({ path: join(dir, 'bench.db') });
      const all = await store.forBusiness('default').appointments.list(0, Number.MAX_SAFE_INTEGER, 1_000_000);
      await store.close();
      const live = all.filter((a) => a.status === 'confirmed');
      booked = live.length;
      const byStaff = new Map<string, typeof live>();
      for (const a of live) byStaff.set(a.staffId, [...(byStaff.get(a.staffId) ?? []), a]);
      for (const list of byStaff.values()) {
        list.sort((a, b) => a.blockStart - b.blockStart);
        for (let k = 1; k < list.length; k++) if (list[k]!.blockStart < list[k - 1]!.blockEnd) overlaps++;
      }
    }
    if (booked === 0) throw new Error(`${setup}: no booking was written`);
    if (overlaps > 0) throw new Error(`${setup}: ${overlaps} overlapping bookings`);
    return { setup, instances, find, book: { ...book, booked, overlaps } };
  } finally {
    for (const s of servers) if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchStores({ quick }: { quick: boolean }): Promise<StoresResult> {
  const postgres = await postgresUp();
  const kinds: ('sqlite' | 'postgres')[] = postgres ? ['sqlite', 'postgres'] : ['sqlite'];
  const counts = quick ? [1, 5] : [1, 100];
  const rows: Omit<InProcessRow, 'findRatio' | 'bookRatio'>[] = [];
  for (const kind of kinds) for (const n of counts) rows.push(await inProcess(kind, n, quick));
  const base = rows[0]!;
  const inProcessRows = rows.map((r) => ({ ...r, findRatio: sig(r.find.opsPerSec / base.find.opsPerSec), bookRatio: sig(r.book.opsPerSec / base.book.opsPerSec) }));
  const http: HttpRow[] = [await overHttp('1 instance, SQLite', 1, 'sqlite', quick)];
  if (postgres) {
    http.push(await overHttp('1 instance, Postgres', 1, 'postgres', quick));
    http.push(await overHttp('3 instances, one Postgres', 3, 'postgres', quick));
  }
  return {
    inProcess: inProcessRows,
    http,
    postgres,
    method: `In-process: runTool sequentially, ${quick ? 30 : 400} finds then as many bookings (distinct free slots), on a store seeded with ${quick ? 20 : 200} appointments per business, calls to one business among ${counts.join(' or ')}; ratios against SQLite with 1 business in this run. HTTP: autocannon, 10 connections per instance, ${quick ? 1 : 8} s per tool, the bench business, /tools endpoints; with several instances all are driven at once and figures are summed (req/s) or merged (latencies); bookings counted and checked for overlaps in the database afterwards.${postgres ? '' : ' Postgres was not reachable at BOOKLINE_TEST_DATABASE_URL: its rows are missing.'}`,
  };
}
