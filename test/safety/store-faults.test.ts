/**
 * When our own database refuses writes (locked by someone else, read-only, full, gone), a caller
 * hears STORE_UNAVAILABLE ("nothing was booked, try again in a few minutes"), never INTERNAL;
 * /readyz answers 503 while writes fail and 200 again once they work, without a caller's help.
 * The faults are real: another connection holding SQLite's write lock, a Postgres database switched
 * to read-only; and the classification is checked against errors the real drivers raise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { openStore } from '../../src/store/index.js';
import { isStoreFault } from '../../src/store/sql/faults.js';
import { makeTestDeps, POSTGRES_AVAILABLE, TEST_DATABASE_URL } from '../helpers.js';
import { countAppointments } from '../support/store.js';

const dir = mkdtempSync(join(tmpdir(), 'bookline-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const booking = (i: number) => ({ customer_name: `Faulty ${i}`, customer_phone: `+1212555010${i}`, service_name: 'haircut', appointment_datetime: `2026-11-2${4 + i}T10:00` });

describe('store faults', () => {
  it('classifies real driver errors: full, busy and read-only are the infrastructure; a constraint is not', async () => {
    const db = new Database(join(dir, 'tiny.db'));
    db.exec('CREATE TABLE t (x TEXT)');
    db.exec('CREATE TABLE u (x TEXT UNIQUE)');
    db.pragma('max_page_count = 4');
    let full: unknown;
    try {
      for (let i = 0; i < 1000; i++) db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(1000));
    } catch (err) {
      full = err;
    }
    expect((full as { code?: string }).code).toBe('SQLITE_FULL');
    expect(isStoreFault(full)).toBe(true);
    let constraint: unknown;
    try {
      db.exec("INSERT INTO u VALUES ('a'); INSERT INTO u VALUES ('a');");
    } catch (err) {
      constraint = err;
    }
    expect(isStoreFault(constraint)).toBe(false);
    db.close();
    expect(isStoreFault(new TypeError('x is undefined'))).toBe(false);
  });

  it('SQLite write lock held elsewhere: STORE_UNAVAILABLE, /readyz 503, then back to normal by itself', async () => {
    const path = join(dir, 'locked.db');
    const deps = await makeTestDeps({ storeKind: 'sqlite', dbPath: path, env: { RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0' } });
    const app = createApp(deps);
    try {
      expect((await request(app).post('/tools/book_appointment').send(booking(0))).body.ok).toBe(true);
      const other = new Database(path);
      other.pragma('busy_timeout = 0');
      other.exec('BEGIN IMMEDIATE');
      const refused = await request(app).post('/tools/book_appointment').send(booking(1));
      expect(refused.body).toMatchObject({ ok: false, code: 'STORE_UNAVAILABLE' });
      expect(refused.body.message).toContain('nothing was booked');
      const down = await request(app).get('/readyz');
      expect(down.status).toBe(503);
      expect(down.body.store.detail).toContain('SQLITE_BUSY');
      other.exec('ROLLBACK');
      other.close();
      expect((await request(app).get('/readyz')).status).toBe(200);
      expect((await request(app).post('/tools/book_appointment').send(booking(1))).body.ok).toBe(true);
      expect(await countAppointments(deps.store)).toBe(2);
    } finally {
      await deps.cleanup();
    }
  }, 60_000);

  it.skipIf(!POSTGRES_AVAILABLE)('Postgres switched to read-only: STORE_UNAVAILABLE, /readyz 503, then back to normal by itself', async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const name = `bookline_faults_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${name}`;
    const store = await openStore({ url: url.toString(), poolSize: 2 });
    const deps = await makeTestDeps({ store, env: { RATE_LIMIT_PHONE_PER_HOUR: '0', RATE_LIMIT_IP_PER_MINUTE: '0' } });
    const app = createApp(deps);
    // New sessions pick the setting up; ending the pool's sessions makes it open new ones.
    const readOnly = async (on: boolean) => {
      await admin.query(on ? `ALTER DATABASE ${name} SET default_transaction_read_only = on` : `ALTER DATABASE ${name} RESET default_transaction_read_only`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid != pg_backend_pid()', [name]);
    };
    try {
      expect((await request(app).post('/tools/book_appointment').send(booking(0))).body.ok).toBe(true);
      await readOnly(true);
      // The first statement on a terminated session may fail as a lost connection: also ours to absorb.
      const refused = await request(app).post('/tools/book_appointment').send(booking(1));
      expect(refused.body).toMatchObject({ ok: false, code: 'STORE_UNAVAILABLE' });
      const down = await request(app).get('/readyz');
      expect(down.status).toBe(503);
      await readOnly(false);
      let up = await request(app).get('/readyz');
      for (let i = 0; i < 10 && up.status !== 200; i++) up = await request(app).get('/readyz');
      expect(up.status).toBe(200);
      expect((await request(app).post('/tools/book_appointment').send(booking(1))).body.ok).toBe(true);
      expect(await countAppointments(deps.store)).toBe(2);
    } finally {
      await deps.cleanup();
      await store.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 60_000);
});
