/**
 * Decides what a failed remote call means: try again, give up, or re-authenticate. Written against
 * the shapes SDKs actually throw rather than their classes, because the same process holds several
 * copies of gaxios (googleapis-common pins its own) and other SDKs (Telnyx, OpenAI) throw their own
 * error types that share only `status` and `headers`.
 */

export type FailureKind =
  /** Worth another attempt: the server was overloaded, throttled us, or the network failed. */
  | 'transient'
  /** The request itself is wrong or the resource state says no (400, 404, 409, 412, ...). */
  | 'permanent'
  /** Credentials were rejected; retrying the same request cannot help, refreshing might. */
  | 'auth'
  /** Our own caller gave up (deadline or cancellation); not the remote side's fault. */
  | 'aborted';

export interface Classified {
  kind: FailureKind;
  /** HTTP status when a response arrived. */
  status?: number;
  /** Google's `error.errors[0].reason`, or an OAuth `error` code such as `invalid_grant`. */
  reason?: string;
  /** Server-requested wait from `Retry-After` / `retry-after-ms`, in milliseconds. */
  retryAfterMs?: number;
  /** Node/undici/node-fetch system error code (ECONNRESET...) when no response arrived. */
  code?: string;
  /**
   * True when the request may have been applied even though we saw a failure (connection dropped
   * after sending, 5xx, timeout). Callers that must not leave a half-done write behind key on it.
   */
  ambiguous: boolean;
}

/** Google's 403 reasons that are throttling in disguise; Google asks for exponential backoff on them. */
const RETRYABLE_403_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

/** Connection-level failures where the server most likely never saw the request. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ENETUNREACH', 'EHOSTUNREACH']);

/** Connection-level failures after the request may have reached the server. */
const MID_FLIGHT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

const MID_FLIGHT_MESSAGES = /socket hang up|other side closed|premature close|network socket disconnected|fetch failed|ECONNRESET|ETIMEDOUT/i;

/** Thrown by the policy itself when one attempt exceeds its own time budget. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`remote call did not answer within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null;

function statusOf(err: Rec): number | undefined {
  for (const v of [err.status, isRec(err.response) ? err.response.status : undefined, err.statusCode]) {
    if (typeof v === 'number' && v >= 100 && v <= 599) return v;
  }
  return undefined;
}

function headerOf(err: Rec, name: string): string | undefined {
  const sources = [isRec(err.response) ? err.response.headers : undefined, err.headers];
  for (const h of sources) {
    if (!h) continue;
    // fetch Headers (gaxios 7, OpenAI/Stainless SDKs) or a plain object (gaxios 6, node-fetch wrappers).
    if (typeof (h as Headers).get === 'function') {
      const v = (h as Headers).get(name);
      if (v != null) return v;
    } else if (isRec(h)) {
      for (const [k, v] of Object.entries(h)) {
        if (k.toLowerCase() === name && v != null) return Array.isArray(v) ? String(v[0]) : String(v);
      }
    }
  }
  return undefined;
}

/** `Retry-After` is either delta-seconds or an HTTP date; Stainless SDKs also send `retry-after-ms`. */
export function parseRetryAfter(err: unknown, now: () => number = Date.now): number | undefined {
  if (!isRec(err)) return undefined;
  const ms = headerOf(err, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.round(Number(ms));
  const ra = headerOf(err, 'retry-after');
  if (ra === undefined) return undefined;
  const trimmed = ra.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now());
}

/** Google API errors carry `error.errors[0].reason`; OAuth token endpoints answer `{error: "invalid_grant"}`. */
function reasonOf(err: Rec): string | undefined {
  const data = isRec(err.response) ? err.response.data : err.error ?? err.body;
  if (!isRec(data)) return undefined;
  const e = data.error;
  if (typeof e === 'string') return e;
  if (isRec(e)) {
    const first = Array.isArray(e.errors) ? e.errors[0] : undefined;
    if (isRec(first) && typeof first.reason === 'string') return first.reason;
    if (typeof e.status === 'string') return e.status;
    if (typeof e.type === 'string') return e.type; // OpenAI-style
  }
  return undefined;
}

function systemCodeOf(err: unknown): string | undefined {
  // Walk the cause chain: gaxios wraps node-fetch's FetchError, undici wraps the socket error.
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && isRec(cur); depth++) {
    const code = cur.code ?? cur.errno;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    cur = cur.cause;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && isRec(cur); depth++) {
    if (cur.name === 'AbortError' || cur.code === 'AbortError') return true;
    cur = cur.cause;
  }
  return false;
}

function messagesOf(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && isRec(cur); depth++) {
    if (typeof cur.message === 'string') parts.push(cur.message);
    cur = cur.cause;
  }
  return parts.join(' | ');
}

/** OAuth error codes from a token endpoint: the credentials themselves are bad. */
const OAUTH_FATAL = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'access_denied', 'invalid_scope']);

export function classifyError(err: unknown, now: () => number = Date.now): Classified {
  if (err instanceof AttemptTimeoutError) return { kind: 'transient', ambiguous: true, code: 'ETIMEDOUT' };
  if (!isRec(err)) return { kind: 'permanent', ambiguous: false };

  const status = statusOf(err);
  const reason = reasonOf(err);
  if (status !== undefined) {
    const retryAfterMs = parseRetryAfter(err, now);
    const base = { status, ...(reason !== undefined && { reason }), ...(retryAfterMs !== undefined && { retryAfterMs }) };
    if (reason !== undefined && OAUTH_FATAL.has(reason)) return { ...base, kind: 'auth', ambiguous: false };
    if (status === 401) return { ...base, kind: 'auth', ambiguous: false };
    if (status === 403 && reason !== undefined && RETRYABLE_403_REASONS.has(reason)) {
      return { ...base, kind: 'transient', ambiguous: false };
    }
    if (status === 429) return { ...base, kind: 'transient', ambiguous: false };
    if (status === 408) return { ...base, kind: 'transient', ambiguous: true };
    if (status >= 500) return { ...base, kind: 'transient', ambiguous: true };
    return { ...base, kind: 'permanent', ambiguous: false };
  }

  const code = systemCodeOf(err);
  if (isAbort(err) || code === 'ABORT_ERR') {
    return { kind: 'aborted', ambiguous: true, ...(code && { code }) };
  }
  if (code !== undefined && NOT_SENT_CODES.has(code)) return { kind: 'transient', ambiguous: false, code };
  if ((code !== undefined && MID_FLIGHT_CODES.has(code)) || MID_FLIGHT_MESSAGES.test(messagesOf(err))) {
    return { kind: 'transient', ambiguous: true, ...(code && { code }) };
  }
  return { kind: 'permanent', ambiguous: false, ...(code && { code }) };
}

/** One line for logs and health detail: "HTTP 403 rateLimitExceeded", "ECONNRESET", ... */
export function describeFailure(err: unknown): string {
  const c = classifyError(err);
  if (c.status !== undefined) return `HTTP ${c.status}${c.reason ? ` ${c.reason}` : ''}`;
  if (c.code) return c.code;
  return err instanceof Error ? err.message : String(err);
}
