/**
 * The URL inside generated tool definitions: PUBLIC_BASE_URL when set (validated), else the port the
 * server really runs on, with a warning when definitions are exported pointing at localhost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Proc, runToExit, startServer } from '../support/process.js';

const EXPORT = ['--import', 'tsx', 'tools/export-definitions.ts'];
let server: (Proc & { port: number }) | undefined;
afterEach(() => {
  server?.child.kill('SIGKILL');
  server = undefined;
});

const vapiUrls = (json: string) => (JSON.parse(json) as { server: { url: string } }[]).map((d) => d.server.url);

describe.concurrent('npm run tools:export', { timeout: 90_000 }, () => {
  it('unset PUBLIC_BASE_URL: localhost on PORT, and a warning on stderr', async () => {
    const run = await runToExit({ PORT: '4123', PUBLIC_BASE_URL: '' }, { args: [...EXPORT, '--format', 'vapi'] });
    expect(run.code).toBe(0);
    expect(new Set(vapiUrls(run.stdout))).toEqual(new Set(['http://localhost:4123/webhooks/vapi']));
    expect(run.stderr).toContain('warning: these definitions point at http://localhost:4123, which no voice platform can reach; set PUBLIC_BASE_URL');
  });

  it('a public PUBLIC_BASE_URL: used as given, no warning', async () => {
    const run = await runToExit({ PUBLIC_BASE_URL: 'https://book.example.com/' }, { args: [...EXPORT, '--format', 'vapi'] });
    expect(run.code).toBe(0);
    expect(new Set(vapiUrls(run.stdout))).toEqual(new Set(['https://book.example.com/webhooks/vapi']));
    expect(run.stderr).toBe('');
  });

  it('no scheme, in PUBLIC_BASE_URL or --base-url: refused with a sentence naming it', async () => {
    const env = await runToExit({ PUBLIC_BASE_URL: 'book.example.com' }, { args: [...EXPORT, '--format', 'vapi'] });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('PUBLIC_BASE_URL: expected an absolute http:// or https:// URL with a host, got "book.example.com"');
    expect(env.stderr).not.toMatch(/^\s+at /m);
    expect(env.stdout).toBe('');
    const flag = await runToExit({}, { args: [...EXPORT, '--format', 'vapi', '--base-url', 'book.example.com'] });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--base-url: expected an absolute http:// or https:// URL with a host, got "book.example.com"');
  });
});

describe('GET /tools/definitions on a running server', { timeout: 90_000 }, () => {
  it('names the port the server listens on when PUBLIC_BASE_URL is unset', async () => {
    server = await startServer({ PUBLIC_BASE_URL: '' });
    const defs = await (await fetch(`http://127.0.0.1:${server.port}/tools/definitions?format=vapi`)).json();
    expect(new Set(vapiUrls(JSON.stringify(defs)))).toEqual(new Set([`http://localhost:${server.port}/webhooks/vapi`]));
  });
});
