/** Shared test wiring: real SQLite (temp file), the demo business or an inline one, a manual clock. */
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
import { type Deps, makeDeps } from '../src/deps.js';
import { createStore, type Store } from '../src/store/index.js';

export const DEMO_CONFIG = 'config/business.json';

/** An instant from a business-local wall time, e.g. local('2026-11-24T10:00'). */
export function local(iso: string, zone = 'America/New_York'): number {
  const dt = DateTime.fromISO(iso, { zone });
  if (!dt.isValid) throw new Error(`bad test time ${iso}`);
  return dt.toMillis();
}

export interface TestDeps extends Deps {
  clock: ManualClock;
  cleanup(): void;
}

export interface TestDepsOptions {
  /** Business file object (parsed with the real schema) or a path; the demo business by default. */
  business?: unknown;
  /** Local wall time in the business zone for the manual clock. Default Monday 2026-11-23 08:00. */
  now?: string;
  env?: Record<string, string>;
  calendar?: (store: Store, clock: ManualClock) => CalendarProvider;
  dbPath?: string;
}

export function makeTestDeps(opts: TestDepsOptions = {}): TestDeps {
  const config: BusinessConfig =
    opts.business === undefined
      ? loadBusinessConfig(DEMO_CONFIG)
      : typeof opts.business === 'string'
        ? loadBusinessConfig(opts.business)
        : parseBusinessConfig(opts.business, 'test');
  const dir = mkdtempSync(join(tmpdir(), 'bookline-test-'));
  const store = createStore(opts.dbPath ?? join(dir, 'test.db'));
  const clock = new ManualClock(local(opts.now ?? '2026-11-23T08:00', config.business.timeZone));
  const settings: Env = parseEnv({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...opts.env });
  const calendar = opts.calendar ? opts.calendar(store, clock) : new EmbeddedCalendar(store.db, () => clock.now());
  const deps = makeDeps({ config, settings, calendar, store, clock, logger: pino({ level: 'silent' }), ids: randomIds });
  return {
    ...deps,
    clock,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
