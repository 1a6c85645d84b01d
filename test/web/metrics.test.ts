import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createNotifier } from '../../src/notifications/index.js';
import type { TestDeps } from '../helpers.js';
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
    expect(res.text).toContain('bookline_tool_calls_total{business="default",tool="book_appointment",platform="web",code="OK"} 2');
    expect(res.text).toContain('bookline_tool_calls_total{business="default",tool="book_appointment",platform="web",code="SLOT_UNAVAILABLE"} 1');
    expect(res.text).toContain('bookline_appointment_changes_total{business="default",change="booked"} 1');
    expect(res.text).toMatch(/bookline_tool_duration_seconds_count\{tool="book_appointment"\} 3/);
    expect(res.text).toContain('bookline_outbox_messages{business="default",status="pending"} 4');
    // Bounded labels only: no phone number or appointment id anywhere.
    expect(res.text).not.toMatch(/2125550|apt_/);
  });

  it('does not exist without a key', async () => {
    deps = await makeWebDeps();
    expect((await request(createApp(deps)).get('/metrics')).status).toBe(404);
  });
});
