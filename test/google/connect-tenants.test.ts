/**
 * A stored business (served under /b/<slug>/) connects a staff member's Google account with its own
 * admin key: its own redirect URI, its own rows, and its bookings for that staff member in Google.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import { ManualClock } from '../../src/domain/clock.js';
import { randomIds } from '../../src/domain/ids.js';
import { operatorRouter } from '../../src/http/operator.js';
import { makeRuntime } from '../../src/runtime.js';
import { openStore } from '../../src/store/index.js';
import { TenantRegistry } from '../../src/tenants/registry.js';
import { runTool } from '../../src/tools/registry.js';
import { startFakeGoogleOAuth } from '../../tools/fakes/google-oauth.js';
import { startFakeGoogleCalendar } from '../fakes/google-calendar.js';
import { freshPostgresDatabase, local, openTestStore, STORE_KINDS } from '../helpers.js';

const BASE = 'https://book.example.com';
const OPERATOR = 'operator-key-0123456789';
const ADMIN = 'tenant-admin-key-0123456789';
const CAL = 'sam@gmail.test';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe.each(STORE_KINDS)('google connect for a stored business (%s)', (kind) => {
  it('connects under /b/<slug>/ with the business admin key; its bookings land in Google', async () => {
    const slug = `gc-${kind}-${Date.now()}`;
    const redirect = `${BASE}/b/${slug}/connect/google/callback`;
    const oauth = await startFakeGoogleOAuth({ clients: [{ clientId: 'cid-t', clientSecret: 'csecret-t', redirectUris: [redirect] }], accountEmail: CAL });
    cleanups.push(() => oauth.close());
    const cal = await startFakeGoogleCalendar({ calendars: [CAL], requireAuth: false, calendarTimeZone: 'America/New_York' });
    cleanups.push(() => cal.close());
    const pgDb = kind === 'postgres' ? await freshPostgresDatabase() : undefined;
    const opened = pgDb ? { store: await openStore({ url: pgDb.url, poolSize: 4, callLog: { intervalMs: 20 } }) } : await openTestStore('sqlite');
    cleanups.push(async () => {
      await opened.store.close();
      await pgDb?.drop();
    });
    const clock = new ManualClock(local('2026-11-23T08:00'));
    const rt = makeRuntime({
      settings: parseEnv({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        OPERATOR_API_KEY: OPERATOR,
        BOOKLINE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
        PUBLIC_BASE_URL: BASE,
        SMS_WORKER_INTERVAL_MS: '0',
        RATE_LIMIT_PHONE_PER_HOUR: '0',
        RATE_LIMIT_IP_PER_MINUTE: '0',
        GOOGLE_OAUTH_CLIENT_ID: 'cid-t',
        GOOGLE_OAUTH_CLIENT_SECRET: 'csecret-t',
        GOOGLE_OAUTH_AUTH_URL: `${oauth.url}o/oauth2/v2/auth`,
        GOOGLE_TOKEN_URL: `${oauth.url}token`,
        GOOGLE_OAUTH_REVOKE_URL: `${oauth.url}revoke`,
        GOOGLE_CALENDAR_ROOT_URL: cal.url,
      }),
      store: opened.store,
      clock,
      logger: pino({ level: 'silent' }),
      ids: randomIds,
    });
    const registry = new TenantRegistry(rt);
    cleanups.push(() => registry.stop());
    const app = createApp(undefined, { tenants: registry, operator: operatorRouter(rt, registry), logger: rt.logger });
    await registry.start();
    const config = JSON.parse(readFileSync('config/business.json', 'utf8'));
    const created = await request(app).post('/operator/businesses').set('authorization', `Bearer ${OPERATOR}`).send({ slug, config, secrets: { adminApiKey: ADMIN } });
    expect(created.status).toBe(201);

    const at = `/b/${slug}`;
    expect((await request(app).get(`${at}/connect/google?staff=sam`).set('authorization', `Bearer ${OPERATOR}`)).status).toBe(401);
    const start = await request(app).get(`${at}/connect/google?staff=sam`).set('authorization', `Bearer ${ADMIN}`);
    expect(start.status).toBe(302);
    expect(new URL(start.headers.location as string).searchParams.get('redirect_uri')).toBe(redirect);
    const google = await fetch(start.headers.location as string, { redirect: 'manual' });
    const back = new URL(google.headers.get('location')!);
    expect(back.pathname).toBe(`${at}/connect/google/callback`);
    const page = await request(app).get(`${back.pathname}${back.search}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`value="${CAL}" checked`);

    const conns = await request(app).get(`${at}/admin/google/connections`).set('authorization', `Bearer ${ADMIN}`);
    expect(conns.body.connections).toEqual([expect.objectContaining({ staff: 'sam', calendarId: CAL, status: 'healthy' })]);

    const tenant = (await registry.get(slug))!;
    const booked = await runTool(
      tenant.deps,
      'book_appointment',
      { customer_name: 'Jane Doe', customer_phone: '+15550102030', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00', staff_name: 'Sam' },
      { platform: 'test' },
    );
    expect(booked.result.ok).toBe(true);
    expect(cal.events(CAL).filter((e) => e.status !== 'cancelled')).toHaveLength(1);
    // The default business's (empty) rows are not this business's.
    expect(await rt.store.forBusiness('default').googleConnections.list()).toEqual([]);
  });
});
