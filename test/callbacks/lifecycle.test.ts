import { readFileSync } from 'node:fs';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { runTool } from '../../src/tools/registry.js';
import { local, makeTestDeps, STORE_KINDS, type TestDeps } from '../helpers.js';

let deps: TestDeps | undefined;
afterEach(async () => {
  await deps?.cleanup();
  deps = undefined;
});

const KEY = 'admin-key-for-tests';
const auth = { Authorization: `Bearer ${KEY}` };

async function booked(kind: (typeof STORE_KINDS)[number], at: string, phone = '+12125550501') {
  const out = await runTool(deps!, 'book_appointment', { customer_name: 'Jane Doe', customer_phone: phone, service_name: 'haircut', appointment_datetime: at }, { platform: 'test' });
  expect(out.result.ok, `${kind} ${out.result.message}`).toBe(true);
  return (out.result.appointment as { id: string }).id;
}

describe.each(STORE_KINDS)('appointment outcomes on %s', (kind) => {
  it('completed and no_show only once the start has passed; a no-show mark is reversible; each mark keeps who, when and notes', async () => {
    deps = await makeTestDeps({ storeKind: kind, env: { ADMIN_API_KEY: KEY } });
    const app = createApp(deps);
    const id = await booked(kind, '2026-11-24T10:00');
    const mark = (body: Record<string, unknown>) => request(app).post(`/admin/appointments/${id}/status`).set(auth).send(body);

    const early = await mark({ status: 'no_show', by: 'sam' });
    expect(early.status).toBe(409);
    expect(early.body.error).toBe('it has not started yet: it starts Tuesday, November 24 at 10:00 AM');

    deps.clock.set(local('2026-11-24T10:20'));
    const noShow = await mark({ status: 'no_show', by: 'sam', notes: 'did not turn up' });
    expect(noShow.status).toBe(200);
    expect(noShow.body).toMatchObject({ appointment: { id, status: 'no_show' }, customer_no_shows: 1 });

    deps.clock.set(local('2026-11-24T10:25'));
    const undo = await mark({ status: 'confirmed', by: 'priya', notes: 'was in the waiting room' });
    expect(undo.body).toMatchObject({ appointment: { status: 'confirmed' }, customer_no_shows: 0 });

    deps.clock.set(local('2026-11-24T11:00'));
    const done = await mark({ status: 'completed', by: 'sam' });
    expect(done.body.appointment.status).toBe('completed');
    expect(done.body.history).toEqual([
      { at: '2026-11-24T10:20:00-05:00', from: 'confirmed', to: 'no_show', by: 'sam', notes: 'did not turn up' },
      { at: '2026-11-24T10:25:00-05:00', from: 'no_show', to: 'confirmed', by: 'priya', notes: 'was in the waiting room' },
      { at: '2026-11-24T11:00:00-05:00', from: 'confirmed', to: 'completed', by: 'sam', notes: null },
    ]);

    const again = await mark({ status: 'completed', by: 'sam' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ status: 'completed', allowed: ['no_show'] });
    expect((await request(app).get('/admin/appointments?from=2026-11-24&status=completed').set(auth)).body.appointments.map((a: { id: string }) => a.id)).toEqual([id]);
    expect((await request(app).get('/admin/appointments?from=2026-11-24&status=no_show').set(auth)).body.appointments).toEqual([]);
  });

  it("refuses a cancelled appointment, an unknown one and a bad body; a mark counts toward the phone's no-shows", async () => {
    deps = await makeTestDeps({ storeKind: kind, env: { ADMIN_API_KEY: KEY } });
    const app = createApp(deps);
    const id = await booked(kind, '2026-11-24T10:00');
    const other = await booked(kind, '2026-11-25T10:00', '+12125550502');
    expect((await runTool(deps, 'cancel_appointment', { customer_phone: '+12125550502' }, { platform: 'test' })).result.ok).toBe(true);
    deps.clock.set(local('2026-11-26T12:00'));
    expect((await request(app).post(`/admin/appointments/${other}/status`).set(auth).send({ status: 'completed', by: 'sam' })).body).toMatchObject({
      error: 'a cancelled appointment cannot become completed',
      allowed: [],
    });
    expect((await request(app).post('/admin/appointments/apt_nope/status').set(auth).send({ status: 'completed', by: 'sam' })).status).toBe(404);
    expect((await request(app).post(`/admin/appointments/${id}/status`).set(auth).send({ status: 'cancelled', by: 'sam' })).status).toBe(400);
    expect((await request(app).post(`/admin/appointments/${id}/status`).send({ status: 'completed', by: 'sam' })).status).toBe(401);
    const marked = await request(app).post(`/admin/appointments/${id}/status`).set(auth).send({ status: 'no_show', by: 'sam' });
    expect(marked.body.customer_no_shows).toBe(1);
    expect((await deps.store.appointments.get(id))!.status).toBe('no_show');
    expect(await deps.store.appointments.upcomingByPhone('+12125550501', local('2026-11-20T00:00'))).toEqual([]);
  });
});

describe.each(STORE_KINDS)('the no-show limit on %s', (kind) => {
  it('after booking.maxNoShowsPerPhone no-shows, booking by phone says to call the business', async () => {
    const demo = JSON.parse(readFileSync('config/business.json', 'utf8'));
    demo.booking.maxNoShowsPerPhone = 1;
    deps = await makeTestDeps({ storeKind: kind, business: demo, env: { ADMIN_API_KEY: KEY } });
    const id = await booked(kind, '2026-11-24T10:00');
    deps.clock.set(local('2026-11-24T11:00'));
    expect((await request(createApp(deps)).post(`/admin/appointments/${id}/status`).set(auth).send({ status: 'no_show', by: 'sam' })).status).toBe(200);
    const refused = await runTool(deps, 'book_appointment', { customer_name: 'Jane Doe', customer_phone: '+12125550501', service_name: 'haircut', appointment_datetime: '2026-11-27T10:00' }, { platform: 'test' });
    expect(refused.result).toMatchObject({ ok: false, code: 'LIMIT_REACHED', message: "I can't book this one here, I'm sorry; please call us at (212) 555-0100 to arrange it." });
    // Another number books as usual.
    expect((await runTool(deps, 'book_appointment', { customer_name: 'Al', customer_phone: '+12125550509', service_name: 'haircut', appointment_datetime: '2026-11-27T10:00' }, { platform: 'test' })).result.ok).toBe(true);
  });
});
