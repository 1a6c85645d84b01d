/**
 * The fast lane (src/http/lanes.ts) answers POST /webhooks/vapi before Express. Each request here is
 * sent twice, once through Express alone (createApp) and once through the lane in front of it, and
 * the two answers must be the same bytes with the same status and content type; a counter on the
 * Express fallback shows which requests the lane took and which it left to Express.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { withFastLanes } from '../../src/http/lanes.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';

const SECRET = 'vapi-secret-lane';
let deps: TestDeps;
afterEach(() => deps?.cleanup());

const toolCall = (id: string, name: string, args: Record<string, unknown>) =>
  JSON.stringify({ message: { type: 'tool-calls', call: { id: 'call-lane', customer: { number: '+12125550123' } }, toolCallList: [{ id, type: 'function', function: { name, arguments: args } }] } });

interface Case {
  name: string;
  path?: string;
  headers?: Record<string, string>;
  body: string | Buffer;
  /** Whether the lane answers it (false: it must fall through to Express). */
  lane: boolean;
}

const json = { 'content-type': 'application/json', 'x-vapi-secret': SECRET };
const CASES: Case[] = [
  { name: 'a find', headers: json, body: toolCall('tc-find', 'find_available_slots', { service_name: 'haircut' }), lane: true },
  { name: 'list services, query string on the URL', path: '/webhooks/vapi?assistant=front-desk', headers: json, body: toolCall('tc-ls', 'list_services', {}), lane: true },
  { name: 'trailing slash', path: '/webhooks/vapi/', headers: json, body: toolCall('tc-ls2', 'list_services', {}), lane: true },
  { name: 'an unknown tool', headers: json, body: toolCall('tc-x', 'no_such_tool', {}), lane: true },
  { name: 'wrong secret', headers: { ...json, 'x-vapi-secret': 'nope' }, body: toolCall('tc-a', 'list_services', {}), lane: true },
  { name: 'bearer secret', headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` }, body: toolCall('tc-b', 'list_services', {}), lane: true },
  { name: 'not JSON', headers: json, body: '{"message": ', lane: true },
  { name: 'a JSON string, not an object', headers: json, body: '"hello"', lane: true },
  { name: 'not a Vapi message', headers: json, body: '{"hello":"world"}', lane: true },
  { name: 'empty body', headers: json, body: '', lane: true },
  { name: 'a status update', headers: json, body: JSON.stringify({ message: { type: 'status-update', status: 'ended' } }), lane: true },
  { name: 'too large', headers: json, body: JSON.stringify({ message: { type: 'tool-calls', pad: 'x'.repeat(300 * 1024) } }), lane: true },
  { name: 'gzip', headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync(toolCall('tc-gz', 'list_services', {})), lane: true },
  { name: 'unknown encoding', headers: { ...json, 'content-encoding': 'compress' }, body: 'xx', lane: true },
  { name: 'latin-1 charset', headers: { ...json, 'content-type': 'application/json; charset=iso-8859-1' }, body: toolCall('tc-l1', 'list_services', {}), lane: true },
  { name: 'text/plain', headers: { ...json, 'content-type': 'text/plain' }, body: toolCall('tc-tp', 'list_services', {}), lane: true },
  { name: 'another spelling of the path', path: '/Webhooks/Vapi', headers: json, body: toolCall('tc-up', 'list_services', {}), lane: false },
  { name: 'another platform', path: '/webhooks/elevenlabs/list_services', headers: json, body: '{}', lane: false },
];

async function send(app: RequestListener, c: Case) {
  let r = request(app).post(c.path ?? '/webhooks/vapi');
  for (const [k, v] of Object.entries(c.headers ?? {})) r = r.set(k, v);
  const res = await r.send(c.body);
  return { status: res.status, type: res.headers['content-type'], text: res.text };
}

describe('the Vapi fast lane answers exactly as Express does', () => {
  it.each(CASES)('$name', async (c) => {
    deps = await makeTestDeps({ env: { VAPI_SECRET: SECRET } });
    const express = createApp(deps);
    let fellThrough = 0;
    const counted: RequestListener = (req: IncomingMessage, res: ServerResponse) => {
      fellThrough++;
      express(req, res);
    };
    const laned = withFastLanes(counted, { root: deps, logger: deps.logger });
    const viaExpress = await send(express, c);
    const viaLane = await send(laned, c);
    expect(fellThrough).toBe(c.lane ? 0 : 1);
    // Tool call ids differ per case, not per send; the second find answers the same slots.
    expect(viaLane).toEqual(viaExpress);
  });

  it('the cases are not all alike: each status the handler can answer appears', async () => {
    deps = await makeTestDeps({ env: { VAPI_SECRET: SECRET } });
    const app = withFastLanes(createApp(deps), { root: deps, logger: deps.logger });
    const statuses = new Set<number>();
    for (const c of CASES) statuses.add((await send(app, c)).status);
    expect([...statuses].sort()).toEqual([200, 400, 401, 413, 415]);
  });
});
