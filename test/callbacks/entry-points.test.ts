/** request_callback through every platform's entry point, each with its own caller-number source. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { signRetell } from '../../src/platforms/signatures.js';
import { STORE_KINDS, type TestDeps } from '../helpers.js';
import { lastLogged, listen, telnyxHeaders, telnyxKeys } from '../platforms/support.js';
import { callbackDeps } from './support.js';

const TOOLS_KEY = 'tools-key-123';
const RETELL_KEY = 'key_retell_webhook_badge_0123456789';
const EL_SECRET = 'el-tool-secret-123';
const keys = telnyxKeys();
const ENV = { TOOLS_API_KEY: TOOLS_KEY, RETELL_API_KEY: RETELL_KEY, ELEVENLABS_TOOL_SECRET: EL_SECRET, TELNYX_PUBLIC_KEY: keys.publicKeyB64 };
const ARGS = { customer_name: 'Ada Lovelace', reason: 'a quote for color', urgency: 'high' };
const SAID = 'Someone from Maple Street Salon will call you back by noon today.';

let deps: TestDeps | undefined;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await deps?.cleanup();
  deps = undefined;
});

async function setup(kind: (typeof STORE_KINDS)[number]) {
  deps = await callbackDeps(kind, '2026-11-24T10:00', {}, {}, ENV);
  return { d: deps, app: createApp(deps) };
}

async function callbackOf(d: TestDeps, phone: string) {
  return d.store.callbacks.openByPhone(phone);
}

describe.each(STORE_KINDS)('request_callback entry points on %s', (kind) => {
  it('MCP: listed, and called with the X-Caller-Number', async () => {
    const { d, app } = await setup(kind);
    const server = await listen(app);
    closers.push(server.close);
    const client = new Client({ name: 'bookline-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOOLS_KEY}`, 'x-caller-number': '+12125550401' } } }));
    closers.unshift(() => client.close());
    const { tools } = await client.listTools();
    expect(tools.find((t) => t.name === 'request_callback')?.annotations).toMatchObject({ readOnlyHint: false });
    const out = await client.callTool({ name: 'request_callback', arguments: ARGS });
    expect(JSON.parse((out.content as { text: string }[])[0]!.text)).toMatchObject({ ok: true, message: SAID });
    expect(await callbackOf(d, '+12125550401')).toMatchObject({ source: 'mcp', urgency: 'high' });
  });

  it('Retell: the caller from call.from_number', async () => {
    const { d, app } = await setup(kind);
    const body = JSON.stringify({ name: 'request_callback', call: { call_id: 'call_r', direction: 'inbound', from_number: '+12125550402', to_number: '+12125550100' }, args: ARGS });
    const res = await request(app).post('/webhooks/retell').set('content-type', 'application/json').set('x-retell-signature', signRetell(body, RETELL_KEY, d.clock.now())).send(body);
    expect(res.body).toMatchObject({ ok: true, message: SAID });
    expect(await callbackOf(d, '+12125550402')).toMatchObject({ source: 'retell' });
    expect(await lastLogged(d)).toMatchObject({ platform: 'retell', tool: 'request_callback', call_id: 'call_r' });
  });

  it('Telnyx: the caller recorded at call start', async () => {
    const { d, app } = await setup(kind);
    const start = JSON.stringify({ data: { event_type: 'assistant.initialization', payload: { call_control_id: 'v3:cb-1', telnyx_end_user_target: '+12125550403', telnyx_agent_target: '+12125550100' } } });
    expect((await request(app).post('/webhooks/telnyx/dynamic-variables').set(telnyxHeaders(keys, start, d.clock.now())).send(start)).status).toBe(200);
    const body = JSON.stringify(ARGS);
    const res = await request(app)
      .post('/webhooks/telnyx/request_callback')
      .set({ ...telnyxHeaders(keys, body, d.clock.now()), 'x-telnyx-call-control-id': 'v3:cb-1' })
      .send(body);
    expect(res.body).toMatchObject({ ok: true, message: SAID });
    expect(await callbackOf(d, '+12125550403')).toMatchObject({ source: 'telnyx' });
  });

  it('ElevenLabs: customer_phone filled from system__caller_id', async () => {
    const { d, app } = await setup(kind);
    const res = await request(app).post('/webhooks/elevenlabs/request_callback').set('authorization', `Bearer ${EL_SECRET}`).send({ ...ARGS, customer_phone: '+12125550404' });
    expect(res.body).toMatchObject({ ok: true, message: SAID });
    expect(await callbackOf(d, '+12125550404')).toMatchObject({ source: 'elevenlabs' });
  });

  it('is in the openai definitions (the tools /v1/chat/completions gives its model); Vapi takes another call-back number', async () => {
    const { d, app } = await setup(kind);
    const defs = await request(app).get('/tools/definitions?format=openai').set('authorization', `Bearer ${TOOLS_KEY}`);
    const def = (defs.body as { function: { name: string; parameters: { required: string[] } } }[]).find((t) => t.function.name === 'request_callback');
    expect(def?.function.parameters.required).toEqual(['customer_name', 'customer_phone', 'reason', 'urgency', 'preferred_time', 'service_name']);
    // A caller asking to be called back on another number is fine: it is not a lookup of anyone's data.
    const vapi = await request(app)
      .post('/webhooks/vapi')
      .send({
        message: {
          type: 'tool-calls',
          call: { id: 'call_v', customer: { number: '+12125550405' } },
          toolCallList: [{ id: 'tc_v', type: 'function', function: { name: 'request_callback', arguments: JSON.stringify({ ...ARGS, customer_phone: '+12125550406' }) } }],
        },
      });
    expect(JSON.parse(vapi.body.results[0].result)).toMatchObject({ ok: true });
    expect(await callbackOf(d, '+12125550406')).toMatchObject({ source: 'vapi' });
  });
});
