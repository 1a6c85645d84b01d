/**
 * Appointment records. Every write that could double-book runs in a BEGIN IMMEDIATE transaction with
 * an overlap check, so even two server processes sharing the file cannot hold overlapping bookings
 * for one staff member. Pending rows count as busy: a reservation is taken before the calendar is
 * written, and confirmed after.
 *
 * Change listeners run inside the same transaction as the change (the SMS outbox uses this so a
 * message can never be lost or invented by a crash).
 */
import type { Appointment, AppointmentStatus } from '../domain/appointment.js';
import type { Db } from './db.js';

export type AppointmentChange =
  | { kind: 'booked'; appointment: Appointment }
  | { kind: 'rescheduled'; appointment: Appointment; previous: Appointment }
  | { kind: 'cancelled'; appointment: Appointment };

export type ChangeListener = (change: AppointmentChange, db: Db) => void;

interface Row {
  id: string;
  status: AppointmentStatus;
  service_id: string;
  staff_id: string;
  staff_requested: number;
  calendar_id: string;
  event_id: string | null;
  start_ms: number;
  end_ms: number;
  block_start_ms: number;
  block_end_ms: number;
  customer_name: string;
  customer_phone: string;
  customer_email: string | null;
  notes: string | null;
  source: string | null;
  created_at: number;
  updated_at: number;
  cancelled_at: number | null;
  cancel_reason: string | null;
  request_key: string | null;
}

function fromRow(r: Row): Appointment {
  return {
    id: r.id,
    status: r.status,
    serviceId: r.service_id,
    staffId: r.staff_id,
    staffRequested: r.staff_requested === 1,
    calendarId: r.calendar_id,
    eventId: r.event_id,
    start: r.start_ms,
    end: r.end_ms,
    blockStart: r.block_start_ms,
    blockEnd: r.block_end_ms,
    customerName: r.customer_name,
    customerPhone: r.customer_phone,
    customerEmail: r.customer_email,
    notes: r.notes,
    source: r.source,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    cancelledAt: r.cancelled_at,
    cancelReason: r.cancel_reason,
    requestKey: r.request_key,
  };
}

export class AppointmentRepo {
  private readonly listeners: ChangeListener[] = [];
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      get: db.prepare<[string], Row>('SELECT * FROM appointments WHERE id = ?'),
      overlap: db.prepare<[string, number, number, string], { id: string }>(
        `SELECT id FROM appointments
          WHERE staff_id = ? AND status != 'cancelled' AND block_end_ms > ? AND block_start_ms < ? AND id != ?
          LIMIT 1`,
      ),
      insert: db.prepare(
        `INSERT INTO appointments (id, status, service_id, staff_id, staff_requested, calendar_id, event_id, start_ms, end_ms,
           block_start_ms, block_end_ms, customer_name, customer_phone, customer_email, notes, source, created_at, updated_at, request_key)
         VALUES (@id, 'pending', @serviceId, @staffId, @staffRequested, @calendarId, NULL, @start, @end,
           @blockStart, @blockEnd, @customerName, @customerPhone, @customerEmail, @notes, @source, @now, @now, @requestKey)`,
      ),
      confirm: db.prepare(`UPDATE appointments SET status = 'confirmed', event_id = ?, updated_at = ? WHERE id = ? AND status = 'pending'`),
      drop: db.prepare(`DELETE FROM appointments WHERE id = ? AND status = 'pending'`),
      move: db.prepare(
        `UPDATE appointments SET start_ms = ?, end_ms = ?, block_start_ms = ?, block_end_ms = ?, updated_at = ? WHERE id = ? AND status = 'confirmed'`,
      ),
      cancel: db.prepare(
        `UPDATE appointments SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, updated_at = ? WHERE id = ? AND status = 'confirmed'`,
      ),
      upcomingByPhone: db.prepare<[string, number], Row>(
        `SELECT * FROM appointments WHERE customer_phone = ? AND status = 'confirmed' AND start_ms >= ? ORDER BY start_ms`,
      ),
      countByStaffDay: db.prepare<[number, number], { staff_id: string; n: number }>(
        `SELECT staff_id, COUNT(*) AS n FROM appointments
          WHERE status != 'cancelled' AND start_ms >= ? AND start_ms < ? GROUP BY staff_id`,
      ),
      byRequestKey: db.prepare<[string], Row>('SELECT * FROM appointments WHERE request_key = ?'),
      stalePending: db.prepare<[number], Row>(`SELECT * FROM appointments WHERE status = 'pending' AND created_at < ?`),
      list: db.prepare<[number, number, number], Row>(
        `SELECT * FROM appointments WHERE start_ms >= ? AND start_ms < ? ORDER BY start_ms LIMIT ?`,
      ),
    };
  }

  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  private emit(change: AppointmentChange): void {
    for (const l of this.listeners) l(change, this.db);
  }

  get(id: string): Appointment | undefined {
    const r = this.stmts.get.get(id);
    return r ? fromRow(r) : undefined;
  }

  /**
   * Takes the staff member's time as a pending appointment, unless another live appointment
   * overlaps its blocked interval. Returns false on conflict.
   */
  reserve(
    a: Omit<Appointment, 'status' | 'eventId' | 'createdAt' | 'updatedAt' | 'cancelledAt' | 'cancelReason' | 'requestKey'> & { requestKey?: string | null },
    now: number,
  ): boolean {
    const tx = this.db.transaction(() => {
      if (this.stmts.overlap.get(a.staffId, a.blockStart, a.blockEnd, a.id)) return false;
      this.stmts.insert.run({
        ...a,
        staffRequested: a.staffRequested ? 1 : 0,
        customerEmail: a.customerEmail,
        notes: a.notes,
        source: a.source,
        requestKey: a.requestKey ?? null,
        now,
      });
      return true;
    });
    return tx.immediate();
  }

  /** The calendar holds the event: the booking is now real. Durable when this returns. */
  confirm(id: string, eventId: string, now: number, emit = true): Appointment {
    const tx = this.db.transaction(() => {
      const res = this.stmts.confirm.run(eventId, now, id);
      if (res.changes !== 1) throw new Error(`appointment ${id} is not pending`);
      const appt = this.get(id)!;
      if (emit) this.emit({ kind: 'booked', appointment: appt });
      return appt;
    });
    return tx.immediate();
  }

  /** Gives back a reservation whose calendar write failed. */
  release(id: string): void {
    this.stmts.drop.run(id);
  }

  /**
   * Moves a confirmed appointment in place, unless the new blocked interval overlaps another live
   * appointment of the same staff member (the appointment itself is ignored). Returns the updated
   * record, or undefined on conflict.
   */
  move(id: string, times: { start: number; end: number; blockStart: number; blockEnd: number }, now: number, emit = true): Appointment | undefined {
    const tx = this.db.transaction(() => {
      const previous = this.get(id);
      if (!previous || previous.status !== 'confirmed') return undefined;
      if (this.stmts.overlap.get(previous.staffId, times.blockStart, times.blockEnd, id)) return undefined;
      this.stmts.move.run(times.start, times.end, times.blockStart, times.blockEnd, now, id);
      const appt = this.get(id)!;
      if (emit) this.emit({ kind: 'rescheduled', appointment: appt, previous });
      return appt;
    });
    return tx.immediate();
  }

  /** Emits the reschedule notification for a move made with `emit = false` once the calendar agreed. */
  announceMove(appointment: Appointment, previous: Appointment): void {
    this.db.transaction(() => this.emit({ kind: 'rescheduled', appointment, previous })).immediate();
  }

  cancel(id: string, reason: string | null, now: number, emit = true): Appointment | undefined {
    const tx = this.db.transaction(() => {
      const res = this.stmts.cancel.run(now, reason, now, id);
      if (res.changes !== 1) return undefined;
      const appt = this.get(id)!;
      if (emit) this.emit({ kind: 'cancelled', appointment: appt });
      return appt;
    });
    return tx.immediate();
  }

  upcomingByPhone(phoneE164: string, now: number): Appointment[] {
    return this.stmts.upcomingByPhone.all(phoneE164, now).map(fromRow);
  }

  /** Live bookings per staff member with a start in [from, to): used to spread work fairly. */
  countByStaff(from: number, to: number): Map<string, number> {
    return new Map(this.stmts.countByStaffDay.all(from, to).map((r) => [r.staff_id, r.n]));
  }

  byRequestKey(key: string): Appointment | undefined {
    const r = this.stmts.byRequestKey.get(key);
    return r ? fromRow(r) : undefined;
  }

  stalePending(olderThan: number): Appointment[] {
    return this.stmts.stalePending.all(olderThan).map(fromRow);
  }

  list(from: number, to: number, limit: number): Appointment[] {
    return this.stmts.list.all(from, to, limit).map(fromRow);
  }
}
