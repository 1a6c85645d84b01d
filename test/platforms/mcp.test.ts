import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { toolDefinitions } from '../../src/tools/definitions.js';
import { TOOLS } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog } from '../support/store.js';
import { lastLogged, listen } from './support.js';

const KEY = 'tools-key-123';
let deps: TestDeps;
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await deps?.cleanup();
});

async function connect(env: Record<string, string>, headers: Record<string, string>) {
  deps = await makeTestDeps({ env });
  const server = await listen(createApp(deps));
  closers.push(server.close);
  const client = new Client({ name: 'bookline-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers } });
  await client.connect(transport);
  closers.unshift(() => client.close());
  return { client, url: server.url };
}

type TextContent = { type: 'text'; text: string };
const parse = (r: Record<string, unknown>) => JSON.parse((r.content as TextContent[])[0]!.text) as { ok: boolean; message: string; [k: string]: unknown };

describe('MCP (Streamable HTTP, stateless)', () => {
  it('lists every tool with the schema the definitions publish', async () => {
    const { client } = await connect({ TOOLS_API_KEY: KEY }, { authorization: `Bearer ${KEY}`, 'x-call-id': 'vapi-call-9' });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name));
    const published = toolDefinitions('mcp', { publicBaseUrl: 'http://x' }) as Array<{ name: string; description: string; inputSchema: Record<string, unknown> }>;
    for (const def of published) {
      const listed = tools.find((t) => t.name === def.name)!;
      expect(listed.description).toBe(def.description);
      const { $schema: _ignored, ...schema } = listed.inputSchema as Record<string, unknown>;
      expect(schema).toEqual(def.inputSchema);
    }
    expect(tools.find((t) => t.name === 'list_services')!.annotations).toMatchObject({ readOnlyHint: true });
    expect(tools.find((t) => t.name === 'book_appointment')!.annotations).toMatchObject({ readOnlyHint: false });
  });

  it('calls each tool through the SDK client, logged as mcp with the X-Call-Id', async () => {
    const { client } = await connect({}, { 'x-call-id': 'vapi-call-9' });
    const phone = '+12125550123';
    const services = await client.callTool({ name: 'list_services', arguments: {} });
    expect(parse(services).ok).toBe(true);

    const slots = parse(await client.callTool({ name: 'find_available_slots', arguments: { service_name: 'haircut', start_date: '2026-11-24' } }));
    expect(slots.ok).toBe(true);
    const first = (slots.slots as Array<{ start: string }>)[0]!.start;

    const next = parse(await client.callTool({ name: 'get_next_available', arguments: { service_name: 'haircut' } }));
    expect(next.ok).toBe(true);

    const booked = parse(await client.callTool({ name: 'book_appointment', arguments: { customer_name: 'Ada', customer_phone: phone, service_name: 'haircut', appointment_datetime: first } }));
    expect(booked).toMatchObject({ ok: true });

    const listed = parse(await client.callTool({ name: 'list_appointments', arguments: { customer_phone: phone } }));
    expect(listed.ok).toBe(true);
    expect(JSON.stringify(listed)).toContain((booked.appointment as { id: string }).id);

    const moved = parse(await client.callTool({ name: 'reschedule_appointment', arguments: { customer_phone: phone, new_datetime: '2026-11-25T14:00' } }));
    expect(moved).toMatchObject({ ok: true });

    const cancelled = await client.callTool({ name: 'cancel_appointment', arguments: { customer_phone: phone } });
    expect(cancelled.isError).toBeFalsy();
    expect(parse(cancelled).ok).toBe(true);
    expect((await deps.store.appointments.get((booked.appointment as { id: string }).id))!.status).toBe('cancelled');

    const log = await callLog(deps, 20);
    expect(log).toHaveLength(7);
    expect(log.every((r) => r.platform === 'mcp' && r.call_id === 'vapi-call-9')).toBe(true);
  });

  it('answers a bad argument or a tool failure as an isError result with a sentence, not a protocol error', async () => {
    const { client } = await connect({}, {});
    const missing = await client.callTool({ name: 'book_appointment', arguments: { service_name: 'haircut' } });
    expect(missing.isError).toBe(true);
    expect(parse(missing)).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(parse(missing).message).toBe('What name should I put the booking under?');
    expect(await lastLogged(deps)).toMatchObject({ platform: 'mcp', tool: 'book_appointment', ok: false });

    const closed = await client.callTool({
      name: 'book_appointment',
      arguments: { customer_name: 'Ada', customer_phone: '+12125550123', service_name: 'haircut', appointment_datetime: '2026-11-30T10:00' },
    });
    expect(closed.isError).toBe(true);
    expect(parse(closed)).toMatchObject({ ok: false, code: 'CLOSED' });

    const unknown = await client.callTool({ name: 'make_coffee', arguments: {} });
    expect(unknown.isError).toBe(true);
    expect(parse(unknown).code).toBe('UNKNOWN_TOOL');
  });

  it('rejects a missing or wrong bearer with 401, and malformed JSON with a JSON-RPC parse error', async () => {
    deps = await makeTestDeps({ env: { TOOLS_API_KEY: KEY } });
    const app = createApp(deps);
    const rpc = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} };
    const accept = 'application/json, text/event-stream';
    const none = await request(app).post('/mcp').set('accept', accept).send(rpc);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 } });
    expect((await request(app).post('/mcp').set('accept', accept).set('authorization', 'Bearer wrong').send(rpc)).status).toBe(401);

    const broken = await request(app).post('/mcp').set('accept', accept).set('authorization', `Bearer ${KEY}`).set('content-type', 'application/json').send('{"jsonrpc":');
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });

    const get = await request(app).get('/mcp').set('authorization', `Bearer ${KEY}`);
    expect(get.status).toBe(405);

    // A rejected connection through the real client surfaces as an error, not a hang.
    const server = await listen(app);
    closers.push(server.close);
    const client = new Client({ name: 't', version: '1' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)))).rejects.toThrow();
  });
});
