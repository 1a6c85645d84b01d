/**
 * "Booked" is said only once the booking is on disk, whichever name booked it: book_appointment
 * leaves its own commit relaxed and the durable commit of the call's log row flushes it, so the
 * tool that ran (an alias's target), not the name called, must decide that the row is durable. The
 * idempotency completion rides in that same commit, and a retry is still answered from it.
 */
import { open } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, type TestDeps } from '../helpers.js';

const CALLER = '+12125550123';

describe('a change is flushed before it is announced (SQLite file)', () => {
  let deps: TestDeps;
  let flushes = 0;
  let restore: () => void;

  beforeEach(async () => {
    deps = await makeTestDeps({ storeKind: 'sqlite' });
    // Every physical flush of the WAL goes through a FileHandle's datasync.
    const probe = await open(new URL(import.meta.url), 'r');
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const datasync = proto.datasync;
    proto.datasync = function (this: unknown) {
      return datasync.call(this).then(() => {
        flushes++;
      });
    };
    restore = () => (proto.datasync = datasync);
    // Start from a quiet store: the log batch timer of earlier work must not flush for us.
    await deps.store.sync();
    flushes = 0;
  });
  afterEach(async () => {
    restore();
    await deps.cleanup();
  });

  const cases: [string, Record<string, unknown>][] = [
    ['book_appointment', { customer_name: 'Ada Lovelace', service_name: 'haircut', appointment_datetime: '2026-11-25T11:00' }],
    ['schedule_meeting', { title: 'Ada Lovelace', start_time: '2026-11-25T11:00', duration: 45 }],
  ];

  it.each(cases)('%s: a flush completes before the answer, and a retry is answered from the record', async (name, args) => {
    const meta = { platform: 'vapi', callerPhone: CALLER, idempotencyKey: `vapi:${name}:1`, toolCallId: `${name}-1` };
    const first = await runTool(deps, name, args, meta);
    expect(first.result).toMatchObject({ ok: true });
    expect(flushes).toBeGreaterThanOrEqual(1);

    // The completion was written with the log row: the record is done and holds the answer.
    const claim = await deps.store.idempotency.peek(`${name}:vapi:${name}:1`);
    expect(claim).toMatchObject({ state: 'done' });

    const again = await runTool(deps, name, args, meta);
    expect(again.result).toEqual(first.result);
    expect(await deps.store.appointments.upcomingByPhone(CALLER, deps.clock.now())).toHaveLength(1);
  });

  it('a refusal is recorded for replay too, without a flush of its own', async () => {
    const meta = { platform: 'vapi', callerPhone: CALLER, idempotencyKey: 'vapi:closed', toolCallId: 'closed-1' };
    // Sunday: the demo business is closed.
    const args = { customer_name: 'Ada Lovelace', service_name: 'haircut', appointment_datetime: '2026-11-29T11:00' };
    const first = await runTool(deps, 'book_appointment', args, meta);
    expect(first.result).toMatchObject({ ok: false });
    expect(await deps.store.idempotency.peek('book_appointment:vapi:closed')).toMatchObject({ state: 'done' });
    expect(flushes).toBe(0);
    expect((await runTool(deps, 'book_appointment', args, meta)).result).toEqual(first.result);
  });
});
