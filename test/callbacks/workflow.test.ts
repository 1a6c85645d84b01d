import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { changeStatus, sweepOverdue } from '../../src/callbacks/service.js';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, STORE_KINDS, type TestDeps } from '../helpers.js';
import { callbackBusiness, callbackDeps } from './support.js';

let open: TestDeps[] = [];
afterEach(async () => {
  for (const d of open) await d.cleanup();
  open = [];
});

const KEY = 'admin-key-for-tests';
const auth = { Authorization: `Bearer ${KEY}` };
const MIN = 60_000;

async function salon(kind: (typeof STORE_KINDS)[number], now = '2026-11-24T10:00', callbacks?: Record<string, unknown>) {
  const d = await callbackDeps(kind, now, callbacks, undefined, { ADMIN_API_KEY: KEY });
  open.push(d);
  return d;
}

async function ask(d: TestDeps, phone: string, urgency: string, reason = 'a question') {
  const out = await runTool(d, 'request_callback', { customer_name: 'Jane Doe', customer_phone: phone, reason, urgency }, { platform: 'test' });
  expect(out.result.ok).toBe(true);
  return (out.result.callback as { id: string }).id;
}

describe.each(STORE_KINDS)('callback workflow on %s', (kind) => {
  describe('status changes through POST /admin/callbacks/:id/status', () => {
    it('pending -> no_answer (attempt counted, next attempt set) -> no_answer -> contacted -> completed, each with who, when and notes', async () => {
      const d = await salon(kind);
      const app = createApp(d);
      const id = await ask(d, '+12125550301', 'high');
      const step = (body: Record<string, unknown>) => request(app).post(`/admin/callbacks/${id}/status`).set(auth).send(body);

      d.clock.advance(20 * MIN);
      const r1 = await step({ status: 'no_answer', by: 'sam', notes: 'rang out', outcome: 'voicemail' });
      expect(r1.status).toBe(200);
      // retryMinutes 60 from 10:20, inside opening hours.
      expect(r1.body.callback).toMatchObject({ status: 'no_answer', attempts: 1, last_outcome: 'voicemail', next_attempt: '2026-11-24T11:20:00-05:00' });

      d.clock.advance(60 * MIN);
      const r2 = await step({ status: 'no_answer', by: 'sam' });
      // 11:20 + 60 min of opening hours: 70 min to the lunch break, so 12:20.
      expect(r2.body.callback).toMatchObject({ attempts: 2, last_outcome: 'no_answer', next_attempt: '2026-11-24T12:20:00-05:00' });

      d.clock.advance(60 * MIN);
      const r3 = await step({ status: 'contacted', by: 'priya', notes: 'wants a quote by email' });
      expect(r3.body.callback).toMatchObject({ status: 'contacted', attempts: 3, last_outcome: 'reached', next_attempt: null, allowed: ['completed', 'no_answer', 'cancelled'] });

      const r4 = await step({ status: 'completed', by: 'priya', notes: 'quote sent' });
      expect(r4.body.callback).toMatchObject({ status: 'completed', attempts: 3, allowed: [] });
      expect(r4.body.history).toEqual([
        { at: '2026-11-24T10:00:00-05:00', from: null, to: 'pending', by: 'caller', notes: null, outcome: null },
        { at: '2026-11-24T10:20:00-05:00', from: 'pending', to: 'no_answer', by: 'sam', notes: 'rang out', outcome: 'voicemail' },
        { at: '2026-11-24T11:20:00-05:00', from: 'no_answer', to: 'no_answer', by: 'sam', notes: null, outcome: 'no_answer' },
        { at: '2026-11-24T12:20:00-05:00', from: 'no_answer', to: 'contacted', by: 'priya', notes: 'wants a quote by email', outcome: 'reached' },
        { at: '2026-11-24T12:20:00-05:00', from: 'contacted', to: 'completed', by: 'priya', notes: 'quote sent', outcome: null },
      ]);
      expect((await request(app).get(`/admin/callbacks/${id}`).set(auth)).body.history).toHaveLength(5);
    });

    it('refuses moves the workflow does not allow, and leaves the callback as it was', async () => {
      const d = await salon(kind);
      const app = createApp(d);
      const id = await ask(d, '+12125550302', 'low');
      expect((await request(app).post(`/admin/callbacks/${id}/status`).set(auth).send({ status: 'cancelled', by: 'sam', notes: 'caller booked online' })).status).toBe(200);
      const again = await request(app).post(`/admin/callbacks/${id}/status`).set(auth).send({ status: 'contacted', by: 'sam' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ error: 'a cancelled callback cannot become contacted: it is closed', status: 'cancelled', allowed: [] });
      const back = await request(app).post(`/admin/callbacks/${id}/status`).set(auth).send({ status: 'pending', by: 'sam' });
      expect(back.status).toBe(409);
      expect((await d.store.callbacks.get(id))!.status).toBe('cancelled');
      expect((await request(app).post(`/admin/callbacks/cb_nope/status`).set(auth).send({ status: 'completed', by: 'sam' })).status).toBe(404);
      expect((await request(app).post(`/admin/callbacks/${id}/status`).set(auth).send({ status: 'done', by: 'sam' })).status).toBe(400);
      expect((await request(app).post(`/admin/callbacks/${id}/status`).set(auth).send({ status: 'completed' })).status).toBe(400);
    });

    it('needs the admin key', async () => {
      const d = await salon(kind);
      const app = createApp(d);
      expect((await request(app).get('/admin/callbacks')).status).toBe(401);
      expect((await request(app).get('/admin/callbacks').set({ Authorization: 'Bearer wrong' })).status).toBe(401);
      const closed = await makeTestDeps({ storeKind: kind, business: callbackBusiness() });
      open.push(closed);
      expect((await request(createApp(closed)).get('/admin/callbacks').set(auth)).status).toBe(404);
    });
  });

  describe('GET /admin/callbacks', () => {
    it('sorts by urgency then due time, and filters by status, urgency, overdue and assignee', async () => {
      const d = await salon(kind);
      const app = createApp(d);
      const low = await ask(d, '+12125550311', 'low');
      const med1 = await ask(d, '+12125550312', 'medium');
      d.clock.advance(5 * MIN);
      const urgent = await ask(d, '+12125550313', 'urgent');
      const med0 = await ask(d, '+12125550314', 'medium', 'earlier promise');
      // med0 was asked later but promised sooner (as a repeat request can do): due time orders within an urgency.
      await d.store.callbacks.merge(med0, { urgency: 'medium', customerName: 'Jane Doe', reason: 'earlier promise', preferredTime: null, serviceId: null, dueAt: d.clock.now() }, d.clock.now());
      const all = await request(app).get('/admin/callbacks').set(auth);
      expect(all.status).toBe(200);
      expect(all.body.callbacks.map((c: { id: string }) => c.id)).toEqual([urgent, med0, med1, low]);
      expect(all.body.callbacks[0]).toMatchObject({ urgency: 'urgent', assignee: 'sam', customer: { name: 'Jane Doe', phone: '+12125550313' }, due: '2026-11-24T10:35:00-05:00', overdue: false });

      const ids = async (q: string) => (await request(app).get(`/admin/callbacks?${q}`).set(auth)).body.callbacks.map((c: { id: string }) => c.id);
      expect(await ids('urgency=medium')).toEqual([med0, med1]);
      const byPriya = await d.store.callbacks.list({ assigneeId: 'priya', limit: 10 });
      expect(await ids('assignee=priya')).toEqual(byPriya.map((c) => c.id));
      expect(byPriya.length).toBeGreaterThan(0);
      await request(app).post(`/admin/callbacks/${low}/status`).set(auth).send({ status: 'no_answer', by: 'sam' });
      expect(await ids('status=no_answer')).toEqual([low]);
      expect(await ids('overdue=true')).toEqual([]);
      d.clock.advance(40 * MIN);
      await sweepOverdue(d);
      expect(await ids('overdue=true')).toEqual([urgent, med0]);
      expect(await ids('overdue=false&urgency=medium')).toEqual([med1]);
      expect((await request(app).get('/admin/callbacks?urgency=whenever').set(auth)).status).toBe(400);
    });
  });

  describe('overdue escalation', () => {
    it('marks a pending callback overdue once its window passes and tells the business contact, once', async () => {
      const d = await salon(kind, '2026-11-24T10:00', { escalationPhone: '(212) 555-0999' });
      const id = await ask(d, '+12125550321', 'urgent', 'lock broken');
      const answered = await ask(d, '+12125550322', 'urgent');
      expect((await changeStatus(d, answered, { status: 'contacted', by: 'sam' })).ok).toBe(true);
      d.clock.advance(29 * MIN);
      expect(await sweepOverdue(d)).toEqual([]);
      d.clock.advance(1 * MIN);
      const marked = await sweepOverdue(d);
      expect(marked.map((c) => c.id)).toEqual([id]);
      expect(await sweepOverdue(d)).toEqual([]);
      const sms = (await d.store.outbox.list({ limit: 50 })).find((r) => r.dedupe_key.startsWith(`callback:${id}:overdue`));
      expect(sms).toMatchObject({ kind: 'callback', audience: 'staff', to_phone: '+12125550999', status: 'pending' });
      expect(sms!.body).toBe('Maple Street Salon: overdue urgent callback (Sam): Jane Doe at (212) 555-0321 was promised a call by 10:30 AM today. Reason: lock broken.');
      expect((await d.store.outbox.list({ limit: 50 })).filter((r) => r.dedupe_key.startsWith(`callback:${answered}:overdue`))).toEqual([]);
      const history = await d.store.callbacks.events(id);
      expect(history[history.length - 1]).toMatchObject({ actor: 'system', notes: 'overdue: the promised window passed' });
    });

    it('a repeat request after the promise passed gets a fresh promise, and the overdue mark is lifted', async () => {
      const d = await salon(kind);
      const id = await ask(d, '+12125550341', 'urgent');
      d.clock.advance(40 * MIN);
      expect((await sweepOverdue(d)).map((c) => c.id)).toEqual([id]);
      const again = await runTool(d, 'request_callback', { customer_name: 'Jane Doe', customer_phone: '+12125550341', reason: 'still waiting', urgency: 'urgent' }, { platform: 'test' });
      expect(again.result.message).toBe("I've added that to your callback request. Someone from Maple Street Salon will call you back by 11:10 AM today.");
      expect(await d.store.callbacks.get(id)).toMatchObject({ overdueAt: null, dueAt: d.clock.now() + 30 * MIN });
      expect(await d.store.callbacks.list({ overdue: true, limit: 10 })).toEqual([]);
      // The fresh promise passing is escalated again: a second message, not absorbed by the first.
      d.clock.advance(31 * MIN);
      expect((await sweepOverdue(d)).map((c) => c.id)).toEqual([id]);
      expect((await d.store.outbox.list({ limit: 50 })).filter((r) => r.dedupe_key.startsWith(`callback:${id}:overdue`))).toHaveLength(2);
    });

    it('an unanswered callback whose next try is missed is escalated once per missed try, and not once someone calls', async () => {
      const d = await salon(kind, '2026-11-24T10:00', { escalationPhone: '(212) 555-0999' });
      const id = await ask(d, '+12125550351', 'high', 'boiler quote');
      const missedRows = async () => (await d.store.outbox.list({ limit: 50 })).filter((r) => r.dedupe_key.startsWith(`callback:${id}:retry-missed`));
      d.clock.advance(10 * MIN);
      expect((await changeStatus(d, id, { status: 'no_answer', by: 'sam' })).ok).toBe(true); // next try due 11:10
      d.clock.advance(59 * MIN);
      expect(await sweepOverdue(d)).toEqual([]);
      d.clock.advance(1 * MIN);
      expect((await sweepOverdue(d)).map((c) => c.id)).toEqual([id]);
      expect(await sweepOverdue(d)).toEqual([]);
      const [sms] = await missedRows();
      expect(sms).toMatchObject({ kind: 'callback', audience: 'staff', to_phone: '+12125550999' });
      expect(sms!.body).toBe('Maple Street Salon: high callback still unanswered after one try (Sam): Jane Doe at (212) 555-0351; the next try was due by 11:10 AM today. Reason: boiler quote.');
      expect((await d.store.callbacks.list({ overdue: true, limit: 10 })).map((c) => c.id)).toEqual([id]);
      const history = await d.store.callbacks.events(id);
      expect(history[history.length - 1]).toMatchObject({ actor: 'system', fromStatus: 'no_answer', toStatus: 'no_answer', notes: 'overdue: the next try was not made in time' });

      // Another unanswered try sets a new time; missing that one is a second message.
      expect((await changeStatus(d, id, { status: 'no_answer', by: 'sam' })).ok).toBe(true);
      d.clock.advance(61 * MIN);
      expect((await sweepOverdue(d)).map((c) => c.id)).toEqual([id]);
      expect(await missedRows()).toHaveLength(2);
      // Reached: nothing more to escalate, however long it waits.
      expect((await changeStatus(d, id, { status: 'contacted', by: 'sam' })).ok).toBe(true);
      d.clock.advance(300 * MIN);
      expect(await sweepOverdue(d)).toEqual([]);
      expect(await missedRows()).toHaveLength(2);
    });

    it('several instances sweeping at once escalate each callback exactly once', async () => {
      const d = await salon(kind);
      const id = await ask(d, '+12125550331', 'urgent');
      const other = await makeTestDeps({ storeKind: kind, store: d.root, businessId: d.store.businessId, business: callbackBusiness(), now: '2026-11-24T10:00' });
      d.clock.advance(45 * MIN);
      other.clock.set(d.clock.now());
      const results = await Promise.all([sweepOverdue(d), sweepOverdue(other), sweepOverdue(d), sweepOverdue(other)]);
      expect(results.flat().map((c) => c.id)).toEqual([id]);
      const rows = await d.store.outbox.list({ limit: 50 });
      expect(rows.filter((r) => r.dedupe_key.startsWith(`callback:${id}:overdue`))).toHaveLength(1);
      // Without an escalation phone, the business phone is told.
      expect(rows.find((r) => r.dedupe_key.startsWith(`callback:${id}:overdue`))!.to_phone).toBe('+12125550100');
    });
  });
});
