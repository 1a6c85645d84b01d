/**
 * The default calendar: staff calendars kept in the service's own SQLite file. No credentials, no
 * network; writes are synchronous transactions, so every method resolves immediately.
 * Besides appointment events it holds "blocks": time off that is not an appointment.
 */
import type { Db } from '../store/db.js';
import type { CalendarEventInput, CalendarEventRef, CalendarHealth, CalendarProvider, FreeBusyResult, Interval } from './provider.js';

export interface Block {
  id: string;
  calendarId: string;
  start: number;
  end: number;
  reason: string;
}

export class EmbeddedCalendar implements CalendarProvider {
  readonly name = 'embedded';
  private readonly stmts;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.stmts = {
      busy: db.prepare<[string, number, number], { block_start_ms: number; block_end_ms: number }>(
        `SELECT block_start_ms, block_end_ms FROM calendar_events
          WHERE calendar_id = ? AND status = 'confirmed' AND block_end_ms > ? AND block_start_ms < ?
          ORDER BY block_start_ms`,
      ),
      byAppointment: db.prepare<[string], { id: string; status: string }>('SELECT id, status FROM calendar_events WHERE appointment_id = ?'),
      insert: db.prepare(
        `INSERT INTO calendar_events (id, calendar_id, kind, appointment_id, status, start_ms, end_ms, block_start_ms, block_end_ms,
           summary, description, customer_phone, service_id, created_at, updated_at)
         VALUES (@id, @calendarId, @kind, @appointmentId, 'confirmed', @start, @end, @blockStart, @blockEnd,
           @summary, @description, @customerPhone, @serviceId, @now, @now)`,
      ),
      move: db.prepare(
        `UPDATE calendar_events SET start_ms = ?, end_ms = ?, block_start_ms = ?, block_end_ms = ?, updated_at = ?
          WHERE calendar_id = ? AND id = ? AND status = 'confirmed'`,
      ),
      cancel: db.prepare(`UPDATE calendar_events SET status = 'cancelled', updated_at = ? WHERE calendar_id = ? AND id = ?`),
      byPhone: db.prepare<[string, number], { id: string; calendar_id: string; appointment_id: string | null; start_ms: number; end_ms: number }>(
        `SELECT id, calendar_id, appointment_id, start_ms, end_ms FROM calendar_events
          WHERE customer_phone = ? AND status = 'confirmed' AND end_ms > ? ORDER BY start_ms`,
      ),
      blocks: db.prepare<[number], { id: string; calendar_id: string; start_ms: number; end_ms: number; summary: string }>(
        `SELECT id, calendar_id, start_ms, end_ms, summary FROM calendar_events
          WHERE kind = 'block' AND status = 'confirmed' AND end_ms > ? ORDER BY start_ms`,
      ),
      cancelBlock: db.prepare(`UPDATE calendar_events SET status = 'cancelled', updated_at = ? WHERE id = ? AND kind = 'block' AND status = 'confirmed'`),
    };
  }

  async freeBusy(calendarIds: readonly string[], range: Interval): Promise<FreeBusyResult> {
    const busy = new Map<string, Interval[]>();
    for (const id of calendarIds) {
      busy.set(
        id,
        this.stmts.busy.all(id, range.start, range.end).map((r) => ({ start: r.block_start_ms, end: r.block_end_ms })),
      );
    }
    return { busy, errors: new Map() };
  }

  async createEvent(input: CalendarEventInput): Promise<{ eventId: string }> {
    // Idempotent on the appointment id: a retried create returns the event it already made.
    const existing = this.stmts.byAppointment.get(input.appointmentId);
    if (existing) return { eventId: existing.id };
    const eventId = this.eventIdFor(input.appointmentId);
    this.stmts.insert.run({ ...input, id: eventId, kind: 'appointment', now: this.now() });
    return { eventId };
  }

  eventIdFor(appointmentId: string): string {
    return `ev_${appointmentId}`;
  }

  async moveEvent(calendarId: string, eventId: string, t: { start: number; end: number; blockStart: number; blockEnd: number }): Promise<void> {
    const res = this.stmts.move.run(t.start, t.end, t.blockStart, t.blockEnd, this.now(), calendarId, eventId);
    if (res.changes !== 1) throw new Error(`event ${eventId} not found on calendar ${calendarId}`);
  }

  async cancelEvent(calendarId: string, eventId: string): Promise<void> {
    this.stmts.cancel.run(this.now(), calendarId, eventId);
  }

  async findByPhone(calendarIds: readonly string[], phoneE164: string): Promise<CalendarEventRef[]> {
    const wanted = new Set(calendarIds);
    return this.stmts.byPhone
      .all(phoneE164, this.now())
      .filter((r) => wanted.has(r.calendar_id))
      .map((r) => ({ calendarId: r.calendar_id, eventId: r.id, appointmentId: r.appointment_id ?? undefined, start: r.start_ms, end: r.end_ms }));
  }

  health(): CalendarHealth {
    return { ok: true };
  }

  addBlock(id: string, calendarId: string, start: number, end: number, reason: string): Block {
    this.stmts.insert.run({
      id,
      calendarId,
      kind: 'block',
      appointmentId: null,
      start,
      end,
      blockStart: start,
      blockEnd: end,
      summary: reason,
      description: '',
      customerPhone: null,
      serviceId: null,
      now: this.now(),
    });
    return { id, calendarId, start, end, reason };
  }

  removeBlock(id: string): boolean {
    return this.stmts.cancelBlock.run(this.now(), id).changes === 1;
  }

  listBlocks(): Block[] {
    return this.stmts.blocks.all(this.now()).map((r) => ({ id: r.id, calendarId: r.calendar_id, start: r.start_ms, end: r.end_ms, reason: r.summary }));
  }
}
