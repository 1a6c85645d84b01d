/**
 * SQLite through better-sqlite3, WAL. One writer connection whose transactions run one at a time
 * (an async queue in this process, BEGIN IMMEDIATE across processes sharing the file), and one
 * reader connection for statements outside a transaction that arrive while one of ours is open on
 * the writer, so a read never sees another transaction's uncommitted rows.
 *
 * Durability without blocking the event loop: every commit is made with synchronous=NORMAL (the
 * WAL is written, not flushed), and a durable transaction resolves only after an fdatasync of the
 * WAL file, run on libuv's thread pool and shared by every commit waiting at the time (./group-sync.ts).
 * With synchronous=FULL the same flush ran inside COMMIT, on the event loop, about 6 ms on this
 * disk during which no other request moved. Flushing the WAL makes every frame written before it
 * durable (fsync is per file, whichever descriptor asks), and a checkpoint in NORMAL mode syncs the
 * database file before the WAL restarts, so nothing a flush covered is lost to a later restart.
 */
import { closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Driver, Executor, Param, TransactionOptions } from './driver.js';
import { BACKSTOP_PAGES, Checkpointer } from './checkpointer.js';
import { StoreHealth } from './faults.js';
import { GroupSync } from './group-sync.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { probe } from './probe.js';

type Db = Database.Database;

const queues = new Map<string, { tail: Promise<unknown>; users: number }>();

class SqliteExecutor implements Executor {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly db: Db) {}

  private stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.stmt(sql).all(...params) as T[];
  }
  async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return this.stmt(sql).get(...params) as T | undefined;
  }
  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    return this.stmt(sql).run(...params).changes;
  }
  async lock(): Promise<void> {}
}

export function openSqlite(path: string): Driver {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const writer = new Database(path);
  writer.pragma('journal_mode = WAL');
  // NORMAL: commits do not flush; durable transactions flush the WAL themselves, off the event loop.
  writer.pragma('synchronous = NORMAL');
  writer.pragma('busy_timeout = 5000');
  migrate(writer);
  const memory = path === ':memory:';
  // Checkpoints off the event loop (./checkpointer.ts); the writer's own is the backstop.
  const checkpointer = memory ? undefined : new Checkpointer(resolve(path));
  if (checkpointer) writer.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  if (!memory) {
    // The WAL file exists now (the migrations wrote to it); its directory entry must be on disk too
    // before any flush of its contents can count.
    const dirFd = openSync(dirname(resolve(path)), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
  let wal: Promise<FileHandle> | undefined;
  const walSync = new GroupSync(async () => {
    if (memory) return;
    // Opened once: the WAL file lives as long as a connection to the database is open, and ours are.
    wal ??= open(`${resolve(path)}-wal`, 'r').catch((err: unknown) => {
      wal = undefined;
      throw err;
    });
    await (await wal).datasync();
  });
  // An in-memory database exists on one connection only.
  const reader = path === ':memory:' ? writer : new Database(path, { readonly: true, fileMustExist: true });
  if (reader !== writer) reader.pragma('busy_timeout = 5000');
  const wx = new SqliteExecutor(writer);
  const rx = reader === writer ? wx : new SqliteExecutor(reader);
  // One queue per file in this process: a second store opened on the same file (a test playing two
  // instances) must wait its turn here, not inside BEGIN IMMEDIATE, where busy_timeout would block
  // the event loop that the first store's transaction needs in order to finish.
  const key = path === ':memory:' ? undefined : resolve(path);
  const queue = key ? (queues.get(key) ?? { tail: Promise.resolve() as Promise<unknown>, users: 0 }) : { tail: Promise.resolve() as Promise<unknown>, users: 0 };
  if (key) queues.set(key, queue);
  queue.users++;
  let closed = false;
  const health = new StoreHealth();

  function transaction<T>(fn: (ex: Executor) => Promise<T>, opts?: TransactionOptions): Promise<T> {
      const run = async (): Promise<T> => {
        if (closed) throw new Error('the store is closed');
        try {
          writer.exec('BEGIN IMMEDIATE');
          const out = await fn(wx);
          writer.exec('COMMIT');
          checkpointer?.committed();
          health.ok();
          return out;
        } catch (err) {
          if (writer.inTransaction) writer.exec('ROLLBACK');
          return health.fail(err);
        }
      };
      const p = queue.tail.then(run, run);
      queue.tail = p.catch(() => undefined);
      if (opts?.durable === false) return p;
      // The flush waits outside the queue: the next transactions commit meanwhile and share the next flush.
      return p.then(async (out) => {
        try {
          await walSync.sync();
        } catch (err) {
          return health.fail(err);
        }
        return out;
      });
  }

  // Outside a transaction a SELECT reads on the writer connection while no transaction of ours is
  // open on it, else on the reader (which never sees another transaction's uncommitted rows).
  // Preferring the writer keeps its page cache warm: SQLite drops a connection's whole cache when
  // another connection has written, which on the reader is after every commit of ours; measured
  // under load, a one-calendar busy query took 267 us on the reader against 28 us warm. Anything
  // else (an UPDATE ... RETURNING included) is a one-statement transaction on the writer, queued
  // behind the others.
  const isRead = (sql: string) => /^\s*SELECT\b/i.test(sql);
  const reads = () => (writer.inTransaction ? rx : wx);
  const read = <T>(f: () => Promise<T>) => f().catch((err: unknown) => health.fail(err));
  const auto: Executor = {
    all: (sql, params) => (isRead(sql) ? read(() => reads().all(sql, params)) : transaction((ex) => ex.all(sql, params))),
    get: (sql, params) => (isRead(sql) ? read(() => reads().get(sql, params)) : transaction((ex) => ex.get(sql, params))),
    run: (sql, params) => transaction((ex) => ex.run(sql, params)),
    lock: async () => undefined,
  };

  return {
    dialect: 'sqlite',
    location: path,
    auto,
    transaction,
    sync: async () => {
      try {
        await walSync.sync();
      } catch (err) {
        return health.fail(err);
      }
    },
    health: () => probe(health, transaction),
    async close() {
      await queue.tail;
      closed = true;
      await walSync.sync().catch(() => undefined);
      await (await wal?.catch(() => undefined))?.close();
      if (key && --queue.users === 0) queues.delete(key);
      await checkpointer?.close();
      if (reader !== writer) reader.close();
      writer.close();
    },
  };
}

function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations_ns (namespace TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (namespace, version))');
  const apply = db.transaction(() => {
    for (const m of SQLITE_MIGRATIONS) {
      const done =
        m.namespace === 'core'
          ? db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)
          : db.prepare('SELECT 1 FROM schema_migrations_ns WHERE namespace = ? AND version = ?').get(m.namespace, m.version);
      if (done) continue;
      db.exec(m.sql);
      if (m.namespace === 'core') db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
      else db.prepare('INSERT INTO schema_migrations_ns (namespace, version) VALUES (?, ?)').run(m.namespace, m.version);
    }
  });
  apply.immediate();
}
