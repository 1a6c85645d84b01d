/** Wiring for the e-mail tests: a business open every day, a manual clock, the real nodemailer aimed at a local smtp-server. */
import { createNotifier, type Notifier } from '../../src/notifications/index.js';
import { runTool } from '../../src/tools/registry.js';
import { makeTestDeps, type StoreKind, type TestDeps } from '../helpers.js';
import type { FakeSmtp } from './smtp-fake.js';

export const CUSTOMER = '+12125550123';
export const CUSTOMER_EMAIL = 'dana@example.com';
export const STAFF_EMAIL = 'sam@maple.example';
const allWeek = ['07:00-21:00'];

export function emailBusiness(notifications: Record<string, unknown> = {}): unknown {
  return {
    business: { name: 'Maple Street Salon', timeZone: 'America/New_York', phone: '+12125550100', address: '12 Maple Street, Brooklyn, NY' },
    hours: { monday: allWeek, tuesday: allWeek, wednesday: allWeek, thursday: allWeek, friday: allWeek, saturday: allWeek, sunday: allWeek },
    booking: { minNoticeMinutes: 0, horizonDays: 60 },
    notifications: {
      reminders: [
        { minutesBefore: 1440, channels: ['email'] },
        { minutesBefore: 60, channels: ['sms'] },
      ],
      email: { replyTo: 'desk@maple.example' },
      ...notifications,
    },
    services: [{ id: 'haircut', name: 'Haircut', durationMinutes: 45 }],
    staff: [
      { id: 'sam', name: 'Sam', email: STAFF_EMAIL },
      { id: 'priya', name: 'Priya' },
    ],
  };
}

export interface EmailTestDeps extends TestDeps {
  notifier: Notifier;
}

export async function makeEmailDeps(opts: {
  smtp?: FakeSmtp | undefined;
  storeKind?: StoreKind;
  now?: string;
  notifications?: Record<string, unknown>;
  timeoutMs?: number;
  dbPath?: string;
  resendOnUnknown?: boolean;
  env?: Record<string, string>;
}): Promise<EmailTestDeps> {
  const deps = await makeTestDeps({
    business: emailBusiness(opts.notifications),
    ...(opts.storeKind ? { storeKind: opts.storeKind } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.dbPath ? { dbPath: opts.dbPath } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  const notifier = createNotifier(deps, {
    sender: null,
    emailSender: opts.smtp ? opts.smtp.sender({ replyTo: 'desk@maple.example', timeoutMs: opts.timeoutMs ?? 2000 }) : null,
    // Jitter pinned to a factor of exactly 1, so retry times are exact: 30 s, then 60 s.
    worker: { random: () => 0.5, retryBaseMs: 30_000, sendTimeoutMs: opts.timeoutMs ?? 2000, resendOnUnknown: opts.resendOnUnknown ?? false },
  });
  deps.notifier = notifier;
  const cleanup = deps.cleanup;
  return Object.assign(deps, {
    notifier,
    cleanup: async () => {
      await notifier.stop({ detach: true });
      await cleanup();
    },
  });
}

export async function call(deps: TestDeps, name: string, args: Record<string, unknown>) {
  const out = await runTool(deps, name, { customer_phone: CUSTOMER, ...args }, { platform: 'test' });
  if (!out.result.ok) throw new Error(`${name} failed: ${out.result.message}`);
  return out.result as unknown as { message: string; appointment: { id: string } };
}

export const book = (deps: TestDeps, when: string, extra: Record<string, unknown> = {}) =>
  call(deps, 'book_appointment', { customer_name: 'Dana Reyes', service_name: 'haircut', appointment_datetime: when, customer_email: CUSTOMER_EMAIL, ...extra });

export const MIN = 60_000;
export const HOUR = 60 * MIN;
