/**
 * The store ports, against both engines: the same assertions on SQLite and on Postgres. Business
 * isolation, the unit of work (a change and the rows its listener plans commit or roll back
 * together), reservations that never overlap under concurrency, idempotency claims, outbox leases
 * that no two claimers share, rate limits shared by every connection, and the call-log batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Appointment } from '../../src/domain/appointment.js';
import type { NewAppointment, Store } from '../../src/store/index.js';
import { openTestStore, POSTGRES_AVAILABLE, STORE_KINDS, TEST_DATABASE_URL, uniqueBusinessId } from '../helpers.js';

const T0 = Date.UTC(2030, 0, 7, 15, 0);
const MIN = 60_000;

function appt(id: string, staffId: string, startMin: number, lenMin = 30, extra: Partial<NewAppointment> = {}): NewAppointment {
  const start = T0 + startMin * MIN;
  const end = start + lenMin * MIN;
  return {
    id,
    serviceId: 'cut',
    staffId,
    staffRequested: false,
    calendarId: staffId,
    start,
    end,
    blockStart: start,
    blockEnd: end,
    customerName: 'Ada',
    customerPhone: '+12125550100',
    customerEmail: null,
    notes: null,
    source: 'test',
    ...extra,
  };
}

describe.each(STORE_KINDS)('store ports on %s', (kind) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(kind));
  });
  afterAll(() => close());

  it('keeps each business to its own rows, whatever id is asked for', async () => {
    const a = store.forBusiness(uniqueBusinessId());
    const b = store.forBusiness(uniqueBusinessId());
    expect(await a.appointments.reserve(appt('apt_same', 'sam', 0), T0)).toBe(true);
    // The same id, staff and time in another business is another appointment, not a clash.
    expect(await b.appointments.reserve(appt('apt_same', 'sam', 0), T0)).toBe(true);
    await a.appointments.confirm('apt_same', 'ev1', T0, false);
    expect((await a.appointments.get('apt_same'))?.status).toBe('confirmed');
    expect((await b.appointments.get('apt_same'))?.status).toBe('pending');
    expect(await b.appointments.cancel('apt_same', 'guess', T0)).toBeUndefined();
    expect((await a.appointments.upcomingByPhone('+12125550100', 0)).map((x) => x.id)).toEqual(['apt_same']);
    expect(await b.appointments.upcomingByPhone('+12125550100', 0)).toEqual([]);

    await a.idempotency.claim('k1', 'book', 'h', T0);
    expect(await b.idempotency.claim('k1', 'book', 'other-args', T0)).toEqual({ state: 'claimed' });
    await a.outbox.enqueue({ dedupeKey: 'd1', appointmentId: 'apt_same', kind: 'booked', audience: 'customer', to: '+1', body: 'hi', dueAt: T0 }, T0);
    expect(await b.outbox.enqueue({ dedupeKey: 'd1', appointmentId: 'apt_same', kind: 'booked', audience: 'customer', to: '+1', body: 'hi', dueAt: T0 }, T0)).toBe('inserted');
    expect((await b.outbox.claim('w', T0, 60_000, 10)).length).toBe(1);
    expect((await a.outbox.counts()).pending).toBe(1);
    await a.callContext.remember('call-1', '+15550001', T0, 3_600_000);
    expect(await b.callContext.callerOf('call-1', T0, 3_600_000)).toBeUndefined();
    expect(await a.callContext.callerOf('call-1', T0, 3_600_000)).toBe('+15550001');
  });

  it('never lets two overlapping reservations of one staff member both succeed, however many race', async () => {
    const biz = store.forBusiness(uniqueBusinessId());
    // 40 attempts at overlapping times (each 30 min, starts 0..39 min): at most two can fit without
    // overlapping (0 and >=30).
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => biz.appointments.reserve(appt(`apt_r${i}`, 'sam', i), T0)));
    const won = results.flatMap((ok, i) => (ok ? [i] : []));
    const held = (await biz.appointments.list(0, Number.MAX_SAFE_INTEGER, 1000)).sort((x, y) => x.start - y.start);
    expect(held.length).toBe(won.length);
    for (let i = 1; i < held.length; i++) expect(held[i]!.blockStart).toBeGreaterThanOrEqual(held[i - 1]!.blockEnd);
    expect(won[0]).toBe(0);
    // Another staff member's time is untouched by all that.
    expect(await biz.appointments.reserve(appt('apt_other', 'priya', 5), T0)).toBe(true);
  });

  it('commits a change with what its listeners write, and rolls both back together', async () => {
    const bizId = uniqueBusinessId();
    const biz = store.forBusiness(bizId);
    let fail = false;
    biz.onAppointmentChange(async (change, tx) => {
      await tx.outbox.enqueue(
        { dedupeKey: `${change.appointment.id}:${change.kind}`, appointmentId: change.appointment.id, kind: change.kind === 'confirmed' ? 'booked' : change.kind === 'declined' ? 'cancelled' : change.kind, audience: 'customer', to: '+1', body: 'x', dueAt: T0 },
        T0,
      );
      if (fail) throw new Error('listener failed');
    });
    await biz.appointments.reserve(appt('apt_u1', 'sam', 0), T0);
    await biz.appointments.confirm('apt_u1', 'ev', T0);
    expect((await biz.outbox.forAppointment('apt_u1')).map((r) => r.kind)).toEqual(['booked']);

    fail = true;
    await expect(biz.appointments.cancel('apt_u1', null, T0)).rejects.toThrow('listener failed');
    // Neither the cancel nor its message survived.
    expect((await biz.appointments.get('apt_u1'))?.status).toBe('confirmed');
    expect((await biz.outbox.forAppointment('apt_u1')).map((r) => r.kind)).toEqual(['booked']);

    // A unit of work spanning several repository calls is one commit too.
    fail = false;
    await expect(
      biz.withTransaction(async (tx) => {
        await tx.appointments.cancel('apt_u1', 'moved', T0, false);
        await tx.outbox.enqueue({ dedupeKey: 'manual', appointmentId: 'apt_u1', kind: 'cancelled', audience: 'customer', to: '+1', body: 'x', dueAt: T0 }, T0);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await biz.appointments.get('apt_u1'))?.status).toBe('confirmed');
    expect(await biz.outbox.byKey('manual')).toBeUndefined();
  });

  it('moves only into free time, ignoring the appointment itself', async () => {
    const biz = store.forBusiness(uniqueBusinessId());
    await biz.appointments.reserve(appt('apt_m1', 'sam', 0), T0);
    await biz.appointments.confirm('apt_m1', 'e1', T0, false);
    await biz.appointments.reserve(appt('apt_m2', 'sam', 60), T0);
    await biz.appointments.confirm('apt_m2', 'e2', T0, false);
    const at = (m: number) => ({ start: T0 + m * MIN, end: T0 + (m + 30) * MIN, blockStart: T0 + m * MIN, blockEnd: T0 + (m + 30) * MIN });
    expect(await biz.appointments.move('apt_m1', at(45), T0, false)).toBeUndefined();
    const moved = (await biz.appointments.move('apt_m1', at(15), T0, false)) as Appointment;
    expect(moved.start).toBe(T0 + 15 * MIN);
    expect((await biz.appointments.countByStaff(T0 - 1, T0 + 1000 * MIN)).get('sam')).toBe(2);
  });

  it('answers a repeated idempotency key once, and spots different arguments', async () => {
    const biz = store.forBusiness(uniqueBusinessId());
    const claims = await Promise.all(Array.from({ length: 10 }, () => biz.idempotency.claim('book:abc', 'book', 'h1', T0)));
    expect(claims.filter((c) => c.state === 'claimed').length).toBe(1);
    await biz.idempotency.complete('book:abc', '{"ok":true}');
    expect(await biz.idempotency.claim('book:abc', 'book', 'h1', T0)).toEqual({ state: 'done', resultJson: '{"ok":true}', sameArgs: true });
    expect(await biz.idempotency.claim('book:abc', 'book', 'h2', T0)).toMatchObject({ state: 'done', sameArgs: false });
    // A pending claim of a dead process is taken over once it is stale.
    await biz.idempotency.claim('book:dead', 'book', 'h', T0);
    expect((await biz.idempotency.claim('book:dead', 'book', 'h', T0 + 10, T0 - 1)).state).toBe('pending');
    expect((await biz.idempotency.claim('book:dead', 'book', 'h', T0 + 10, T0 + 1)).state).toBe('claimed');
  });

  it('leases each due outbox row to one claimer only, even when many claim at once', async () => {
    const biz = store.forBusiness(uniqueBusinessId());
    for (let i = 0; i < 60; i++) {
      await biz.outbox.enqueue({ dedupeKey: `m${i}`, appointmentId: null, kind: 'booked', audience: 'customer', to: `+1${i}`, body: 'b', dueAt: T0 }, T0);
    }
    const batches = await Promise.all(Array.from({ length: 8 }, (_, w) => biz.outbox.claim(`w${w}`, T0, 60_000, 10)));
    const ids = batches.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
    // The attempt counter fences late writers.
    const first = batches.find((b) => b.length > 0)![0]!;
    const attempt = await biz.outbox.beginAttempt(first.id, first.lease_owner!, T0, 60_000);
    expect(attempt).toBe(1);
    expect(await biz.outbox.markSent(first.id, 2, 'p', 'x', T0)).toBe(false);
    expect(await biz.outbox.markSent(first.id, 1, 'p', 'x', T0)).toBe(true);
    expect((await biz.outbox.get(first.id))?.status).toBe('sent');
  });

  it('counts rate-limit hits across concurrent takers and lets the window slide', async () => {
    const biz = store.forBusiness(uniqueBusinessId());
    const taken = await Promise.all(Array.from({ length: 12 }, () => biz.rateLimits.take('phone:+1', 5, 60_000, T0)));
    expect(taken.filter(Boolean).length).toBe(5);
    expect(await biz.rateLimits.take('phone:+1', 5, 60_000, T0 + 59_999)).toBe(false);
    expect(await biz.rateLimits.take('phone:+1', 5, 60_000, T0 + 60_001)).toBe(true);
    expect(await biz.rateLimits.take('phone:+2', 5, 60_000, T0)).toBe(true);
  });

  it('writes queued call-log rows on flush and on close, newest first', async () => {
    const biz = store.forBusiness(uniqueBusinessId());
    for (let i = 0; i < 5; i++) {
      await biz.calls.record({ at: T0 + i, platform: 'test', callId: null, toolCallId: `t${i}`, caller: null, tool: 'find', args: { i }, ok: true, code: null, result: { i }, latencyMs: 1.234, replayed: false });
    }
    await biz.calls.flush();
    const rows = await biz.calls.list(10);
    expect(rows.map((r) => r.tool_call_id)).toEqual(['t4', 't3', 't2', 't1', 't0']);
    expect(rows[0]).toMatchObject({ ok: true, args: { i: 4 }, latency_ms: 1.23, replayed: false });
    // A durable record is committed when it resolves.
    await biz.calls.record({ at: T0, platform: 'test', callId: null, toolCallId: 'durable', caller: null, tool: 'book', args: {}, ok: true, code: null, result: {}, latencyMs: 1, replayed: false }, { durable: true });
    expect((await biz.calls.list(1))[0]?.tool_call_id).toBe('durable');
  });

  it('keeps blocks and events of the embedded calendar per business', async () => {
    const a = store.forBusiness(uniqueBusinessId());
    const b = store.forBusiness(uniqueBusinessId());
    const row = { id: 'blk1', calendarId: 'sam', kind: 'block' as const, appointmentId: null, start: T0, end: T0 + 60 * MIN, blockStart: T0, blockEnd: T0 + 60 * MIN, summary: 'Off', description: '', customerPhone: null, serviceId: null };
    expect(await a.calendarEvents.insert(row, T0)).toBe(true);
    expect(await a.calendarEvents.insert(row, T0)).toBe(false);
    expect(await b.calendarEvents.insert(row, T0)).toBe(true);
    expect(await b.calendarEvents.cancelBlock('blk1', T0)).toBe(true);
    expect((await a.calendarEvents.busy(['sam', 'priya'], T0 - MIN, T0 + MIN)).get('sam')).toEqual([{ start: T0, end: T0 + 60 * MIN }]);
    expect((await b.calendarEvents.busy(['sam'], T0 - MIN, T0 + MIN)).get('sam')).toEqual([]);
    expect((await a.calendarEvents.blocks(T0)).map((x) => x.id)).toEqual(['blk1']);
  });
});

describe.skipIf(!POSTGRES_AVAILABLE)('Postgres refuses overlaps by itself', () => {
  it('rejects a second overlapping live appointment written behind the repositories\' back (exclusion constraint)', async () => {
    const { store, close } = await openTestStore('postgres');
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    try {
      const biz = uniqueBusinessId();
      const insert = (id: string, from: number, to: number, status = 'confirmed') =>
        c.query(
          `INSERT INTO appointments (business_id, id, status, service_id, staff_id, calendar_id, start_ms, end_ms, block_start_ms, block_end_ms, customer_name, customer_phone, created_at, updated_at)
           VALUES ($1, $2, $3, 'cut', 'sam', 'sam', $4, $5, $4, $5, 'X', '+1', 0, 0)`,
          [biz, id, status, from, to],
        );
      await insert('a', T0, T0 + 30 * MIN);
      await insert('back-to-back', T0 + 30 * MIN, T0 + 60 * MIN);
      await insert('cancelled-overlap', T0, T0 + 30 * MIN, 'cancelled');
      await expect(insert('overlap', T0 + 10 * MIN, T0 + 20 * MIN)).rejects.toMatchObject({ code: '23P01' });
      // Another business's staff member of the same id is someone else.
      await expect(c.query(`INSERT INTO appointments (business_id, id, status, service_id, staff_id, calendar_id, start_ms, end_ms, block_start_ms, block_end_ms, customer_name, customer_phone, created_at, updated_at)
        VALUES ($1, 'a', 'confirmed', 'cut', 'sam', 'sam', $2, $3, $2, $3, 'X', '+1', 0, 0)`, [`${biz}-other`, T0, T0 + 30 * MIN])).resolves.toBeDefined();
    } finally {
      await c.end();
      await close();
    }
    void store;
  });
});
