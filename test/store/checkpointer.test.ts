/**
 * WAL checkpoints on the worker (src/store/sql/checkpointer.ts): they happen, they copy the WAL
 * into the database file without the writer's own automatic checkpoint, every commit stays
 * readable through them, and a worker that cannot open the file leaves the store working.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKSTOP_PAGES, Checkpointer } from '../../src/store/sql/checkpointer.js';
import { openSqlite } from '../../src/store/sql/sqlite.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WAL checkpoints on a worker thread', () => {
  it('copies committed pages into the database file while the writer keeps committing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookline-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const driver = openSqlite(path);
    try {
      const mainFileBefore = statSync(path).size;
      // About three WAL pages a commit, 750 in all: under SQLite's default automatic threshold
      // (1,000) and far under the writer's backstop, so only the worker can have copied them.
      expect(BACKSTOP_PAGES).toBeGreaterThan(1000);
      for (let i = 0; i < 250; i++) {
        await driver.transaction((ex) => ex.run('INSERT INTO tool_calls (business_id, at_ms, platform, tool, args_json, ok, result_json, latency_ms, replayed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', ['b', i, 'test', 'find', '{}', 1, JSON.stringify({ pad: 'x'.repeat(3000) }), 1, 0]), { durable: false });
      }
      // The rows are in the database file itself, not only in the WAL: a checkpoint has run.
      await until(() => statSync(path).size > mainFileBefore + 190 * 3000);
      const rows = await driver.auto.get<{ n: number }>('SELECT COUNT(*) AS n FROM tool_calls', []);
      expect(rows?.n).toBe(250);
    } finally {
      await driver.close();
    }
  });

  it('answers with what it copied, one checkpoint at a time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookline-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'y.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE t (v TEXT)');
    const ckpt = new Checkpointer(path, 5);
    try {
      for (let i = 0; i < 5; i++) {
        db.prepare('INSERT INTO t VALUES (?)').run('x'.repeat(5000));
        ckpt.committed();
      }
      await until(() => ckpt.count === 1);
      expect(ckpt.last).toMatchObject({ ok: true });
      expect(ckpt.last!.checkpointed).toBe(ckpt.last!.log);
      expect(ckpt.last!.log).toBeGreaterThan(5);
      // Fewer than `every` commits since: no new checkpoint.
      db.prepare('INSERT INTO t VALUES (?)').run('y');
      ckpt.committed();
      await new Promise((r) => setTimeout(r, 100));
      expect(ckpt.count).toBe(1);
    } finally {
      await ckpt.close();
      db.close();
    }
  });

  it('a process whose last work is closing the store finishes the close (the worker does not end it early)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookline-ckpt-'));
    dirs.push(dir);
    const script = `
      import { openSqlite } from ${JSON.stringify(join(process.cwd(), 'src/store/sql/sqlite.ts'))};
      const driver = openSqlite(${JSON.stringify(join(dir, 'z.db'))});
      for (let i = 0; i < 250; i++) await driver.transaction((ex) => ex.run("INSERT INTO rate_hits_probe VALUES (?)", [i]).catch(() => ex.run("CREATE TABLE IF NOT EXISTS rate_hits_probe (v INTEGER)")), { durable: false });
      await new Promise((r) => setTimeout(r, 300));
      await driver.close();
      console.log('closed');
    `;
    const file = join(dir, 'close.mts');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('closed');
  });

  it('a worker that cannot open the database leaves the store to its backstop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookline-ckpt-'));
    dirs.push(dir);
    const ckpt = new Checkpointer(join(dir, 'missing.db'), 1);
    ckpt.committed();
    await until(() => ckpt.last !== undefined);
    expect(ckpt.last!.ok).toBe(false);
    // Asking again does not throw either (a new worker, the same failure).
    ckpt.committed();
    await ckpt.close();
  });
});
