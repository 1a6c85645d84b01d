/** Wiring for the SMS tests: a business open every day, a manual clock, the real Telnyx SDK aimed at the fake. */
import { makeTestDeps, type TestDeps, type TestDepsOptions } from '../helpers.js';
import { createNotifier, type Notifier, type NotifierOptions } from '../../src/notifications/index.js';
import { TelnyxSender } from '../../src/notifications/sender.js';
import { runTool } from '../../src/tools/registry.js';
import type { FakeTelnyx } from '../fakes/telnyx.js';

export const CUSTOMER = '+12125550123';
export const STAFF_PHONE = '+12125550199';
export const FROM = '+18445550001';

const allWeek = ['07:00-21:00'];

export function smsBusiness(overrides: { notifications?: unknown; cancellationNoticeMinutes?: number } = {}): unknown {
  return {
    business: { name: 'Maple Street Salon', timeZone: 'America/New_York', phone: '+12125550100' },
    hours: { monday: allWeek, tuesday: allWeek, wednesday: allWeek, thursday: allWeek, friday: allWeek, saturday: allWeek, sunday: allWeek },
    booking: { minNoticeMinutes: 0, horizonDays: 60, cancellationNoticeMinutes: overrides.cancellationNoticeMinutes ?? 0 },
    notifications: overrides.notifications ?? { reminderOffsetsMinutes: [1440, 60] },
    services: [{ id: 'haircut', name: 'Haircut', durationMinutes: 45 }],
    staff: [
      { id: 'sam', name: 'Sam', phone: STAFF_PHONE },
      { id: 'priya', name: 'Priya' },
    ],
  };
}

export interface SmsTestDeps extends TestDeps {
  notifier: Notifier;
}

export function telnyxSenderFor(fake: FakeTelnyx, timeoutMs = 2000): TelnyxSender {
  return new TelnyxSender({ apiKey: fake.apiKey, fromNumber: FROM, baseURL: fake.baseURL, timeoutMs });
}

export async function makeSmsDeps(
  opts: TestDepsOptions & { fake?: FakeTelnyx | undefined; notifier?: NotifierOptions; sendTimeoutMs?: number } = {},
): Promise<SmsTestDeps> {
  const deps = await makeTestDeps({ business: smsBusiness(), ...opts });
  const sender = opts.fake ? telnyxSenderFor(opts.fake, opts.sendTimeoutMs) : null;
  // Jitter pinned to a factor of exactly 1, so retry times are exact: 30 s, then 60 s.
  const notifier = createNotifier(deps, {
    sender,
    ...opts.notifier,
    worker: { random: () => 0.5, retryBaseMs: 30_000, sendTimeoutMs: opts.sendTimeoutMs ?? 2000, ...opts.notifier?.worker },
  });
  deps.notifier = notifier;
  return Object.assign(deps, { notifier });
}

export async function book(deps: SmsTestDeps, when: string, extra: Record<string, unknown> = {}, idempotencyKey?: string) {
  const out = await runTool(
    deps,
    'book_appointment',
    { customer_name: 'Dana Reyes', customer_phone: CUSTOMER, service_name: 'haircut', appointment_datetime: when, ...extra },
    { platform: 'test', idempotencyKey },
  );
  if (!out.result.ok) throw new Error(`booking failed: ${out.result.message}`);
  return (out.result as unknown as { appointment: { id: string } }).appointment.id;
}

export async function tool(deps: SmsTestDeps, name: string, args: Record<string, unknown>) {
  const out = await runTool(deps, name, { customer_phone: CUSTOMER, ...args }, { platform: 'test' });
  if (!out.result.ok) throw new Error(`${name} failed: ${out.result.message}`);
  return out.result;
}

export const MIN = 60_000;
export const HOUR = 60 * MIN;
