/**
 * Domain errors. Every failure a caller can hit has a stable `code` that platforms and tests key on;
 * the spoken sentence is produced in one place (src/domain/speech.ts) so wording stays consistent.
 */

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'UNKNOWN_SERVICE',
  'UNKNOWN_STAFF',
  'IN_PAST',
  'TOO_SOON',
  'TOO_FAR',
  'CLOSED',
  'OUTSIDE_HOURS',
  'SLOT_UNAVAILABLE',
  'NOT_FOUND',
  'AMBIGUOUS',
  'CANCELLATION_WINDOW',
  'CALENDAR_UNAVAILABLE',
  'CALLER_MISMATCH',
  'LIMIT_REACHED',
  'RATE_LIMITED',
  'BUSY',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class BookingError extends Error {
  readonly code: ErrorCode;
  /** Extra data for the result object (alternatives, candidate appointments...). */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** The model sent something we cannot use; `message` says what to ask the caller for. */
export class InvalidArgumentError extends BookingError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_ARGUMENT', message, details);
  }
}

export class UnknownServiceError extends BookingError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('UNKNOWN_SERVICE', message, details);
  }
}

export class UnknownStaffError extends BookingError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('UNKNOWN_STAFF', message, details);
  }
}

/** A rule about a requested time (past, notice, horizon, hours, taken). Carries nearest alternatives. */
export class TimeRuleError extends BookingError {
  constructor(
    code: Extract<ErrorCode, 'IN_PAST' | 'TOO_SOON' | 'TOO_FAR' | 'CLOSED' | 'OUTSIDE_HOURS' | 'SLOT_UNAVAILABLE'>,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, details);
  }
}

export class NotFoundError extends BookingError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('NOT_FOUND', message, details);
  }
}

export class AmbiguousError extends BookingError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('AMBIGUOUS', message, details);
  }
}

export class CancellationWindowError extends BookingError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CANCELLATION_WINDOW', message, details);
  }
}

/**
 * A remote calendar failed, timed out, or its circuit is open. The caller hears a sentence; the
 * cause is kept for the logs.
 */
export class CalendarUnavailableError extends BookingError {
  constructor(message = "I can't reach the calendar right now. Please try again in a moment.", options?: { cause?: unknown }) {
    super('CALENDAR_UNAVAILABLE', message, {}, options);
  }
}

/**
 * The call could not start within its budget: too many calls at once in this process, or the staff
 * member's calendar is held by other bookings for longer than the call may wait. Nothing was done.
 */
export class BusyError extends BookingError {
  constructor(message = "We're very busy right now; please try again in a moment. Nothing was changed.") {
    super('BUSY', message);
  }
}

export function isBookingError(err: unknown): err is BookingError {
  return err instanceof BookingError;
}
