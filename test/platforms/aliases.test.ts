/**
 * Function names existing Vapi assistants already use for the same jobs work through
 * /webhooks/vapi: find_available_times(start_date, duration), schedule_meeting(title, start_time,
 * duration, attendee_email, description) and get_next_available(duration). They run through the
 * same path as our tools (validation, caller number, idempotency, call log under the alias name)
 * and stay out of the published definitions unless asked for.
 */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { lastLogged } from './support.js';

let deps: TestDeps;
afterEach(() => deps?.cleanup());

const CALLER = '+12125550123';

let calls = 0;
async function vapi(name: string, args: Record<string, unknown>, id = `tc_${++calls}`) {
  const res = await request(createApp(deps))
    .post('/webhooks/vapi')
    .send({ message: { type: 'tool-calls', call: { id: 'call-1', customer: { number: CALLER } }, toolCallList: [{ id, type: 'function', function: { name, arguments: JSON.stringify(args) } }] } });
  expect(res.status).toBe(200);
  expect(res.body.results[0]).toMatchObject({ toolCallId: id, name });
  return JSON.parse(res.body.results[0].result) as Record<string, any>;
}

describe('Vapi compatibility aliases', () => {
  it('find_available_times(start_date, duration): the duration picks the service of that length, else the first service', async () => {
    deps = await makeTestDeps();
    const r = await vapi('find_available_times', { start_date: '2026-11-25', duration: 20 });
    expect(r.ok).toBe(true);
    expect(r.service).toMatchObject({ id: 'beard-trim', duration_minutes: 20 });
    expect(r.slots.every((s: { start: string }) => s.start.startsWith('2026-11-25'))).toBe(true);
    expect(r.message).toMatch(/^For a beard trim, I have Wednesday, November 25 at /);
    expect(await lastLogged(deps)).toMatchObject({ platform: 'vapi', tool: 'find_available_times', ok: true });
    const odd = await vapi('find_available_times', { start_date: '2026-11-25', duration: '33 minutes' });
    expect(odd.service.id).toBe('haircut');
    const hour = await vapi('find_available_times', { start_date: '2026-11-25', duration: '2 hours' });
    expect(hour.service.id).toBe('color');
  });

  it('schedule_meeting books with the title as the name, the caller number from the platform, email and notes', async () => {
    deps = await makeTestDeps();
    const args = { title: 'Ada Lovelace', start_time: '2026-11-25T11:00', duration: 45, attendee_email: 'ada@example.com', description: 'first visit' };
    const r = await vapi('schedule_meeting', args, 'tc_meet');
    expect(r.ok).toBe(true);
    expect(r.message).toBe('Booked: a haircut with Sam on Wednesday, November 25 at 11 AM, for Ada Lovelace.');
    expect(r.appointment).toMatchObject({ service: { id: 'haircut' }, customer: { name: 'Ada Lovelace', phone: CALLER, email: 'ada@example.com' }, notes: 'first visit' });
    // Logged under the alias name, with the arguments as the assistant sent them.
    expect(await lastLogged(deps)).toMatchObject({ tool: 'schedule_meeting', ok: true, args });
    // A retried tool call id is answered from the first result and books once.
    const again = await vapi('schedule_meeting', args, 'tc_meet');
    expect(again).toEqual(r);
    expect(await deps.store.appointments.upcomingByPhone(CALLER, deps.clock.now())).toHaveLength(1);
  });

  it('schedule_meeting: a title that names a service and a person gives both; a title that is no name makes us ask for one', async () => {
    deps = await makeTestDeps();
    const both = await vapi('schedule_meeting', { title: 'Beard trim with Grace Hopper', start_time: '2026-11-25T15:00' });
    expect(both.appointment).toMatchObject({ service: { id: 'beard-trim' }, customer: { name: 'Grace Hopper' } });
    const noName = await vapi('schedule_meeting', { title: 'Haircut', start_time: '2026-11-26T10:00' });
    expect(noName).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: 'What name should I put the booking under?' });
    const badTime = await vapi('schedule_meeting', { title: 'Ada Lovelace', start_time: 'next tuesday' });
    expect(badTime).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT', message: "Sorry, I didn't catch the date and time. What day and time would you like?" });
  });

  it('get_next_available(duration): our own tool name with a duration instead of a service', async () => {
    deps = await makeTestDeps();
    const r = await vapi('get_next_available', { duration: 20 });
    expect(r.message).toBe('The next opening for a beard trim is Tuesday, November 24 at 9 AM with Sam. Shall I book it?');
    const ours = await vapi('get_next_available', { service_name: 'color' });
    expect(ours.message).toMatch(/^The next opening for a hair color is /);
  });

  it('are not in the published definitions unless asked for', async () => {
    deps = await makeTestDeps();
    const app = createApp(deps);
    const plain = await request(app).get('/tools/definitions?format=vapi');
    expect(plain.body.map((d: any) => d.function.name)).not.toContain('schedule_meeting');
    const all = await request(app).get('/tools/definitions?format=vapi&aliases=true');
    expect(all.body.map((d: any) => d.function.name)).toEqual(expect.arrayContaining(['find_available_times', 'schedule_meeting']));
  });
});
