import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { lastLogged } from './support.js';

const SECRET = 'el-tool-secret-123';
let deps: TestDeps;
afterEach(() => deps?.cleanup());

async function setup(env: Record<string, string> = { ELEVENLABS_TOOL_SECRET: SECRET }) {
  deps = await makeTestDeps({ env });
  return createApp(deps);
}

describe('ElevenLabs server tools', () => {
  it('runs a flat body per tool, with the conversation id from the header', async () => {
    const app = await setup();
    const res = await request(app)
      .post('/webhooks/elevenlabs/book_appointment')
      .set('authorization', `Bearer ${SECRET}`)
      .set('x-conversation-id', 'conv_abc')
      .send({ customer_name: 'Alan Turing', customer_phone: '+12125550123', service_name: 'haircut', appointment_datetime: '2026-11-24T09:00' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, appointment: { customer: { phone: '+12125550123' } } });
    expect(await lastLogged(deps)).toMatchObject({ platform: 'elevenlabs', call_id: 'conv_abc', tool: 'book_appointment', ok: true });
  });

  it('runs the {tool_call_id, tool_name, parameters} form, keyed by tool_call_id for retries', async () => {
    const app = await setup();
    const body = {
      tool_call_id: 'toolu_1',
      tool_name: 'book_appointment',
      conversation_id: 'conv_xyz',
      parameters: { customer_name: 'Alan Turing', customer_phone: '+12125550123', service_name: 'haircut', appointment_datetime: '2026-11-24T09:15' },
    };
    const first = await request(app).post('/webhooks/elevenlabs').set('authorization', `Bearer ${SECRET}`).send(body);
    expect(first.status).toBe(200);
    expect(first.body.ok).toBe(true);
    expect(await lastLogged(deps)).toMatchObject({ platform: 'elevenlabs', call_id: 'conv_xyz', tool_call_id: 'toolu_1' });

    const again = await request(app).post('/webhooks/elevenlabs/book_appointment').set('x-tool-secret', SECRET).send(body);
    expect(again.body.appointment.id).toBe(first.body.appointment.id);
    expect((await lastLogged(deps))!.replayed).toBe(true);
  });

  it('rejects a missing or wrong secret with 401', async () => {
    const app = await setup();
    expect((await request(app).post('/webhooks/elevenlabs/list_services').send({})).status).toBe(401);
    expect((await request(app).post('/webhooks/elevenlabs/list_services').set('authorization', 'Bearer nope').send({})).status).toBe(401);
    expect((await request(app).post('/webhooks/elevenlabs/list_services').set('authorization', `Bearer ${SECRET}`).send({})).status).toBe(200);
  });

  it('answers malformed bodies with a clear result-shaped error', async () => {
    const app = await setup();
    const auth = { authorization: `Bearer ${SECRET}` };
    const noTool = await request(app).post('/webhooks/elevenlabs').set(auth).send({ tool_call_id: 'x', parameters: {} });
    expect(noTool.status).toBe(400);
    expect(noTool.body).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: expect.stringContaining('tool') });

    const badParams = await request(app).post('/webhooks/elevenlabs').set(auth).send({ tool_name: 'list_services', parameters: [1] });
    expect(badParams.status).toBe(400);

    const broken = await request(app).post('/webhooks/elevenlabs/list_services').set(auth).set('content-type', 'application/json').send('{"a":');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ ok: false, message: 'The request body is not valid JSON.' });
  });

  it('speaks a tool failure and a bad argument with 200', async () => {
    const app = await setup({});
    const res = await request(app).post('/webhooks/elevenlabs/find_available_slots').send({ service_name: 'tattoo' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: false, code: 'UNKNOWN_SERVICE' });
    const missing = await request(app).post('/webhooks/elevenlabs/book_appointment').send({ service_name: 'haircut' });
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
  });
});
