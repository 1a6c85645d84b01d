import { afterEach, describe, expect, it } from 'vitest';
import { CalendarUnavailableError } from '../../src/domain/errors.js';
import { classifyError, AttemptTimeoutError } from '../../src/resilience/classify.js';
import { RemoteUnavailableError } from '../../src/resilience/policy.js';
import { bookingInput, harness, HOUR, NOW, STAFF, type Harness } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const range = { start: NOW, end: NOW + 48 * HOUR };

/** A GET through the policy and the real client, so the fault shapes are exactly what gaxios produces. */
function getEvent(hh: Harness, signal?: AbortSignal) {
  return hh.policy.execute((s) => hh.client.events.get({ calendarId: STAFF[0]!, eventId: 'abcdefghij' }, { signal: s }), signal);
}

function retryDelays(hh: Harness): number[] {
  return hh.logger.entries.filter((e) => e.msg === 'remote call failed; retrying').map((e) => e.obj.delayMs as number);
}

async function seedEvent(hh: Harness) {
  hh.fake.addEvent(STAFF[0]!, { id: 'abcdefghij', start: { dateTime: '2026-11-24T10:00:00Z' }, end: { dateTime: '2026-11-24T11:00:00Z' } });
  await getEvent(hh); // fetch the access token outside the counted part
  hh.fake.resetCounts();
}

describe('retry classification through the real client', () => {
  it.each([
    ['429', { status: 429 }],
    ['500', { status: 500 }],
    ['503', { status: 503 }],
    ['403 rateLimitExceeded', { status: 403, reason: 'rateLimitExceeded' }],
    ['403 userRateLimitExceeded', { status: 403, reason: 'userRateLimitExceeded' }],
    ['dropped connection', { drop: true }],
  ])('retries %s', async (_name, fault) => {
    h = await harness();
    await seedEvent(h);
    h.fake.inject('get', fault);
    const res = await getEvent(h);
    expect(res.data.id).toBe('abcdefghij');
    expect(h.fake.counts().get).toBe(2);
    // base 10 ms, random 0.5: equal jitter gives 5 + 0.5 * 5.
    expect(retryDelays(h)).toEqual([8]);
  });

  it.each([
    ['400', { status: 400 }],
    ['401', { status: 401 }],
    ['403 quotaExceeded', { status: 403, reason: 'quotaExceeded' }],
    ['403 forbidden', { status: 403, reason: 'forbidden' }],
    ['404', { status: 404 }],
    ['409', { status: 409 }],
    ['412', { status: 412 }],
  ])('does not retry %s and hands the original error back', async (_name, fault) => {
    h = await harness();
    await seedEvent(h);
    h.fake.inject('get', fault);
    const err = await getEvent(h).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(RemoteUnavailableError);
    expect(classifyError(err).status).toBe(fault.status);
    expect(h.fake.counts().get).toBe(1);
  });

  it('backs off exponentially with the injected jitter, capped at maxDelayMs', async () => {
    h = await harness({ policy: { baseDelayMs: 40, maxDelayMs: 100, maxAttempts: 5, random: () => 0.25 } });
    await seedEvent(h);
    h.fake.inject('get', { status: 500 }, 4);
    await getEvent(h);
    // ceilings 40, 80, 100, 100 -> half + 0.25 * half
    expect(retryDelays(h)).toEqual([25, 50, 63, 63]);
    expect(h.fake.counts().get).toBe(5);
  });

  it('honours Retry-After, clipped to retryAfterCapMs', async () => {
    h = await harness({ policy: { retryAfterCapMs: 150 } });
    await seedEvent(h);
    h.fake.inject('get', { status: 429, retryAfterSec: 30 });
    let t0 = performance.now();
    await getEvent(h);
    expect(retryDelays(h)).toEqual([150]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145);

    h.logger.entries.length = 0;
    h.fake.inject('get', { status: 503, retryAfterSec: 0.1 });
    t0 = performance.now();
    await getEvent(h);
    expect(retryDelays(h)).toEqual([100]);
  });

  it('makes exactly one HTTP request per policy attempt (client and token retries are off)', async () => {
    h = await harness({ policy: { maxAttempts: 3 } });
    await seedEvent(h);
    h.fake.inject('get', { status: 500 }, 10);
    const err = await getEvent(h).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'exhausted', attempts: 3 });
    expect(h.fake.counts()).toEqual({ get: 3, total: 3 });
    await h.close();

    // Same for the token endpoint, which google-auth-library would otherwise retry by itself.
    h = await harness({ policy: { maxAttempts: 2 } });
    h.fake.inject('token', { status: 500 }, 10);
    await expect(h.provider.freeBusy(STAFF, range)).rejects.toBeInstanceOf(CalendarUnavailableError);
    expect(h.fake.counts()).toEqual({ token: 2, total: 2 });
  });

  it('with idempotent: false, retries only failures where the request provably did nothing', async () => {
    h = await harness();
    await seedEvent(h);
    const call = () => h.policy.execute((s) => h.client.events.get({ calendarId: STAFF[0]!, eventId: 'abcdefghij' }, { signal: s }), undefined, { idempotent: false });
    h.fake.inject('get', { status: 429 });
    await call();
    expect(h.fake.counts().get).toBe(2);
    h.fake.resetCounts();
    h.fake.inject('get', { drop: true });
    await expect(call()).rejects.toMatchObject({ kind: 'exhausted', attempts: 1, cause: { code: 'ECONNRESET' } });
    h.fake.inject('get', { status: 500 });
    await expect(call()).rejects.toMatchObject({ kind: 'exhausted', attempts: 1, cause: { status: 500 } });
    expect(h.fake.counts().get).toBe(2);
  });
});

describe('deadline', () => {
  it('answers CalendarUnavailableError within the caller deadline when Google hangs', async () => {
    h = await harness();
    await h.provider.freeBusy(STAFF, range);
    h.fake.inject('freebusy', { delayMs: 3_000 });
    const t0 = performance.now();
    const err = await h.provider.freeBusy(STAFF, range, AbortSignal.timeout(250)).catch((e: unknown) => e);
    const elapsed = performance.now() - t0;
    expect(err).toBeInstanceOf(CalendarUnavailableError);
    expect((err as Error).cause).toMatchObject({ kind: 'deadline', attempts: 1 });
    expect(elapsed).toBeGreaterThanOrEqual(240);
    // Far below the 3 s Google would take: the deadline, not the server, ended the call.
    expect(elapsed).toBeLessThan(2_000);
  });

  it('does not sleep through a long backoff past the deadline', async () => {
    h = await harness({ policy: { retryAfterCapMs: 5_000 } });
    await h.provider.freeBusy(STAFF, range);
    h.fake.inject('freebusy', { status: 429, retryAfterSec: 5 });
    const t0 = performance.now();
    await expect(h.provider.freeBusy(STAFF, range, AbortSignal.timeout(200))).rejects.toBeInstanceOf(CalendarUnavailableError);
    // Far below the 5 s Retry-After: the backoff was cut short by the deadline.
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(h.fake.counts().freebusy).toBe(2);
  });

  it('retries an attempt that exceeds its own timeout', async () => {
    h = await harness({ policy: { attemptTimeoutMs: 150 } });
    await h.provider.freeBusy(STAFF, range);
    h.fake.inject('freebusy', { delayMs: 1_000 });
    const t0 = performance.now();
    const fb = await h.provider.freeBusy(STAFF, range);
    expect(fb.errors.size).toBe(0);
    // Three attempts in less time than two slow answers would take.
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(h.fake.counts().freebusy).toBe(3);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast without touching Google, reports it, and recovers', async () => {
    h = await harness({ policy: { maxAttempts: 1, breaker: { threshold: 3, halfOpenAfterMs: 300 } } });
    await h.provider.freeBusy(STAFF, range);
    h.fake.resetCounts();
    h.fake.inject('freebusy', { status: 500 }, 3);
    for (let i = 0; i < 3; i++) await expect(h.provider.freeBusy(STAFF, range)).rejects.toBeInstanceOf(CalendarUnavailableError);
    expect(h.provider.health()).toMatchObject({ ok: false, detail: expect.stringMatching(/circuit open.*HTTP 500 backendError/) });

    const t0 = performance.now();
    const err = await h.provider.createEvent(bookingInput()).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(err).toBeInstanceOf(CalendarUnavailableError);
    expect((err as Error).cause).toMatchObject({ kind: 'circuit-open' });
    expect(h.fake.counts()).toEqual({ freebusy: 3, total: 3 });

    await new Promise((r) => setTimeout(r, 320));
    const fb = await h.provider.freeBusy(STAFF, range);
    expect(fb.errors.size).toBe(0);
    expect(h.provider.health()).toEqual({ ok: true });
    expect(h.logger.entries.map((e) => e.msg)).toEqual(expect.arrayContaining(['circuit opened: failing fast', 'circuit closed: remote recovered']));
  });

  it('is not opened by permanent errors such as 404', async () => {
    h = await harness({ policy: { maxAttempts: 1, breaker: { threshold: 2, halfOpenAfterMs: 10_000 } } });
    for (let i = 0; i < 4; i++) await h.provider.cancelEvent(STAFF[0]!, `missing${i}x`);
    expect(h.provider.health().ok).toBe(true);
  });
});

describe('classifyError on non-Google SDK shapes', () => {
  it('reads status and headers from fetch-style SDK errors (Telnyx, OpenAI)', () => {
    const rateLimited = Object.assign(new Error('rate limited'), { status: 429, headers: new Headers({ 'retry-after-ms': '1500' }) });
    expect(classifyError(rateLimited)).toMatchObject({ kind: 'transient', status: 429, retryAfterMs: 1500, ambiguous: false });
    const plain = Object.assign(new Error('x'), { status: 503, headers: { 'Retry-After': '2' } });
    expect(classifyError(plain)).toMatchObject({ kind: 'transient', retryAfterMs: 2000, ambiguous: true });
    const dated = Object.assign(new Error('x'), { status: 429, headers: { 'retry-after': new Date(10_000 + 4_000).toUTCString() } });
    expect(classifyError(dated, () => 10_000).retryAfterMs).toBeLessThanOrEqual(4_000);
    expect(classifyError(Object.assign(new Error('bad'), { status: 422 }))).toMatchObject({ kind: 'permanent' });
  });

  it('treats connection failures as transient, and knows which may have reached the server', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(classifyError(refused)).toMatchObject({ kind: 'transient', ambiguous: false, code: 'ECONNREFUSED' });
    const undici = new TypeError('fetch failed', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(classifyError(undici)).toMatchObject({ kind: 'transient', ambiguous: true, code: 'UND_ERR_SOCKET' });
    expect(classifyError(new Error('socket hang up'))).toMatchObject({ kind: 'transient', ambiguous: true });
    expect(classifyError(new AttemptTimeoutError(100))).toMatchObject({ kind: 'transient', ambiguous: true });
    expect(classifyError(new DOMException('aborted', 'AbortError'))).toMatchObject({ kind: 'aborted' });
    expect(classifyError(new Error('something else'))).toMatchObject({ kind: 'permanent' });
  });

  it('recognises OAuth token endpoint refusals as credential problems', () => {
    const err = Object.assign(new Error('invalid_grant'), { status: 400, response: { status: 400, data: { error: 'invalid_grant' } } });
    expect(classifyError(err)).toMatchObject({ kind: 'auth', reason: 'invalid_grant' });
  });
});
