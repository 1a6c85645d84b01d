/**
 * Schema, per engine. Append-only: add a migration, never edit one that has shipped.
 *
 * SQLite keeps the history of files written by earlier versions (core 1-2, then the
 * `notifications` and `telnyx` namespaces that used to live beside their modules), then core 3
 * brings every table into the multi-business shape. Postgres starts in that shape.
 *
 * Times are epoch milliseconds (BIGINT on Postgres), flags are 0/1 integers on both engines so the
 * shared queries read the same values back.
 */
export interface Migration {
  namespace: string;
  version: number;
  sql: string;
}

const SQLITE_CORE_1 = `
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
`;

const SQLITE_CORE_2 = `
  ALTER TABLE appointments ADD COLUMN request_key TEXT;
  CREATE UNIQUE INDEX appointments_request_key ON appointments (request_key) WHERE request_key IS NOT NULL;
`;

const OUTBOX_COLUMNS = (id: string, ms: string) => `
    id                   ${id},
    business_id          TEXT NOT NULL DEFAULT 'default',
    dedupe_key           TEXT NOT NULL,
    appointment_id       TEXT,
    kind                 TEXT NOT NULL CHECK (kind IN ('booked', 'rescheduled', 'cancelled', 'reminder')),
    audience             TEXT NOT NULL CHECK (audience IN ('customer', 'staff')),
    offset_minutes       INTEGER,
    appointment_start_ms ${ms},
    to_phone             TEXT NOT NULL,
    body                 TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'cancelled', 'skipped', 'expired')),
    due_at               ${ms} NOT NULL,
    expires_at           ${ms},
    attempts             INTEGER NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    lease_until          ${ms},
    provider             TEXT,
    provider_message_id  TEXT,
    last_error           TEXT,
    created_at           ${ms} NOT NULL,
    updated_at           ${ms} NOT NULL,
    sent_at              ${ms},
    UNIQUE (business_id, dedupe_key)`;

const OUTBOX_INDEXES = `
  CREATE INDEX sms_outbox_due ON sms_outbox (due_at) WHERE status = 'pending';
  CREATE INDEX sms_outbox_inflight ON sms_outbox (lease_until) WHERE status = 'sending';
  CREATE INDEX sms_outbox_appointment ON sms_outbox (business_id, appointment_id) WHERE status = 'pending';
  CREATE INDEX sms_outbox_status ON sms_outbox (business_id, status, id);
`;

/**
 * Core 3: every row belongs to a business ('default' for rows written before), and every key is
 * unique per business only. SQLite cannot change a primary key or an inline UNIQUE in place, so
 * the tables whose keys change are rebuilt (the shape Postgres starts with); rows are copied as
 * they are.
 */
const SQLITE_CORE_3 = `
  CREATE TABLE appointments_v3 (
    business_id     TEXT NOT NULL,
    id              TEXT NOT NULL,
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
    cancel_reason   TEXT,
    request_key     TEXT,
    PRIMARY KEY (business_id, id)
  );
  INSERT INTO appointments_v3 SELECT 'default', id, status, service_id, staff_id, staff_requested, calendar_id, event_id, start_ms, end_ms,
    block_start_ms, block_end_ms, customer_name, customer_phone, customer_email, notes, source, created_at, updated_at, cancelled_at,
    cancel_reason, request_key FROM appointments;
  DROP TABLE appointments;
  ALTER TABLE appointments_v3 RENAME TO appointments;
  CREATE INDEX appointments_staff_end ON appointments (business_id, staff_id, block_end_ms) WHERE status != 'cancelled';
  CREATE INDEX appointments_phone_start ON appointments (business_id, customer_phone, start_ms);
  CREATE INDEX appointments_start ON appointments (business_id, start_ms);
  CREATE INDEX appointments_pending ON appointments (created_at) WHERE status = 'pending';
  CREATE UNIQUE INDEX appointments_request_key ON appointments (business_id, request_key) WHERE request_key IS NOT NULL;

  CREATE TABLE calendar_events_v3 (
    business_id     TEXT NOT NULL,
    id              TEXT NOT NULL,
    calendar_id     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('appointment', 'block')),
    appointment_id  TEXT,
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
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (business_id, id),
    UNIQUE (business_id, appointment_id)
  );
  INSERT INTO calendar_events_v3 SELECT 'default', id, calendar_id, kind, appointment_id, status, start_ms, end_ms, block_start_ms, block_end_ms,
    summary, description, customer_phone, service_id, created_at, updated_at FROM calendar_events;
  DROP TABLE calendar_events;
  ALTER TABLE calendar_events_v3 RENAME TO calendar_events;
  CREATE INDEX calendar_events_busy ON calendar_events (business_id, calendar_id, block_end_ms) WHERE status = 'confirmed';
  CREATE INDEX calendar_events_blocks ON calendar_events (business_id, end_ms) WHERE kind = 'block' AND status = 'confirmed';

  ALTER TABLE tool_calls ADD COLUMN business_id TEXT NOT NULL DEFAULT 'default';
  CREATE INDEX tool_calls_business ON tool_calls (business_id, id);

  CREATE TABLE idempotency_v3 (
    business_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    tool         TEXT NOT NULL,
    args_hash    TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    result_json  TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (business_id, key)
  );
  INSERT INTO idempotency_v3 SELECT 'default', key, tool, args_hash, state, result_json, created_at FROM idempotency;
  DROP TABLE idempotency;
  ALTER TABLE idempotency_v3 RENAME TO idempotency;
  CREATE INDEX idempotency_created ON idempotency (created_at);

  CREATE TABLE sms_outbox_v3 (${OUTBOX_COLUMNS('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER')});
  INSERT INTO sms_outbox_v3 (id, business_id, dedupe_key, appointment_id, kind, audience, offset_minutes, appointment_start_ms, to_phone, body,
      status, due_at, expires_at, attempts, lease_owner, lease_until, provider, provider_message_id, last_error, created_at, updated_at, sent_at)
    SELECT id, 'default', dedupe_key, appointment_id, kind, audience, offset_minutes, appointment_start_ms, to_phone, body,
      status, due_at, expires_at, attempts, lease_owner, lease_until, provider, provider_message_id, last_error, created_at, updated_at, sent_at
    FROM sms_outbox;
  DROP TABLE sms_outbox;
  ALTER TABLE sms_outbox_v3 RENAME TO sms_outbox;
  ${OUTBOX_INDEXES}

  CREATE TABLE telnyx_calls_v3 (
    business_id     TEXT NOT NULL,
    call_control_id TEXT NOT NULL,
    caller          TEXT,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (business_id, call_control_id)
  );
  INSERT INTO telnyx_calls_v3 SELECT 'default', call_control_id, caller, created_at FROM telnyx_calls;
  DROP TABLE telnyx_calls;
  ALTER TABLE telnyx_calls_v3 RENAME TO telnyx_calls;
  CREATE INDEX telnyx_calls_created ON telnyx_calls (created_at);

  CREATE TABLE rate_hits (
    business_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    at_ms       INTEGER NOT NULL
  );
  CREATE INDEX rate_hits_key ON rate_hits (business_id, key, at_ms);
`;

/**
 * The businesses of a multi-business deployment (the single business of a BUSINESS_CONFIG file is
 * not stored: it is the file). `version` goes up with every change, so instances notice changes by
 * comparing versions; secrets are sealed (src/config/crypto.ts), never stored in clear.
 */
const BUSINESSES = (ms: string) => `
  CREATE TABLE businesses (
    id            TEXT PRIMARY KEY,
    slug          TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    config_json   TEXT NOT NULL,
    secrets_sealed TEXT,
    version       INTEGER NOT NULL,
    created_at    ${ms} NOT NULL,
    updated_at    ${ms} NOT NULL
  );
`;

/**
 * One counter row that a sync barrier bumps in a durable commit when it has nothing else to write:
 * both engines flush their log only for a transaction that wrote something (CallLogBatcher.sync).
 */
const DURABILITY_MARKS = `CREATE TABLE durability_marks (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)`;

/** One row that health checks overwrite to find out whether writes work again (src/store/sql/probe.ts). */
const PROBE = (ms: string) => `CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at_ms ${ms} NOT NULL);`;

/**
 * callbacks 1: callback requests and their history. Every status change is a row of
 * callback_events (who, when, notes, outcome), so the callbacks row only holds the current state.
 */
const CALLBACKS_1 = (id: string, ms: string) => `
  CREATE TABLE callbacks (
    business_id     TEXT NOT NULL,
    id              TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'contacted', 'no_answer', 'completed', 'cancelled')),
    urgency         TEXT NOT NULL CHECK (urgency IN ('urgent', 'high', 'medium', 'low')),
    customer_name   TEXT NOT NULL,
    customer_phone  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    preferred_time  TEXT,
    service_id      TEXT,
    assignee_id     TEXT,
    due_at          ${ms} NOT NULL,
    next_attempt_at ${ms},
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_outcome    TEXT,
    overdue_at      ${ms},
    source          TEXT,
    created_at      ${ms} NOT NULL,
    updated_at      ${ms} NOT NULL,
    PRIMARY KEY (business_id, id)
  );
  CREATE INDEX callbacks_phone ON callbacks (business_id, customer_phone) WHERE status IN ('pending', 'no_answer');
  CREATE INDEX callbacks_due ON callbacks (business_id, due_at) WHERE status = 'pending';
  CREATE INDEX callbacks_assignee ON callbacks (business_id, assignee_id, created_at);

  CREATE TABLE callback_events (
    id           ${id},
    business_id  TEXT NOT NULL,
    callback_id  TEXT NOT NULL,
    at_ms        ${ms} NOT NULL,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    notes        TEXT,
    outcome      TEXT
  );
  CREATE INDEX callback_events_callback ON callback_events (business_id, callback_id, at_ms);
`;

const OUTBOX_KINDS_WITH_CALLBACK = `kind IN ('booked', 'rescheduled', 'cancelled', 'reminder', 'callback')`;

/**
 * SQLite cannot change a CHECK in place. Rebuilding sms_outbox would have to name every column,
 * and drop any that another namespace adds; swapping the one column keeps whatever else is there.
 */
const SQLITE_CALLBACKS_1 = `${CALLBACKS_1('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER')}
  ALTER TABLE sms_outbox RENAME COLUMN kind TO kind_before_callbacks;
  ALTER TABLE sms_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'booked' CHECK (${OUTBOX_KINDS_WITH_CALLBACK});
  UPDATE sms_outbox SET kind = kind_before_callbacks;
  ALTER TABLE sms_outbox DROP COLUMN kind_before_callbacks;
`;

const PG_CALLBACKS_1 = `${CALLBACKS_1('BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY', 'BIGINT')}
  ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_kind_check;
  ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_kind_check CHECK (${OUTBOX_KINDS_WITH_CALLBACK});
`;

/**
 * callbacks 2: what happened once an appointment's start passed (completed, no_show), with its
 * history: each mark is a row of appointment_events (who, when, notes).
 */
const APPOINTMENT_STATUSES_2 = `status IN ('pending', 'confirmed', 'cancelled', 'completed', 'no_show')`;
const APPOINTMENT_EVENTS = (id: string, ms: string) => `
  CREATE TABLE appointment_events (
    id              ${id},
    business_id     TEXT NOT NULL,
    appointment_id  TEXT NOT NULL,
    at_ms           ${ms} NOT NULL,
    from_status     TEXT NOT NULL,
    to_status       TEXT NOT NULL,
    actor           TEXT NOT NULL,
    notes           TEXT
  );
  CREATE INDEX appointment_events_appointment ON appointment_events (business_id, appointment_id, at_ms);
`;

/** The status CHECK is inline and the column is indexed, so SQLite needs the table rebuilt (as core 3 did). */
const SQLITE_CALLBACKS_2 = `
  CREATE TABLE appointments_cb2 (
    business_id     TEXT NOT NULL,
    id              TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (${APPOINTMENT_STATUSES_2}),
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
    cancel_reason   TEXT,
    request_key     TEXT,
    PRIMARY KEY (business_id, id)
  );
  INSERT INTO appointments_cb2 (business_id, id, status, service_id, staff_id, staff_requested, calendar_id, event_id, start_ms, end_ms,
      block_start_ms, block_end_ms, customer_name, customer_phone, customer_email, notes, source, created_at, updated_at, cancelled_at,
      cancel_reason, request_key)
    SELECT business_id, id, status, service_id, staff_id, staff_requested, calendar_id, event_id, start_ms, end_ms,
      block_start_ms, block_end_ms, customer_name, customer_phone, customer_email, notes, source, created_at, updated_at, cancelled_at,
      cancel_reason, request_key FROM appointments;
  DROP TABLE appointments;
  ALTER TABLE appointments_cb2 RENAME TO appointments;
  CREATE INDEX appointments_staff_end ON appointments (business_id, staff_id, block_end_ms) WHERE status != 'cancelled';
  CREATE INDEX appointments_phone_start ON appointments (business_id, customer_phone, start_ms);
  CREATE INDEX appointments_start ON appointments (business_id, start_ms);
  CREATE INDEX appointments_pending ON appointments (created_at) WHERE status = 'pending';
  CREATE UNIQUE INDEX appointments_request_key ON appointments (business_id, request_key) WHERE request_key IS NOT NULL;
  ${APPOINTMENT_EVENTS('INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER')}
`;

const PG_CALLBACKS_2 = `
  ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
  ALTER TABLE appointments ADD CONSTRAINT appointments_status_check CHECK (${APPOINTMENT_STATUSES_2});
  ${APPOINTMENT_EVENTS('BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY', 'BIGINT')}
`;

/**
 * email 1: one outbox for every channel. Existing rows are SMS; their dedupe keys gain the channel
 * so that an SMS and an e-mail about the same change are two messages, never one absorbing the
 * other. `to_phone` keeps its name and holds the recipient of the row's channel (a phone number or
 * an address). `invites` keeps the iCalendar UID and SEQUENCE of each appointment: a calendar
 * client only applies an update or a cancel whose SEQUENCE is higher than the last one it saw.
 */
const EMAIL_1 = (ms: string) => `
  ALTER TABLE sms_outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'email'));
  ALTER TABLE sms_outbox ADD COLUMN subject TEXT;
  ALTER TABLE sms_outbox ADD COLUMN html TEXT;
  ALTER TABLE sms_outbox ADD COLUMN attachments_json TEXT;
  UPDATE sms_outbox SET dedupe_key = 'sms:' || dedupe_key;
  CREATE TABLE invites (
    business_id    TEXT NOT NULL,
    appointment_id TEXT NOT NULL,
    uid            TEXT NOT NULL,
    sequence       INTEGER NOT NULL,
    updated_at     ${ms} NOT NULL,
    PRIMARY KEY (business_id, appointment_id)
  );
`;

/**
 * lifecycle 1: `awaiting_confirmation`, a booking of a service that staff must confirm. It holds its
 * slot like a confirmed one (every overlap check and the exclusion constraint count any status but
 * cancelled) and ends confirmed or cancelled (declined). `pending` stays what it was: a reservation
 * whose calendar write is in flight.
 */
const APPOINTMENT_STATUSES_3 = `status IN ('pending', 'awaiting_confirmation', 'confirmed', 'cancelled', 'completed', 'no_show')`;

/**
 * The status column is swapped rather than the table rebuilt, so columns other namespaces add to
 * appointments survive; the two partial indexes that name status go first and come back after.
 */
const SQLITE_LIFECYCLE_1 = `
  DROP INDEX appointments_staff_end;
  DROP INDEX appointments_pending;
  ALTER TABLE appointments RENAME COLUMN status TO status_before_lifecycle;
  ALTER TABLE appointments ADD COLUMN status TEXT NOT NULL DEFAULT 'pending' CHECK (${APPOINTMENT_STATUSES_3});
  UPDATE appointments SET status = status_before_lifecycle;
  ALTER TABLE appointments DROP COLUMN status_before_lifecycle;
  CREATE INDEX appointments_staff_end ON appointments (business_id, staff_id, block_end_ms) WHERE status != 'cancelled';
  CREATE INDEX appointments_pending ON appointments (created_at) WHERE status = 'pending';
  CREATE INDEX appointments_awaiting ON appointments (business_id, created_at) WHERE status = 'awaiting_confirmation';
`;

const PG_LIFECYCLE_1 = `
  ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
  ALTER TABLE appointments ADD CONSTRAINT appointments_status_check CHECK (${APPOINTMENT_STATUSES_3});
  CREATE INDEX appointments_awaiting ON appointments (business_id, created_at) WHERE status = 'awaiting_confirmation';
`;

/**
 * callbacks 3: the retry time the sweep last escalated. A callback nobody answered has a next
 * attempt time; when that passes with no new attempt, the business hears of it once per retry time.
 */
const CALLBACKS_3 = (ms: string) => `ALTER TABLE callbacks ADD COLUMN escalated_attempt_at ${ms};`;

/**
 * gconnect 1: Google accounts connected per staff member through the consent flow, their refresh
 * audit, the single-use OAuth states and connect links, and a `connection` outbox kind (the
 * business is told when a connection stops working).
 */
const OUTBOX_KINDS_WITH_CONNECTION = `kind IN ('booked', 'rescheduled', 'cancelled', 'reminder', 'callback', 'connection')`;
const GCONNECT_1 = (ms: string, id: string) => `
  CREATE TABLE google_connections (
    business_id          TEXT NOT NULL,
    staff_id             TEXT NOT NULL,
    refresh_token_sealed TEXT NOT NULL,
    scopes               TEXT NOT NULL,
    account_email        TEXT,
    calendar_id          TEXT,
    calendar_time_zone   TEXT,
    status               TEXT NOT NULL CHECK (status IN ('healthy', 'expiring', 'revoked', 'error')),
    refresh_expires_at   ${ms},
    last_check_at        ${ms},
    last_error           TEXT,
    alerted_at           ${ms},
    lease_owner          TEXT,
    lease_until          ${ms},
    connected_at         ${ms} NOT NULL,
    updated_at           ${ms} NOT NULL,
    PRIMARY KEY (business_id, staff_id)
  );
  CREATE TABLE google_connection_audit (
    id          ${id},
    business_id TEXT NOT NULL,
    staff_id    TEXT NOT NULL,
    at_ms       ${ms} NOT NULL,
    ok          INTEGER NOT NULL,
    error       TEXT,
    actor       TEXT NOT NULL
  );
  CREATE INDEX google_connection_audit_staff ON google_connection_audit (business_id, staff_id, at_ms);
  CREATE TABLE oauth_nonces (
    business_id   TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('state', 'link')),
    staff_id      TEXT NOT NULL,
    secret_sealed TEXT,
    expires_at    ${ms} NOT NULL,
    created_at    ${ms} NOT NULL,
    PRIMARY KEY (business_id, nonce)
  );
  CREATE INDEX oauth_nonces_expires ON oauth_nonces (expires_at);
`;

const SQLITE_GCONNECT_1 = `${GCONNECT_1('INTEGER', 'INTEGER PRIMARY KEY AUTOINCREMENT')}
  ALTER TABLE sms_outbox RENAME COLUMN kind TO kind_before_gconnect;
  ALTER TABLE sms_outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'booked' CHECK (${OUTBOX_KINDS_WITH_CONNECTION});
  UPDATE sms_outbox SET kind = kind_before_gconnect;
  ALTER TABLE sms_outbox DROP COLUMN kind_before_gconnect;
`;

const PG_GCONNECT_1 = `${GCONNECT_1('BIGINT', 'BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY')}
  ALTER TABLE sms_outbox DROP CONSTRAINT sms_outbox_kind_check;
  ALTER TABLE sms_outbox ADD CONSTRAINT sms_outbox_kind_check CHECK (${OUTBOX_KINDS_WITH_CONNECTION});
`;

/** Two-way calendar sync (src/calendar/sync/): per-calendar sync state and lease, push channels, conflicts. */
const GSYNC_1 = (ms: string) => `
  CREATE TABLE calendar_sync (
    business_id  TEXT NOT NULL,
    calendar_id  TEXT NOT NULL,
    sync_token   TEXT,
    synced_at    ${ms},
    requested_at ${ms},
    request_seq  INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT,
    lease_until  ${ms},
    last_error   TEXT,
    error_count  INTEGER NOT NULL DEFAULT 0,
    full_syncs   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (business_id, calendar_id)
  );
  CREATE TABLE calendar_channels (
    business_id  TEXT NOT NULL,
    channel_id   TEXT NOT NULL,
    calendar_id  TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    token        TEXT NOT NULL,
    expiration   ${ms} NOT NULL,
    created_at   ${ms} NOT NULL,
    stopped_at   ${ms},
    PRIMARY KEY (business_id, channel_id)
  );
  CREATE INDEX calendar_channels_calendar ON calendar_channels (business_id, calendar_id) WHERE stopped_at IS NULL;
  CREATE TABLE calendar_conflicts (
    business_id          TEXT NOT NULL,
    appointment_id       TEXT NOT NULL,
    calendar_id          TEXT NOT NULL,
    event_id             TEXT NOT NULL,
    remote_start         ${ms} NOT NULL,
    remote_end           ${ms} NOT NULL,
    other_appointment_id TEXT,
    detected_at          ${ms} NOT NULL,
    resolved_at          ${ms},
    PRIMARY KEY (business_id, appointment_id, remote_start, remote_end)
  );
  CREATE INDEX calendar_conflicts_open ON calendar_conflicts (business_id, detected_at) WHERE resolved_at IS NULL;
`;

/** The busy mirror the sync keeps (searches answer from it while it is fresh). */
const GSYNC_2 = (ms: string) => `
  ALTER TABLE calendar_sync ADD COLUMN mirror_ready INTEGER NOT NULL DEFAULT 0;
  CREATE TABLE calendar_busy (
    business_id  TEXT NOT NULL,
    calendar_id  TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    start_ms     ${ms} NOT NULL,
    end_ms       ${ms} NOT NULL,
    PRIMARY KEY (business_id, calendar_id, event_id)
  );
  CREATE INDEX calendar_busy_range ON calendar_busy (business_id, calendar_id, end_ms);
`;

/**
 * perf3 1: overlap searches read appointments by start within a bounded window (repos.ts,
 * MAX_APPOINTMENT_BLOCK_MS) instead of every appointment ending after the window starts.
 */
const PERF3_1 = `
  CREATE INDEX calendar_events_busy_start ON calendar_events (business_id, calendar_id, block_start_ms) WHERE status = 'confirmed' AND kind = 'appointment';
  CREATE INDEX appointments_staff_start ON appointments (business_id, staff_id, block_start_ms) WHERE status != 'cancelled';
  CREATE INDEX calendar_events_blocks_end ON calendar_events (business_id, calendar_id, block_end_ms) WHERE status = 'confirmed' AND kind = 'block';
`;

/**
 * perf4 1: the busy query of a search reads start and end from the index alone. On a fully booked
 * fortnight (10 staff, about 2,100 appointments in the window) it spent most of a search on one
 * table lookup per row for block_end_ms.
 */
const PERF4_1 = `
  CREATE INDEX calendar_events_busy_cover ON calendar_events (business_id, calendar_id, block_start_ms, block_end_ms) WHERE status = 'confirmed' AND kind = 'appointment';
  DROP INDEX calendar_events_busy_start;
`;

/**
 * perf5 1: two indexes no query reads any more (the overlap and busy searches went to block-start
 * ranges in perf3 and perf4; EXPLAIN QUERY PLAN of both picks appointments_staff_start and
 * calendar_events_busy_cover / calendar_events_blocks_end). Each was one more b-tree written by
 * every booking: two of the booking transaction's ~21 WAL pages.
 */
const PERF5_1 = `
  DROP INDEX IF EXISTS appointments_staff_end;
  DROP INDEX IF EXISTS calendar_events_busy;
`;

/**
 * perf4 2 (SQLite): a version per calendar, bumped in the same transaction as any change to its
 * events, whoever writes them; the busy cache (busy-cache.ts) trusts an entry only at its version.
 */
const bumpBusyVersion = (row: 'NEW' | 'OLD') => `
    INSERT INTO busy_versions (business_id, calendar_id, n) VALUES (${row}.business_id, ${row}.calendar_id, 1)
      ON CONFLICT (business_id, calendar_id) DO UPDATE SET n = n + 1;`;
const SQLITE_PERF4_2 = `
  CREATE TABLE busy_versions (business_id TEXT NOT NULL, calendar_id TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (business_id, calendar_id));
  CREATE TRIGGER calendar_events_busy_insert AFTER INSERT ON calendar_events BEGIN ${bumpBusyVersion('NEW')}
  END;
  CREATE TRIGGER calendar_events_busy_update AFTER UPDATE ON calendar_events BEGIN ${bumpBusyVersion('OLD')} ${bumpBusyVersion('NEW')}
  END;
  CREATE TRIGGER calendar_events_busy_delete AFTER DELETE ON calendar_events BEGIN ${bumpBusyVersion('OLD')}
  END;
`;

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  { namespace: 'core', version: 1, sql: SQLITE_CORE_1 },
  { namespace: 'core', version: 2, sql: SQLITE_CORE_2 },
  {
    namespace: 'notifications',
    version: 1,
    sql: `CREATE TABLE sms_outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT, dedupe_key TEXT NOT NULL UNIQUE, appointment_id TEXT,
      kind TEXT NOT NULL, audience TEXT NOT NULL, offset_minutes INTEGER, appointment_start_ms INTEGER,
      to_phone TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, due_at INTEGER NOT NULL, expires_at INTEGER,
      attempts INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until INTEGER, provider TEXT, provider_message_id TEXT,
      last_error TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, sent_at INTEGER)`,
  },
  {
    namespace: 'telnyx',
    version: 1,
    sql: `CREATE TABLE telnyx_calls (call_control_id TEXT PRIMARY KEY, caller TEXT, created_at INTEGER NOT NULL);
          CREATE INDEX telnyx_calls_created ON telnyx_calls (created_at);`,
  },
  { namespace: 'core', version: 3, sql: SQLITE_CORE_3 },
  { namespace: 'core', version: 4, sql: BUSINESSES('INTEGER') },
  { namespace: 'core', version: 5, sql: PROBE('INTEGER') },
  { namespace: 'perf2', version: 1, sql: DURABILITY_MARKS },
  { namespace: 'callbacks', version: 1, sql: SQLITE_CALLBACKS_1 },
  { namespace: 'callbacks', version: 2, sql: SQLITE_CALLBACKS_2 },
  { namespace: 'email', version: 1, sql: EMAIL_1('INTEGER') },
  { namespace: 'lifecycle', version: 1, sql: SQLITE_LIFECYCLE_1 },
  { namespace: 'callbacks', version: 3, sql: CALLBACKS_3('INTEGER') },
  { namespace: 'gconnect', version: 1, sql: SQLITE_GCONNECT_1 },
  { namespace: 'gsync', version: 1, sql: GSYNC_1('INTEGER') },
  { namespace: 'gsync', version: 2, sql: GSYNC_2('INTEGER') },
  { namespace: 'perf3', version: 1, sql: PERF3_1 },
  { namespace: 'perf4', version: 1, sql: PERF4_1 },
  { namespace: 'perf4', version: 2, sql: SQLITE_PERF4_2 },
  { namespace: 'perf5', version: 1, sql: PERF5_1 },
];

const PG_1 = `
  -- Ships with Debian's postgresql-15 and is trusted: a database owner may create it.
  CREATE EXTENSION IF NOT EXISTS btree_gist;

  CREATE TABLE appointments (
    business_id     TEXT NOT NULL,
    id              TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
    service_id      TEXT NOT NULL,
    staff_id        TEXT NOT NULL,
    staff_requested INTEGER NOT NULL DEFAULT 0,
    calendar_id     TEXT NOT NULL,
    event_id        TEXT,
    start_ms        BIGINT NOT NULL,
    end_ms          BIGINT NOT NULL,
    block_start_ms  BIGINT NOT NULL,
    block_end_ms    BIGINT NOT NULL,
    customer_name   TEXT NOT NULL,
    customer_phone  TEXT NOT NULL,
    customer_email  TEXT,
    notes           TEXT,
    source          TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    cancelled_at    BIGINT,
    cancel_reason   TEXT,
    request_key     TEXT,
    PRIMARY KEY (business_id, id),
    -- The database itself refuses two live appointments of one staff member whose blocked times
    -- overlap (half-open ranges: back-to-back is fine), whatever code path writes them.
    CONSTRAINT appointments_no_overlap EXCLUDE USING gist (
      business_id WITH =, staff_id WITH =, int8range(block_start_ms, block_end_ms) WITH &&
    ) WHERE (status != 'cancelled')
  );
  CREATE INDEX appointments_phone_start ON appointments (business_id, customer_phone, start_ms);
  CREATE INDEX appointments_start ON appointments (business_id, start_ms);
  CREATE INDEX appointments_pending ON appointments (created_at) WHERE status = 'pending';
  CREATE UNIQUE INDEX appointments_request_key ON appointments (business_id, request_key) WHERE request_key IS NOT NULL;

  CREATE TABLE calendar_events (
    business_id     TEXT NOT NULL,
    id              TEXT NOT NULL,
    calendar_id     TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('appointment', 'block')),
    appointment_id  TEXT,
    status          TEXT NOT NULL CHECK (status IN ('confirmed', 'cancelled')),
    start_ms        BIGINT NOT NULL,
    end_ms          BIGINT NOT NULL,
    block_start_ms  BIGINT NOT NULL,
    block_end_ms    BIGINT NOT NULL,
    summary         TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    customer_phone  TEXT,
    service_id      TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (business_id, id),
    UNIQUE (business_id, appointment_id)
  );
  CREATE INDEX calendar_events_busy ON calendar_events (business_id, calendar_id, block_end_ms) WHERE status = 'confirmed';
  CREATE INDEX calendar_events_blocks ON calendar_events (business_id, end_ms) WHERE kind = 'block' AND status = 'confirmed';

  CREATE TABLE tool_calls (
    id            BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    business_id   TEXT NOT NULL,
    at_ms         BIGINT NOT NULL,
    platform      TEXT NOT NULL,
    call_id       TEXT,
    tool_call_id  TEXT,
    caller        TEXT,
    tool          TEXT NOT NULL,
    args_json     TEXT NOT NULL,
    ok            INTEGER NOT NULL,
    code          TEXT,
    result_json   TEXT NOT NULL,
    latency_ms    DOUBLE PRECISION NOT NULL,
    replayed      INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX tool_calls_at ON tool_calls (at_ms);
  CREATE INDEX tool_calls_business ON tool_calls (business_id, id);

  CREATE TABLE idempotency (
    business_id  TEXT NOT NULL,
    key          TEXT NOT NULL,
    tool         TEXT NOT NULL,
    args_hash    TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    result_json  TEXT,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (business_id, key)
  );
  CREATE INDEX idempotency_created ON idempotency (created_at);

  CREATE TABLE sms_outbox (${OUTBOX_COLUMNS('BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY', 'BIGINT')});
  ${OUTBOX_INDEXES}

  CREATE TABLE telnyx_calls (
    business_id     TEXT NOT NULL,
    call_control_id TEXT NOT NULL,
    caller          TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (business_id, call_control_id)
  );
  CREATE INDEX telnyx_calls_created ON telnyx_calls (created_at);

  CREATE TABLE rate_hits (
    business_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    at_ms       BIGINT NOT NULL
  );
  CREATE INDEX rate_hits_key ON rate_hits (business_id, key, at_ms);
`;

export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  { namespace: 'core', version: 1, sql: PG_1 },
  { namespace: 'core', version: 2, sql: BUSINESSES('BIGINT') },
  { namespace: 'core', version: 3, sql: PROBE('BIGINT') },
  { namespace: 'perf2', version: 1, sql: DURABILITY_MARKS },
  { namespace: 'callbacks', version: 1, sql: PG_CALLBACKS_1 },
  { namespace: 'callbacks', version: 2, sql: PG_CALLBACKS_2 },
  { namespace: 'email', version: 1, sql: EMAIL_1('BIGINT') },
  { namespace: 'lifecycle', version: 1, sql: PG_LIFECYCLE_1 },
  { namespace: 'callbacks', version: 3, sql: CALLBACKS_3('BIGINT') },
  { namespace: 'gconnect', version: 1, sql: PG_GCONNECT_1 },
  { namespace: 'gsync', version: 1, sql: GSYNC_1('BIGINT') },
  { namespace: 'gsync', version: 2, sql: GSYNC_2('BIGINT') },
  { namespace: 'perf3', version: 1, sql: PERF3_1 },
  { namespace: 'perf4', version: 1, sql: PERF4_1 },
  { namespace: 'perf5', version: 1, sql: PERF5_1 },
];
