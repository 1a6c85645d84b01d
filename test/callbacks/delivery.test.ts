/** The assignee's and the escalation SMS go out through the real worker and the Telnyx SDK, to the local fake. */
import { afterEach, describe, expect, it } from 'vitest';
import { sweepOverdue } from '../../src/callbacks/service.js';
import { createNotifier } from '../../src/notifications/index.js';
import { runTool } from '../../src/tools/registry.js';
import { FakeTelnyx } from '../fakes/telnyx.js';
import { STORE_KINDS, type TestDeps } from '../helpers.js';
import { telnyxSenderFor } from '../notifications/setup.js';
import { callbackDeps, PHONES } from './support.js';

let deps: TestDeps | undefined;
let fake: FakeTelnyx | undefined;
afterEach(async () => {
  await deps?.notifier?.stop();
  await deps?.cleanup();
  await fake?.close();
  deps = undefined;
});

describe.each(STORE_KINDS)('callback SMS delivery on %s', (kind) => {
  it('texts the assignee at once, and the business contact when the window passes', async () => {
    fake = await new FakeTelnyx({ latencyMs: 1 }).start();
    deps = await callbackDeps(kind, '2026-11-24T10:00', { escalationPhone: '+12125550999' });
    const notifier = createNotifier(deps, { sender: telnyxSenderFor(fake), worker: { random: () => 0.5 } });
    deps.notifier = notifier;
    const out = await runTool(deps, 'request_callback', { customer_name: 'Jane Doe', customer_phone: '+12125550601', reason: 'lock broken', urgency: 'urgent' }, { platform: 'test' });
    expect(out.result.ok).toBe(true);
    await notifier.worker.runUntilIdle();
    expect(fake.messages.map((m) => [m.to, m.text])).toEqual([
      [PHONES.sam, 'Maple Street Salon: urgent callback: call Jane Doe at (212) 555-0601 by 10:30 AM today. Reason: lock broken.'],
    ]);
    deps.clock.advance(31 * 60_000);
    await sweepOverdue(deps);
    await notifier.worker.runUntilIdle();
    expect(fake.messages.map((m) => m.to)).toEqual([PHONES.sam, '+12125550999']);
    expect(fake.messages[1]!.text).toBe('Maple Street Salon: overdue urgent callback (Sam): Jane Doe at (212) 555-0601 was promised a call by 10:30 AM today. Reason: lock broken.');
  });
});
