/**
 * Raw SQL on a test's store, for the few tests that must corrupt or inspect rows the ports do not
 * reach (a number the provider refuses, a reservation left behind by a dead process). Opens its own
 * connection to the same SQLite file or Postgres database, so it sees only committed rows, as
 * another process would. Statements use `?` placeholders; every one must filter by business_id
 * (pass `deps.store.businessId`), since Postgres test runs share one database.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Store } from '../../src/store/index.js';
import { TEST_DATABASE_URL } from '../helpers.js';

// BIGINT columns (epoch ms, counts) as numbers, as the store reads them.
const bigintAsNumber = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export type SqlParam = string | number | null;

export interface SqlResult<T> {
  rows: T[];
  /** Rows changed by an INSERT, UPDATE or DELETE. */
  changes: number;
}

export async function rawSql<T = Record<string, unknown>>(root: Store, sql: string, params: readonly SqlParam[] = []): Promise<SqlResult<T>> {
  if (root.kind === 'postgres') {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, types: bigintAsNumber });
    await client.connect();
    try {
      let n = 0;
      const res = await client.query(sql.replace(/\?/g, () => `$${++n}`), params as SqlParam[]);
      return { rows: res.rows as T[], changes: res.command === 'SELECT' ? 0 : (res.rowCount ?? 0) };
    } finally {
      await client.end();
    }
  }
  const db = new Database(root.location);
  try {
    db.pragma('busy_timeout = 5000');
    const stmt = db.prepare(sql);
    if (stmt.reader) return { rows: stmt.all(...params) as T[], changes: 0 };
    return { rows: [], changes: stmt.run(...params).changes };
  } finally {
    db.close();
  }
}
