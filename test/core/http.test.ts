import type { Vapi } from '@vapi-ai/server-sdk';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog, countAppointments } from '../support/store.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const BOOK_ARGS = { customer_name: 'Jane Doe', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00' };

/** A tool-calls message as the Vapi SDK types it (function.arguments is a string there). */
function vapiMessage(calls: Vapi.ToolCall[], callerNumber = '+15550102030') {
  const message: Omit<Vapi.ServerMessageToolCalls, 'call'> & { call: Partial<Vapi.Call> } = {
    type: 'tool-calls',
    toolCallList: calls,
    toolWithToolCallList: [],
    call: { id: 'call_123', customer: { number: callerNumber } },
  };
  return { message };
}

function results(body: unknown): (Vapi.ToolCallResult & { parsed: Record<string, any> })[] {
  const list = (body as { results: Vapi.ToolCallResult[] }).results;
  return list.map((r) => ({ ...r, parsed: JSON.parse(r.result!) }));
}

describe('POST /webhooks/vapi', () => {
  it('runs SDK-shaped tool calls in order and answers 200 with single-line string results', async () => {
    deps = await makeTestDeps();
    const app = createApp(deps);
    const res = await request(app)
      .post('/webhooks/vapi')
      .send(
        vapiMessage([
          { id: 'tc_1', type: 'function', function: { name: 'book_appointment', arguments: JSON.stringify(BOOK_ARGS) } },
          { id: 'tc_2', type: 'function', function: { name: 'list_appointments', arguments: '{}' } },
        ]),
      );
    expect(res.status).toBe(200);
    const r = results(res.body);
    expect(r.map((x) => [x.toolCallId, x.name])).toEqual([
      ['tc_1', 'book_appointment'],
      ['tc_2', 'list_appointments'],
    ]);
    for (const x of r) expect(x.result).not.toMatch(/\n/);
    // The caller's number came from call.customer.number, not from the model.
    expect(r[0]!.parsed.appointment.customer.phone).toBe('+15550102030');
    expect(r[1]!.parsed.message).toBe('You have one upcoming appointment: a haircut with Sam on Tuesday, November 24 at 10 AM.');
  });

  it.each([
    ['function.arguments as an object', { id: 'x', function: { name: 'list_services', arguments: {} } }],
    ['flat arguments', { id: 'x', name: 'list_services', arguments: {} }],
    ['flat parameters', { id: 'x', name: 'list_services', parameters: {} }],
  ])('accepts %s', async (_label, call) => {
    deps = await makeTestDeps();
    const res = await request(createApp(deps)).post('/webhooks/vapi').send({ message: { type: 'tool-calls', toolCallList: [call] } });
    expect(res.status).toBe(200);
    expect(results(res.body)[0]!.parsed.ok).toBe(true);
  });

  it('accepts toolWithToolCallList with function.parameters', async () => {
    deps = await makeTestDeps();
    const res = await request(createApp(deps))
      .post('/webhooks/vapi')
      .send({
        message: {
          type: 'tool-calls',
          customer: { number: '+15550102030' },
          toolWithToolCallList: [
            { type: 'function', name: 'list_appointments', toolCall: { id: 'tw1', type: 'function', function: { name: 'list_appointments', parameters: {} } } },
          ],
        },
      });
    const r = results(res.body);
    expect(r[0]!.toolCallId).toBe('tw1');
    expect(r[0]!.parsed.ok).toBe(true);
  });

  it('unknown tools and bad arguments become a spoken error for that call only', async () => {
    deps = await makeTestDeps();
    const res = await request(createApp(deps))
      .post('/webhooks/vapi')
      .send(
        vapiMessage([
          { id: 'a', type: 'function', function: { name: 'launch_rocket', arguments: '{}' } },
          { id: 'b', type: 'function', function: { name: 'book_appointment', arguments: '{"service_name":' } },
          { id: 'c', type: 'function', function: { name: 'list_services', arguments: '{}' } },
        ]),
      );
    expect(res.status).toBe(200);
    const [a, b, c] = results(res.body);
    expect(a!.parsed).toMatchObject({ ok: false, code: 'UNKNOWN_TOOL' });
    expect(b!.parsed).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: "Sorry, that didn't go through properly on my side; let me try that again." });
    expect(c!.parsed.ok).toBe(true);
  });

  it('a replayed tool call id books once and returns the first answer', async () => {
    deps = await makeTestDeps();
    const app = createApp(deps);
    const body = vapiMessage([{ id: 'retry_me', type: 'function', function: { name: 'book_appointment', arguments: JSON.stringify(BOOK_ARGS) } }]);
    const first = await request(app).post('/webhooks/vapi').send(body);
    const second = await request(app).post('/webhooks/vapi').send(body);
    expect(second.body).toEqual(first.body);
    expect(await countAppointments(deps.store)).toBe(1);
  });

  it('other message types get a fast empty 200', async () => {
    deps = await makeTestDeps();
    for (const type of ['status-update', 'end-of-call-report', 'conversation-update']) {
      const res = await request(createApp(deps)).post('/webhooks/vapi').send({ message: { type, status: 'ended' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
    }
  });

  it('with VAPI_SECRET set, requires it in X-Vapi-Secret or a bearer token', async () => {
    deps = await makeTestDeps({ env: { VAPI_SECRET: 's3cret' } });
    const app = createApp(deps);
    const body = { message: { type: 'status-update' } };
    expect((await request(app).post('/webhooks/vapi').send(body)).status).toBe(401);
    expect((await request(app).post('/webhooks/vapi').set('X-Vapi-Secret', 'wrong').send(body)).status).toBe(401);
    expect((await request(app).post('/webhooks/vapi').set('X-Vapi-Secret', 's3cret').send(body)).status).toBe(200);
    expect((await request(app).post('/webhooks/vapi').set('Authorization', 'Bearer s3cret').send(body)).status).toBe(200);
  });

  it("unreadable requests are answered in Vapi's results shape: not a Vapi message and malformed JSON 400, over 256 kB 413", async () => {
    deps = await makeTestDeps({ env: { VAPI_SECRET: 's3cret' } });
    const app = createApp(deps);
    /** Vapi's shape, with the failure as a one-line JSON string in results[0].result and in error. */
    const expectVapiShape = (body: { results: { toolCallId?: string; result: string }[]; error: string }, message: string) => {
      expect(Object.keys(body).sort()).toEqual(['error', 'results']);
      expect(body.results).toHaveLength(1);
      expect(body.results[0]!.result).not.toContain('\n');
      expect(JSON.parse(body.results[0]!.result)).toEqual({ ok: false, code: 'INVALID_ARGUMENT', message });
      expect(body.error).toBe(message);
    };
    const notVapi = await request(app).post('/webhooks/vapi').set('X-Vapi-Secret', 's3cret').send({ hello: 1 });
    expect(notVapi.status).toBe(400);
    expectVapiShape(notVapi.body, 'Expected a Vapi server message: {"message": {"type": ...}}.');
    const bad = await request(app).post('/webhooks/vapi').set('content-type', 'application/json').send('{"message":');
    expect(bad.status).toBe(400);
    expectVapiShape(bad.body, 'The request body is not valid JSON.');
    const huge = JSON.stringify(vapiMessage([{ id: 'tc_big', type: 'function', function: { name: 'list_services', arguments: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }) } }]));
    const big = await request(app).post('/webhooks/vapi').set('X-Vapi-Secret', 's3cret').set('content-type', 'application/json').send(huge);
    expect(big.status).toBe(413);
    expectVapiShape(big.body, 'The request body is too large.');
    // Nothing ran.
    expect(await callLog(deps, 10)).toEqual([]);
    // A readable request still works, HMAC or secret alike.
    const ok = await request(app).post('/webhooks/vapi').set('X-Vapi-Secret', 's3cret').send(vapiMessage([{ id: 'tc_ok', type: 'function', function: { name: 'list_services', arguments: '{}' } }]));
    expect(ok.status).toBe(200);
    expect(ok.body.results[0].toolCallId).toBe('tc_ok');
  });
});

describe('POST /tools/:name', () => {
  it('200 for ok true and false, 400 for invalid arguments and malformed JSON, 404 for unknown tools', async () => {
    deps = await makeTestDeps();
    const app = createApp(deps);
    const ok = await request(app).post('/tools/list_services').send({});
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    const closed = await request(app).post('/tools/book_appointment').send({ ...BOOK_ARGS, customer_phone: '5550102030', appointment_datetime: '2026-11-26T10:00' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ ok: false, code: 'CLOSED' });
    const invalid = await request(app).post('/tools/book_appointment').send({ service_name: 'haircut' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('INVALID_ARGUMENT');
    const malformed = await request(app).post('/tools/book_appointment').set('content-type', 'application/json').send('{oops');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ ok: false, code: 'INVALID_ARGUMENT', message: 'The request body is not valid JSON.' });
    const unknown = await request(app).post('/tools/nope').send({});
    expect(unknown.status).toBe(404);
  });

  it('Idempotency-Key makes a retried booking safe', async () => {
    deps = await makeTestDeps();
    const app = createApp(deps);
    const body = { ...BOOK_ARGS, customer_phone: '5550102030', staff_name: 'Sam' };
    const a = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'abc').send(body);
    const b = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'abc').send(body);
    expect(b.body).toEqual(a.body);
    expect(a.body.ok).toBe(true);
    // A new key runs again: the same caller hears about the booking they have, another caller that the slot is taken.
    const c = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'other').send(body);
    expect(c.body.code).toBe('DUPLICATE_BOOKING');
    const d = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'third').send({ ...body, customer_name: 'Bob Roe', customer_phone: '5550102031' });
    expect(d.body.code).toBe('SLOT_UNAVAILABLE');
  });
});

describe('GET /tools/definitions', () => {
  it('openai: strict-mode valid (all properties required, optionals nullable, no additional properties)', async () => {
    deps = await makeTestDeps();
    const res = await request(createApp(deps)).get('/tools/definitions?format=openai');
    expect(res.status).toBe(200);
    const names = res.body.map((t: any) => t.function.name);
    expect(names).toEqual(['list_services', 'find_available_slots', 'get_next_available', 'book_appointment', 'cancel_appointment', 'reschedule_appointment', 'list_appointments', 'request_callback']);
    for (const t of res.body) {
      expect(t.type).toBe('function');
      expect(t.function.strict).toBe(true);
      const p = t.function.parameters;
      expect(p.type).toBe('object');
      expect(p.additionalProperties).toBe(false);
      expect([...p.required].sort()).toEqual(Object.keys(p.properties).sort());
      for (const prop of Object.values<any>(p.properties)) {
        for (const banned of ['default', 'format', 'pattern', 'minLength', 'maxLength']) expect(prop).not.toHaveProperty(banned);
      }
    }
    const book = res.body.find((t: any) => t.function.name === 'book_appointment').function.parameters;
    expect(book.properties.customer_name.type).toBe('string');
    expect(book.properties.staff_name.type).toEqual(['string', 'null']);
    const find = res.body.find((t: any) => t.function.name === 'find_available_slots').function.parameters;
    expect(find.properties.time_of_day.enum).toEqual(['morning', 'afternoon', 'evening', null]);
  });

  it('vapi: ready POST /tool bodies pointing at PUBLIC_BASE_URL', async () => {
    deps = await makeTestDeps({ env: { PUBLIC_BASE_URL: 'https://book.example.com/' } });
    const res = await request(createApp(deps)).get('/tools/definitions?format=vapi');
    expect(res.body).toHaveLength(8);
    for (const t of res.body) {
      expect(t.type).toBe('function');
      expect(t.server.url).toBe('https://book.example.com/webhooks/vapi');
      expect(t.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(t.messages.map((m: any) => m.type)).toContain('request-start');
    }
    const book = res.body.find((t: any) => t.function.name === 'book_appointment');
    // Vapi sends the caller's number (call.customer.number): the model need not ask for it.
    expect(book.function.parameters.required).toEqual(['customer_name', 'service_name', 'appointment_datetime']);
  });

  it('an unknown format is a 400 naming the formats', async () => {
    deps = await makeTestDeps();
    const res = await request(createApp(deps)).get('/tools/definitions?format=soap');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/openai, vapi/);
  });
});

describe('admin and health', () => {
  it('admin endpoints are disabled without ADMIN_API_KEY and need the bearer key with it', async () => {
    deps = await makeTestDeps();
    expect((await request(createApp(deps)).get('/admin/calls')).status).toBe(404);
    await deps.cleanup();
    deps = await makeTestDeps({ env: { ADMIN_API_KEY: 'k' } });
    const app = createApp(deps);
    expect((await request(app).get('/admin/calls')).status).toBe(401);
    expect((await request(app).get('/admin/calls').set('Authorization', 'Bearer nope')).status).toBe(401);
    expect((await request(app).get('/admin/calls').set('Authorization', 'Bearer k')).status).toBe(200);
  });

  it('pages through the call log newest first', async () => {
    deps = await makeTestDeps({ env: { ADMIN_API_KEY: 'k' } });
    const app = createApp(deps);
    for (let i = 0; i < 5; i++) await request(app).post('/tools/list_services').send({});
    const page1 = await request(app).get('/admin/calls?limit=2').set('Authorization', 'Bearer k');
    expect(page1.body.calls).toHaveLength(2);
    expect(page1.body.calls[0].id).toBeGreaterThan(page1.body.calls[1].id);
    const page2 = await request(app).get(page1.body.next).set('Authorization', 'Bearer k');
    expect(page2.body.calls[0].id).toBe(page1.body.calls[1].id - 1);
    expect(page2.body.calls[0]).toMatchObject({ platform: 'http', tool: 'list_services', ok: true });
  });

  it('time-off blocks are added and removed, and change what is bookable', async () => {
    deps = await makeTestDeps({ env: { ADMIN_API_KEY: 'k' } });
    const app = createApp(deps);
    const auth = { Authorization: 'Bearer k' };
    const add = await request(app).post('/admin/blocks').set(auth).send({ staff: 'Sam', start: '2026-11-24T09:00', end: '2026-11-24T18:00', reason: 'Dentist' });
    expect(add.status).toBe(201);
    const slots = await request(app).post('/tools/find_available_slots').send({ service_name: 'haircut', staff_name: 'Sam', start_date: '2026-11-24' });
    expect(slots.body.message).toMatch(/^There's nothing open for a haircut with Sam on Tuesday, November 24, but I have Wednesday/);
    expect((await request(app).delete(`/admin/blocks/${add.body.block.id}`).set(auth)).status).toBe(204);
    const after = await request(app).post('/tools/find_available_slots').send({ service_name: 'haircut', staff_name: 'Sam', start_date: '2026-11-24' });
    expect(after.body.slots[0].start).toBe('2026-11-24T09:00:00-05:00');
    const bad = await request(app).post('/admin/blocks').set(auth).send({ staff: 'Sam', start: '2026-11-24T10:00', end: '2026-11-24T09:00' });
    expect(bad.status).toBe(400);
  });

  it('admin appointments lists bookings; healthz and readyz answer', async () => {
    deps = await makeTestDeps({ env: { ADMIN_API_KEY: 'k' } });
    const app = createApp(deps);
    await request(app).post('/tools/book_appointment').send({ ...BOOK_ARGS, customer_phone: '5550102030' });
    const list = await request(app).get('/admin/appointments').set('Authorization', 'Bearer k');
    expect(list.body.appointments).toHaveLength(1);
    expect((await request(app).get('/healthz')).body).toEqual({ ok: true });
    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.calendar.provider).toBe('embedded');
  });
});
