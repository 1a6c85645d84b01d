/**
 * One business, staff calendars in several places: Sam on Google, Priya on Microsoft 365, Jordan
 * on iCloud. Routes each calendar id to the adapter that holds it; the booking layer still sees one
 * calendar.
 *
 * A provider that cannot be reached makes only its own staff unavailable: their calendar ids go to
 * `errors` and the others stay bookable. The booking service already turns "no staff member could
 * be read" into CALENDAR_UNAVAILABLE, so free/busy itself never throws for a provider's failure.
 */
import { NotFoundError } from '../domain/errors.js';
import { describeFailure } from '../resilience/classify.js';
import { EmbeddedCalendar } from './embedded.js';
import type { CalendarAdapter, CalendarCapabilities, CalendarEventInput, CalendarHealth, EventTimes, FreeBusyResult, Interval, StoreEventWriter } from './provider.js';

export class StaffCalendars implements CalendarAdapter {
  readonly name: string;
  readonly capabilities: CalendarCapabilities;
  private readonly adapters: CalendarAdapter[];

  /**
   * @param routes calendar id -> the adapter holding it
   * @param fallback for calendar ids not in `routes` (appointments made before a staff member moved)
   */
  constructor(
    private readonly routes: ReadonlyMap<string, CalendarAdapter>,
    private readonly fallback: CalendarAdapter,
  ) {
    this.adapters = [...new Set([fallback, ...routes.values()])];
    const used = [...new Set([...routes.values()])];
    const names = [...new Set((used.length ? used : [fallback]).map((a) => a.name))];
    this.name = names.join('+');
    // A capability the booking path may rely on only if every calendar has it.
    this.capabilities = {
      freeBusyQuery: this.adapters.every((a) => a.capabilities.freeBusyQuery),
      changeFeed: this.adapters.every((a) => a.capabilities.changeFeed),
      push: this.adapters.every((a) => a.capabilities.push),
    };
  }

  adapterFor(calendarId: string): CalendarAdapter {
    return this.routes.get(calendarId) ?? this.fallback;
  }

  /** The first adapter of this kind, for tools (time off on the embedded calendar, checks). */
  find<T extends CalendarAdapter>(name: string): T | undefined {
    return this.adapters.find((a) => a.name === name) as T | undefined;
  }

  async freeBusy(calendarIds: readonly string[], range: Interval, signal?: AbortSignal): Promise<FreeBusyResult> {
    const groups = new Map<CalendarAdapter, string[]>();
    for (const id of new Set(calendarIds)) {
      const a = this.adapterFor(id);
      groups.set(a, [...(groups.get(a) ?? []), id]);
    }
    const result: FreeBusyResult = { busy: new Map(), errors: new Map() };
    await Promise.all(
      [...groups].map(async ([adapter, ids]) => {
        try {
          const r = await adapter.freeBusy(ids, range, signal);
          for (const [k, v] of r.busy) result.busy.set(k, v);
          for (const [k, v] of r.errors) result.errors.set(k, v);
        } catch (err) {
          // The remote's own answer ("HTTP 404"), not the wrapper's code.
          const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
          for (const id of ids) result.errors.set(id, `${adapter.name}: ${describeFailure(cause)}`);
        }
      }),
    );
    return result;
  }

  createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }> {
    return this.adapterFor(input.calendarId).createEvent(input, signal);
  }

  storeWriter(calendarId: string): StoreEventWriter | undefined {
    return this.adapterFor(calendarId).storeWriter?.(calendarId);
  }

  async refreshRoutes(): Promise<void> {
    await Promise.all(this.adapters.map((a) => a.refreshRoutes?.()));
  }

  moveEvent(calendarId: string, eventId: string, times: EventTimes, signal?: AbortSignal): Promise<void> {
    return this.adapterFor(calendarId).moveEvent(calendarId, eventId, times, signal);
  }

  cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void> {
    return this.adapterFor(calendarId).cancelEvent(calendarId, eventId, signal);
  }

  removeByKey(calendarId: string, appointmentId: string, signal?: AbortSignal): Promise<boolean> {
    return this.adapterFor(calendarId).removeByKey(calendarId, appointmentId, signal);
  }

  /**
   * Ready while some provider is: staff on the others are unavailable, not the whole business
   * (taking the process out of a load balancer would take everyone's bookings down). Every problem
   * is named either way.
   */
  health(): CalendarHealth {
    const all = this.adapters.map((a) => ({ name: a.name, h: a.health() }));
    const down = all.filter((p) => !p.h.ok).length;
    // An adapter can be up with a detail (one CalDAV account refusing its password).
    const details = all.filter((p) => !p.h.ok || p.h.detail).map((p) => p.h.detail ?? `${p.name}: unavailable`);
    if (details.length === 0) return { ok: true };
    return { ok: down < all.length, detail: details.join('; ') };
  }
}

/**
 * The embedded calendar behind whatever the booking layer holds, for the admin time-off routes
 * (src/http/admin.ts checks `instanceof EmbeddedCalendar`, which a mixed business no longer is).
 */
export function embeddedCalendarOf(p: unknown): EmbeddedCalendar | undefined {
  if (p instanceof EmbeddedCalendar) return p;
  let cur: unknown = p;
  for (let depth = 0; depth < 4 && cur; depth++) {
    if (cur instanceof EmbeddedCalendar) return cur;
    if (cur instanceof StaffCalendars) {
      const found = cur.find('embedded');
      return found instanceof EmbeddedCalendar ? found : undefined;
    }
    if (typeof cur === 'object' && cur !== null && 'inner' in cur) cur = (cur as { inner: unknown }).inner;
    else break;
  }
  return undefined;
}
