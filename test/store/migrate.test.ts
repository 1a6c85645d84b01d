/**
 * A SQLite file written by a version before businesses existed opens with its rows intact, all of
 * them now the default business's; and opening a store twice (or two instances starting at once
 * on Postgres) applies each migration once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUSINESS_ID } from '../../src/deps.js';
import { openStore } from '../../src/store/index.js';
import { POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS } from '../../src/store/sql/migrations.js';
import { POSTGRES_AVAILABLE, TEST_DATABASE_URL } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bookline-migrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  it('upgrades a single-business SQLite file without losing a row', async () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    db.exec('CREATE TABLE schema_migrations_ns (namespace TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (namespace, version))');
    // A file written before core 3: everything after it is applied by openStore.
    for (const m of SQLITE_MIGRATIONS.slice(0, SQLITE_MIGRATIONS.findIndex((x) => x.namespace === 'core' && x.version === 3))) {
      db.exec(m.sql);
      if (m.namespace === 'core') db.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(m.version);
      else db.prepare('INSERT INTO schema_migrations_ns VALUES (?, ?)').run(m.namespace, m.version);
    }
    db.prepare(
      `INSERT INTO appointments (id, status, service_id, staff_id, calendar_id, event_id, start_ms, end_ms, block_start_ms, block_end_ms,
        customer_name, customer_phone, created_at, updated_at, request_key) VALUES ('apt_old', 'confirmed', 'cut', 'sam', 'sam', 'ev_apt_old', 5000, 6000, 5000, 6000, 'Ada', '+12125550100', 1, 1, 'book:k')`,
    ).run();
    db.prepare(`INSERT INTO calendar_events (id, calendar_id, kind, appointment_id, status, start_ms, end_ms, block_start_ms, block_end_ms, created_at, updated_at)
      VALUES ('ev_apt_old', 'sam', 'appointment', 'apt_old', 'confirmed', 5000, 6000, 5000, 6000, 1, 1)`).run();
    db.prepare(`INSERT INTO idempotency VALUES ('book:k', 'book_appointment', 'h', 'done', '{"ok":true}', 1)`).run();
    db.prepare(`INSERT INTO sms_outbox (dedupe_key, appointment_id, kind, audience, to_phone, body, status, due_at, created_at, updated_at)
      VALUES ('apt_old:booked:customer', 'apt_old', 'booked', 'customer', '+12125550100', 'Booked', 'sent', 1, 1, 1)`).run();
    db.prepare(`INSERT INTO tool_calls (at_ms, platform, tool, args_json, ok, result_json, latency_ms) VALUES (1, 'vapi', 'book_appointment', '{}', 1, '{}', 2.5)`).run();
    db.prepare(`INSERT INTO telnyx_calls VALUES ('cc-1', '+12125550100', 1)`).run();
    db.close();

    const store = await openStore({ path });
    const biz = store.forBusiness(DEFAULT_BUSINESS_ID);
    expect(await biz.appointments.get('apt_old')).toMatchObject({ status: 'confirmed', eventId: 'ev_apt_old', requestKey: 'book:k', customerName: 'Ada' });
    expect(await biz.appointments.byRequestKey('book:k')).toMatchObject({ id: 'apt_old' });
    expect(await biz.calendarEvents.byAppointment('apt_old')).toEqual({ id: 'ev_apt_old', status: 'confirmed' });
    expect(await biz.idempotency.peek('book:k')).toEqual({ state: 'done', resultJson: '{"ok":true}', sameArgs: true });
    // The channel joined every dedupe key (migration email 1); the old row is an SMS.
    expect(await biz.outbox.byKey('sms:apt_old:booked:customer')).toMatchObject({ status: 'sent', channel: 'sms' });
    expect((await biz.calls.list(10)).map((r) => r.tool)).toEqual(['book_appointment']);
    expect(await biz.callContext.callerOf('cc-1', 2, 1000)).toBe('+12125550100');
    // Another business sees none of it.
    expect(await store.forBusiness('other').appointments.get('apt_old')).toBeUndefined();
    await store.close();

    // Opening again applies nothing twice.
    const again = await openStore({ path });
    expect((await again.forBusiness(DEFAULT_BUSINESS_ID).appointments.get('apt_old'))?.status).toBe('confirmed');
    await again.close();
  });

  it.skipIf(!POSTGRES_AVAILABLE)('applies Postgres migrations once when several instances start together on an empty database', async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const name = `bookline_mig_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${name}`;
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore({ url: url.toString(), poolSize: 2 })));
      const check = new pg.Client({ connectionString: url.toString() });
      await check.connect();
      const applied = await check.query('SELECT namespace, version FROM schema_migrations ORDER BY namespace, version');
      await check.end();
      // Each once, though four instances raced to apply them.
      const expected = POSTGRES_MIGRATIONS.map(({ namespace, version }) => ({ namespace, version }));
      expected.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.version - b.version);
      expect(applied.rows).toEqual(expected);
      const biz = stores[0]!.forBusiness('b1');
      expect(await biz.appointments.list(0, 1, 1)).toEqual([]);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
