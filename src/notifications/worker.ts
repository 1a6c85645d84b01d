/**
 * Sends due outbox rows. Any number of workers (in this process, other processes, the cron tool)
 * may run against one database file: rows are leased atomically, and every state change after the
 * lease is fenced by the attempt number, so no two workers send the same row, and a worker that
 * lost its row cannot overwrite the outcome recorded by the one that has it.
 *
 * Retries are the outbox's own (durable across restarts): up to `maxAttempts` sends per message,
 * the delay doubling from `retryBaseMs` with jitter, and only after failures that prove nothing was
 * sent. The Telnyx SDK's own retries are off (see sender.ts).
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import { randomBase32hex } from '../domain/ids.js';
import type { AppointmentRepo, MessageAttachment } from '../store/ports.js';
import type { Outbox, OutboxRow } from './outbox.js';
import type { EmailMessage, EmailSender } from './email/smtp.js';
import { SendError, type SmsSender } from './sender.js';

export const SKIPPED_NO_PROVIDER = 'skipped (no SMS provider)';
export const SKIPPED_NO_SMTP = 'skipped (no SMTP server)';

export interface WorkerOptions {
  outbox: Outbox;
  /** Reminders are checked against their appointment before they go. */
  appointments: Pick<AppointmentRepo, 'liveStart'>;
  /** The SMS sender; null = no provider configured: due SMS rows are closed as skipped. */
  sender: SmsSender | null;
  /** The e-mail sender; null or absent = no SMTP server: due e-mail rows are closed as skipped. */
  emailSender?: EmailSender | null;
  clock: Clock;
  logger: Logger;
  /** Lease owner name; unique per worker. */
  owner?: string;
  batchSize?: number;
  /** Sends in flight at once (different recipients; one recipient's messages go in order). */
  concurrency?: number;
  /** The provider call's own timeout: the lease must outlast it by a wide margin. */
  sendTimeoutMs?: number;
  leaseMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  /** [0, 1): jitter source, injectable for tests. */
  random?: () => number;
  /** After an unknown outcome, send again (at least once) instead of parking it as unknown (at most once). */
  resendOnUnknown?: boolean;
}

export interface RunSummary {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
  unknown: number;
  skipped: number;
  expired: number;
  /** Reminders whose appointment was cancelled or moved without the outbox being told. */
  stale: number;
  /** Rows found abandoned in `sending` by a dead or stuck worker. */
  recovered: number;
  /** Rows cancelled or taken over between the claim and the send. */
  lost: number;
}

const emptySummary = (): RunSummary => ({ claimed: 0, sent: 0, retrying: 0, failed: 0, unknown: 0, skipped: 0, expired: 0, stale: 0, recovered: 0, lost: 0 });

function add(a: RunSummary, b: RunSummary): RunSummary {
  const out = { ...a };
  for (const k of Object.keys(b) as (keyof RunSummary)[]) out[k] += b[k];
  return out;
}

/** What the row holds, as the e-mail sender takes it; the row id makes the Message-ID stable across attempts. */
function emailOf(row: OutboxRow): EmailMessage {
  return {
    to: row.to_phone,
    subject: row.subject ?? '',
    text: row.body,
    html: row.html,
    attachments: row.attachments_json ? (JSON.parse(row.attachments_json) as MessageAttachment[]) : [],
    key: `${row.id}`,
  };
}

export class OutboxWorker {
  readonly owner: string;
  private readonly o: Required<Omit<WorkerOptions, 'sender' | 'emailSender' | 'owner'>> & { sender: SmsSender | null; emailSender: EmailSender | null };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(opts: WorkerOptions) {
    const sendTimeoutMs = opts.sendTimeoutMs ?? 10_000;
    const leaseMs = opts.leaseMs ?? Math.max(60_000, 3 * sendTimeoutMs);
    if (leaseMs <= sendTimeoutMs) throw new Error('the lease must outlast the send timeout, or a slow send could be taken over and sent twice');
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBase32hex(6)}`;
    this.o = {
      outbox: opts.outbox,
      appointments: opts.appointments,
      sender: opts.sender,
      emailSender: opts.emailSender ?? null,
      clock: opts.clock,
      logger: opts.logger,
      batchSize: opts.batchSize ?? 50,
      concurrency: Math.max(1, opts.concurrency ?? 4),
      sendTimeoutMs,
      leaseMs,
      maxAttempts: opts.maxAttempts ?? 3,
      retryBaseMs: opts.retryBaseMs ?? 30_000,
      random: opts.random ?? Math.random,
      resendOnUnknown: opts.resendOnUnknown ?? false,
    };
  }

  /** Delay before attempt `attempt + 1`: base * 2^(attempt-1), scaled by a jitter factor in [0.5, 1.5). */
  backoff(attempt: number): number {
    return Math.round(this.o.retryBaseMs * 2 ** (attempt - 1) * (0.5 + this.o.random()));
  }

  /** One batch: recover abandoned sends, then lease and send up to `batchSize` due rows. */
  async runDue(now: number = this.o.clock.now()): Promise<RunSummary> {
    const summary = emptySummary();
    const { outbox, logger } = this.o;
    const recovered = await outbox.recoverAbandoned(now, { resend: this.o.resendOnUnknown, maxAttempts: this.o.maxAttempts });
    summary.recovered = recovered.length;
    for (const r of recovered) {
      logger.warn({ outboxId: r.id, kind: r.kind, status: r.status }, 'a send was interrupted; its outcome is unknown');
    }

    const rows = await outbox.claim(this.owner, now, this.o.leaseMs, this.o.batchSize);
    summary.claimed = rows.length;
    if (rows.length === 0) return summary;

    // One recipient's messages in due order (a "booked" before its "cancelled"); recipients in parallel.
    const byRecipient = new Map<string, OutboxRow[]>();
    for (const r of rows) {
      const list = byRecipient.get(r.to_phone);
      if (list) list.push(r);
      else byRecipient.set(r.to_phone, [r]);
    }
    const queues = [...byRecipient.values()];
    const lanes = Array.from({ length: Math.min(this.o.concurrency, queues.length) }, async () => {
      for (let q = queues.shift(); q; q = queues.shift()) {
        for (const row of q) summary[await this.process(row, now)]++;
      }
    });
    await Promise.all(lanes);
    return summary;
  }

  /** Batches until nothing is due (for the cron tool and the admin "run now"). */
  async runUntilIdle(maxBatches = 1000): Promise<RunSummary> {
    let total = emptySummary();
    for (let i = 0; i < maxBatches; i++) {
      const s = await this.runDue();
      total = add(total, s);
      if (s.claimed < this.o.batchSize) break;
    }
    return total;
  }

  /**
   * False when a reminder no longer matches its appointment (cancelled, or moved) even though no
   * change listener cancelled it: a crash between a move and its announcement, or a write path
   * that emits nothing. Rows without an appointment record are not second-guessed.
   */
  private async reminderStillValid(row: OutboxRow): Promise<boolean> {
    if (row.kind !== 'reminder' || row.appointment_id === null) return true;
    const a = await this.o.appointments.liveStart(row.appointment_id);
    return !a || (a.status === 'confirmed' && a.start === row.appointment_start_ms);
  }

  private async process(row: OutboxRow, claimedAt: number): Promise<keyof RunSummary> {
    const { outbox, clock, logger } = this.o;
    if (row.expires_at !== null && claimedAt >= row.expires_at) {
      return (await outbox.finishUnsent(row.id, this.owner, 'expired', 'not sent before the appointment started', clock.now())) ? 'expired' : 'lost';
    }
    if (!(await this.reminderStillValid(row))) {
      return (await outbox.finishUnsent(row.id, this.owner, 'cancelled', 'the appointment was cancelled or moved', clock.now())) ? 'stale' : 'lost';
    }
    const channel = this.channelOf(row);
    if (!channel) {
      const reason = row.channel === 'email' ? SKIPPED_NO_SMTP : SKIPPED_NO_PROVIDER;
      return (await outbox.finishUnsent(row.id, this.owner, 'skipped', reason, clock.now())) ? 'skipped' : 'lost';
    }
    // The intent is durable before the request leaves: a crash from here on is an unknown outcome.
    const attempt = await outbox.beginAttempt(row.id, this.owner, clock.now(), this.o.leaseMs);
    if (attempt === undefined) return 'lost';

    let providerId: string;
    try {
      ({ providerId } = await channel.send());
    } catch (err) {
      const e = err instanceof SendError ? err : new SendError('unknown', String(err), { cause: err });
      const now = clock.now();
      const log = { outboxId: row.id, kind: row.kind, channel: row.channel, attempt, outcome: e.outcome, error: e.message };
      if (e.outcome === 'rejected') {
        logger.error(log, 'message rejected by the provider; not retrying');
        await outbox.markFailed(row.id, attempt, e.message, now);
        return 'failed';
      }
      const retry = attempt < this.o.maxAttempts && (e.outcome === 'not_sent' || this.o.resendOnUnknown);
      if (retry) {
        const dueAt = now + this.backoff(attempt);
        logger.warn({ ...log, retryAt: dueAt }, 'message not sent; will retry');
        await outbox.markRetry(row.id, attempt, dueAt, e.message, now);
        return 'retrying';
      }
      if (e.outcome === 'unknown') {
        logger.error(log, 'message outcome unknown; not resending (see GET /admin/notifications)');
        await outbox.markUnknown(row.id, attempt, e.message, now);
        return 'unknown';
      }
      logger.error(log, 'message failed after the last attempt');
      await outbox.markFailed(row.id, attempt, `${e.message} (after ${attempt} attempts)`, now);
      return 'failed';
    }
    if (!(await outbox.markSent(row.id, attempt, channel.name, providerId, clock.now()))) {
      // Only possible when this send overran its lease AND another worker started a new attempt
      // (resend mode): the customer may get it twice. Loud, because the lease should prevent it.
      logger.error({ outboxId: row.id, attempt, providerId }, 'message sent but a later attempt owns the row; possible duplicate');
    }
    return 'sent';
  }

  /** The sender for the row's channel, bound to the row; undefined when that channel has none. */
  private channelOf(row: OutboxRow): { name: string; send: () => Promise<{ providerId: string }> } | undefined {
    if (row.channel === 'email') {
      const s = this.o.emailSender;
      return s ? { name: s.name, send: () => s.send(emailOf(row)) } : undefined;
    }
    const s = this.o.sender;
    return s ? { name: s.name, send: () => s.send({ to: row.to_phone, text: row.body }) } : undefined;
  }

  /** Runs `runUntilIdle` every `intervalMs` (never two at once) until `stop()`. */
  start(intervalMs: number): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = () => {
      this.running = this.runUntilIdle()
        .then((s) => {
          if (s.claimed || s.recovered) this.o.logger.info({ sms: s }, 'outbox batch');
        })
        .catch((err: unknown) => this.o.logger.error({ err }, 'outbox batch failed; will try again'))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  /** Stops the loop and waits for a batch in progress, so no send is cut off by our own shutdown. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
