/**
 * Heavy SDKs stay out of a process that does not use them: building the whole app with the default
 * settings loads neither the MCP SDK, openai nor googleapis (about 40 MB of RSS between them), and the
 * first /mcp request loads the MCP SDK and works. A configured Telnyx sender loads the telnyx SDK on
 * its first send, and classifies that send's failure against the copy it loaded. A module hook in a child process records every
 * module URL resolved, which is the only way to see what an ES module graph really loaded.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TOOLS } from '../../src/tools/registry.js';

const run = promisify(execFile);

const SCRIPT = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => seen.add(url));
port1.unref();
const hook = 'export let port; export function initialize(d) { port = d.port; }' +
  'export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }';
register('data:text/javascript,' + encodeURIComponent(hook), { data: { port: port2 }, transferList: [port2] });

const { createApp } = await import('./src/app.ts');
const { makeTestDeps } = await import('./test/helpers.ts');
const request = (await import('supertest')).default;
const { smsSenderFromEnv } = await import('./src/notifications/sender.ts');
const net = await import('node:net');
const deps = await makeTestDeps({ env: { TOOLS_API_KEY: 'k', TELNYX_API_KEY: 'KEY', TELNYX_FROM_NUMBER: '+18445550001' } });
const app = createApp(deps);
// A port nobody listens on: the send fails before any request leaves.
const closed = await new Promise((r) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const sender = smsSenderFromEnv({ ...deps.settings, TELNYX_API_BASE_URL: 'http://127.0.0.1:' + closed + '/v2' });
await request(app).post('/webhooks/vapi').send({ message: { type: 'tool-calls', toolCallList: [{ id: 't', function: { name: 'list_services', arguments: {} } }] } });
const settle = () => new Promise((r) => setTimeout(r, 200));
await settle();
const before = [...seen];
const mcp = await request(app).post('/mcp').set('authorization', 'Bearer k').set('accept', 'application/json, text/event-stream')
  .send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
await settle();
const after = [...seen];
const sent = await sender.send({ to: '+12125550123', text: 'hi' }).then(() => 'sent', (e) => e.name + ':' + e.outcome);
const afterSend = [...seen];
await deps.cleanup();
process.stdout.write(JSON.stringify({ before, after, afterSend, sent, mcpStatus: mcp.status, tools: mcp.body?.result?.tools?.length ?? 0 }));
`;

const sdk = (urls: string[], name: string) => urls.filter((u) => u.includes(`/node_modules/${name}/`));

describe('heavy SDKs load on first use', () => {
  it('the app with default settings loads no MCP SDK, openai, googleapis or telnyx; the first /mcp request loads the MCP SDK, the first SMS telnyx', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { cwd: process.cwd(), maxBuffer: 64 * 1024 * 1024 });
    const r = JSON.parse(stdout) as { before: string[]; after: string[]; afterSend: string[]; sent: string; mcpStatus: number; tools: number };
    // The hook sees the app's own modules, so an empty answer below means "not loaded", not "not watched".
    expect(r.before.some((u) => u.endsWith('/src/platforms/mcp.ts'))).toBe(true);
    expect(sdk(r.before, 'express').length).toBeGreaterThan(0);
    expect(sdk(r.before, '@modelcontextprotocol')).toEqual([]);
    expect(sdk(r.before, 'openai')).toEqual([]);
    expect(sdk(r.before, '@googleapis')).toEqual([]);
    expect(sdk(r.before, 'googleapis-common')).toEqual([]);
    expect(sdk(r.before, 'telnyx')).toEqual([]);
    expect(r.mcpStatus).toBe(200);
    expect(r.tools).toBe(TOOLS.length);
    expect(sdk(r.after, '@modelcontextprotocol').length).toBeGreaterThan(0);
    expect(sdk(r.after, 'openai')).toEqual([]);
    expect(sdk(r.after, 'telnyx')).toEqual([]);
    expect(sdk(r.afterSend, 'telnyx').length).toBeGreaterThan(0);
    // ECONNREFUSED, recognised through the loaded SDK's APIConnectionError: nothing was sent.
    expect(r.sent).toBe('SendError:not_sent');
  }, 90_000);
});
