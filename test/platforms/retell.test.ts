import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { signRetell } from '../../src/platforms/signatures.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { lastLogged } from './support.js';

const KEY = 'key_retell_webhook_badge_0123456789';
let deps: TestDeps;
afterEach(() => deps?.cleanup());

async function setup(env: Record<string, string> = { RETELL_API_KEY: KEY }) {
  deps = await makeTestDeps({ env });
  return createApp(deps);
}

function envelope(name: string, args: unknown, call: Record<string, unknown> = {}) {
  return JSON.stringify({
    name,
    call: { call_id: 'call_retell_1', direction: 'inbound', from_number: '+12125550123', to_number: '+12125550100', transcript: 'Agent: Hi', ...call },
    args,
  });
}

function post(app: ReturnType<typeof createApp>, body: string, signature?: string, path = '/webhooks/retell') {
  const r = request(app).post(path).set('content-type', 'application/json');
  if (signature) r.set('x-retell-signature', signature);
  return r.send(body);
}

describe('Retell custom functions', () => {
  it('runs a signed call with the caller from the call object and logs it under the call id', async () => {
    const app = await setup();
    const body = envelope('book_appointment', { customer_name: 'Grace Hopper', service_name: 'haircut', appointment_datetime: '2026-11-24T11:00' });
    const res = await post(app, body, signRetell(body, KEY, deps.clock.now()));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, appointment: { customer: { name: 'Grace Hopper', phone: '+12125550123' } } });
    expect(await lastLogged(deps)).toMatchObject({ platform: 'retell', call_id: 'call_retell_1', caller: '+12125550123', tool: 'book_appointment' });

    // Retell retries a failed delivery with the same body: answered from the first run.
    const retry = await post(app, body, signRetell(body, KEY, deps.clock.now() + 1000));
    expect(retry.body.appointment.id).toBe(res.body.appointment.id);
    expect((await lastLogged(deps))!.replayed).toBe(true);
  });

  it('takes the caller from to_number on outbound calls', async () => {
    const app = await setup();
    const body = envelope('list_appointments', {}, { direction: 'outbound', from_number: '+12125550100', to_number: '+12125550177' });
    const res = await post(app, body, signRetell(body, KEY, deps.clock.now()));
    expect(res.body.ok).toBe(true);
    expect((await lastLogged(deps))!.caller).toBe('+12125550177');
  });

  it('accepts a signature over the re-serialized body, as Retell\'s SDK computes it', async () => {
    const app = await setup();
    const pretty = JSON.stringify(JSON.parse(envelope('list_services', {})), null, 2);
    const res = await post(app, pretty, signRetell(JSON.stringify(JSON.parse(pretty)), KEY, deps.clock.now()));
    expect(res.status).toBe(200);
  });

  it('rejects unsigned, mis-signed and stale requests with 401', async () => {
    const app = await setup();
    const body = envelope('list_services', {});
    const now = deps.clock.now();
    expect((await post(app, body)).status).toBe(401);
    expect((await post(app, body, signRetell(body, 'another key', now))).status).toBe(401);
    expect((await post(app, body.replace('Hi', 'Hello'), signRetell(body, KEY, now))).status).toBe(401);
    expect((await post(app, body, signRetell(body, KEY, now - 6 * 60_000))).status).toBe(401);
    expect((await post(app, body, 'v=abc,d=zz')).status).toBe(401);
    expect((await post(app, body, signRetell(body, KEY, now - 4 * 60_000))).status).toBe(200);
  });

  it('answers malformed bodies with a clear result-shaped error', async () => {
    const app = await setup();
    const noName = JSON.stringify({ call: { call_id: 'c' }, args: {} });
    const res = await post(app, noName, signRetell(noName, KEY, deps.clock.now()));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: expect.stringContaining('name') });

    const broken = '{"name": "list_services", ';
    const bad = await post(app, broken, signRetell(broken, KEY, deps.clock.now()));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ ok: false, message: 'The request body is not valid JSON.' });
  });

  it('speaks a tool failure with 200, and accepts args-only bodies on /webhooks/retell/:tool', async () => {
    const app = await setup({});
    const body = envelope('cancel_appointment', {});
    const res = await post(app, body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(typeof res.body.message).toBe('string');

    const argsOnly = await post(app, JSON.stringify({ service_name: 'haircut' }), undefined, '/webhooks/retell/get_next_available');
    expect(argsOnly.status).toBe(200);
    expect(argsOnly.body.ok).toBe(true);
  });

  it('takes bodies larger than the app-wide limit (long transcripts)', async () => {
    const app = await setup();
    const words = Array.from({ length: 8000 }, (_, i) => ({ word: `word${i}`, start: i * 0.3, end: i * 0.3 + 0.25 }));
    const body = envelope('list_services', {}, { transcript_object: [{ role: 'user', content: 'long', words }] });
    expect(body.length).toBeGreaterThan(300_000);
    const res = await post(app, body, signRetell(body, KEY, deps.clock.now()));
    expect(res.status).toBe(200);
    expect(res.body.ok).toBe(true);
  });
});
