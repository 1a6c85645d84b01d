/**
 * Sending one SMS through Telnyx (`client.messages.send`, POST /v2/messages) and classifying what a
 * failure means for the outbox:
 *
 * - `not_sent`: Telnyx answered with an error, or the connection was never made. No message was
 *   created, so trying again cannot duplicate one.
 * - `rejected`: Telnyx refused the request itself (bad number, auth, account): trying again will not help.
 * - `unknown`: the request left and no answer came back (timeout, reset, gateway timeout). Telnyx
 *   may have queued the message.
 *
 * Telnyx's messaging API has no idempotency key. The SDK carries Stainless's generic
 * idempotency plumbing (`idempotencyHeader` in node_modules/telnyx/src/client.ts), but Telnyx never
 * sets a header name, so no key is ever sent; we do not invent one. That is why `unknown` exists.
 */
import type { Telnyx } from 'telnyx';
import type { Logger } from 'pino';
import { ConfigError } from '../config/business.js';
import type { Env } from '../config/env.js';

export interface SmsMessage {
  to: string;
  text: string;
}

export interface SmsSender {
  /** Recorded on each sent row. */
  readonly name: string;
  /** Resolves with the provider's message id, or throws a SendError. */
  send(message: SmsMessage): Promise<{ providerId: string }>;
}

export type SendOutcome = 'not_sent' | 'rejected' | 'unknown';

export class SendError extends Error {
  constructor(
    readonly outcome: SendOutcome,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SendError';
  }
}

export interface TelnyxSenderOptions {
  apiKey: string;
  fromNumber?: string | undefined;
  messagingProfileId?: string | undefined;
  baseURL: string;
  timeoutMs: number;
  logger?: Logger | undefined;
}

/** Connection errors that prove the request never reached a server. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

type TelnyxModule = typeof import('telnyx');

/**
 * What a failed `messages.send` means for retrying. `sdk` is the loaded copy of the SDK: its error
 * classes are what `instanceof` must compare against. Exported for tests of the table itself.
 */
export function classifyTelnyxError(err: unknown, sdk: TelnyxModule): SendError {
  const { Telnyx } = sdk;
  if (err instanceof Telnyx.APIConnectionTimeoutError) {
    return new SendError('unknown', 'timed out waiting for Telnyx', { cause: err });
  }
  if (err instanceof Telnyx.APIConnectionError) {
    const codes = causeCodes(err);
    if (codes.some((c) => NEVER_CONNECTED.has(c))) return new SendError('not_sent', `could not connect to Telnyx (${codes.join(', ')})`, { cause: err });
    return new SendError('unknown', `connection to Telnyx failed mid-request${codes.length ? ` (${codes.join(', ')})` : ''}`, { cause: err });
  }
  if (err instanceof Telnyx.APIError && typeof err.status === 'number') {
    const status = err.status;
    const detail = `Telnyx ${err.message}`.slice(0, 300);
    // A gateway or request timeout says nothing about whether the message was created behind it.
    if (status === 504 || status === 408) return new SendError('unknown', detail, { cause: err });
    // Rate limit, and server errors: Telnyx answered without creating a message (the API returns a
    // message id only with 200). See docs/sms.md for the one assumption this rests on.
    if (status === 429 || status >= 500) return new SendError('not_sent', detail, { cause: err });
    return new SendError('rejected', detail, { cause: err });
  }
  return new SendError('unknown', `unexpected error from the Telnyx client: ${String(err)}`.slice(0, 300), { cause: err });
}

/**
 * The SDK (about 10 MB of RSS with its dependencies) is loaded on the first send, not at start-up:
 * a process whose messages wait in the outbox, or that sends none, never pays for it.
 */
export class TelnyxSender implements SmsSender {
  readonly name = 'telnyx';
  private loaded: Promise<{ sdk: TelnyxModule; client: Telnyx }> | undefined;

  constructor(private readonly opts: TelnyxSenderOptions) {
    if (!opts.fromNumber && !opts.messagingProfileId) {
      throw new ConfigError('TELNYX_API_KEY is set but neither TELNYX_FROM_NUMBER nor TELNYX_MESSAGING_PROFILE_ID is: Telnyx needs a sender.');
    }
  }

  private load(): Promise<{ sdk: TelnyxModule; client: Telnyx }> {
    // A failed import is not cached: the next send tries again.
    this.loaded ??= import('telnyx').then(
      (sdk) => ({ sdk, client: this.build(sdk) }),
      (err: unknown) => {
        this.loaded = undefined;
        throw err;
      },
    );
    return this.loaded;
  }

  private build(sdk: TelnyxModule): Telnyx {
    const opts = this.opts;
    const log = opts.logger;
    return new sdk.Telnyx({
      apiKey: opts.apiKey,
      // Always explicit: otherwise the SDK falls back to TELNYX_BASE_URL from the environment.
      baseURL: opts.baseURL,
      // The outbox owns retries: an SDK retry after a timeout could send the same SMS twice.
      maxRetries: 0,
      timeout: opts.timeoutMs,
      ...(log
        ? {
            logger: {
              error: (msg: string, ...rest: unknown[]) => log.error({ telnyx: rest }, msg),
              warn: (msg: string, ...rest: unknown[]) => log.warn({ telnyx: rest }, msg),
              info: (msg: string, ...rest: unknown[]) => log.debug({ telnyx: rest }, msg),
              debug: (msg: string, ...rest: unknown[]) => log.trace({ telnyx: rest }, msg),
            },
          }
        : {}),
    });
  }

  async send(message: SmsMessage): Promise<{ providerId: string }> {
    let loaded;
    try {
      loaded = await this.load();
    } catch (err) {
      // Nothing left this process: safe to try again later.
      throw new SendError('not_sent', `could not load the Telnyx client: ${String(err)}`.slice(0, 300), { cause: err });
    }
    let response;
    try {
      response = await loaded.client.messages.send({
        to: message.to,
        text: message.text,
        ...(this.opts.fromNumber ? { from: this.opts.fromNumber } : {}),
        ...(this.opts.messagingProfileId ? { messaging_profile_id: this.opts.messagingProfileId } : {}),
      });
    } catch (err) {
      throw classifyTelnyxError(err, loaded.sdk);
    }
    const id = response.data?.id;
    // 200 without an id: Telnyx took the request, so it may well be sending it; never resend blindly.
    if (!id) throw new SendError('unknown', 'Telnyx answered 200 without a message id');
    return { providerId: id };
  }
}

/** The configured provider, or null when no key is set (messages are then recorded as skipped). */
export function smsSenderFromEnv(settings: Env, logger?: Logger): SmsSender | null {
  if (!settings.TELNYX_API_KEY) return null;
  return new TelnyxSender({
    apiKey: settings.TELNYX_API_KEY,
    fromNumber: settings.TELNYX_FROM_NUMBER,
    messagingProfileId: settings.TELNYX_MESSAGING_PROFILE_ID,
    baseURL: settings.TELNYX_API_BASE_URL,
    timeoutMs: settings.SMS_SEND_TIMEOUT_MS,
    logger,
  });
}
