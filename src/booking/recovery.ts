/**
 * A process that died between taking a reservation and confirming it leaves a pending row (and
 * maybe a calendar event). The caller never heard "booked", so both are removed at start-up.
 */
import type { Deps } from '../deps.js';

export async function releaseStaleReservations(deps: Deps, olderThanMs = 60_000): Promise<number> {
  const stale = deps.store.appointments.stalePending(deps.clock.now() - olderThanMs);
  for (const a of stale) {
    try {
      await deps.calendar.cancelEvent(a.calendarId, deps.calendar.eventIdFor(a.id), AbortSignal.timeout(5000));
      deps.store.appointments.release(a.id);
    } catch (err) {
      deps.logger.error({ err, appointmentId: a.id }, 'could not clear a stale reservation; will retry at next start');
    }
  }
  if (stale.length) deps.logger.warn({ count: stale.length }, 'released reservations left by an interrupted process');
  return stale.length;
}
