/**
 * One SQLite database (better-sqlite3, WAL) holds our appointment records, the embedded calendar,
 * the tool-call log and idempotency records. Migrations are append-only: add a new entry, never
 * edit an old one.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const MIGRATIONS: string[] = [
  // 1: core tables
  `
  CREATE TABLE appointments (
    id              TEXT PRIMARY KEY,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
    service_id      TEXT NOT NULL,
    staff_id        TEXT NOT NULL,
    staff_requested INTEGER NOT NULL DEFAULT 0,
    calendar_id     TEXT NOT NULL,
    event_id        TEXT,
    start_ms        INTEGER NOT NULL,
    end_ms          INTEGER NOT NULL,
    block_start_ms  INTEGER NOT NULL,
    block_end_ms    INTEGER NOT NULL,
    customer_name   TEXT NOT NULL,
    customer_phone  TEXT NOT NULL,
    customer_email  TEXT,
    notes           TEXT,
    source          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    cancelled_at    INTEGER,
    cancel_reason   TEXT
  );
  -- Overlap checks scan only appointments ending after the new one starts (future ones, bounded by the horizon).
  CREATE INDEX appointments_staff_end ON appointments (staff_id, block_end_ms) WHERE status != 'cancelled';
  CREATE INDEX appointments_phone_start ON appointments (customer_phone, start_ms);
  CREATE INDEX appointments_start ON appointments (start_ms);

  CREATE TABLE calendar_events (
    id              TEXT PRIMARY KEY,
    calendar_id     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('appointment', 'block')),
    appointment_id  TEXT UNIQUE,
    status          TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    start_ms        INTEGER NOT NULL,
    end_ms          INTEGER NOT NULL,
    block_start_ms  INTEGER NOT NULL,
    block_end_ms    INTEGER NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    customer_phone  TEXT,
    service_id      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  );
  CREATE INDEX calendar_events_busy ON calendar_events (calendar_id, block_end_ms) WHERE status = 'confirmed';
  CREATE INDEX calendar_events_phone ON calendar_events (customer_phone) WHERE status = 'confirmed';

  CREATE TABLE tool_calls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms         INTEGER NOT NULL,
    platform      TEXT NOT NULL,
    call_id       TEXT,
    tool_call_id  TEXT,
    caller        TEXT,
    tool          TEXT NOT NULL,
    args_json     TEXT NOT NULL,
    ok            INTEGER NOT NULL,
    code          TEXT,
    result_json   TEXT NOT NULL,
    latency_ms    REAL NOT NULL,
    replayed      INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX tool_calls_at ON tool_calls (at_ms);

  CREATE TABLE idempotency (
    key          TEXT PRIMARY KEY,
    tool         TEXT NOT NULL,
    args_hash    TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    result_json  TEXT,
    created_at   INTEGER NOT NULL
  );
  CREATE INDEX idempotency_created ON idempotency (created_at);
  `,
  // 2: the request that created an appointment, so a retry after a crash finds it instead of booking again
  `
  ALTER TABLE appointments ADD COLUMN request_key TEXT;
  CREATE UNIQUE INDEX appointments_request_key ON appointments (request_key) WHERE request_key IS NOT NULL;
  `,
];

export function openDatabase(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a booking is answered "ok" only after its commit is on disk, even across a power cut.
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const current = (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
  const apply = db.transaction(() => {
    for (let v = current + 1; v <= MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v - 1]!);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(v, Date.now());
    }
  });
  apply.immediate();
}

/** Lets later modules (SMS outbox, ...) add their own append-only migrations under a namespace. */
export function migrateNamespace(db: Db, namespace: string, migrations: readonly string[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations_ns (namespace TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (namespace, version))');
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations_ns WHERE namespace = ?').get(namespace) as { v: number | null };
  const current = row.v ?? 0;
  const apply = db.transaction(() => {
    for (let v = current + 1; v <= migrations.length; v++) {
      db.exec(migrations[v - 1]!);
      db.prepare('INSERT INTO schema_migrations_ns (namespace, version) VALUES (?, ?)').run(namespace, v);
    }
  });
  apply.immediate();
}
