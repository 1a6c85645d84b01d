/**
 * Stored businesses with staff on remote calendars use their own credentials, sealed with their
 * other secrets: a Microsoft 365 app registration, CalDAV passwords by name. The deployment's own
 * MICROSOFT_* variables and environment passwords are never lent to a business, and a record whose
 * staff calendars lack credentials is refused when written, naming what is missing.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import { ManualClock } from '../../src/domain/clock.js';
import { randomIds } from '../../src/domain/ids.js';
import { operatorRouter } from '../../src/http/operator.js';
import { makeRuntime, type Runtime } from '../../src/runtime.js';
import { TenantRegistry } from '../../src/tenants/registry.js';
import { startFakeGraph, type FakeGraph } from '../../tools/fakes/microsoft-graph.js';
import { local, openTestStore } from '../helpers.js';

const OPERATOR = 'operator-key-0123456789';
const auth = { authorization: `Bearer ${OPERATOR}` };
const base = JSON.parse(readFileSync('test/fixtures/open-every-day.json', 'utf8')) as Record<string, unknown>;
const withPriya = (calendar: unknown) => ({ ...base, staff: [{ id: 'sam', name: 'Sam' }, { id: 'priya', name: 'Priya', calendar }] });
const msA = { microsoftTenantId: 'tenant-a-0000', microsoftClientId: 'app-a-00000', microsoftClientSecret: 'secret-a-0000' };

describe('calendar credentials per stored business', () => {
  let graph: FakeGraph;
  let rt: Runtime;
  let registry: TenantRegistry;
  let app: ReturnType<typeof createApp>;
  let close: () => Promise<void>;
  const envBefore = process.env.CALDAV_JORDAN_PASSWORD;

  beforeAll(async () => {
    graph = await startFakeGraph({ mailboxes: ['priya@a.test', 'priya@b.test'] });
    // A password in the server's environment: a stored business must not be able to name it.
    process.env.CALDAV_JORDAN_PASSWORD = 'the-deployment-password';
    const opened = await openTestStore('sqlite');
    close = opened.close;
    rt = makeRuntime({
      settings: parseEnv({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        OPERATOR_API_KEY: OPERATOR,
        BOOKLINE_ENCRYPTION_KEY: `k1:${randomBytes(32).toString('base64')}`,
        PUBLIC_BASE_URL: 'https://book.example.com',
        BUSINESS_REFRESH_MS: '100',
        SMS_WORKER_INTERVAL_MS: '0',
        // The deployment's own app registration, which no stored business may use.
        MICROSOFT_TENANT_ID: 'deployment-tenant',
        MICROSOFT_CLIENT_ID: 'deployment-app',
        MICROSOFT_CLIENT_SECRET: 'deployment-secret',
        MICROSOFT_GRAPH_URL: graph.url,
        // The product's OAuth client (lent to businesses) and the default business's own token (never lent).
        GOOGLE_OAUTH_CLIENT_ID: 'product-client-id',
        GOOGLE_OAUTH_CLIENT_SECRET: 'product-client-secret',
        GOOGLE_OAUTH_REFRESH_TOKEN: 'the-default-business-token',
        MICROSOFT_AUTHORITY_URL: graph.url,
      }),
      store: opened.store,
      clock: new ManualClock(local('2026-11-23T08:00')),
      logger: pino({ level: 'silent' }),
      ids: randomIds,
    });
    registry = new TenantRegistry(rt);
    app = createApp(undefined, { tenants: registry, operator: operatorRouter(rt, registry), logger: rt.logger });
    await registry.start();
  });
  afterAll(async () => {
    if (envBefore === undefined) delete process.env.CALDAV_JORDAN_PASSWORD;
    else process.env.CALDAV_JORDAN_PASSWORD = envBefore;
    await registry.stop();
    await close();
    await graph.close();
  });

  const create = (slug: string, config: unknown, secrets: Record<string, unknown>) => request(app).post('/operator/businesses').set(auth).send({ slug, config, secrets });

  it("books into the staff member's Microsoft 365 calendar with the business's own app registration", async () => {
    const res = await create('salon-a', withPriya({ provider: 'microsoft', user: 'priya@a.test' }), { ...msA, toolsApiKey: 'tools-a-key-000' });
    expect(res.status).toBe(201);
    expect(res.body.business.secrets).toMatchObject({ microsoftTenantId: true, microsoftClientId: true, microsoftClientSecret: true, calendarPasswords: [] });
    expect(JSON.stringify(res.body)).not.toContain('secret-a-0000');
    const booked = await request(app)
      .post('/b/salon-a/tools/book_appointment')
      .set('authorization', 'Bearer tools-a-key-000')
      .send({ customer_name: 'Ada', customer_phone: '+12125550123', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00', staff_name: 'Priya' });
    expect(booked.body.ok, booked.body.message).toBe(true);
    expect(graph.events('priya@a.test').map((e) => e.subject)).toEqual(['Haircut - Ada']);
    const grants = graph.tokenGrants();
    expect(grants.length).toBeGreaterThan(0);
    expect(new Set(grants.map((g) => `${g.tenant}/${g.clientId}`))).toEqual(new Set(['tenant-a-0000/app-a-00000']));
  });

  it("refuses a Microsoft 365 staff member without the business's own credentials, though the server has some", async () => {
    const res = await create('salon-b', withPriya({ provider: 'microsoft', user: 'priya@b.test' }), {});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('business "salon-b": Priya use Microsoft 365; set secrets microsoftTenantId, microsoftClientId, microsoftClientSecret (the business\'s own credentials)');
    // Fixed by adding them: then it is served, and nothing was ever booked with the deployment's app.
    expect((await create('salon-b', withPriya({ provider: 'microsoft', user: 'priya@b.test' }), { ...msA, microsoftClientId: 'app-b-00000' })).status).toBe(201);
    expect(graph.tokenGrants().some((g) => g.clientId === 'deployment-app')).toBe(false);
  });

  it("a Google staff calendar needs the business's own refresh token; the product's OAuth client is lent", async () => {
    const config = withPriya({ provider: 'google', calendarId: 'priya@salon-e.test' });
    const refused = await create('salon-e', config, {});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('business "salon-e": Priya use Google Calendar; set secrets googleOauthRefreshToken (the business\'s own credentials)');
    expect((await create('salon-e', config, { googleOauthRefreshToken: 'salon-e-refresh-token' })).status).toBe(201);
  });

  it('reads CalDAV passwords from the business\'s sealed secrets by name, never from the environment', async () => {
    const jordan = { provider: 'caldav', url: 'https://caldav.example.com/', username: 'jordan', passwordEnv: 'CALDAV_JORDAN_PASSWORD' };
    const config = { ...base, staff: [{ id: 'sam', name: 'Sam' }, { id: 'jordan', name: 'Jordan', calendar: jordan }] };
    const refused = await create('salon-c', config, {});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('staff.1.calendar.passwordEnv: add secrets.calendarPasswords.CALDAV_JORDAN_PASSWORD with the CalDAV password of Jordan');
    const ok = await create('salon-c', config, { calendarPasswords: { CALDAV_JORDAN_PASSWORD: 'app-specific-pw' } });
    expect(ok.status).toBe(201);
    expect(ok.body.business.secrets.calendarPasswords).toEqual(['CALDAV_JORDAN_PASSWORD']);
    expect(JSON.stringify(ok.body)).not.toContain('app-specific-pw');
    // Removing the password while Jordan still needs it is refused; the record keeps it.
    const removed = await request(app).patch('/operator/businesses/salon-c').set(auth).send({ secrets: { calendarPasswords: { CALDAV_JORDAN_PASSWORD: null } } });
    expect(removed.status).toBe(400);
    expect((await request(app).get('/operator/businesses/salon-c').set(auth)).body.business.secrets.calendarPasswords).toEqual(['CALDAV_JORDAN_PASSWORD']);
    expect((await request(app).post('/operator/businesses').set(auth).send({ slug: 'salon-d', config, secrets: { calendarPasswords: { 'not a name': 'x' } } })).status).toBe(400);
  });
});
