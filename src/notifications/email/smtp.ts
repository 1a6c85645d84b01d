/**
 * Sending one e-mail over SMTP (nodemailer 10, pooled connections) and classifying what a failure
 * means for the outbox, with the same outcomes as SMS (sender.ts):
 *
 * - `rejected`: the server answered 5xx (nodemailer's `permanent`): the same message would be
 *   refused again (unknown mailbox, policy). Failed at once.
 * - `not_sent`: a 4xx answer (greylisting, mailbox busy, 421 shutting down), or the connection
 *   failed before the whole message had left. A server only accepts a message after its final
 *   "." line, so nothing can have been delivered: retrying cannot duplicate it.
 * - `unknown`: the whole message had been written and then no answer came (timeout, reset). The
 *   server may have queued it, and SMTP has no idempotency key: not resent unless
 *   SMS_RESEND_ON_UNKNOWN says so. The Message-ID is the outbox row's, so a duplicate is at least
 *   recognisable as one.
 *
 * "The whole message had left" is observed, not guessed: a pass-through transform at the end of
 * nodemailer's message stream sets a flag when the last byte has gone through it.
 */
import { Transform } from 'node:stream';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Env } from '../../config/env.js';
import type { MessageAttachment } from '../../store/ports.js';
import { SendError } from '../sender.js';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string | null;
  attachments: MessageAttachment[];
  /** Stable per outbox row: the Message-ID is built from it, the same on every attempt. */
  key: string;
}

export interface EmailSender {
  readonly name: string;
  /** Resolves with the Message-ID the server accepted, or throws a SendError. */
  send(message: EmailMessage): Promise<{ providerId: string }>;
  close(): void;
}

export interface SmtpOptions {
  /** smtp://user:pass@host:587 or smtps://...:465; wins over host/port. */
  url?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  /** Implicit TLS (port 465). False = plain, upgraded with STARTTLS when the server offers it. */
  secure?: boolean | undefined;
  user?: string | undefined;
  pass?: string | undefined;
  /** Refuse to send without STARTTLS (providers that require it; never on a local relay). */
  requireTls?: boolean | undefined;
  /** "Maple Street Salon <bookings@maplestreet.example>" or a bare address. */
  from: string;
  replyTo?: string | undefined;
  /** Greeting and per-socket inactivity timeout; the outbox lease must outlast it. */
  timeoutMs: number;
  maxConnections?: number | undefined;
  logger?: Logger | undefined;
}

// A string key: nodemailer copies the message's own enumerable keys, not symbols.
const STREAMED = 'booklineStreamed';
type WithFlag = { [STREAMED]?: () => void };

export function classifySmtpError(err: unknown, streamed: boolean): SendError {
  const e = err as { code?: string; responseCode?: number; permanent?: boolean; response?: string; message?: string };
  const what = e.response ?? e.message ?? String(err);
  if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
    if (e.permanent) return new SendError('rejected', `the SMTP server refused the message: ${what}`, { cause: err });
    return new SendError('not_sent', `the SMTP server deferred the message: ${what}`, { cause: err });
  }
  // Wrong credentials, a bad From, a TLS policy: no retry fixes configuration.
  if (e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'ECONFIG' || e.code === 'EENVELOPE' || e.code === 'EREQUIRETLS') {
    return new SendError('rejected', `SMTP ${e.code}: ${what}`, { cause: err });
  }
  if (streamed) return new SendError('unknown', `no answer from the SMTP server after the message was sent (${e.code ?? 'error'}: ${what})`, { cause: err });
  return new SendError('not_sent', `SMTP ${e.code ?? 'error'} before the message was sent: ${what}`, { cause: err });
}

/** The bare address of "Name <addr>" or "addr". */
export function addressOf(from: string): string {
  const m = /<([^>]+)>/.exec(from);
  return (m ? m[1]! : from).trim();
}

export class SmtpSender implements EmailSender {
  readonly name = 'smtp';
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(private readonly opts: SmtpOptions) {
    const common = {
      pool: true as const,
      maxConnections: opts.maxConnections ?? 3,
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
      requireTLS: opts.requireTls ?? false,
      logger: false,
    };
    this.transport = opts.url
      ? nodemailer.createTransport({ ...parseUrl(opts.url), ...common })
      : nodemailer.createTransport({
          host: opts.host,
          port: opts.port ?? (opts.secure ? 465 : 587),
          secure: opts.secure ?? false,
          ...(opts.user ? { auth: { user: opts.user, pass: opts.pass ?? '' } } : {}),
          ...common,
        });
    this.transport.use('stream', (mail, done) => {
      const flag = (mail.data as WithFlag)[STREAMED];
      if (flag) {
        mail.message.transform(
          () =>
            new Transform({
              transform: (chunk, _enc, next) => next(null, chunk),
              flush: (next) => {
                flag();
                next();
              },
            }),
        );
      }
      done();
    });
    this.domain = addressOf(opts.from).split('@')[1] ?? 'bookline.invalid';
  }

  async send(m: EmailMessage): Promise<{ providerId: string }> {
    let streamed = false;
    const messageId = `<bookline.${m.key}@${this.domain}>`;
    const calendar = m.attachments.filter((a) => a.contentType.startsWith('text/calendar'));
    const files = m.attachments.filter((a) => !a.contentType.startsWith('text/calendar'));
    const mail = {
      from: this.opts.from,
      to: m.to,
      ...(this.opts.replyTo ? { replyTo: this.opts.replyTo } : {}),
      subject: m.subject,
      text: m.text,
      ...(m.html ? { html: m.html } : {}),
      messageId,
      // The invite as one text/calendar alternative (what Gmail, Outlook and Apple Mail read for
      // their accept/update buttons), not also as a second application/ics copy the way
      // nodemailer's `icalEvent` does it.
      ...(calendar.length ? { alternatives: calendar.map((a) => ({ contentType: a.contentType, content: a.content, filename: a.filename })) } : {}),
      ...(files.length ? { attachments: files.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })) } : {}),
      [STREAMED]: () => {
        streamed = true;
      },
    };
    try {
      const info = await this.transport.sendMail(mail);
      const rejected = (info.rejected ?? []) as unknown[];
      if (rejected.length) throw new SendError('rejected', `the SMTP server refused ${rejected.map(String).join(', ')}`);
      return { providerId: info.messageId || messageId };
    } catch (err) {
      if (err instanceof SendError) throw err;
      this.opts.logger?.debug({ err }, 'SMTP send failed');
      throw classifySmtpError(err, streamed);
    }
  }

  close(): void {
    this.transport.close();
  }
}

function parseUrl(url: string) {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
  };
}

/** The configured SMTP relay, or null when none is set (e-mails are then recorded as skipped). */
export function emailSenderFromEnv(settings: Env, opts: { replyTo?: string | undefined; logger?: Logger | undefined }): EmailSender | null {
  if (!settings.SMTP_URL && !settings.SMTP_HOST) return null;
  return new SmtpSender({
    url: settings.SMTP_URL,
    host: settings.SMTP_HOST,
    port: settings.SMTP_PORT,
    secure: settings.SMTP_SECURE,
    user: settings.SMTP_USER,
    pass: settings.SMTP_PASS,
    requireTls: settings.SMTP_REQUIRE_TLS,
    from: settings.SMTP_FROM,
    replyTo: opts.replyTo,
    timeoutMs: settings.SMTP_TIMEOUT_MS,
    logger: opts.logger,
  });
}
