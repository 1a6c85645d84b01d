/**
 * SMS confirmations and reminders: the outbox, the planner hooked into appointment changes, and
 * the worker that sends. One `Notifier` per store; `createNotifier` registers the planner as a
 * change listener, so from then on every booking, move and cancel writes its messages atomically.
 */
import type { Deps } from '../deps.js';
import type { Outbox, OutboxRow } from './outbox.js';
import { MessagePlanner } from './planner.js';
import { type SmsSender, smsSenderFromEnv } from './sender.js';
import { Templates } from './templates.js';
import { OutboxWorker, type WorkerOptions } from './worker.js';

export type NotifierDeps = Pick<Deps, 'config' | 'settings' | 'speech' | 'store' | 'clock' | 'logger'>;

export interface NotifierOptions {
  /** Overrides the provider from env (tests: a TelnyxSender aimed at the local fake). null = none. */
  sender?: SmsSender | null;
  worker?: Partial<Omit<WorkerOptions, 'outbox' | 'appointments' | 'sender' | 'clock' | 'logger'>>;
}

export class Notifier {
  readonly outbox: Outbox;
  readonly worker: OutboxWorker;
  readonly planner: MessagePlanner;
  readonly provider: string | null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: NotifierDeps,
    opts: NotifierOptions = {},
  ) {
    const sender = opts.sender !== undefined ? opts.sender : smsSenderFromEnv(deps.settings, deps.logger);
    this.provider = sender?.name ?? null;
    this.outbox = deps.store.outbox;
    this.planner = new MessagePlanner(deps, new Templates(deps.config));
    const s = deps.settings;
    this.worker = new OutboxWorker({
      outbox: this.outbox,
      appointments: deps.store.appointments,
      sender,
      clock: deps.clock,
      logger: deps.logger.child({ component: 'sms' }),
      sendTimeoutMs: s.SMS_SEND_TIMEOUT_MS,
      maxAttempts: s.SMS_MAX_ATTEMPTS,
      retryBaseMs: s.SMS_RETRY_BASE_MS,
      resendOnUnknown: s.SMS_RESEND_ON_UNKNOWN,
      ...opts.worker,
    });
    this.unsubscribe = deps.store.onAppointmentChange((change, tx) => this.planner.onChange(change, tx.outbox));
  }

  /** Starts the in-process worker unless SMS_WORKER_INTERVAL_MS is 0 (cron-only setups). */
  start(): void {
    const interval = this.deps.settings.SMS_WORKER_INTERVAL_MS;
    if (!this.provider) this.deps.logger.info('no SMS provider configured (TELNYX_API_KEY unset): messages are recorded as skipped');
    if (interval > 0) this.worker.start(interval);
  }

  /** Stops sending; with `detach`, also stops planning messages (a business context being replaced). */
  stop(opts: { detach?: boolean } = {}): Promise<void> {
    if (opts.detach) this.unsubscribe();
    return this.worker.stop();
  }

  /** A row as the admin API shows it: times in the business zone. */
  view(r: OutboxRow) {
    const iso = (ms: number | null) => (ms === null ? null : this.deps.speech.iso(ms));
    return {
      id: r.id,
      kind: r.kind,
      audience: r.audience,
      appointmentId: r.appointment_id,
      to: r.to_phone,
      body: r.body,
      status: r.status,
      dueAt: iso(r.due_at),
      expiresAt: iso(r.expires_at),
      offsetMinutes: r.offset_minutes,
      attempts: r.attempts,
      provider: r.provider,
      providerMessageId: r.provider_message_id,
      lastError: r.last_error,
      sentAt: iso(r.sent_at),
      createdAt: iso(r.created_at),
      updatedAt: iso(r.updated_at),
    };
  }
}

export function createNotifier(deps: NotifierDeps, opts?: NotifierOptions): Notifier {
  return new Notifier(deps, opts);
}

export type { Outbox, OutboxRow, OutboxStatus } from './outbox.js';
export { OutboxWorker, SKIPPED_NO_PROVIDER } from './worker.js';
export { TelnyxSender, SendError, type SmsSender } from './sender.js';
