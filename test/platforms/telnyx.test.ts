import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog } from '../support/store.js';
import { lastLogged, telnyxHeaders, telnyxKeys } from './support.js';

const keys = telnyxKeys();
let deps: TestDeps;
afterEach(() => deps?.cleanup());

async function setup(env: Record<string, string> = { TELNYX_PUBLIC_KEY: keys.publicKeyB64 }) {
  deps = await makeTestDeps({ env });
  return createApp(deps);
}

function post(app: ReturnType<typeof createApp>, path: string, body: string, headers: Record<string, string>) {
  return request(app).post(path).set(headers).send(body);
}

const BOOK = JSON.stringify({ customer_name: 'Ada Lovelace', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' });

describe('Telnyx webhook tools', () => {
  it('binds the caller at call start and books with that number, logged under the call id', async () => {
    const app = await setup();
    const start = JSON.stringify({
      data: { event_type: 'assistant.initialization', payload: { call_control_id: 'v3:ccid-1', telnyx_end_user_target: '+12125550123', telnyx_agent_target: '+12125550100' } },
    });
    const dv = await post(app, '/webhooks/telnyx/dynamic-variables', start, telnyxHeaders(keys, start, deps.clock.now()));
    expect(dv.status).toBe(200);
    expect(dv.body.dynamic_variables).toMatchObject({ business_name: 'Maple Street Salon', business_timezone: 'America/New_York', today: '2026-11-23' });

    const res = await post(app, '/webhooks/telnyx/book_appointment', BOOK, { ...telnyxHeaders(keys, BOOK, deps.clock.now()), 'x-telnyx-call-control-id': 'v3:ccid-1' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, appointment: { customer: { phone: '+12125550123' } } });
    expect(res.body.message).toMatch(/^Booked: a haircut/);
    expect(await lastLogged(deps)).toMatchObject({ platform: 'telnyx', call_id: 'v3:ccid-1', caller: '+12125550123', tool: 'book_appointment', ok: true });

    // Telnyx retrying the same request books nothing new.
    const again = await post(app, '/webhooks/telnyx/book_appointment', BOOK, { ...telnyxHeaders(keys, BOOK, deps.clock.now()), 'x-telnyx-call-control-id': 'v3:ccid-1' });
    expect(again.body.appointment.id).toBe(res.body.appointment.id);
    expect((await lastLogged(deps))!.replayed).toBe(true);
  });

  it('falls back to the templated caller header, and forgets bindings after six hours', async () => {
    const app = await setup();
    const start = JSON.stringify({ data: { payload: { call_control_id: 'ccid-2', telnyx_end_user_target: '+12125550123' } } });
    await post(app, '/webhooks/telnyx/dynamic-variables', start, telnyxHeaders(keys, start, deps.clock.now()));
    deps.clock.advance(7 * 3600_000);
    const body = JSON.stringify({});
    const list = await post(app, '/webhooks/telnyx/list_appointments', body, { ...telnyxHeaders(keys, body, deps.clock.now()), 'x-telnyx-call-control-id': 'ccid-2' });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(list.body.message).toBe("What's the best number to reach you, with the area code?");

    const withHeader = await post(app, '/webhooks/telnyx/list_appointments', body, {
      ...telnyxHeaders(keys, body, deps.clock.now()),
      'x-telnyx-call-control-id': 'ccid-2',
      'x-caller-number': '+12125550199',
    });
    expect(withHeader.body.ok).toBe(true);
    expect(await lastLogged(deps)).toMatchObject({ caller: '+12125550199', call_id: 'ccid-2' });
  });

  it('rejects unsigned, mis-signed, stale and future-dated requests with 401', async () => {
    const app = await setup();
    const now = deps.clock.now();
    const unsigned = await post(app, '/webhooks/telnyx/list_services', '{}', { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);

    const signedOther = telnyxHeaders(keys, '{"a":1}', now);
    expect((await post(app, '/webhooks/telnyx/list_services', '{"a":2}', signedOther)).status).toBe(401);

    const otherKey = telnyxKeys();
    expect((await post(app, '/webhooks/telnyx/list_services', '{}', telnyxHeaders(otherKey, '{}', now))).status).toBe(401);

    expect((await post(app, '/webhooks/telnyx/list_services', '{}', telnyxHeaders(keys, '{}', now - 301_000))).status).toBe(401);
    expect((await post(app, '/webhooks/telnyx/list_services', '{}', telnyxHeaders(keys, '{}', now + 301_000))).status).toBe(401);
    expect((await post(app, '/webhooks/telnyx/list_services', '{}', telnyxHeaders(keys, '{}', now - 299_000))).status).toBe(200);

    const garbage = { ...telnyxHeaders(keys, '{}', now), 'telnyx-signature-ed25519': 'not base64 at all' };
    expect((await post(app, '/webhooks/telnyx/list_services', '{}', garbage)).status).toBe(401);
    // Signature checks cover the dynamic-variables webhook too: nobody else may plant a caller binding.
    expect((await post(app, '/webhooks/telnyx/dynamic-variables', '{}', { 'content-type': 'application/json' })).status).toBe(401);
    expect(await callLog(deps, 10)).toHaveLength(1);
  });

  it('answers a malformed body with a clear result-shaped error', async () => {
    const app = await setup();
    const arr = '[1,2,3]';
    const res = await post(app, '/webhooks/telnyx/list_services', arr, telnyxHeaders(keys, arr, deps.clock.now()));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: expect.stringContaining('JSON object') });

    const broken = '{"customer_name": ';
    const bad = await post(app, '/webhooks/telnyx/book_appointment', broken, telnyxHeaders(keys, broken, deps.clock.now()));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON.' });

    const unknown = await post(app, '/webhooks/telnyx/make_coffee', '{}', telnyxHeaders(keys, '{}', deps.clock.now()));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ ok: false, code: 'UNKNOWN_TOOL' });
  });

  it('speaks a tool failure with 200 instead of failing the request', async () => {
    const app = await setup();
    const monday = JSON.stringify({ customer_name: 'Ada', customer_phone: '212 555 0123', service_name: 'haircut', appointment_datetime: '2026-11-30T10:00' });
    const res = await post(app, '/webhooks/telnyx/book_appointment', monday, telnyxHeaders(keys, monday, deps.clock.now()));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, code: 'CLOSED' });
    expect(res.body.message).toMatch(/closed/i);
    expect(res.body.message).not.toContain('\n');
  });

  it('accepts unsigned requests when no public key is configured', async () => {
    const app = await setup({});
    const res = await post(app, '/webhooks/telnyx/list_services', '{}', { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
    const empty = await request(app).post('/webhooks/telnyx/list_services');
    expect(empty.body.ok).toBe(true);
  });

  it('refuses to start with a public key that is not a 32-byte Ed25519 key', async () => {
    deps = await makeTestDeps({ env: { TELNYX_PUBLIC_KEY: Buffer.from('short').toString('base64') } });
    expect(() => createApp(deps)).toThrow(/TELNYX_PUBLIC_KEY/);
  });
});
