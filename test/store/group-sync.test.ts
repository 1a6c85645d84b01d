/** Group fsync: commits waiting for the disk share flushes, and nobody is told "durable" by a flush that started before their commit. */
import { describe, expect, it } from 'vitest';
import { GroupSync } from '../../src/store/sql/group-sync.js';
import { openStore } from '../../src/store/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function controlledFlush() {
  const calls: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const flush = () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject }));
  return { calls, flush };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupSync', () => {
  it('one flush at a time; callers arriving during a flush share the next one, never the running one', async () => {
    const f = controlledFlush();
    const g = new GroupSync(f.flush);
    const done: string[] = [];
    const a = g.sync().then(() => done.push('a'));
    expect(f.calls).toHaveLength(1);
    const b = g.sync().then(() => done.push('b'));
    const c = g.sync().then(() => done.push('c'));
    await tick();
    expect(f.calls).toHaveLength(1);
    f.calls[0]!.resolve();
    await a;
    await tick();
    // a's flush may have started before b's and c's commits: they wait for the second one.
    expect(done).toEqual(['a']);
    expect(f.calls).toHaveLength(2);
    f.calls[1]!.resolve();
    await Promise.all([b, c]);
    expect(done).toEqual(['a', 'b', 'c']);
    // Idle again: the next caller starts a flush of its own at once.
    const d = g.sync();
    expect(f.calls).toHaveLength(3);
    f.calls[2]!.resolve();
    await d;
  });

  it('a failed flush rejects its callers, and the next caller gets a fresh attempt', async () => {
    const f = controlledFlush();
    const g = new GroupSync(f.flush);
    const a = g.sync();
    const b = g.sync();
    f.calls[0]!.reject(new Error('EIO'));
    await expect(a).rejects.toThrow('EIO');
    await tick();
    f.calls[1]!.reject(new Error('EIO again'));
    await expect(b).rejects.toThrow('EIO again');
    const c = g.sync();
    f.calls[2]!.resolve();
    await expect(c).resolves.toBeUndefined();
  });
});

describe('durable SQLite commits', () => {
  it('many concurrent durable transactions all commit, and a reopened store reads every one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bookline-gsync-'));
    const file = join(dir, 'b.db');
    let store = await openStore({ path: file });
    try {
      const n = 40;
      const biz = store.forBusiness('default');
      const took = await Promise.all(Array.from({ length: n }, (_, i) => biz.withTransaction((tx) => tx.rateLimits.take(`k${i}`, 1, 60_000, 0))));
      expect(took).toEqual(Array(n).fill(true));
      await store.close();
      store = await openStore({ path: file });
      const again = store.forBusiness('default');
      // Each key already holds its one hit: the writes survived the close and reopen.
      for (let i = 0; i < n; i++) expect(await again.rateLimits.take(`k${i}`, 1, 60_000, 1)).toBe(false);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
