/**
 * Where the SQLite database lives, checked before it is opened: the folder is created if missing,
 * and both it and the file must be writable (SQLite also writes -wal and -shm files next to the
 * database). A problem is one sentence naming the path and the variable to change, instead of
 * "SqliteError: unable to open database file" with a stack.
 */
import { closeSync, constants, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from './business.js';
import type { Env } from './env.js';
import { openStore, type Store } from '../store/index.js';
import { redactUrl } from '../store/url.js';

const IN_MEMORY = ':memory:';

/** The database path these settings name: DATABASE_PATH, else DATA_DIR/bookline.db. */
export function databasePath(settings: Pick<Env, 'DATA_DIR' | 'DATABASE_PATH'>): string {
  return settings.DATABASE_PATH ?? join(settings.DATA_DIR, 'bookline.db');
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return 'part of that path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'this process is not allowed to write there';
    case 'EROFS':
      return 'it is on a read-only file system';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EISDIR':
      return 'that is a folder, not a file';
    default:
      return e.code ? `${e.code}: ${e.message ?? ''}` : String(e.message ?? err);
  }
}

/**
 * Makes sure the database can be created or opened for writing; returns its path. Throws a
 * ConfigError naming the path and DATA_DIR / DATABASE_PATH otherwise.
 */
export function prepareDatabasePath(settings: Pick<Env, 'DATA_DIR' | 'DATABASE_PATH'>): string {
  const path = databasePath(settings);
  if (path === IN_MEMORY) return path;
  const variable = settings.DATABASE_PATH !== undefined ? 'DATABASE_PATH' : 'DATA_DIR (or DATABASE_PATH)';
  const fail = (where: string, err: unknown): never => {
    throw new ConfigError(`Cannot use ${where} for the database (${reason(err)}); set ${variable} to a location this process can write.`);
  };
  const dir = dirname(resolve(path));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    fail(`the folder ${dir}`, err);
  }
  // A real write, not access(2): root passes every permission check but not a read-only mount.
  const probe = join(dir, `.bookline-write-check-${process.pid}`);
  try {
    closeSync(openSync(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY));
    rmSync(probe, { force: true });
  } catch (err) {
    fail(`the folder ${dir}`, err);
  }
  let existing: ReturnType<typeof statSync> | undefined;
  try {
    existing = statSync(path);
  } catch {
    existing = undefined; // created by SQLite on open
  }
  if (existing?.isDirectory()) fail(path, { code: 'EISDIR' });
  if (existing) {
    try {
      closeSync(openSync(path, constants.O_RDWR));
    } catch (err) {
      fail(path, err);
    }
  }
  return path;
}

/**
 * Opens the store these settings name (Postgres when DATABASE_URL is set, else the SQLite file),
 * with one sentence instead of a driver's stack when it cannot.
 */
export async function openStoreFromSettings(settings: Pick<Env, 'DATA_DIR' | 'DATABASE_PATH' | 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>): Promise<Store> {
  if (settings.DATABASE_URL) {
    try {
      return await openStore({ url: settings.DATABASE_URL, poolSize: settings.DATABASE_POOL_SIZE });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      throw new ConfigError(`Cannot use the Postgres database ${redactUrl(settings.DATABASE_URL)} (${e.code ?? e.message ?? String(err)}); check DATABASE_URL and that the server is running.`);
    }
  }
  const path = prepareDatabasePath(settings);
  try {
    return await openStore({ path });
  } catch (err) {
    throw databaseOpenError(path, settings, err);
  }
}

/** Opening the store can still fail (a file that is not a database, a disk error): one sentence too. */
export function databaseOpenError(path: string, settings: Pick<Env, 'DATABASE_PATH'>, err: unknown): ConfigError {
  const variable = settings.DATABASE_PATH !== undefined ? 'DATABASE_PATH' : 'DATA_DIR (or DATABASE_PATH)';
  const message = (err as Error).message ?? String(err);
  return new ConfigError(`Cannot open the database ${path} (${message}); check the file, or set ${variable} to another location.`);
}
