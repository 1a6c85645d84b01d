/**
 * Runs the Google Calendar fake on its own, for local development and manual checks:
 *
 *   npm run fake:google -- --port 4615 --seed seed.json --latency-ms 100
 *
 * then start the service with CALENDAR_PROVIDER=google, GOOGLE_CALENDAR_ROOT_URL=http://127.0.0.1:4615/,
 * GOOGLE_TOKEN_URL=http://127.0.0.1:4615/token and any OAuth client id/secret/refresh token.
 * The seed file is `{"calendars": {"<calendarId>": [<events>]}, "readOnlyCalendars": ["..."]}`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startFakeGoogleCalendar, type FakeSeed } from '../test/fakes/google-calendar.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4615' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string' },
    'latency-ms': { type: 'string', default: '0' },
    'no-auth': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run fake:google -- [--port 4615] [--host 127.0.0.1] [--seed file.json] [--latency-ms 0] [--no-auth]');
  process.exit(0);
}

const port = Number(values.port);
const latencyMs = Number(values['latency-ms']);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: "${values.port}" is not a port number`);
if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new Error(`--latency-ms: "${values['latency-ms']}" is not a duration`);

let seed: FakeSeed | undefined;
if (values.seed) {
  try {
    seed = JSON.parse(readFileSync(values.seed, 'utf8')) as FakeSeed;
  } catch (e) {
    console.error(`--seed: cannot load ${values.seed}: ${(e as Error).message}`);
    process.exit(1);
  }
}

const fake = await startFakeGoogleCalendar({
  port,
  host: values.host,
  latencyMs,
  requireAuth: !values['no-auth'],
  ...(seed && { seed }),
});
const calendars = [...new Set([...Object.keys(seed?.calendars ?? {}), ...(seed?.readOnlyCalendars ?? []).map((c) => `${c} (read-only)`)])];
console.log(`Fake Google Calendar listening on ${fake.url}`);
console.log(`  GOOGLE_CALENDAR_ROOT_URL=${fake.url}`);
console.log(`  GOOGLE_TOKEN_URL=${fake.tokenUrl}`);
console.log(
  calendars.length > 0 ? `  calendars: ${calendars.join(', ')}` : '  calendars: any id is accepted (no seed restricting them)',
);
if (latencyMs > 0) console.log(`  latency: ${latencyMs} ms per request`);

const stop = async () => {
  console.log(`\nrequests served: ${JSON.stringify(fake.counts())}`);
  await fake.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
