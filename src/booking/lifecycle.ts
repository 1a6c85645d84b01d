/**
 * What happens to an appointment after it is booked. Before the start: staff confirm or decline a
 * booking of a service that needs their confirmation (declined by itself when nobody answers).
 * After the start: staff mark an appointment completed or a no-show. Both are facts about the past,
 * so neither is allowed before the start; a no-show mark can be undone (back to confirmed) or
 * corrected to completed, as in Cal.com, and every mark keeps who made it, when and why.
 */
import type { Appointment, AppointmentOutcome, AppointmentStatus } from '../domain/appointment.js';
import type { Deps } from '../deps.js';
import { recordNoShow } from '../metrics/index.js';

export const OUTCOME_TRANSITIONS: Partial<Record<AppointmentStatus, readonly AppointmentOutcome[]>> = {
  confirmed: ['completed', 'no_show'],
  no_show: ['confirmed', 'completed'],
  completed: ['no_show'],
};

export type OutcomeResult =
  | { ok: true; appointmentId: string; noShows: number }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_started'; start: number }
  | { ok: false; reason: 'not_allowed'; from: AppointmentStatus; allowed: readonly AppointmentOutcome[] };

export async function markOutcome(deps: Deps, id: string, to: AppointmentOutcome, by: string, notes: string | null): Promise<OutcomeResult> {
  const now = deps.clock.now();
  const cur = await deps.store.appointments.get(id);
  if (!cur) return { ok: false, reason: 'not_found' };
  const allowed = OUTCOME_TRANSITIONS[cur.status] ?? [];
  if (!allowed.includes(to)) return { ok: false, reason: 'not_allowed', from: cur.status, allowed };
  if (cur.start > now) return { ok: false, reason: 'not_started', start: cur.start };
  const done = await deps.store.appointments.markOutcome(id, cur.status, to, by, notes, now);
  if (!done) {
    // Changed by someone else between the read and the write: report what it is now.
    const again = (await deps.store.appointments.get(id))!;
    return { ok: false, reason: 'not_allowed', from: again.status, allowed: OUTCOME_TRANSITIONS[again.status] ?? [] };
  }
  if (to === 'no_show') recordNoShow(deps.store.businessId);
  return { ok: true, appointmentId: id, noShows: await deps.store.appointments.noShowCount(cur.customerPhone) };
}

// ------------------------------------------------------------------ staff confirmation

export type DecisionResult =
  | { ok: true; appointment: Appointment }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'not_awaiting'; status: AppointmentStatus };

/**
 * Staff's answer to a booking that awaits confirmation. The store's compare-and-set decides first,
 * so of two answers (two admins, or an admin and the timeout) only one counts and only one message
 * goes out; a declined booking's calendar event is removed afterwards, and if that fails the time
 * stays blocked in the calendar (never double-booked), with the event id logged for a person.
 */
export async function decideBooking(deps: Deps, id: string, decision: 'confirmed' | 'declined', by: string, notes: string | null, automatic = false): Promise<DecisionResult> {
  const cur = await deps.store.appointments.get(id);
  if (!cur) return { ok: false, reason: 'not_found' };
  if (cur.status !== 'awaiting_confirmation') return { ok: false, reason: 'not_awaiting', status: cur.status };
  const done = await deps.store.appointments.decide(id, decision === 'confirmed' ? 'confirmed' : 'cancelled', by, notes, deps.clock.now(), automatic);
  if (!done) {
    const again = (await deps.store.appointments.get(id))!;
    return { ok: false, reason: 'not_awaiting', status: again.status };
  }
  if (decision === 'declined' && done.eventId) {
    try {
      await deps.calendar.cancelEvent(done.calendarId, done.eventId, AbortSignal.timeout(deps.settings.TOOL_DEADLINE_MS));
    } catch (err) {
      deps.logger.error({ err, appointmentId: id, eventId: done.eventId }, 'declined booking: its calendar event could not be removed; remove it by hand');
    }
  }
  return { ok: true, appointment: done };
}

/** When a booking awaiting confirmation is declined by itself: after the timeout, and never later than its start. */
export function confirmationDeadline(deps: Pick<Deps, 'config'>, a: Pick<Appointment, 'createdAt' | 'start'>): number {
  return Math.min(a.createdAt + deps.config.booking.confirmationTimeoutMinutes * 60_000, a.start);
}

/** Declines every booking whose confirmation did not come in time, so its slot is bookable again. */
export async function declineUnconfirmed(deps: Deps): Promise<Appointment[]> {
  const now = deps.clock.now();
  const declined: Appointment[] = [];
  for (const a of await deps.store.appointments.awaitingConfirmation(500)) {
    if (confirmationDeadline(deps, a) > now) continue;
    const out = await decideBooking(deps, a.id, 'declined', 'system', 'not confirmed in time', true);
    if (out.ok) declined.push(out.appointment);
  }
  return declined;
}
