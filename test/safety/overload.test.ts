/**
 * Overload against two real server processes on one database: 20x their admitted capacity sending
 * bookings for a few seconds. Every answer comes within the deadline (plus slack for this busy test
 * machine), the ones that could not start say BUSY (503 + Retry-After), every booking answered ok
 * exists exactly once, and no staff member is booked twice for one time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { afterAll, expect, it } from 'vitest';
import { type Proc, startServer } from '../support/process.js';
import { seededRandom } from '../support/random.js';

const dir = mkdtempSync(join(tmpdir(), 'bookline-overload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CAPACITY = 4; // TOOL_MAX_CONCURRENCY per process
const DEADLINE_MS = 2000;
const QUEUE_MS = 250;
const CLIENTS_PER_SERVER = 20 * CAPACITY;
const RUN_MS = 3000;
/** Client-side slack over the deadline: this process's own event loop runs 160 clients on 2 shared cores. */
const SLACK_MS = 1000;

/**
 * node:http rather than fetch: under this load Node 20's fetch (undici) itself held some requests
 * for seconds before sending them, which is the client's latency, not the server's.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 1000 });
function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; retryAfter: string | null; body: Answer['body'] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: (res.headers['retry-after'] as string | undefined) ?? null, body: JSON.parse(text) as Answer['body'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface Answer {
  status: number;
  retryAfter: string | null;
  ms: number;
  /** ms after the run started */
  startedAt: number;
  phone: string;
  body: { ok: boolean; code?: string; message: string; appointment?: { id: string } };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

it('20x capacity for a few seconds: all answers in time, BUSY instead of waiting, every ok booking exists once, no double booking', async () => {
  const dbPath = join(dir, 'overload.db');
  const env = {
    DATABASE_PATH: dbPath,
    TOOL_MAX_CONCURRENCY: String(CAPACITY),
    TOOL_QUEUE_TIMEOUT_MS: String(QUEUE_MS),
    TOOL_DEADLINE_MS: String(DEADLINE_MS),
  };
  const servers: (Proc & { port: number })[] = [];
  try {
    servers.push(await startServer(env), await startServer(env));
    // Warm: a process that has served a few calls (code compiled, statements prepared), as in
    // production; a cold start's first calls are slower whatever admission does.
    const warmDay = DateTime.now().setZone('America/New_York').plus({ days: 40 }).set({ hour: 10, minute: 0 }).toFormat("yyyy-MM-dd'T'HH:mm");
    for (const [k, s] of servers.entries()) {
      await post(s.port, '/tools/find_available_slots', {}, JSON.stringify({ service_name: 'haircut' }));
      // One booking per staff member, then one refused as taken: every path a booking can take.
      for (let w = 0; w < 4; w++) await post(s.port, '/tools/book_appointment', {}, JSON.stringify({ customer_name: 'Warm Up', customer_phone: `+1555777${k}00${w}`, service_name: 'haircut', appointment_datetime: warmDay }));
    }
    // The clients' connections are open before the run, as a platform's keep-alive pool (or a
    // reverse proxy's) would be: Node accepts one new connection per event-loop turn, so a burst
    // of brand-new connections is accepted only as fast as the process gets through turns, before
    // any budget can see those requests.
    await Promise.all(servers.flatMap((s) => Array.from({ length: CLIENTS_PER_SERVER }, () => post(s.port, '/tools/list_services', {}, '{}'))));
    const random = seededRandom(20261220);
    // 10 days x 25 start times x 3 staff: plenty of collisions on purpose.
    const firstDay = DateTime.now().setZone('America/New_York').plus({ days: 7 }).startOf('day');
    const slots = Array.from({ length: 10 * 25 }, (_, i) =>
      firstDay.plus({ days: Math.floor(i / 25) }).set({ hour: 9 }).plus({ minutes: 15 * (i % 25) }).toFormat("yyyy-MM-dd'T'HH:mm"),
    );
    const answers: Answer[] = [];
    let n = 0;
    const runStart = performance.now();
    const stopAt = runStart + RUN_MS;
    const client = async (port: number) => {
      while (performance.now() < stopAt) {
        const i = n++;
        const phone = `+1555${String(3_000_000 + i).padStart(7, '0')}`;
        const t0 = performance.now();
        const res = await post(
          port,
          '/tools/book_appointment',
          { 'idempotency-key': `overload-${i}` },
          JSON.stringify({ customer_name: `Caller ${i}`, customer_phone: phone, service_name: 'haircut', appointment_datetime: slots[Math.floor(random() * slots.length)] }),
        );
        answers.push({ ...res, ms: performance.now() - t0, startedAt: t0 - runStart, phone });
      }
    };
    await Promise.all(servers.flatMap((s) => Array.from({ length: CLIENTS_PER_SERVER }, () => client(s.port))));

    const by = (f: (a: Answer) => boolean) => answers.filter(f);
    const ok = by((a) => a.body.ok);
    const busy = by((a) => a.body.code === 'BUSY');
    const taken = by((a) => a.body.code === 'SLOT_UNAVAILABLE');
    const other = by((a) => !a.body.ok && a.body.code !== 'BUSY' && a.body.code !== 'SLOT_UNAVAILABLE');
    const ms = answers.map((a) => a.ms).sort((a, b) => a - b);
    const busyMs = busy.map((a) => a.ms).sort((a, b) => a - b);
    console.log(
      `overload: ${answers.length} requests from ${2 * CLIENTS_PER_SERVER} clients over ${RUN_MS} ms against 2 processes (capacity ${CAPACITY} each, queue ${QUEUE_MS} ms, deadline ${DEADLINE_MS} ms): ` +
        `p50 ${Math.round(pct(ms, 50))} ms, p99 ${Math.round(pct(ms, 99))} ms, max ${Math.round(ms.at(-1)!)} ms; ` +
        `${ok.length} ok, ${taken.length} taken, ${busy.length} busy (p50 ${busy.length ? Math.round(pct(busyMs, 50)) : '-'} ms), ${other.length} other`,
    );
    const slowest = [...answers].sort((a, b) => b.ms - a.ms).slice(0, 3);
    console.log(`overload: slowest ${slowest.map((a) => `${Math.round(a.ms)} ms (sent at +${Math.round(a.startedAt)} ms, ${a.body.code ?? 'ok'})`).join(', ')}`);

    expect(other.map((a) => a.body)).toEqual([]);
    expect(ms.at(-1)!).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(busy.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    for (const a of busy) {
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(a.body.message).toBe("We're very busy right now; please try again in a moment. Nothing was booked.");
    }

    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = db.prepare(`SELECT id, status, customer_phone, staff_id, block_start_ms, block_end_ms FROM appointments`).all() as {
        id: string; status: string; customer_phone: string; staff_id: string; block_start_ms: number; block_end_ms: number;
      }[];
      const confirmed = rows.filter((r) => r.status === 'confirmed' && !r.customer_phone.startsWith('+1555777'));
      expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
      // Exactly the bookings answered ok, each once; nobody answered "busy" or "taken" got one.
      expect(confirmed.map((r) => r.id).sort()).toEqual(ok.map((a) => a.body.appointment!.id).sort());
      const okPhones = new Set(ok.map((a) => a.phone));
      expect(confirmed.filter((r) => !okPhones.has(r.customer_phone))).toEqual([]);
      // No staff member holds two overlapping appointments.
      const byStaff = new Map<string, typeof confirmed>();
      for (const r of confirmed) byStaff.set(r.staff_id, [...(byStaff.get(r.staff_id) ?? []), r]);
      for (const list of byStaff.values()) {
        list.sort((a, b) => a.block_start_ms - b.block_start_ms);
        for (let i = 1; i < list.length; i++) expect(list[i]!.block_start_ms).toBeGreaterThanOrEqual(list[i - 1]!.block_end_ms);
      }
    } finally {
      db.close();
    }
  } finally {
    agent.destroy();
    for (const s of servers) s.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.exited));
  }
}, 90_000);
