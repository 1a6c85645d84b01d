/**
 * Runs the Microsoft Graph fake (with its token endpoint) on its own, for local development:
 *
 *   npm run fake:graph -- --port 4616 --mailbox priya@salon.test --latency-ms 100
 *
 * then start the service with MICROSOFT_GRAPH_URL=http://127.0.0.1:4616,
 * MICROSOFT_AUTHORITY_URL=http://127.0.0.1:4616 and any MICROSOFT_TENANT_ID / CLIENT_ID / CLIENT_SECRET.
 */
import { parseArgs } from 'node:util';
import { startFakeGraph } from './fakes/microsoft-graph.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4616' },
    mailbox: { type: 'string', multiple: true },
    'latency-ms': { type: 'string', default: '0' },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: "${values.port}" is not a port number`);
const fake = await startFakeGraph({ port, latencyMs: Number(values['latency-ms']), ...(values.mailbox && { mailboxes: values.mailbox }) });
console.log(`Graph fake on ${fake.url} (token endpoint ${fake.tokenUrl('<tenant>')}); Ctrl-C stops it`);
process.once('SIGINT', () => void fake.close().then(() => process.exit(0)));
process.once('SIGTERM', () => void fake.close().then(() => process.exit(0)));
