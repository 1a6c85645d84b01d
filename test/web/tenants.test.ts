/** The web side of a deployment serving several businesses: each under /b/<slug>/, links scoped to one. */
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
import { local, openTestStore } from '../helpers.js';
import { LINK_SECRET, webBusiness } from './setup.js';

const OPERATOR = 'operator-key-0123456789';

describe('widget and API per business', () => {
  let rt: Runtime;
  let registry: TenantRegistry;
  let app: ReturnType<typeof createApp>;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const opened = await openTestStore('sqlite');
    close = opened.close;
    rt = makeRuntime({
      settings: parseEnv({ NODE_ENV: 'test', LOG_LEVEL: 'silent', OPERATOR_API_KEY: OPERATOR, PUBLIC_BASE_URL: 'https://book.example.com', WEB_LINK_SECRET: LINK_SECRET, SMS_WORKER_INTERVAL_MS: '0' }),
      store: opened.store,
      clock: new ManualClock(local('2026-11-23T08:00')),
      logger: pino({ level: 'silent' }),
      ids: randomIds,
    });
    registry = new TenantRegistry(rt);
    app = createApp(undefined, { tenants: registry, operator: operatorRouter(rt, registry), logger: rt.logger });
    await registry.start();
    const berlin = webBusiness() as { business: Record<string, unknown> };
    for (const [slug, config] of [
      ['maple', webBusiness()],
      ['kreuzberg', { ...berlin, business: { ...berlin.business, name: 'Salon Kreuzberg', timeZone: 'Europe/Berlin' } }],
    ] as const) {
      expect((await request(app).post('/operator/businesses').set('authorization', `Bearer ${OPERATOR}`).send({ slug, config })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await registry.stop();
    await close();
  });

  it('sends /widget?business= to that business’s page, whose requests stay under its path', async () => {
    const redirect = await request(app).get('/widget?business=maple&service=haircut');
    expect(redirect.status).toBe(302);
    expect(redirect.headers.location).toBe('/b/maple/widget?service=haircut');
    const page = await request(app).get('/b/maple/widget');
    expect(page.text).toContain('"base":"/b/maple"');
    expect(page.text).toContain('<script src="/b/maple/widget/app.js">');
    expect((await request(app).get('/b/maple/widget/app.js')).headers['content-type']).toMatch(/javascript/);
    expect((await request(app).get('/widget.js')).text).toContain("frame.src = src.origin + '/widget?'");
  });

  it('answers each business in its own zone, and a link of one business opens nothing at another', async () => {
    const ny = await request(app).get('/b/maple/api/availability').query({ service: 'haircut', from: '2026-11-24', to: '2026-11-24' });
    const de = await request(app).get('/b/kreuzberg/api/availability').query({ service: 'haircut', from: '2026-11-24', to: '2026-11-24' });
    expect(ny.body.zone).toBe('America/New_York');
    expect(de.body.zone).toBe('Europe/Berlin');
    expect(ny.body.days[0].slots[0].iso).toBe('2026-11-24T14:00:00.000Z');
    expect(de.body.days[0].slots[0].iso).toBe('2026-11-24T08:00:00.000Z');

    const made = await request(app).post('/b/maple/api/bookings').set('Idempotency-Key', 't1').send({ service: 'haircut', start: '2026-11-24T09:00', name: 'Dana Reyes', phone: '2125550123' });
    expect(made.status).toBe(201);
    expect(made.body.manageUrl).toMatch(/^https:\/\/book\.example\.com\/b\/maple\/a\//);
    const token = (made.body.manageUrl as string).split('/a/')[1]!;
    expect((await request(app).get(`/b/maple/api/manage/${token}`)).body.ok).toBe(true);
    const elsewhere = await request(app).get(`/b/kreuzberg/api/manage/${token}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.code).toBe('LINK_INVALID');
  });
});
