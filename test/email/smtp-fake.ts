/**
 * A real SMTP server (smtp-server) on 127.0.0.1 inside the test process, with what arrived parsed
 * back by mailparser, and faults scripted per message: a 4xx or 5xx answer to the data, or no
 * answer at all after the data (the case where the sender cannot know whether it was delivered).
 */
import { type AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { SmtpSender } from '../../src/notifications/email/smtp.js';

export type Fault = { reply: 450 | 421 | 550 | 554 } | { hang: true };

export class FakeSmtp {
  readonly received: ParsedMail[] = [];
  /** Every DATA the server read to the end, faulted or not: what "sent once" is counted against. */
  dataCount = 0;
  private readonly faults: Fault[] = [];
  private server: SMTPServer | undefined;
  port = 0;
  /** Delay before answering each message, so a killed sender has sends in flight. */
  latencyMs = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // smtp-server answers each message only when onData calls back; a hang never does.
      onData: (stream, _session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.dataCount++;
          const fault = this.faults.shift();
          if (fault && 'hang' in fault) return;
          if (fault) return cb(Object.assign(new Error(fault.reply >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: fault.reply }));
          // Counted as delivered once read, as a real server queues it before answering.
          simpleParser(Buffer.concat(chunks)).then(
            (mail) => {
              this.received.push(mail);
              setTimeout(() => cb(), this.latencyMs);
            },
            (err: Error) => cb(err),
          );
        });
      },
    });
    // A client killed mid-send (the SIGKILL test) resets its connection; smtp-server reports that
    // as a server 'error', which unhandled would fail the whole run.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET') throw err;
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  /** The next messages' data gets these answers, in order. */
  fail(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  sender(opts: { timeoutMs?: number; replyTo?: string } = {}): SmtpSender {
    return new SmtpSender({
      host: '127.0.0.1',
      port: this.port,
      secure: false,
      from: 'Maple Street Salon <bookings@maple.example>',
      replyTo: opts.replyTo,
      timeoutMs: opts.timeoutMs ?? 2000,
    });
  }

  reset(): void {
    this.received.length = 0;
    this.faults.length = 0;
    this.dataCount = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The text/calendar part of a parsed e-mail with its `method` parameter (mailparser lists it among the attachments). */
export function calendarPart(mail: ParsedMail): { method: string | undefined; text: string } | undefined {
  const a = mail.attachments.find((x) => x.contentType === 'text/calendar');
  if (!a) return undefined;
  const type = a.headers.get('content-type') as { params?: Record<string, string> } | undefined;
  return { method: type?.params?.method, text: a.content.toString('utf8') };
}
