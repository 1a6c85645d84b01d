/**
 * The busy cache of the SQLite store (src/store/sql/busy-cache.ts) answers exactly what the query
 * would: after every kind of change, made through the repositories, through raw SQL, or by another
 * process's connection to the same file, a search sees it. And it does answer from memory while
 * nothing changed (proved by removing a row behind the trigger's back).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type BusinessStore, openStore, type Store } from '../../src/store/index.js';
import { BusyCache, overlapping } from '../../src/store/sql/busy-cache.js';
import { seededRandom } from '../support/random.js';

const T0 = Date.UTC(2030, 0, 7, 12, 0);
const MIN = 60_000;
const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'bookline-busy-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Row = { id: string; calendarId: string; kind: 'appointment' | 'block'; start: number; end: number };

function event(r: Row) {
  return { id: r.id, calendarId: r.calendarId, kind: r.kind, appointmentId: r.kind === 'appointment' ? `apt_${r.id}` : null, start: r.start, end: r.end, blockStart: r.start, blockEnd: r.end, summary: 's', description: '', customerPhone: null, serviceId: null };
}

/** What the query says, from a connection of its own, with no cache in the way. */
function truth(path: string, biz: string, calendars: string[], from: number, to: number): Map<string, { start: number; end: number }[]> {
  const db = new Database(path, { readonly: true });
  try {
    const out = new Map<string, { start: number; end: number }[]>(calendars.map((c) => [c, []]));
    const rows = db
      .prepare(
        `SELECT calendar_id, block_start_ms AS start, block_end_ms AS end FROM calendar_events
          WHERE business_id = ? AND status = 'confirmed' AND block_end_ms > ? AND block_start_ms < ? ORDER BY block_start_ms`,
      )
      .all(biz, from, to) as { calendar_id: string; start: number; end: number }[];
    for (const r of rows) out.get(r.calendar_id)?.push({ start: r.start, end: r.end });
    return out;
  } finally {
    db.close();
  }
}

describe('busy cache', () => {
  it('keeps the intervals overlapping a range, evicts the least recently used over its bound', () => {
    const cache = new BusyCache(5);
    const list = [
      { start: 0, end: 10 },
      { start: 20, end: 30 },
      { start: 40, end: 50 },
    ];
    expect(overlapping(list, 10, 40)).toEqual([{ start: 20, end: 30 }]);
    cache.set('b', 'c1', 1, 0, 100, list);
    expect(cache.get('b', 'c1', 1, 5, 45)).toEqual(list);
    expect(cache.get('b', 'c1', 2, 5, 45)).toBeUndefined(); // another version
    expect(cache.get('b', 'c1', 1, 5, 101)).toBeUndefined(); // past what it holds
    cache.set('b', 'c2', 1, 0, 100, list.slice(0, 2));
    expect(cache.intervalCount).toBe(5);
    cache.get('b', 'c1', 1, 0, 1); // c1 used last
    cache.set('b', 'c3', 1, 0, 100, list.slice(0, 1));
    expect(cache.get('b', 'c2', 1, 0, 1)).toBeUndefined();
    expect(cache.get('b', 'c1', 1, 0, 1)).toEqual([{ start: 0, end: 10 }]);
    expect(cache.intervalCount).toBe(4);
  });

  it('answers from memory while nothing changed', async () => {
    const path = join(dir, 'memory.db');
    const store = await openStore({ path });
    try {
      const biz = store.forBusiness('cafe');
      await biz.calendarEvents.insert(event({ id: 'e1', calendarId: 'sam', kind: 'appointment', start: T0, end: T0 + 30 * MIN }), T0);
      expect((await biz.calendarEvents.busy(['sam'], T0 - DAY, T0 + 14 * DAY)).get('sam')).toEqual([{ start: T0, end: T0 + 30 * MIN }]);
      // Removed behind the trigger's back: the cache, which trusts the version, still holds it...
      const db = new Database(path);
      db.exec('DROP TRIGGER calendar_events_busy_delete');
      db.prepare("DELETE FROM calendar_events WHERE business_id = 'cafe' AND id = 'e1'").run();
      expect((await biz.calendarEvents.busy(['sam'], T0 - DAY + MIN, T0 + 14 * DAY)).get('sam')).toEqual([{ start: T0, end: T0 + 30 * MIN }]);
      // ...until the version moves, which every real change does.
      db.prepare("UPDATE busy_versions SET n = n + 1 WHERE business_id = 'cafe' AND calendar_id = 'sam'").run();
      db.close();
      expect((await biz.calendarEvents.busy(['sam'], T0 - DAY + MIN, T0 + 14 * DAY)).get('sam')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('equals the query after every change: repositories, raw SQL, another connection, another business', async () => {
    const path = join(dir, 'equal.db');
    const store: Store = await openStore({ path });
    const other = new Database(path);
    other.pragma('busy_timeout = 5000');
    const random = seededRandom(17);
    const calendars = ['sam', 'priya', 'jordan'];
    const a: BusinessStore = store.forBusiness('a');
    const b: BusinessStore = store.forBusiness('b');
    const live: Row[] = [];
    let n = 0;
    let checks = 0;
    try {
      for (let step = 0; step < 400; step++) {
        const op = random();
        const cal = calendars[Math.floor(random() * calendars.length)]!;
        const start = T0 + Math.floor(random() * 20 * 24) * 30 * MIN;
        const target = random() < 0.85 ? a : b;
        if (op < 0.35) {
          const r: Row = { id: `e${n++}`, calendarId: cal, kind: random() < 0.8 ? 'appointment' : 'block', start, end: start + (1 + Math.floor(random() * 4)) * 30 * MIN };
          await target.calendarEvents.insert(event(r), T0);
          if (target === a) live.push(r);
        } else if (op < 0.45 && live.length) {
          const r = live[Math.floor(random() * live.length)]!;
          await a.calendarEvents.move(r.calendarId, r.id, { start, end: start + 30 * MIN, blockStart: start, blockEnd: start + 30 * MIN }, T0);
        } else if (op < 0.55 && live.length) {
          const r = live.splice(Math.floor(random() * live.length), 1)[0]!;
          await a.calendarEvents.cancel(r.calendarId, r.id, T0);
        } else if (op < 0.62 && live.length) {
          // Raw SQL through another connection, as a second process or an operator's script would.
          const r = live[Math.floor(random() * live.length)]!;
          other.prepare("UPDATE calendar_events SET block_end_ms = block_end_ms + ? WHERE business_id = 'a' AND id = ?").run(15 * MIN, r.id);
        } else if (op < 0.66 && live.length) {
          const r = live.splice(Math.floor(random() * live.length), 1)[0]!;
          other.prepare("DELETE FROM calendar_events WHERE business_id = 'a' AND id = ?").run(r.id);
        } else {
          // A search over a fortnight (kept in the cache) or a booking's few minutes (not kept).
          const from = T0 + Math.floor(random() * 6 * 24) * 30 * MIN + Math.floor(random() * MIN);
          const to = random() < 0.7 ? from + 14 * DAY : from + 90 * MIN;
          const ids = calendars.filter(() => random() < 0.7);
          if (ids.length === 0) continue;
          const got = await a.calendarEvents.busy(ids, from, to);
          const want = truth(path, 'a', ids, from, to);
          for (const id of ids) expect(got.get(id), `step ${step}, ${id}`).toEqual(want.get(id));
          checks++;
        }
      }
      expect(checks).toBeGreaterThan(100);
    } finally {
      other.close();
      await store.close();
    }
  });
});
