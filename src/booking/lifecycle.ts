/**
 * After the start: staff mark an appointment completed or a no-show. Both are facts about the past,
 * so neither is allowed before the start; a no-show mark can be undone (back to confirmed) or
 * corrected to completed, as in Cal.com, and every mark keeps who made it, when and why.
 */
import type { AppointmentOutcome, AppointmentStatus } from '../domain/appointment.js';
import type { Deps } from '../deps.js';

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
  return { ok: true, appointmentId: id, noShows: await deps.store.appointments.noShowCount(cur.customerPhone) };
}
