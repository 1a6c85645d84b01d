/** Vapi fixtures typed with @vapi-ai/server-sdk, so they are the SDK's schema, not our guess of it. */
import type { Vapi } from '@vapi-ai/server-sdk';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { lastLogged } from './support.js';

const SECRET = 'vapi-secret-1';
let deps: TestDeps;
afterEach(() => deps?.cleanup());

function toolCalls(calls: Array<{ id: string; name: string; args: Record<string, unknown> }>): { message: Vapi.ServerMessageToolCalls } {
  const call: Vapi.Call = {
    id: 'vapi-call-1',
    orgId: 'org-1',
    createdAt: '2026-11-23T13:00:00.000Z',
    updatedAt: '2026-11-23T13:00:00.000Z',
    type: 'inboundPhoneCall',
    customer: { number: '+12125550123' },
  };
  const toolCallList: Vapi.ToolCall[] = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } }));
  return { message: { type: 'tool-calls', timestamp: 1795438800000, call, customer: { number: '+12125550123' }, toolCallList, toolWithToolCallList: [] } };
}

describe('Vapi server URL (SDK-typed fixtures)', () => {
  it('answers tool-calls with one result per call, in order, as single-line strings', async () => {
    deps = await makeTestDeps({ env: { VAPI_SECRET: SECRET } });
    const app = createApp(deps);
    const body = toolCalls([
      { id: 'tc_1', name: 'list_services', args: {} },
      { id: 'tc_2', name: 'book_appointment', args: { customer_name: 'Ada', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' } },
    ]);
    const res = await request(app).post('/webhooks/vapi').set('x-vapi-secret', SECRET).send(body);
    expect(res.status).toBe(200);
    const answer = res.body as Vapi.ServerMessageResponseToolCalls;
    expect(answer.results!.map((r) => r.toolCallId)).toEqual(['tc_1', 'tc_2']);
    for (const r of answer.results!) expect(r.result).not.toContain('\n');
    expect(JSON.parse(answer.results![1]!.result!)).toMatchObject({ ok: true, appointment: { customer: { phone: '+12125550123' } } });
    expect(await lastLogged(deps)).toMatchObject({ platform: 'vapi', call_id: 'vapi-call-1', tool_call_id: 'tc_2' });
  });

  it('writes the answer by hand exactly as JSON.stringify would, even for ids and names that need escaping', async () => {
    deps = await makeTestDeps({ env: { VAPI_SECRET: SECRET } });
    const app = createApp(deps);
    const odd = 'tc "quoted" \\ back\u2028slash é 🙂';
    const body = toolCalls([
      { id: odd, name: 'list_services', args: {} },
      { id: 'tc_2', name: 'no "such" tool\n', args: {} },
    ]);
    const res = await request(app).post('/webhooks/vapi').set('x-vapi-secret', SECRET).send(body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    const answer = JSON.parse(res.text) as { results: { toolCallId: string; name: string; result: string }[] };
    expect(res.text).toBe(JSON.stringify(answer));
    expect(answer.results.map((r) => [r.toolCallId, r.name])).toEqual([
      [odd, 'list_services'],
      ['tc_2', 'no "such" tool\n'],
    ]);
    expect(JSON.parse(answer.results[0]!.result)).toMatchObject({ ok: true });
    expect(JSON.parse(answer.results[1]!.result)).toMatchObject({ ok: false, code: 'UNKNOWN_TOOL' });
  });

  it('rejects a wrong secret with 401, a non-Vapi body with 400, and speaks a tool failure with 200', async () => {
    deps = await makeTestDeps({ env: { VAPI_SECRET: SECRET } });
    const app = createApp(deps);
    const body = toolCalls([{ id: 'tc_9', name: 'book_appointment', args: { customer_name: 'Ada', service_name: 'haircut', appointment_datetime: '2026-11-30T10:00' } }]);
    expect((await request(app).post('/webhooks/vapi').set('x-vapi-secret', 'wrong').send(body)).status).toBe(401);
    expect((await request(app).post('/webhooks/vapi').send(body)).status).toBe(401);
    expect((await request(app).post('/webhooks/vapi').set('authorization', `Bearer ${SECRET}`).send({ hello: 1 })).status).toBe(400);
    const res = await request(app).post('/webhooks/vapi').set('x-vapi-secret', SECRET).send(body);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.results[0].result)).toMatchObject({ ok: false, code: 'CLOSED' });
  });
});
