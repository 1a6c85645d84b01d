/**
 * The narrow seam between booking logic and wherever staff calendars live (embedded SQLite, Google,
 * Microsoft 365, CalDAV...). Times are epoch milliseconds; intervals are half-open [start, end).
 *
 * Contract every adapter keeps (test/calendar/conformance.test.ts checks it for each one):
 * - `freeBusy` answers per calendar; one calendar failing is reported in `errors` and must not fail
 *   the others. Busy time excludes cancelled and transparent (free) events; an all-day event blocks
 *   its whole day in the calendar's own zone.
 * - `createEvent` is idempotent on `input.appointmentId`, the key we pass: a retry after an unknown
 *   outcome returns the same event, never a second one. How the key reaches the remote is the
 *   adapter's business (Google derives the event id from it, Graph sends it as transactionId,
 *   CalDAV names the resource after it and writes with If-None-Match: *). The event id in the answer
 *   is whatever the remote assigned: nothing may assume we chose it.
 * - `removeByKey` removes whatever a create with that key may have left, so a create whose outcome
 *   is unknown can be undone without knowing the event id. Absent already is success.
 * - `cancelEvent` of an event that is already gone succeeds; `moveEvent` of one that is gone throws
 *   NotFoundError.
 * - Remote failures are thrown as CalendarUnavailableError (src/domain/errors.ts).
 *
 * What happens after a failed create (the background removal) lives once, in ./cleanup.ts, for every
 * adapter.
 */
import type { CalendarEventRepo } from '../store/ports.js';

export interface Interval {
  start: number;
  end: number;
}

export interface FreeBusyResult {
  /** calendarId -> busy intervals, sorted by start (may overlap). */
  busy: Map<string, Interval[]>;
  /** calendarId -> why it could not be read. Such a calendar is treated as unavailable. */
  errors: Map<string, string>;
}

export interface CalendarEventInput {
  /** Our appointment id, and the idempotency key of the create. */
  appointmentId: string;
  calendarId: string;
  start: number;
  end: number;
  /** The time the staff member is blocked, buffers included: what free/busy must report. */
  blockStart: number;
  blockEnd: number;
  summary: string;
  description: string;
  timeZone: string;
  customerPhone: string;
  serviceId: string;
}

export interface EventTimes {
  start: number;
  end: number;
  blockStart: number;
  blockEnd: number;
}

export interface CalendarHealth {
  ok: boolean;
  detail?: string;
}

/**
 * What the remote offers beyond the basic operations, so the booking path and sync pick what exists
 * instead of assuming Google.
 */
export interface CalendarCapabilities {
  /** The server computes busy time itself (Google freeBusy, Graph getSchedule). False: we list events and compute it. */
  freeBusyQuery: boolean;
  /** Incremental "what changed since token X" (Google syncToken, Graph delta, WebDAV sync-collection). */
  changeFeed: boolean;
  /** The server calls us when something changes (Google watch channels, Graph subscriptions). */
  push: boolean;
}

/** Writes a calendar's event through the given repository: the caller's unit of work. */
export type StoreEventWriter = (events: CalendarEventRepo, input: CalendarEventInput) => Promise<{ eventId: string }>;

/** What each calendar back end implements. */
export interface CalendarAdapter {
  readonly name: string;
  readonly capabilities: CalendarCapabilities;
  /**
   * For a calendar kept in our own store (the embedded one): the create that can join a booking's
   * unit of work, so reservation, event and confirmation are one commit. Undefined for a remote
   * calendar, whose write cannot be inside a transaction.
   */
  storeWriter?(calendarId: string): StoreEventWriter | undefined;
  /**
   * Brings what storeWriter answers from up to date (a wrapper that routes some calendars elsewhere
   * reads its routes here); the booking path awaits it before it asks storeWriter.
   */
  refreshRoutes?(): Promise<void>;
  freeBusy(calendarIds: readonly string[], range: Interval, signal?: AbortSignal): Promise<FreeBusyResult>;
  createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }>;
  moveEvent(calendarId: string, eventId: string, times: EventTimes, signal?: AbortSignal): Promise<void>;
  cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void>;
  /** Removes what a create with this key left, if anything; true when something was removed. */
  removeByKey(calendarId: string, appointmentId: string, signal?: AbortSignal): Promise<boolean>;
  /** For /readyz: is the calendar reachable (circuit closed, credentials valid)? */
  health(): CalendarHealth;
}

/**
 * What the booking layer holds (deps.calendar): an adapter, behind the shared failed-create cleanup
 * (./cleanup.ts) when it is remote, or a router over several (./staff.ts).
 */
export type CalendarProvider = CalendarAdapter;
