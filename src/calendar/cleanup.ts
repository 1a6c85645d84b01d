/**
 * The failed-create cleanup, once for every adapter. A create that throws may still have landed (the
 * answer was lost, a 5xx after the write, our deadline fired mid-flight); left alone, that event
 * blocks the slot on the staff member's calendar with no appointment behind it. So after a failed
 * create we remove, in the background, whatever that key may have left (`removeByKey`), after a
 * short pause so a request still in flight lands first. If even that fails it is logged and handed
 * to `onOrphan` for an operator.
 *
 * A new create with the same key waits for a pending cleanup first, or the cleanup could delete
 * the event the new create is about to adopt.
 */
import { describeFailure } from '../resilience/classify.js';
import { silentLogger, type LoggerLike } from '../resilience/logger.js';
import type { CalendarAdapter, CalendarCapabilities, CalendarEventInput, CalendarProvider, EventTimes, StoreEventWriter } from './provider.js';

export interface OrphanEvent {
  appointmentId: string;
  calendarId: string;
  error: unknown;
}

export interface CleanupOptions {
  logger?: LoggerLike;
  /** How long the background removal may take. */
  timeoutMs?: number;
  /** Pause before it, so a request that was still in flight when we gave up lands first. */
  delayMs?: number;
  onOrphan?: (orphan: OrphanEvent) => void;
}

/** Wait for `p`, but no longer than `signal` allows. */
async function withinSignal(p: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) {
    await p;
    return;
  }
  if (signal.aborted) return;
  let onAbort: (() => void) | undefined;
  await Promise.race([
    p,
    new Promise<void>((resolve) => {
      onAbort = () => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  if (onAbort) signal.removeEventListener('abort', onAbort);
}

export class CleanupCalendar implements CalendarProvider {
  readonly name: string;
  readonly capabilities: CalendarCapabilities;
  private readonly logger: LoggerLike;
  private readonly timeoutMs: number;
  private readonly delayMs: number;
  private readonly onOrphan: ((o: OrphanEvent) => void) | undefined;
  private readonly cleanups = new Map<string, Promise<void>>();

  constructor(
    readonly inner: CalendarAdapter,
    opts: CleanupOptions = {},
  ) {
    this.name = inner.name;
    this.capabilities = inner.capabilities;
    this.logger = opts.logger ?? silentLogger;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.delayMs = opts.delayMs ?? 1_000;
    this.onOrphan = opts.onOrphan;
  }

  freeBusy: CalendarAdapter['freeBusy'] = (ids, range, signal) => this.inner.freeBusy(ids, range, signal);

  async createEvent(input: CalendarEventInput, signal?: AbortSignal): Promise<{ eventId: string }> {
    const pending = this.cleanups.get(input.appointmentId);
    if (pending) await withinSignal(pending, signal);
    try {
      return await this.inner.createEvent(input, signal);
    } catch (err) {
      this.scheduleCleanup(input.calendarId, input.appointmentId);
      throw err;
    }
  }

  refreshRoutes(): Promise<void> {
    return this.inner.refreshRoutes?.() ?? Promise.resolve();
  }

  /** A create inside a unit of work rolls back with it: nothing to clean up after a failure. */
  storeWriter(calendarId: string): StoreEventWriter | undefined {
    return this.inner.storeWriter?.(calendarId);
  }

  moveEvent(calendarId: string, eventId: string, times: EventTimes, signal?: AbortSignal): Promise<void> {
    return this.inner.moveEvent(calendarId, eventId, times, signal);
  }

  async cancelEvent(calendarId: string, eventId: string, signal?: AbortSignal): Promise<void> {
    await this.inner.cancelEvent(calendarId, eventId, signal);
  }

  async removeByKey(calendarId: string, appointmentId: string, signal?: AbortSignal): Promise<boolean> {
    const pending = this.cleanups.get(appointmentId);
    // Right after a failed create the background removal is already on it: waiting for it is enough.
    if (pending) {
      await withinSignal(pending, signal);
      return false;
    }
    return this.inner.removeByKey(calendarId, appointmentId, signal);
  }

  health() {
    return this.inner.health();
  }

  /** Resolves when background cleanups have finished (tests, graceful shutdown). */
  async settled(): Promise<void> {
    while (this.cleanups.size > 0) await Promise.allSettled([...this.cleanups.values()]);
  }

  private scheduleCleanup(calendarId: string, appointmentId: string): void {
    if (this.cleanups.has(appointmentId)) return;
    const ctx = { calendar: this.name, calendarId, appointmentId };
    const run = async () => {
      await new Promise((r) => setTimeout(r, this.delayMs));
      try {
        const removed = await this.inner.removeByKey(calendarId, appointmentId, AbortSignal.timeout(this.timeoutMs));
        if (removed) this.logger.warn(ctx, 'removed the calendar event of a booking that failed');
        else this.logger.debug(ctx, 'a failed booking left no event behind');
      } catch (err) {
        this.logger.error({ ...ctx, failure: describeFailure(err) }, 'a failed booking may have left an event on the calendar');
        this.onOrphan?.({ ...ctx, error: err });
      }
    };
    const p = run().finally(() => this.cleanups.delete(appointmentId));
    this.cleanups.set(appointmentId, p);
  }
}

export function withCreateCleanup(adapter: CalendarAdapter, opts?: CleanupOptions): CleanupCalendar {
  return new CleanupCalendar(adapter, opts);
}
