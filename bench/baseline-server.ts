/**
 * The HTTP baseline: a bare Express 5 app that parses the same JSON body and answers a fixed JSON
 * body, started exactly like the real server (own process, same loader, same host). The distance
 * between this and Bookline is the cost of our work per request, not of Node, Express or loopback.
 */
import express from 'express';

const FIXED = { results: [{ toolCallId: 'bench', name: 'find_available_slots', result: '{"ok":true,"message":"fixed"}' }] };

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '256kb' }));
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
app.post('/webhooks/vapi', (_req, res) => {
  res.status(200).json(FIXED);
});
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
