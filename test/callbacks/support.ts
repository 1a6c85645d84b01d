/** The demo salon with callback settings and staff phones, for the callback suites. */
import { readFileSync } from 'node:fs';
import { DEMO_CONFIG, makeTestDeps, type StoreKind, type TestDeps } from '../helpers.js';

export const PHONES = { sam: '+12125550111', priya: '+12125550122', jordan: '+12125550133' };

export function callbackBusiness(callbacks: Record<string, unknown> = {}, staff: Record<string, Record<string, unknown>> = {}): unknown {
  const demo = JSON.parse(readFileSync(DEMO_CONFIG, 'utf8'));
  demo.callbacks = callbacks;
  demo.staff = demo.staff.map((s: { id: keyof typeof PHONES }) => ({ ...s, phone: PHONES[s.id], ...(s.id === 'sam' ? { senior: true } : {}), ...staff[s.id] }));
  return demo;
}

export function callbackDeps(storeKind: StoreKind, now: string, callbacks?: Record<string, unknown>, staff?: Record<string, Record<string, unknown>>, env?: Record<string, string>): Promise<TestDeps> {
  return makeTestDeps({ storeKind, now, business: callbackBusiness(callbacks, staff), env });
}
