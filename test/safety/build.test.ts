/**
 * The production build: `tsc -p tsconfig.build.json` emits plain ESM JavaScript that starts with
 * `node` alone (no tsx loader), finds its runtime files (config/, node_modules) and serves.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startServer } from '../support/process.js';

// Inside the repository, so the emitted files resolve node_modules the way dist/ does.
mkdirSync('.scratch', { recursive: true });
const out = mkdtempSync(join('.scratch', 'build-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('npm run build output starts with plain node, answers /healthz and a tool call, and stops on SIGTERM', async () => {
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', out], { encoding: 'utf8', timeout: 120_000 });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
  const main = join(out, 'src', 'main.js');
  expect(existsSync(main)).toBe(true);
  expect(existsSync(join(out, 'tools', 'send-due-reminders.js'))).toBe(true);
  expect(readFileSync(main, 'utf8')).toContain("from './app.js'");

  // No loader of any kind: a bare node on the emitted file.
  const server = await startServer({ NODE_OPTIONS: '' }, { args: [relative('.', main)] });
  try {
    expect(readFileSync(`/proc/${server.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean)).toEqual([process.execPath, relative('.', main)]);
    expect(await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).json()).toEqual({ ok: true });
    const res = await fetch(`http://127.0.0.1:${server.port}/tools/list_services`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(await res.json()).toMatchObject({ ok: true, message: expect.stringContaining('We offer haircut') });
  } finally {
    server.child.kill('SIGTERM');
  }
  expect(await server.exited).toBe(0);
}, 150_000);
