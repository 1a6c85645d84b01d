/**
 * Opens the store named by the settings: Postgres when DATABASE_URL is a postgres:// URL, else the
 * embedded SQLite file. Both run the same queries (sql/repos.ts) behind the ports (ports.ts).
 */
import type { ToolCallLogEntry } from './ports.js';
import type { BusinessStore, ChangeListener, Store } from './ports.js';
import { CallLogBatcher } from './sql/batch.js';
import { BusyCache } from './sql/busy-cache.js';
import type { Driver } from './sql/driver.js';
import { businessRecords, businessStore } from './sql/repos.js';
import { openSqlite } from './sql/sqlite.js';

export type * from './ports.js';
export { OUTBOX_STATUSES } from './ports.js';

export interface StoreOptions {
  /** postgres://... for Postgres; otherwise `path` (SQLite file, or ':memory:'). */
  url?: string | undefined;
  path?: string | undefined;
  /** Call-log batching (see sql/batch.ts). */
  callLog?: { intervalMs?: number; maxRows?: number; onError?: (err: unknown, rows: number) => void };
  /** Postgres pool size per instance. */
  poolSize?: number;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  let driver: Driver;
  if (isPostgresUrl(opts.url)) {
    // Loaded only when used: a default start never loads the Postgres client.
    const { openPostgres } = await import('./sql/postgres.js');
    driver = await openPostgres(opts.url, { max: opts.poolSize });
  } else {
    if (!opts.path) throw new Error('openStore needs a SQLite path or a postgres:// URL');
    driver = openSqlite(opts.path);
  }
  return storeOn(driver, opts);
}

function storeOn(driver: Driver, opts: StoreOptions): Store {
  const batcher = new CallLogBatcher(driver, {
    intervalMs: opts.callLog?.intervalMs ?? 200,
    maxRows: opts.callLog?.maxRows ?? 200,
    onError: opts.callLog?.onError,
  });
  // One bound for every business on this store (./sql/busy-cache.ts).
  // Not in memory: there one connection reads and writes, so a read during a transaction would see
  // (and could keep) rows and a version that may still roll back.
  const busyCache = driver.dialect === 'sqlite' && driver.location !== ':memory:' ? new BusyCache() : undefined;
  const scopes = new Map<string, BusinessStore>();
  const listeners = new Map<string, ChangeListener[]>();
  let closed: Promise<void> | undefined;
  return {
    kind: driver.dialect,
    location: driver.location,
    businesses: businessRecords(driver),
    forBusiness(biz: string): BusinessStore {
      let s = scopes.get(biz);
      if (!s) {
        const list: ChangeListener[] = [];
        listeners.set(biz, list);
        s = businessStore({ biz, driver, listeners: list, batcher, busyCache });
        scopes.set(biz, s);
      }
      return s;
    },
    flush: () => batcher.flush(),
    close() {
      closed ??= batcher.flush().then(() => driver.close());
      return closed;
    },
  };
}

export type { ToolCallLogEntry };
