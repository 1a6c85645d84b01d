/**
 * The SMS outbox: every message is a row written in the same SQLite transaction as the appointment
 * change that caused it, and a worker sends rows when they fall due.
 *
 * Row life cycle:
 *
 *   pending ──claim (lease)──> pending+lease ──beginAttempt──> sending ──> sent
 *      ^                            │                              ├──> pending (definitely not sent; retry later)
 *      │                            ├──> skipped (no provider)     ├──> failed  (rejected, or out of attempts)
 *      │                            ├──> expired (reminder whose   └──> unknown (no answer: may or may not be out)
 *      │                            │    appointment has started)
 *   cancelled <── appointment moved/cancelled (pending rows only)
 *
 * `sending` is committed BEFORE the provider is called. A row found in `sending` with an expired lease
 * was being sent by a worker that died or hung: whether the SMS left is unknown, and what happens
 * next is a policy (see `recoverAbandoned`). The attempt counter doubles as a fencing token: a late
 * worker can only record the outcome of the attempt it made.
 */
import type { Db } from '../store/db.js';
import { migrateNamespace } from '../store/db.js';

export const OUTBOX_MIGRATIONS = [
  `
  CREATE TABLE sms_outbox (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key           TEXT NOT NULL UNIQUE,
    appointment_id       TEXT,
    kind                 TEXT NOT NULL CHECK (kind IN ('booked', 'rescheduled', 'cancelled', 'reminder')),
    audience             TEXT NOT NULL CHECK (audience IN ('customer', 'staff')),
    offset_minutes       INTEGER,
    appointment_start_ms INTEGER,
    to_phone             TEXT NOT NULL,
    body                 TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'cancelled', 'skipped', 'expired')),
    due_at               INTEGER NOT NULL,
    expires_at           INTEGER,
    attempts             INTEGER NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    lease_until          INTEGER,
    provider             TEXT,
    provider_message_id  TEXT,
    last_error           TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    sent_at              INTEGER
  );
  CREATE INDEX sms_outbox_due ON sms_outbox (due_at) WHERE status = 'pending';
  CREATE INDEX sms_outbox_inflight ON sms_outbox (lease_until) WHERE status = 'sending';
  CREATE INDEX sms_outbox_appointment ON sms_outbox (appointment_id) WHERE status = 'pending';
  CREATE INDEX sms_outbox_status ON sms_outbox (status, id);
  `,
] as const;

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'unknown' | 'cancelled' | 'skipped' | 'expired';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'sending', 'sent', 'failed', 'unknown', 'cancelled', 'skipped', 'expired'];
export type MessageKind = 'booked' | 'rescheduled' | 'cancelled' | 'reminder';

export interface NewMessage {
  /** Same key = same message: a second enqueue is ignored (or revives a cancelled reminder). */
  dedupeKey: string;
  appointmentId: string | null;
  kind: MessageKind;
  audience: 'customer' | 'staff';
  offsetMinutes?: number | null;
  appointmentStart?: number | null;
  to: string;
  body: string;
  dueAt: number;
  /** Not sent at or after this instant (a reminder once the appointment has started). */
  expiresAt?: number | null;
}

export interface OutboxRow {
  id: number;
  dedupe_key: string;
  appointment_id: string | null;
  kind: MessageKind;
  audience: 'customer' | 'staff';
  offset_minutes: number | null;
  appointment_start_ms: number | null;
  to_phone: string;
  body: string;
  status: OutboxStatus;
  due_at: number;
  expires_at: number | null;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  provider: string | null;
  provider_message_id: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  sent_at: number | null;
}

export type EnqueueResult = 'inserted' | 'revived' | 'exists';

const ERROR_MAX = 500;
const clip = (s: string) => (s.length > ERROR_MAX ? `${s.slice(0, ERROR_MAX - 1)}…` : s);

export class Outbox {
  private readonly s;

  constructor(readonly db: Db) {
    migrateNamespace(db, 'notifications', OUTBOX_MIGRATIONS);
    this.s = {
      insert: db.prepare(
        `INSERT INTO sms_outbox (dedupe_key, appointment_id, kind, audience, offset_minutes, appointment_start_ms, to_phone, body,
           status, due_at, expires_at, created_at, updated_at)
         VALUES (@dedupeKey, @appointmentId, @kind, @audience, @offsetMinutes, @appointmentStart, @to, @body,
           'pending', @dueAt, @expiresAt, @now, @now)
         ON CONFLICT (dedupe_key) DO NOTHING`,
      ),
      // A reminder cancelled by a move comes back if the appointment moves back to the same time:
      // same key, same text, and it was never sent. Any other state (sent above all) is final.
      revive: db.prepare(
        `UPDATE sms_outbox SET status = 'pending', body = @body, to_phone = @to, due_at = @dueAt, expires_at = @expiresAt,
           attempts = 0, lease_owner = NULL, lease_until = NULL, last_error = NULL, updated_at = @now
         WHERE dedupe_key = @dedupeKey AND status = 'cancelled'`,
      ),
      cancelReminders: db.prepare<[number, string]>(
        `UPDATE sms_outbox SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, updated_at = ?
          WHERE appointment_id = ? AND kind = 'reminder' AND status = 'pending'`,
      ),
      claim: db.prepare<{ owner: string; now: number; until: number; limit: number }, OutboxRow>(
        `UPDATE sms_outbox SET lease_owner = @owner, lease_until = @until
          WHERE id IN (
            SELECT id FROM sms_outbox
             WHERE status = 'pending' AND due_at <= @now AND (lease_until IS NULL OR lease_until < @now)
             ORDER BY due_at, id LIMIT @limit)
         RETURNING *`,
      ),
      abandoned: db.prepare<[number], OutboxRow>(`SELECT * FROM sms_outbox WHERE status = 'sending' AND lease_until < ?`),
      begin: db.prepare<{ id: number; owner: string; now: number; until: number }, { attempts: number }>(
        `UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1, lease_until = @until, updated_at = @now
          WHERE id = @id AND status = 'pending' AND lease_owner = @owner
         RETURNING attempts`,
      ),
      // Fenced by the attempt number, not the lease: a worker that overran its lease but did get a
      // message id still records it, unless a later attempt has started (which then owns the row).
      sent: db.prepare<{ id: number; attempt: number; provider: string; providerId: string; now: number }>(
        `UPDATE sms_outbox SET status = 'sent', provider = @provider, provider_message_id = @providerId, sent_at = @now,
           last_error = NULL, lease_owner = NULL, lease_until = NULL, updated_at = @now
          WHERE id = @id AND attempts = @attempt AND status IN ('sending', 'unknown', 'pending')`,
      ),
      settle: db.prepare<{ id: number; attempt: number; status: OutboxStatus; dueAt: number | null; error: string; now: number }>(
        `UPDATE sms_outbox SET status = @status, due_at = COALESCE(@dueAt, due_at), last_error = @error,
           lease_owner = NULL, lease_until = NULL, updated_at = @now
          WHERE id = @id AND attempts = @attempt AND status = 'sending'`,
      ),
      finishUnsent: db.prepare<{ id: number; owner: string; status: OutboxStatus; error: string | null; now: number }>(
        `UPDATE sms_outbox SET status = @status, last_error = @error, lease_owner = NULL, lease_until = NULL, updated_at = @now
          WHERE id = @id AND status = 'pending' AND lease_owner = @owner`,
      ),
      recover: db.prepare<{ id: number; attempt: number; status: OutboxStatus; error: string; now: number }>(
        `UPDATE sms_outbox SET status = @status, last_error = @error, lease_owner = NULL, lease_until = NULL, updated_at = @now
          WHERE id = @id AND attempts = @attempt AND status = 'sending'`,
      ),
      requeue: db.prepare<{ id: number; now: number }>(
        `UPDATE sms_outbox SET status = 'pending', attempts = 0, due_at = @now, lease_owner = NULL, lease_until = NULL, updated_at = @now
          WHERE id = @id AND status IN ('failed', 'unknown')`,
      ),
      appointment: db.prepare<[string], { status: string; start_ms: number }>('SELECT status, start_ms FROM appointments WHERE id = ?'),
      get: db.prepare<[number], OutboxRow>('SELECT * FROM sms_outbox WHERE id = ?'),
      byKey: db.prepare<[string], OutboxRow>('SELECT * FROM sms_outbox WHERE dedupe_key = ?'),
      byAppointment: db.prepare<[string], OutboxRow>('SELECT * FROM sms_outbox WHERE appointment_id = ? ORDER BY due_at, id'),
      counts: db.prepare<[], { status: OutboxStatus; n: number }>('SELECT status, COUNT(*) AS n FROM sms_outbox GROUP BY status'),
      nextDue: db.prepare<[], { t: number | null }>(`SELECT MIN(due_at) AS t FROM sms_outbox WHERE status = 'pending'`),
    };
  }

  /** Runs inside the caller's transaction when there is one (appointment change listeners). */
  enqueue(m: NewMessage, now: number): EnqueueResult {
    const params = {
      dedupeKey: m.dedupeKey,
      appointmentId: m.appointmentId,
      kind: m.kind,
      audience: m.audience,
      offsetMinutes: m.offsetMinutes ?? null,
      appointmentStart: m.appointmentStart ?? null,
      to: m.to,
      body: m.body,
      dueAt: m.dueAt,
      expiresAt: m.expiresAt ?? null,
      now,
    };
    if (this.s.insert.run(params).changes === 1) return 'inserted';
    const { dedupeKey, body, to, dueAt, expiresAt } = params;
    return this.s.revive.run({ dedupeKey, body, to, dueAt, expiresAt, now }).changes === 1 ? 'revived' : 'exists';
  }

  /** Pending reminders of an appointment stop; one already in flight cannot be called back. */
  cancelPendingReminders(appointmentId: string, now: number): number {
    return this.s.cancelReminders.run(now, appointmentId).changes;
  }

  /**
   * Leases up to `limit` due rows to `owner`. IMMEDIATE takes SQLite's write lock before reading, so
   * two workers (threads or processes on one file) can never lease the same row.
   */
  claim(owner: string, now: number, leaseMs: number, limit: number): OutboxRow[] {
    return this.db.transaction(() => this.s.claim.all({ owner, now, until: now + leaseMs, limit })).immediate();
  }

  /**
   * Rows left in `sending` past their lease: the worker died or hung between "about to call the
   * provider" and "recorded the answer". With `resend` false they become `unknown` (at most once);
   * with `resend` true they go back to pending while attempts remain (at least once).
   */
  recoverAbandoned(now: number, opts: { resend: boolean; maxAttempts: number }): OutboxRow[] {
    return this.db
      .transaction(() => {
        const rows = this.s.abandoned.all(now);
        const error = 'interrupted while sending: the provider may or may not have accepted it';
        for (const r of rows) {
          const status: OutboxStatus = opts.resend ? (r.attempts < opts.maxAttempts ? 'pending' : 'failed') : 'unknown';
          this.s.recover.run({ id: r.id, attempt: r.attempts, status, error, now });
          r.status = status;
        }
        return rows;
      })
      .immediate();
  }

  /** Commits the intent to call the provider. Returns the attempt number, or undefined if the row was taken away. */
  beginAttempt(id: number, owner: string, now: number, leaseMs: number): number | undefined {
    return this.db.transaction(() => this.s.begin.get({ id, owner, now, until: now + leaseMs })?.attempts).immediate();
  }

  markSent(id: number, attempt: number, provider: string, providerId: string, now: number): boolean {
    return this.s.sent.run({ id, attempt, provider, providerId, now }).changes === 1;
  }

  /** Definitely not sent: try again at `dueAt`. */
  markRetry(id: number, attempt: number, dueAt: number, error: string, now: number): boolean {
    return this.s.settle.run({ id, attempt, status: 'pending', dueAt, error: clip(error), now }).changes === 1;
  }

  markFailed(id: number, attempt: number, error: string, now: number): boolean {
    return this.s.settle.run({ id, attempt, status: 'failed', dueAt: null, error: clip(error), now }).changes === 1;
  }

  markUnknown(id: number, attempt: number, error: string, now: number): boolean {
    return this.s.settle.run({ id, attempt, status: 'unknown', dueAt: null, error: clip(error), now }).changes === 1;
  }

  /**
   * False when a reminder no longer matches its appointment (cancelled, or moved) even though no
   * change listener cancelled it: a crash between a move and its announcement, or a write path
   * that emits nothing. Rows without an appointment record are not second-guessed.
   */
  reminderStillValid(row: OutboxRow): boolean {
    if (row.kind !== 'reminder' || row.appointment_id === null) return true;
    const a = this.s.appointment.get(row.appointment_id);
    return !a || (a.status === 'confirmed' && a.start_ms === row.appointment_start_ms);
  }

  /** Closes a leased row without calling the provider (skipped, expired, or a stale reminder). */
  finishUnsent(id: number, owner: string, status: 'skipped' | 'expired' | 'cancelled', reason: string, now: number): boolean {
    return this.s.finishUnsent.run({ id, owner, status, error: reason, now }).changes === 1;
  }

  /** Operator action: send a failed or unknown message again (accepting a possible duplicate for `unknown`). */
  requeue(id: number, now: number): boolean {
    return this.s.requeue.run({ id, now }).changes === 1;
  }

  get(id: number): OutboxRow | undefined {
    return this.s.get.get(id);
  }

  byKey(key: string): OutboxRow | undefined {
    return this.s.byKey.get(key);
  }

  forAppointment(appointmentId: string): OutboxRow[] {
    return this.s.byAppointment.all(appointmentId);
  }

  counts(): Record<OutboxStatus, number> {
    const out = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
    for (const r of this.s.counts.all()) out[r.status] = r.n;
    return out;
  }

  nextDue(): number | undefined {
    return this.s.nextDue.get()?.t ?? undefined;
  }

  list(opts: { status?: OutboxStatus | undefined; limit: number; before?: number | undefined }): OutboxRow[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (opts.status) {
      where.push('status = ?');
      params.push(opts.status);
    }
    if (opts.before !== undefined) {
      where.push('id < ?');
      params.push(opts.before);
    }
    const sql = `SELECT * FROM sms_outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.db.prepare<(string | number)[], OutboxRow>(sql).all(...params, opts.limit);
  }
}
