/**
 * The narrow seam between booking logic and wherever staff calendars live (embedded SQLite, Google...).
 * Times are epoch milliseconds; intervals are half-open [start, end).
 *
 * Contract every implementation keeps:
 * - `freeBusy` answers per calendar; one calendar failing is reported in `errors` and must not fail
 *   the others. Busy time excludes cancelled and transparent (free) events.
 * - `createEvent` is idempotent on `appointmentId`: a retry after an unknown outcome returns the same
 *   event, never a second one.
 * - `cancelEvent` of an event that is already gone succeeds.
 * - Remote failures are thrown as CalendarUnavailableError (src/domain/errors.ts).
 */
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

export interface CalendarEventRef {
  calendarId: string;
  eventId: string;
  appointmentId?: string;
  start: number;
  end: number;
}

export interface CalendarHealth {
  ok: boolean;
  detail?: string;
}

export interface CalendarProvider {
  readonly name: string;
  freeBusy(calendarIds: readonly string[], range: Interval, signal?: AbortSignal): Promise<FreeBusyResult>;
  createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }>;
  moveEvent(
    calendarId: string,
    eventId: string,
    times: { start: number; end: number; blockStart: number; blockEnd: number },
    signal?: AbortSignal,
  ): Promise<void>;
  cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void>;
  /**
   * The event id `createEvent` uses for this appointment. Deterministic, so an event whose create
   * timed out can still be found and removed.
   */
  eventIdFor(appointmentId: string): string;
  findByPhone(calendarIds: readonly string[], phoneE164: string, signal?: AbortSignal): Promise<CalendarEventRef[]>;
  /** For /readyz: is the calendar reachable (circuit closed, credentials valid)? */
  health(): CalendarHealth;
}
