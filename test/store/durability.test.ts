/**
 * Relaxed commits and the sync barrier the embedded booking path relies on ("Booked" only once the
 * booking is on disk, with concurrent bookings sharing one flush): on both engines a relaxed unit of
 * work followed by `sync()` is committed and visible, and concurrent syncs share durable commits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { CallLogBatcher } from '../../src/store/sql/batch.js';
import type { Driver } from '../../src/store/sql/driver.js';
import { bumpDurabilityMark } from '../../src/store/sql/repos.js';
import { openSqlite } from '../../src/store/sql/sqlite.js';
import { openTestStore, STORE_KINDS, uniqueBusinessId } from '../helpers.js';

const T0 = Date.UTC(2030, 0, 7, 15, 0);
const MIN = 60_000;

describe.each(STORE_KINDS)('relaxed commits and sync on %s', (kind) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(kind));
  });
  afterAll(() => close());

  it('a relaxed unit of work is committed, and sync resolves for every concurrent caller', async () => {
    const biz = store.forBusiness(uniqueBusinessId());
    const ids = Array.from({ length: 12 }, (_, i) => `apt_${i}`);
    await Promise.all(
      ids.map(async (id, i) => {
        const start = T0 + i * 60 * MIN;
        const ok = await biz.withTransaction(
          (tx) =>
            tx.appointments.reserve(
              { id, serviceId: 'cut', staffId: 'sam', staffRequested: false, calendarId: 'sam', start, end: start + 30 * MIN, blockStart: start, blockEnd: start + 30 * MIN, customerName: 'Ada', customerPhone: '+12125550100', customerEmail: null, notes: null, source: 'test' },
              T0,
            ),
          { durable: false },
        );
        expect(ok).toBe(true);
        await biz.sync();
      }),
    );
    for (const id of ids) expect((await biz.appointments.get(id))?.status).toBe('pending');
    // With nothing written since, a sync still commits (its marker) and resolves.
    await biz.sync();
  });
});

describe('the sync barrier groups commits (SQLite file, counted)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bookline-sync-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('twenty relaxed transactions each followed by sync cost at most three flushes of the disk', async () => {
    const path = join(dir, 'sync.db');
    const driver = openSqlite(path);
    let durable = 0;
    let relaxed = 0;
    const counted: Driver = {
      ...driver,
      transaction: (fn, opts) => {
        if (opts?.durable === false) relaxed++;
        else durable++;
        return driver.transaction(fn, opts);
      },
    };
    // Every physical flush, whoever asks for it: the driver flushes the WAL through a FileHandle.
    const probe = await open(path, 'r');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const datasync = proto.datasync;
    let flushes = 0;
    proto.datasync = function (this: unknown) {
      flushes++;
      return datasync.call(this);
    };
    try {
      const batcher = new CallLogBatcher(counted, { intervalMs: 60_000, maxRows: 1000 });
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          await counted.transaction((ex) => bumpDurabilityMark(ex), { durable: false });
          await batcher.sync();
        }),
      );
    } finally {
      proto.datasync = datasync;
    }
    expect(relaxed).toBe(20);
    // SQLite flushes its WAL without a durable commit of its own.
    expect(durable).toBe(0);
    expect(flushes).toBeGreaterThanOrEqual(1);
    expect(flushes).toBeLessThanOrEqual(3);
    await driver.close();
  });
});
