/**
 * The catalogue of everything a tool can tell the caller, as stable message codes with plain-data
 * parameters (epoch ms instants, names, counts, minutes). No wording lives here: a renderer
 * (src/render/voice.ts for speech; a web renderer could sit beside it) turns a code and its
 * parameters into text. Domain code throws or returns these; it never writes a sentence.
 */
import type { ErrorCode } from './errors.js';

/** An existing appointment as a message mentions it. */
export interface ApptRef {
  service: string;
  staff: string;
  start: number;
  /** Still waiting for staff to confirm it. */
  awaiting?: boolean | undefined;
}

/** The argument a message is about (tool argument names, e.g. "customer_phone"). */
export interface FieldRef {
  field: string;
}

/** Every time-rule refusal: the requested start and the nearest starts that can be booked instead. */
export interface TimeRefusal {
  requested?: number | undefined;
  alternatives: number[];
  /** The staff member the caller asked for, when the refusal is about them. */
  staff?: string | undefined;
}

export type TimeOfDay = 'morning' | 'afternoon' | 'evening';

/** Why a searched window had nothing: a closed day (with the closure's name, if any) or just full. */
export interface EmptyWindow {
  /** Start of the first searched local day. */
  day: number;
  /** True when the search covered one local day only. */
  singleDay: boolean;
  /** Set when that one day is closed; `name` is the holiday or closure ("Christmas"). */
  closed?: { name?: string | undefined } | undefined;
}

export interface SearchSubject {
  service: string;
  staff?: string | undefined;
  timeOfDay?: TimeOfDay | undefined;
}

/** Outcomes of a tool that worked. */
export interface SuccessParams {
  SERVICES_LISTED: { business: string; services: { name: string; minutes: number }[] };
  SLOTS_FOUND: SearchSubject & {
    /** The starts to speak (a few, spread), sorted. */
    starts: number[];
    /** Set when the window asked about was empty and these are the next openings after it. */
    emptyWindow?: EmptyWindow | undefined;
  };
  NO_SLOTS: SearchSubject & { explicit: boolean; emptyWindow?: EmptyWindow | undefined };
  NEXT_AVAILABLE: { service: string; start: number; staff: string[] };
  NO_NEXT_AVAILABLE: { service: string; staff?: string | undefined; horizonDays: number };
  BOOKED: ApptRef & {
    customer: string;
    /** Set when the appointment starts inside the cancellation-notice window. */
    lockedInMinutes?: number | undefined;
    /** The reminders that will actually go out (a channel without a sender configured sends none). */
    reminders?: readonly { channel: 'sms' | 'email'; minutesBefore: number }[] | undefined;
  };
  /** Booked for a service staff confirm first: the time is held, not yet booked. */
  BOOKING_REQUESTED: ApptRef & { customer: string; business: string };
  CANCELLED: ApptRef;
  MOVED: ApptRef & { previous: number };
  MOVE_UNCHANGED: ApptRef;
  APPOINTMENTS_LISTED: { appointments: ApptRef[] };
  NO_APPOINTMENTS: Record<string, never>;
  CALLBACK_REQUESTED: {
    business: string;
    /** The promised call-back time. */
    dueAt: number;
    /** Closed when asked: the window started at the next opening. */
    closedNow: boolean;
    /** The promised time is outside opening hours (a wall-clock window). */
    outsideHours: boolean;
    /** A repeat request that updated the caller's open callback. */
    updated: boolean;
  };
}

/** Outcomes of a tool that refused or failed. Each code maps to one stable result code below. */
export interface FailureParams {
  // Arguments
  ARG_MISSING: FieldRef;
  ARG_INVALID: FieldRef;
  ARG_TOO_LONG: FieldRef;
  ARG_UNEXPECTED: { names: string[] };
  ARGS_NOT_JSON: Record<string, never>;
  ARGS_NOT_OBJECT: Record<string, never>;
  BAD_DATE: FieldRef;
  BAD_OFFSET: FieldRef;
  HOUR_24: FieldRef;
  CLOCKS_CHANGE: FieldRef & { hour: number; minute: number };
  DATE_NEEDS_TIME: FieldRef & { day: number };
  END_BEFORE_START: Record<string, never>;
  BAD_PHONE: FieldRef;
  /** A platform request we could not read at all (not JSON, wrong shape, no tool name). */
  REQUEST_UNREADABLE: { problem: 'not_json' | 'too_large' | 'encoding' | 'not_object' | 'no_tool' | 'params_not_object' | 'not_vapi' };
  UNKNOWN_TOOL: { name: string };
  // Catalog
  UNKNOWN_SERVICE: { query: string; nearest: string[]; total: number };
  SERVICE_AMBIGUOUS: { candidates: string[] };
  UNKNOWN_STAFF: { query: string; nearest: string[]; total: number };
  STAFF_AMBIGUOUS: { candidates: string[] };
  STAFF_CANNOT_DO: { staff: string; service: string; others: string[] };
  // Time rules
  IN_PAST: TimeRefusal;
  TOO_SOON: TimeRefusal & { noticeMinutes: number };
  TOO_FAR: TimeRefusal & { horizonDays: number };
  CLOSED: TimeRefusal & { closure?: string | undefined; partial: boolean };
  OUTSIDE_HOURS: TimeRefusal;
  SLOT_UNAVAILABLE: TimeRefusal;
  // Existing appointments
  NO_UPCOMING: Record<string, never>;
  APPOINTMENT_NOT_FOUND: { upcoming: ApptRef[] };
  ALREADY_CANCELLED: Record<string, never>;
  EVENT_GONE: Record<string, never>;
  APPOINTMENTS_AMBIGUOUS: { appointments: ApptRef[]; action: 'cancel' | 'move' };
  CANCELLATION_WINDOW: { noticeMinutes: number; action: 'cancel' | 'move' };
  DUPLICATE_BOOKING: { existing: ApptRef };
  LIMIT_REACHED: { cap: number };
  NO_SHOW_LIMIT: Record<string, never>;
  // Guards and infrastructure
  RATE_LIMITED: Record<string, never>;
  CALLER_MISMATCH: Record<string, never>;
  IDEMPOTENCY_MISMATCH: Record<string, never>;
  CALENDAR_UNAVAILABLE: Record<string, never>;
  /** Our own database could not be written (disk full, read-only, unreachable): nothing was saved. */
  STORE_UNAVAILABLE: Record<string, never>;
  /** Too much at once: the call could not start (or get its staff member's turn) within its budget. */
  BUSY: { action?: 'book' | 'cancel' | 'move' | undefined };
  STILL_PROCESSING: Record<string, never>;
  BOOKING_STILL_SAVING: Record<string, never>;
  STALE_APPOINTMENT: Record<string, never>;
  INTERNAL: Record<string, never>;
}

export type SuccessCode = keyof SuccessParams;
export type FailureCode = keyof FailureParams;
export type MessageParams = SuccessParams & FailureParams;
export type MessageCode = keyof MessageParams;

/** One message: a code and its parameters, correlated. */
export type Message<C extends MessageCode = MessageCode> = { [K in C]: { code: K; params: MessageParams[K] } }[C];
export type SuccessMessage = Message<SuccessCode>;
export type FailureMessage = Message<FailureCode>;

export function msg<C extends MessageCode>(code: C, params: MessageParams[C]): Message<C> {
  return { code, params } as Message<C>;
}

/** The stable result `code` each failure message answers with (what platforms and tests key on). */
export const RESULT_CODE: { readonly [C in FailureCode]: ErrorCode } = {
  ARG_MISSING: 'INVALID_ARGUMENT',
  ARG_INVALID: 'INVALID_ARGUMENT',
  ARG_TOO_LONG: 'INVALID_ARGUMENT',
  ARG_UNEXPECTED: 'INVALID_ARGUMENT',
  ARGS_NOT_JSON: 'INVALID_ARGUMENT',
  ARGS_NOT_OBJECT: 'INVALID_ARGUMENT',
  BAD_DATE: 'INVALID_ARGUMENT',
  BAD_OFFSET: 'INVALID_ARGUMENT',
  HOUR_24: 'INVALID_ARGUMENT',
  CLOCKS_CHANGE: 'INVALID_ARGUMENT',
  DATE_NEEDS_TIME: 'INVALID_ARGUMENT',
  END_BEFORE_START: 'INVALID_ARGUMENT',
  BAD_PHONE: 'INVALID_ARGUMENT',
  REQUEST_UNREADABLE: 'INVALID_ARGUMENT',
  UNKNOWN_TOOL: 'UNKNOWN_TOOL',
  UNKNOWN_SERVICE: 'UNKNOWN_SERVICE',
  SERVICE_AMBIGUOUS: 'AMBIGUOUS',
  UNKNOWN_STAFF: 'UNKNOWN_STAFF',
  STAFF_AMBIGUOUS: 'AMBIGUOUS',
  STAFF_CANNOT_DO: 'UNKNOWN_STAFF',
  IN_PAST: 'IN_PAST',
  TOO_SOON: 'TOO_SOON',
  TOO_FAR: 'TOO_FAR',
  CLOSED: 'CLOSED',
  OUTSIDE_HOURS: 'OUTSIDE_HOURS',
  SLOT_UNAVAILABLE: 'SLOT_UNAVAILABLE',
  NO_UPCOMING: 'NOT_FOUND',
  APPOINTMENT_NOT_FOUND: 'NOT_FOUND',
  ALREADY_CANCELLED: 'NOT_FOUND',
  EVENT_GONE: 'NOT_FOUND',
  APPOINTMENTS_AMBIGUOUS: 'AMBIGUOUS',
  CANCELLATION_WINDOW: 'CANCELLATION_WINDOW',
  DUPLICATE_BOOKING: 'DUPLICATE_BOOKING',
  LIMIT_REACHED: 'LIMIT_REACHED',
  NO_SHOW_LIMIT: 'LIMIT_REACHED',
  RATE_LIMITED: 'RATE_LIMITED',
  CALLER_MISMATCH: 'CALLER_MISMATCH',
  IDEMPOTENCY_MISMATCH: 'IDEMPOTENCY_MISMATCH',
  CALENDAR_UNAVAILABLE: 'CALENDAR_UNAVAILABLE',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  BUSY: 'BUSY',
  STILL_PROCESSING: 'CALENDAR_UNAVAILABLE',
  BOOKING_STILL_SAVING: 'CALENDAR_UNAVAILABLE',
  STALE_APPOINTMENT: 'INTERNAL',
  INTERNAL: 'INTERNAL',
};

export function isMessage(v: unknown): v is Message {
  return typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'string' && typeof (v as { params?: unknown }).params === 'object';
}
