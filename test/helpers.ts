/**
 * Shared test wiring: a real store (SQLite temp file, or Postgres with TEST_STORE=postgres), the demo
 * business or an inline one, a manual clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { EmbeddedCalendar } from '../src/calendar/embedded.js';
import type { CalendarProvider } from '../src/calendar/provider.js';
import { type BusinessConfig, loadBusinessConfig, parseBusinessConfig } from '../src/config/business.js';
import { type Env, parseEnv } from '../src/config/env.js';
import { ManualClock } from '../src/domain/clock.js';
import { randomIds } from '../src/domain/ids.js';
import { DEFAULT_BUSINESS_ID, type Deps, makeDeps } from '../src/deps.js';
import { openStore, type BusinessStore, type Store } from '../src/store/index.js';

export const DEMO_CONFIG = 'config/business.json';

/** An instant from a business-local wall time, e.g. local('2026-11-24T10:00'). */
export function local(iso: string, zone = 'America/New_York'): number {
  const dt = DateTime.fromISO(iso, { zone });
  if (!dt.isValid) throw new Error(`bad test time ${iso}`);
  return dt.toMillis();
}

export interface TestDeps extends Deps {
  clock: ManualClock;
  /** The whole store (all businesses); `store` is this test's business in it. */
  root: Store;
  cleanup(): Promise<void>;
}

export type StoreKind = 'sqlite' | 'postgres';

/** Postgres for tests: BOOKLINE_TEST_DATABASE_URL, else the local server CI and development machines run. */
export const TEST_DATABASE_URL = process.env.BOOKLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the Postgres half of the suite runs. Without a reachable server it is skipped, and says
 * so; with BOOKLINE_REQUIRE_POSTGRES=1 (CI) an unreachable server fails the run instead.
 */
export const POSTGRES_AVAILABLE: boolean = await (async () => {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch (err) {
    if (process.env.BOOKLINE_REQUIRE_POSTGRES === '1') throw new Error(`Postgres is required (BOOKLINE_REQUIRE_POSTGRES=1) but ${TEST_DATABASE_URL} does not answer: ${(err as Error).message}`);
    console.warn(`Postgres does not answer at ${TEST_DATABASE_URL}: the Postgres half of this suite is SKIPPED. Start Postgres or set BOOKLINE_TEST_DATABASE_URL (bash .ci/postgres sets one up) to run it.`);
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
})();

/** The stores every store-parametrised test runs on. */
export const STORE_KINDS: StoreKind[] = POSTGRES_AVAILABLE ? ['sqlite', 'postgres'] : ['sqlite'];

/**
 * Which store the default test deps use: TEST_STORE=postgres runs a suite on Postgres. Each
 * makeTestDeps call then gets a business id of its own in the shared database, so tests stay
 * independent (and every one of them also checks that businesses do not see each other's rows).
 */
export const DEFAULT_STORE: StoreKind = process.env.TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

export interface TestDepsOptions {
  /** Business file object (parsed with the real schema) or a path; the demo business by default. */
  business?: unknown;
  /** Local wall time in the business zone for the manual clock. Default Monday 2026-11-23 08:00. */
  now?: string;
  env?: Record<string, string>;
  calendar?: (store: BusinessStore, clock: ManualClock) => CalendarProvider;
  /** SQLite file to use (several deps on one file act like several processes). */
  dbPath?: string;
  /** sqlite (default unless TEST_STORE=postgres) or postgres. */
  storeKind?: StoreKind;
  /** Use this store instead of opening one (it is not closed by cleanup). */
  store?: Store;
  businessId?: string;
}

let seq = 0;

/** Opens a store of the given kind for a test; `close` also removes a temporary SQLite folder. */
export async function openTestStore(kind: StoreKind = DEFAULT_STORE, dbPath?: string): Promise<{ store: Store; close(): Promise<void>; path?: string }> {
  if (kind === 'postgres') {
    const store = await openStore({ url: TEST_DATABASE_URL, poolSize: 4, callLog: { intervalMs: 20 } });
    return { store, close: () => store.close() };
  }
  const dir = dbPath ? undefined : mkdtempSync(join(tmpdir(), 'bookline-test-'));
  const path = dbPath ?? join(dir!, 'test.db');
  const store = await openStore({ path, callLog: { intervalMs: 20 } });
  return {
    store,
    path,
    close: async () => {
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Postgres database of its own, for tests that look at every row of a table (the businesses of a
 * deployment), where rows left by other runs in the shared test database would be in the way.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  const name = `bookline_t_${process.pid}_${Date.now()}_${(seq++).toString(36)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A business id no other test uses (Postgres runs share one database). */
export function uniqueBusinessId(): string {
  return `t${process.pid.toString(36)}${Date.now().toString(36)}${(seq++).toString(36)}`;
}

export async function makeTestDeps(opts: TestDepsOptions = {}): Promise<TestDeps> {
  const config: BusinessConfig =
    opts.business === undefined
      ? loadBusinessConfig(DEMO_CONFIG)
      : typeof opts.business === 'string'
        ? loadBusinessConfig(opts.business)
        : parseBusinessConfig(opts.business, 'test');
  const kind = opts.storeKind ?? DEFAULT_STORE;
  const opened = opts.store ? { store: opts.store, close: async () => undefined } : await openTestStore(kind, opts.dbPath);
  const businessId = opts.businessId ?? (opened.store.kind === 'postgres' ? uniqueBusinessId() : DEFAULT_BUSINESS_ID);
  const store = opened.store.forBusiness(businessId);
  const clock = new ManualClock(local(opts.now ?? '2026-11-23T08:00', config.business.timeZone));
  const settings: Env = parseEnv({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...opts.env });
  const calendar = opts.calendar ? opts.calendar(store, clock) : new EmbeddedCalendar(store.calendarEvents, () => clock.now());
  const deps = makeDeps({ config, settings, calendar, store, clock, logger: pino({ level: 'silent' }), ids: randomIds });
  return {
    ...deps,
    clock,
    root: opened.store,
    cleanup: () => opened.close(),
  };
}
