/**
 * Postgres through `pg`, for several stateless instances on one database. A pool of connections;
 * each transaction holds one. Cross-instance serialisation uses transaction-scoped advisory locks
 * (`lock(key)`), so nothing is left locked by an instance that dies: its connection ends and
 * Postgres releases the lock. Migrations run under a session advisory lock, so instances starting
 * together apply them once.
 */
import pg from 'pg';
import type { Driver, Executor, Param, TransactionOptions } from './driver.js';
import { StoreHealth } from './faults.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { probe } from './probe.js';
import { redactUrl } from '../url.js';

// BIGINT (20) and COUNT(*) come back as strings by default; our values are epoch milliseconds and
// counts, which fit a double exactly.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

const MIGRATION_LOCK = 8_414_240_117; // any constant: the key of the session lock migrations take

/** `?` placeholders become `$1, $2...` once per distinct statement. */
const converted = new Map<string, string>();
function toPg(sql: string): string {
  let out = converted.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    converted.set(sql, out);
  }
  return out;
}

interface Queryable {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
}

class PgExecutor implements Executor {
  /** `health`: for statements outside a transaction, whose failures nothing else classifies. */
  constructor(
    private readonly q: Queryable,
    private readonly health?: StoreHealth,
  ) {}
  private async query(sql: string, params: readonly Param[]): Promise<pg.QueryResult> {
    if (!this.health) return this.q.query(toPg(sql), params as unknown[]);
    try {
      return await this.q.query(toPg(sql), params as unknown[]);
    } catch (err) {
      return this.health.fail(err);
    }
  }
  async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }
  async get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }
  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    return (await this.query(sql, params)).rowCount ?? 0;
  }
  async lock(key: string): Promise<void> {
    await this.q.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
  }
}

export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Driver> {
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types, connectionTimeoutMillis: 10_000 });
  // An idle connection that the server drops must not crash the process.
  pool.on('error', () => undefined);
  await migrate(pool);
  const health = new StoreHealth();
  const driver: Driver = {
    dialect: 'postgres',
    location: redactUrl(url),
    auto: new PgExecutor(pool, health),
    async transaction<T>(fn: (ex: Executor) => Promise<T>, opts?: TransactionOptions): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        return health.fail(err);
      }
      let broken = false;
      // A connection the server drops while checked out (a failover, a terminated session) emits
      // 'error' on the client between statements, where no query is there to receive it; without a
      // listener that is an uncaught exception. The next statement fails on its own and is answered
      // as STORE_UNAVAILABLE; the client is destroyed on release.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        if (opts?.durable === false) await client.query('SET LOCAL synchronous_commit = off');
        const out = await fn(new PgExecutor(client));
        await client.query('COMMIT');
        health.ok();
        return out;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        return health.fail(err);
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    health: () => probe(health, (fn) => driver.transaction(fn)),
    close: () => pool.end(),
  };
  return driver;
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (namespace TEXT NOT NULL, version INTEGER NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (namespace, version))');
    for (const m of POSTGRES_MIGRATIONS) {
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE namespace = $1 AND version = $2', [m.namespace, m.version]);
      if (done.rowCount) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (namespace, version, applied_at) VALUES ($1, $2, $3)', [m.namespace, m.version, Date.now()]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
