/**
 * Authentication on every entry point, caller-id binding per platform, and the no-double-booking and
 * replay guarantees across all HTTP entry points at once.
 */
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import { checkEntryPoints } from '../../src/config/security.js';
import { signRetell, signVapiHmac } from '../../src/platforms/signatures.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { countAppointments } from '../support/store.js';
import { telnyxHeaders, telnyxKeys } from '../platforms/support.js';

const keys = telnyxKeys();
const SECRETS = {
  VAPI_SECRET: 'vapi-secret',
  TELNYX_PUBLIC_KEY: keys.publicKeyB64,
  RETELL_API_KEY: 'retell-key',
  ELEVENLABS_TOOL_SECRET: 'el-secret',
  TOOLS_API_KEY: 'tools-key',
  RATE_LIMIT_PHONE_PER_HOUR: '0',
  RATE_LIMIT_IP_PER_MINUTE: '0',
};

let deps: TestDeps;
afterEach(() => deps?.cleanup());

describe('production refuses open entry points', () => {
  it('names every variable to set', () => {
    expect(() => checkEntryPoints(parseEnv({ NODE_ENV: 'production' }))).toThrow(
      /Refusing to start in production[\s\S]*VAPI_SECRET or VAPI_HMAC_SECRET[\s\S]*TELNYX_PUBLIC_KEY[\s\S]*RETELL_API_KEY[\s\S]*ELEVENLABS_TOOL_SECRET[\s\S]*TOOLS_API_KEY/,
    );
    expect(checkEntryPoints(parseEnv({ NODE_ENV: 'production', ...SECRETS }))).toEqual([]);
    const partly = parseEnv({ NODE_ENV: 'production', VAPI_SECRET: 'x', TOOLS_API_KEY: 'y', ALLOW_OPEN_ENTRY_POINTS: 'telnyx, retell,elevenlabs' });
    expect(checkEntryPoints(partly)).toEqual([]);
    expect(() => checkEntryPoints(parseEnv({ ALLOW_OPEN_ENTRY_POINTS: 'sms' }))).toThrow(/ALLOW_OPEN_ENTRY_POINTS: unknown entry point\(s\) sms/);
    // Development only warns.
    expect(checkEntryPoints(parseEnv({})).map((p) => p.name)).toEqual(['vapi', 'telnyx', 'retell', 'elevenlabs', 'tools']);
  });

  it('the real server exits 1 with the sentence, before listening', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, NODE_ENV: 'production', VAPI_SECRET: 'x', PORT: '0', DATABASE_PATH: ':memory:' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Refusing to start in production with unauthenticated entry points');
    expect(run.stderr).toContain('/tools/*, /mcp, /v1/chat/completions: set TOOLS_API_KEY');
    expect(run.stderr).not.toContain('/webhooks/vapi');
  });
});

describe('Vapi HMAC credential', () => {
  const HMAC = 'hmac-secret';
  const body = JSON.stringify({ message: { type: 'status-update' } });

  it('valid passes; wrong key, tampered body, stale timestamp and missing headers get 401', async () => {
    deps = await makeTestDeps({ env: { VAPI_HMAC_SECRET: HMAC } });
    const app = createApp(deps);
    const now = deps.clock.now();
    const post = (b: string, h: Record<string, string>) => request(app).post('/webhooks/vapi').set({ 'content-type': 'application/json', ...h }).send(b);
    expect((await post(body, signVapiHmac(body, HMAC, now))).status).toBe(200);
    expect((await post(body, signVapiHmac(body, 'other', now))).status).toBe(401);
    expect((await post(body.replace('status', 'xtatus'), signVapiHmac(body, HMAC, now))).status).toBe(401);
    expect((await post(body, signVapiHmac(body, HMAC, now - 6 * 60_000))).status).toBe(401);
    expect((await post(body, {})).status).toBe(401);
    // Millisecond timestamps are read too (the unit is undocumented).
    const ms = String(now);
    const { createHmac } = await import('node:crypto');
    const sig = createHmac('sha256', HMAC).update(`${ms}.${body}`).digest('hex');
    expect((await post(body, { 'x-timestamp': ms, 'x-signature': sig })).status).toBe(200);
  });
});

// ------------------------------------------------------------------------------------------------
// One book_appointment request per entry point, each with its own envelope and credentials.

type Sender = (app: ReturnType<typeof createApp>, args: Record<string, unknown>, id: string, caller?: string) => Promise<{ ok: boolean; code?: string; appointment?: { id: string } }>;

const senders: Record<string, Sender> = {
  tools: async (app, args, id) =>
    (await request(app).post('/tools/book_appointment').set({ authorization: `Bearer ${SECRETS.TOOLS_API_KEY}`, 'idempotency-key': id }).send(args)).body,
  vapi: async (app, args, id, caller) => {
    const res = await request(app)
      .post('/webhooks/vapi')
      .set('x-vapi-secret', SECRETS.VAPI_SECRET)
      .send({ message: { type: 'tool-calls', call: { id: `call-${id}`, customer: { number: caller } }, toolCallList: [{ id, type: 'function', function: { name: 'book_appointment', arguments: JSON.stringify(args) } }] } });
    return JSON.parse(res.body.results[0].result);
  },
  telnyx: async (app, args, id) => {
    const body = JSON.stringify(args);
    return (await request(app).post('/webhooks/telnyx/book_appointment').set({ ...telnyxHeaders(keys, body, deps.clock.now()), 'x-telnyx-call-control-id': `cc-${id}` }).send(body)).body;
  },
  retell: async (app, args, id, caller) => {
    const body = JSON.stringify({ name: 'book_appointment', call: { call_id: `rc-${id}`, direction: 'inbound', from_number: caller }, args });
    return (await request(app).post('/webhooks/retell').set({ 'content-type': 'application/json', 'x-retell-signature': signRetell(body, SECRETS.RETELL_API_KEY, deps.clock.now()) }).send(body)).body;
  },
  elevenlabs: async (app, args, id, caller) =>
    (await request(app).post('/webhooks/elevenlabs').set('authorization', `Bearer ${SECRETS.ELEVENLABS_TOOL_SECRET}`).send({ tool_call_id: id, tool_name: 'book_appointment', conversation_id: `conv-${id}`, caller_id: caller, parameters: args })).body,
};

describe('across every HTTP entry point', () => {
  it('concurrent bookings of one slot through five entry points: exactly one succeeds', async () => {
    deps = await makeTestDeps({ env: SECRETS });
    const app = createApp(deps);
    const tasks = Object.entries(senders).flatMap(([name, send]) =>
      Array.from({ length: 4 }, (_, i) => {
        const phone = `+1555060${String(Object.keys(senders).indexOf(name) * 10 + i).padStart(4, '0')}`;
        return send(app, { customer_name: `${name} ${i}`, customer_phone: phone, service_name: 'haircut', staff_name: 'Sam', appointment_datetime: '2026-11-24T10:00' }, `${name}-${i}`, phone);
      }),
    );
    const results = await Promise.all(tasks);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(new Set(results.filter((r) => !r.ok).map((r) => r.code))).toEqual(new Set(['SLOT_UNAVAILABLE']));
    expect(await countAppointments(deps.store)).toBe(1);
  });

  it('a replayed request on each entry point returns the first answer and books once', async () => {
    deps = await makeTestDeps({ env: SECRETS });
    const app = createApp(deps);
    const hours = ['09:00', '10:00', '11:00', '14:00', '15:00'];
    let i = 0;
    for (const [name, send] of Object.entries(senders)) {
      const phone = `+1555070${String(i).padStart(4, '0')}`;
      const args = { customer_name: name, customer_phone: phone, service_name: 'haircut', staff_name: 'Priya', appointment_datetime: `2026-11-24T${hours[i++]}` };
      const [a, b] = await Promise.all([send(app, args, `replay-${name}`, phone), send(app, args, `replay-${name}`, phone)]);
      const c = await send(app, args, `replay-${name}`, phone);
      expect(a.ok).toBe(true);
      expect(b.appointment?.id).toBe(a.appointment?.id);
      expect(c.appointment?.id).toBe(a.appointment?.id);
    }
    expect(await countAppointments(deps.store)).toBe(Object.keys(senders).length);
  });
});

describe('caller-id binding on each platform', () => {
  const JANE = '+15550102030';
  const MALLORY = '+15550109999';

  async function janeHasOne(app: ReturnType<typeof createApp>) {
    const r = await senders.tools!(app, { customer_name: 'Jane', customer_phone: JANE, service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' }, 'jane-book');
    expect(r.ok).toBe(true);
  }

  it('Telnyx: the number recorded at call start wins over the model’s', async () => {
    deps = await makeTestDeps({ env: SECRETS });
    const app = createApp(deps);
    await janeHasOne(app);
    const start = JSON.stringify({ data: { event_type: 'assistant.initialization', payload: { call_control_id: 'cc-m', telnyx_end_user_target: MALLORY } } });
    await request(app).post('/webhooks/telnyx/dynamic-variables').set(telnyxHeaders(keys, start, deps.clock.now())).send(start);
    const body = JSON.stringify({ customer_phone: JANE });
    const res = await request(app).post('/webhooks/telnyx/list_appointments').set({ ...telnyxHeaders(keys, body, deps.clock.now()), 'x-telnyx-call-control-id': 'cc-m' }).send(body);
    expect(res.body.code).toBe('CALLER_MISMATCH');
  });

  it('Retell: the call object’s from_number wins over the model’s', async () => {
    deps = await makeTestDeps({ env: SECRETS });
    const app = createApp(deps);
    await janeHasOne(app);
    const body = JSON.stringify({ name: 'cancel_appointment', call: { call_id: 'r1', direction: 'inbound', from_number: MALLORY }, args: { customer_phone: JANE } });
    const res = await request(app).post('/webhooks/retell').set({ 'content-type': 'application/json', 'x-retell-signature': signRetell(body, SECRETS.RETELL_API_KEY, deps.clock.now()) }).send(body);
    expect(res.body.code).toBe('CALLER_MISMATCH');
    expect((await senders.tools!(app, { customer_name: 'Jane', customer_phone: JANE, service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' }, 'jane-book')).ok).toBe(true);
  });

  it('ElevenLabs: caller_id from the system__caller_id variable wins over the model’s', async () => {
    deps = await makeTestDeps({ env: SECRETS });
    const app = createApp(deps);
    await janeHasOne(app);
    const res = await request(app)
      .post('/webhooks/elevenlabs')
      .set('authorization', `Bearer ${SECRETS.ELEVENLABS_TOOL_SECRET}`)
      .send({ tool_call_id: 'e1', tool_name: 'reschedule_appointment', caller_id: MALLORY, parameters: { customer_phone: JANE, new_datetime: '2026-11-25T10:00' } });
    expect(res.body.code).toBe('CALLER_MISMATCH');
  });
});
