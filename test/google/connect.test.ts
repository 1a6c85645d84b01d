/**
 * "Connect Google Calendar" end to end: the real app (supertest), the real google-auth-library
 * against the local OAuth fake (tools/fakes/google-oauth.ts), the real @googleapis/calendar client
 * against the Calendar fake. Redirects are followed by hand, as a browser would.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { checkConnection, runHealthChecks } from '../../src/google-connect/health.js';
import { registry as metrics } from '../../src/metrics/index.js';
import { runTool } from '../../src/tools/registry.js';
import { startFakeGoogleOAuth, type RunningFakeGoogleOAuth } from '../../tools/fakes/google-oauth.js';
import { startFakeGoogleCalendar, type FakeGoogleCalendar } from '../fakes/google-calendar.js';
import { makeTestDeps, STORE_KINDS, type StoreKind, TEST_DATABASE_URL, type TestDeps } from '../helpers.js';

const BASE = 'http://bookline.test';
const ADMIN = 'admin-key-0123456789';
const PRIMARY = 'sam@gmail.test';
const WORK = 'salon-sam@group.calendar.google.com';
const CALENDAR_SCOPE = 'https://www.googleapis.com/auth/calendar';

interface World {
  deps: TestDeps;
  oauth: RunningFakeGoogleOAuth;
  cal: FakeGoogleCalendar;
  app: ReturnType<typeof createApp>;
  dir?: string;
  dbPath?: string;
  env: Record<string, string>;
}

let w: World | undefined;
afterEach(async () => {
  if (!w) return;
  await w.deps.cleanup();
  await w.oauth.close();
  await w.cal.close();
  if (w.dir) rmSync(w.dir, { recursive: true, force: true });
  w = undefined;
});

async function setup(kind: StoreKind): Promise<World> {
  const oauth = await startFakeGoogleOAuth({ clients: [{ clientId: 'cid-1', clientSecret: 'csecret-1', redirectUris: [`${BASE}/connect/google/callback`] }], accountEmail: PRIMARY });
  // The OAuth fake issues the access tokens, so the Calendar fake does not check them itself.
  const cal = await startFakeGoogleCalendar({ calendars: [PRIMARY, WORK], requireAuth: false, calendarTimeZone: 'America/New_York' });
  const dir = kind === 'sqlite' ? mkdtempSync(join(tmpdir(), 'bookline-gconnect-')) : undefined;
  const dbPath = dir ? join(dir, 'test.db') : undefined;
  const env = {
    RATE_LIMIT_PHONE_PER_HOUR: '0',
      ADMIN_API_KEY: ADMIN,
      PUBLIC_BASE_URL: BASE,
      BOOKLINE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
      GOOGLE_OAUTH_CLIENT_ID: 'cid-1',
      GOOGLE_OAUTH_CLIENT_SECRET: 'csecret-1',
      GOOGLE_OAUTH_AUTH_URL: `${oauth.url}o/oauth2/v2/auth`,
      GOOGLE_TOKEN_URL: `${oauth.url}token`,
      GOOGLE_OAUTH_REVOKE_URL: `${oauth.url}revoke`,
      GOOGLE_CALENDAR_ROOT_URL: cal.url,
      REMOTE_MAX_ATTEMPTS: '1',
  };
  const deps = await makeTestDeps({ storeKind: kind, ...(dbPath && { dbPath }), env });
  w = { deps, oauth, cal, app: createApp(deps), env, ...(dir && { dir }), ...(dbPath && { dbPath }) };
  return w;
}

/** This business's /metrics count of token refreshes with this outcome (both store kinds share the registry). */
async function refreshes(world: World, outcome: string): Promise<number> {
  const m = await metrics.getSingleMetric('bookline_google_token_refreshes_total')!.get();
  return m.values.filter((v) => v.labels.business === world.deps.store.businessId && v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
}

/** Admin starts the flow; the browser follows Google's redirect back to us. Returns the callback path. */
async function consent(world: World, staff = 'sam'): Promise<{ authUrl: URL; callback: string }> {
  const start = await request(world.app).get(`/connect/google?staff=${staff}`).set('authorization', `Bearer ${ADMIN}`);
  expect(start.status).toBe(302);
  const authUrl = new URL(start.headers.location as string);
  const google = await fetch(authUrl, { redirect: 'manual' });
  expect(google.status).toBe(302);
  const back = new URL(google.headers.get('location')!);
  expect(back.origin).toBe(BASE);
  return { authUrl, callback: `${back.pathname}${back.search}` };
}

function pickToken(html: string): string {
  const m = /name="pick" value="([^"]+)"/.exec(html);
  expect(m).not.toBeNull();
  return m![1]!;
}

async function connect(world: World, calendarId = WORK): Promise<void> {
  const { callback } = await consent(world);
  const page = await request(world.app).get(callback);
  expect(page.status).toBe(200);
  const chosen = await request(world.app).post('/connect/google/calendar').type('form').send({ pick: pickToken(page.text), calendarId });
  expect(chosen.status).toBe(200);
  expect(chosen.text).toContain('All set');
}

async function rawConnectionRow(world: World): Promise<string> {
  if (world.dbPath) {
    const db = new Database(world.dbPath, { readonly: true });
    try {
      return JSON.stringify(db.prepare('SELECT * FROM google_connections WHERE business_id = ?').all(world.deps.store.businessId));
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    return JSON.stringify((await c.query('SELECT * FROM google_connections WHERE business_id = $1', [world.deps.store.businessId])).rows);
  } finally {
    await c.end();
  }
}

const book = (world: World, at: string) =>
  runTool(world.deps, 'book_appointment', { customer_name: 'Jane Doe', customer_phone: '+15550102030', service_name: 'haircut', appointment_datetime: at, staff_name: 'Sam' }, { platform: 'test' });

describe.each(STORE_KINDS)('google connect (%s)', (kind) => {
  it('consent -> callback -> pick calendar -> bookings land in that Google calendar; token sealed at rest', async () => {
    const world = await setup(kind);
    const { authUrl, callback } = await consent(world);
    const q = authUrl.searchParams;
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(q.get('scope')).toBe(CALENDAR_SCOPE);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('redirect_uri')).toBe(`${BASE}/connect/google/callback`);

    const page = await request(world.app).get(callback);
    expect(page.status).toBe(200);
    expect(page.text).toContain(WORK);
    expect(page.text).toContain(`value="${PRIMARY}" checked`);
    // The fake checked the PKCE verifier: the code exchange worked only with it.
    expect(world.oauth.counts().authorizationCode).toBe(1);

    const chosen = await request(world.app).post('/connect/google/calendar').type('form').send({ pick: pickToken(page.text), calendarId: WORK });
    expect(chosen.status).toBe(200);

    const conns = await request(world.app).get('/admin/google/connections').set('authorization', `Bearer ${ADMIN}`);
    expect(conns.body.connections).toEqual([
      expect.objectContaining({ staff: 'sam', status: 'healthy', account: PRIMARY, calendarId: WORK, calendarTimeZone: 'America/New_York', scopes: [CALENDAR_SCOPE] }),
    ]);

    const [issued] = world.oauth.refreshTokens();
    expect(issued).toBeDefined();
    const raw = await rawConnectionRow(world);
    expect(raw).toContain('v1.k1.');
    expect(raw).not.toContain(issued!.token);

    const booked = await book(world, '2026-11-24T10:00');
    expect(booked.result.ok).toBe(true);
    expect(booked.result.message).toBe('Booked: a haircut with Sam on Tuesday, November 24 at 10 AM, for Jane Doe.');
    const events = world.cal.events(WORK).filter((e) => e.status !== 'cancelled');
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toBe('Haircut - Jane Doe');
    expect(world.cal.events(PRIMARY)).toHaveLength(0);
    // Booking's own token refresh is audited as well.
    expect((await world.deps.store.googleConnections.auditLog('sam', 10)).map((a) => a.actor)).toEqual(['booking', 'connect']);
    // Busy time in that calendar now keeps Sam's 10:00 taken.
    const again = await book(world, '2026-11-24T10:00');
    expect(again.result.ok).toBe(false);

    // Other staff stay on the embedded calendar.
    const priya = await runTool(world.deps, 'book_appointment', { customer_name: 'Ann Lee', customer_phone: '+15550102031', service_name: 'haircut', appointment_datetime: '2026-11-24T11:00', staff_name: 'Priya' }, { platform: 'test' });
    expect(priya.result.ok).toBe(true);
    expect(world.cal.events(WORK).filter((e) => e.status !== 'cancelled')).toHaveLength(1);
  });

  it('refuses a replayed state, a forged state, and a denied consent; nothing is stored', async () => {
    const world = await setup(kind);
    const { callback } = await consent(world);
    expect((await request(world.app).get(callback)).status).toBe(200);
    const replay = await request(world.app).get(callback);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('already used');
    expect(world.oauth.counts().authorizationCode).toBe(1);

    await world.deps.store.googleConnections.remove('sam');
    const second = await consent(world);
    const forged = new URL(second.callback, BASE);
    const [body, mac] = forged.searchParams.get('state')!.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString());
    forged.searchParams.set('state', `${Buffer.from(JSON.stringify({ ...claims, s: 'priya' })).toString('base64url')}.${mac}`);
    expect((await request(world.app).get(`${forged.pathname}${forged.search}`)).status).toBe(400);

    world.oauth.denyNext();
    const denied = await consent(world);
    const page = await request(world.app).get(denied.callback);
    expect(page.status).toBe(403);
    expect(page.text).toContain('access was not granted');
    expect(await world.deps.store.googleConnections.list()).toEqual([]);
    // Without the admin key or a link, the flow does not start.
    expect((await request(world.app).get('/connect/google?staff=sam')).status).toBe(401);
  });

  it('refuses a consent that left the calendar permission unticked', async () => {
    const world = await setup(kind);
    world.oauth.grantOnly([]);
    const { callback } = await consent(world);
    const page = await request(world.app).get(callback);
    expect(page.status).toBe(403);
    expect(page.text).toContain('permission to see and edit the calendar was not ticked');
    expect(await world.deps.store.googleConnections.list()).toEqual([]);
  });

  it('a one-time connect link starts the flow once, without the admin key', async () => {
    const world = await setup(kind);
    const made = await request(world.app).post('/admin/google/connect-links').set('authorization', `Bearer ${ADMIN}`).send({ staff: 'sam' });
    expect(made.status).toBe(201);
    const url = new URL(made.body.url as string);
    expect(url.origin).toBe(BASE);
    const path = `${url.pathname}${url.search}`;
    const first = await request(world.app).get(path);
    expect(first.status).toBe(302);
    expect(first.headers.location).toContain('/o/oauth2/v2/auth');
    expect((await request(world.app).get(path)).status).toBe(403);
    // A link for Sam does not open the flow for Priya.
    const other = await request(world.app).post('/admin/google/connect-links').set('authorization', `Bearer ${ADMIN}`).send({ staff: 'sam' });
    const forPriya = new URL(other.body.url as string);
    forPriya.searchParams.set('staff', 'priya');
    expect((await request(world.app).get(`${forPriya.pathname}${forPriya.search}`)).status).toBe(403);
  });

  it('revoked token: status revoked, visible in admin and /readyz (still 200), exactly one alert over two runs', async () => {
    const world = await setup(kind);
    await connect(world);
    const [ok0, revoked0] = [await refreshes(world, 'ok'), await refreshes(world, 'invalid_grant')];
    const first = await runHealthChecks(world.deps);
    expect(first).toEqual([expect.objectContaining({ staffId: 'sam', status: 'healthy', checked: true, alerted: false })]);
    expect(world.oauth.counts().refresh).toBeGreaterThanOrEqual(1);
    expect(await refreshes(world, 'ok')).toBe(ok0 + 1);

    world.oauth.revoke(world.oauth.refreshTokens()[0]!.token);
    world.deps.clock.advance(15 * 60_000);
    const second = await runHealthChecks(world.deps);
    expect(second).toEqual([expect.objectContaining({ status: 'revoked', alerted: true })]);
    expect(await refreshes(world, 'invalid_grant')).toBe(revoked0 + 1);
    world.deps.clock.advance(15 * 60_000);
    const third = await runHealthChecks(world.deps);
    expect(third).toEqual([expect.objectContaining({ status: 'revoked', alerted: false })]);
    // Final: the third run does not ask Google again, so nothing more is counted.
    expect(await refreshes(world, 'invalid_grant')).toBe(revoked0 + 1);

    const alerts = (await world.deps.store.outbox.list({ limit: 50 })).filter((r) => r.kind === 'connection');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.to_phone).toBe('+12125550100');
    expect(alerts[0]!.body).toMatch(/Google Calendar of Sam was disconnected by Google.*Reconnect it here: http:\/\/bookline\.test\/connect\/google\?staff=sam&link=/);

    const admin = await request(world.app).get('/admin/google/connections').set('authorization', `Bearer ${ADMIN}`);
    expect(admin.body.connections[0]).toMatchObject({ status: 'revoked', lastError: expect.stringContaining('invalid_grant') });
    expect(admin.body.connections[0].lastCheckAt).not.toBeNull();

    const ready = await request(world.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.google.connections).toEqual([expect.objectContaining({ staff: 'sam', status: 'revoked' })]);

    const audit = await world.deps.store.googleConnections.auditLog('sam', 10);
    expect(audit.map((a) => a.ok)).toEqual([false, true, true]);

    // The link in the alert works once and leads to Google again.
    const link = new URL(/(http:\/\/bookline\.test\/\S+)/.exec(alerts[0]!.body)![1]!);
    expect((await request(world.app).get(`${link.pathname}${link.search}`)).status).toBe(302);
  });

  it('a transient token-endpoint failure is an error, told only when it repeats', async () => {
    const world = await setup(kind);
    await connect(world);
    world.oauth.failRefreshes(503, 2);
    const errors0 = await refreshes(world, 'error');
    const once = await runHealthChecks(world.deps);
    expect(once).toEqual([expect.objectContaining({ status: 'error', alerted: false })]);
    const twice = await runHealthChecks(world.deps);
    expect(twice).toEqual([expect.objectContaining({ status: 'error', alerted: true })]);
    const back = await runHealthChecks(world.deps);
    expect(back).toEqual([expect.objectContaining({ status: 'healthy' })]);
    expect(await refreshes(world, 'error')).toBe(errors0 + 2);
  });

  it('a grant Google will end soon is expiring, and the business is told', async () => {
    const world = await setup(kind);
    world.oauth.expireRefreshTokensAfter(36 * 3_600_000);
    await connect(world);
    const [r] = await runHealthChecks(world.deps);
    expect(r).toMatchObject({ status: 'expiring', alerted: true });
    const alerts = (await world.deps.store.outbox.list({ limit: 50 })).filter((m) => m.kind === 'connection');
    expect(alerts.map((m) => m.body)).toEqual([expect.stringContaining('will stop working soon')]);
  });

  it('refreshes of one token take turns across instances (lease)', async () => {
    const world = await setup(kind);
    await connect(world);
    const now = world.deps.clock.now();
    expect(await world.deps.store.googleConnections.takeLease('sam', 'other-instance', now, 60_000)).toBe(true);
    const before = world.oauth.counts().refresh;
    expect(await checkConnection(world.deps, 'sam')).toMatchObject({ checked: false });
    expect(world.oauth.counts().refresh).toBe(before);
    world.deps.clock.advance(61_000);
    expect(await checkConnection(world.deps, 'sam')).toMatchObject({ checked: true, status: 'healthy' });
    expect(world.oauth.counts().refresh).toBe(before + 1);
  });

  it('disconnect revokes at Google, then deletes', async () => {
    const world = await setup(kind);
    await connect(world);
    const res = await request(world.app).delete('/admin/google/connections/sam').set('authorization', `Bearer ${ADMIN}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ disconnected: true, revokedAtGoogle: true });
    expect(world.oauth.counts().revoke).toBe(1);
    expect(world.oauth.refreshTokens()[0]!.revoked).toBe(true);
    expect(await world.deps.store.googleConnections.list()).toEqual([]);
    // Sam is back on the embedded calendar.
    const booked = await book(world, '2026-11-24T10:00');
    expect(booked.result.ok).toBe(true);
    expect(world.cal.events(WORK)).toHaveLength(0);
  });

  it('the admin API sets the calendar, only to one of the account\'s calendars', async () => {
    const world = await setup(kind);
    await connect(world, PRIMARY);
    const bad = await request(world.app).put('/admin/google/connections/sam').set('authorization', `Bearer ${ADMIN}`).send({ calendarId: 'someone-else@gmail.test' });
    expect(bad.status).toBe(400);
    const ok = await request(world.app).put('/admin/google/connections/sam').set('authorization', `Bearer ${ADMIN}`).send({ calendarId: WORK });
    expect(ok.status).toBe(200);
    expect(ok.body.connection.calendarId).toBe(WORK);
    expect((await book(world, '2026-11-24T10:00')).result.ok).toBe(true);
    expect(world.cal.events(WORK)).toHaveLength(1);
  });
});

describe('a refresh token revoked between checks', () => {
  it('is found by the booking that hits it: the connection is marked revoked and the business told once', async () => {
    const world = await setup('sqlite');
    await connect(world);
    world.oauth.revoke(world.oauth.refreshTokens()[0]!.token);
    // Another process on the same database: its client has no access token yet, so it must refresh.
    const other = await makeTestDeps({ storeKind: 'sqlite', dbPath: world.dbPath!, env: world.env });
    try {
      const booked = await book({ ...world, deps: other }, '2026-11-24T10:00');
      expect(booked.result.ok).toBe(false);
      expect((await other.store.googleConnections.get('sam'))?.status).toBe('revoked');
      const again = await book({ ...world, deps: other }, '2026-11-24T11:00');
      expect(again.result.ok).toBe(false);
      expect((await other.store.outbox.list({ limit: 50 })).filter((m) => m.kind === 'connection')).toHaveLength(1);
      expect(world.cal.events(WORK)).toHaveLength(0);
    } finally {
      await other.cleanup();
    }
  });
});

describe('npm run google:health', () => {
  it('checks the stored connections through the server\'s composition root and marks a revoked one', async () => {
    const world = await setup('sqlite');
    await connect(world);
    world.oauth.revoke(world.oauth.refreshTokens()[0]!.token);
    const { execFile } = await import('node:child_process');
    const run = () =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile('npx', ['tsx', 'tools/google-health.ts'], { env: { ...process.env, ...world.env, DATABASE_PATH: world.dbPath!, BUSINESS_CONFIG: 'config/business.json', LOG_LEVEL: 'silent' } }, (err, stdout) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout }),
        );
      });
    const out = await run();
    expect(out.code).toBe(2);
    const report = JSON.parse(out.stdout.trim().split('\n').pop()!) as { businesses: Record<string, { staffId: string; status: string; alerted: boolean }[]> };
    expect(report.businesses.default).toEqual([expect.objectContaining({ staffId: 'sam', status: 'revoked', alerted: true })]);
    expect((await world.deps.store.googleConnections.get('sam'))?.status).toBe('revoked');
  }, 60_000);
});
