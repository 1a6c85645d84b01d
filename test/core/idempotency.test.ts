/**
 * An Idempotency-Key (or a platform's tool call id) replayed with different arguments is refused,
 * as Stripe does, instead of answering with the first call's result: Carol must never hear
 * "Booked ... for Bob" while nothing is stored for her. This holds whether the first call is done or
 * still running.
 */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog, countAppointments } from '../support/store.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const BOB = { customer_name: 'Bob Roe', customer_phone: '5550102031', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' };
const CAROL = { ...BOB, customer_name: 'Carol Poe', customer_phone: '5550102032', appointment_datetime: '2026-11-24T11:00' };
const MISMATCH = { ok: false, code: 'IDEMPOTENCY_MISMATCH', message: 'Sorry, that clashed with an earlier request, so nothing was changed. Shall I try again?' };
const count = () => countAppointments(deps.store);

describe('a key replayed with different arguments', () => {
  it('POST /tools: 422 IDEMPOTENCY_MISMATCH, Carol is not answered with Bob\'s booking, and nothing is stored for her', async () => {
    deps = await makeTestDeps();
    const app = createApp(deps);
    const bob = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'K').send(BOB);
    expect(bob.body.ok).toBe(true);
    const carol = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'K').send(CAROL);
    expect(carol.status).toBe(422);
    expect(carol.body).toEqual(MISMATCH);
    expect(await count()).toBe(1);
    expect(await deps.store.appointments.upcomingByPhone('+15550102032', deps.clock.now())).toHaveLength(0);
    // The same arguments with the same key are still a replay of the first answer.
    const replay = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'K').send(BOB);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(bob.body);
    // A refusal is logged, not marked as a replay.
    const log = await callLog(deps, 3);
    expect(log.map((r) => [r.code, r.replayed])).toEqual([[null, true], ['IDEMPOTENCY_MISMATCH', false], [null, false]]);
  });

  it('while the first call is still running, a different request under its key is refused at once', async () => {
    deps = await makeTestDeps({ env: { TOOL_DEADLINE_MS: '300' } });
    await deps.store.idempotency.claim('book_appointment:http:K', 'book_appointment', 'hash-of-another-request', deps.clock.now());
    const t0 = Date.now();
    const out = await runTool(deps, 'book_appointment', CAROL, { platform: 'http', idempotencyKey: 'http:K' });
    expect(out.kind).toBe('conflict');
    expect(out.result).toEqual(MISMATCH);
    expect(Date.now() - t0).toBeLessThan(250);
    expect(await count()).toBe(0);
  });

  it('the store reports whether a pending claim had the same arguments', async () => {
    deps = await makeTestDeps();
    const now = deps.clock.now();
    expect(await deps.store.idempotency.claim('k', 'book_appointment', 'a', now)).toEqual({ state: 'claimed' });
    expect(await deps.store.idempotency.claim('k', 'book_appointment', 'a', now)).toEqual({ state: 'pending', sameArgs: true });
    expect(await deps.store.idempotency.claim('k', 'book_appointment', 'b', now)).toEqual({ state: 'pending', sameArgs: false });
  });

  it('Vapi: a tool call id replayed with other arguments gets the error in its own result, HTTP 200', async () => {
    deps = await makeTestDeps();
    const app = createApp(deps);
    const send = (args: Record<string, unknown>) =>
      request(app)
        .post('/webhooks/vapi')
        .send({ message: { type: 'tool-calls', call: { id: 'c1', customer: { number: '+15550102031' } }, toolCallList: [{ id: 'tc_same', type: 'function', function: { name: 'book_appointment', arguments: JSON.stringify(args) } }] } });
    const first = await send(BOB);
    expect(JSON.parse(first.body.results[0].result).ok).toBe(true);
    const second = await send({ ...BOB, customer_name: 'Carol Poe', appointment_datetime: '2026-11-24T11:00' });
    expect(second.status).toBe(200);
    expect(second.body.results[0]).toMatchObject({ toolCallId: 'tc_same', name: 'book_appointment' });
    expect(JSON.parse(second.body.results[0].result)).toEqual(MISMATCH);
    expect(await count()).toBe(1);
  });
});
