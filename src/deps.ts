/**
 * The one object every handler receives. Built by src/main.ts from config and env (or by tests
 * with fakes and a manual clock); nothing in the domain reaches for globals.
 */
import type { Logger } from 'pino';
import { Admission } from './booking/admission.js';
import { createWriteLimits, type WriteLimits } from './booking/limits.js';
import { KeyedMutex } from './booking/locks.js';
import type { CalendarProvider } from './calendar/provider.js';
import type { GoogleCalendarSync } from './calendar/sync/google-sync.js';
import type { BusinessConfig } from './config/business.js';
import type { Env } from './config/env.js';
import type { Clock } from './domain/clock.js';
import type { IdGenerator } from './domain/ids.js';
import { Speech } from './domain/speech.js';
import { withGoogleConnections } from './google-connect/calendars.js';
import type { Notifier } from './notifications/index.js';
import { compileRules, type ScheduleRules } from './slots/rules.js';
import type { BusinessStore } from './store/ports.js';

/** The business of a single-business deployment (the demo, or BUSINESS_CONFIG), and of rows written before businesses existed. */
export const DEFAULT_BUSINESS_ID = 'default';

export interface Deps {
  config: BusinessConfig;
  settings: Env;
  rules: ScheduleRules;
  speech: Speech;
  calendar: CalendarProvider;
  store: BusinessStore;
  clock: Clock;
  logger: Logger;
  ids: IdGenerator;
  locks: KeyedMutex;
  limits: WriteLimits;
  /** How many tool calls run at once in this process, and how long the others may wait. */
  admission: Admission;
  /** SMS outbox and worker; absent in processes that do not send (the admin routes then say so). */
  notifier?: Notifier;
  /** Two-way sync with Google Calendar; absent when no staff calendar is on Google. */
  calendarSync?: GoogleCalendarSync;
}

export interface DepsInput {
  config: BusinessConfig;
  settings: Env;
  calendar: CalendarProvider;
  store: BusinessStore;
  clock: Clock;
  logger: Logger;
  ids: IdGenerator;
  /** Shared by every business of a process: capacity is the process's, not a business's. */
  admission?: Admission;
}

export function makeDeps(input: DepsInput): Deps {
  const { business } = input.config;
  return {
    ...input,
    // Staff with a connected Google account book into it (src/google-connect/calendars.ts).
    calendar: withGoogleConnections(input.calendar, input),
    rules: compileRules(input.config),
    speech: new Speech({ zone: business.timeZone, locale: business.locale, clock: business.clock, businessName: business.name }),
    locks: new KeyedMutex(),
    limits: createWriteLimits(input.store.rateLimits, input.settings.RATE_LIMIT_PHONE_PER_HOUR, input.settings.RATE_LIMIT_IP_PER_MINUTE),
    admission: input.admission ?? new Admission(input.settings.TOOL_MAX_CONCURRENCY, input.settings.TOOL_QUEUE_TIMEOUT_MS),
  };
}
