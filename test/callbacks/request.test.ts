import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { embeddedCalendarOf } from '../../src/calendar/staff.js';
import { createNotifier } from '../../src/notifications/index.js';
import { runTool } from '../../src/tools/registry.js';
import { local, STORE_KINDS, type TestDeps } from '../helpers.js';
import { callbackDeps, PHONES } from './support.js';

let deps: TestDeps | undefined;
afterEach(async () => {
  await deps?.cleanup();
  deps = undefined;
});

const ASK = { customer_name: 'Jane Doe', customer_phone: '(212) 555-0199', reason: 'a quote for a wedding party' };
const call = (d: TestDeps, args: Record<string, unknown>, callerPhone?: string) => runTool(d, 'request_callback', args, { platform: 'test', callerPhone });

describe.each(STORE_KINDS)('request_callback on %s', (kind) => {
  describe('the promised window, counted in opening hours', () => {
    it('medium (4 h) at 10 AM Tuesday skips the lunch break: 3 PM today', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const out = await call(deps, ASK);
      expect(out.result).toMatchObject({ ok: true, message: 'Someone from Maple Street Salon will call you back by 3 PM today.' });
      expect(out.result.callback).toMatchObject({ status: 'pending', urgency: 'medium', due: '2026-11-24T15:00:00-05:00', updated: false });
    });

    it('urgent (30 min) 15 minutes before closing runs into the next morning', async () => {
      deps = await callbackDeps(kind, '2026-11-24T17:45');
      const out = await call(deps, { ...ASK, urgency: 'urgent' });
      expect(out.result.message).toBe('Someone from Maple Street Salon will call you back by 9:15 AM tomorrow.');
    });

    it('asked while closed (Monday), it says so and starts at the next opening', async () => {
      deps = await callbackDeps(kind, '2026-11-23T08:00');
      const out = await call(deps, { ...ASK, urgency: 'urgent' });
      expect(out.result.message).toBe("We're closed right now, so someone from Maple Street Salon will call you back by 9:30 AM tomorrow, once we're open.");
      expect(out.result.callback).toMatchObject({ due: '2026-11-24T09:30:00-05:00' });
    });

    it('across the fall-back night (a 25-hour Sunday) the days are still counted right', async () => {
      deps = await callbackDeps(kind, '2026-10-31T15:00');
      const out = await call(deps, ASK);
      // 1 h left on Saturday; Sunday and Monday closed; 3 h into Tuesday.
      expect(out.result.message).toBe('Someone from Maple Street Salon will call you back by Tuesday, November 3 at noon.');
      expect(out.result.callback).toMatchObject({ due: '2026-11-03T12:00:00-05:00' });
    });

    it('per-business windows apply', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00', { windowMinutes: { medium: 60 } });
      expect((await call(deps, ASK)).result.message).toBe('Someone from Maple Street Salon will call you back by 11 AM today.');
    });
  });

  describe('the promised window on the wall clock', () => {
    it('says when the promise lands outside opening hours', async () => {
      deps = await callbackDeps(kind, '2026-11-24T17:45', { businessHoursOnly: false });
      const out = await call(deps, { ...ASK, urgency: 'urgent' });
      expect(out.result.message).toBe("Someone from Maple Street Salon will call you back by 6:15 PM today; that's outside our opening hours.");
    });

    it('counts real hours across the fall-back night: 24 h after 10 AM EDT is 9 AM EST', async () => {
      deps = await callbackDeps(kind, '2026-10-31T10:00', { businessHoursOnly: false });
      const out = await call(deps, { ...ASK, urgency: 'low' });
      expect(out.result.message).toBe("Someone from Maple Street Salon will call you back by 9 AM tomorrow; that's outside our opening hours.");
      expect(out.result.callback).toMatchObject({ due: '2026-11-01T09:00:00-05:00' });
    });

    it('inside opening hours it says nothing more', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00', { businessHoursOnly: false });
      expect((await call(deps, { ...ASK, urgency: 'high' })).result.message).toBe('Someone from Maple Street Salon will call you back by noon today.');
    });
  });

  describe('a repeat request', () => {
    it('updates the open callback instead of adding one, keeping the sooner promise', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const first = await call(deps, { ...ASK, urgency: 'high' });
      deps.clock.advance(30 * 60_000);
      const again = await call(deps, { ...ASK, reason: 'and a trial run', urgency: 'low' });
      expect(again.result.message).toBe("I've added that to your callback request. Someone from Maple Street Salon will call you back by noon today.");
      expect(again.result.callback).toMatchObject({ id: (first.result.callback as { id: string }).id, urgency: 'high', updated: true });
      const all = await deps.store.callbacks.list({ limit: 10 });
      expect(all).toHaveLength(1);
      expect(all[0]).toMatchObject({ reason: 'a quote for a wedding party / and a trial run', urgency: 'high' });
      expect((await deps.store.callbacks.events(all[0]!.id)).map((e) => e.actor)).toEqual(['caller', 'caller']);
    });

    it('a more urgent repeat raises the urgency, brings the promise forward and tells the assignee again', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const first = await call(deps, ASK);
      const again = await call(deps, { ...ASK, reason: 'the pipe burst', urgency: 'urgent' });
      expect(again.result.message).toBe("I've added that to your callback request. Someone from Maple Street Salon will call you back by 10:30 AM today.");
      const id = (first.result.callback as { id: string }).id;
      expect(await deps.store.outbox.byKey(`callback:${id}:raised:urgent`)).toMatchObject({ kind: 'callback', audience: 'staff' });
    });

    it('a callback already completed does not absorb a new request', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const first = await call(deps, ASK);
      const id = (first.result.callback as { id: string }).id;
      await deps.store.callbacks.transition(id, 'pending', { status: 'completed', attempts: 1, nextAttemptAt: null, lastOutcome: 'reached' }, deps.clock.now());
      const again = await call(deps, ASK);
      expect(again.result.callback).toMatchObject({ updated: false });
      expect((again.result.callback as { id: string }).id).not.toBe(id);
    });
  });

  describe('assignment', () => {
    it('urgent goes to senior staff; the rest rotate over staff working that day, skipping those off', async () => {
      // Tuesday: Jordan does not work Tuesdays.
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const assignee = async (phone: string, urgency = 'medium') => {
        const out = await call(deps!, { ...ASK, customer_phone: phone, urgency });
        return (await deps!.store.callbacks.get((out.result.callback as { id: string }).id))!.assigneeId;
      };
      expect(await assignee('+12125550201', 'urgent')).toBe('sam');
      expect(await assignee('+12125550202')).toBe('priya');
      deps.clock.advance(60_000);
      expect(await assignee('+12125550203')).toBe('sam');
      deps.clock.advance(60_000);
      expect(await assignee('+12125550204')).toBe('priya');
      deps.clock.advance(60_000);
      expect(await assignee('+12125550205', 'urgent')).toBe('sam');
    });

    it('on a day the senior is off, urgent goes to whoever takes callbacks; `callbacks: none` never gets one', async () => {
      // Wednesday, Sam off that day, Priya takes none: Jordan (working Wednesdays) gets everything.
      deps = await callbackDeps(kind, '2026-11-25T12:30', {}, { sam: { hours: { tuesday: ['09:00-18:00'] } }, priya: { callbacks: 'none' } });
      const out = await call(deps, { ...ASK, urgency: 'urgent' });
      const c = (await deps.store.callbacks.get((out.result.callback as { id: string }).id))!;
      expect(c.assigneeId).toBe('jordan');
    });

    it('skips staff on time off, or booked solid, for the whole window; someone off for part of it still gets it', async () => {
      // Tuesday 10:00; urgent = 30 min. Sam (senior) is off all morning, so urgent goes to the rotation.
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const cal = embeddedCalendarOf(deps.calendar)!;
      const staff = (id: string) => deps!.config.staff.find((s) => s.id === id)!;
      await cal.addBlock('blk_sam', staff('sam').calendarId, local('2026-11-24T09:00'), local('2026-11-24T13:00'), 'Dentist');
      // Priya is away only until 10:15: she can still call back within the window.
      await cal.addBlock('blk_priya', staff('priya').calendarId, local('2026-11-24T09:30'), local('2026-11-24T10:15'), 'Late start');
      const assignee = async (phone: string, urgency: string) => {
        const out = await call(deps!, { ...ASK, customer_phone: phone, urgency });
        return (await deps!.store.callbacks.get((out.result.callback as { id: string }).id))!.assigneeId;
      };
      expect(await assignee('+12125550211', 'urgent')).toBe('priya');
      // Everyone who takes callbacks away (Jordan does not work Tuesdays): unassigned, and the business is told.
      await cal.addBlock('blk_priya2', staff('priya').calendarId, local('2026-11-24T10:00'), local('2026-11-24T12:00'), 'Course');
      deps.clock.advance(60_000);
      const out = await call(deps, { ...ASK, customer_phone: '+12125550212', urgency: 'urgent' });
      const id = (out.result.callback as { id: string }).id;
      expect((await deps.store.callbacks.get(id))!.assigneeId).toBeNull();
      expect(await deps.store.outbox.byKey(`callback:${id}:assigned`)).toMatchObject({ to_phone: '+12125550100' });
    });

    it('the assignee is told by e-mail too when they have an address and e-mail can go out; by e-mail alone without a phone', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00', {}, { sam: { email: 'sam@salon.test' }, priya: { phone: undefined, email: 'priya@salon.test' } });
      const smtp = { name: 'smtp', send: async () => ({ providerId: 'x' }), close: () => undefined };
      deps.notifier = createNotifier(deps, { sender: null, emailSender: smtp });
      const urgent = (await call(deps, { ...ASK, urgency: 'urgent' })).result.callback as { id: string };
      expect(await deps.store.outbox.byKey(`callback:${urgent.id}:assigned`)).toMatchObject({ channel: 'sms', to_phone: PHONES.sam });
      const mail = await deps.store.outbox.byKey(`email:callback:${urgent.id}:assigned`);
      expect(mail).toMatchObject({ channel: 'email', to_phone: 'sam@salon.test', subject: 'Maple Street Salon: urgent callback for Jane Doe', kind: 'callback', audience: 'staff' });
      expect(mail!.body).toBe((await deps.store.outbox.byKey(`callback:${urgent.id}:assigned`))!.body);
      const medium = (await call(deps, { ...ASK, customer_phone: '+12125550213' })).result.callback as { id: string };
      expect((await deps.store.callbacks.get(medium.id))!.assigneeId).toBe('priya');
      expect(await deps.store.outbox.byKey(`callback:${medium.id}:assigned`)).toBeUndefined();
      expect(await deps.store.outbox.byKey(`email:callback:${medium.id}:assigned`)).toMatchObject({ to_phone: 'priya@salon.test' });
      // Without a way to send e-mail, an address alone does not count: the business phone is told.
      deps.notifier = createNotifier(deps, { sender: null, emailSender: null });
      deps.clock.advance(60_000);
      const third = (await call(deps, { ...ASK, customer_phone: '+12125550214' })).result.callback as { id: string };
      expect((await deps.store.callbacks.get(third.id))!.assigneeId).toBe('sam');
      deps.clock.advance(60_000);
      const fourth = (await call(deps, { ...ASK, customer_phone: '+12125550215' })).result.callback as { id: string };
      expect((await deps.store.callbacks.get(fourth.id))!.assigneeId).toBe('priya');
      expect(await deps.store.outbox.byKey(`callback:${fourth.id}:assigned`)).toMatchObject({ to_phone: '+12125550100' });
      expect(await deps.store.outbox.byKey(`email:callback:${fourth.id}:assigned`)).toBeUndefined();
    });

    it('a staff member with the urgent callback role gets urgent ones and stays out of the rotation', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00', {}, { sam: { senior: false }, priya: { callbacks: 'urgent' } });
      const urgent = await call(deps, { ...ASK, urgency: 'urgent' });
      const normal = await call(deps, { ...ASK, customer_phone: '+12125550202' });
      expect((await deps.store.callbacks.get((urgent.result.callback as { id: string }).id))!.assigneeId).toBe('priya');
      expect((await deps.store.callbacks.get((normal.result.callback as { id: string }).id))!.assigneeId).toBe('sam');
    });

    it('the assignee is sent an SMS with the caller and the reason, in the same unit of work', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const out = await call(deps, { ...ASK, urgency: 'urgent', preferred_time: 'afternoon' });
      const id = (out.result.callback as { id: string }).id;
      const sms = await deps.store.outbox.byKey(`callback:${id}:assigned`);
      expect(sms).toMatchObject({ kind: 'callback', audience: 'staff', to_phone: PHONES.sam, status: 'pending', due_at: deps.clock.now() });
      expect(sms!.body).toBe('Maple Street Salon: urgent callback: call Jane Doe at (212) 555-0199 by 10:30 AM today. Reason: a quote for a wedding party. Prefers: afternoon.');
    });

    it('with nobody on callbacks that day, the business phone is told instead', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00', {}, { sam: { callbacks: 'none' }, priya: { callbacks: 'none' } });
      const out = await call(deps, ASK);
      const id = (out.result.callback as { id: string }).id;
      expect((await deps.store.callbacks.get(id))!.assigneeId).toBeNull();
      expect(await deps.store.outbox.byKey(`callback:${id}:assigned`)).toMatchObject({ to_phone: '+12125550100' });
    });
  });

  describe('arguments and entry points', () => {
    it('fills customer_phone from the caller id, validates urgency and preferred time', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const out = await call(deps, { customer_name: 'Jo', reason: 'question about color' }, '+12125550177');
      expect(out.result.ok).toBe(true);
      expect((await deps.store.callbacks.openByPhone('+12125550177'))?.customerName).toBe('Jo');
      const bad = await call(deps, { ...ASK, urgency: 'asap' });
      expect(bad.result).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: "Sorry, I didn't catch how urgent it is. How urgent is it: urgent, high, medium or low?" });
      const when = await call(deps, { ...ASK, customer_phone: '+12125550178', preferred_time: '2026-11-25T14:30', service_name: 'colour' });
      const c = (await deps.store.callbacks.openByPhone('+12125550178'))!;
      expect(when.result.ok).toBe(true);
      expect(c).toMatchObject({ preferredTime: '2026-11-25T14:30', serviceId: 'color' });
      expect((await call(deps, { ...ASK, service_name: 'tattoo' })).result.code).toBe('UNKNOWN_SERVICE');
    });

    it('POST /tools/request_callback and the Vapi webhook run it, idempotently, into the call log', async () => {
      deps = await callbackDeps(kind, '2026-11-24T10:00');
      const app = createApp(deps);
      const first = await request(app).post('/tools/request_callback').set('Idempotency-Key', 'k1').send(ASK);
      const replay = await request(app).post('/tools/request_callback').set('Idempotency-Key', 'k1').send(ASK);
      expect(first.status).toBe(200);
      expect(replay.body).toEqual(first.body);
      expect(await deps.store.callbacks.list({ limit: 10 })).toHaveLength(1);
      const vapi = await request(app)
        .post('/webhooks/vapi')
        .send({
          message: {
            type: 'tool-calls',
            call: { id: 'call_cb', customer: { number: '+12125550188' } },
            toolCallList: [{ id: 'tc_cb', type: 'function', function: { name: 'request_callback', arguments: JSON.stringify({ customer_name: 'Al', reason: 'lock broken', urgency: 'urgent' }) } }],
          },
        });
      expect(JSON.parse(vapi.body.results[0].result)).toMatchObject({ ok: true, message: 'Someone from Maple Street Salon will call you back by 10:30 AM today.' });
      expect((await deps.store.callbacks.openByPhone('+12125550188'))?.source).toBe('vapi');
      await deps.store.calls.flush();
      const log = await deps.store.calls.list(10);
      expect(log.filter((r) => r.tool === 'request_callback').map((r) => r.platform).sort()).toEqual(['http', 'http', 'vapi']);
    });
  });

  it('keeps each business to its own callbacks', async () => {
    deps = await callbackDeps(kind, '2026-11-24T10:00');
    await call(deps, ASK);
    const other = deps.root.forBusiness(`${deps.store.businessId}-other`);
    expect(await other.callbacks.list({ limit: 10 })).toEqual([]);
    expect(await other.callbacks.openByPhone('+12125550199')).toBeUndefined();
    expect(local('2026-11-24T10:00')).toBe(deps.clock.now());
  });
});
