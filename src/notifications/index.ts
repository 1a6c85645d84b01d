/**
 * SMS and e-mail confirmations and reminders: the outbox, the planner hooked into appointment changes, and
 * the worker that sends. One `Notifier` per store; `createNotifier` registers the planner as a
 * change listener, so from then on every booking, move and cancel writes its messages atomically.
 */
import { manageUrl } from '../web/links.js';
import type { Deps } from '../deps.js';
import type { Appointment } from '../domain/appointment.js';
import type { Channel } from '../store/ports.js';
import { reminderPlan } from './channels.js';
import type { Outbox, OutboxRow } from './outbox.js';
import { EmailTemplates } from './email/content.js';
import { addressOf, type EmailSender, emailSenderFromEnv } from './email/smtp.js';
import { MessagePlanner } from './planner.js';
import { type SmsSender, smsSenderFromEnv } from './sender.js';
import { Templates } from './templates.js';
import { OutboxWorker, type WorkerOptions } from './worker.js';

export type NotifierDeps = Pick<Deps, 'config' | 'settings' | 'speech' | 'store' | 'clock' | 'logger'>;

export interface NotifierOptions {
  /** Overrides the provider from env (tests: a TelnyxSender aimed at the local fake). null = none. */
  sender?: SmsSender | null;
  /** Overrides SMTP from env (tests: an SmtpSender aimed at a local smtp-server). null = none. */
  emailSender?: EmailSender | null;
  worker?: Partial<Omit<WorkerOptions, 'outbox' | 'appointments' | 'sender' | 'emailSender' | 'clock' | 'logger'>>;
}

export class Notifier {
  readonly outbox: Outbox;
  readonly worker: OutboxWorker;
  readonly planner: MessagePlanner;
  readonly provider: string | null;
  /** 'smtp' when e-mail can go out, else null. */
  readonly emailProvider: string | null;
  private readonly emailSender: EmailSender | null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: NotifierDeps,
    opts: NotifierOptions = {},
  ) {
    const sender = opts.sender !== undefined ? opts.sender : smsSenderFromEnv(deps.settings, deps.logger);
    this.provider = sender?.name ?? null;
    const email = deps.config.notifications.email;
    this.emailSender = opts.emailSender !== undefined ? opts.emailSender : emailSenderFromEnv(deps.settings, { replyTo: email.replyTo, logger: deps.logger });
    this.emailProvider = this.emailSender?.name ?? null;
    this.outbox = deps.store.outbox;
    this.planner = new MessagePlanner(
      {
        ...deps,
        organizerEmail: email.replyTo ?? addressOf(deps.settings.SMTP_FROM),
        // Only with a real public address: a localhost link in a text message helps nobody.
        manageLink: deps.settings.PUBLIC_BASE_URL_SET ? (a) => manageUrl(deps.settings, deps.store.businessId, a) : undefined,
      },
      new Templates(deps.config),
      new EmailTemplates(deps.config),
    );
    const s = deps.settings;
    this.worker = new OutboxWorker({
      outbox: this.outbox,
      appointments: deps.store.appointments,
      sender,
      emailSender: this.emailSender,
      clock: deps.clock,
      logger: deps.logger.child({ component: 'sms' }),
      sendTimeoutMs: s.SMS_SEND_TIMEOUT_MS,
      maxAttempts: s.SMS_MAX_ATTEMPTS,
      retryBaseMs: s.SMS_RETRY_BASE_MS,
      resendOnUnknown: s.SMS_RESEND_ON_UNKNOWN,
      ...opts.worker,
    });
    this.unsubscribe = deps.store.onAppointmentChange((change, tx) => this.planner.onChange(change, tx));
  }

  /** Starts the in-process worker unless SMS_WORKER_INTERVAL_MS is 0 (cron-only setups). */
  start(): void {
    const interval = this.deps.settings.SMS_WORKER_INTERVAL_MS;
    if (!this.provider) this.deps.logger.info('no SMS provider configured (TELNYX_API_KEY unset): SMS are recorded as skipped');
    if (!this.emailProvider) this.deps.logger.info('no SMTP server configured (SMTP_URL and SMTP_HOST unset): e-mails are recorded as skipped');
    if (interval > 0) this.worker.start(interval);
  }

  /** Stops sending and closes the SMTP pool; with `detach`, also stops planning messages (a business context being replaced). */
  stop(opts: { detach?: boolean } = {}): Promise<void> {
    if (opts.detach) this.unsubscribe();
    // After the last batch, so no send in flight loses its connection.
    return this.worker.stop().finally(() => this.emailSender?.close());
  }

  /** Whether messages on this channel can actually go out (a provider is configured). */
  canSend(channel: Channel): boolean {
    return channel === 'sms' ? this.provider !== null : this.emailProvider !== null;
  }

  /** The reminders this appointment will get, on channels that can actually send (for the booking's answer). */
  remindersFor(a: Appointment): { channel: Channel; minutesBefore: number }[] {
    return reminderPlan(this.deps.config, a, this.deps.clock.now())
      .filter((r) => this.canSend(r.channel))
      .map(({ channel, minutesBefore }) => ({ channel, minutesBefore }));
  }

  /** A row as the admin API shows it: times in the business zone. */
  view(r: OutboxRow) {
    const iso = (ms: number | null) => (ms === null ? null : this.deps.speech.iso(ms));
    return {
      id: r.id,
      kind: r.kind,
      audience: r.audience,
      appointmentId: r.appointment_id,
      channel: r.channel,
      to: r.to_phone,
      subject: r.subject,
      body: r.body,
      attachments: r.attachments_json ? (JSON.parse(r.attachments_json) as { filename: string }[]).map((a) => a.filename) : [],
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
export { OutboxWorker, SKIPPED_NO_PROVIDER, SKIPPED_NO_SMTP } from './worker.js';
export { SmtpSender, type EmailSender } from './email/smtp.js';
export { TelnyxSender, SendError, type SmsSender } from './sender.js';
