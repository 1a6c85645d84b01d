/**
 * Domain errors. Every failure a caller can hit has a stable result `code` that platforms and tests
 * key on, and a message code with plain-data parameters (src/domain/messages.ts) that a renderer
 * turns into words (src/render/voice.ts). Nothing here writes a sentence.
 */
import { type FailureCode, type FailureMessage, type FailureParams, RESULT_CODE } from './messages.js';

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
  'STORE_UNAVAILABLE',
  'CALLER_MISMATCH',
  'LIMIT_REACHED',
  'DUPLICATE_BOOKING',
  'RATE_LIMITED',
  'IDEMPOTENCY_MISMATCH',
  'UNKNOWN_TOOL',
  'BUSY',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class BookingError<C extends FailureCode = FailureCode> extends Error {
  /** The stable result code (INVALID_ARGUMENT, SLOT_UNAVAILABLE...). */
  readonly code: ErrorCode;
  /** What to tell the caller, as a message code and its parameters. */
  readonly say: FailureMessage;
  /** Extra data for the result object (alternatives, candidate appointments...). */
  readonly details: Record<string, unknown>;

  constructor(code: C, params: FailureParams[C], details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    // The Error message is for logs only: the code, never personal data.
    super(code, options);
    this.name = new.target.name;
    this.code = RESULT_CODE[code];
    this.say = { code, params } as FailureMessage;
    this.details = details;
  }
}

export class NotFoundError extends BookingError<'NO_UPCOMING' | 'APPOINTMENT_NOT_FOUND' | 'ALREADY_CANCELLED' | 'EVENT_GONE'> {}

/**
 * A remote calendar failed, timed out, or its circuit is open. The caller hears a sentence; the
 * cause is kept for the logs.
 */
export class CalendarUnavailableError extends BookingError<'CALENDAR_UNAVAILABLE' | 'BOOKING_STILL_SAVING'> {
  constructor(code: 'CALENDAR_UNAVAILABLE' | 'BOOKING_STILL_SAVING' = 'CALENDAR_UNAVAILABLE', options?: { cause?: unknown }) {
    super(code, {}, {}, options);
  }
}

/**
 * Our own store refused a write or could not be reached (disk full, read-only file system, a locked
 * or unreachable database). Not a bug of ours: the caller hears that nothing was saved and to try
 * again shortly, and /readyz says so until a write succeeds again.
 */
export class StoreUnavailableError extends BookingError<'STORE_UNAVAILABLE'> {
  constructor(options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', {}, {}, options);
  }
}

/**
 * The call could not start within its budget: too many calls at once in this process, or the staff
 * member's calendar is held by other bookings for longer than the call may wait. Nothing was done.
 */
export class BusyError extends BookingError<'BUSY'> {
  constructor(action?: 'book' | 'cancel' | 'move', options?: { cause?: unknown }) {
    super('BUSY', action ? { action } : {}, {}, options);
  }
}

export function isBookingError(err: unknown): err is BookingError {
  return err instanceof BookingError;
}
