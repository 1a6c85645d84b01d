/**
 * The default calendar: staff calendars kept in the service's own store (SQLite file or Postgres).
 * No credentials, no network. Besides appointment events it holds "blocks": time off that is not
 * an appointment.
 */
import type { CalendarEventRepo } from '../store/ports.js';
import { NotFoundError } from '../domain/errors.js';
import type { CalendarAdapter, CalendarEventInput, CalendarHealth, EventTimes, FreeBusyResult, Interval } from './provider.js';

export interface Block {
  id: string;
  calendarId: string;
  start: number;
  end: number;
  reason: string;
}

export class EmbeddedCalendar implements CalendarAdapter {
  readonly name = 'embedded';
  // Its events live in our own store: busy time is a query, and nothing changes behind our back.
  readonly capabilities = { freeBusyQuery: true, changeFeed: false, push: false };

  constructor(
    private readonly events: CalendarEventRepo,
    private readonly now: () => number,
  ) {}

  async freeBusy(calendarIds: readonly string[], range: Interval): Promise<FreeBusyResult> {
    return { busy: await this.events.busy(calendarIds, range.start, range.end), errors: new Map() };
  }

  async createEvent(input: CalendarEventInput): Promise<{ eventId: string }> {
    // Idempotent on the appointment id: a retried create returns the event it already made.
    const existing = await this.events.byAppointment(input.appointmentId);
    if (existing) return { eventId: existing.id };
    const eventId = eventIdOf(input.appointmentId);
    await this.events.insert(
      {
        id: eventId,
        calendarId: input.calendarId,
        kind: 'appointment',
        appointmentId: input.appointmentId,
        start: input.start,
        end: input.end,
        blockStart: input.blockStart,
        blockEnd: input.blockEnd,
        summary: input.summary,
        description: input.description,
        customerPhone: input.customerPhone,
        serviceId: input.serviceId,
      },
      this.now(),
    );
    return { eventId };
  }

  async moveEvent(calendarId: string, eventId: string, t: EventTimes): Promise<void> {
    if (!(await this.events.move(calendarId, eventId, t, this.now()))) throw new NotFoundError('EVENT_GONE', {});
  }

  async cancelEvent(calendarId: string, eventId: string): Promise<void> {
    await this.events.cancel(calendarId, eventId, this.now());
  }

  async removeByKey(calendarId: string, appointmentId: string): Promise<boolean> {
    const existing = await this.events.byAppointment(appointmentId);
    if (!existing || existing.status !== 'confirmed') return false;
    await this.events.cancel(calendarId, existing.id, this.now());
    return true;
  }

  health(): CalendarHealth {
    return { ok: true };
  }

  async addBlock(id: string, calendarId: string, start: number, end: number, reason: string): Promise<Block> {
    await this.events.insert(
      { id, calendarId, kind: 'block', appointmentId: null, start, end, blockStart: start, blockEnd: end, summary: reason, description: '', customerPhone: null, serviceId: null },
      this.now(),
    );
    return { id, calendarId, start, end, reason };
  }

  removeBlock(id: string): Promise<boolean> {
    return this.events.cancelBlock(id, this.now());
  }

  async listBlocks(): Promise<Block[]> {
    return (await this.events.blocks(this.now())).map((r) => ({ id: r.id, calendarId: r.calendarId, start: r.start, end: r.end, reason: r.summary }));
  }
}

/** Our own event ids: derived from the appointment, so a retried create finds its event. */
const eventIdOf = (appointmentId: string) => `ev_${appointmentId}`;
