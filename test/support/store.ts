/** What tests read back from the store, through the ports (so the same assertions hold on Postgres). */
import type { Appointment } from '../../src/domain/appointment.js';
import type { BusinessStore, ToolCallRow } from '../../src/store/index.js';
import type { TestDeps } from '../helpers.js';

const ALL_TIME = [0, Number.MAX_SAFE_INTEGER] as const;

/** Every appointment of the test's business, whatever its status. */
export function allAppointments(store: Pick<BusinessStore, 'appointments'>): Promise<Appointment[]> {
  return store.appointments.list(...ALL_TIME, 100_000);
}

export async function countAppointments(store: Pick<BusinessStore, 'appointments'>, status?: Appointment['status']): Promise<number> {
  const list = await allAppointments(store);
  return status === undefined ? list.length : list.filter((a) => a.status === status).length;
}

/** Confirmed events (appointments and blocks) on the staff calendars of the embedded calendar. */
export async function countCalendarEvents(deps: Pick<TestDeps, 'store' | 'config'>): Promise<number> {
  const busy = await deps.store.calendarEvents.busy(
    deps.config.staff.map((s) => s.calendarId),
    ...ALL_TIME,
  );
  return [...busy.values()].reduce((n, list) => n + list.length, 0);
}

/** The newest `limit` call-log rows, newest first. Read-only calls are logged in batches: the queue is written first. */
export async function callLog(deps: Pick<TestDeps, 'store'>, limit = 100): Promise<ToolCallRow[]> {
  await deps.store.calls.flush();
  return deps.store.calls.list(limit);
}
