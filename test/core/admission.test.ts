/**
 * Admission control: a concurrency limit with a bounded wait, lock waits bounded by the call's
 * deadline, and BUSY answers (503 + Retry-After on /tools) that come quickly and change nothing.
 */
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { Admission } from '../../src/booking/admission.js';
import { KeyedMutex } from '../../src/booking/locks.js';
import { EmbeddedCalendar } from '../../src/calendar/embedded.js';
import type { CalendarEventInput } from '../../src/calendar/provider.js';
import { BusyError } from '../../src/domain/errors.js';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';
import { callLog, countAppointments } from '../support/store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let deps: TestDeps;
afterEach(() => deps?.cleanup());

describe('Admission', () => {
  it('admits up to the limit at once, then first come first served as slots free up', async () => {
    const a = new Admission(2, 5_000);
    const r1 = await a.acquire();
    const r2 = await a.acquire();
    const order: number[] = [];
    const w3 = a.acquire().then((r) => (order.push(3), r));
    const w4 = a.acquire().then((r) => (order.push(4), r));
    await sleep(10);
    expect(a.stats).toEqual({ running: 2, waiting: 2 });
    r1();
    r1(); // releasing twice gives back one slot only
    const r3 = await w3;
    expect(order).toEqual([3]);
    r2();
    const r4 = await w4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(a.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('a wait longer than the queue timeout, or past the deadline, is BUSY; a zero timeout refuses at once', async () => {
    const a = new Admission(1, 80);
    const held = await a.acquire();
    const t0 = performance.now();
    await expect(a.acquire()).rejects.toBeInstanceOf(BusyError);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(70);
    expect(waited).toBeLessThan(5_000); // it gave up; it did not wait for the holder
    await expect(a.acquire(AbortSignal.timeout(10))).rejects.toMatchObject({ code: 'BUSY' });
    await expect(a.acquire(AbortSignal.abort())).rejects.toMatchObject({ code: 'BUSY' });
    expect(a.stats).toEqual({ running: 1, waiting: 0 });
    await expect(new Admission(1, 0).acquire().then(() => undefined)).resolves.toBeUndefined();
    const zero = new Admission(1, 0);
    await zero.acquire();
    await expect(zero.acquire()).rejects.toMatchObject({ code: 'BUSY' });
    held();
    expect(a.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('refusals are counted in a warning line: the first at once, then at most one every 10 s', () => {
    let t = 0;
    const a = new Admission(1, 100, () => t);
    const warned: unknown[] = [];
    const logger = { warn: (obj: unknown) => warned.push(obj) } as unknown as Parameters<Admission['noteShed']>[0];
    a.noteShed(logger);
    a.noteShed(logger);
    t = 5_000;
    a.noteShed(logger);
    expect(warned).toEqual([{ shed: 1, maxConcurrent: 1, queueTimeoutMs: 100 }]);
    t = 10_001;
    a.noteShed(logger);
    expect(warned).toEqual([{ shed: 1, maxConcurrent: 1, queueTimeoutMs: 100 }, { shed: 3, maxConcurrent: 1, queueTimeoutMs: 100 }]);
  });
});

describe('KeyedMutex with a deadline', () => {
  it('a lock wait ends with BUSY at the deadline, without running, and the line behind it keeps its order', async () => {
    const m = new KeyedMutex();
    const ran: string[] = [];
    let releaseFirst!: () => void;
    const first = m.run('sam', () => new Promise<void>((r) => (releaseFirst = r)).then(() => ran.push('first')));
    const t0 = performance.now();
    const second = m.run('sam', async () => ran.push('second'), AbortSignal.timeout(50));
    const third = m.run('sam', async () => ran.push('third'));
    const other = m.run('priya', async () => ran.push('other'), AbortSignal.timeout(50));
    await expect(second).rejects.toMatchObject({ code: 'BUSY' });
    expect(performance.now() - t0).toBeLessThan(5_000); // ended by its own deadline, the holder still holds
    await other;
    expect(ran).toEqual(['other']);
    releaseFirst();
    await first;
    await third;
    expect(ran).toEqual(['other', 'first', 'third']);
    // An already-passed deadline never takes the lock.
    await expect(m.run('sam', async () => ran.push('late'), AbortSignal.abort())).rejects.toBeInstanceOf(BusyError);
    expect(ran).not.toContain('late');
  });
});

/**
 * The embedded calendar, with calendar writes that take `ms` whatever the deadline says: a slow
 * remote calendar, so its write is not one the booking's own transaction could make.
 */
function slowWrites(ms: number) {
  return (store: TestDeps['store'], clock: TestDeps['clock']) =>
    new (class extends EmbeddedCalendar {
      override storeWriter() {
        return undefined;
      }
      override async createEvent(input: CalendarEventInput): Promise<{ eventId: string }> {
        await sleep(ms);
        return super.createEvent(input);
      }
    })(store.calendarEvents, () => clock.now());
}

const BOOK = { customer_name: 'Jane Doe', service_name: 'haircut', appointment_datetime: '2026-11-24T10:00', staff_name: 'Sam' };

describe('BUSY through runTool and /tools', () => {
  it('a call that cannot start within TOOL_QUEUE_TIMEOUT_MS is answered BUSY at once; nothing is booked; a retry with the same key runs', async () => {
    deps = await makeTestDeps({ env: { TOOL_MAX_CONCURRENCY: '1', TOOL_QUEUE_TIMEOUT_MS: '50', RATE_LIMIT_PHONE_PER_HOUR: '0' }, calendar: slowWrites(1500) });
    const app = createApp(deps);
    const first = request(app).post('/tools/book_appointment').send({ ...BOOK, customer_phone: '5550100001' });
    let firstFinished = false;
    const firstDone = first.then((r) => {
      firstFinished = true;
      return r;
    });
    await sleep(20);
    const busy = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'k1').send({ ...BOOK, appointment_datetime: '2026-11-24T11:00', customer_phone: '5550100002' });
    // Answered while the first call still holds the only slot (1.5 s of calendar write): an order,
    // not a wall-clock bound, so a loaded machine cannot fail it.
    expect(firstFinished).toBe(false);
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(busy.body).toEqual({ ok: false, code: 'BUSY', message: "We're very busy right now; please try again in a moment. Nothing was booked." });
    expect((await firstDone).body.ok).toBe(true);
    // The BUSY answer was not stored under its key: the retry books.
    const retry = await request(app).post('/tools/book_appointment').set('Idempotency-Key', 'k1').send({ ...BOOK, appointment_datetime: '2026-11-24T11:00', customer_phone: '5550100002' });
    expect(retry.status).toBe(200);
    expect(retry.body.ok).toBe(true);
    expect(await countAppointments(deps.store, 'confirmed')).toBe(2);
    // Refused before running: not in the call log (a write per refusal would feed the overload).
    expect((await callLog(deps, 10)).map((c) => c.code)).toEqual([null, null]);
  });

  it('a wait for a staff member held by a slow booking ends at TOOL_DEADLINE_MS with BUSY, not when the lock frees', async () => {
    deps = await makeTestDeps({ env: { TOOL_DEADLINE_MS: '300', TOOL_QUEUE_TIMEOUT_MS: '100', RATE_LIMIT_PHONE_PER_HOUR: '0' }, calendar: slowWrites(1_500) });
    const t0 = performance.now();
    let slowFinished = false;
    const slow = runTool(deps, 'book_appointment', { ...BOOK, customer_phone: '5550100003' }, { platform: 'test' }).then((r) => {
      slowFinished = true;
      return r;
    });
    await sleep(20);
    // Sam's lock is held by the slow booking; a second booking for Sam has to wait for it.
    const blocked = await runTool(deps, 'book_appointment', { ...BOOK, appointment_datetime: '2026-11-24T11:00', customer_phone: '5550100004' }, { platform: 'vapi' });
    const at = performance.now() - t0;
    expect(blocked.result).toMatchObject({ code: 'BUSY' });
    expect(blocked.kind).toBe('busy');
    expect(blocked.result).toMatchObject({ ok: false, code: 'BUSY', message: "We're very busy right now; please try again in a moment. Nothing was booked." });
    expect(at).toBeGreaterThanOrEqual(250);
    // Ended by its own deadline while the lock was still held (1.5 s of calendar write), not when it freed.
    expect(slowFinished).toBe(false);
    await slow;
    expect(await deps.store.appointments.upcomingByPhone('+15550100004', deps.clock.now())).toEqual([]);
  });

  it('every tool has a BUSY sentence saying nothing changed', async () => {
    deps = await makeTestDeps({ env: { TOOL_MAX_CONCURRENCY: '1', TOOL_QUEUE_TIMEOUT_MS: '0' } });
    const release = await deps.admission.acquire();
    const said = async (tool: string, args: Record<string, unknown>) => (await runTool(deps, tool, args, { platform: 'test' })).result.message;
    expect(await said('cancel_appointment', { customer_phone: '5550100001' })).toBe("We're very busy right now; please try again in a moment. The appointment has not been cancelled.");
    expect(await said('reschedule_appointment', { customer_phone: '5550100001', new_datetime: '2026-11-25T10:00' })).toBe(
      "We're very busy right now; please try again in a moment. The appointment has not been moved.",
    );
    expect(await said('find_available_slots', { service_name: 'haircut' })).toBe("We're very busy right now; please try again in a moment.");
    release();
    expect((await runTool(deps, 'list_services', {}, { platform: 'test' })).result.ok).toBe(true);
  });
});
