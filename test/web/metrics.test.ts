import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { markOutcome } from '../../src/booking/lifecycle.js';
import { buildGraphClient, MicrosoftCalendarProvider, microsoftSettingsFromEnv } from '../../src/calendar/microsoft.js';
import { createRemotePolicy } from '../../src/resilience/policy.js';
import { runTool } from '../../src/tools/registry.js';
import { startFakeGraph } from '../../tools/fakes/microsoft-graph.js';
import { createNotifier } from '../../src/notifications/index.js';
import { local, type TestDeps } from '../helpers.js';
import { CUSTOMER, makeWebDeps } from './setup.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const KEY = 'metrics-key-for-tests';

describe('/metrics', () => {
  it('counts tool calls by tool, platform and code, bookings, and outbox rows, behind its own key', async () => {
    deps = await makeWebDeps({ env: { METRICS_API_KEY: KEY } });
    deps.notifier = createNotifier(deps, { sender: null, emailSender: null });
    const app = createApp(deps);
    const body = { service: 'haircut', start: '2026-11-24T09:00', ...CUSTOMER };
    expect((await request(app).post('/api/bookings').set('Idempotency-Key', 'a').send(body)).status).toBe(201);
    // A replay is one more call, not one more booking.
    expect((await request(app).post('/api/bookings').set('Idempotency-Key', 'a').send(body)).status).toBe(201);
    expect((await request(app).post('/api/bookings').set('Idempotency-Key', 'b').send({ ...body, phone: '2125550177' })).status).toBe(409);

    expect((await request(app).get('/metrics')).status).toBe(401);
    const res = await request(app).get('/metrics').set('Authorization', `Bearer ${KEY}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    // "default" on SQLite; a unique business id per test on the shared Postgres database.
    const biz = deps.store.businessId;
    expect(res.text).toContain(`bookline_tool_calls_total{business="${biz}",tool="book_appointment",platform="web",code="OK"} 2`);
    expect(res.text).toContain(`bookline_tool_calls_total{business="${biz}",tool="book_appointment",platform="web",code="SLOT_UNAVAILABLE"} 1`);
    expect(res.text).toContain(`bookline_appointment_changes_total{business="${biz}",change="booked"} 1`);
    expect(res.text).toMatch(/bookline_tool_duration_seconds_count\{tool="book_appointment"\} 3/);
    expect(res.text).toContain(`bookline_outbox_messages{business="${biz}",status="pending"} 4`);
    // Bounded labels only: no phone number or appointment id anywhere.
    expect(res.text).not.toMatch(/2125550|apt_/);
  });

  it('counts remote attempts, errors and retries per policy, from a Graph fault through the one policy', async () => {
    deps = await makeWebDeps({ env: { METRICS_API_KEY: KEY } });
    const graph = await startFakeGraph({ mailboxes: ['priya@salon.test'] });
    try {
      const settings = microsoftSettingsFromEnv({ MICROSOFT_TENANT_ID: 't', MICROSOFT_CLIENT_ID: 'c', MICROSOFT_CLIENT_SECRET: 's', MICROSOFT_GRAPH_URL: graph.url, MICROSOFT_AUTHORITY_URL: graph.url });
      const policy = createRemotePolicy({ name: 'microsoft-graph', maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0, retryAfterCapMs: 0, breaker: false, random: () => 0 });
      const provider = new MicrosoftCalendarProvider({ client: buildGraphClient(settings), policy, timeZone: 'America/New_York' });
      // One 503, then the answer: two attempts, one error, one retry.
      graph.inject('getSchedule', { status: 503 }, 1);
      const from = Date.parse('2026-11-24T14:00:00Z');
      const fb = await provider.freeBusy(['priya@salon.test'], { start: from, end: from + 3_600_000 });
      expect(fb.errors.size).toBe(0);
      expect(graph.counts().getSchedule).toBe(2);
    } finally {
      await graph.close();
    }
    const text = (await request(createApp(deps)).get('/metrics').set('Authorization', `Bearer ${KEY}`)).text;
    expect(text).toContain('bookline_remote_requests_total{provider="microsoft-graph"} 2');
    expect(text).toContain('bookline_remote_errors_total{provider="microsoft-graph",kind="transient"} 1');
    expect(text).toContain('bookline_remote_retries_total{provider="microsoft-graph"} 1');
  });

  it('counts a no-show marked after the appointment started', async () => {
    deps = await makeWebDeps({ env: { METRICS_API_KEY: KEY } });
    const booked = await runTool(deps, 'book_appointment', { customer_name: 'Dana Reyes', customer_phone: '2125550123', service_name: 'haircut', appointment_datetime: '2026-11-24T09:00' }, { platform: 'test' });
    const id = (booked.result.appointment as { id: string }).id;
    deps.clock.set(local('2026-11-24T10:00'));
    expect(await markOutcome(deps, id, 'no_show', 'test', null)).toMatchObject({ ok: true });
    // Refused (already a no-show): not counted twice.
    expect(await markOutcome(deps, id, 'no_show', 'test', null)).toMatchObject({ ok: false });
    const text = (await request(createApp(deps)).get('/metrics').set('Authorization', `Bearer ${KEY}`)).text;
    expect(text).toContain(`bookline_appointment_changes_total{business="${deps.store.businessId}",change="no_show"} 1`);
    expect(text).not.toMatch(/2125550|apt_/);
  });

  it('does not exist without a key', async () => {
    deps = await makeWebDeps();
    expect((await request(createApp(deps)).get('/metrics')).status).toBe(404);
  });
});
