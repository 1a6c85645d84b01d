/**
 * Two businesses on one deployment, as a stranger would check it: Maple Street (New York) and a
 * Berlin salon, created through the operator API, each with its own secret for every platform.
 * - A's URL never accepts B's secret, on any platform (and B's URL never A's);
 * - the same phone number books at both, and each business sees, lists and cancels only its own;
 * - an unknown or disabled business is the same 404 as any unknown path;
 * - a config change of A made through one instance is honoured by another within seconds, and B
 *   stays as it was;
 * - secrets are never returned.
 * Runs on SQLite and on Postgres.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../src/app.js';
import { parseEnv } from '../../src/config/env.js';
import { ManualClock } from '../../src/domain/clock.js';
import { randomIds } from '../../src/domain/ids.js';
import { operatorRouter } from '../../src/http/operator.js';
import { makeRuntime, type Runtime } from '../../src/runtime.js';
import { TenantRegistry } from '../../src/tenants/registry.js';
import { openStore } from '../../src/store/index.js';
import { freshPostgresDatabase, local, openTestStore, STORE_KINDS } from '../helpers.js';
import { telnyxHeaders, telnyxKeys } from '../platforms/support.js';

const OPERATOR = 'operator-key-0123456789';
const base = JSON.parse(readFileSync('test/fixtures/open-every-day.json', 'utf8')) as Record<string, unknown> & { business: Record<string, unknown> };
const nyConfig = { ...base, business: { ...base.business, name: 'Maple Street Salon', timeZone: 'America/New_York' } };
const berlinConfig = {
  ...base,
  business: { ...base.business, name: 'Salon Kreuzberg', timeZone: 'Europe/Berlin', phone: '+493012345678' },
  hours: Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((d) => [d, ['10:00-18:00']])),
};

function secretsFor(tag: string, telnyxPublicKey: string) {
  return {
    vapiSecret: `vapi-${tag}-secret`,
    retellApiKey: `retell-${tag}-key`,
    elevenlabsToolSecret: `eleven-${tag}-secret`,
    toolsApiKey: `tools-${tag}-key`,
    adminApiKey: `admin-${tag}-key`,
    telnyxPublicKey,
  };
}

describe.each(STORE_KINDS)('two businesses on one deployment (%s)', (kind) => {
  const clock = new ManualClock(local('2026-11-23T08:00'));
  const keys = { ny: telnyxKeys(), berlin: telnyxKeys() };
  const secrets = { ny: secretsFor('ny', keys.ny.publicKeyB64), berlin: secretsFor('berlin', keys.berlin.publicKeyB64) };
  let rt: Runtime;
  let rt2: Runtime;
  let registry: TenantRegistry;
  let registry2: TenantRegistry;
  let app: ReturnType<typeof createHandler>;
  let app2: ReturnType<typeof createHandler>;
  let close: () => Promise<void>;
  let close2: () => Promise<void>;
  const slugs = { ny: `ny-${kind}-${Date.now()}`, berlin: `berlin-${kind}-${Date.now()}` };

  const runtimeOn = (store: Runtime['store']) =>
    makeRuntime({
      settings: parseEnv({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        OPERATOR_API_KEY: OPERATOR,
        BOOKLINE_ENCRYPTION_KEY: `k1:${randomBytesB64}`,
        PUBLIC_BASE_URL: 'https://book.example.com',
        BUSINESS_REFRESH_MS: '100',
        RATE_LIMIT_PHONE_PER_HOUR: '0',
        RATE_LIMIT_IP_PER_MINUTE: '0',
        SMS_WORKER_INTERVAL_MS: '0',
      }),
      store,
      clock,
      logger: pino({ level: 'silent' }),
      ids: randomIds,
    });
  const randomBytesB64 = randomBytes(32).toString('base64');

  beforeAll(async () => {
    // A database of its own: the registry serves every business in it, not only this test's.
    const pgDb = kind === 'postgres' ? await freshPostgresDatabase() : undefined;
    const one = pgDb ? await (async () => {
      const store = await openStore({ url: pgDb.url, poolSize: 4, callLog: { intervalMs: 20 } });
      return { store, close: () => store.close() };
    })() : await openTestStore('sqlite');
    // "Another instance": its own connection(s) to the same database.
    const two = pgDb ? await (async () => {
      const store = await openStore({ url: pgDb.url, poolSize: 4, callLog: { intervalMs: 20 } });
      return { store, close: () => store.close() };
    })() : await openTestStore('sqlite', (one as { path?: string }).path);
    close = async () => {
      await one.close();
      await pgDb?.drop();
    };
    close2 = two.close;
    rt = runtimeOn(one.store);
    rt2 = runtimeOn(two.store);
    registry = new TenantRegistry(rt);
    registry2 = new TenantRegistry(rt2);
    app = createHandler(undefined, { tenants: registry, operator: operatorRouter(rt, registry), logger: rt.logger });
    app2 = createHandler(undefined, { tenants: registry2, operator: operatorRouter(rt2, registry2), logger: rt2.logger });
    await registry.start();
    await registry2.start();
    for (const [slug, config, s] of [
      [slugs.ny, nyConfig, secrets.ny],
      [slugs.berlin, berlinConfig, secrets.berlin],
    ] as const) {
      const res = await request(app).post('/operator/businesses').set('authorization', `Bearer ${OPERATOR}`).send({ slug, config, secrets: s });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await registry.stop();
    await registry2.stop();
    await close2();
    await close();
  });

  const phone = '+12125550123';
  const at = (slug: string) => `/b/${slug}`;

  type Platform = { name: string; call(slug: string, who: 'ny' | 'berlin'): Promise<request.Response> };
  const platforms: Platform[] = [
    { name: 'vapi', call: (slug, who) => request(app).post(`${at(slug)}/webhooks/vapi`).set('x-vapi-secret', secrets[who].vapiSecret).send({ message: { type: 'tool-calls', call: { id: 'c1' }, customer: { number: phone }, toolCallList: [{ id: `tc-${who}-${slug}`, type: 'function', function: { name: 'list_appointments', arguments: '{}' } }] } }) },
    { name: 'tools', call: (slug, who) => request(app).post(`${at(slug)}/tools/list_appointments`).set('authorization', `Bearer ${secrets[who].toolsApiKey}`).send({ customer_phone: phone }) },
    { name: 'mcp', call: (slug, who) => request(app).post(`${at(slug)}/mcp`).set('authorization', `Bearer ${secrets[who].toolsApiKey}`).set('accept', 'application/json, text/event-stream').send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }) },
    { name: 'openai', call: (slug, who) => request(app).post(`${at(slug)}/v1/chat/completions`).set('authorization', `Bearer ${secrets[who].toolsApiKey}`).send({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }) },
    { name: 'elevenlabs', call: (slug, who) => request(app).post(`${at(slug)}/webhooks/elevenlabs/list_appointments`).set('x-tool-secret', secrets[who].elevenlabsToolSecret).send({ customer_phone: phone }) },
    {
      name: 'retell',
      call: (slug, who) => {
        const body = JSON.stringify({ name: 'list_appointments', args: { customer_phone: phone }, call: { call_id: 'r1', from_number: phone } });
        const stamp = String(clock.now());
        const sig = createHmac('sha256', secrets[who].retellApiKey).update(body).update(stamp).digest('hex');
        return request(app).post(`${at(slug)}/webhooks/retell`).set('content-type', 'application/json').set('x-retell-signature', `v=${stamp},d=${sig}`).send(body);
      },
    },
    {
      name: 'telnyx',
      call: (slug, who) => {
        const body = JSON.stringify({ customer_phone: phone });
        return request(app).post(`${at(slug)}/webhooks/telnyx/list_appointments`).set(telnyxHeaders(keys[who], body, clock.now())).send(body);
      },
    },
    { name: 'admin', call: (slug, who) => request(app).get(`${at(slug)}/admin/appointments`).set('authorization', `Bearer ${secrets[who].adminApiKey}`) },
  ];

  it.each(platforms.map((p) => [p.name, p] as const))("%s: a business's own secret opens its URL, the other business's never does", async (_name, p) => {
    for (const [slug, own, other] of [
      [slugs.ny, 'ny', 'berlin'],
      [slugs.berlin, 'berlin', 'ny'],
    ] as const) {
      const denied = await p.call(slug, other);
      expect(denied.status, `${p.name} at ${slug} with the other business's secret`).toBe(401);
      const allowed = await p.call(slug, own);
      expect(allowed.status, `${p.name} at ${slug} with its own secret: ${allowed.text.slice(0, 200)}`).not.toBe(401);
      // /v1 answers 503 with its own sentence here: no upstream model is configured in this test.
      expect(allowed.status).not.toBe(500);
    }
  });

  it('the same phone number books at both; each sees, lists and cancels only its own', async () => {
    const book = (slug: string, who: 'ny' | 'berlin', datetime: string) =>
      request(app).post(`${at(slug)}/tools/book_appointment`).set('authorization', `Bearer ${secrets[who].toolsApiKey}`).send({ customer_name: 'Ada', customer_phone: phone, service_name: 'haircut', appointment_datetime: datetime });
    const ny = await book(slugs.ny, 'ny', '2026-11-25T10:00');
    const berlin = await book(slugs.berlin, 'berlin', '2026-11-25T10:00');
    expect(ny.body.ok, ny.text).toBe(true);
    expect(berlin.body.ok, berlin.text).toBe(true);
    // Each in its own zone: 10:00 in New York and 10:00 in Berlin are six hours apart.
    expect(ny.body.appointment.start).toBe('2026-11-25T10:00:00-05:00');
    expect(berlin.body.appointment.start).toBe('2026-11-25T10:00:00+01:00');

    const list = (slug: string, who: 'ny' | 'berlin') => request(app).post(`${at(slug)}/tools/list_appointments`).set('authorization', `Bearer ${secrets[who].toolsApiKey}`).send({ customer_phone: phone });
    expect((await list(slugs.ny, 'ny')).body.appointments.map((a: { id: string }) => a.id)).toEqual([ny.body.appointment.id]);
    expect((await list(slugs.berlin, 'berlin')).body.appointments.map((a: { id: string }) => a.id)).toEqual([berlin.body.appointment.id]);

    // Berlin cannot cancel New York's appointment by its id.
    const cancel = await request(app)
      .post(`${at(slugs.berlin)}/tools/cancel_appointment`)
      .set('authorization', `Bearer ${secrets.berlin.toolsApiKey}`)
      .send({ customer_phone: phone, appointment_id: ny.body.appointment.id });
    expect(cancel.body.ok).toBe(false);
    expect(cancel.body.code).toMatch(/NOT_FOUND/);
    expect((await list(slugs.ny, 'ny')).body.appointments.length).toBe(1);

    const adminNy = await request(app).get(`${at(slugs.ny)}/admin/appointments?from=2026-11-01T00:00&to=2027-01-01T00:00`).set('authorization', `Bearer ${secrets.ny.adminApiKey}`);
    expect(adminNy.body.appointments.map((a: { id: string }) => a.id)).toEqual([ny.body.appointment.id]);
  });

  it('concurrent bookings at both businesses keep their own guarantees', async () => {
    const race = (slug: string, who: 'ny' | 'berlin') =>
      Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          request(app)
            .post(`${at(slug)}/tools/book_appointment`)
            .set('authorization', `Bearer ${secrets[who].toolsApiKey}`)
            .send({ customer_name: `Racer ${i}`, customer_phone: `+121255501${String(10 + i)}`, service_name: 'haircut', appointment_datetime: '2026-11-26T11:00' }),
        ),
      );
    const [ny, berlin] = await Promise.all([race(slugs.ny, 'ny'), race(slugs.berlin, 'berlin')]);
    // Three staff each: three bookings at each business, not six at one.
    expect(ny.filter((r) => r.body.ok).length).toBe(3);
    expect(berlin.filter((r) => r.body.ok).length).toBe(3);
  });

  it('an unknown or disabled business is the same 404 as any unknown path', async () => {
    const unknown = await request(app).post('/b/no-such-business/tools/list_appointments').send({});
    const nothing = await request(app).get('/no/such/path');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(nothing.body);
    const spare = `spare-${kind}-${Date.now()}`;
    await request(app).post('/operator/businesses').set('authorization', `Bearer ${OPERATOR}`).send({ slug: spare, config: nyConfig }).expect(201);
    expect((await request(app).get(`/b/${spare}/tools/definitions`)).status).toBe(200);
    await request(app).post(`/operator/businesses/${spare}/disable`).set('authorization', `Bearer ${OPERATOR}`).expect(200);
    const disabled = await request(app).get(`/b/${spare}/tools/definitions`);
    expect(disabled.status).toBe(404);
    expect(disabled.body).toEqual(nothing.body);
  });

  it("writes each business's own URLs into its definitions and never returns a secret", async () => {
    const defs = await request(app).get(`${at(slugs.ny)}/tools/definitions?format=vapi`);
    expect(defs.status).toBe(200);
    expect(JSON.stringify(defs.body)).toContain(`https://book.example.com/b/${slugs.ny}/`);
    expect(JSON.stringify(defs.body)).not.toContain(slugs.berlin);
    const shown = await request(app).get(`/operator/businesses/${slugs.ny}`).set('authorization', `Bearer ${OPERATOR}`);
    expect(shown.body.business.secrets).toMatchObject({ vapiSecret: true, toolsApiKey: true, telnyxApiKey: false });
    const listed = await request(app).get('/operator/businesses').set('authorization', `Bearer ${OPERATOR}`);
    for (const s of Object.values(secrets.ny)) {
      expect(shown.text).not.toContain(s);
      expect(listed.text).not.toContain(s);
    }
    expect((await request(app).get('/operator/businesses').set('authorization', `Bearer ${secrets.ny.adminApiKey}`)).status).toBe(401);
  });

  it('refuses an invalid business file naming the field, and a taken slug', async () => {
    const bad = await request(app)
      .post('/operator/businesses')
      .set('authorization', `Bearer ${OPERATOR}`)
      .send({ slug: `bad-${kind}`, config: { ...nyConfig, business: { ...nyConfig.business, timeZone: 'Mars/Olympus' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('business.timeZone');
    const taken = await request(app).post('/operator/businesses').set('authorization', `Bearer ${OPERATOR}`).send({ slug: slugs.ny, config: nyConfig });
    expect(taken.status).toBe(409);
  });

  it("a closure added to A through one instance is honoured by another within seconds; B is untouched", async () => {
    const day = '2026-11-30';
    const find = (a: typeof app, slug: string, who: 'ny' | 'berlin') =>
      request(a).post(`${at(slug)}/tools/find_available_slots`).set('authorization', `Bearer ${secrets[who].toolsApiKey}`).send({ service_name: 'haircut', start_date: day, end_date: day });
    const before = await find(app2, slugs.ny, 'ny');
    expect(before.body.ok).toBe(true);
    expect(before.body.message).not.toContain('Staff training');
    const berlinBefore = await find(app2, slugs.berlin, 'berlin');
    const versionB = (await request(app).get(`/operator/businesses/${slugs.berlin}`).set('authorization', `Bearer ${OPERATOR}`)).body.business.version;

    const patched = await request(app)
      .patch(`/operator/businesses/${slugs.ny}`)
      .set('authorization', `Bearer ${OPERATOR}`)
      .send({ config: { ...nyConfig, closures: [{ date: day, name: 'Staff training' }] } });
    expect(patched.status).toBe(200);

    // The other instance notices by its periodic version check (BUSINESS_REFRESH_MS=100 here).
    let answer = await find(app2, slugs.ny, 'ny');
    for (let i = 0; i < 50 && !String(answer.body.message).includes('Staff training'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await find(app2, slugs.ny, 'ny');
    }
    expect(answer.body.message).toContain('Staff training');
    const berlinAfter = await find(app2, slugs.berlin, 'berlin');
    expect(berlinAfter.body).toEqual(berlinBefore.body);
    expect((await request(app).get(`/operator/businesses/${slugs.berlin}`).set('authorization', `Bearer ${OPERATOR}`)).body.business.version).toBe(versionB);
  });
});
