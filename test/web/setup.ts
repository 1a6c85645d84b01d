/** Wiring for the web tests: a one-chair salon in New York (so one booking takes a time), a manual clock. */
import { makeTestDeps, type TestDeps, type TestDepsOptions } from '../helpers.js';

export const ORIGIN = 'https://maple.example';
export const LINK_SECRET = 'test-link-secret-0123456789abcdef0123';
const day = ['09:00-12:30', '13:30-18:00'];

export function webBusiness(web: Record<string, unknown> = {}, booking: Record<string, unknown> = {}): unknown {
  return {
    business: { name: 'Maple Street Salon', timeZone: 'America/New_York', phone: '+12125550100' },
    hours: { tuesday: day, wednesday: day, thursday: day, friday: day, saturday: ['09:00-16:00'] },
    closures: [{ date: '2026-11-26', name: 'Thanksgiving' }],
    booking: { minNoticeMinutes: 120, horizonDays: 60, slotIntervalMinutes: 15, cancellationNoticeMinutes: 240, ...booking },
    web: { allowedOrigins: [ORIGIN], ...web },
    services: [
      { id: 'haircut', name: 'Haircut', durationMinutes: 45, bufferAfterMinutes: 15 },
      { id: 'color', name: 'Hair color', durationMinutes: 120 },
    ],
    staff: [{ id: 'sam', name: 'Sam' }],
  };
}

/** Monday 2026-11-23 08:00 in New York unless told otherwise (Monday is closed: Tuesday is the first open day). */
export function makeWebDeps(opts: TestDepsOptions & { web?: Record<string, unknown>; booking?: Record<string, unknown> } = {}): Promise<TestDeps> {
  return makeTestDeps({ business: webBusiness(opts.web, opts.booking), ...opts, env: { WEB_LINK_SECRET: LINK_SECRET, PUBLIC_BASE_URL: 'https://book.example.com', ...opts.env } });
}

export const CUSTOMER = { name: 'Dana Reyes', phone: '(212) 555-0123', email: 'dana@example.com' };
