/**
 * `npm run google:sync` as cron runs it: a child process on the server's composition root, the
 * same SQLite file as the test's instance, the Google fake in this process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { local } from '../helpers.js';
import type { Harness } from './helpers.js';
import { book, CAL, customerRows, demoWithGoogleCalendars, instance, type Instance, movedTimes, rows, startHarness } from './sync-support.js';

let h: Harness | undefined;
let inst: Instance | undefined;
let dir: string | undefined;
afterEach(async () => {
  await inst?.close();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'tools/google-sync.ts'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('google:sync applies a move made in Google and plans the customer message, then exits 0', { timeout: 60_000 }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'bookline-gsync-cli-'));
  const dbPath = join(dir, 'bookline.db');
  const businessFile = join(dir, 'business.json');
  writeFileSync(businessFile, JSON.stringify(demoWithGoogleCalendars()));
  h = await startHarness({ requireAuth: true });
  inst = await instance(h, { storeKind: 'sqlite', dbPath });
  const appt = await book(inst.deps, '2026-11-24T10:00');
  h.fake.editEvent(CAL.sam, appt.eventId!, movedTimes('2026-11-24T20:00:00Z', appt.blockEnd - appt.blockStart)); // 3 PM

  const out = await run({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    BUSINESS_CONFIG: businessFile,
    DATABASE_PATH: dbPath,
    CALENDAR_PROVIDER: 'google',
    GOOGLE_AUTH: 'oauth',
    GOOGLE_OAUTH_CLIENT_ID: 'client-1',
    GOOGLE_OAUTH_CLIENT_SECRET: 'secret-1',
    GOOGLE_OAUTH_REFRESH_TOKEN: 'refresh-1',
    GOOGLE_CALENDAR_ROOT_URL: h.fake.url,
    GOOGLE_TOKEN_URL: h.fake.tokenUrl,
  });
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  const { reports } = JSON.parse(out.stdout) as { reports: { calendarId: string; state: string; full: boolean; moved: number }[] };
  expect(reports.map((r) => [r.calendarId, r.state, r.full])).toEqual(Object.values(CAL).map((c) => [c, 'synced', true]));
  expect(reports.find((r) => r.calendarId === CAL.sam)!.moved).toBe(1);
  expect((await inst.deps.store.appointments.get(appt.id))!.start).toBe(local('2026-11-24T15:00'));
  expect(customerRows(await rows(inst.deps, appt.id), 'rescheduled')).toHaveLength(1);
});
