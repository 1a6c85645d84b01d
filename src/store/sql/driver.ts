/**
 * The seam between the shared queries (repos.ts) and a database engine. Queries are written once
 * with `?` placeholders in the SQL both engines understand; a driver runs them and owns
 * transactions, locking and connections.
 */
export type Dialect = 'sqlite' | 'postgres';
export type Param = string | number | null;

export interface Executor {
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** Number of rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /**
   * Serialises this transaction with every other one taking the same key, on every instance, until
   * it ends. SQLite needs nothing: its write lock already serialises all writers.
   */
  lock(key: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * False: the commit returns without waiting for the disk (SQLite synchronous=NORMAL in WAL,
   * Postgres synchronous_commit=off). Such a commit survives a crash of this process, not a power
   * cut, until the next durable commit: both engines write one sequential log, and flushing it for a
   * later commit flushes every commit before it. For rows whose loss on a power cut is harmless or
   * covered by a durable commit that follows before anyone is answered (rate-limit hits,
   * idempotency claims, read-only call-log batches). Default true.
   */
  durable?: boolean;
}

export interface Driver {
  readonly dialect: Dialect;
  readonly location: string;
  /** Outside transactions: each statement commits on its own; reads see committed rows only. */
  readonly auto: Executor;
  /**
   * Runs `fn` in one transaction. A failure of the infrastructure (disk full, read-only, locked,
   * unreachable) is thrown as StoreUnavailableError and marks the store unhealthy until a
   * transaction commits again (./faults.ts).
   */
  transaction<T>(fn: (ex: Executor) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /**
   * Where the engine can flush its log without a commit (SQLite: an fdatasync of the WAL, shared by
   * every caller waiting at the time): resolves once every commit made before the call is on disk.
   * Absent where only a durable commit flushes (Postgres).
   */
  sync?(): Promise<void>;
  /** Healthy, or why writes are failing. When failing, tries one small write first. */
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}
