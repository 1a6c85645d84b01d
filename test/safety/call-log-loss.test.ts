/**
 * The call log's loss bound, with the real server process and its SQLite file (src/store/sql/batch.ts):
 * read-only calls are answered before their row is written, in batches every 200 ms or 200 rows.
 *
 * - A clean shutdown (SIGTERM) writes every row.
 * - A crash (SIGKILL) loses at most the rows of the read-only calls answered since the last batch
 *   committed: never a row older than an answered mutating call (that call waits for the commit of
 *   the batch holding its row, and every row queued before it is in that batch or an earlier one),
 *   never a hole (only a suffix of the log can be missing), and nothing once the server has been
 *   idle for a batch interval (the timer writes without further traffic).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { type Proc, startServer } from '../support/process.js';

const dir = mkdtempSync(join(tmpdir(), 'bookline-calllog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Server = Proc & { port: number };

async function call(s: Server, tool: string, callId: string, body: Record<string, unknown> = {}): Promise<{ ok: boolean }> {
  const res = await fetch(`http://127.0.0.1:${s.port}/tools/${tool}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-call-id': callId },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { ok: boolean };
}

/** The call ids in the log, oldest first. Opened read-write so a killed server's WAL is recovered. */
function loggedCallIds(dbPath: string): string[] {
  const db = new Database(dbPath);
  try {
    return (db.prepare('SELECT call_id FROM tool_calls ORDER BY id').all() as { call_id: string }[]).map((r) => r.call_id);
  } finally {
    db.close();
  }
}

async function readOnly(s: Server, prefix: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    expect((await call(s, 'list_services', id)).ok).toBe(true);
    ids.push(id);
  }
  return ids;
}

function serve(name: string): Promise<Server> {
  return startServer({ DATABASE_PATH: join(dir, `${name}.db`) }, { stdio: ['ignore', 'ignore', 'pipe'] });
}

describe('call log loss bound (spawned server, SQLite file)', () => {
  it('a clean shutdown writes every row, including those of calls answered just before SIGTERM', async () => {
    const s = await serve('clean');
    const sent = await readOnly(s, 'clean', 60);
    // No pause: the rows are still queued when the signal arrives.
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(loggedCallIds(join(dir, 'clean.db'))).toEqual(sent);
  }, 90_000);

  it('SIGKILL loses only a suffix of read-only rows answered after the last durable row, and none after an idle interval', async () => {
    const s = await serve('crash');
    const dbPath = join(dir, 'crash.db');
    const before = await readOnly(s, 'before', 50);
    // A booking: answered only once the batch holding its row (and every row queued before it) is committed.
    const day = DateTime.now().setZone('America/New_York').plus({ days: 7 }).toFormat('yyyy-MM-dd');
    const booked = await call(s, 'book_appointment', 'booking', {
      customer_name: 'Log Test',
      customer_phone: '+15550300001',
      service_name: 'haircut',
      appointment_datetime: `${day}T10:00`,
    });
    expect(booked.ok).toBe(true);
    const after = await readOnly(s, 'after', 30);
    s.child.kill('SIGKILL');
    expect(await s.exited).toBe('SIGKILL');

    const logged = loggedCallIds(dbPath);
    const durable = [...before, 'booking'];
    // Everything up to the answered booking survived, in order.
    expect(logged.slice(0, durable.length)).toEqual(durable);
    // Of the later read-only calls, what survived is a prefix: the loss is the tail, never a hole.
    const kept = logged.slice(durable.length);
    expect(kept).toEqual(after.slice(0, kept.length));
    const lost = after.length - kept.length;
    // At most one batch's worth (200 rows by default); here every trailing call could be in it.
    expect(lost).toBeLessThanOrEqual(200);
    console.log(`call-log crash: ${durable.length} rows before the durable one kept, ${kept.length} of ${after.length} later read-only rows kept, ${lost} lost`);

    // Restarted on the same file, idle after its calls: the batch timer commits them with no more traffic.
    const again = await serve('crash');
    const idle = await readOnly(again, 'idle', 20);
    let seen: string[] = [];
    for (let i = 0; i < 200; i++) {
      seen = loggedCallIds(dbPath);
      if (idle.every((id) => seen.includes(id))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    again.child.kill('SIGKILL');
    await again.exited;
    expect(loggedCallIds(dbPath).slice(-idle.length)).toEqual(idle);
  }, 120_000);
});
