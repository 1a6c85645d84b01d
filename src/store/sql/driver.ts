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
  transaction<T>(fn: (ex: Executor) => Promise<T>): Promise<T>;
  /** Healthy, or why writes are failing. When failing, tries one small write first. */
  health(): Promise<{ ok: boolean; detail?: string }>;
  close(): Promise<void>;
}
