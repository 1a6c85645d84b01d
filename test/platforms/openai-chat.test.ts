import OpenAI from 'openai';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { lastToolResult, type FakeUpstream, startFakeUpstream, type Step } from '../fakes/openai-upstream.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog } from '../support/store.js';
import { lastLogged, listen } from './support.js';

const KEY = 'tools-key-123';
const PHONE = '+12125550123';
let deps: TestDeps;
let upstream: FakeUpstream;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await deps?.cleanup();
});

async function setup(script: Step[], env: Record<string, string> = {}) {
  upstream = await startFakeUpstream(script);
  closers.push(upstream.close);
  deps = await makeTestDeps({ env: { OPENAI_BASE_URL: upstream.url, OPENAI_API_KEY: 'upstream-key', OPENAI_MODEL: 'fake-model', TOOLS_API_KEY: KEY, ...env } });
  const server = await listen(createApp(deps));
  closers.unshift(server.close);
  const client = new OpenAI({
    baseURL: `${server.url}/v1`,
    apiKey: KEY,
    maxRetries: 0,
    defaultHeaders: { 'x-call-id': 'chat-call-1', 'x-caller-number': PHONE },
  });
  return { client, url: server.url };
}

/** The model's second move after a tool call: say exactly what the tool said. */
const sayToolMessage: Step = (body) => ({ content: lastToolResult(body).message });

describe('/v1/chat/completions', () => {
  it('runs a whole booking conversation: find, book, reschedule, cancel, each against the calendar', async () => {
    let bookedId = '';
    const { client } = await setup([
      // 1: find slots
      { tool_calls: [{ name: 'find_available_slots', arguments: { service_name: 'haircut', start_date: '2026-11-24', end_date: null, time_of_day: 'morning', staff_name: null, max_results: 3 } }] },
      sayToolMessage,
      // 2: book the first slot the tool offered (the model reads it from the tool result)
      (body) => {
        const offered = body.messages.filter((m) => m.role === 'tool').map((m) => JSON.parse(String(m.content)) as { slots?: Array<{ start: string }> });
        const start = offered.flatMap((r) => r.slots ?? [])[0]?.start ?? '2026-11-24T09:00';
        return { tool_calls: [{ name: 'book_appointment', arguments: { customer_name: 'Ada Lovelace', customer_phone: null, service_name: 'haircut', appointment_datetime: start, customer_email: null, notes: null, staff_name: null } }] };
      },
      (body) => {
        const r = lastToolResult(body) as unknown as { message: string; appointment: { id: string } };
        bookedId = r.appointment.id;
        return { content: r.message };
      },
      // 3: reschedule
      { tool_calls: [{ name: 'reschedule_appointment', arguments: { customer_phone: null, new_datetime: '2026-11-25T14:00', appointment_id: null } }] },
      sayToolMessage,
      // 4: cancel
      { tool_calls: [{ name: 'cancel_appointment', arguments: { customer_phone: null, appointment_id: null, reason: 'schedule conflict' } }] },
      sayToolMessage,
    ]);

    const history: OpenAI.ChatCompletionMessageParam[] = [];
    const say = async (text: string) => {
      history.push({ role: 'user', content: text });
      const r = await client.chat.completions.create({ model: 'anything', messages: history });
      const msg = r.choices[0]!.message;
      history.push({ role: 'assistant', content: msg.content });
      expect(r.choices[0]!.finish_reason).toBe('stop');
      expect(r.object).toBe('chat.completion');
      return msg.content ?? '';
    };

    expect(await say('Can I get a haircut tomorrow morning?')).toMatch(/^For a haircut in the morning, I have Tuesday, November 24 at/);
    expect(await say('The first one, please. Ada Lovelace.')).toMatch(/^Booked: a haircut with .+ for Ada Lovelace\.$/);
    const booked = (await deps.store.appointments.get(bookedId))!;
    expect(booked).toMatchObject({ status: 'confirmed', customerPhone: PHONE, customerName: 'Ada Lovelace' });

    expect(await say('Actually, move it to Wednesday at 2 PM.')).toContain('Wednesday, November 25 at 2 PM');
    expect(deps.speech.iso((await deps.store.appointments.get(bookedId))!.start)).toBe('2026-11-25T14:00:00-05:00');

    expect(await say('Never mind, cancel it.')).toMatch(/cancel/i);
    expect((await deps.store.appointments.get(bookedId))!.status).toBe('cancelled');

    // What the upstream saw: our key, our model, our system prompt with today's date, our tools (strict).
    const first = upstream.requests[0]!;
    expect(first.headers.authorization).toBe('Bearer upstream-key');
    expect(first.body.model).toBe('fake-model');
    expect(first.body.messages[0]).toMatchObject({ role: 'system' });
    expect(String(first.body.messages[0]!.content)).toContain('Monday, November 23 (2026-11-23)');
    expect(String(first.body.messages[0]!.content)).toContain('America/New_York');
    expect(first.body.tools!.map((t) => t.function!.name)).toContain('book_appointment');
    // The tool result went back to the model right after its call.
    const second = upstream.requests[1]!;
    expect(second.body.messages.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [expect.objectContaining({ id: 'call_1_0' })] });
    expect(second.body.messages.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_1_0' });

    const log = (await callLog(deps, 10)).reverse();
    expect(log.map((r) => r.tool)).toEqual(['find_available_slots', 'book_appointment', 'reschedule_appointment', 'cancel_appointment']);
    expect(log.every((r) => r.platform === 'openai-chat' && r.call_id === 'chat-call-1' && r.ok)).toBe(true);
    expect(log[1]!.caller).toBe(PHONE);
  });

  it('streams the final turn as chat.completion.chunk events, with words said while a tool ran', async () => {
    const { client } = await setup([
      { content: 'Let me check. ', tool_calls: [{ name: 'get_next_available', arguments: { service_name: 'haircut', after: null, staff_name: null } }] },
      sayToolMessage,
    ]);
    const stream = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Next haircut?' }], stream: true });
    let text = '';
    const finishes: string[] = [];
    const ids = new Set<string>();
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      ids.add(chunk.id);
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
    }
    expect(ids.size).toBe(1);
    expect(finishes).toEqual(['stop']);
    expect(text).toMatch(/^Let me check\. The next opening for a haircut/);
    expect(upstream.requests.every((r) => r.body.stream === true)).toBe(true);
    expect(await lastLogged(deps)).toMatchObject({ tool: 'get_next_available', ok: true });
  });

  it('finishes a stream that already started with a spoken apology when the upstream fails', async () => {
    const down: Step = { status: 500, error: 'boom' };
    const { client } = await setup([{ content: 'Let me check. ', tool_calls: [{ name: 'list_services', arguments: {} }] }, down, down]);
    const stream = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'What do you do?' }], stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toMatch(/^Let me check\. +Sorry, I'm having trouble right now/);
    expect(finish).toBe('stop');
  });

  it('ends the raw SSE stream with data: [DONE]', async () => {
    const { url } = await setup([{ content: 'Hello there.' }]);
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const raw = await res.text();
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const events = raw.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as OpenAI.ChatCompletionChunk);
    expect(chunks.map((c) => c.choices[0]!.delta.content ?? '').join('')).toBe('Hello there.');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  it('bounds the tool loop, then makes the model answer in words', async () => {
    const loop: Step = { tool_calls: [{ name: 'list_services', arguments: {} }] };
    const { client } = await setup([loop, loop, { content: 'We offer haircuts and colour.' }], { CHAT_MAX_TOOL_ROUNDS: '2' });
    const r = await client.chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'What do you do?' }] });
    expect(r.choices[0]!.message.content).toBe('We offer haircuts and colour.');
    expect(upstream.requests.map((q) => q.body.tool_choice)).toEqual(['auto', 'auto', 'none']);
    expect(await callLog(deps, 10)).toHaveLength(2);
  });

  it('hands calls to the client\'s own tools back to the client (Vapi endCall)', async () => {
    const { client } = await setup([{ tool_calls: [{ name: 'endCall', arguments: {}, id: 'call_end' }] }]);
    const r = await client.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'Bye!' }],
      tools: [{ type: 'function', function: { name: 'endCall', description: 'End the call', parameters: { type: 'object', properties: {} } } }],
    });
    expect(r.choices[0]!.finish_reason).toBe('tool_calls');
    expect(r.choices[0]!.message.tool_calls).toEqual([{ id: 'call_end', type: 'function', function: { name: 'endCall', arguments: '{}' } }]);
    expect(upstream.requests[0]!.body.tools!.map((t) => t.function!.name)).toContain('endCall');
    expect(await callLog(deps, 10)).toHaveLength(0);
  });

  it('reads the call and caller from a Vapi custom-LLM body, and speaks a tool failure', async () => {
    await setup([{ tool_calls: [{ name: 'cancel_appointment', arguments: { customer_phone: null, appointment_id: null, reason: null } }] }, sayToolMessage]);
    const res = await request(createApp(deps))
      .post('/v1/chat/completions')
      .set('authorization', `Bearer ${KEY}`)
      .send({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Cancel my appointment' }], call: { id: 'vapi-call-7', customer: { number: '+12125550144' } } });
    expect(res.status).toBe(200);
    expect(res.body.choices[0].message.content).toMatch(/appointment/i);
    expect(await lastLogged(deps)).toMatchObject({ platform: 'openai-chat', call_id: 'vapi-call-7', caller: '+12125550144', ok: false, code: 'NOT_FOUND' });
  });

  it('answers auth, validation and upstream problems in OpenAI\'s error shape', async () => {
    await setup([{ status: 500, error: 'boom' }, { status: 500, error: 'boom' }]);
    const app = createApp(deps);
    const msgs = [{ role: 'user', content: 'hi' }];
    const noKey = await request(app).post('/v1/chat/completions').send({ messages: msgs });
    expect(noKey.status).toBe(401);
    expect(noKey.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });

    const auth = { authorization: `Bearer ${KEY}` };
    const noMessages = await request(app).post('/v1/chat/completions').set(auth).send({ model: 'x' });
    expect(noMessages.status).toBe(400);
    expect(noMessages.body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages' });

    const broken = await request(app).post('/v1/chat/completions').set(auth).set('content-type', 'application/json').send('{"messages":');
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toBe('The request body is not valid JSON.');

    const failed = await request(app).post('/v1/chat/completions').set(auth).send({ messages: msgs });
    expect(failed.status).toBe(502);
    expect(failed.body.error).toMatchObject({ type: 'upstream_error', code: 'upstream_failed' });
  });

  it('answers 503 when no upstream model is configured', async () => {
    deps = await makeTestDeps();
    const res = await request(createApp(deps)).post('/v1/chat/completions').send({ messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(503);
    expect(res.body.error.message).toMatch(/OPENAI_BASE_URL/);
  });
});
