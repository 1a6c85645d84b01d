/**
 * A reservation left pending (a write that failed half-way, a process that died) is released while
 * the server runs, not only at its next start: the slot becomes bookable again by itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, expect, it } from 'vitest';
import { DEFAULT_BUSINESS_ID } from '../../src/deps.js';
import { openStore } from '../../src/store/index.js';
import { startServer } from '../support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'bookline-sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a stale pending reservation made after start-up is released within a few sweeps, and its slot is booked', async () => {
  const dbPath = join(dir, 'sweep.db');
  // Sweeps every TOOL_DEADLINE_MS; stale means older than twice that.
  const server = await startServer({ DATABASE_PATH: dbPath, TOOL_DEADLINE_MS: '500' });
  const root = await openStore({ path: dbPath });
  const store = root.forBusiness(DEFAULT_BUSINESS_ID);
  try {
    // 10:00 a week ahead, business time: open every day in the fixture, inside notice and horizon.
    const start = DateTime.now().setZone('America/New_York').plus({ days: 7 }).set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    const at = start.toMillis();
    const id = 'apt_sweeptest000001';
    // As a process that died between reserving and confirming would leave it (an hour ago, so the
    // test does not depend on two processes agreeing on the clock to the second).
    const reserved = await store.appointments.reserve(
      {
        id,
        serviceId: 'haircut',
        staffId: 'sam',
        staffRequested: true,
        calendarId: 'sam',
        start: at,
        end: at + 45 * 60_000,
        blockStart: at,
        blockEnd: at + 60 * 60_000,
        customerName: 'Left Behind',
        customerPhone: '+15550109999',
        customerEmail: null,
        notes: null,
        source: null,
      },
      Date.now() - 3_600_000,
    );
    expect(reserved).toBe(true);

    const t0 = Date.now();
    while ((await store.appointments.get(id)) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(await store.appointments.get(id)).toBeUndefined();
    console.log(`sweep: stale reservation released ${Date.now() - t0} ms after it was written`);

    const res = await fetch(`http://127.0.0.1:${server.port}/tools/book_appointment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer_name: 'Next Caller', customer_phone: '+15550108888', service_name: 'haircut', staff_name: 'Sam', appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm") }),
    });
    expect(await res.json()).toMatchObject({ ok: true, appointment: { staff: { id: 'sam' } } });
  } finally {
    await root.close();
    server.child.kill('SIGTERM');
    await server.exited;
  }
}, 60_000);
