/**
 * Three real server processes behind no load balancer but the test's own round robin, on one
 * Postgres database (a fresh one per run): the guarantees of one process hold across all three.
 * - 50 callers racing for one staff member's single slot: exactly one booking.
 * - 10 callers racing for one time with three staff: exactly three bookings.
 * - one request retried on every instance with the same Idempotency-Key: booked once, same answer.
 * - an instance killed with SIGKILL in the middle of a burst: the others keep answering, and no
 *   staff member ends up booked twice.
 * The database is read directly at the end, not through the service, as an independent check.
 */
import { DateTime } from 'luxon';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Proc, startServer } from '../support/process.js';
import { TEST_DATABASE_URL, POSTGRES_AVAILABLE } from '../helpers.js';

const ZONE = 'America/New_York';
let dbName: string;
let url: string;
let admin: pg.Client;
let servers: (Proc & { port: number })[] = [];

async function book(port: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}/tools/book_appointment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ service_name: 'haircut', ...body }),
  });
  return { status: res.status, body: (await res.json()) as { ok: boolean; code?: string; message: string; appointment?: { id: string } } };
}

/** A local wall time `days` ahead at `hhmm`, as the tools take it. */
function dayAt(days: number, hhmm: string): string {
  return `${DateTime.now().setZone(ZONE).plus({ days }).toFormat('yyyy-MM-dd')}T${hhmm}`;
}

async function rows(sql: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows;
  } finally {
    await c.end();
  }
}

describe.skipIf(!POSTGRES_AVAILABLE)('three instances on one Postgres database', () => {
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    dbName = `bookline_scale_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    const u = new URL(TEST_DATABASE_URL);
    u.pathname = `/${dbName}`;
    url = u.toString();
    // A short deadline makes a dead instance's reservations stale (2x deadline) within seconds.
    const env = { DATABASE_URL: url, DATABASE_POOL_SIZE: '5', TOOL_DEADLINE_MS: '3000' };
    // Started together: their migrations race too.
    servers = await Promise.all([startServer(env), startServer(env), startServer(env)]);
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) s.child.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  });

  it('50 callers on three instances racing for one staff member: one booking', async () => {
    const when = dayAt(10, '10:00');
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        book(servers[i % 3]!.port, { customer_name: `Caller ${i}`, customer_phone: `+1212555${String(1000 + i)}`, appointment_datetime: when, staff_name: 'Sam' }),
      ),
    );
    const ok = answers.filter((a) => a.body.ok);
    expect(ok.length).toBe(1);
    // Everyone else hears the slot is gone (with alternatives), not an error.
    for (const a of answers.filter((x) => !x.body.ok)) {
      expect(a.status).toBe(200);
      expect(['SLOT_UNAVAILABLE', 'BUSY']).toContain(a.body.code);
    }
    const held = await rows(`SELECT staff_id FROM appointments WHERE status = 'confirmed' AND start_ms = $1`, [DateTime.fromISO(when, { zone: ZONE }).toMillis()]);
    expect(held).toEqual([{ staff_id: 'sam' }]);
  });

  it('10 callers on three instances racing for one time with three staff: three bookings, one each', async () => {
    const when = dayAt(11, '11:00');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => book(servers[i % 3]!.port, { customer_name: `Racer ${i}`, customer_phone: `+1212556${String(1000 + i)}`, appointment_datetime: when })),
    );
    expect(answers.filter((a) => a.body.ok).length).toBe(3);
    const held = await rows(`SELECT staff_id FROM appointments WHERE status = 'confirmed' AND start_ms = $1 ORDER BY staff_id`, [DateTime.fromISO(when, { zone: ZONE }).toMillis()]);
    expect(held.map((r) => r.staff_id)).toEqual(['jordan', 'priya', 'sam']);
  });

  it('a retry with the same Idempotency-Key on every instance books once and answers the same', async () => {
    const when = dayAt(12, '12:00');
    const body = { customer_name: 'Retry Ruth', customer_phone: '+12125557000', appointment_datetime: when };
    const headers = { 'idempotency-key': `retry-${Date.now()}` };
    const first = await Promise.all(servers.map((s) => book(s.port, body, headers)));
    const again = await Promise.all(servers.map((s) => book(s.port, body, headers)));
    const all = [...first, ...again];
    expect(all.every((a) => a.body.ok)).toBe(true);
    expect(new Set(all.map((a) => a.body.appointment?.id)).size).toBe(1);
    const held = await rows(`SELECT COUNT(*)::int AS n FROM appointments WHERE customer_phone = $1 AND status != 'cancelled'`, ['+12125557000']);
    expect(held).toEqual([{ n: 1 }]);
  });

  it('an instance killed mid-burst: the others keep answering, nobody is booked twice', async () => {
    const victim = servers[2]!;
    const times = ['09:00', '09:45', '10:30', '11:15', '12:00', '12:45'].map((t) => dayAt(13, t));
    let n = 0;
    const burst = (port: number) =>
      Promise.all(
        Array.from({ length: 12 }, () => {
          const i = n++;
          return book(port, { customer_name: `Burst ${i}`, customer_phone: `+1212558${String(1000 + i)}`, appointment_datetime: times[i % times.length]! }).catch(() => undefined);
        }),
      );
    const survivors = [burst(servers[0]!.port), burst(servers[1]!.port)];
    const doomed = burst(victim.port);
    await new Promise((r) => setTimeout(r, 30));
    victim.child.kill('SIGKILL');
    await victim.exited;
    const answered = (await Promise.all(survivors)).flat();
    const fromVictim = (await doomed).filter((a) => a !== undefined);
    // Every request to a surviving instance was answered as a booking or a taken slot.
    for (const a of answered) {
      expect(a).toBeDefined();
      expect(a!.status).toBe(200);
    }
    // Every booking any instance acknowledged is there, confirmed, exactly once.
    const acknowledged = [...answered, ...fromVictim].filter((a) => a?.body.ok).map((a) => a!.body.appointment!.id);
    expect(acknowledged.length).toBeGreaterThan(0);
    const stored = await rows(`SELECT id, status FROM appointments WHERE id = ANY($1)`, [acknowledged]);
    expect(stored.length).toBe(acknowledged.length);
    expect(stored.every((r) => r.status === 'confirmed')).toBe(true);
    // What the dead instance left pending is released by the survivors' sweep.
    let pending: unknown[] = [];
    for (let i = 0; i < 60; i++) {
      pending = await rows(`SELECT id FROM appointments WHERE status = 'pending'`);
      if (pending.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(pending).toEqual([]);
    const after = await book(servers[0]!.port, { customer_name: 'After', customer_phone: '+12125559999', appointment_datetime: dayAt(14, '10:00') });
    expect(after.body.ok).toBe(true);
    // No staff member holds two live appointments (pending or confirmed) that overlap.
    const overlaps = await rows(
      `SELECT a.id, b.id FROM appointments a JOIN appointments b
         ON a.business_id = b.business_id AND a.staff_id = b.staff_id AND a.id < b.id
        WHERE a.status != 'cancelled' AND b.status != 'cancelled' AND a.block_start_ms < b.block_end_ms AND b.block_start_ms < a.block_end_ms`,
    );
    expect(overlaps).toEqual([]);
    servers = servers.slice(0, 2).concat([victim]);
  });
});
