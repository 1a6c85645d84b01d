/**
 * The repositories of ports.ts, written once over a Driver. Every statement names the business:
 * a row of another business is never read, counted or changed.
 *
 * Outside a unit of work, a repository method that needs several statements (reserve, claim...)
 * opens its own transaction; inside one it uses the caller's.
 */
import { type Appointment, type AppointmentOutcome, type AppointmentStatus, LIVE_STATUSES, type LiveStatus } from '../../domain/appointment.js';

import type {
  BusinessRecord,
  BusinessRecordRepo,
  BusinessStatus,
  AppointmentChange,
  AppointmentRepo,
  BlockTimes,
  BusinessStore,
  CalendarEventRepo,
  CalendarEventRow,
  CalendarSyncRepo,
  CalendarSyncState,
  SyncConflict,
  WatchChannel,
  CallContextRepo,
  CallLogRepo,
  Callback,
  CallbackEvent,
  CallbackFilter,
  CallbackRepo,
  CallbackStatus,
  CallbackUrgency,
  NewCallback,
  ChangeListener,
  Claim,
  EnqueueResult,
  GoogleConnection,
  GoogleConnectionRepo,
  GoogleConnectionStatus,
  OAuthStateKind,
  IdempotencyRepo,
  NewAppointment,
  NewMessage,
  InviteRepo,
  OutboxRepo,
  OutboxRow,
  OutboxStatus,
  RateLimitRepo,
  Repos,
  RecordOptions,
  ToolCallLogEntry,
  ToolCallRow,
} from '../ports.js';
import { OUTBOX_STATUSES } from '../ports.js';
import type { CallLogBatcher } from './batch.js';
import { type BusyCache, overlapping } from './busy-cache.js';
import type { Dialect, Driver, Executor, Param, TransactionOptions } from './driver.js';
const isLive = (s: AppointmentStatus): s is LiveStatus => (LIVE_STATUSES as readonly string[]).includes(s);

/**
 * The longest blocked time one appointment may hold (a service is at most 24 h plus two 4 h buffers;
 * this leaves room). Writes refuse anything longer, so a search for what overlaps [from, to) can
 * read appointments by start in [from - this, to) on an index, instead of every appointment ending
 * after `from`: the cost of a search stays the size of its window, not of the whole future book.
 */
const MAX_APPOINTMENT_BLOCK_MS = 7 * 86_400_000;

/** Busy reads spanning at least this long are kept between searches, widened by the margin. */
const BUSY_CACHE_MIN_SPAN_MS = 86_400_000;
const BUSY_CACHE_MARGIN_MS = 86_400_000;

function checkBlockLength(t: { blockStart: number; blockEnd: number }): void {
  if (t.blockEnd - t.blockStart > MAX_APPOINTMENT_BLOCK_MS) throw new Error(`an appointment cannot block more than 7 days (${t.blockStart}..${t.blockEnd})`);
}

/** What one business's repositories share: the driver, its listeners, the call-log batcher. */
export interface Scope {
  readonly biz: string;
  readonly driver: Driver;
  readonly listeners: ChangeListener[];
  readonly batcher: CallLogBatcher;
  /** Busy time between searches (SQLite only: ./busy-cache.ts). */
  readonly busyCache?: BusyCache | undefined;
}

/**
 * Runs `fn` in the caller's transaction when there is one, else in a new one (`opts` applies to a
 * new one only: inside a unit of work, the unit's commit decides).
 */
type Atomic = <T>(fn: (r: TxRepos) => Promise<T>, opts?: TransactionOptions) => Promise<T>;

/** See TransactionOptions: survives a crash of the process; a later durable commit covers it on disk. */
const RELAXED: TransactionOptions = { durable: false };

interface TxRepos extends Repos {
  ex: Executor;
}

export function businessStore(scope: Scope): BusinessStore {
  const repos = makeRepos(scope, scope.driver.auto, (fn, opts) => scope.driver.transaction((ex) => fn(makeRepos(scope, ex, null)), opts));
  return {
    ...repos,
    businessId: scope.biz,
    health: () => scope.driver.health(),
    withTransaction: (fn, opts) => scope.driver.transaction((ex) => fn(makeRepos(scope, ex, null)), opts),
    sync: () => scope.batcher.sync(),
    onAppointmentChange: (l) => {
      scope.listeners.push(l);
      return () => {
        const i = scope.listeners.indexOf(l);
        if (i >= 0) scope.listeners.splice(i, 1);
      };
    },
  };
}

/** `atomic` null: `ex` is a transaction already, and multi-statement methods run in it. */
function makeRepos(scope: Scope, ex: Executor, atomic: Atomic | null): TxRepos {
  const self: TxRepos = {
    ex,
    appointments: undefined as unknown as AppointmentRepo,
    googleConnections: new GoogleConnections(scope.biz, ex),
    calendarSync: new CalendarSync(scope.biz, ex),
    callbacks: undefined as unknown as CallbackRepo,
    // Never filled inside a transaction: an entry could carry a version bump that rolls back.
    calendarEvents: new CalendarEvents(scope.biz, ex, atomic ? scope.busyCache : undefined),
    idempotency: undefined as unknown as IdempotencyRepo,
    calls: new CallLog(scope, ex),
    outbox: undefined as unknown as OutboxRepo,
    invites: undefined as unknown as InviteRepo,
    callContext: new CallContext(scope.biz, ex),
    rateLimits: undefined as unknown as RateLimitRepo,
  };
  const inTx: Atomic = atomic ?? ((fn) => fn(self));
  self.appointments = new Appointments(scope, ex, inTx);
  self.idempotency = new Idempotency(scope.biz, ex, inTx);
  self.callbacks = new Callbacks(scope.biz, ex, inTx);
  self.outbox = new Outbox(scope.biz, ex, inTx, scope.driver.dialect);
  self.rateLimits = new RateLimits(scope.biz, inTx);
  self.invites = new Invites(scope.biz, inTx);
  return self;
}

// ---------------------------------------------------------------- appointments

interface AppointmentRow {
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

function appointmentFrom(r: AppointmentRow): Appointment {
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

/**
 * The Postgres exclusion constraint (SQLSTATE 23P01) is the last word on overlaps: if it fires, the
 * write lost a race the advisory lock should have prevented, and the answer is "taken", not an error.
 * The transaction is aborted by it, so the caller must not write anything else in it.
 */
async function noOverlapViolation(write: Promise<boolean>): Promise<boolean> {
  try {
    return await write;
  } catch (err) {
    if ((err as { code?: string }).code === '23P01') return false;
    throw err;
  }
}

const APPOINTMENT_COLUMNS = `id, status, service_id, staff_id, staff_requested, calendar_id, event_id, start_ms, end_ms, block_start_ms, block_end_ms,
  customer_name, customer_phone, customer_email, notes, source, created_at, updated_at, cancelled_at, cancel_reason, request_key`;
const SELECT_APPOINTMENT = `SELECT ${APPOINTMENT_COLUMNS} FROM appointments`;

class Appointments implements AppointmentRepo {
  constructor(
    private readonly scope: Scope,
    private readonly ex: Executor,
    private readonly atomic: Atomic,
  ) {}

  private get biz() {
    return this.scope.biz;
  }

  private async emit(change: AppointmentChange, tx: Repos): Promise<void> {
    for (const l of this.scope.listeners) await l(change, tx);
  }

  async get(id: string): Promise<Appointment | undefined> {
    const r = await this.ex.get<AppointmentRow>(`${SELECT_APPOINTMENT} WHERE business_id = ? AND id = ?`, [this.biz, id]);
    return r ? appointmentFrom(r) : undefined;
  }

  private overlaps(ex: Executor, staffId: string, blockStart: number, blockEnd: number, exceptId: string) {
    return ex.get<{ id: string }>(
      `SELECT id FROM appointments
        WHERE business_id = ? AND staff_id = ? AND status != 'cancelled' AND block_start_ms < ? AND block_start_ms > ? AND block_end_ms > ? AND id != ?
        LIMIT 1`,
      [this.biz, staffId, blockEnd, blockStart - MAX_APPOINTMENT_BLOCK_MS, blockStart, exceptId],
    );
  }

  reserve(a: NewAppointment, now: number): Promise<boolean> {
    return this.atomic(async ({ ex }) => {
      // Every instance takes this staff member's lock before the check, so the check still holds
      // when the row is written.
      checkBlockLength(a);
      await ex.lock(`staff:${this.biz}:${a.staffId}`);
      if (await this.overlaps(ex, a.staffId, a.blockStart, a.blockEnd, a.id)) return false;
      return noOverlapViolation(ex.run(
        `INSERT INTO appointments (business_id, id, status, service_id, staff_id, staff_requested, calendar_id, event_id, start_ms, end_ms,
           block_start_ms, block_end_ms, customer_name, customer_phone, customer_email, notes, source, created_at, updated_at, request_key)
         VALUES (?, ?, 'pending', ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          this.biz,
          a.id,
          a.serviceId,
          a.staffId,
          a.staffRequested ? 1 : 0,
          a.calendarId,
          a.start,
          a.end,
          a.blockStart,
          a.blockEnd,
          a.customerName,
          a.customerPhone,
          a.customerEmail,
          a.notes,
          a.source,
          now,
          now,
          a.requestKey ?? null,
        ],
      ).then(() => true));
    });
  }

  confirm(id: string, eventId: string, now: number, announce = true, status: LiveStatus = 'confirmed'): Promise<Appointment> {
    return this.atomic(async (tx) => {
      const n = await tx.ex.run(`UPDATE appointments SET status = ?, event_id = ?, updated_at = ? WHERE business_id = ? AND id = ? AND status = 'pending'`, [
        status,
        eventId,
        now,
        this.biz,
        id,
      ]);
      if (n !== 1) throw new Error(`appointment ${id} is not pending`);
      const appt = (await tx.appointments.get(id))!;
      if (announce) await this.emit({ kind: 'booked', appointment: appt }, tx);
      return appt;
    });
  }

  async release(id: string): Promise<void> {
    await this.ex.run(`DELETE FROM appointments WHERE business_id = ? AND id = ? AND status = 'pending'`, [this.biz, id]);
  }

  move(id: string, t: BlockTimes, now: number, announce = true): Promise<Appointment | undefined> {
    return this.atomic(async (tx) => {
      checkBlockLength(t);
      const previous = await tx.appointments.get(id);
      if (!previous || !isLive(previous.status)) return undefined;
      await tx.ex.lock(`staff:${this.biz}:${previous.staffId}`);
      if (await this.overlaps(tx.ex, previous.staffId, t.blockStart, t.blockEnd, id)) return undefined;
      const moved = await noOverlapViolation(
        tx.ex
          .run(
            `UPDATE appointments SET start_ms = ?, end_ms = ?, block_start_ms = ?, block_end_ms = ?, updated_at = ? WHERE business_id = ? AND id = ? AND status IN ('awaiting_confirmation', 'confirmed')`,
            [t.start, t.end, t.blockStart, t.blockEnd, now, this.biz, id],
          )
          .then(() => true),
      );
      if (!moved) return undefined;
      const appt = (await tx.appointments.get(id))!;
      if (announce) await this.emit({ kind: 'rescheduled', appointment: appt, previous }, tx);
      return appt;
    });
  }

  announceMove(appointment: Appointment, previous: Appointment): Promise<void> {
    return this.atomic((tx) => this.emit({ kind: 'rescheduled', appointment, previous }, tx));
  }

  cancel(id: string, reason: string | null, now: number, announce = true): Promise<Appointment | undefined> {
    return this.atomic(async (tx) => {
      const n = await tx.ex.run(
        `UPDATE appointments SET status = 'cancelled', cancelled_at = ?, cancel_reason = ?, updated_at = ? WHERE business_id = ? AND id = ? AND status IN ('awaiting_confirmation', 'confirmed')`,
        [now, reason, now, this.biz, id],
      );
      if (n !== 1) return undefined;
      const appt = (await tx.appointments.get(id))!;
      if (announce) await this.emit({ kind: 'cancelled', appointment: appt }, tx);
      return appt;
    });
  }

  decide(id: string, to: 'confirmed' | 'cancelled', by: string, notes: string | null, now: number, automatic = false): Promise<Appointment | undefined> {
    return this.atomic(async (tx) => {
      const n = await tx.ex.run(
        `UPDATE appointments SET status = ?, updated_at = ?,
            cancelled_at = CASE WHEN ? = 'cancelled' THEN ? ELSE cancelled_at END,
            cancel_reason = CASE WHEN ? = 'cancelled' THEN ? ELSE cancel_reason END
          WHERE business_id = ? AND id = ? AND status = 'awaiting_confirmation'`,
        [to, now, to, now, to, `declined${notes ? `: ${notes}` : ''}`, this.biz, id],
      );
      if (n !== 1) return undefined;
      await tx.ex.run('INSERT INTO appointment_events (business_id, appointment_id, at_ms, from_status, to_status, actor, notes) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        this.biz,
        id,
        now,
        'awaiting_confirmation',
        to,
        by,
        notes,
      ]);
      const appt = (await tx.appointments.get(id))!;
      await this.emit(to === 'confirmed' ? { kind: 'confirmed', appointment: appt } : { kind: 'declined', appointment: appt, automatic }, tx);
      return appt;
    });
  }

  async awaitingConfirmation(limit: number): Promise<Appointment[]> {
    const rows = await this.ex.all<AppointmentRow>(
      `${SELECT_APPOINTMENT} WHERE business_id = ? AND status = 'awaiting_confirmation' ORDER BY created_at LIMIT ?`,
      [this.biz, limit],
    );
    return rows.map(appointmentFrom);
  }

  async upcomingByPhone(phone: string, now: number): Promise<Appointment[]> {
    const rows = await this.ex.all<AppointmentRow>(
      `${SELECT_APPOINTMENT} WHERE business_id = ? AND customer_phone = ? AND status IN ('awaiting_confirmation', 'confirmed') AND start_ms >= ? ORDER BY start_ms`,
      [this.biz, phone, now],
    );
    return rows.map(appointmentFrom);
  }

  async countByStaff(from: number, to: number): Promise<Map<string, number>> {
    const rows = await this.ex.all<{ staff_id: string; n: number }>(
      `SELECT staff_id, COUNT(*) AS n FROM appointments
        WHERE business_id = ? AND status != 'cancelled' AND start_ms >= ? AND start_ms < ? GROUP BY staff_id`,
      [this.biz, from, to],
    );
    return new Map(rows.map((r) => [r.staff_id, Number(r.n)]));
  }

  async byRequestKey(key: string): Promise<Appointment | undefined> {
    const r = await this.ex.get<AppointmentRow>(`${SELECT_APPOINTMENT} WHERE business_id = ? AND request_key = ?`, [this.biz, key]);
    return r ? appointmentFrom(r) : undefined;
  }

  async stalePending(olderThan: number): Promise<Appointment[]> {
    const rows = await this.ex.all<AppointmentRow>(`${SELECT_APPOINTMENT} WHERE business_id = ? AND status = 'pending' AND created_at < ?`, [this.biz, olderThan]);
    return rows.map(appointmentFrom);
  }

  async list(from: number, to: number, limit: number): Promise<Appointment[]> {
    const rows = await this.ex.all<AppointmentRow>(
      `${SELECT_APPOINTMENT} WHERE business_id = ? AND start_ms >= ? AND start_ms < ? ORDER BY start_ms LIMIT ?`,
      [this.biz, from, to, limit],
    );
    return rows.map(appointmentFrom);
  }

  markOutcome(id: string, from: AppointmentStatus, to: AppointmentOutcome, by: string, notes: string | null, now: number): Promise<Appointment | undefined> {
    return this.atomic(async (tx) => {
      const n = await tx.ex.run(`UPDATE appointments SET status = ?, updated_at = ? WHERE business_id = ? AND id = ? AND status = ? AND start_ms <= ?`, [
        to,
        now,
        this.biz,
        id,
        from,
        now,
      ]);
      if (n !== 1) return undefined;
      await tx.ex.run('INSERT INTO appointment_events (business_id, appointment_id, at_ms, from_status, to_status, actor, notes) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        this.biz,
        id,
        now,
        from,
        to,
        by,
        notes,
      ]);
      return tx.appointments.get(id);
    });
  }

  async outcomeHistory(id: string) {
    const rows = await this.ex.all<{ at_ms: number; from_status: AppointmentStatus; to_status: AppointmentStatus; actor: string; notes: string | null }>(
      'SELECT at_ms, from_status, to_status, actor, notes FROM appointment_events WHERE business_id = ? AND appointment_id = ? ORDER BY at_ms, id',
      [this.biz, id],
    );
    return rows.map((r) => ({ at: Number(r.at_ms), fromStatus: r.from_status, toStatus: r.to_status, actor: r.actor, notes: r.notes }));
  }

  async noShowCount(phone: string): Promise<number> {
    const r = await this.ex.get<{ n: number }>(`SELECT COUNT(*) AS n FROM appointments WHERE business_id = ? AND customer_phone = ? AND status = 'no_show'`, [this.biz, phone]);
    return Number(r?.n ?? 0);
  }

  async liveStart(id: string): Promise<{ status: string; start: number } | undefined> {
    const r = await this.ex.get<{ status: string; start_ms: number }>('SELECT status, start_ms FROM appointments WHERE business_id = ? AND id = ?', [this.biz, id]);
    return r ? { status: r.status, start: r.start_ms } : undefined;
  }
}

// ---------------------------------------------------------------- embedded calendar events

interface EventRow {
  id: string;
  calendar_id: string;
  kind: 'appointment' | 'block';
  appointment_id: string | null;
  status: string;
  start_ms: number;
  end_ms: number;
  block_start_ms: number;
  block_end_ms: number;
  summary: string;
  description: string;
  customer_phone: string | null;
  service_id: string | null;
}

function eventFrom(r: EventRow): CalendarEventRow & { status: string } {
  return {
    id: r.id,
    calendarId: r.calendar_id,
    kind: r.kind,
    appointmentId: r.appointment_id,
    status: r.status,
    start: r.start_ms,
    end: r.end_ms,
    blockStart: r.block_start_ms,
    blockEnd: r.block_end_ms,
    summary: r.summary,
    description: r.description,
    customerPhone: r.customer_phone,
    serviceId: r.service_id,
  };
}

class CalendarEvents implements CalendarEventRepo {
  constructor(
    private readonly biz: string,
    private readonly ex: Executor,
    private readonly cache?: BusyCache | undefined,
  ) {}

  async busy(calendarIds: readonly string[], from: number, to: number): Promise<Map<string, { start: number; end: number }[]>> {
    const cache = this.cache;
    if (!cache || calendarIds.length === 0) return this.readBusy(calendarIds, from, to);
    // Versions first, rows second (./busy-cache.ts says why that order is safe).
    const versions = new Map<string, number>();
    const marks = calendarIds.map(() => '?').join(', ');
    for (const r of await this.ex.all<{ calendar_id: string; n: number }>(`SELECT calendar_id, n FROM busy_versions WHERE business_id = ? AND calendar_id IN (${marks})`, [this.biz, ...calendarIds])) {
      versions.set(r.calendar_id, Number(r.n));
    }
    const out = new Map<string, { start: number; end: number }[]>();
    const missing: string[] = [];
    for (const id of calendarIds) {
      const hit = cache.get(this.biz, id, versions.get(id) ?? 0, from, to);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    // A search's window (a day or more) is kept with a margin, so the next search, whose window
    // starts a little later, is covered too; a booking's few minutes are not worth an entry.
    const keep = to - from >= BUSY_CACHE_MIN_SPAN_MS;
    const f = keep ? from - BUSY_CACHE_MARGIN_MS : from;
    const t = keep ? to + BUSY_CACHE_MARGIN_MS : to;
    const rows = await this.readBusy(missing, f, t);
    for (const id of missing) {
      const list = rows.get(id)!;
      if (!keep) {
        out.set(id, list);
        continue;
      }
      cache.set(this.biz, id, versions.get(id) ?? 0, f, t, list);
      out.set(id, overlapping(list, from, to));
    }
    return out;
  }

  private async readBusy(calendarIds: readonly string[], from: number, to: number): Promise<Map<string, { start: number; end: number }[]>> {
    const out = new Map<string, { start: number; end: number }[]>();
    for (const id of calendarIds) out.set(id, []);
    if (calendarIds.length === 0) return out;
    // One statement for all calendars: a find over fifty staff is one round trip, not fifty.
    const marks = calendarIds.map(() => '?').join(', ');
    // Appointments by start (bounded length, see MAX_APPOINTMENT_BLOCK_MS); time off, which may last
    // weeks, by end: there are few blocks.
    const rows = await this.ex.all<{ calendar_id: string; block_start_ms: number; block_end_ms: number }>(
      `SELECT calendar_id, block_start_ms, block_end_ms FROM calendar_events
        WHERE business_id = ? AND calendar_id IN (${marks}) AND status = 'confirmed' AND kind = 'appointment'
          AND block_start_ms < ? AND block_start_ms > ? AND block_end_ms > ?
       UNION ALL
       SELECT calendar_id, block_start_ms, block_end_ms FROM calendar_events
        WHERE business_id = ? AND calendar_id IN (${marks}) AND status = 'confirmed' AND kind = 'block' AND block_end_ms > ? AND block_start_ms < ?`,
      [this.biz, ...calendarIds, to, from - MAX_APPOINTMENT_BLOCK_MS, from, this.biz, ...calendarIds, from, to],
    );
    for (const r of rows) out.get(r.calendar_id)!.push({ start: r.block_start_ms, end: r.block_end_ms });
    // Sorted here, per calendar and only when needed, rather than by an ORDER BY over the union: the
    // appointments come off the index in start order already, and only time off lands out of order.
    for (const list of out.values()) {
      for (let i = 1; i < list.length; i++) {
        if (list[i - 1]!.start > list[i]!.start) {
          list.sort((a, b) => a.start - b.start);
          break;
        }
      }
    }
    return out;
  }

  byAppointment(appointmentId: string) {
    return this.ex.get<{ id: string; status: string }>('SELECT id, status FROM calendar_events WHERE business_id = ? AND appointment_id = ?', [this.biz, appointmentId]);
  }

  async insert(e: CalendarEventRow, now: number): Promise<boolean> {
    if (e.kind === 'appointment') checkBlockLength(e);
    const n = await this.ex.run(
      `INSERT INTO calendar_events (business_id, id, calendar_id, kind, appointment_id, status, start_ms, end_ms, block_start_ms, block_end_ms,
         summary, description, customer_phone, service_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'confirmed', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
      [this.biz, e.id, e.calendarId, e.kind, e.appointmentId, e.start, e.end, e.blockStart, e.blockEnd, e.summary, e.description, e.customerPhone, e.serviceId, now, now],
    );
    return n === 1;
  }

  async move(calendarId: string, id: string, t: BlockTimes, now: number): Promise<boolean> {
    checkBlockLength(t);
    const n = await this.ex.run(
      `UPDATE calendar_events SET start_ms = ?, end_ms = ?, block_start_ms = ?, block_end_ms = ?, updated_at = ?
        WHERE business_id = ? AND calendar_id = ? AND id = ? AND status = 'confirmed'`,
      [t.start, t.end, t.blockStart, t.blockEnd, now, this.biz, calendarId, id],
    );
    return n === 1;
  }

  async cancel(calendarId: string, id: string, now: number): Promise<void> {
    await this.ex.run(`UPDATE calendar_events SET status = 'cancelled', updated_at = ? WHERE business_id = ? AND calendar_id = ? AND id = ?`, [now, this.biz, calendarId, id]);
  }

  async cancelBlock(id: string, now: number): Promise<boolean> {
    const n = await this.ex.run(
      `UPDATE calendar_events SET status = 'cancelled', updated_at = ? WHERE business_id = ? AND id = ? AND kind = 'block' AND status = 'confirmed'`,
      [now, this.biz, id],
    );
    return n === 1;
  }

  async blocks(now: number): Promise<CalendarEventRow[]> {
    const rows = await this.ex.all<EventRow>(
      `SELECT * FROM calendar_events WHERE business_id = ? AND kind = 'block' AND status = 'confirmed' AND end_ms > ? ORDER BY start_ms`,
      [this.biz, now],
    );
    return rows.map(eventFrom);
  }

  async get(calendarId: string, id: string) {
    const r = await this.ex.get<EventRow>('SELECT * FROM calendar_events WHERE business_id = ? AND calendar_id = ? AND id = ?', [this.biz, calendarId, id]);
    return r ? eventFrom(r) : undefined;
  }
}

// ---------------------------------------------------------------- idempotency

class Idempotency implements IdempotencyRepo {
  constructor(
    private readonly biz: string,
    private readonly ex: Executor,
    private readonly atomic: Atomic,
  ) {}

  claim(key: string, tool: string, argsHash: string, now: number, staleBefore = -Infinity): Promise<Claim> {
    const stale = Number.isFinite(staleBefore) ? staleBefore : Number.MIN_SAFE_INTEGER;
    return this.atomic(async ({ ex }): Promise<Claim> => {
      const inserted = await ex.run(
        `INSERT INTO idempotency (business_id, key, tool, args_hash, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING`,
        [this.biz, key, tool, argsHash, now],
      );
      if (inserted === 1) return { state: 'claimed' };
      const reclaimed = await ex.run(
        `UPDATE idempotency SET created_at = ?, args_hash = ? WHERE business_id = ? AND key = ? AND state = 'pending' AND created_at < ?`,
        [now, argsHash, this.biz, key, stale],
      );
      if (reclaimed === 1) return { state: 'claimed' };
      const row = await ex.get<{ state: 'pending' | 'done'; result_json: string | null; args_hash: string }>(
        'SELECT state, result_json, args_hash FROM idempotency WHERE business_id = ? AND key = ?',
        [this.biz, key],
      );
      if (!row) return { state: 'claimed' };
      if (row.state === 'done') return { state: 'done', resultJson: row.result_json ?? 'null', sameArgs: row.args_hash === argsHash };
      return { state: 'pending', sameArgs: row.args_hash === argsHash };
      // Relaxed: lost on a power cut only if the change it guards made no durable commit either,
      // and then a retry rightly runs it again (a booking also finds itself by request key).
    }, RELAXED);
  }

  async peek(key: string): Promise<Claim | undefined> {
    const row = await this.ex.get<{ state: 'pending' | 'done'; result_json: string | null }>('SELECT state, result_json FROM idempotency WHERE business_id = ? AND key = ?', [this.biz, key]);
    if (!row) return undefined;
    if (row.state === 'done') return { state: 'done', resultJson: row.result_json ?? 'null', sameArgs: true };
    return { state: 'pending', sameArgs: true };
  }

  // Relaxed: a mutating call's durable call-log row commits after these and before the answer. Were
  // the completion lost anyway, the claim would look stale later and a retry would run the tool
  // again, which finds the booking by its request key.
  async complete(key: string, resultJson: string): Promise<void> {
    await this.atomic(({ ex }) => completeIdempotency(ex, [{ biz: this.biz, key, resultJson }]), RELAXED);
  }

  async release(key: string): Promise<void> {
    await this.atomic(({ ex }) => ex.run('DELETE FROM idempotency WHERE business_id = ? AND key = ?', [this.biz, key]), RELAXED);
  }

  purgeOlderThan(cutoff: number): Promise<number> {
    return this.ex.run('DELETE FROM idempotency WHERE business_id = ? AND created_at < ?', [this.biz, cutoff]);
  }
}

// ---------------------------------------------------------------- call log

class CallLog implements CallLogRepo {
  constructor(
    private readonly scope: Scope,
    private readonly ex: Executor,
  ) {}

  record(e: ToolCallLogEntry, opts: RecordOptions = {}): Promise<void> {
    return this.scope.batcher.add(this.scope.biz, e, opts.durable === true, opts.completes);
  }

  async list(limit: number, beforeId = Number.MAX_SAFE_INTEGER): Promise<ToolCallRow[]> {
    const rows = await this.ex.all<Record<string, unknown>>(`SELECT * FROM tool_calls WHERE business_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, [
      this.scope.biz,
      beforeId,
      limit,
    ]);
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(Number(r.at_ms)).toISOString(),
      platform: r.platform as string,
      call_id: r.call_id as string | null,
      tool_call_id: r.tool_call_id as string | null,
      caller: r.caller as string | null,
      tool: r.tool as string,
      args: JSON.parse(r.args_json as string),
      ok: Number(r.ok) === 1,
      code: r.code as string | null,
      result: JSON.parse(r.result_json as string),
      latency_ms: Number(r.latency_ms),
      replayed: Number(r.replayed) === 1,
    }));
  }

  async callStats(since: number, bookingTools: readonly string[]): Promise<{ calls: number; booked: number }> {
    const tools = bookingTools.length ? bookingTools : [''];
    const r = await this.ex.get<{ calls: unknown; booked: unknown }>(
      `SELECT COUNT(DISTINCT call_id) AS calls,
              COUNT(DISTINCT CASE WHEN ok = 1 AND replayed = 0 AND tool IN (${tools.map(() => '?').join(', ')}) THEN call_id END) AS booked
       FROM tool_calls WHERE business_id = ? AND at_ms >= ? AND call_id IS NOT NULL`,
      [...tools, this.scope.biz, since],
    );
    return { calls: Number(r?.calls ?? 0), booked: Number(r?.booked ?? 0) };
  }

  async failures(since: number, codes: readonly string[], limit: number): Promise<{ at: number; platform: string; tool: string; code: string }[]> {
    if (!codes.length) return [];
    const rows = await this.ex.all<Record<string, unknown>>(
      `SELECT at_ms, platform, tool, code FROM tool_calls
       WHERE business_id = ? AND at_ms >= ? AND ok = 0 AND code IN (${codes.map(() => '?').join(', ')})
       ORDER BY id DESC LIMIT ?`,
      [this.scope.biz, since, ...codes, limit],
    );
    return rows.map((r) => ({ at: Number(r.at_ms), platform: String(r.platform), tool: String(r.tool), code: String(r.code) }));
  }

  flush(): Promise<void> {
    return this.scope.batcher.flush();
  }

  purgeOlderThan(cutoff: number): Promise<number> {
    return this.ex.run('DELETE FROM tool_calls WHERE business_id = ? AND at_ms < ?', [this.scope.biz, cutoff]);
  }
}

/** Writes queued call-log rows of any business in one statement. */
/** A write for a durable commit to flush the log with, when a sync barrier has nothing else to write. */
/** IdempotencyRepo.complete for the calls of one log batch, in the batch's transaction. */
export async function completeIdempotency(ex: Executor, items: readonly { biz: string; key: string; resultJson: string }[]): Promise<void> {
  for (const c of items) await ex.run(`UPDATE idempotency SET state = 'done', result_json = ? WHERE business_id = ? AND key = ?`, [c.resultJson, c.biz, c.key]);
}

export async function bumpDurabilityMark(ex: Executor): Promise<void> {
  await ex.run('INSERT INTO durability_marks (id, n) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET n = durability_marks.n + 1');
}

export async function insertCallLogRows(ex: Executor, rows: readonly { biz: string; e: ToolCallLogEntry }[]): Promise<void> {
  // 13 parameters a row; SQLite allows 32766 per statement, Postgres 65535.
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const params: Param[] = [];
    for (const { biz, e } of chunk) {
      params.push(
        biz,
        e.at,
        e.platform,
        e.callId,
        e.toolCallId,
        e.caller,
        e.tool,
        JSON.stringify(e.args ?? null),
        e.ok ? 1 : 0,
        e.code,
        JSON.stringify(e.result ?? null),
        Math.round(e.latencyMs * 100) / 100,
        e.replayed ? 1 : 0,
      );
    }
    await ex.run(
      `INSERT INTO tool_calls (business_id, at_ms, platform, call_id, tool_call_id, caller, tool, args_json, ok, code, result_json, latency_ms, replayed)
       VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      params,
    );
  }
}

// ---------------------------------------------------------------- outbox

const ERROR_MAX = 500;
const clip = (s: string) => (s.length > ERROR_MAX ? `${s.slice(0, ERROR_MAX - 1)}…` : s);

class Outbox implements OutboxRepo {
  constructor(
    private readonly biz: string,
    private readonly ex: Executor,
    private readonly atomic: Atomic,
    private readonly dialect: Dialect,
  ) {}

  enqueue(m: NewMessage, now: number): Promise<EnqueueResult> {
    return this.atomic(async ({ ex }) => {
      const inserted = await ex.run(
        `INSERT INTO sms_outbox (business_id, dedupe_key, appointment_id, kind, audience, channel, offset_minutes, appointment_start_ms, to_phone, body,
           subject, html, attachments_json, status, due_at, expires_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
         ON CONFLICT (business_id, dedupe_key) DO NOTHING`,
        [
          this.biz,
          m.dedupeKey,
          m.appointmentId,
          m.kind,
          m.audience,
          m.channel ?? 'sms',
          m.offsetMinutes ?? null,
          m.appointmentStart ?? null,
          m.to,
          m.body,
          m.subject ?? null,
          m.html ?? null,
          m.attachments?.length ? JSON.stringify(m.attachments) : null,
          m.dueAt,
          m.expiresAt ?? null,
          now,
          now,
        ],
      );
      if (inserted === 1) return 'inserted';
      // A reminder cancelled by a move comes back if the appointment moves back to the same time:
      // same key, same text, and it was never sent. Any other state (sent above all) is final.
      const revived = await ex.run(
        `UPDATE sms_outbox SET status = 'pending', body = ?, subject = ?, html = ?, attachments_json = ?, to_phone = ?, due_at = ?, expires_at = ?,
           attempts = 0, lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = ?
         WHERE business_id = ? AND dedupe_key = ? AND status = 'cancelled'`,
        [m.body, m.subject ?? null, m.html ?? null, m.attachments?.length ? JSON.stringify(m.attachments) : null, m.to, m.dueAt, m.expiresAt ?? null, now, this.biz, m.dedupeKey],
      );
      return revived === 1 ? 'revived' : 'exists';
    });
  }

  cancelPendingReminders(appointmentId: string, now: number): Promise<number> {
    return this.ex.run(
      `UPDATE sms_outbox SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, updated_at = ?
        WHERE business_id = ? AND appointment_id = ? AND kind = 'reminder' AND status = 'pending'`,
      [now, this.biz, appointmentId],
    );
  }

  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    // SQLite's write lock serialises claimers; on Postgres SKIP LOCKED lets instances claim
    // different rows at once instead of re-leasing the same ones.
    const skip = this.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    return this.atomic(({ ex }) =>
      ex.all<OutboxRow>(
        `UPDATE sms_outbox SET lease_owner = ?, lease_until = ?
          WHERE id IN (
            SELECT id FROM sms_outbox
             WHERE business_id = ? AND status = 'pending' AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
             ORDER BY due_at, id LIMIT ? ${skip})
         RETURNING *`,
        [owner, now + leaseMs, this.biz, now, now, limit],
      ).then((rows) => rows.sort((a, b) => a.due_at - b.due_at || a.id - b.id)),
    );
  }

  recoverAbandoned(now: number, opts: { resend: boolean; maxAttempts: number }): Promise<OutboxRow[]> {
    const skip = this.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    return this.atomic(async ({ ex }) => {
      const rows = await ex.all<OutboxRow>(`SELECT * FROM sms_outbox WHERE business_id = ? AND status = 'sending' AND lease_until < ? ${skip}`, [this.biz, now]);
      const error = 'interrupted while sending: the provider may or may not have accepted it';
      for (const r of rows) {
        const status: OutboxStatus = opts.resend ? (r.attempts < opts.maxAttempts ? 'pending' : 'failed') : 'unknown';
        await ex.run(
          `UPDATE sms_outbox SET status = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
            WHERE id = ? AND attempts = ? AND status = 'sending'`,
          [status, error, now, r.id, r.attempts],
        );
        r.status = status;
      }
      return rows;
    });
  }

  async beginAttempt(id: number, owner: string, now: number, leaseMs: number): Promise<number | undefined> {
    const r = await this.ex.get<{ attempts: number }>(
      `UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1, lease_until = ?, updated_at = ?
        WHERE business_id = ? AND id = ? AND status = 'pending' AND lease_owner = ?
       RETURNING attempts`,
      [now + leaseMs, now, this.biz, id, owner],
    );
    return r?.attempts;
  }

  // Fenced by the attempt number, not the lease: a worker that overran its lease but did get a
  // message id still records it, unless a later attempt has started (which then owns the row).
  async markSent(id: number, attempt: number, provider: string, providerId: string, now: number): Promise<boolean> {
    const n = await this.ex.run(
      `UPDATE sms_outbox SET status = 'sent', provider = ?, provider_message_id = ?, sent_at = ?,
         last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
        WHERE business_id = ? AND id = ? AND attempts = ? AND status IN ('sending', 'unknown', 'pending')`,
      [provider, providerId, now, now, this.biz, id, attempt],
    );
    return n === 1;
  }

  private async settle(id: number, attempt: number, status: OutboxStatus, dueAt: number | null, error: string, now: number): Promise<boolean> {
    const n = await this.ex.run(
      `UPDATE sms_outbox SET status = ?, due_at = COALESCE(?, due_at), last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
        WHERE business_id = ? AND id = ? AND attempts = ? AND status = 'sending'`,
      [status, dueAt, clip(error), now, this.biz, id, attempt],
    );
    return n === 1;
  }

  markRetry(id: number, attempt: number, dueAt: number, error: string, now: number) {
    return this.settle(id, attempt, 'pending', dueAt, error, now);
  }
  markFailed(id: number, attempt: number, error: string, now: number) {
    return this.settle(id, attempt, 'failed', null, error, now);
  }
  markUnknown(id: number, attempt: number, error: string, now: number) {
    return this.settle(id, attempt, 'unknown', null, error, now);
  }

  async finishUnsent(id: number, owner: string, status: 'skipped' | 'expired' | 'cancelled', reason: string, now: number): Promise<boolean> {
    const n = await this.ex.run(
      `UPDATE sms_outbox SET status = ?, last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
        WHERE business_id = ? AND id = ? AND status = 'pending' AND lease_owner = ?`,
      [status, reason, now, this.biz, id, owner],
    );
    return n === 1;
  }

  async requeue(id: number, now: number): Promise<boolean> {
    const n = await this.ex.run(
      `UPDATE sms_outbox SET status = 'pending', attempts = 0, due_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
        WHERE business_id = ? AND id = ? AND status IN ('failed', 'unknown')`,
      [now, now, this.biz, id],
    );
    return n === 1;
  }

  get(id: number) {
    return this.ex.get<OutboxRow>('SELECT * FROM sms_outbox WHERE business_id = ? AND id = ?', [this.biz, id]);
  }

  byKey(key: string) {
    return this.ex.get<OutboxRow>('SELECT * FROM sms_outbox WHERE business_id = ? AND dedupe_key = ?', [this.biz, key]);
  }

  forAppointment(appointmentId: string) {
    return this.ex.all<OutboxRow>('SELECT * FROM sms_outbox WHERE business_id = ? AND appointment_id = ? ORDER BY due_at, id', [this.biz, appointmentId]);
  }

  async counts(): Promise<Record<OutboxStatus, number>> {
    const out = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
    const rows = await this.ex.all<{ status: OutboxStatus; n: number }>('SELECT status, COUNT(*) AS n FROM sms_outbox WHERE business_id = ? GROUP BY status', [this.biz]);
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  async nextDue(): Promise<number | undefined> {
    const r = await this.ex.get<{ t: number | null }>(`SELECT MIN(due_at) AS t FROM sms_outbox WHERE business_id = ? AND status = 'pending'`, [this.biz]);
    return r?.t ?? undefined;
  }

  list(opts: { status?: OutboxStatus | undefined; limit: number; before?: number | undefined }): Promise<OutboxRow[]> {
    return this.ex.all<OutboxRow>(
      `SELECT * FROM sms_outbox WHERE business_id = ? AND (CAST(? AS TEXT) IS NULL OR status = ?) AND id < ? ORDER BY id DESC LIMIT ?`,
      [this.biz, opts.status ?? null, opts.status ?? null, opts.before ?? Number.MAX_SAFE_INTEGER, opts.limit],
    );
  }
}

// ---------------------------------------------------------------- callbacks

interface CallbackRow {
  id: string;
  status: CallbackStatus;
  urgency: CallbackUrgency;
  customer_name: string;
  customer_phone: string;
  reason: string;
  preferred_time: string | null;
  service_id: string | null;
  assignee_id: string | null;
  due_at: number;
  next_attempt_at: number | null;
  attempts: number;
  last_outcome: string | null;
  overdue_at: number | null;
  source: string | null;
  created_at: number;
  updated_at: number;
}

const num = (v: number | null) => (v === null ? null : Number(v));

function callbackFrom(r: CallbackRow): Callback {
  return {
    id: r.id,
    status: r.status,
    urgency: r.urgency,
    customerName: r.customer_name,
    customerPhone: r.customer_phone,
    reason: r.reason,
    preferredTime: r.preferred_time,
    serviceId: r.service_id,
    assigneeId: r.assignee_id,
    dueAt: Number(r.due_at),
    nextAttemptAt: num(r.next_attempt_at),
    attempts: Number(r.attempts),
    lastOutcome: r.last_outcome,
    overdueAt: num(r.overdue_at),
    source: r.source,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const CALLBACK_COLUMNS = `id, status, urgency, customer_name, customer_phone, reason, preferred_time, service_id, assignee_id, due_at, next_attempt_at,
  attempts, last_outcome, overdue_at, source, created_at, updated_at`;
/** Urgent first; the same order as CALLBACK_URGENCIES. */
const URGENCY_RANK = `CASE urgency WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`;

class Callbacks implements CallbackRepo {
  constructor(
    private readonly biz: string,
    private readonly ex: Executor,
    private readonly atomic: Atomic,
  ) {}

  lastAssigned(): Promise<Map<string, number>> {
    return this.atomic(async ({ ex }) => {
      await ex.lock(`callbacks:${this.biz}`);
      const rows = await ex.all<{ assignee_id: string; t: number }>(
        'SELECT assignee_id, MAX(created_at) AS t FROM callbacks WHERE business_id = ? AND assignee_id IS NOT NULL GROUP BY assignee_id',
        [this.biz],
      );
      return new Map(rows.map((r) => [r.assignee_id, Number(r.t)]));
    });
  }

  async openByPhone(phone: string): Promise<Callback | undefined> {
    const r = await this.ex.get<CallbackRow>(
      `SELECT ${CALLBACK_COLUMNS} FROM callbacks WHERE business_id = ? AND customer_phone = ? AND status IN ('pending', 'no_answer') ORDER BY created_at DESC LIMIT 1`,
      [this.biz, phone],
    );
    return r ? callbackFrom(r) : undefined;
  }

  async insert(c: NewCallback, now: number): Promise<Callback> {
    const r = await this.ex.get<CallbackRow>(
      `INSERT INTO callbacks (business_id, id, status, urgency, customer_name, customer_phone, reason, preferred_time, service_id, assignee_id,
         due_at, attempts, source, created_at, updated_at)
       VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
       RETURNING ${CALLBACK_COLUMNS}`,
      [this.biz, c.id, c.urgency, c.customerName, c.customerPhone, c.reason, c.preferredTime, c.serviceId, c.assigneeId, c.dueAt, c.source, now, now],
    );
    return callbackFrom(r!);
  }

  async merge(id: string, m: Pick<Callback, 'urgency' | 'customerName' | 'reason' | 'preferredTime' | 'serviceId' | 'dueAt'>, now: number): Promise<Callback | undefined> {
    const r = await this.ex.get<CallbackRow>(
      // A promise moved ahead of now is a new window: the overdue mark of the old one is lifted.
      `UPDATE callbacks SET urgency = ?, customer_name = ?, reason = ?, preferred_time = ?, service_id = ?, due_at = ?, updated_at = ?,
         overdue_at = CASE WHEN due_at <> ? AND CAST(? AS BIGINT) > CAST(? AS BIGINT) THEN NULL ELSE overdue_at END
        WHERE business_id = ? AND id = ? AND status IN ('pending', 'no_answer')
       RETURNING ${CALLBACK_COLUMNS}`,
      [m.urgency, m.customerName, m.reason, m.preferredTime, m.serviceId, m.dueAt, now, m.dueAt, m.dueAt, now, this.biz, id],
    );
    return r ? callbackFrom(r) : undefined;
  }

  async get(id: string): Promise<Callback | undefined> {
    const r = await this.ex.get<CallbackRow>(`SELECT ${CALLBACK_COLUMNS} FROM callbacks WHERE business_id = ? AND id = ?`, [this.biz, id]);
    return r ? callbackFrom(r) : undefined;
  }

  async transition(
    id: string,
    from: CallbackStatus,
    c: { status: CallbackStatus; attempts: number; nextAttemptAt: number | null; lastOutcome: string | null },
    now: number,
  ): Promise<Callback | undefined> {
    const r = await this.ex.get<CallbackRow>(
      `UPDATE callbacks SET status = ?, attempts = ?, next_attempt_at = ?, last_outcome = ?, updated_at = ?
        WHERE business_id = ? AND id = ? AND status = ?
       RETURNING ${CALLBACK_COLUMNS}`,
      [c.status, c.attempts, c.nextAttemptAt, c.lastOutcome, now, this.biz, id, from],
    );
    return r ? callbackFrom(r) : undefined;
  }

  async addEvent(id: string, e: CallbackEvent): Promise<void> {
    await this.ex.run(
      'INSERT INTO callback_events (business_id, callback_id, at_ms, from_status, to_status, actor, notes, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      [this.biz, id, e.at, e.fromStatus, e.toStatus, e.actor, e.notes, e.outcome],
    );
  }

  async events(id: string): Promise<CallbackEvent[]> {
    const rows = await this.ex.all<{ at_ms: number; from_status: CallbackStatus | null; to_status: CallbackStatus; actor: string; notes: string | null; outcome: string | null }>(
      'SELECT at_ms, from_status, to_status, actor, notes, outcome FROM callback_events WHERE business_id = ? AND callback_id = ? ORDER BY at_ms, id',
      [this.biz, id],
    );
    return rows.map((r) => ({ at: Number(r.at_ms), fromStatus: r.from_status, toStatus: r.to_status, actor: r.actor, notes: r.notes, outcome: r.outcome }));
  }

  async list(f: CallbackFilter): Promise<Callback[]> {
    const where = ['business_id = ?'];
    const params: Param[] = [this.biz];
    if (f.status) {
      where.push('status = ?');
      params.push(f.status);
    }
    if (f.urgency) {
      where.push('urgency = ?');
      params.push(f.urgency);
    }
    // Overdue = marked by the sweep and still waiting; once someone calls, it is no longer overdue.
    const overdue = `(overdue_at IS NOT NULL AND status IN ('pending', 'no_answer'))`;
    if (f.overdue !== undefined) where.push(f.overdue ? overdue : `NOT ${overdue}`);
    if (f.assigneeId) {
      where.push('assignee_id = ?');
      params.push(f.assigneeId);
    }
    params.push(f.limit);
    const rows = await this.ex.all<CallbackRow>(`SELECT ${CALLBACK_COLUMNS} FROM callbacks WHERE ${where.join(' AND ')} ORDER BY ${URGENCY_RANK}, due_at, id LIMIT ?`, params);
    return rows.map(callbackFrom);
  }

  async markOverdue(now: number): Promise<Callback[]> {
    // One UPDATE: whichever instance runs it first marks each row, and only that one hears of it.
    const rows = await this.ex.all<CallbackRow>(
      `UPDATE callbacks SET overdue_at = ?, updated_at = ?
        WHERE business_id = ? AND status = 'pending' AND overdue_at IS NULL AND due_at <= ?
       RETURNING ${CALLBACK_COLUMNS}`,
      [now, now, this.biz, now],
    );
    return rows.map(callbackFrom).sort((a, b) => a.dueAt - b.dueAt);
  }

  async markRetryMissed(now: number): Promise<Callback[]> {
    // Also marks it overdue, so the admin list's overdue filter shows it until someone calls.
    const rows = await this.ex.all<CallbackRow>(
      `UPDATE callbacks SET escalated_attempt_at = next_attempt_at, overdue_at = COALESCE(overdue_at, ?), updated_at = ?
        WHERE business_id = ? AND status = 'no_answer' AND next_attempt_at <= ?
          AND (escalated_attempt_at IS NULL OR escalated_attempt_at <> next_attempt_at)
       RETURNING ${CALLBACK_COLUMNS}`,
      [now, now, this.biz, now],
    );
    return rows.map(callbackFrom).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
  }
}

// ---------------------------------------------------------------- invites

class Invites implements InviteRepo {
  constructor(
    private readonly biz: string,
    private readonly atomic: Atomic,
  ) {}

  next(appointmentId: string, now: number, inheritFrom?: string): Promise<{ uid: string; sequence: number }> {
    return this.atomic(async ({ ex }) => {
      const from = inheritFrom && inheritFrom !== appointmentId
        ? await ex.get<{ uid: string; sequence: number }>('SELECT uid, sequence FROM invites WHERE business_id = ? AND appointment_id = ?', [this.biz, inheritFrom])
        : undefined;
      const uid = from?.uid ?? `${appointmentId}@bookline`;
      const first = from ? Number(from.sequence) + 1 : 0;
      const r = await ex.get<{ uid: string; sequence: number }>(
        `INSERT INTO invites (business_id, appointment_id, uid, sequence, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (business_id, appointment_id) DO UPDATE SET sequence = invites.sequence + 1, updated_at = excluded.updated_at
         RETURNING uid, sequence`,
        [this.biz, appointmentId, uid, first, now],
      );
      return { uid: r!.uid, sequence: Number(r!.sequence) };
    });
  }
}

// ---------------------------------------------------------------- google connections

interface GoogleConnectionRow {
  staff_id: string;
  refresh_token_sealed: string;
  scopes: string;
  account_email: string | null;
  calendar_id: string | null;
  calendar_time_zone: string | null;
  status: GoogleConnectionStatus;
  refresh_expires_at: number | string | null;
  last_check_at: number | string | null;
  last_error: string | null;
  alerted_at: number | string | null;
  connected_at: number | string;
  updated_at: number | string;
}

const msOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

function connectionFrom(r: GoogleConnectionRow): GoogleConnection {
  return {
    staffId: r.staff_id,
    refreshTokenSealed: r.refresh_token_sealed,
    scopes: r.scopes,
    accountEmail: r.account_email,
    calendarId: r.calendar_id,
    calendarTimeZone: r.calendar_time_zone,
    status: r.status,
    refreshExpiresAt: msOrNull(r.refresh_expires_at),
    lastCheckAt: msOrNull(r.last_check_at),
    lastError: r.last_error,
    alertedAt: msOrNull(r.alerted_at),
    connectedAt: Number(r.connected_at),
    updatedAt: Number(r.updated_at),
  };
}

const CONNECTION_COLUMNS = `staff_id, refresh_token_sealed, scopes, account_email, calendar_id, calendar_time_zone, status, refresh_expires_at,
  last_check_at, last_error, alerted_at, connected_at, updated_at`;

class GoogleConnections implements GoogleConnectionRepo {
  constructor(
    private readonly biz: string,
    private readonly ex: Executor,
  ) {}

  async save(c: Parameters<GoogleConnectionRepo['save']>[0], now: number): Promise<GoogleConnection> {
    const r = await this.ex.get<GoogleConnectionRow>(
      `INSERT INTO google_connections (business_id, staff_id, refresh_token_sealed, scopes, account_email, calendar_id, calendar_time_zone, status,
         refresh_expires_at, connected_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'healthy', ?, ?, ?)
       ON CONFLICT (business_id, staff_id) DO UPDATE SET refresh_token_sealed = excluded.refresh_token_sealed, scopes = excluded.scopes,
         account_email = excluded.account_email, calendar_id = excluded.calendar_id, calendar_time_zone = excluded.calendar_time_zone,
         status = 'healthy', refresh_expires_at = excluded.refresh_expires_at, last_error = NULL, alerted_at = NULL,
         connected_at = excluded.connected_at, updated_at = excluded.updated_at
       RETURNING ${CONNECTION_COLUMNS}`,
      [this.biz, c.staffId, c.refreshTokenSealed, c.scopes, c.accountEmail, c.calendarId, c.calendarTimeZone, c.refreshExpiresAt, c.connectedAt, now],
    );
    return connectionFrom(r!);
  }

  async get(staffId: string): Promise<GoogleConnection | undefined> {
    const r = await this.ex.get<GoogleConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM google_connections WHERE business_id = ? AND staff_id = ?`, [this.biz, staffId]);
    return r && connectionFrom(r);
  }

  async list(): Promise<GoogleConnection[]> {
    const rows = await this.ex.all<GoogleConnectionRow>(`SELECT ${CONNECTION_COLUMNS} FROM google_connections WHERE business_id = ? ORDER BY staff_id`, [this.biz]);
    return rows.map(connectionFrom);
  }

  async setCalendar(staffId: string, calendarId: string, timeZone: string | null, now: number): Promise<GoogleConnection | undefined> {
    const r = await this.ex.get<GoogleConnectionRow>(
      `UPDATE google_connections SET calendar_id = ?, calendar_time_zone = ?, updated_at = ? WHERE business_id = ? AND staff_id = ? RETURNING ${CONNECTION_COLUMNS}`,
      [calendarId, timeZone, now, this.biz, staffId],
    );
    return r && connectionFrom(r);
  }

  async recordCheck(staffId: string, change: { status: GoogleConnectionStatus; error: string | null; alerted?: boolean }, now: number): Promise<void> {
    await this.ex.run(
      `UPDATE google_connections SET status = ?, last_error = ?, last_check_at = ?, updated_at = ?, alerted_at = CASE WHEN ? = 1 THEN ? ELSE alerted_at END
        WHERE business_id = ? AND staff_id = ?`,
      [change.status, change.error, now, now, change.alerted ? 1 : 0, now, this.biz, staffId],
    );
  }

  async remove(staffId: string): Promise<boolean> {
    return (await this.ex.run('DELETE FROM google_connections WHERE business_id = ? AND staff_id = ?', [this.biz, staffId])) > 0;
  }

  async audit(staffId: string, e: { ok: boolean; error: string | null; actor: string }, now: number): Promise<void> {
    await this.ex.run('INSERT INTO google_connection_audit (business_id, staff_id, at_ms, ok, error, actor) VALUES (?, ?, ?, ?, ?, ?)', [
      this.biz,
      staffId,
      now,
      e.ok ? 1 : 0,
      e.error,
      e.actor,
    ]);
  }

  async auditLog(staffId: string, limit: number): Promise<{ at: number; ok: boolean; error: string | null; actor: string }[]> {
    const rows = await this.ex.all<{ at_ms: number | string; ok: number; error: string | null; actor: string }>(
      'SELECT at_ms, ok, error, actor FROM google_connection_audit WHERE business_id = ? AND staff_id = ? ORDER BY at_ms DESC, id DESC LIMIT ?',
      [this.biz, staffId, limit],
    );
    return rows.map((r) => ({ at: Number(r.at_ms), ok: Number(r.ok) === 1, error: r.error, actor: r.actor }));
  }

  async takeLease(staffId: string, owner: string, now: number, ttlMs: number): Promise<boolean> {
    // One conditional UPDATE: both engines apply it atomically per row, so two takers never both win.
    const n = await this.ex.run(
      `UPDATE google_connections SET lease_owner = ?, lease_until = ?
        WHERE business_id = ? AND staff_id = ? AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)`,
      [owner, now + ttlMs, this.biz, staffId, now, owner],
    );
    return n > 0;
  }

  async releaseLease(staffId: string, owner: string): Promise<void> {
    await this.ex.run('UPDATE google_connections SET lease_owner = NULL, lease_until = NULL WHERE business_id = ? AND staff_id = ? AND lease_owner = ?', [
      this.biz,
      staffId,
      owner,
    ]);
  }

  async putNonce(n: { nonce: string; kind: OAuthStateKind; staffId: string; secretSealed: string | null; expiresAt: number }, now: number): Promise<void> {
    // Expired nonces are purged on write: the table holds only flows started in the last minutes.
    await this.ex.run('DELETE FROM oauth_nonces WHERE business_id = ? AND expires_at < ?', [this.biz, now]);
    await this.ex.run('INSERT INTO oauth_nonces (business_id, nonce, kind, staff_id, secret_sealed, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      this.biz,
      n.nonce,
      n.kind,
      n.staffId,
      n.secretSealed,
      n.expiresAt,
      now,
    ]);
  }

  async consumeNonce(nonce: string, kind: OAuthStateKind, now: number): Promise<{ staffId: string; secretSealed: string | null } | undefined> {
    // DELETE ... RETURNING: of two requests presenting the same nonce, exactly one gets the row.
    const r = await this.ex.get<{ staff_id: string; secret_sealed: string | null; expires_at: number | string }>(
      'DELETE FROM oauth_nonces WHERE business_id = ? AND nonce = ? AND kind = ? RETURNING staff_id, secret_sealed, expires_at',
      [this.biz, nonce, kind],
    );
    if (!r || Number(r.expires_at) < now) return undefined;
    return { staffId: r.staff_id, secretSealed: r.secret_sealed };
  }
}

// ---------------------------------------------------------------- remote calendar sync

interface CalendarSyncRow {
  calendar_id: string;
  sync_token: string | null;
  synced_at: number | null;
  requested_at: number | null;
  last_error: string | null;
  error_count: number;
  full_syncs: number;
  mirror_ready: number;
}

interface ChannelRow {
  channel_id: string;
  calendar_id: string;
  resource_id: string;
  token: string;
  expiration: number;
  created_at: number;
  stopped_at: number | null;
}

interface ConflictRow {
  appointment_id: string;
  calendar_id: string;
  event_id: string;
  remote_start: number;
  remote_end: number;
  other_appointment_id: string | null;
  detected_at: number;
  resolved_at: number | null;
}

const syncStateFrom = (r: CalendarSyncRow): CalendarSyncState => ({
  calendarId: r.calendar_id,
  syncToken: r.sync_token,
  syncedAt: r.synced_at,
  requestedAt: r.requested_at,
  lastError: r.last_error,
  errorCount: Number(r.error_count),
  fullSyncs: Number(r.full_syncs),
  mirrorReady: Number(r.mirror_ready) === 1,
});

const channelFrom = (r: ChannelRow): WatchChannel => ({
  channelId: r.channel_id,
  calendarId: r.calendar_id,
  resourceId: r.resource_id,
  token: r.token,
  expiration: r.expiration,
  createdAt: r.created_at,
  stoppedAt: r.stopped_at,
});

const conflictFrom = (r: ConflictRow): SyncConflict => ({
  appointmentId: r.appointment_id,
  calendarId: r.calendar_id,
  eventId: r.event_id,
  remoteStart: r.remote_start,
  remoteEnd: r.remote_end,
  otherAppointmentId: r.other_appointment_id,
  detectedAt: r.detected_at,
  resolvedAt: r.resolved_at,
});

const SYNC_COLUMNS = 'calendar_id, sync_token, synced_at, requested_at, last_error, error_count, full_syncs, mirror_ready';
const CHANNEL_COLUMNS = 'channel_id, calendar_id, resource_id, token, expiration, created_at, stopped_at';
const CONFLICT_COLUMNS = 'appointment_id, calendar_id, event_id, remote_start, remote_end, other_appointment_id, detected_at, resolved_at';

class CalendarSync implements CalendarSyncRepo {
  constructor(
    private readonly biz: string,
    private readonly ex: Executor,
  ) {}

  private ensureRow(calendarId: string): Promise<number> {
    return this.ex.run('INSERT INTO calendar_sync (business_id, calendar_id) VALUES (?, ?) ON CONFLICT (business_id, calendar_id) DO NOTHING', [this.biz, calendarId]);
  }

  async state(calendarId: string): Promise<CalendarSyncState | undefined> {
    const r = await this.ex.get<CalendarSyncRow>(`SELECT ${SYNC_COLUMNS} FROM calendar_sync WHERE business_id = ? AND calendar_id = ?`, [this.biz, calendarId]);
    return r ? syncStateFrom(r) : undefined;
  }

  async states(): Promise<CalendarSyncState[]> {
    const rows = await this.ex.all<CalendarSyncRow>(`SELECT ${SYNC_COLUMNS} FROM calendar_sync WHERE business_id = ? ORDER BY calendar_id`, [this.biz]);
    return rows.map(syncStateFrom);
  }

  async acquire(calendarId: string, owner: string, now: number, leaseMs: number): Promise<number | undefined> {
    await this.ensureRow(calendarId);
    // One conditional UPDATE is the compare-and-set on both engines: of two instances racing, one changes the row.
    const r = await this.ex.get<{ request_seq: number }>(
      `UPDATE calendar_sync SET lease_owner = ?, lease_until = ?
        WHERE business_id = ? AND calendar_id = ? AND (lease_owner IS NULL OR lease_until < ? OR lease_owner = ?)
        RETURNING request_seq`,
      [owner, now + leaseMs, this.biz, calendarId, now, owner],
    );
    return r ? Number(r.request_seq) : undefined;
  }

  async finish(calendarId: string, owner: string, seenRequests: number, outcome: { syncToken?: string | null; fullSync?: boolean; error?: string }, now: number): Promise<boolean> {
    if (outcome.error !== undefined) {
      await this.ex.run(
        `UPDATE calendar_sync SET lease_owner = NULL, lease_until = NULL, last_error = ?, error_count = error_count + 1
          WHERE business_id = ? AND calendar_id = ? AND lease_owner = ?`,
        [outcome.error.slice(0, 500), this.biz, calendarId, owner],
      );
    } else {
      await this.ex.run(
        `UPDATE calendar_sync SET lease_owner = NULL, lease_until = NULL, last_error = NULL, error_count = 0, synced_at = ?,
           sync_token = CASE WHEN ? = 1 THEN ? ELSE sync_token END, full_syncs = full_syncs + ?,
           mirror_ready = CASE WHEN ? = 1 THEN 1 ELSE mirror_ready END
          WHERE business_id = ? AND calendar_id = ? AND lease_owner = ?`,
        [now, outcome.syncToken !== undefined ? 1 : 0, outcome.syncToken ?? null, outcome.fullSync ? 1 : 0, outcome.fullSync ? 1 : 0, this.biz, calendarId, owner],
      );
    }
    const r = await this.ex.get<{ request_seq: number }>('SELECT request_seq FROM calendar_sync WHERE business_id = ? AND calendar_id = ?', [this.biz, calendarId]);
    return r !== undefined && Number(r.request_seq) > seenRequests;
  }

  async beginFullSync(calendarId: string): Promise<void> {
    await this.ensureRow(calendarId);
    await this.ex.run('UPDATE calendar_sync SET mirror_ready = 0 WHERE business_id = ? AND calendar_id = ?', [this.biz, calendarId]);
    await this.ex.run('DELETE FROM calendar_busy WHERE business_id = ? AND calendar_id = ?', [this.biz, calendarId]);
  }

  async setBusy(calendarId: string, eventId: string, interval: { start: number; end: number } | null): Promise<void> {
    if (interval === null) {
      await this.ex.run('DELETE FROM calendar_busy WHERE business_id = ? AND calendar_id = ? AND event_id = ?', [this.biz, calendarId, eventId]);
      return;
    }
    await this.ex.run(
      `INSERT INTO calendar_busy (business_id, calendar_id, event_id, start_ms, end_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (business_id, calendar_id, event_id) DO UPDATE SET start_ms = excluded.start_ms, end_ms = excluded.end_ms`,
      [this.biz, calendarId, eventId, interval.start, interval.end],
    );
  }

  async busy(calendarIds: readonly string[], from: number, to: number): Promise<Map<string, { start: number; end: number }[]>> {
    const out = new Map<string, { start: number; end: number }[]>(calendarIds.map((id) => [id, []]));
    if (calendarIds.length === 0) return out;
    const rows = await this.ex.all<{ calendar_id: string; start_ms: number; end_ms: number }>(
      `SELECT calendar_id, start_ms, end_ms FROM calendar_busy
        WHERE business_id = ? AND calendar_id IN (${calendarIds.map(() => '?').join(', ')}) AND end_ms > ? AND start_ms < ?
        ORDER BY start_ms`,
      [this.biz, ...calendarIds, from, to],
    );
    for (const r of rows) out.get(r.calendar_id)?.push({ start: r.start_ms, end: r.end_ms });
    return out;
  }

  async request(calendarId: string, now: number): Promise<void> {
    await this.ensureRow(calendarId);
    await this.ex.run('UPDATE calendar_sync SET requested_at = ?, request_seq = request_seq + 1 WHERE business_id = ? AND calendar_id = ?', [now, this.biz, calendarId]);
  }

  async addChannel(c: WatchChannel): Promise<void> {
    await this.ex.run(
      `INSERT INTO calendar_channels (business_id, channel_id, calendar_id, resource_id, token, expiration, created_at, stopped_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [this.biz, c.channelId, c.calendarId, c.resourceId, c.token, c.expiration, c.createdAt, c.stoppedAt],
    );
  }

  async channel(channelId: string): Promise<WatchChannel | undefined> {
    const r = await this.ex.get<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM calendar_channels WHERE business_id = ? AND channel_id = ?`, [this.biz, channelId]);
    return r ? channelFrom(r) : undefined;
  }

  async liveChannels(calendarId?: string): Promise<WatchChannel[]> {
    const base = `SELECT ${CHANNEL_COLUMNS} FROM calendar_channels WHERE business_id = ? AND stopped_at IS NULL`;
    const rows =
      calendarId === undefined
        ? await this.ex.all<ChannelRow>(`${base} ORDER BY expiration`, [this.biz])
        : await this.ex.all<ChannelRow>(`${base} AND calendar_id = ? ORDER BY expiration`, [this.biz, calendarId]);
    return rows.map(channelFrom);
  }

  async markChannelStopped(channelId: string, now: number): Promise<void> {
    await this.ex.run('UPDATE calendar_channels SET stopped_at = ? WHERE business_id = ? AND channel_id = ? AND stopped_at IS NULL', [now, this.biz, channelId]);
  }

  async recordConflict(c: Omit<SyncConflict, 'resolvedAt'>): Promise<boolean> {
    const n = await this.ex.run(
      `INSERT INTO calendar_conflicts (business_id, appointment_id, calendar_id, event_id, remote_start, remote_end, other_appointment_id, detected_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (business_id, appointment_id, remote_start, remote_end) DO NOTHING`,
      [this.biz, c.appointmentId, c.calendarId, c.eventId, c.remoteStart, c.remoteEnd, c.otherAppointmentId, c.detectedAt],
    );
    return n === 1;
  }

  resolveConflicts(appointmentId: string, now: number): Promise<number> {
    return this.ex.run('UPDATE calendar_conflicts SET resolved_at = ? WHERE business_id = ? AND appointment_id = ? AND resolved_at IS NULL', [now, this.biz, appointmentId]);
  }

  async conflicts(opts: { open?: boolean; limit: number }): Promise<SyncConflict[]> {
    const rows = await this.ex.all<ConflictRow>(
      `SELECT ${CONFLICT_COLUMNS} FROM calendar_conflicts WHERE business_id = ? AND (? = 0 OR resolved_at IS NULL) ORDER BY detected_at DESC LIMIT ?`,
      [this.biz, opts.open ? 1 : 0, opts.limit],
    );
    return rows.map(conflictFrom);
  }
}

// ---------------------------------------------------------------- call context, rate limits

class CallContext implements CallContextRepo {
  constructor(
    private readonly biz: string,
    private readonly ex: Executor,
  ) {}

  async remember(callId: string, caller: string | undefined, now: number, ttlMs: number): Promise<void> {
    // Purging on write keeps the table at about one row per call of the last few hours, with no timer.
    await this.ex.run('DELETE FROM telnyx_calls WHERE created_at < ?', [now - ttlMs]);
    await this.ex.run(
      `INSERT INTO telnyx_calls (business_id, call_control_id, caller, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (business_id, call_control_id) DO UPDATE SET caller = excluded.caller, created_at = excluded.created_at`,
      [this.biz, callId, caller ?? null, now],
    );
  }

  async callerOf(callId: string, now: number, ttlMs: number): Promise<string | undefined> {
    const r = await this.ex.get<{ caller: string | null }>('SELECT caller FROM telnyx_calls WHERE business_id = ? AND call_control_id = ? AND created_at >= ?', [
      this.biz,
      callId,
      now - ttlMs,
    ]);
    return r?.caller ?? undefined;
  }
}

class RateLimits implements RateLimitRepo {
  constructor(
    private readonly biz: string,
    private readonly atomic: Atomic,
  ) {}

  take(key: string, max: number, windowMs: number, now: number): Promise<boolean> {
    if (max <= 0) return Promise.resolve(true);
    return this.atomic(async ({ ex }) => {
      await ex.lock(`rate:${this.biz}:${key}`);
      const since = now - windowMs;
      // Each key keeps only its hits inside the window: the table stays at most `max` rows per key.
      await ex.run('DELETE FROM rate_hits WHERE business_id = ? AND key = ? AND at_ms <= ?', [this.biz, key, since]);
      const r = await ex.get<{ n: number }>('SELECT COUNT(*) AS n FROM rate_hits WHERE business_id = ? AND key = ?', [this.biz, key]);
      if (Number(r?.n ?? 0) >= max) return false;
      await ex.run('INSERT INTO rate_hits (business_id, key, at_ms) VALUES (?, ?, ?)', [this.biz, key, now]);
      return true;
      // A hit forgotten on a power cut only loosens an abuse limit once.
    }, RELAXED);
  }
}

// ---------------------------------------------------------------- businesses (not scoped)

interface BusinessRow {
  id: string;
  slug: string;
  status: BusinessStatus;
  config_json: string;
  secrets_sealed: string | null;
  version: number;
  created_at: number;
  updated_at: number;
}

const businessFrom = (r: BusinessRow): BusinessRecord => ({
  id: r.id,
  slug: r.slug,
  status: r.status,
  configJson: r.config_json,
  secretsSealed: r.secrets_sealed,
  version: Number(r.version),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export function businessRecords(driver: Driver): BusinessRecordRepo {
  const ex = driver.auto;
  const get = async (id: string) => {
    const r = await ex.get<BusinessRow>('SELECT * FROM businesses WHERE id = ?', [id]);
    return r ? businessFrom(r) : undefined;
  };
  return {
    async create(r, now) {
      const n = await ex.run(
        `INSERT INTO businesses (id, slug, status, config_json, secrets_sealed, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT DO NOTHING`,
        [r.id, r.slug, r.status, r.configJson, r.secretsSealed, now, now],
      );
      return n === 1;
    },
    update(id, change, now) {
      return driver.transaction(async (tx) => {
        const cur = await tx.get<BusinessRow>('SELECT * FROM businesses WHERE id = ?', [id]);
        if (!cur) return undefined;
        const next = {
          slug: change.slug ?? cur.slug,
          status: change.status ?? cur.status,
          config_json: change.configJson ?? cur.config_json,
          secrets_sealed: change.secretsSealed !== undefined ? change.secretsSealed : cur.secrets_sealed,
        };
        await tx.run(`UPDATE businesses SET slug = ?, status = ?, config_json = ?, secrets_sealed = ?, version = version + 1, updated_at = ? WHERE id = ?`, [
          next.slug,
          next.status,
          next.config_json,
          next.secrets_sealed,
          now,
          id,
        ]);
        const r = await tx.get<BusinessRow>('SELECT * FROM businesses WHERE id = ?', [id]);
        return r ? businessFrom(r) : undefined;
      });
    },
    get,
    async bySlug(slug) {
      const r = await ex.get<BusinessRow>('SELECT * FROM businesses WHERE slug = ?', [slug]);
      return r ? businessFrom(r) : undefined;
    },
    async list() {
      return (await ex.all<BusinessRow>('SELECT * FROM businesses ORDER BY slug')).map(businessFrom);
    },
    async versions() {
      const rows = await ex.all<{ id: string; version: number }>('SELECT id, version FROM businesses');
      return new Map(rows.map((r) => [r.id, Number(r.version)]));
    },
  };
}
