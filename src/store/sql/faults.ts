/**
 * Which driver errors are the infrastructure's, not ours: a full disk, a read-only file system, a
 * database that is locked, restarting or out of connections. Those become StoreUnavailableError
 * (the caller hears that nothing was saved, to try again shortly) and mark the store unhealthy
 * until a write succeeds again; anything else stays what it is (a bug is INTERNAL).
 */
import { StoreUnavailableError } from '../../domain/errors.js';

const SQLITE = /^SQLITE_(FULL|READONLY|IOERR|BUSY|LOCKED|CANTOPEN|PROTOCOL|NOLFS|CORRUPT|NOTADB)/;
// Postgres SQLSTATE classes 08 (connection), 53 (resources: disk full, memory, connections),
// 57P (shutdown, crash recovery), 58 (system I/O), and 25006 (read-only transaction).
const POSTGRES = /^(08|53|57P|58)|^25006$/;
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENOSPC', 'EROFS', 'EACCES']);

export function isStoreFault(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (SQLITE.test(code) || POSTGRES.test(code) || NETWORK.has(code)) return true;
  const msg = typeof e?.message === 'string' ? e.message : '';
  // pg's pool and client say these in words, without a code.
  return /timeout exceeded when trying to connect|Connection terminated|the database system is (starting up|shutting down)/i.test(msg);
}

/** Remembers whether writes are failing, for /readyz. */
export class StoreHealth {
  private failing: string | undefined;

  /** Rethrows `err`, as StoreUnavailableError when it is the infrastructure's. */
  fail(err: unknown): never {
    if (!isStoreFault(err)) throw err;
    const e = err as { code?: string; message?: string };
    this.failing = [e.code, e.message].filter(Boolean).join(': ').slice(0, 200) || 'the database refused a write';
    throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError({ cause: err });
  }

  ok(): void {
    this.failing = undefined;
  }

  get problem(): string | undefined {
    return this.failing;
  }
}
