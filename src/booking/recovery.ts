/**
 * A process that died between taking a reservation and confirming it leaves a pending row (and
 * maybe a calendar event). The caller never heard "booked", so both are removed. A live booking
 * holds its reservation for at most the tool deadline, so anything older than twice that is dead.
 */
import type { Deps } from '../deps.js';
import { releaseReservation } from './service.js';

export async function releaseStaleReservations(deps: Deps, olderThanMs = 2 * deps.settings.TOOL_DEADLINE_MS): Promise<number> {
  const stale = await deps.store.appointments.stalePending(deps.clock.now() - olderThanMs);
  let released = 0;
  for (const a of stale) {
    try {
      await releaseReservation(deps, a);
      released++;
    } catch (err) {
      deps.logger.error({ err, appointmentId: a.id }, 'could not clear a stale reservation; will retry');
    }
  }
  if (stale.length) deps.logger.warn({ count: released }, 'released reservations left by an interrupted process');
  return released;
}
