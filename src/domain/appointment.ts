/**
 * `pending`: a reservation whose calendar write is in flight (never shown as booked).
 * `awaiting_confirmation`: booked for a service staff must confirm; holds its slot until they
 * confirm or decline it, or it is declined automatically.
 */
export type AppointmentStatus = 'pending' | 'awaiting_confirmation' | 'confirmed' | 'cancelled' | 'completed' | 'no_show';
/** Statuses that are the caller's upcoming appointment: it can be listed, moved and cancelled. */
export const LIVE_STATUSES = ['awaiting_confirmation', 'confirmed'] as const;
export type LiveStatus = (typeof LIVE_STATUSES)[number];
/** What staff may mark once the start has passed; `confirmed` again undoes a no-show mark. */
export type AppointmentOutcome = 'completed' | 'no_show' | 'confirmed';

/** Our record of a booking. The store is the source of truth on every calendar provider. */
export interface Appointment {
  id: string;
  status: AppointmentStatus;
  serviceId: string;
  staffId: string;
  /** The caller asked for this person by name: a reschedule keeps them. */
  staffRequested: boolean;
  calendarId: string;
  eventId: string | null;
  start: number;
  end: number;
  /** start/end widened by the service buffers: the time the staff member is blocked. */
  blockStart: number;
  blockEnd: number;
  customerName: string;
  customerPhone: string;
  customerEmail: string | null;
  notes: string | null;
  source: string | null;
  createdAt: number;
  updatedAt: number;
  cancelledAt: number | null;
  cancelReason: string | null;
  /** Idempotency key of the tool call that created it (a platform retry finds it by this). */
  requestKey: string | null;
}
