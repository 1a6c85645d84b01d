/**
 * One representative message for every message code, so wording checks and the speech-length test
 * cover codes a scripted run cannot easily reach (a booking still being saved, a stale appointment).
 * The type makes the compiler demand an entry for every code.
 */
import type { ApptRef, MessageCode, MessageParams } from '../../src/domain/messages.js';
import { local } from '../helpers.js';

const t = (iso: string) => local(iso);
const appt = (service: string, staff: string, iso: string): ApptRef => ({ service, staff, start: t(iso) });
const three = [t('2026-11-24T09:00'), t('2026-11-24T11:15'), t('2026-11-25T14:30')];
const refusal = { requested: t('2026-11-24T10:00'), alternatives: three, staff: 'Sam' };
const many = Array.from({ length: 12 }, (_, i) => appt('Haircut', 'Sam', `2026-12-${String(i + 1).padStart(2, '0')}T10:00`));

export const SAMPLES: { [C in MessageCode]: MessageParams[C] } = {
  SERVICES_LISTED: { business: 'Maple Street Salon', services: [{ name: 'Haircut', minutes: 45 }, { name: 'Hair color', minutes: 120 }] },
  SLOTS_FOUND: { service: 'Haircut', staff: 'Sam', timeOfDay: 'morning', starts: three },
  NO_SLOTS: { service: 'Haircut', staff: 'Sam', timeOfDay: 'evening', explicit: true },
  NEXT_AVAILABLE: { service: 'Beard trim', start: three[0]!, staff: ['Sam', 'Jordan', 'Priya'] },
  NO_NEXT_AVAILABLE: { service: 'Hair color', staff: 'Priya', horizonDays: 60 },
  BOOKED: { ...appt('Haircut', 'Sam', '2026-11-24T14:30'), customer: 'Jane Doe', lockedInMinutes: 240 },
  BOOKING_REQUESTED: { ...appt('Hair color', 'Priya', '2026-11-24T14:30'), customer: 'Jane Doe', business: 'Maple Street Salon' },
  CANCELLED: appt('Beard trim', 'Sam', '2026-11-25T15:00'),
  MOVED: { ...appt('Haircut', 'Sam', '2026-11-24T10:15'), previous: t('2026-11-24T10:00') },
  MOVE_UNCHANGED: appt('Haircut', 'Sam', '2026-11-24T10:00'),
  APPOINTMENTS_LISTED: { appointments: [{ ...appt('Hair color', 'Priya', '2026-11-24T14:30'), awaiting: true }, ...many] },
  NO_APPOINTMENTS: {},
  CALLBACK_REQUESTED: { business: 'Maple Street Salon', dueAt: t('2026-11-24T15:30'), closedNow: false, outsideHours: false, updated: false },
  ARG_MISSING: { field: 'customer_phone' },
  ARG_INVALID: { field: 'appointment_datetime' },
  ARG_TOO_LONG: { field: 'notes' },
  ARG_UNEXPECTED: { names: ['date'] },
  ARGS_NOT_JSON: {},
  ARGS_NOT_OBJECT: {},
  BAD_DATE: { field: 'start_date' },
  BAD_OFFSET: { field: 'appointment_datetime' },
  HOUR_24: { field: 'appointment_datetime' },
  CLOCKS_CHANGE: { field: 'appointment_datetime', hour: 2, minute: 30 },
  DATE_NEEDS_TIME: { field: 'new_datetime', day: t('2026-11-24T00:00') },
  END_BEFORE_START: {},
  BAD_PHONE: { field: 'customer_phone' },
  REQUEST_UNREADABLE: { problem: 'not_json' },
  UNKNOWN_TOOL: { name: 'launch_rocket' },
  UNKNOWN_SERVICE: { query: 'perm', nearest: ['Haircut', 'Hair color', 'Beard trim'], total: 1000 },
  SERVICE_AMBIGUOUS: { candidates: ['Beard trim', 'Haircut'] },
  UNKNOWN_STAFF: { query: 'Bob', nearest: ['Sam', 'Priya', 'Jordan'], total: 12 },
  STAFF_AMBIGUOUS: { candidates: ['Sam Lee', 'Sam Ortiz'] },
  STAFF_CANNOT_DO: { staff: 'Sam', service: 'Hair color', others: ['Priya', 'Jordan', 'Ana', 'Bea'] },
  IN_PAST: refusal,
  TOO_SOON: { ...refusal, noticeMinutes: 120 },
  TOO_FAR: { ...refusal, horizonDays: 60 },
  CLOSED: { ...refusal, closure: 'Christmas Eve afternoon', partial: true },
  OUTSIDE_HOURS: refusal,
  SLOT_UNAVAILABLE: refusal,
  NO_UPCOMING: {},
  APPOINTMENT_NOT_FOUND: { upcoming: many },
  ALREADY_CANCELLED: {},
  EVENT_GONE: {},
  APPOINTMENTS_AMBIGUOUS: { appointments: many, action: 'move' },
  CANCELLATION_WINDOW: { noticeMinutes: 240, action: 'cancel' },
  DUPLICATE_BOOKING: { existing: appt('Haircut', 'Sam', '2026-11-24T14:30') },
  LIMIT_REACHED: { cap: 5 },
  NO_SHOW_LIMIT: {},
  RATE_LIMITED: {},
  CALLER_MISMATCH: {},
  IDEMPOTENCY_MISMATCH: {},
  CALENDAR_UNAVAILABLE: {},
  STORE_UNAVAILABLE: {},
  BUSY: { action: 'book' },
  STILL_PROCESSING: {},
  BOOKING_STILL_SAVING: {},
  STALE_APPOINTMENT: {},
  INTERNAL: {},
};
