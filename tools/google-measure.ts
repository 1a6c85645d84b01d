/**
 * Measures what each provider operation costs against the Google fake: HTTP requests (counted by the
 * fake, per route) and wall time with a fixed per-request latency added by the fake.
 *
 *   npx tsx tools/google-measure.ts [--latency-ms 100] [--runs 5]
 *
 * The access token is fetched before measuring, as in a warm service. Wall time is the median of
 * --runs runs of each operation.
 */
import { parseArgs } from 'node:util';
import { buildGoogleCalendarClient } from '../src/calendar/google-client.js';
import { GoogleCalendarProvider, googleEventIdFor } from '../src/calendar/google.js';
import { createRemotePolicy } from '../src/resilience/policy.js';
import { startFakeGoogleCalendar } from '../test/fakes/google-calendar.js';

const { values } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '100' }, runs: { type: 'string', default: '5' } } });
const latencyMs = Number(values['latency-ms']);
const runs = Number(values.runs);

const TZ = 'America/New_York';
const STAFF = ['alice@salon.test', 'bob@salon.test', 'carol@salon.test'];
const HOUR = 3_600_000;
const now = Date.parse('2026-11-23T13:00:00Z');

const fake = await startFakeGoogleCalendar({ calendars: STAFF });
const client = buildGoogleCalendarClient({
  auth: { kind: 'oauth', clientId: 'measure', clientSecret: 'measure', refreshToken: 'measure' },
  rootUrl: fake.url,
  tokenUrl: fake.tokenUrl,
});
const provider = new GoogleCalendarProvider({
  client,
  policy: createRemotePolicy({ name: 'google-calendar' }),
  timeZone: TZ,
  sendUpdates: 'none',
});

// Some existing bookings so free/busy and look-ups return data.
for (let i = 0; i < 30; i++) {
  const start = now + (24 + i * 5) * HOUR;
  await provider.createEvent({
    appointmentId: `apt_seed${String(i).padStart(12, '0')}`,
    calendarId: STAFF[i % 3]!,
    start,
    end: start + 45 * 60_000,
    blockStart: start,
    blockEnd: start + 60 * 60_000,
    summary: 'Haircut - Seed',
    description: '',
    timeZone: TZ,
    customerPhone: i % 2 ? '+12125550123' : '+12125550999',
    serviceId: 'haircut',
  });
}
fake.setLatency(latencyMs);

let seq = 0;
const fresh = () => {
  seq++;
  const start = now + (400 + seq) * HOUR;
  return {
    appointmentId: `apt_m${String(seq).padStart(15, '0')}`,
    calendarId: STAFF[0]!,
    start,
    end: start + 45 * 60_000,
    blockStart: start,
    blockEnd: start + 60 * 60_000,
    summary: 'Haircut - Measure',
    description: 'Phone: +12125550123',
    timeZone: TZ,
    customerPhone: '+12125550123',
    serviceId: 'haircut',
  };
};

interface Row {
  op: string;
  requests: Record<string, number>;
  medianMs: number;
}

async function measure(op: string, prepare: () => Promise<() => Promise<unknown>>): Promise<Row> {
  const times: number[] = [];
  let requests: Record<string, number> = {};
  for (let r = 0; r < runs; r++) {
    const run = await prepare();
    fake.resetCounts();
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    requests = fake.counts();
  }
  times.sort((a, b) => a - b);
  return { op, requests, medianMs: Math.round(times[Math.floor(times.length / 2)]!) };
}

const rows: Row[] = [];
rows.push(await measure('freeBusy (3 staff, 14 days)', async () => () => provider.freeBusy(STAFF, { start: now, end: now + 14 * 24 * HOUR })));
rows.push(await measure('createEvent', async () => { const i = fresh(); return () => provider.createEvent(i); }));
rows.push(
  await measure('moveEvent', async () => {
    const i = fresh();
    await provider.createEvent(i);
    const start = i.start + 2 * HOUR;
    return () => provider.moveEvent(i.calendarId, googleEventIdFor(i.appointmentId), { start, end: start + 45 * 60_000, blockStart: start, blockEnd: start + HOUR });
  }),
);
rows.push(
  await measure('cancelEvent', async () => {
    const i = fresh();
    await provider.createEvent(i);
    return () => provider.cancelEvent(i.calendarId, googleEventIdFor(i.appointmentId));
  }),
);
rows.push(
  await measure('createEvent, answer lost once (409 path)', async () => {
    const i = fresh();
    fake.inject('insert', { drop: 'after' });
    return () => provider.createEvent(i);
  }),
);

console.log(`Google fake, ${latencyMs} ms added per request, median of ${runs} runs (token already held)`);
console.log('| operation | requests | wall time |');
console.log('|---|---|---|');
for (const r of rows) {
  const { total, ...byRoute } = r.requests;
  const detail = Object.entries(byRoute).map(([k, v]) => `${k} ${v}`).join(', ');
  console.log(`| ${r.op} | ${total ?? 0} (${detail}) | ${r.medianMs} ms |`);
}
await fake.close();
