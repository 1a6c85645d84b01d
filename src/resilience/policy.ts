/**
 * The one retry/circuit-breaker policy every remote call goes through (Google Calendar now; Telnyx,
 * OpenAI and friends later). SDK-level retries must be switched off wherever this wraps a client,
 * otherwise attempts multiply (SDK retries x policy retries) and blow through the tool deadline.
 *
 * Layering, outermost first:
 *   caller deadline (AbortSignal)  ->  retry with backoff  ->  circuit breaker  ->  one attempt (own timeout)
 * The breaker sits inside the retry so every attempt counts towards opening it, and an open circuit
 * ends the retry loop at once instead of sleeping through backoffs.
 */
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type CircuitBreakerPolicy,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  type IPolicy,
} from 'cockatiel';
import { AttemptTimeoutError, classifyError, describeFailure } from './classify.js';
import type { Env } from '../config/env.js';
import { silentLogger, type LoggerLike } from './logger.js';
import { recordRemoteAttempt, recordRemoteRetry } from '../metrics/index.js';

export interface RemotePolicyOptions {
  /** Shows up in logs, errors and health detail ("google-calendar", "telnyx"...). */
  name: string;
  /** Total attempts per call, the first included. */
  maxAttempts?: number;
  /** First retry waits around this long; each further retry doubles it. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A server's Retry-After is obeyed up to this long; longer requests are clipped to it. */
  retryAfterCapMs?: number;
  /** One attempt may take at most this long; a slow answer then counts as a transient failure. */
  attemptTimeoutMs?: number;
  /** Consecutive transient failures that open the circuit, and how long it stays open. `false` disables it. */
  breaker?: { threshold: number; halfOpenAfterMs: number } | false;
  /** Jitter source in [0, 1); injectable so tests see exact delays. */
  random?: () => number;
  now?: () => number;
  logger?: LoggerLike;
}

export interface ExecuteOptions {
  /**
   * Whether repeating the request is harmless. When false, only failures where the server provably
   * did not act (429, throttling 403, connection refused) are retried; a dropped connection or a 5xx
   * after the request went out is not, because a second attempt could do the thing twice.
   * Defaults to true: our Google calls are idempotent by construction (client-chosen event ids).
   */
  idempotent?: boolean;
}

export interface PolicyHealth {
  ok: boolean;
  detail?: string;
}

export interface RemotePolicy {
  readonly name: string;
  /**
   * Runs `fn` with retries. `fn` receives a signal that fires when the caller's deadline passes or the
   * attempt's own timeout does; pass it to the SDK so abandoned requests are torn down.
   * Throws RemoteUnavailableError for deadline / open circuit / exhausted retries; any other error
   * (400, 404, 409, auth...) is rethrown untouched so the caller can interpret it.
   */
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal, opts?: ExecuteOptions): Promise<T>;
  /** Circuit state for /readyz. */
  health(): PolicyHealth;
}

export type UnavailableKind = 'deadline' | 'circuit-open' | 'exhausted';

export class RemoteUnavailableError extends Error {
  constructor(
    readonly kind: UnavailableKind,
    readonly policy: string,
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RemoteUnavailableError';
  }
}

export function isRemoteUnavailable(err: unknown): err is RemoteUnavailableError {
  return err instanceof RemoteUnavailableError;
}

/** Marks an attempt that stopped because the caller's signal fired; never retried, never counted by the breaker. */
class CallerAbortedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('caller deadline passed', options);
    this.name = 'AbortError';
  }
}

export const POLICY_DEFAULTS = {
  maxAttempts: 4,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
  retryAfterCapMs: 3_000,
  attemptTimeoutMs: 5_000,
  breaker: { threshold: 5, halfOpenAfterMs: 30_000 },
} as const;

/**
 * Exponential backoff with "equal jitter": half the ceiling is guaranteed, the other half random.
 * Full jitter can pick ~0 ms, which against a rate-limited API just burns another request; equal
 * jitter still spreads concurrent callers apart. A server's Retry-After wins over the formula.
 */
class JitteredBackoff implements IBackoffFactory<IRetryBackoffContext<unknown>> {
  constructor(
    private readonly o: { baseDelayMs: number; maxDelayMs: number; retryAfterCapMs: number; random: () => number; now: () => number },
  ) {}

  next(context: IRetryBackoffContext<unknown>): IBackoff<IRetryBackoffContext<unknown>> {
    const error = 'error' in context.result ? context.result.error : undefined;
    const retryAfter = error === undefined ? undefined : classifyError(error, this.o.now).retryAfterMs;
    let duration: number;
    if (retryAfter !== undefined) {
      duration = Math.min(retryAfter, this.o.retryAfterCapMs);
    } else {
      const ceiling = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (context.attempt - 1));
      duration = Math.round(ceiling / 2 + this.o.random() * (ceiling / 2));
    }
    return { duration, next: (ctx) => this.next(ctx) };
  }
}

const neverAborted = new AbortController().signal;

export function createRemotePolicy(options: RemotePolicyOptions): RemotePolicy {
  const name = options.name;
  const maxAttempts = Math.max(1, options.maxAttempts ?? POLICY_DEFAULTS.maxAttempts);
  const attemptTimeoutMs = options.attemptTimeoutMs ?? POLICY_DEFAULTS.attemptTimeoutMs;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const breakerOpts = options.breaker === undefined ? POLICY_DEFAULTS.breaker : options.breaker;

  const backoff = new JitteredBackoff({
    baseDelayMs: options.baseDelayMs ?? POLICY_DEFAULTS.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? POLICY_DEFAULTS.maxDelayMs,
    retryAfterCapMs: options.retryAfterCapMs ?? POLICY_DEFAULTS.retryAfterCapMs,
    random: options.random ?? Math.random,
    now,
  });

  const isTransient = (err: unknown) => classifyError(err, now).kind === 'transient';
  const isSafeToRepeat = (err: unknown) => {
    const c = classifyError(err, now);
    return c.kind === 'transient' && !c.ambiguous;
  };

  // cockatiel's maxAttempts counts retries, not attempts.
  const retryAll = retry(handleWhen(isTransient), { maxAttempts: maxAttempts - 1, backoff });
  const retrySafe = retry(handleWhen(isSafeToRepeat), { maxAttempts: maxAttempts - 1, backoff });
  for (const r of [retryAll, retrySafe]) {
    r.onRetry((e) => {
      recordRemoteRetry(name);
      const err = 'error' in e ? e.error : undefined;
      logger.debug({ policy: name, attempt: e.attempt, delayMs: e.delay, failure: describeFailure(err) }, 'remote call failed; retrying');
    });
  }

  let breaker: CircuitBreakerPolicy | undefined;
  let openedAt = 0;
  let lastBreakReason = '';
  if (breakerOpts) {
    breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: breakerOpts.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(breakerOpts.threshold),
    });
    breaker.onBreak((reason) => {
      openedAt = now();
      lastBreakReason = 'error' in reason ? describeFailure(reason.error) : 'bad result';
      logger.warn({ policy: name, failure: lastBreakReason, openForMs: breakerOpts.halfOpenAfterMs }, 'circuit opened: failing fast');
    });
    breaker.onHalfOpen(() => logger.info({ policy: name }, 'circuit half-open: probing'));
    breaker.onReset(() => logger.info({ policy: name }, 'circuit closed: remote recovered'));
  }
  const idempotentPolicy: IPolicy = breaker ? wrap(retryAll, breaker) : retryAll;
  const safePolicy: IPolicy = breaker ? wrap(retrySafe, breaker) : retrySafe;

  /** One attempt, bounded by its own timeout and by the caller's signal, whether or not `fn` honours signals. */
  async function attempt<T>(fn: (signal: AbortSignal) => Promise<T>, caller: AbortSignal): Promise<T> {
    if (caller.aborted) throw new CallerAbortedError({ cause: caller.reason });
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new AttemptTimeoutError(attemptTimeoutMs)), attemptTimeoutMs);
    // Skip AbortSignal.any for the shared never-aborting default: composites registered on a
    // process-lifetime signal only pile up.
    const signal = caller === neverAborted ? timeout.signal : AbortSignal.any([caller, timeout.signal]);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(signal), aborted]);
    } catch (err) {
      if (caller.aborted) throw new CallerAbortedError({ cause: err });
      if (timeout.signal.aborted) throw new AttemptTimeoutError(attemptTimeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      aborted.catch(() => undefined);
    }
  }

  async function execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal = neverAborted, opts: ExecuteOptions = {}): Promise<T> {
    let attempts = 0;
    let lastError: unknown;
    const deadlineError = () =>
      new RemoteUnavailableError('deadline', name, attempts, `${name}: deadline passed after ${attempts} attempt(s)`, {
        cause: lastError ?? signal.reason,
      });
    if (signal.aborted) throw deadlineError();

    const policy = opts.idempotent === false ? safePolicy : idempotentPolicy;
    const inner = policy.execute(async () => {
      attempts++;
      try {
        const out = await attempt(fn, signal);
        recordRemoteAttempt(name);
        return out;
      } catch (err) {
        recordRemoteAttempt(name, err instanceof CallerAbortedError ? 'aborted' : classifyError(err, now).kind);
        if (!(err instanceof CallerAbortedError)) lastError = err;
        throw err;
      }
    }, signal) as Promise<T>;
    // The retry loop may still be sleeping when the deadline fires; it notices the aborted signal on
    // its next turn and rejects. Nobody awaits that rejection any more, so swallow it here.
    inner.catch(() => undefined);

    let onAbort: (() => void) | undefined;
    const deadline = new Promise<never>((_, reject) => {
      onAbort = () => reject(deadlineError());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    deadline.catch(() => undefined);
    try {
      return await Promise.race([inner, deadline]);
    } catch (err) {
      if (err instanceof RemoteUnavailableError) throw err;
      if (signal.aborted || err instanceof CallerAbortedError) throw deadlineError();
      if (err instanceof BrokenCircuitError) {
        throw new RemoteUnavailableError('circuit-open', name, attempts, `${name}: circuit open (last failure: ${lastBreakReason || 'unknown'})`, {
          cause: lastError ?? err,
        });
      }
      if (isTransient(err)) {
        throw new RemoteUnavailableError('exhausted', name, attempts, `${name}: gave up after ${attempts} attempt(s): ${describeFailure(err)}`, {
          cause: err,
        });
      }
      throw err;
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  function health(): PolicyHealth {
    if (!breaker || !breakerOpts) return { ok: true };
    switch (breaker.state) {
      case CircuitState.Closed:
        return { ok: true };
      case CircuitState.HalfOpen:
        return { ok: false, detail: `${name}: circuit half-open, probing after: ${lastBreakReason}` };
      case CircuitState.Isolated:
        return { ok: false, detail: `${name}: circuit isolated by an operator` };
      case CircuitState.Open: {
        const waitMs = openedAt + breakerOpts.halfOpenAfterMs - now();
        const when = waitMs > 0 ? `next probe in ${Math.ceil(waitMs / 1000)} s` : 'the next call will probe';
        return { ok: false, detail: `${name}: circuit open after repeated failures (last: ${lastBreakReason}); ${when}` };
      }
    }
  }

  return { name, execute, health };
}

/** The policy knobs from the environment (REMOTE_*), for any remote service. */
export function remotePolicyOptionsFromEnv(
  env: Pick<
    Env,
    | 'REMOTE_MAX_ATTEMPTS'
    | 'REMOTE_BASE_DELAY_MS'
    | 'REMOTE_MAX_DELAY_MS'
    | 'REMOTE_RETRY_AFTER_CAP_MS'
    | 'REMOTE_ATTEMPT_TIMEOUT_MS'
    | 'REMOTE_BREAKER_THRESHOLD'
    | 'REMOTE_BREAKER_HALF_OPEN_MS'
  >,
): Omit<RemotePolicyOptions, 'name'> {
  return {
    maxAttempts: env.REMOTE_MAX_ATTEMPTS,
    baseDelayMs: env.REMOTE_BASE_DELAY_MS,
    maxDelayMs: env.REMOTE_MAX_DELAY_MS,
    retryAfterCapMs: env.REMOTE_RETRY_AFTER_CAP_MS,
    attemptTimeoutMs: env.REMOTE_ATTEMPT_TIMEOUT_MS,
    breaker:
      env.REMOTE_BREAKER_THRESHOLD === 0
        ? false
        : { threshold: env.REMOTE_BREAKER_THRESHOLD, halfOpenAfterMs: env.REMOTE_BREAKER_HALF_OPEN_MS },
  };
}
