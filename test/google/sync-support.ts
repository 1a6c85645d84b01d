/**
 * Wiring for the two-way sync tests: the Google fake, the real client, the booking service on a
 * real store with the notification planner attached, and the app listening on 127.0.0.1 so the
 * fake's push notifications arrive over HTTP as Google's would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { createApp } from '../../src/app.js';
import { attachCalendarSync, type GoogleCalendarSync, type GoogleSyncOptions } from '../../src/calendar/sync/index.js';
import type { Appointment } from '../../src/domain/appointment.js';
import { createNotifier } from '../../src/notifications/index.js';
import type { OutboxRow, Store } from '../../src/store/ports.js';
import { runTool } from '../../src/tools/registry.js';
import type { FakeGoogleCalendarOptions } from '../fakes/google-calendar.js';
import { makeTestDeps, type StoreKind, type TestDeps } from '../helpers.js';
import { harness, type Harness, STAFF } from './helpers.js';

export const CAL = { sam: STAFF[0]!, priya: STAFF[1]!, jordan: STAFF[2]! };
export const ADMIN_KEY = 'admin-key-for-sync-tests';
export const JANE = { customer_name: 'Jane Doe', customer_phone: '+15550102030' };

export function demoWithGoogleCalendars() {
  const raw = JSON.parse(readFileSync('config/business.json', 'utf8'));
  raw.staff = raw.staff.map((s: { id: keyof typeof CAL }) => ({ ...s, calendarId: CAL[s.id] }));
  raw.booking.maxUpcomingPerPhone = 0;
  return raw;
}

export interface Instance {
  deps: TestDeps;
  sync: GoogleCalendarSync;
  url: string;
  close(): Promise<void>;
}

async function listen(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One Bookline process: its own deps (store handle, planner, sync owner) and its own HTTP listener. */
export async function instance(
  h: Harness,
  o: { storeKind: StoreKind; store?: Store; businessId?: string; dbPath?: string; webhookUrl?: (ownUrl: string) => string; sync?: Partial<GoogleSyncOptions> },
): Promise<Instance> {
  const deps = await makeTestDeps({
    business: demoWithGoogleCalendars(),
    storeKind: o.storeKind,
    ...(o.store && { store: o.store }),
    ...(o.businessId && { businessId: o.businessId }),
    ...(o.dbPath && { dbPath: o.dbPath }),
    env: { RATE_LIMIT_PHONE_PER_HOUR: '0', ADMIN_API_KEY: ADMIN_KEY },
    calendar: () => h.provider,
  });
  // The planner writes outbox rows in the change's own transaction; nothing is sent.
  deps.notifier = createNotifier(deps, { sender: null, emailSender: null });
  const server = await listen(createApp(deps));
  const sync = attachCalendarSync(deps, {
    intervalMs: 300_000,
    leaseMs: 60_000,
    channelTtlSec: 7 * 86_400,
    renewBeforeMs: 86_400_000,
    webhookUrl: o.webhookUrl ? o.webhookUrl(server.url) : `${server.url}/webhooks/google/calendar`,
    ...o.sync,
  })!;
  return {
    deps,
    sync,
    url: server.url,
    async close() {
      await sync.idle();
      await server.close();
      await deps.notifier?.stop({ detach: true });
      await deps.cleanup();
    },
  };
}

/** A round-robin front for several instances, as a load balancer would split Google's posts. */
export async function balancer(targets: () => string[]): Promise<{ url: string; close(): Promise<void> }> {
  let next = 0;
  return listen((req, res) => {
    const list = targets();
    const target = list[next++ % list.length]!;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
    fetch(`${target}${req.url}`, { method: req.method!, headers })
      .then(async (r) => {
        await r.arrayBuffer();
        res.writeHead(r.status).end();
      })
      .catch(() => res.writeHead(502).end());
  });
}

export async function startHarness(fake: FakeGoogleCalendarOptions = {}, now: () => number = Date.now): Promise<Harness> {
  return harness({ fake: { now, ...fake } });
}

export async function book(deps: TestDeps, when: string, extra: Record<string, unknown> = {}): Promise<Appointment> {
  const r = (await runTool(deps, 'book_appointment', { ...JANE, service_name: 'haircut', appointment_datetime: when, staff_name: 'Sam', ...extra }, { platform: 'test' })).result;
  if (!r.ok) throw new Error(`booking failed: ${JSON.stringify(r)}`);
  const id = (r.appointment as { id: string }).id;
  return (await deps.store.appointments.get(id))!;
}

export async function rows(deps: TestDeps, appointmentId: string): Promise<OutboxRow[]> {
  return deps.store.outbox.forAppointment(appointmentId);
}

export const customerRows = (all: OutboxRow[], kind: OutboxRow['kind']) => all.filter((r) => r.audience === 'customer' && r.kind === kind);

/** The event in Google as ISO strings in the business zone, shifted to a new local start. */
export function movedTimes(startIso: string, durationMs: number): { start: { dateTime: string; timeZone: string }; end: { dateTime: string; timeZone: string } } {
  const start = Date.parse(startIso);
  return {
    start: { dateTime: new Date(start).toISOString(), timeZone: 'America/New_York' },
    end: { dateTime: new Date(start + durationMs).toISOString(), timeZone: 'America/New_York' },
  };
}
