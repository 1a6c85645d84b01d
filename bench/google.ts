/**
 * Section 4: the Google Calendar provider against the local fake (test/fakes/google-calendar.ts):
 * how many HTTP requests each tool call costs, and its wall time when every request takes 100 ms
 * (a realistic round trip to Google). Request count is what a voice turn waits on, so it is the
 * number to keep small.
 *
 * The provider lives on another branch until it is merged; until then the section records why it
 * was skipped instead of failing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DateTime } from 'luxon';
import { pino } from 'pino';
import { createCalendarProvider } from '../src/calendar/index.js';
import { loadBusinessConfig } from '../src/config/business.js';
import { parseEnv } from '../src/config/env.js';
import { systemClock } from '../src/domain/clock.js';
import { randomIds } from '../src/domain/ids.js';
import { DEFAULT_BUSINESS_ID, makeDeps } from '../src/deps.js';
import { openStore } from '../src/store/index.js';
import { runTool } from '../src/tools/registry.js';
import { startFakeGoogleCalendar } from '../test/fakes/google-calendar.js';
import { BENCH_CONFIG, DistinctSlots, phoneFor, sig, summarize } from './util.js';

const LATENCY_MS = 100;

export type GoogleResult =
  | { skipped: string }
  | {
      latencyMs: number;
      ops: { op: string; requests: number; routes: Record<string, number>; wallMs: number; ok: number; n: number }[];
      method: string;
    };

export async function benchGoogle(opts: { quick: boolean }): Promise<GoogleResult> {

  const config = loadBusinessConfig(BENCH_CONFIG);
  const zone = config.business.timeZone;
  const fake = await startFakeGoogleCalendar({ calendars: config.staff.map((s) => s.calendarId), requireAuth: true });
  const dir = mkdtempSync(join(tmpdir(), 'bookline-bench-google-'));
  const root = await openStore({ path: join(dir, 'google.db') });
  const store = root.forBusiness(DEFAULT_BUSINESS_ID);
  try {
    const settings = parseEnv({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      CALENDAR_PROVIDER: 'google',
      GOOGLE_AUTH: 'oauth',
      GOOGLE_OAUTH_CLIENT_ID: 'bench',
      GOOGLE_OAUTH_CLIENT_SECRET: 'bench',
      GOOGLE_OAUTH_REFRESH_TOKEN: 'bench',
      GOOGLE_CALENDAR_ROOT_URL: fake.url,
      GOOGLE_TOKEN_URL: fake.tokenUrl,
    });
    // Built exactly as the server builds it: the same factory, the same GOOGLE_* settings.
    const calendar = await createCalendarProvider(settings, { store, clock: systemClock, logger: pino({ level: 'silent' }), timeZone: zone, config });
    const deps = makeDeps({ config, settings, calendar, store, clock: systemClock, logger: pino({ level: 'silent' }), ids: randomIds });
    const slots = new DistinctSlots(zone, DateTime.now().setZone(zone).startOf('day').plus({ days: 2 }), 300, 7, 22, config.staff.length);
    let next = 0;

    // One find first: the access token is fetched once per process, not per call.
    await runTool(deps, 'find_available_slots', { service_name: 'haircut' }, { platform: 'bench' });

    const rounds = opts.quick ? 1 : 5;
    const stats = new Map<string, { requests: number[]; routes: Record<string, number>; wall: number[]; ok: number }>();
    const measure = async (op: string, args: Record<string, unknown>, key: string) => {
      fake.resetCounts();
      const t = performance.now();
      const out = await runTool(deps, op, args, { platform: 'bench', idempotencyKey: key });
      const wall = performance.now() - t;
      const counts = fake.counts();
      const s = stats.get(op) ?? { requests: [], routes: {}, wall: [], ok: 0 };
      s.requests.push(counts.total ?? 0);
      for (const [route, n] of Object.entries(counts)) if (route !== 'total') s.routes[route] = (s.routes[route] ?? 0) + n;
      s.wall.push(wall);
      if (out.result.ok) s.ok++;
      // A refused call costs fewer requests than a real one; counting it would flatter the figures.
      else throw new Error(`${op} failed against the fake: ${out.result.code} ${out.result.message}`);
      stats.set(op, s);
    };

    fake.setLatency(LATENCY_MS);
    for (let r = 0; r < rounds; r++) {
      const phone = phoneFor(8_000_000 + r);
      await measure('find_available_slots', { service_name: 'haircut' }, `g-find-${r}`);
      await measure('book_appointment', { customer_name: `Bench ${r}`, customer_phone: phone, service_name: 'haircut', appointment_datetime: slots.at(next++) }, `g-book-${r}`);
      await measure('reschedule_appointment', { customer_phone: phone, new_datetime: slots.at(next++) }, `g-move-${r}`);
      await measure('cancel_appointment', { customer_phone: phone }, `g-cancel-${r}`);
    }

    return {
      latencyMs: LATENCY_MS,
      ops: [...stats].map(([op, s]) => ({
        op,
        requests: sig(summarize(s.requests).mean),
        routes: Object.fromEntries(Object.entries(s.routes).map(([k, v]) => [k, sig(v / s.requests.length)])),
        wallMs: sig(summarize(s.wall).p50),
        ok: s.ok,
        n: s.requests.length,
      })),
      method: `runTool in-process, Google provider against the local fake with ${LATENCY_MS} ms added to every request; requests per operation counted by the fake (token fetched before measuring); wall time median of ${rounds} rounds.`,
    };
  } finally {
    await root.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
