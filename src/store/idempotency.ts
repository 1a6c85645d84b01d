/**
 * Idempotency records: a platform that retries a tool call (same tool call id, or the same
 * Idempotency-Key header) gets the first answer back and nothing runs twice. The key is claimed in
 * SQLite before the tool runs, so this holds across processes sharing the database too.
 */
import type { Db } from './db.js';

export type Claim =
  | { state: 'claimed' }
  | { state: 'done'; resultJson: string; sameArgs: boolean }
  | { state: 'pending'; sameArgs: boolean };

export class IdempotencyStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      get: db.prepare<[string], { state: 'pending' | 'done'; result_json: string | null; args_hash: string }>(
        'SELECT state, result_json, args_hash FROM idempotency WHERE key = ?',
      ),
      claim: db.prepare(`INSERT OR IGNORE INTO idempotency (key, tool, args_hash, state, created_at) VALUES (?, ?, ?, 'pending', ?)`),
      done: db.prepare(`UPDATE idempotency SET state = 'done', result_json = ? WHERE key = ?`),
      drop: db.prepare(`DELETE FROM idempotency WHERE key = ?`),
      reclaim: db.prepare(`UPDATE idempotency SET created_at = ?, args_hash = ? WHERE key = ? AND state = 'pending' AND created_at < ?`),
      purge: db.prepare(`DELETE FROM idempotency WHERE created_at < ?`),
    };
  }

  /**
   * `staleBefore`: a pending claim older than this belongs to a process that died mid-call; it is
   * taken over so the platform's retry can run.
   */
  claim(key: string, tool: string, argsHash: string, now: number, staleBefore = -Infinity): Claim {
    const tx = this.db.transaction((): Claim => {
      if (this.stmts.claim.run(key, tool, argsHash, now).changes === 1) return { state: 'claimed' };
      if (this.stmts.reclaim.run(now, argsHash, key, staleBefore).changes === 1) return { state: 'claimed' };
      const row = this.stmts.get.get(key);
      if (!row) return { state: 'claimed' }; // unreachable inside the transaction; keeps types honest
      if (row.state === 'done') return { state: 'done', resultJson: row.result_json ?? 'null', sameArgs: row.args_hash === argsHash };
      return { state: 'pending', sameArgs: row.args_hash === argsHash };
    });
    return tx.immediate();
  }

  peek(key: string): Claim | undefined {
    const row = this.stmts.get.get(key);
    if (!row) return undefined;
    if (row.state === 'done') return { state: 'done', resultJson: row.result_json ?? 'null', sameArgs: true };
    return { state: 'pending', sameArgs: true };
  }

  complete(key: string, resultJson: string): void {
    this.stmts.done.run(resultJson, key);
  }

  /** Forget a claim whose call failed in a way worth retrying (calendar down): the retry runs again. */
  release(key: string): void {
    this.stmts.drop.run(key);
  }

  purgeOlderThan(cutoff: number): number {
    return this.stmts.purge.run(cutoff).changes;
  }
}
